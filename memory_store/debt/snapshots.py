"""Debt snapshots: ``.teamlore/debt/snapshots/<date>_<commit>.json`` (schema ``teamlore.debt/1``).

One file per snapshot, so snapshots from a scan, from history (backfill) and from an
import never clobber each other and merge cleanly in git. A snapshot holds the totals,
per-file per-marker counts and, per file, the marker lines as ``"<line>: <text>"``
(redacted), which is what "added / resolved since the previous snapshot" compares.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any, cast

from memory_store.clock import format_iso, now_iso, parse_iso
from memory_store.debt.files import ScanResult
from memory_store.debt.markers import Marker
from memory_store.jsonio import FileProblem, MemoryFileError
from memory_store.record_types import DebtSnapshot
from memory_store.recordfiles import LoadResult, RecordDir
from memory_store.redact import redact
from memory_store.workspace import Workspace

KIND = "debt"
VERSION = 1
MAX_ITEMS = 20_000
"""Above this many markers a snapshot keeps counts only (files stay small and reviewable)."""


def snapshot_dir(workspace: Workspace) -> Path:
    return workspace.store / "debt" / "snapshots"


def snapshot_id(date: datetime, commit: str | None, tag: str | None = None) -> str:
    day = date.astimezone(timezone.utc).strftime("%Y-%m-%d")
    suffix = commit[:12] if commit else "worktree"
    if tag:
        suffix = f"{suffix}-{tag}" if commit else tag
    return f"{day}_{re.sub(r'[^A-Za-z0-9-]', '-', suffix)}"




def build_snapshot(result: ScanResult, *, date: datetime, commit: str | None, source: str,
                   markers: list[str] | tuple[str, ...], tag: str | None = None,
                   extra: dict[str, Any] | None = None) -> DebtSnapshot:
    """A snapshot record from a scan (of the working tree or of a commit)."""
    files = {path: _counts(items) for path, items in sorted(result.files.items())}
    rec: DebtSnapshot = {
        "id": snapshot_id(date, commit, tag),
        "date": format_iso(date),
        "commit": commit,
        "source": source,
        "markers": list(markers),
        "total": result.total,
        "by_marker": {m: 0 for m in markers} | result.by_marker(),
        "files": files,
        "files_considered": result.considered,
        "created": now_iso(),
    }
    if result.total <= MAX_ITEMS:
        rec["items"] = {path: [f"{m.line}: {_redacted(m.text)}" for m in items]
                        for path, items in sorted(result.files.items())}
    if extra:
        rec.update(extra)  # type: ignore[typeddict-item]  # fields of other tools are kept as they are
    return rec


@lru_cache(maxsize=65536)
def _redacted(text: str) -> str:
    """Marker texts repeat from snapshot to snapshot: redact each once."""
    return redact(text)


def _counts(items: list[Marker]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for m in items:
        counts[m.marker] = counts.get(m.marker, 0) + 1
    return dict(sorted(counts.items()))


def parse_item(item: str) -> tuple[int | None, str]:
    """``"12: TODO x"`` -> ``(12, "TODO x")``."""
    head, sep, rest = item.partition(": ")
    if sep and head.isdecimal():
        return int(head), rest
    return None, item


def validate_snapshot(path: Path, rec: dict[str, Any]) -> None:
    def bad(reason: str) -> MemoryFileError:
        return MemoryFileError(FileProblem(path, reason))

    total = rec.get("total")
    if not isinstance(total, int) or isinstance(total, bool) or total < 0:
        raise bad("field 'total' must be a whole number >= 0")
    date = rec.get("date")
    if not isinstance(date, str):
        raise bad("field 'date' must be an ISO date string")
    try:
        parse_iso(date)
    except ValueError:
        raise bad(f"field 'date' is not an ISO date: {date!r}") from None
    files = rec.get("files", {})
    if not isinstance(files, dict):
        raise bad("field 'files' must be an object")
    for name, counts in files.items():
        if not isinstance(counts, dict) or not all(
                isinstance(v, int) and not isinstance(v, bool) for v in counts.values()):
            raise bad(f"field 'files.{name}' must map markers to whole numbers")
    items = rec.get("items")
    if items is not None and (not isinstance(items, dict) or not all(
            isinstance(v, list) and all(isinstance(s, str) for s in v) for v in items.values())):
        raise bad("field 'items' must map paths to lists of strings")
    for name in ("by_marker",):
        value = rec.get(name, {})
        if not isinstance(value, dict):
            raise bad(f"field '{name}' must be an object")


@dataclass(frozen=True)
class Point:
    """One value of the debt series."""

    date: datetime
    total: int
    id: str


class SnapshotStore:
    def __init__(self, workspace: Workspace):
        self.workspace = workspace
        self.records = RecordDir(snapshot_dir(workspace), KIND, VERSION, lock_dir=workspace.cache, workspace=workspace)

    def save(self, rec: DebtSnapshot) -> Path:
        self.workspace.ensure_store()
        return self.records.write(rec)

    def exists(self, snapshot_id: str) -> bool:
        return self.records.exists(snapshot_id)

    def load(self) -> LoadResult:
        return self.records.load_all(validate_snapshot)

    def ordered(self) -> list[DebtSnapshot]:
        """Readable snapshots, oldest first; of several on one day, the latest one only."""
        by_day: dict[str, DebtSnapshot] = {}
        for raw in self.load().records.values():
            rec = cast(DebtSnapshot, raw)  # checked by validate_snapshot
            when = parse_iso(rec["date"])
            day = when.strftime("%Y-%m-%d")
            key = (when, rec.get("created", ""), rec["id"])
            best = by_day.get(day)
            if best is None or key > (parse_iso(best["date"]), best.get("created", ""), best["id"]):
                by_day[day] = rec
        return sorted(by_day.values(), key=lambda r: parse_iso(r["date"]))

    def series(self) -> list[Point]:
        return [Point(parse_iso(r["date"]), r["total"], r["id"]) for r in self.ordered()]
