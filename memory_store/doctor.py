"""Whole-memory health check, used by ``teamlore doctor`` and the servers' start-up log.

Besides unreadable records and symlinks it reports what would make a write fail or leave
litter: a file where a directory of the memory belongs, a directory that cannot be listed or
written, and temp files left by interrupted writes. Apart from those faults it lists records
written before paths were stored relative that still name a home directory, temp folder or
the checkout's location (:attr:`HealthReport.private_paths`): they are left as they are.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from memory_store import confine
from memory_store.bugs.feedback import FeedbackStore, validate_feedback
from memory_store.bugs.records import BugStore
from memory_store.debt.snapshots import SnapshotStore
from memory_store.jsonio import FileProblem
from memory_store.recordfiles import LoadResult
from memory_store.redact.paths import first_private_path, has_private_path, string_fields
from memory_store.security.decisions import DecisionStore
from memory_store.workspace import Workspace

LAYOUT_DIRS = ("bugs", "feedback", "security", "security/decisions", "debt", "debt/snapshots", ".cache", ".inbox")
"""The directories of the memory, relative to ``.teamlore/``."""
MAX_WALKED_DIRS = 10_000

Loader = Callable[[Workspace], LoadResult]
LOADERS: dict[str, Loader] = {
    "bugs": lambda ws: BugStore(ws).load(),
    "feedback": lambda ws: FeedbackStore(ws).files.load_all(validate_feedback),
    "debt": lambda ws: SnapshotStore(ws).load(),
    "security": lambda ws: DecisionStore(ws).load(),
}
"""How to load all the files of each kind of memory, in the order they are checked."""


@dataclass
class HealthReport:
    counts: dict[str, int] = field(default_factory=dict)
    problems: list[FileProblem] = field(default_factory=list)
    private_paths: list[FileProblem] = field(default_factory=list)
    """Readable records holding an absolute or private path (one per file and field): not faults."""


PATH_CHECKED_KINDS = ("bugs", "feedback")
MAX_PATH_NOTES = 1_000


def check_memory(workspace: Workspace) -> HealthReport:
    """Every kind's readable records and unreadable files, plus every symlink under
    ``.teamlore/`` (never followed; teamlore neither reads nor writes through them)."""
    report = HealthReport()
    for kind, loader in LOADERS.items():
        result = loader(workspace)
        report.counts[kind] = len(result.records)
        if kind in PATH_CHECKED_KINDS:
            directory = workspace.store / kind
            report.private_paths += private_path_notes(directory, result.records.values(), workspace.root,
                                                       MAX_PATH_NOTES - len(report.private_paths))
        report.problems.extend(p for p in result.problems if p not in report.problems)  # e.g. a symlinked store
    reported = {p.path for p in report.problems}
    for path, target in confine.symlinks(workspace.store):
        if path not in reported:
            report.problems.append(FileProblem(path, confine.symlink_reason(target)))
    store = workspace.store
    if store not in reported and os.path.lexists(store) and not os.path.islink(store) and not store.is_dir():
        report.problems.append(FileProblem(store, "is not a directory"))
    for problem in [*layout_problems(store), *temp_file_problems(store)]:
        if problem.path not in reported:
            report.problems.append(problem)
            reported.add(problem.path)
    return report


def layout_problems(store: Path) -> list[FileProblem]:
    """Memory directories that are files, and directories that cannot be listed or written
    (permissions, a read-only file system, an immutable flag). Symlinks are not followed."""
    problems: list[FileProblem] = []
    for name in LAYOUT_DIRS:
        path = store / name
        try:
            mode = os.lstat(path).st_mode
        except OSError:
            continue
        if not stat.S_ISDIR(mode) and not stat.S_ISLNK(mode):
            problems.append(FileProblem(path, f"is {confine.kind_of(mode)}, not a directory; nothing is stored there"))
    if not os.path.isdir(store) or os.path.islink(store):
        return problems
    pending = [store]
    walked = 0
    while pending and walked < MAX_WALKED_DIRS:
        directory = pending.pop()
        walked += 1
        if not os.access(directory, os.W_OK | os.X_OK):
            problems.append(FileProblem(directory, "is read-only: nothing can be written here"))
        try:
            with os.scandir(directory) as scan:
                subdirs = sorted(e.path for e in scan if e.is_dir(follow_symlinks=False))
        except OSError as exc:
            problems.append(FileProblem(directory, f"cannot be listed: {exc.strerror or exc}"))
            continue
        pending.extend(Path(p) for p in reversed(subdirs))
    return problems


def temp_file_problems(store: Path) -> list[FileProblem]:
    """Temp files left by interrupted writes (the next write into their directory removes them)."""
    minutes = int(confine.STALE_TEMP_SECONDS // 60)
    return [FileProblem(path, f"temp file of an interrupted write, older than {minutes} minutes; "
                              "removed by the next write into this directory, or delete it")
            for path in confine.stale_temps(store)]


def private_path_notes(directory: Path, records: Iterable[Mapping[str, Any]], root: Path,
                       limit: int = MAX_PATH_NOTES) -> list[FileProblem]:
    """One note per (record file, field) whose text names a home directory, a temp folder, a
    drive letter or the workspace's absolute location: what a record written today would
    store relative (see :mod:`memory_store.redact.paths`)."""
    notes: list[FileProblem] = []
    for rec in records:
        for name, text in string_fields(rec):
            if len(notes) >= limit:
                return notes
            if name in ("id", "schema") or not has_private_path(text, root):
                continue
            sample = first_private_path(text, root)
            notes.append(FileProblem(directory / f"{rec.get('id')}.json",
                                     f"field '{name}' holds an absolute path ({sample!r}); records written "
                                     "now store it relative (this one is left as it is)"))
    return notes
