"""Features of stored bug records and the inverted index used for candidate blocking.

Records with the same fingerprint (exception type + code + message template) form a
*group*; message similarity is computed once per group. Token document frequencies are
counted over groups, so a bug recorded fifty times does not make its words look common.
"""

from __future__ import annotations

import heapq
import json
import math
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import chain
from typing import Any, TypeVar

from memory_store.errors.frames import package_of
from memory_store.errors.launchers import is_launcher_frame
from memory_store.errors.model import ParsedError
from memory_store.errors.normalize import (
    STOPWORDS,
    app_function_key,
    fingerprint,
    frame_key,
    is_specific,
    message_template,
    quoted_values,
    short_type,
    template_tokens,
    type_tokens,
)

GENERIC_TYPES = frozenset({"error", "exception", ""})
POSTING_BUDGET = 1500
"""Posting-list entries walked per query to find candidates (rarest words first)."""


@dataclass(frozen=True, slots=True)
class ErrorFeatures:
    """What the matcher compares, computed once per record and per query."""

    fingerprint: str
    stype: str
    """Short exception type, lower case; '' when unknown (generic ``error: ...`` lines)."""
    full_type: str
    code: str
    template: str
    tokens: tuple[str, ...]
    token_set: frozenset[str]
    lib_frames: frozenset[str]
    app_frames: frozenset[str]
    packages: frozenset[str]
    specific: bool = True
    """False for a built-in exception whose message names nothing particular."""
    quoted: frozenset[str] = frozenset()
    """Quoted identifiers of the message (``'cv2'``): a different one means a different thing failed."""
    context_tokens: frozenset[str] = frozenset()
    """Words of chained causes and message continuation lines (weaker evidence)."""
    app_top: str = ""
    """The innermost in-app frame (``billing/invoice:unit_price``, see ``app_function_key``): the
    team's function the error came from; '' when its function is unknown or it is module-level code."""
    site: str = ""
    """The innermost frame that is not a launcher (in-app or library): where it was raised."""

    @property
    def has_frames(self) -> bool:
        return bool(self.lib_frames or self.app_frames)


class PlainDataError(ValueError):
    """Plain data (from the index cache) that does not have the expected shape or types."""


