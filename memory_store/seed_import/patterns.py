"""Migrating the seed tool's ``patterns/`` directory (empathy-framework 4.x).

* ``debugging/bug_*.json`` become bug records. Nothing is lost: the original object is
  kept under ``"empathy"``. Bugs still ``"investigating"`` become *open* records (no fix).
* ``security/team_decisions.json`` goes to
  :func:`memory_store.seed_import.security_decisions.import_decisions` and
  ``tech_debt/debt_history.json`` to :func:`memory_store.seed_import.debt_history.import_empathy_history`.
  When a part fails on its file, the file is kept in ``.teamlore/.inbox/empathy-pending/``,
  reported as pending, and handed over again on a later import.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from memory_store import confine
from memory_store.bugs.records import BugStore, EmptyErrorText
from memory_store.clock import format_iso, parse_iso
from memory_store.jsonio import MemoryFileError, atomic_write_text, read_json
from memory_store.record_types import BugRecord
from memory_store.seed_import.debt_history import import_empathy_history
from memory_store.seed_import.security_decisions import import_decisions
from memory_store.workspace import UnsafePathError, Workspace, check_relative

log = logging.getLogger(__name__)

EMPATHY_ERROR_TYPES = {"null_reference", "type_mismatch", "async_timing", "import_error", "api_error", "unknown"}
PENDING_DIR = "empathy-pending"


Importer = Callable[[Workspace, dict[str, Any]], dict[str, Any]]


@dataclass(frozen=True)
class Part:
    """A seed-tool file handed to another part of teamlore."""

    name: str
    relpath: str
    importer: Importer

    @property
    def module(self) -> str:
        return self.importer.__module__

    @property
    def function(self) -> str:
        return self.importer.__name__


PARTS = (
    Part("security", "security/team_decisions.json", import_decisions),
    Part("debt", "tech_debt/debt_history.json", import_empathy_history),
)


class NotAPatternsDir(ValueError):
    """The directory holds none of the seed tool's files."""


def find_patterns_dir(path: Path) -> Path:
    """``path`` itself or its ``patterns/`` child, whichever holds the seed tool's folders."""
    for candidate in (path, path / "patterns"):
        if any((candidate / sub).is_dir() for sub in ("debugging", "security", "tech_debt")):
            return candidate
    raise NotAPatternsDir(f"{path}: no debugging/, security/ or tech_debt/ folder (not a patterns directory)")


def _iso(value: Any) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        return format_iso(parse_iso(value))
    except ValueError:
        return None


def _text(obj: dict[str, Any], key: str) -> str:
    value = obj.get(key)
    return value.strip() if isinstance(value, str) else ""


def convert_bug(workspace: Workspace, obj: dict[str, Any], source_name: str) -> tuple[BugRecord, list[str]]:
    """One seed bug as a teamlore record (not written) and the reasons it needs review.

    Raises ``ValueError`` when it cannot be imported at all.
    """
    message = _text(obj, "error_message")
    if not message:
        raise ValueError("no error_message")
    review: list[str] = []
    status = _text(obj, "status") or "resolved"
    fix = _text(obj, "fix_applied")
    if status == "investigating":
        fix = ""
    elif status != "resolved":
        review.append(f"unknown status {status!r}")
    if status == "resolved" and not fix:
        review.append("resolved without a fix description (imported as open)")
    file_path = _text(obj, "file_path") or None
    if file_path:
        try:
            file_path = workspace.relative(file_path) if Path(file_path).is_absolute() else check_relative(file_path)
        except UnsafePathError:
            review.append(f"file_path {file_path!r} is outside the workspace (not kept as the record's file)")
            file_path = None
    minutes = obj.get("resolution_time_minutes")
    if isinstance(minutes, bool) or not isinstance(minutes, (int, float)) or minutes <= 0 or not fix:
        minutes = None
    error_type = obj.get("error_type")
    if error_type is not None and error_type not in EMPATHY_ERROR_TYPES:
        review.append(f"unknown error_type {error_type!r}")
    if obj.get("bug_id") and obj.get("bug_id") != Path(source_name).stem:
        review.append(f"bug_id {obj.get('bug_id')!r} differs from the file name")
    created = _iso(obj.get("date"))
    resolved = _iso(obj.get("resolved_date"))
    extra: dict[str, Any] = {"empathy": obj, "empathy_file": source_name}
    if created:
        extra["created"] = created
        extra["updated"] = resolved or created
    if resolved and fix:
        extra["resolved"] = resolved
    if isinstance(obj.get("fix_code"), str) and obj["fix_code"].strip():
        extra["fix_code"] = obj["fix_code"]
    if review:
        extra["review"] = review
    store = BugStore(workspace)
    try:
        rec = store.build(message, fix, root_cause=_text(obj, "root_cause"), file=file_path, minutes=minutes,
                          author=_text(obj, "resolved_by") or "unknown", source="empathy", extra=extra)
    except EmptyErrorText:
        raise ValueError("error_message holds no error text") from None
    rec["status"] = "resolved" if fix else "open"
    return rec, review


