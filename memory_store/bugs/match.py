"""Match a new error against remembered bugs.

Scoring follows what error-grouping systems learned: the exception type, the message
template (volatile values masked, identifiers kept; words weighted by how rare they are
in this memory) and the frames (library and in-app functions, never line numbers).
Candidates come from an exact-fingerprint map and posting lists of the query's rarest
words, so a query never scans every record; rapidfuzz adds a wording similarity.

Frames that only say how the program was run (``python -m``, thread pools, asyncio, test
runners, web-framework dispatch: memory_store.errors.launchers) are dropped before frames
are compared.

A wrong fix shown with confidence costs more than no answer. A match is *confident* when
its calibrated confidence (memory_store.bugs.confidence: a small monotone model fitted with
cross-validation on real errors, from the score, how much particular wording is shared, the
margin over the best candidate with a different fix, how many near-equal records carry a fix
that says the same thing (memory_store.bugs.fix_meaning) and the kind of message) reaches the
index's threshold, and, for a generic message, only when the raising function agrees.
"""

from __future__ import annotations

import math
import re
import statistics
import threading
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path
from typing import Any

from rapidfuzz import fuzz
from rapidfuzz.distance import Indel

from memory_store.bugs.confidence import CONFIDENT_AT, probability
from memory_store.bugs.features import (
    GENERIC_TYPES,
    Entry,
    ErrorFeatures,
    FeatureTable,
    PlainDataError,
    TokenIndex,
    features_of,
    normalize_fix,
    parsed_from_record,
)
from memory_store.bugs.fix_meaning import FixComparer, FixVocabulary
from memory_store.errors import ParsedError, parse_error
from memory_store.errors.normalize import is_entry_point, same_function, short_type

DEFAULT_THRESHOLD = CONFIDENT_AT
"""Calibrated confidence (0..1) from which a match is an answer; below it the answer is "no match"."""
TIE_MARGIN = 0.1
"""Candidates this close to the best are treated as equally good when fixes disagree."""
MAX_DISTINCT_FIXES = 12
SUBSTITUTION_WEIGHT = 2.0
EXTRA_WEIGHT = 0.4
QUOTED_MISMATCH = 0.7
GENERIC_FACTOR = 0.85
"""Factor when a built-in exception's message names nothing particular (``maximum recursion
depth exceeded``) and no frame confirms the match: such messages have many causes."""
"""Factor on message similarity when both messages quote identifiers and share none
(``No module named 'cv2'`` vs ``'dotenv'``): the thing that failed is a different one."""
MAX_CANDIDATE_GROUPS = 24
MAX_RECORDS_PER_GROUP = 32
FRAME_BONUS = 0.35
_CODE_SHOWN = re.compile(r"[a-z][a-z0-9_]{0,39}")