class FeatureTable:
    """Many :class:`ErrorFeatures` as plain data (lists, strings, ints, bools: nothing that
    decodes into code), each distinct string, word set and feature row stored once.

    Plain form: ``{"strings": [str], "sets": [[string no]], "rows": [row]}`` where a row is
    ``[fingerprint, stype, full_type, code, template, [token string no], token_set set no,
    lib_frames set no, app_frames set no, packages set no, specific, quoted set no,
    context_tokens set no, app_top, site]``.
    """

    def __init__(self) -> None:
        self._strings: dict[str, int] = {}
        self._sets: dict[frozenset[str], int] = {}
        self._rows: dict[ErrorFeatures, int] = {}
        self._plain_sets: list[list[int]] = []
        self._plain_rows: list[list[Any]] = []

    def add(self, f: ErrorFeatures) -> int:
        """The row number of ``f`` (added on first sight)."""
        no = self._rows.get(f)
        if no is None:
            no = self._rows[f] = len(self._plain_rows)
            s, words = self._set, self._strings
            self._plain_rows.append([f.fingerprint, f.stype, f.full_type, f.code, f.template,
                                     [words.setdefault(t, len(words)) for t in f.tokens], s(f.token_set),
                                     s(f.lib_frames), s(f.app_frames), s(f.packages), f.specific, s(f.quoted),
                                     s(f.context_tokens), f.app_top, f.site])
        return no

    def _set(self, items: frozenset[str]) -> int:
        no = self._sets.get(items)
        if no is None:
            no = self._sets[items] = len(self._plain_sets)
            words = self._strings  # a string's number is its position: the next free one on first sight
            self._plain_sets.append([words.setdefault(t, len(words)) for t in items])
        return no

    def to_plain(self) -> dict[str, Any]:
        return {"strings": list(self._strings), "sets": self._plain_sets, "rows": self._plain_rows}

    @staticmethod
    def from_plain(data: Any) -> list[ErrorFeatures]:
        """The feature rows of ``data`` (made by :meth:`to_plain`); :class:`PlainDataError`
        for anything of another shape or type."""
        try:
            return FeatureTable._rows_from_plain(data)
        except TypeError as exc:  # an element of the wrong type in a list of numbers or strings
            raise PlainDataError(f"feature table element of the wrong type: {exc}") from None

    @staticmethod
    def _rows_from_plain(data: Any) -> list[ErrorFeatures]:
        """Checked and converted column by column (``zip``, ``map``, ``min``/``max`` run over a
        whole column in C): a large cache is loaded at start-up, where every record counts."""
        if type(data) is not dict:
            raise PlainDataError("feature table is not a map")
        strings, sets, rows = data.get("strings"), data.get("sets"), data.get("rows")
        if not (type(strings) is list and type(sets) is list and type(rows) is list):
            raise PlainDataError("feature table lacks strings, sets or rows")
        words = list(map(sys.intern, strings))
        word = words.__getitem__
        _check_number_lists(sets, len(words))
        table = [frozenset(map(word, numbers)) if numbers else _EMPTY for numbers in sets]
        if not rows:
            return []
        if set(map(type, rows)) != {list} or set(map(len, rows)) != {len(ROW_FIELDS)}:
            raise PlainDataError("feature row of the wrong length")
        (fps, stypes, full_types, codes, templates, tokens, token_sets, lib, app, packages, specific, quoted,
         context, tops, sites) = zip(*rows, strict=True)
        if not (_all_of(str, fps, stypes, full_types, codes, templates, tops, sites) and _all_of(bool, specific)):
            raise PlainDataError("feature row field of the wrong type")
        _check_number_lists(tokens, len(words))
        for column in (token_sets, lib, app, packages, quoted, context):
            if min(column) < 0 or max(column) >= len(table):
                raise PlainDataError("reference out of range in the feature table")
        fset, intern = table.__getitem__, sys.intern
        return list(map(ErrorFeatures, fps, map(intern, stypes), full_types, codes, templates,
                        [tuple(map(word, numbers)) for numbers in tokens], map(fset, token_sets), map(fset, lib),
                        map(fset, app), map(fset, packages), specific, map(fset, quoted), map(fset, context),
                        map(intern, tops), map(intern, sites)))


ROW_FIELDS = ("fingerprint", "stype", "full_type", "code", "template", "tokens", "token_set", "lib_frames",
              "app_frames", "packages", "specific", "quoted", "context_tokens", "app_top", "site")
"""The :class:`ErrorFeatures` fields of a plain feature row, in its order (the first fields)."""


def _all_of(kind: type, *columns: tuple[Any, ...]) -> bool:
    return all(set(map(type, column)) <= {kind} for column in columns)


def _check_number_lists(lists: Any, limit: int) -> None:
    """``lists`` are lists of numbers in ``range(limit)``. An element of another type makes
    ``min``/``max`` or the lookup that follows raise TypeError, which :meth:`FeatureTable.from_plain`
    reports as malformed data (checking each element's type would double the cost of loading)."""
    if not _all_of(list, lists):
        raise PlainDataError("reference list of the wrong type in the feature table")
    numbers = list(chain.from_iterable(lists))
    if numbers and (min(numbers) < 0 or max(numbers) >= limit):
        raise PlainDataError("reference out of range in the feature table")