def _import_bugs(workspace: Workspace, directory: Path,
                 progress: Callable[[Iterable[Path]], Iterator[Path]]) -> dict[str, Any]:
    report: dict[str, Any] = {"imported": 0, "open": 0, "existing": 0, "ids": [], "skipped": [], "review": []}
    files = sorted(directory.glob("*.json")) if directory.is_dir() else []
    store = BugStore(workspace)
    for path in progress(files):
        name = f"debugging/{path.name}"
        try:
            obj = read_json(path)
        except MemoryFileError as exc:
            line = f" (line {exc.problem.line})" if exc.problem.line else ""
            report["skipped"].append({"file": name, "reason": exc.problem.reason + line})
            continue
        if not isinstance(obj, dict):
            report["skipped"].append({"file": name, "reason": "not a JSON object"})
            continue
        try:
            rec, review = convert_bug(workspace, obj, path.name)
        except (ValueError, UnsafePathError) as exc:
            report["skipped"].append({"file": name, "reason": str(exc)})
            continue
        stored, created = store.save(rec)
        if not created:
            report["existing"] += 1
            if _merge_duplicate(store, stored, obj):
                report["skipped"].append({"file": name, "reason": f"same error and fix as {stored['id']}: "
                                          "kept there under 'empathy_also' and counted as a recurrence"})
            else:
                report["skipped"].append({"file": name, "reason": f"already imported as {stored['id']}"})
            continue
        report["imported"] += 1
        report["ids"].append(stored["id"])
        if stored.get("status") == "open":
            report["open"] += 1
        if review:
            report["review"].append({"id": stored["id"], "file": name, "reasons": review})
    return report


def _merge_duplicate(store: BugStore, stored: BugRecord, obj: dict[str, Any]) -> bool:
    """Keep a second seed bug with the same error and fix on the existing record."""
    known = [stored.get("empathy"), *(stored.get("empathy_also") or [])]
    if obj in known:
        return False

    def change(rec: dict[str, Any]) -> dict[str, Any]:
        rec["empathy_also"] = [*(rec.get("empathy_also") or []), obj]
        rec["occurrences"] = int(rec.get("occurrences") or 1) + 1
        return rec

    store.files.update(stored["id"], change)
    return True


def _importer(part: Part) -> Importer | None:
    """The function that takes ``part``'s file; None keeps the file pending."""
    return part.importer


def _pending_path(workspace: Workspace, part: Part) -> Path:
    return workspace.inbox / PENDING_DIR / f"{part.name}-{Path(part.relpath).name}"


def _hand_over(workspace: Workspace, part: Part, path: Path) -> dict[str, Any]:
    """Give one seed file to its part, or keep it as pending. Never drops it."""
    try:
        data = read_json(path)
    except MemoryFileError as exc:
        return {"status": "skipped", "reason": str(exc.problem.reason), "file": part.relpath}
    if not isinstance(data, dict):
        return {"status": "skipped", "reason": "not a JSON object", "file": part.relpath}
    pending = _pending_path(workspace, part)
    fn = _importer(part)
    if fn is not None:
        try:
            counts = fn(workspace, data)
        except Exception as exc:  # a failing part must not lose the file
            log.exception("empathy import of %s failed", part.relpath)
            reason = f"{type(exc).__name__}: {exc}"
        else:
            confine.unlink(pending)
            return {"status": "imported", "counts": counts if isinstance(counts, dict) else {}, "file": part.relpath}
    else:
        reason = f"{part.module}.{part.function} is not available"
    workspace.ensure_store()
    if path != pending:
        atomic_write_text(pending, path.read_text(encoding="utf-8"))
    return {"status": "pending", "reason": reason, "kept": pending.relative_to(workspace.root).as_posix(),
            "file": part.relpath}


def import_patterns(workspace: Workspace, patterns_dir: Path,
                    progress: Callable[[Iterable[Path]], Iterator[Path]] | None = None) -> dict[str, Any]:
    """Import a seed-tool ``patterns/`` directory; return the report (counts and reasons)."""
    directory = find_patterns_dir(patterns_dir)
    report: dict[str, Any] = {"source": str(directory),
                              "bugs": _import_bugs(workspace, directory / "debugging", progress or iter)}
    for part in PARTS:
        source = directory / part.relpath
        if source.is_file():
            report[part.name] = _hand_over(workspace, part, source)
        elif (pending := _pending_path(workspace, part)).is_file():
            report[part.name] = _hand_over(workspace, part, pending)
        else:
            report[part.name] = {"status": "absent", "file": part.relpath}
    bugs = report["bugs"]
    parts = [report[p.name] for p in PARTS]
    report["totals"] = {
        "imported": bugs["imported"] + sum(_count(p.get("counts") or {}, ("imported",)) for p in parts),
        "skipped": len(bugs["skipped"]) + sum(1 if p["status"] == "skipped" else _count(p.get("counts") or {},
                                              ("skipped",)) for p in parts),
        "needs_review": len(bugs["review"]) + sum(_count(p.get("counts") or {}, ("needs_review", "review",
                                                  "flagged")) for p in parts),
        "pending": [p.name for p in PARTS if report[p.name]["status"] == "pending"],
    }
    return report


def _count(counts: dict[str, Any], keys: tuple[str, ...]) -> int:
    """A part's count under the first of ``keys`` it reports (a number or a list)."""
    for key in keys:
        value = counts.get(key)
        if isinstance(value, int):
            return value
        if isinstance(value, list):
            return len(value)
    return 0