# Exception hierarchies (general language knowledge, not tuned to any data), by lower-case
# short name: Python's built-in one, child -> parent.
_PARENT = {
    "modulenotfounderror": "importerror",
    "connectionrefusederror": "connectionerror", "connectionreseterror": "connectionerror",
    "connectionabortederror": "connectionerror", "brokenpipeerror": "connectionerror",
    "connectionerror": "oserror", "filenotfounderror": "oserror", "permissionerror": "oserror",
    "timeouterror": "oserror", "isadirectoryerror": "oserror", "notadirectoryerror": "oserror",
    "fileexistserror": "oserror", "blockingioerror": "oserror", "interruptederror": "oserror",
    "childprocesserror": "oserror", "processlookuperror": "oserror", "ioerror": "oserror",
    "environmenterror": "oserror", "unicodedecodeerror": "unicodeerror", "unicodeencodeerror": "unicodeerror",
    "unicodeerror": "valueerror", "keyerror": "lookuperror", "indexerror": "lookuperror",
    "recursionerror": "runtimeerror", "notimplementederror": "runtimeerror",
    "zerodivisionerror": "arithmeticerror", "overflowerror": "arithmeticerror",
    "floatingpointerror": "arithmeticerror", "indentationerror": "syntaxerror", "taberror": "indentationerror",
}
# The JVM's (java.lang, java.io, java.nio.file, java.net): child -> parent, by short name.
# Linkage errors are a class that was there at compile time and is missing or changed at run
# time (a dependency upgrade or a module the JDK removed).
_PARENT.update({
    "noclassdeffounderror": "linkageerror", "unsatisfiedlinkerror": "linkageerror",
    "exceptionininitializererror": "linkageerror", "classformaterror": "linkageerror",
    "unsupportedclassversionerror": "classformaterror", "incompatibleclasschangeerror": "linkageerror",
    "nosuchmethoderror": "incompatibleclasschangeerror", "nosuchfielderror": "incompatibleclasschangeerror",
    "abstractmethoderror": "incompatibleclasschangeerror", "instantiationerror": "incompatibleclasschangeerror",
    "classnotfoundexception": "reflectiveoperationexception",
    "filenotfoundexception": "ioexception", "eofexception": "ioexception", "filesystemexception": "ioexception",
    "nosuchfileexception": "filesystemexception", "accessdeniedexception": "filesystemexception",
    "filealreadyexistsexception": "filesystemexception", "socketexception": "ioexception",
    "connectexception": "socketexception", "unknownhostexception": "ioexception", "sslexception": "ioexception",
    "sslhandshakeexception": "sslexception", "interruptedioexception": "ioexception",
    "sockettimeoutexception": "interruptedioexception",
})
_RELATED = {
    frozenset({"classnotfoundexception", "noclassdeffounderror"}),
}
"""Types of two hierarchies that report one cause, scored as parent and child: a class missing
from the class path is ``ClassNotFoundException`` when loaded by name (``Class.forName``, a
framework) and ``NoClassDefFoundError`` when linked from compiled code."""
_ROOTS = {"exception", "baseexception", "error", "throwable", "runtimeexception"}


def _ancestors(t: str) -> list[str]:
    out: list[str] = []
    while t in _PARENT and len(out) < 6:
        t = _PARENT[t]
        out.append(t)
    return out


def type_similarity(a: str, b: str) -> float | None:
    """1 same type, 0.7 parent/child (or related, :data:`_RELATED`), 0.4 siblings, 0 unrelated,
    None when one is unknown."""
    if not a or not b:
        return None
    if a == b:
        return 1.0
    anc_a, anc_b = _ancestors(a), _ancestors(b)
    if b in anc_a or a in anc_b or frozenset({a, b}) in _RELATED:
        return 0.7
    if set(anc_a) & set(anc_b) - _ROOTS:
        return 0.4
    return 0.0


