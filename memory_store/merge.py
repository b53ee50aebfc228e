"""Merging two versions of one memory record: the rules behind ``teamlore merge-file``.

Ids are content-derived, so two branches that record the same thing write the same file
with different per-occurrence details (when, who, how long). Git sees an add/add conflict;
these rules resolve it without losing anything and without ever producing a file teamlore
cannot read. Every rule is symmetric: merging A into B and B into A gives the same bytes,
so later merges of the two results are clean.

- Bug records (``teamlore.bug``). Recorded on both sides (no common version): the earliest
  recording (``created``; ties by content) is the record, the other one is kept in
  ``also_recorded`` (its ``created``, ``author``, ``minutes`` and every field that differs),
  ``occurrences`` add up, ``updated`` is the later one, ``tags`` are the union. Changed on
  both sides since a common version: field by field; a field changed on one side takes that
  change, ``occurrences`` add both sides' increments (even when they reach the same count),
  lists (``tags``, ``also_recorded``, ``empathy_also``) take both sides' additions and
  removals, ``created`` the earlier and ``updated`` the later value, any other field changed
  on both sides the more recently updated side's value.
- Security decisions and policies (``teamlore.security``): the newer version wins whole, by
  its latest timestamp, the rule sync applies (:func:`memory_store.sync.apply.decision_stamp`).
- Debt snapshots (``teamlore.debt``): the same id is the same day and commit. Two snapshots
  that differ only in ``created`` keep the earlier; otherwise the later scan wins whole.

Anything else (an unreadable side, an unknown or newer schema, sides of different kinds or
ids) raises :class:`MergeRefused`: the caller leaves its file alone and git reports an
ordinary conflict.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from memory_store.jsonio import MAX_FILE_BYTES, MemoryFileError, atomic_write_text, dumps, read_json
from memory_store.recordfiles import RecordDir

Record = dict[str, Any]
_MISSING: Any = object()


class MergeRefused(Exception):
    """The versions cannot be merged safely; the message is one line saying why."""


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _list_merge(base: Any, ours: Any, theirs: Any) -> list[Any]:
    """Both sides' additions and removals of list items, in a deterministic order."""

    def items(value: Any) -> dict[str, Any]:
        return {_canonical(v): v for v in value} if isinstance(value, list) else {}

    b, o, t = items(base), items(ours), items(theirs)
    keep = (o.keys() & t.keys()) | (o.keys() - b.keys()) | (t.keys() - b.keys())
    merged = {**o, **t}
    return [merged[key] for key in sorted(keep)]