def features_of(parsed: ParsedError) -> ErrorFeatures:
    (fp, stype, full_type, code, template, tokens, token_set, quoted,
     specific) = _message_features(parsed.exc_type, parsed.message, parsed.code, parsed.language)
    lib: set[str] = set()
    app: set[str] = set()
    packages: set[str] = set()
    app_top = site = ""
    innermost_app = innermost = True
    for frame in reversed(parsed.frames[-40:]):
        if frame.kind != "app" and is_launcher_frame(frame, parsed.language):
            continue  # how the program was run, not why it failed (memory_store.errors.launchers)
        key = frame_key(frame)
        if frame.kind == "app" and innermost_app:
            innermost_app = False
            app_top = app_function_key(frame) or ""
        if innermost:
            innermost = False
            if key is not None and (frame.kind != "app" or ":" in key):
                site = key
        if key is None:
            continue
        if frame.kind == "app":
            if ":" in key:  # module-level code of a script says little: keep named functions only
                app.add(key)
        else:
            lib.add(key)
            pkg = package_of(frame)
            if pkg and frame.kind == "library":
                packages.add(pkg)
    context: set[str] = set()
    for extra in [*parsed.chain[-3:], parsed.detail[:500]]:
        if extra:
            context.update(template_tokens(message_template("", extra)))
    return _canonical(ErrorFeatures(
        fingerprint=fp, stype=stype, full_type=full_type, code=code, template=template, tokens=tokens,
        token_set=token_set, lib_frames=_fset(lib), app_frames=_fset(app), packages=_fset(packages),
        quoted=quoted, specific=specific, context_tokens=_fset(context - token_set), app_top=sys.intern(app_top),
        site=sys.intern(site)))


@lru_cache(maxsize=1 << 16)
def _message_features(exc_type: str, message: str, code: str | None, language: str = "") -> tuple[Any, ...]:
    """The features that depend on the type, message and code alone (fingerprint, template,
    words): computed once per distinct message, which a memory holds many times."""
    stype = short_type(exc_type).lower()
    if stype in GENERIC_TYPES:
        stype = ""
    template = message_template(exc_type, message)
    tokens = list(template_tokens(template))
    for t in type_tokens(exc_type):
        if t not in tokens:
            tokens.append(t)
    if code:
        tokens.append(code.lower())
    tokens = [sys.intern(t) for t in tokens]
    parsed = ParsedError(exc_type=exc_type, message=message, code=code)
    return (fingerprint(parsed), sys.intern(stype), exc_type.lower(), (code or "").lower(), template.lower(),
            tuple(tokens), _fset(tokens), _fset(quoted_values(template)),
            is_specific(exc_type, template, language, code or ""))


_EMPTY: frozenset[str] = frozenset()
_T = TypeVar("_T")
_CANON: dict[Any, Any] = {}
_CANON_MAX = 200_000


def _canonical(value: _T) -> _T:
    """One shared object for equal feature sets (duplicates are common in a memory): less memory."""
    if len(_CANON) >= _CANON_MAX:
        _CANON.clear()
    same: _T = _CANON.setdefault(value, value)
    return same


def _fset(items: Iterable[str]) -> frozenset[str]:
    """Interned strings and one shared empty set: records share most of their words."""
    out = frozenset(sys.intern(i) for i in items)
    return _canonical(out) if out else _EMPTY


@dataclass(slots=True)
class Entry:
    """One stored record and its features. A record restored from the cache stays JSON text
    (UTF-8) until something reads it (most never are: only matches are shown)."""

    id: str
    raw: bytes | None
    features: ErrorFeatures
    fix_norm: str
    loaded: dict[str, Any] | None = None

    @property
    def record(self) -> dict[str, Any]:
        if self.loaded is None:
            self.loaded = json.loads(self.raw or b"{}")
        return self.loaded

    def raw_json(self) -> bytes:
        """The record as JSON text in UTF-8 (as read from the cache, or encoded now; lone
        surrogates kept, as ``json.loads`` reads them back)."""
        if self.raw is not None:
            return self.raw
        return json.dumps(self.loaded, ensure_ascii=False).encode("utf-8", "surrogatepass")