def _overlap(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / min(len(a), len(b))


@dataclass
class Match:
    record: dict[str, Any]
    score: float
    reasons: list[str]
    confident: bool
    confidence: float = 0.0
    """Calibrated probability that this record's fix applies (memory_store.bugs.confidence)."""
    evidence: dict[str, float] = field(default_factory=dict)
    """The evidence the confidence was computed from (named as in ``confidence.FEATURES``)."""

    def to_json(self) -> dict[str, Any]:
        error = self.record.get("error") or {}
        return {
            "id": self.record.get("id"),
            "confidence": round(self.confidence, 3),
            "author": self.record.get("author") or "",
            "created": self.record.get("created") or "",
            "score": round(self.score, 3),
            "fix": self.record.get("fix", ""),
            "root_cause": self.record.get("root_cause", ""),
            "error_type": error.get("type", ""),
            "message": error.get("message", ""),
            "reasons": list(self.reasons),
            "confident": self.confident,
        }


@dataclass
class _Scored:
    entry: Entry
    score: float
    reasons: list[str]
    raw: float = 0.0
    """Uncapped score, used only to order candidates that all reach 1.0."""
    shared_words: float = 0.0
    """How much particular wording the two messages share (see _message_score)."""


class BugIndex:
    """In-memory index over bug records; cheap to update, safe to read while another thread adds."""

    def __init__(self, records: Iterable[dict[str, Any]] = (), threshold: float = DEFAULT_THRESHOLD):
        self.threshold = threshold
        self._lock = threading.RLock()
        self._entries: dict[str, Entry] = {}
        self._tokens = TokenIndex()
        self._fixes = FixVocabulary()
        for rec in records:
            self.add(rec)

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, record_id: object) -> bool:
        return record_id in self._entries

    def add(self, record: dict[str, Any], features: ErrorFeatures | None = None) -> bool:
        """Index ``record`` (replacing one with the same id). False when it holds no usable error.
        ``features`` may come from the cache (memory_store.bugs.cache) to skip recomputing them."""
        rid = record.get("id")
        if not isinstance(rid, str) or not rid:
            return False
        if features is None:
            try:
                features = features_of(parsed_from_record(record))
            except (ValueError, TypeError):
                return False
        self._insert(Entry(rid, None, features, normalize_fix(str(record.get("fix") or "")), record))
        return True

    def add_analysed(self, record_id: str, raw: bytes | None, features: ErrorFeatures, fix_norm: str,
                     record: dict[str, Any] | None = None) -> None:
        """Index a record whose features were computed elsewhere (memory_store.bugs.analysis):
        kept as its JSON text ``raw`` (decoded when read) or, without one, as ``record``."""
        self._insert(Entry(record_id, raw, features, fix_norm, None if raw is not None else record))

    def _insert(self, entry: Entry) -> None:
        with self._lock:
            old = self._entries.pop(entry.id, None)
            if old is not None:
                self._tokens.remove(old)
                self._fixes.remove(old.fix_norm)
            self._entries[entry.id] = entry
            self._tokens.add(entry)
            self._fixes.add(entry.fix_norm)

    def remove(self, record_id: str) -> bool:
        with self._lock:
            entry = self._entries.pop(record_id, None)
            if entry is None:
                return False
            self._tokens.remove(entry)
            self._fixes.remove(entry.fix_norm)
            return True

    def ids(self) -> list[str]:
        with self._lock:
            return list(self._entries)

    def to_plain(self) -> dict[str, Any]:
        """The index as plain data for the cache (memory_store.bugs.cache): per record its id,
        JSON text, feature row and normalized fix; the features in a :class:`FeatureTable`."""
        with self._lock:  # a snapshot: matching (which takes the lock) does not wait for the encoding
            snapshot = list(self._entries.values())
            fixes = self._fixes.to_plain()
        table = FeatureTable()
        entries = [[e.id, e.raw_json(), table.add(e.features), e.fix_norm] for e in snapshot]
        return {"entries": entries, "features": table.to_plain(), "fixes": fixes}

    @classmethod
    def from_plain(cls, data: Any, threshold: float = DEFAULT_THRESHOLD) -> BugIndex:
        """The index :meth:`to_plain` described (posting lists rebuilt in record order, as a
        fresh build does; the fix vocabulary restored as it was, not refilled record by record);
        :class:`PlainDataError` for data of any other shape."""
        if type(data) is not dict or type(data.get("entries")) is not list:
            raise PlainDataError("index data lacks its entries")
        features = FeatureTable.from_plain(data.get("features"))
        index = cls(threshold=threshold)
        entries, tokens = index._entries, index._tokens
        for row in data["entries"]:
            if type(row) is not list or len(row) != 4:
                raise PlainDataError("index entry of the wrong length")
            rid, raw, no, fix = row
            if not (type(rid) is str and rid and type(raw) is bytes and type(no) is int and 0 <= no < len(features)
                    and type(fix) is str):
                raise PlainDataError("index entry field of the wrong type")
            if rid in entries:
                raise PlainDataError(f"index entry {rid!r} repeated")
            entry = entries[rid] = Entry(rid, raw, features[no], fix)
            tokens.add(entry)
        index._fixes = FixVocabulary.from_plain(data.get("fixes"), Counter(map(itemgetter(3), data["entries"])))
        return index

    def get(self, record_id: str) -> dict[str, Any] | None:
        entry = self._entries.get(record_id)
        return entry.record if entry else None

    # -- matching -------------------------------------------------------------------------
    def match(self, error: str | ParsedError, limit: int = 5, include_weak: bool = False,
              workspace_root: Path | None = None) -> list[Match]:
        """Past records for ``error``, best first. Only confident ones unless ``include_weak``."""
        parsed = parse_error(error, workspace_root, redact_secrets=False) if isinstance(error, str) else error
        if parsed is None or limit <= 0:
            return []
        query = features_of(parsed)
        with self._lock:
            scored = self._score_all(query, limit)
        if not scored:
            return []
        scored.sort(key=lambda s: (-s.raw, s.entry.id))
        fixes = FixComparer(self._fixes)
        ranked, ambiguous = _resolve_ties(scored, fixes)
        out: list[Match] = []
        lead_confident = False
        for i, s in enumerate(ranked):
            if i > 0 and not include_weak and not (
                    lead_confident and fixes.agree(s.entry.fix_norm, ranked[0].entry.fix_norm)):
                if not lead_confident:
                    break  # only answers are wanted and the best candidate is none
                continue
            values = evidence(query, s, ranked, fixes, typed=_typed(parsed.exc_type, query, s.entry))
            p = probability(values)
            raiser = _raiser_agrees(query, s.entry.features)
            # a stricter threshold than the calibrated one (a project setting) also applies to exact matches
            confident = (p >= self.threshold or (unambiguous(values) and self.threshold <= CONFIDENT_AT)) and raiser
            if i == 0:
                lead_confident = confident
            else:  # a further answer only when it says what the confident first one says
                confident = confident and lead_confident and fixes.agree(s.entry.fix_norm, ranked[0].entry.fix_norm)
            reasons = list(s.reasons)
            if ambiguous and s.score >= ranked[0].score - TIE_MARGIN:
                reasons.append("memory holds different fixes for this error: not sure which applies")
            if values["generic"] and values["app_agree"]:
                reasons.append(f"same function: {query.app_top.replace('/', '.').replace(':', '.')}")
            elif not raiser:
                reasons.append("generic message, not raised by the same function")
            if not confident and not include_weak:
                continue
            out.append(Match(s.entry.record, s.score, reasons, confident, p, values))
            if len(out) >= limit:
                break
        return out

    def _score_all(self, query: ErrorFeatures, limit: int) -> list[_Scored]:
        groups = []
        for fp in self._tokens.candidates(query, MAX_CANDIDATE_GROUPS):
            group = self._tokens.groups[fp]
            base, shared_words, reasons = self._message_score(query, group.features)
            if base > 0.05:
                groups.append((base, group, reasons, shared_words))
        if not groups:
            return []
        best = max(g[0] for g in groups)
        per_group = max(limit, 4) + 8
        out: list[_Scored] = []
        for base, group, reasons, shared_words in groups:
            if base + (1.0 - base) * FRAME_BONUS < best - TIE_MARGIN:
                n = 1  # cannot come near the best: one representative for --all listings
            else:
                n = MAX_RECORDS_PER_GROUP if query.has_frames else per_group
            for rid in group.sample(n):
                entry = self._entries[rid]
                score, extra = _frame_score(query, entry.features, base)
                out.append(_Scored(entry, min(1.0, max(0.0, score)), reasons + extra, score, shared_words))
        return out

    def _message_score(self, q: ErrorFeatures, c: ErrorFeatures) -> tuple[float, float, list[str]]:
        """(score, shared words, reasons) of a record group for the query. Shared words: the
        summed idf of the words both messages hold, type and code aside, over the idf
        TokenIndex gives a word of one group: how many particular words they share. A long tool
        message (``go.mod file not found in current directory or any parent directory``) shares
        many; two errors of one type whose short messages differ in a name share few; errors of
        two codes or two unrelated types share none that counts."""
        reasons: list[str] = []
        idf = self._tokens.idf
        qt, ct = q.token_set, c.token_set
        # fsum: the exact sum whatever order the set yields its words (a plain sum can
        # differ in the last bit between hash seeds and reorder equally scored candidates).
        shared = math.fsum(idf(t) for t in qt & ct)
        own = shared - math.fsum(idf(t) for t in qt & ct & {q.stype, q.code})
        shared_words = own / math.log(1.0 + (len(self._tokens.groups) + 1) / 1.5) if own > 0 else 0.0
        if q.fingerprint == c.fingerprint:
            msg = 1.0 if q.template == c.template else 0.99
        else:
            only_q = math.fsum(idf(t) for t in qt - ct)
            only_c = math.fsum(idf(t) for t in ct - qt)
            # Words present on one side only are extra detail or a cut-off line; words missing
            # on both sides are a substitution (another setting, module, host): weigh those more.
            substituted = min(only_q, only_c)
            denom = shared + SUBSTITUTION_WEIGHT * substituted + EXTRA_WEIGHT * abs(only_q - only_c)
            words = shared / denom if denom else 0.0
            wording = Indel.normalized_similarity(q.template, c.template)
            msg = 0.8 * words + 0.2 * wording
            if q.quoted and c.quoted and not q.quoted & c.quoted:
                msg *= QUOTED_MISMATCH
            if q.context_tokens or c.context_tokens:
                extra = (q.context_tokens & ct) | (c.context_tokens & qt)
                msg = min(1.0, msg + 0.02 * len(extra))
        tsim = type_similarity(q.stype, c.stype)
        if tsim is None:  # a type unknown on one side says nothing either way: the message decides
            score = msg
        else:
            score = 0.2 * tsim + 0.8 * msg
            if tsim == 0.0:
                score *= 0.7
        if q.code and c.code and q.code != c.code:
            score *= 0.6
            shared_words = 0.0  # the code names the error: its wording under another code is another error's
        elif tsim == 0.0:
            shared_words = 0.0  # the same for two unrelated exception types
        if q.fingerprint == c.fingerprint:
            reasons.append("same exception and message template" if q.stype else "same message template")
        else:
            if tsim == 1.0:
                reasons.append("same exception type")
            elif tsim:
                reasons.append("related exception type")
            if q.code and c.code:
                reasons.append(_code_reason(q.code, c.code))
            wording = fuzz.token_set_ratio(q.template, c.template) / 100.0
            reasons.append(f"similar wording ({wording:.2f})")
        return score, shared_words, reasons


