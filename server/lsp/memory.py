"""Per-workspace-folder memory: the bug records, their index, and a watch on ``.teamlore/``.

Everything here is blocking (file reads, index builds, matching) and runs in worker
threads; the language server only awaits it. The records, index and match cache are the
library's :class:`memory_store.bugs.live.LiveBugMemory`, which is safe to call from
several threads (a reload after a file change and a hover can run at once).
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from watchdog.events import (
    DirCreatedEvent,
    DirDeletedEvent,
    DirMovedEvent,
    FileClosedEvent,
    FileCreatedEvent,
    FileDeletedEvent,
    FileModifiedEvent,
    FileMovedEvent,
    FileSystemEvent,
    FileSystemEventHandler,
)
from watchdog.observers import Observer

from memory_store.bugs.live import LiveBugMemory
from memory_store.bugs.match import BugIndex, Match, fix_time_stats
from memory_store.bugs.match_cache import MatchCache, RecordMap
from memory_store.errors import ParsedError
from memory_store.jsonio import FileProblem
from memory_store.record_types import BugRecord
from memory_store.workspace import STORE_DIRNAME, Workspace
from server.lsp.settings import Settings

log = logging.getLogger(__name__)

MATCH_LIMIT = 5
MAX_PROBLEMS_LOGGED = 20
MATCH_CACHE_SIZE = 4096
"""Match results kept per folder (oldest first out)."""


class FolderMemory:
    """The memory of one workspace folder: its settings and a :class:`LiveBugMemory`."""

    def __init__(self, folder_uri: str, folder: Path, settings: Settings):
        self.folder_uri = folder_uri
        self.folder = folder
        self.settings = settings
        store_root = Path(settings.store_root).expanduser() if settings.store_root else None
        if store_root is not None and not store_root.is_absolute():
            store_root = folder / store_root
        self.workspace = Workspace((store_root or folder).resolve())
        self.live = LiveBugMemory(self.workspace, settings.match_threshold, MATCH_CACHE_SIZE)
        self.bugs = self.live.bugs

    @property
    def records(self) -> RecordMap:
        return self.live.records

    @property
    def problems(self) -> dict[Path, FileProblem]:
        return self.live.problems

    @property
    def generation(self) -> int:
        return self.live.generation

    @property
    def _index(self) -> BugIndex | None:
        return self.live.index

    @property
    def _cache(self) -> MatchCache:
        return self.live.cache

    def load(self) -> None:
        """(Re)read every bug record and rebuild the index (from the index cache in
        ``.teamlore/.cache/`` for record files unchanged since it was written)."""
        problems = self.live.load()
        for problem in problems[:MAX_PROBLEMS_LOGGED]:
            log.warning("skipped unreadable memory file %s", problem)
        if len(problems) > MAX_PROBLEMS_LOGGED:
            log.warning("... and %d more unreadable memory files (run `teamlore doctor` for the list)",
                        len(problems) - MAX_PROBLEMS_LOGGED)
        log.info("%s: %d bug records loaded", self.workspace.store, len(self.records))

    def is_bug_file(self, path: Path) -> bool:
        return self.live.is_bug_file(path)

    def apply_changes(self, paths: set[Path]) -> bool:
        """Re-read the changed record files; returns whether the index changed."""
        if self.live.needs_load(paths):
            self.load()
            return True
        return self.live.apply_changes(paths)

    def add_record(self, rec: BugRecord) -> None:
        """A record this server just wrote: index it without waiting for the watcher."""
        self.live.add_record(rec)

    def match(self, error: str | ParsedError, *, limit: int = MATCH_LIMIT,
              include_weak: bool = False) -> list[Match]:
        """Confident matches for ``error`` (cached while the memory changes cannot alter them)."""
        return self.live.match(error, limit=limit, include_weak=include_weak)

    def fix_time_stats(self, matches: list[Match]) -> Any:
        return fix_time_stats(matches)

    def record(self, record_id: str) -> dict[str, Any] | None:
        return self.live.record(record_id)


WATCHED_EVENTS = [FileCreatedEvent, FileModifiedEvent, FileClosedEvent, FileMovedEvent, FileDeletedEvent,
                  DirCreatedEvent, DirMovedEvent, DirDeletedEvent]
"""Only changes: opens, reads and closes by readers would flood the kernel's event queue."""