@dataclass(slots=True)
class Group:
    """Records sharing one fingerprint, bucketed by their (normalized) fix text."""

    features: ErrorFeatures
    ids: dict[str, None] = field(default_factory=dict)
    """Insertion-ordered set of record ids."""
    by_fix: dict[str, dict[str, None]] = field(default_factory=dict)
    sampled: Sequence[str] = field(default=(), init=False, repr=False, compare=False)
    """The start of :meth:`sample`'s round-robin order, as far as asked for (matching asks for
    the same order at every query: it is kept until the group changes)."""

    def add(self, entry: Entry) -> None:
        self.ids[entry.id] = None
        bucket = self.by_fix.get(entry.fix_norm)
        if bucket is None:
            self.by_fix[entry.fix_norm] = {entry.id: None}
        else:
            bucket[entry.id] = None
        self.sampled = ()

    def remove(self, entry: Entry) -> None:
        self.ids.pop(entry.id, None)
        bucket = self.by_fix.get(entry.fix_norm)
        if bucket is not None:
            bucket.pop(entry.id, None)
            if not bucket:
                del self.by_fix[entry.fix_norm]
        self.sampled = ()

    def sample(self, n: int) -> list[str]:
        """Up to ``n`` record ids, round-robin over the distinct fixes so every fix is seen."""
        if len(self.ids) <= n:
            return list(self.ids)
        if len(self.sampled) < n:
            self.sampled = self._round_robin(n)
        return list(self.sampled[:n])

    def _round_robin(self, n: int) -> list[str]:
        out: list[str] = []
        iters = [iter(bucket) for bucket in self.by_fix.values()]
        while iters and len(out) < n:
            alive = []
            for it in iters:
                rid = next(it, None)
                if rid is not None:
                    out.append(rid)
                    alive.append(it)
                    if len(out) >= n:
                        break
            iters = alive
        return out


def normalize_fix(text: str) -> str:
    return " ".join((text or "").lower().split())


def parsed_from_record(record: dict[str, Any]) -> ParsedError:
    error = record.get("error")
    if not isinstance(error, dict):
        raise ValueError("record has no 'error' object")
    return ParsedError.from_json(error)


class TokenIndex:
    """Groups by fingerprint, posting lists token -> fingerprints, document frequencies."""

    def __init__(self) -> None:
        self.groups: dict[str, Group] = {}
        self.postings: dict[str, set[str]] = {}
        self.by_type: dict[str, set[str]] = {}
        self._idf = _IdfTable(self)
        self._idf_n = 0

    def add(self, entry: Entry) -> None:
        f = entry.features
        fp = f.fingerprint
        group = self.groups.get(fp)
        if group is None:
            group = self.groups[fp] = Group(f)
            postings = self.postings
            for tok in f.tokens:
                posting = postings.get(tok)
                if posting is None:
                    postings[tok] = {fp}
                else:
                    posting.add(fp)
            if self._idf:  # (empty while an index is being loaded)
                for tok in f.tokens:
                    self._idf.pop(tok, None)
            typed = self.by_type.get(f.stype)
            if typed is None:
                self.by_type[f.stype] = {fp}
            else:
                typed.add(fp)
        group.add(entry)

    def remove(self, entry: Entry) -> None:
        f = entry.features
        group = self.groups.get(f.fingerprint)
        if group is None:
            return
        group.remove(entry)
        if group.ids:
            return
        del self.groups[f.fingerprint]
        for tok in group.features.tokens:
            self._idf.pop(tok, None)
            posting = self.postings.get(tok)
            if posting is not None:
                posting.discard(f.fingerprint)
                if not posting:
                    del self.postings[tok]
        typed = self.by_type.get(f.stype)
        if typed is not None:
            typed.discard(f.fingerprint)
            if not typed:
                del self.by_type[f.stype]

    @property
    def idf(self) -> Callable[[str], float]:
        """The inverse document frequency of a word over groups (English function words count
        little), as a function: a look-up in a table filled on first use, which matching calls
        for every word of every candidate. The table drops a word when its posting list changes
        and is emptied when the number of groups has grown or shrunk by a tenth (checked here:
        the groups do not change while the function is used under the index's lock)."""
        n = len(self.groups)
        if abs(n - self._idf_n) * 10 > self._idf_n:
            self._idf.clear()
            self._idf_n = n
        return self._idf.__getitem__

    def _idf_of(self, token: str) -> float:
        df = len(self.postings.get(token, ()))
        value = math.log(1.0 + (self._idf_n + 1) / (df + 0.5))
        if token in STOPWORDS or len(token) == 1:
            value *= 0.25
        return value

    def candidates(self, query: ErrorFeatures, limit: int) -> list[str]:
        """Fingerprints of groups worth scoring, best first: the exact group, then groups
        sharing the query's rarest words (weighted by idf), then the same exception type.
        Posting lists are walked rarest first within a fixed budget, so a query costs the
        same at 1k or 100k records."""
        postings = self.postings
        exact = query.fingerprint in self.groups
        budget = POSTING_BUDGET
        # Ties broken by the word, then by fingerprint below: the same candidates in the same
        # order whatever the hash seed (set iteration order must not decide a ranking).
        toks = sorted(set(query.tokens), key=lambda t: (len(postings.get(t, ())), t))
        weighted: list[tuple[set[str], float]] = []
        for tok in toks:
            posting = postings.get(tok)
            if not posting:
                continue
            if len(posting) > budget:
                break
            budget -= len(posting)
            weighted.append((posting, self.idf(tok)))
        typed = self.by_type.get(query.stype) if query.stype else None
        if typed and len(typed) <= budget:
            weighted.append((typed, 0.5))
        return _best_keys(weighted, limit, query.fingerprint if exact else None)