def _class_name(exc_type: str) -> bool:
    """An exception class (``TypeError``, ``java.lang.ClassNotFoundException``, ``LoadError``):
    named in CamelCase in every mainstream language, unlike the lowercase label of the tool or
    runtime that printed a diagnostic (``go``, ``cargo``, ``gradle``, ``panic``)."""
    name = short_type(exc_type)
    return name.lower() not in GENERIC_TYPES and any(ch.isupper() for ch in name)


def _typed(query_type: str, q: ErrorFeatures, entry: Entry) -> bool:
    """Both errors are exceptions of a named class and neither carries an error code: the kind
    of message whose words many causes share (see memory_store.bugs.confidence.FEATURES). The
    stored record's type is read only when its short name differs from the query's."""
    c = entry.features
    if q.code or c.code or not (q.stype and c.stype) or not _class_name(query_type):
        return False
    if c.stype == q.stype:
        return True
    error = entry.record.get("error")
    return isinstance(error, dict) and _class_name(str(error.get("type") or ""))


def _code_reason(query_code: str, record_code: str) -> str:
    """Why the error codes count for or against (a record's code is shown only when it looks like one)."""
    if query_code == record_code:
        return f"same error code {query_code.upper()}" if _CODE_SHOWN.fullmatch(query_code) else "same error code"
    return f"another error code ({record_code.upper()})" if _CODE_SHOWN.fullmatch(record_code) else "another error code"


