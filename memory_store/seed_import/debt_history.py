"""Debt history from elsewhere: the seed tool's ``debt_history.json`` and plain CSV.

Imported snapshots carry ``source`` ``import:empathy`` or ``import:csv`` and no commit.
Their ids are derived from their content, so importing the same file twice adds nothing.
Fields of the seed format that teamlore has no place for (``by_severity``, ``hotspots``,
unknown keys) are kept under ``"empathy"`` in the snapshot, so nothing is lost.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from typing import Any

from memory_store.clock import format_iso, now_iso, parse_iso
from memory_store.debt.snapshots import SnapshotStore, snapshot_id
from memory_store.jsonio import JsonInputError, loads_input
from memory_store.record_types import DebtSnapshot
from memory_store.workspace import UnsafePathError, Workspace

ALL = "ALL"
"""Marker key for per-file counts that do not say which marker (seed ``by_file``)."""


class ImportFormatError(ValueError):
    """The file to import cannot be read as debt history (message names line/field)."""


def _digest(obj: Any) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest()[:8]


def _count(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int) and value >= 0:
        return value
    if isinstance(value, float) and value.is_integer() and value >= 0:
        return int(value)
    return None


def _snapshot(date_text: str, total: int, by_marker: dict[str, int], files: dict[str, dict[str, int]],
              source: str, tag: str, extra: dict[str, Any]) -> DebtSnapshot:
    when = parse_iso(date_text)
    rec: DebtSnapshot = {
        "id": snapshot_id(when, None, tag),
        "date": format_iso(when),
        "commit": None,
        "source": source,
        "markers": sorted(by_marker),
        "total": total,
        "by_marker": dict(sorted(by_marker.items())),
        "files": files,
        "created": now_iso(),
    }
    rec.update(extra)  # type: ignore[typeddict-item]  # the imported tool's own fields, kept as they are
    return rec


def _save_all(workspace: Workspace, records: list[DebtSnapshot]) -> tuple[int, int]:
    store = SnapshotStore(workspace)
    imported = existing = 0
    for rec in records:
        if store.exists(rec["id"]):
            existing += 1
            continue
        store.save(rec)
        imported += 1
    return imported, existing


def parse_history_json(text: str, name: str) -> Any:
    """The decoded debt-history JSON (strict, depth-capped); :class:`ImportFormatError` otherwise."""
    try:
        return loads_input(text)
    except JsonInputError as exc:
        raise ImportFormatError(f"{name}:{exc.line}: {exc.reason}" if exc.line else f"{name}: {exc.reason}") from None


def import_empathy_history(workspace: Workspace, data: dict[str, Any]) -> dict[str, Any]:
    """Import the seed tool's ``patterns/tech_debt/debt_history.json`` (already parsed).

    Returns ``{"imported", "existing", "skipped": [{"index", "reason"}], "total"}``;
    entries that cannot be used are skipped with a reason, the others are written.
    """
    if not isinstance(data, dict) or not isinstance(data.get("snapshots"), list):
        raise ImportFormatError("debt history: expected an object with a list 'snapshots'")
    records: list[DebtSnapshot] = []
    skipped: list[dict[str, Any]] = []
    for index, snap in enumerate(data["snapshots"]):
        if not isinstance(snap, dict):
            skipped.append({"index": index, "reason": "not an object"})
            continue
        date_text = snap.get("date")
        try:
            if not isinstance(date_text, str):
                raise ValueError
            parse_iso(date_text)
        except ValueError:
            skipped.append({"index": index, "reason": f"field 'date' is not an ISO date: {date_text!r}"})
            continue
        total = _count(snap.get("total_items"))
        if total is None:
            skipped.append({"index": index, "reason": "field 'total_items' must be a whole number >= 0"})
            continue
        by_type = snap["by_type"] if isinstance(snap.get("by_type"), dict) else {}
        by_marker = {str(k).upper(): n for k, v in by_type.items() if (n := _count(v)) is not None}
        files: dict[str, dict[str, int]] = {}
        dropped_paths: list[str] = []
        by_file = snap["by_file"] if isinstance(snap.get("by_file"), dict) else {}
        for path, value in by_file.items():
            n = _count(value)
            try:
                rel = workspace.relative(str(path))
            except UnsafePathError:
                dropped_paths.append(str(path))
                continue
            if n:
                files[rel] = {ALL: n}
        kept = {k: v for k, v in snap.items() if k not in ("date", "total_items", "by_type")}
        if dropped_paths:
            kept["paths_outside_workspace"] = dropped_paths
        records.append(_snapshot(date_text, total, by_marker, dict(sorted(files.items())),
                                 "import:empathy", f"empathy-{_digest(snap)}", {"empathy": kept}))
    imported, existing = _save_all(workspace, records)
    return {"imported": imported, "existing": existing, "skipped": skipped,
            "total": len(data["snapshots"])}


def import_csv(workspace: Workspace, text: str, name: str = "CSV") -> dict[str, Any]:
    """Import ``date,count[,MARKER...]`` rows (header optional when only two columns).

    The whole file is checked first; any bad row is an :class:`ImportFormatError`
    naming the line, and nothing is written.
    """
    rows = [r for r in csv.reader(io.StringIO(text)) if any(c.strip() for c in r)]
    if not rows:
        raise ImportFormatError(f"{name}: empty")
    header = [c.strip() for c in rows[0]]
    start = 0
    markers: list[str] = []
    if header and header[0].lower() == "date":
        if len(header) < 2 or header[1].lower() not in ("count", "total"):
            raise ImportFormatError(f"{name}:1: expected columns date,count[,MARKER...]")
        markers = [h.upper() for h in header[2:]]
        start = 1
    records = []
    for offset, row in enumerate(rows[start:], start=start + 1):
        cells = [c.strip() for c in row]
        if len(cells) < 2 or (not markers and len(cells) > 2) or (markers and len(cells) != len(header)):
            raise ImportFormatError(f"{name}:{offset}: expected {len(header) if markers else 2} columns")
        try:
            parse_iso(cells[0])
        except ValueError:
            raise ImportFormatError(f"{name}:{offset}: 'date' is not an ISO date: {cells[0]!r}") from None
        values = []
        for col, cell in zip(["count", *markers], cells[1:], strict=True):
            try:
                n = int(cell)
            except ValueError:
                n = -1
            if n < 0:
                raise ImportFormatError(f"{name}:{offset}: '{col}' must be a whole number >= 0, got {cell!r}")
            values.append(n)
        by_marker = dict(zip(markers, values[1:], strict=True))
        records.append(_snapshot(cells[0], values[0], by_marker, {}, "import:csv",
                                 f"csv-{_digest(cells)}", {}))
    imported, existing = _save_all(workspace, records)
    return {"imported": imported, "existing": existing, "skipped": [], "total": len(records)}