class _IdfTable(dict[str, float]):
    """Word -> idf of a :class:`TokenIndex`, computed on first look-up."""

    def __init__(self, tokens: TokenIndex) -> None:
        super().__init__()
        self._tokens = tokens

    def __missing__(self, token: str) -> float:
        value = self[token] = self._tokens._idf_of(token)
        return value


def _best_keys(weighted: list[tuple[set[str], float]], limit: int, first: str | None) -> list[str]:
    """The ``limit`` keys with the largest sums of the weights of the sets holding them (ties
    by key), after ``first`` if given: what sorting every key of the sets by ``(-sum, key)``
    gives, sums added in list order, bit for bit."""
    by_sum = _keys_by_sum(weighted)
    out = [first] if first is not None else []
    for total in sorted(by_sum, reverse=True):
        need = limit - len(out)
        if need <= 0:
            break
        keys = by_sum[total]
        if first is not None and first in keys:
            keys = keys - {first}
        out.extend(heapq.nsmallest(need, keys) if len(keys) > 4 * need else sorted(keys)[:need])
    return out[:limit]


MAX_PARTS = 64
"""Past this many parts (keys held by many different combinations of the sets, which a query's
posting lists do not make) summing key by key costs less than splitting parts further."""


def _keys_by_sum(weighted: list[tuple[set[str], float]]) -> dict[float, set[str]]:
    """Every key of the sets by its sum of the weights of the sets holding it.

    Keys are not visited one by one in Python: they are split into disjoint parts by which sets
    hold them (each part's keys share one sum) with set operations. A query's sets hold hundreds
    of keys but form a few parts. The caller's sets are never changed."""
    parts: list[tuple[float, set[str]]] = []
    for i, (keys, w) in enumerate(weighted):
        if len(parts) > MAX_PARTS:
            return _sums_key_by_key(parts, weighted[i:])
        split: list[tuple[float, set[str]]] = []
        inside_parts: list[set[str]] = []
        for total, members in parts:
            inside = members & keys
            if inside:
                inside_parts.append(inside)
                split.append((total + w, inside))
                if len(inside) < len(members):
                    split.append((total, members - inside))
            else:
                split.append((total, members))
        if not inside_parts:
            split.append((w, keys))
        elif sum(map(len, inside_parts)) < len(keys):
            split.append((w, keys.difference(*inside_parts)))
        parts = split
    by_sum: dict[float, set[str]] = {}
    for total, members in parts:
        same = by_sum.get(total)
        by_sum[total] = members if same is None else same | members
    return by_sum


def _sums_key_by_key(parts: list[tuple[float, set[str]]], rest: list[tuple[set[str], float]]
                     ) -> dict[float, set[str]]:
    """:func:`_keys_by_sum` continued from ``parts`` one key at a time."""
    sums = {key: total for total, members in parts for key in members}
    for keys, w in rest:
        for key in keys:
            sums[key] = sums.get(key, 0.0) + w
    by_sum: dict[float, set[str]] = {}
    for key, total in sums.items():
        by_sum.setdefault(total, set()).add(key)
    return by_sum