def _frame_score(q: ErrorFeatures, c: ErrorFeatures, base: float) -> tuple[float, list[str]]:
    generic = not (q.specific and c.specific)
    if not (q.has_frames and c.has_frames):
        return (base * GENERIC_FACTOR, ["generic message, no shared frames"]) if generic else (base, [])
    reasons: list[str] = []
    lib = _overlap(q.lib_frames, c.lib_frames)
    app = _overlap(q.app_frames, c.app_frames)
    pkg = _overlap(q.packages, c.packages)
    shared = sorted((q.lib_frames & c.lib_frames) | (q.app_frames & c.app_frames))
    if shared:
        reasons.append("shared frames: " + ", ".join(s.replace(":", ".") for s in shared[:3]))
    if q.packages & c.packages:
        reasons.append("same library: " + ", ".join(sorted(q.packages & c.packages)[:3]))
    evidence = max(lib, app, 0.6 * pkg)
    if generic and q.app_top and c.app_top:
        if not same_function(q.app_top, c.app_top):  # shared callers (a dispatcher, main) say nothing of the cause
            base *= GENERIC_FACTOR
            evidence = 0.0
            reasons.append("generic message raised by another function")
    elif generic and not shared:
        base *= GENERIC_FACTOR
        reasons.append("generic message, no shared frames")
    score = base + (1.0 - base) * FRAME_BONUS * evidence
    if q.packages and c.packages and not q.packages & c.packages and not shared:
        score *= 0.92
    return score, reasons


