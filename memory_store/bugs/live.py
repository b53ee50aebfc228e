"""One workspace's bug memory kept in step with ``.teamlore/bugs/``, for every front end.

:class:`LiveBugMemory` owns the records, the unreadable files, a generation counter, the
index and the match-result cache. It loads through the index cache (``load_index``) and
then follows the record files either from the paths a file watcher reports
(:meth:`apply_changes`, the language server) or from their timestamps (:meth:`refresh`,
the MCP server, which polls between queries). The team's verdicts on shown fixes
(:mod:`memory_store.bugs.feedback`, ``.teamlore/feedback/``) are followed the same way and
applied to every answer: a record rejected for an error's pattern is left out, the others
carry their counts; a changed verdict empties the match cache. Every method may be called from any
thread: a lock guards the state, and matching runs outside it on a consistent snapshot.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from memory_store.bugs.cache import load_index
from memory_store.bugs.feedback import FeedbackMemory
from memory_store.bugs.match import BugIndex, Match
from memory_store.bugs.match_cache import MatchCache, RecordMap
from memory_store.bugs.records import BugStore, validate_bug
from memory_store.errors import ParsedError, parse_error
from memory_store.jsonio import FileProblem, MemoryFileError
from memory_store.record_types import BugRecord, FeedbackRecord
from memory_store.workspace import Workspace

log = logging.getLogger(__name__)

MATCH_LIMIT = 5
CACHE_SIZE = 4096


class LiveBugMemory:
    """Records, problems, index and match cache of one workspace's bug memory."""

    SETTLED_NS = 2_000_000_000
    """A file time younger than this is not trusted (another write may land in the same tick)."""

    def __init__(self, workspace: Workspace, threshold: float | None = None, cache_size: int = CACHE_SIZE):
        self.workspace = workspace
        self.bugs = BugStore(workspace)
        self.threshold = threshold
        self.records: RecordMap = RecordMap({})
        self.problems: dict[Path, FileProblem] = {}
        self.generation = 0
        self.index: BugIndex | None = None
        self.cache = MatchCache(cache_size)
        self.feedback = FeedbackMemory(workspace)
        self.reads = 0
        """Record files looked at by :meth:`refresh` so far (for tests and benchmarks)."""
        self._lock = threading.RLock()
        self._dir_key: tuple[int, int] | None = None
        self._files: dict[str, tuple[int, int, bool]] = {}
        """``{file name: (mtime, size, settled)}`` as last read."""

    # -- loading -------------------------------------------------------------------------
    def load(self, *, save_in_background: bool = False) -> list[FileProblem]:
        """(Re)read every record through the index cache; returns the unreadable files."""
        threshold = {} if self.threshold is None else {"threshold": self.threshold}
        index, result = load_index(self.bugs, save_in_background=save_in_background, **threshold)
        feedback_problems = self.feedback.load()
        with self._lock:
            self.records = RecordMap(result.records)
            self.problems = {p.path: p for p in result.problems}
            self.index = index
            self._changed()
        return [*result.problems, *feedback_problems]

    def needs_load(self, paths: Iterable[Path]) -> bool:
        """Whether these changed paths call for a full load: the first time, or the store or
        its bugs directory appeared, moved or vanished (or events were lost)."""
        paths = set(paths)
        return self.index is None or self.workspace.store in paths or self.bugs.files.directory in paths

    def is_bug_file(self, path: Path) -> bool:
        return path.parent == self.bugs.files.directory and path.suffix == ".json" \
            and not path.name.startswith(".")

    # -- following the files -------------------------------------------------------------
    def apply_changes(self, paths: Iterable[Path]) -> bool:
        """Re-read the changed record files (a watcher's report); returns whether the index changed."""
        paths = set(paths)
        if self.needs_load(paths):
            self.load()
            return True
        changed = False
        for path in sorted(paths):
            if self.is_bug_file(path):
                changed |= self.apply_one(path)
        if any(self.feedback.is_feedback_file(p) or p == self.feedback.directory for p in paths):
            changed |= self._feedback_changed(self.feedback.refresh_paths(paths))
        return changed

    def _feedback_changed(self, changed: bool) -> bool:
        if changed:
            with self._lock:
                self._changed()
        return changed

    def add_feedback(self, rec: FeedbackRecord) -> None:
        """A verdict this process just wrote: apply it without waiting for a watcher or a poll."""
        self._feedback_changed(self.feedback.apply_one(self.feedback.store.files.path_for(rec["id"])))

    def apply_one(self, path: Path) -> bool:
        """Re-read one record file (added, changed or deleted); returns whether the index changed."""
        record_id = path.stem
        rec: dict[str, Any] | None = None
        problem: FileProblem | None = None
        if path.exists():
            try:
                rec = self.bugs.files.read_path(path)
                validate_bug(path, rec)
            except MemoryFileError as exc:
                problem = exc.problem
                rec = None
        with self._lock:
            assert self.index is not None
            old = self.records.get(record_id)
            if problem is not None:
                if self.problems.get(path) != problem:
                    log.warning("skipped unreadable memory file %s", problem)
                self.problems[path] = problem
            else:
                self.problems.pop(path, None)
            if (rec is None and old is None) or (rec is not None and rec == old):
                return False
            if old is not None:
                self.index.remove(record_id)
                del self.records[record_id]
            if rec is not None:
                self.index.add(rec)
                self.records[record_id] = rec
            self._changed(added=record_id if old is None and rec is not None else None)
            return True

    def add_record(self, rec: BugRecord) -> None:
        """A record this process just wrote: index it without waiting for a watcher or a poll."""
        self.apply_one(self.bugs.files.path_for(rec["id"]))

    def refresh(self) -> bool:
        """Follow the record files by their timestamps: nothing is read while the directory's
        time is unchanged, then only files whose (mtime, size) changed. Returns whether the
        index changed."""
        with self._lock:
            if self.index is None:
                key = self._dir_signature()
                seen = self._listing()  # before loading: a file changed meanwhile is read again later
                for problem in self.load():
                    log.warning("skipped unreadable memory file %s", problem)
                self._files, self._dir_key = seen, key
                self.reads += len(seen)
                return True
            key = self._dir_signature()
            if key is not None and key == self._dir_key:
                return self._feedback_changed(self.feedback.refresh())
            seen = self._listing()
            changed = False
            for gone in self._files.keys() - seen.keys():
                changed |= self.apply_one(self.bugs.files.directory / gone)
            for name, signature in seen.items():
                if self._needs_read(self._files.get(name), signature):
                    self.reads += 1
                    changed |= self.apply_one(self.bugs.files.directory / name)
            self._files, self._dir_key = seen, key
            return self._feedback_changed(self.feedback.refresh()) or changed

    @staticmethod
    def _needs_read(last: tuple[int, int, bool] | None, now: tuple[int, int, bool]) -> bool:
        """Read a file whose time or size changed; a file read while its time was too recent
        to trust is read once more after it settles (a second write within the same clock
        tick keeps time and size), not on every poll in between."""
        if last is None or last[:2] != now[:2]:
            return True
        return not last[2] and now[2]

    def _settled(self, mtime_ns: int) -> bool:
        return time.time_ns() - mtime_ns >= self.SETTLED_NS

    def _dir_signature(self) -> tuple[int, int] | None:
        try:
            st = self.bugs.files.directory.stat()
        except FileNotFoundError:
            return (0, 0)
        return (st.st_mtime_ns, st.st_ino) if self._settled(st.st_mtime_ns) else None

    def _listing(self) -> dict[str, tuple[int, int, bool]]:
        """``{file name: (mtime, size, settled)}`` of the record files (settled: the time is
        old enough to be trusted)."""
        seen: dict[str, tuple[int, int, bool]] = {}
        try:
            with os.scandir(self.bugs.files.directory) as entries:
                for entry in entries:
                    if not entry.name.endswith(".json") or entry.name.startswith("."):
                        continue
                    try:
                        st = entry.stat()
                    except OSError:
                        continue
                    seen[entry.name] = (st.st_mtime_ns, st.st_size, self._settled(st.st_mtime_ns))
        except FileNotFoundError:
            pass
        return seen

    def _changed(self, added: str | None = None) -> None:
        """The index changed; ``added`` names the record when one was only added."""
        self.generation += 1
        if added is None:
            self.cache.clear()
        else:
            self.cache.record_added(self.index, added)

    # -- answering -----------------------------------------------------------------------
    def match(self, error: str | ParsedError, *, limit: int = MATCH_LIMIT, include_weak: bool = False) -> list[Match]:
        """Matches for ``error`` (cached while the memory changes cannot alter them)."""
        text = error if isinstance(error, str) else (error.text or error.headline)
        key = f"{int(include_weak)}:{limit}:{text}"
        with self._lock:
            if self.index is None:
                return []
            cached = self.cache.get(key)
            if cached is not None:
                return cached
            index = self.index
            generation = self.generation
        parsed = parse_error(error, self.workspace.root, redact_secrets=False) if isinstance(error, str) else error
        matches: list[Match] = []
        if parsed is not None:
            blocked = self.feedback.blocked_for(parsed)  # asked for as many more as may be left out
            found = index.match(parsed, limit=limit + len(blocked), include_weak=include_weak)
            matches = self.feedback.rate(found, blocked, limit)
        with self._lock:
            if self.generation == generation and self.index is index:  # else it may be stale already
                self.cache.put(key, matches, parsed, index)
        return matches

    def record(self, record_id: str) -> dict[str, Any] | None:
        with self._lock:
            return self.records.get(record_id)