class _Handler(FileSystemEventHandler):
    def __init__(self, callback: Callable[[Path], None], rescan: Callable[[Path], None]):
        self.callback = callback
        self.rescan = rescan

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type in ("opened", "closed_no_write"):
            return
        for raw in (event.src_path, getattr(event, "dest_path", "")):
            if raw:
                path = Path(raw.decode() if isinstance(raw, bytes) else raw)
                if not path.name.endswith((".tmp", ".lock")):
                    self.callback(path)
                    if event.is_directory and event.event_type in ("created", "moved"):
                        # files written before the new directory's watch existed
                        self.rescan(path)


class _OverflowSignal(logging.Handler):
    """watchdog tells nobody but its log when the kernel dropped events: listen there."""

    def __init__(self, on_overflow: Callable[[], None]):
        super().__init__(logging.WARNING)
        self.on_overflow = on_overflow

    def emit(self, record: logging.LogRecord) -> None:
        if "overflow" in record.getMessage().lower():
            self.on_overflow()


class StoreWatcher:
    """watchdog on each folder's ``.teamlore/``; reports changed paths to ``callback``.

    When ``.teamlore/`` does not exist yet, the folder itself is watched (not recursively)
    until it appears. A new directory, or events lost to a kernel queue overflow, make
    the watcher report every file below it (or below every store). Callbacks run on
    watchdog's thread.
    """

    def __init__(self, callback: Callable[[Path], None]):
        self.callback = callback
        self._observer = Observer()
        self._observer.daemon = True
        self._watches: dict[Path, list[Any]] = {}
        self._started = False
        self._lock = threading.Lock()
        self._overflow = _OverflowSignal(self._rescan_all)
        self._watchdog_logs = [logging.getLogger(n) for n in ("watchdog.observers.inotify_c",
                                                              "watchdog.observers.inotify")]

    def start(self) -> None:
        if not self._started:
            self._observer.start()
            self._started = True
            for logger in self._watchdog_logs:
                logger.addHandler(self._overflow)

    def watch(self, root: Path) -> None:
        with self._lock:
            for w in self._watches.pop(root, []):
                self._observer.unschedule(w)
            store = root / STORE_DIRNAME
            handler = _Handler(lambda p: self._seen(root, p), self._rescan)
            watches = []
            try:
                if store.is_dir():
                    watches.append(self._observer.schedule(handler, str(store), recursive=True,
                                                           event_filter=WATCHED_EVENTS))
                else:
                    watches.append(self._observer.schedule(handler, str(root), recursive=False,
                                                           event_filter=[DirCreatedEvent, DirMovedEvent]))
            except OSError as exc:
                log.warning("cannot watch %s: %s; changes need a reload", store, exc)
            self._watches[root] = watches

    def _seen(self, root: Path, path: Path) -> None:
        store = root / STORE_DIRNAME
        if path == store and len(self._watches.get(root, [])) == 1 and store.is_dir():
            watch = self._watches[root][0]
            if Path(watch.path) == root:
                self.watch(root)  # .teamlore/ appeared: watch it recursively instead
                self._rescan(store)
        if path == store or store in path.parents:
            self.callback(path)

    def _rescan(self, directory: Path) -> None:
        for dirpath, _dirs, names in os.walk(directory):
            for name in names:
                if not name.endswith((".tmp", ".lock")):
                    self.callback(Path(dirpath) / name)

    def _rescan_all(self) -> None:
        log.warning("file events were lost (kernel queue overflow); re-reading the memory")
        for root in list(self._watches):
            store = root / STORE_DIRNAME
            if store.is_dir():
                self.callback(store)
                self._rescan(store)

    def unwatch(self, root: Path) -> None:
        with self._lock:
            for w in self._watches.pop(root, []):
                self._observer.unschedule(w)

    def stop(self) -> None:
        if self._started:
            for logger in self._watchdog_logs:
                logger.removeHandler(self._overflow)
            self._observer.stop()
            self._observer.join(timeout=2)