def unambiguous(values: dict[str, float]) -> bool:
    """The same error (type and message template) raised by the same function or naming
    something particular, and no near-equal record with another fix: the memory holds one
    answer for exactly this error, whatever the model's estimate for look-alike-rich data."""
    return bool(values.get("same_template") and values.get("rivals") == 0.0
                and (not values.get("generic") or values.get("raiser_agrees")))


def _raiser_agrees(q: ErrorFeatures, c: ErrorFeatures) -> bool:
    """The rule for generic messages (``division by zero``): both errors were raised by the
    same function: the same innermost in-app function or, for an error raised inside a
    library with no in-app frame known on one side, the same raising library frame. A
    program's entry point (``main``) is no such function: every program has one.
    A specific message needs no such agreement."""
    if q.specific and c.specific:
        return True
    if q.app_top and c.app_top:
        return same_function(q.app_top, c.app_top) and not is_entry_point(q.app_top)
    if q.site and q.site == c.site and ":" in q.site:
        return not is_entry_point(q.site)
    # one side's frames were not known as in-app (another checkout): a package-qualified name still says
    qk, ck = q.app_top or q.site, c.app_top or c.site
    return bool(qk and ck) and same_function(qk, ck) and not is_entry_point(qk)


def _other_function(q: ErrorFeatures, c: ErrorFeatures) -> bool:
    """A generic message known to be raised by two different in-app functions."""
    return (not (q.specific and c.specific) and bool(q.app_top and c.app_top)
            and not same_function(q.app_top, c.app_top))


def _frame_similarity(q: ErrorFeatures, c: ErrorFeatures) -> float:
    """How much of the shorter call stack the two errors share (library or in-app frames; 0 when
    either has none): where the error arose, beside what it says."""
    if not (q.has_frames and c.has_frames):
        return 0.0
    return max(_overlap(q.lib_frames, c.lib_frames), _overlap(q.app_frames, c.app_frames))


