"""Features of stored bug records and the inverted index used for candidate blocking.

Records with the same fingerprint (exception type + code + message template) form a
*group*; message similarity is computed once per group. Token document frequencies are
counted over groups, so a bug recorded fifty times does not make its words look common.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from memory_store.errors.frames import package_of
from memory_store.errors.model import ParsedError
from memory_store.errors.normalize import (
    STOPWORDS,
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
MAX_POSTING_FOR_BLOCKING = 4000
"""Posting lists longer than this are not used to find candidates (the word is too common)."""


@dataclass(frozen=True)
class ErrorFeatures:
    """What the matcher compares, computed once per record and per query."""

    fingerprint: str
    stype: str
    """Short exception type, lower case; '' when unknown (generic ``error: ...`` lines)."""
    full_type: str
    code: str
    template: str
    tokens: tuple[str, ...]
    lib_frames: frozenset[str]
    app_frames: frozenset[str]
    packages: frozenset[str]
    specific: bool = True
    """False for a built-in exception whose message names nothing particular."""
    quoted: frozenset[str] = frozenset()
    """Quoted identifiers of the message (``'cv2'``): a different one means a different thing failed."""
    context_tokens: frozenset[str] = frozenset()
    """Words of chained causes and message continuation lines (weaker evidence)."""

    @property
    def has_frames(self) -> bool:
        return bool(self.lib_frames or self.app_frames)


def features_of(parsed: ParsedError) -> ErrorFeatures:
    stype = short_type(parsed.exc_type).lower()
    if stype in GENERIC_TYPES:
        stype = ""
    template = message_template(parsed.exc_type, parsed.message)
    tokens = list(template_tokens(template))
    for t in type_tokens(parsed.exc_type):
        if t not in tokens:
            tokens.append(t)
    if parsed.code:
        tokens.append(parsed.code.lower())
    lib: set[str] = set()
    app: set[str] = set()
    packages: set[str] = set()
    for frame in parsed.frames[-40:]:
        key = frame_key(frame)
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
    return ErrorFeatures(
        fingerprint=fingerprint(parsed), stype=stype, full_type=parsed.exc_type.lower(),
        code=(parsed.code or "").lower(), template=template.lower(), tokens=tuple(tokens),
        lib_frames=frozenset(lib), app_frames=frozenset(app), packages=frozenset(packages),
        quoted=quoted_values(template), specific=is_specific(parsed.exc_type, template),
        context_tokens=frozenset(context) - set(tokens))


@dataclass
class Entry:
    """One stored record and its features."""

    id: str
    record: dict[str, Any]
    features: ErrorFeatures
    fix_norm: str


@dataclass
class Group:
    """Records sharing one fingerprint."""

    features: ErrorFeatures
    ids: dict[str, None] = field(default_factory=dict)
    """Insertion-ordered set of record ids."""


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

    def add(self, entry: Entry) -> None:
        f = entry.features
        group = self.groups.get(f.fingerprint)
        if group is None:
            group = Group(f)
            self.groups[f.fingerprint] = group
            for tok in f.tokens:
                self.postings.setdefault(tok, set()).add(f.fingerprint)
            self.by_type.setdefault(f.stype, set()).add(f.fingerprint)
        group.ids[entry.id] = None

    def remove(self, entry: Entry) -> None:
        f = entry.features
        group = self.groups.get(f.fingerprint)
        if group is None:
            return
        group.ids.pop(entry.id, None)
        if group.ids:
            return
        del self.groups[f.fingerprint]
        for tok in group.features.tokens:
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

    def idf(self, token: str) -> float:
        """Inverse document frequency over groups; English function words count little."""
        n = len(self.groups) + 1
        df = len(self.postings.get(token, ()))
        value = math.log(1.0 + n / (df + 0.5))
        return value * 0.25 if token in STOPWORDS or len(token) == 1 else value

    def candidates(self, query: ErrorFeatures, limit: int) -> list[str]:
        """Fingerprints of groups worth scoring: the exact group, then groups sharing the
        query's rarest words (weighted by idf), then the same exception type when the
        message offers nothing selective."""
        scores: dict[str, float] = {}
        if query.fingerprint in self.groups:
            scores[query.fingerprint] = float("inf")
        toks = sorted(set(query.tokens), key=lambda t: len(self.postings.get(t, ())))
        for tok in toks:
            posting = self.postings.get(tok)
            if not posting:
                continue
            if len(posting) > MAX_POSTING_FOR_BLOCKING:
                break
            w = self.idf(tok)
            for fp in posting:
                scores[fp] = scores.get(fp, 0.0) + w
        typed = self.by_type.get(query.stype) if query.stype else None
        if typed and len(typed) <= MAX_POSTING_FOR_BLOCKING:
            for fp in typed:
                scores[fp] = scores.get(fp, 0.0) + 0.5
        if len(scores) <= limit:
            return list(scores)
        return sorted(scores, key=scores.__getitem__, reverse=True)[:limit]