def _count(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 1


# --- bug records -------------------------------------------------------------------------

_BUG_LISTS = ("tags", "also_recorded", "empathy_also")
_BUG_MERGED = frozenset({"id", "schema", "occurrences", "updated", *_BUG_LISTS})
_OCCURRENCE_FIELDS = ("created", "author", "minutes")


def _bug_order(rec: Record) -> tuple[str, str]:
    created = rec.get("created")
    return (created if isinstance(created, str) else "", _canonical(rec))


def _later_str(a: Any, b: Any) -> Any:
    strings = [v for v in (a, b) if isinstance(v, str)]
    return max(strings) if strings else a


def _earlier_str(a: Any, b: Any) -> Any:
    strings = [v for v in (a, b) if isinstance(v, str)]
    return min(strings) if strings else a


def _recording(rec: Record, primary: Record) -> Record:
    """What one recording of a bug adds to the record kept: who, when, how long, what differs."""
    entry = {k: rec[k] for k in _OCCURRENCE_FIELDS if k in rec}
    entry.update({k: v for k, v in rec.items() if k not in _BUG_MERGED and v != primary.get(k, _MISSING)})
    return entry


def _bug_union(ours: Record, theirs: Record) -> Record:
    """The same bug recorded on both sides, independently."""
    primary, other = sorted((ours, theirs), key=_bug_order)
    merged = {**{k: v for k, v in other.items() if k not in _BUG_MERGED}, **primary}
    merged["occurrences"] = _count(primary.get("occurrences")) + _count(other.get("occurrences"))
    merged["updated"] = _later_str(primary.get("updated"), other.get("updated"))
    for name in ("tags", "empathy_also"):
        if name in primary or name in other:
            merged[name] = _list_merge(None, primary.get(name), other.get(name))
    merged["also_recorded"] = _list_merge(None, primary.get("also_recorded"),
                                          [*(other.get("also_recorded") or []), _recording(other, primary)])
    return merged


def _bug_field(name: str, base: Any, ours: Any, theirs: Any, newer: Any) -> Any:
    """One field changed differently on both sides since ``base``."""
    if name == "occurrences":
        b = _count(base) if base is not _MISSING else 0
        o = _count(ours) if ours is not _MISSING else b
        t = _count(theirs) if theirs is not _MISSING else b
        return max(1, b + (o - b) + (t - b))
    if name in _BUG_LISTS:
        return _list_merge(None if base is _MISSING else base, ours, theirs)
    if name == "created":
        return _earlier_str(ours, theirs)
    if name == "updated":
        return _later_str(ours, theirs)
    return newer


def _bug_three_way(base: Record, ours: Record, theirs: Record) -> Record:
    newer_side = max((ours, theirs), key=lambda r: (str(r.get("updated") or ""), _canonical(r)))
    merged: Record = {}
    for name in sorted(base.keys() | ours.keys() | theirs.keys()):
        b, o, t = (r.get(name, _MISSING) for r in (base, ours, theirs))
        if name == "occurrences" and (o is not _MISSING or t is not _MISSING):
            value = _bug_field(name, b, o, t, _MISSING)  # two recurrences counted alike are still two
        elif o == t:
            value = o
        elif o == b:
            value = t
        elif t == b:
            value = o
        else:
            value = _bug_field(name, b, o, t, newer_side.get(name, _MISSING))
        if value is not _MISSING:
            merged[name] = value
    return merged


def merge_bug(base: Record | None, ours: Record, theirs: Record) -> Record:
    if ours == theirs:
        return ours
    if base is None:
        return _bug_union(ours, theirs)
    if ours == base:
        return theirs
    if theirs == base:
        return ours
    return _bug_three_way(base, ours, theirs)


# --- security decisions and debt snapshots -----------------------------------------------

def merge_decision(base: Record | None, ours: Record, theirs: Record) -> Record:
    from memory_store.sync.apply import decision_stamp

    if base is not None and ours == base:
        return theirs
    if base is not None and theirs == base:
        return ours
    return max((ours, theirs), key=lambda r: (decision_stamp(r), _canonical(r)))


def merge_snapshot(base: Record | None, ours: Record, theirs: Record) -> Record:
    if base is not None and ours == base:
        return theirs
    if base is not None and theirs == base:
        return ours
    same_scan = {k: v for k, v in ours.items() if k != "created"} == \
        {k: v for k, v in theirs.items() if k != "created"}
    pick = min if same_scan else max
    return pick((ours, theirs), key=lambda r: (str(r.get("created") or ""), _canonical(r)))


# --- kinds and files -----------------------------------------------------------------------

Validator = Callable[[Path, Record], None]
Merger = Callable[[Record | None, Record, Record], Record]


@dataclass(frozen=True)
class Kind:
    name: str
    version: int
    validator: Callable[[], Validator]
    merge: Merger


def _bug_validator() -> Validator:
    from memory_store.bugs.records import validate_bug

    return validate_bug


def _decision_validator() -> Validator:
    from memory_store.security.decisions import validate_record

    return validate_record


def _snapshot_validator() -> Validator:
    from memory_store.debt.snapshots import validate_snapshot

    return validate_snapshot


KINDS: dict[str, Kind] = {k.name: k for k in (
    Kind("bug", 1, _bug_validator, merge_bug),
    Kind("security", 1, _decision_validator, merge_decision),
    Kind("debt", 1, _snapshot_validator, merge_snapshot),
)}


def _kind_of(obj: Any) -> Kind:
    schema = obj.get("schema") if isinstance(obj, dict) else None
    name = schema.split("/", 1)[0].removeprefix("teamlore.") if isinstance(schema, str) else None
    kind = KINDS.get(name or "")
    if kind is None or not isinstance(schema, str) or not schema.startswith("teamlore."):
        raise MergeRefused(f"not a teamlore record (schema {schema!r})")
    return kind


def check_record(obj: Any, path: Path, kind: Kind | None = None) -> Record:
    """``obj`` as a record of ``kind`` (of its own schema's kind when None) named ``path``,
    checked exactly as loading checks it, or :class:`MergeRefused`."""
    kind = kind or _kind_of(obj)
    if _kind_of(obj) is not kind:
        raise MergeRefused(f"the two sides hold different kinds of record ({obj.get('schema')!r})")
    try:
        RecordDir(path.parent, kind.name, kind.version).validate(path, obj)
        kind.validator()(path, obj)
    except MemoryFileError as exc:
        raise MergeRefused(exc.problem.reason) from None
    record: Record = obj
    return record


def merge_records(base: Any, ours: Any, theirs: Any, path: Path) -> Record:
    """The merged record of ``ours`` and ``theirs`` (parsed JSON) stored at ``path`` (for its
    id); ``base`` is the common version or None. Raises :class:`MergeRefused`."""
    kind = _kind_of(ours)
    ours = check_record(ours, path, kind)
    theirs = check_record(theirs, path, kind)
    if base is not None:
        try:
            base = check_record(base, path, kind)
        except MergeRefused:
            base = None  # an unusable common version: merge as if both sides added the record
    merged = kind.merge(base, ours, theirs)
    # Checked again the way loading will check it: never write what teamlore cannot read.
    checked = check_record(json.loads(dumps(merged)), path, kind)
    if len(dumps(checked).encode("utf-8")) > MAX_FILE_BYTES:
        raise MergeRefused(f"the merged record would be larger than {MAX_FILE_BYTES} bytes")
    return checked


def _read_side(path: Path, what: str, *, may_be_empty: bool = False) -> Any:
    try:
        if may_be_empty and path.stat().st_size == 0:
            return None
        return read_json(path)
    except OSError as exc:
        raise MergeRefused(f"{what} version: cannot read: {exc.strerror or exc}") from None
    except MemoryFileError as exc:
        line = f" (line {exc.problem.line})" if exc.problem.line else ""
        raise MergeRefused(f"{what} version: {exc.problem.reason}{line}") from None


def merge_files(base: Path, ours: Path, theirs: Path, record_path: Path | None = None) -> Record:
    """Merge three files as git's merge driver does: the result replaces ``ours`` atomically,
    and only when it is a readable record. ``record_path`` is the file's path in the
    repository (``%P``); without it the id is taken from ``ours``. An empty ``base`` means
    both sides added the file. Raises :class:`MergeRefused` and then changes nothing."""
    ours_obj = _read_side(ours, "our")
    theirs_obj = _read_side(theirs, "their")
    try:
        base_obj = _read_side(base, "common", may_be_empty=True)
    except MergeRefused:
        base_obj = None
    if record_path is None:
        record_id = ours_obj.get("id") if isinstance(ours_obj, dict) else None
        if not isinstance(record_id, str):
            raise MergeRefused("our version: not a teamlore record (no id)")
        record_path = Path(f"{record_id}.json")
    merged = merge_records(base_obj, ours_obj, theirs_obj, record_path)
    try:
        atomic_write_text(ours, dumps(merged))
    except OSError as exc:
        raise MergeRefused(f"cannot write the merged record: {exc.strerror or exc}") from None
    return merged