def evidence(q: ErrorFeatures, s: _Scored, ranked: list[_Scored], fixes: FixComparer | None = None,
             typed: bool = False) -> dict[str, float]:
    """The evidence for candidate ``s`` among ``ranked`` (see memory_store.bugs.confidence);
    ``fixes`` compares their fixes (memory_store.bugs.fix_meaning); ``typed``: see :func:`_typed`."""
    fixes = fixes or FixComparer()
    c = s.entry.features
    fix = s.entry.fix_norm
    rival = rival_frames = 0.0
    support = rivals = 0
    for other in ranked[:MAX_DISTINCT_FIXES * 2]:
        if other is s or _other_function(q, other.entry.features):
            continue  # a generic error raised by another function is no contender
        near = other.score >= s.score - TIE_MARGIN
        if fixes.agree(fix, other.entry.fix_norm):
            support += near
        else:
            rivals += near
            rival = max(rival, other.score)
            if near:
                rival_frames = max(rival_frames, _frame_similarity(q, other.entry.features))
    frames = _frame_similarity(q, c)
    tsim = type_similarity(q.stype, c.stype)
    quoted = 0.0
    if q.quoted and c.quoted:
        quoted = 1.0 if q.quoted & c.quoted else -1.0
    app_known = bool(q.app_top and c.app_top)
    app_same = app_known and same_function(q.app_top, c.app_top)
    return {
        "score": s.score,
        "margin": s.score - rival,
        "app_agree": 1.0 if app_same else 0.0,
        "app_differ": 1.0 if app_known and not app_same else 0.0,
        "site_agree": 1.0 if q.site and q.site == c.site else 0.0,
        "exact_type": 1.0 if tsim == 1.0 else 0.5 if tsim else 0.0,
        "information": math.log1p(s.shared_words),
        "typed": 1.0 if typed else 0.0,
        "quoted": quoted,
        "support": math.log1p(support),
        "rivals": math.log1p(rivals),
        "agree_share": (support + 1) / (support + rivals + 1),
        "generic": 0.0 if q.specific and c.specific else 1.0,
        "same_template": 1.0 if q.fingerprint == c.fingerprint else 0.0,
        "frames": 1.0 if q.has_frames else 0.0,
        "frame_sim": frames,
        "frame_margin": frames - rival_frames,
        "raiser_agrees": 1.0 if _raiser_agrees(q, c) else 0.0,
    }


def _resolve_ties(scored: list[_Scored], meaning: FixComparer) -> tuple[list[_Scored], bool]:
    """Among near-equal best candidates, put the fix most of them agree on first; report
    whether they disagree (then no answer is confident)."""
    top = scored[0].score
    tied = [s for s in scored if s.score >= top - TIE_MARGIN and s.entry.fix_norm]
    by_fix: dict[str, list[_Scored]] = {}
    for s in tied:
        by_fix.setdefault(s.entry.fix_norm, []).append(s)
    if len(by_fix) <= 1:
        return scored, False
    distinct = list(by_fix)[:MAX_DISTINCT_FIXES]
    lead = scored[0].entry.fix_norm or distinct[0]
    if all(meaning.agree(lead, f) for f in distinct):
        return scored, False
    # How many tied records back each fix, counting the records of fixes that say the same thing.
    support = {f: sum(len(by_fix[g]) for g in distinct if meaning.agree(f, g)) for f in distinct}
    head = sorted((s for s in tied if s.entry.fix_norm in support),
                  key=lambda s: (-support[s.entry.fix_norm], -s.raw, s.entry.id))
    placed = {id(s) for s in head}
    return head + [s for s in scored if id(s) not in placed], True


def fix_time_stats(matches: Iterable[Match]) -> dict[str, Any] | None:
    """Median and range of the recorded minutes of the matched fixes, None when none recorded."""
    minutes = []
    for m in matches:
        value = m.record.get("minutes")
        if isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0:
            minutes.append(float(value))
    if not minutes:
        return None
    def tidy(x: float) -> float | int:
        return int(x) if x == int(x) else round(x, 1)

    return {"median": tidy(statistics.median(minutes)), "min": tidy(min(minutes)), "max": tidy(max(minutes)),
            "n": len(minutes)}
