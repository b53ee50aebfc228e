"""Whole-memory health check, used by ``teamlore doctor`` and the servers' start-up log."""

from __future__ import annotations

import contextlib
import importlib
import os
from collections.abc import Callable
from dataclasses import dataclass, field

from memory_store import confine
from memory_store.jsonio import FileProblem
from memory_store.recordfiles import LoadResult
from memory_store.workspace import Workspace

Loader = Callable[[Workspace], LoadResult]
LOADERS: dict[str, Loader] = {}
"""Each kind of memory registers how to load all its files (see :func:`register_loader`)."""


def register_loader(kind: str, loader: Loader) -> None:
    LOADERS[kind] = loader


@dataclass
class HealthReport:
    counts: dict[str, int] = field(default_factory=dict)
    problems: list[FileProblem] = field(default_factory=list)


def _builtin_loaders() -> None:
    from memory_store.bugs.records import BugStore

    LOADERS.setdefault("bugs", lambda ws: BugStore(ws).load())
    for part in ("memory_store.security", "memory_store.debt"):  # register themselves on import
        with contextlib.suppress(ImportError):
            importlib.import_module(part)


def check_memory(workspace: Workspace) -> HealthReport:
    """Every kind's readable records and unreadable files, plus every symlink under
    ``.teamlore/`` (never followed; teamlore neither reads nor writes through them)."""
    _builtin_loaders()
    report = HealthReport()
    for kind, loader in sorted(LOADERS.items()):
        result = loader(workspace)
        report.counts[kind] = len(result.records)
        report.problems.extend(p for p in result.problems if p not in report.problems)  # e.g. a symlinked store
    reported = {p.path for p in report.problems}
    for path, target in confine.symlinks(workspace.store):
        if path not in reported:
            report.problems.append(FileProblem(path, confine.symlink_reason(target)))
    store = workspace.store
    if store not in reported and os.path.lexists(store) and not os.path.islink(store) and not store.is_dir():
        report.problems.append(FileProblem(store, "is not a directory"))
    return report
