"""A rebuildable cache of the bug index, so that a command answering one question starts fast.

Reading 10,000 record files and computing their match features takes seconds.
``.teamlore/.cache/bug-index.pickle`` holds the built :class:`BugIndex` and, per record
file, the modification time and size it was built from. On load every record file is
``stat``-ed: unchanged files are taken from the cached index, changed or new files are read
and validated again (then updated in the index incrementally), vanished ones are removed.

The JSON record files stay the truth: the cache is never used for a file that changed; a
cache that is broken, made by other code, or not owned by the current user is ignored and
rewritten; failing to write it only costs speed. Unreadable record files are never cached,
so they are reported on every load. The cache lives in ``.cache/`` (git-ignored, local to
the machine) and is written by the user's own process; it is a pickle for load speed.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import logging
import os
import pickle
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from memory_store.bugs import index as index_mod
from memory_store.bugs import match as match_mod
from memory_store.bugs.match import DEFAULT_THRESHOLD, BugIndex
from memory_store.bugs.records import BugStore, validate_bug
from memory_store.errors import frames as frames_mod
from memory_store.errors import model as model_mod
from memory_store.errors import normalize as normalize_mod
from memory_store.jsonio import MemoryFileError
from memory_store.recordfiles import LoadResult

log = logging.getLogger(__name__)

CACHE_NAME = "bug-index.pickle"
FORMAT = 2


def code_version() -> str:
    """The index depends on the matcher's code: a cache made by other code is not used."""
    digest = hashlib.sha256(str(FORMAT).encode())
    for mod in (index_mod, match_mod, normalize_mod, frames_mod, model_mod):
        digest.update(Path(mod.__file__ or "").read_bytes())
    return digest.hexdigest()[:16]


@contextlib.contextmanager
def _no_gc() -> Iterator[None]:
    """Unpickling many small containers triggers needless collections; pause them."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


class BugCache:
    """Loads a workspace's bug records and their index."""

    def __init__(self, store: BugStore):
        self.store = store
        self.path = store.workspace.cache / CACHE_NAME

    def _read(self, version: str) -> tuple[BugIndex | None, dict[str, tuple[int, int, str]]]:
        try:
            st = os.stat(self.path)
            if hasattr(os, "getuid") and (st.st_uid != os.getuid() or st.st_mode & 0o022):
                log.info("ignoring cache %s: not private to this user", self.path)
                return None, {}
            with open(self.path, "rb") as fh:
                data = pickle.load(fh)
        except FileNotFoundError:
            return None, {}
        except Exception as exc:  # any broken cache is ignored: the record files are the truth
            log.info("ignoring unreadable cache %s: %s", self.path, exc)
            return None, {}
        if not isinstance(data, dict) or data.get("version") != version:
            return None, {}
        index, stamps = data.get("index"), data.get("stamps")
        if not isinstance(index, BugIndex) or not isinstance(stamps, dict):
            return None, {}
        return index, stamps

    def load(self, threshold: float = DEFAULT_THRESHOLD) -> tuple[BugIndex, LoadResult]:
        with _no_gc():
            index, result = self._load(threshold)
            # The index is long-lived: keep the collector from rescanning its million small objects.
            gc.freeze()
        return index, result

    def _load(self, threshold: float) -> tuple[BugIndex, LoadResult]:
        version = code_version()
        index, cached = self._read(version)
        if index is None:
            index, cached = BugIndex(threshold=threshold), {}
        index.threshold = threshold
        result = LoadResult()
        lazy: set[str] = set()
        stamps: dict[str, tuple[int, int, str]] = {}
        changed = False
        try:
            entries = sorted(os.scandir(self.store.files.directory), key=lambda e: e.name)
        except (FileNotFoundError, NotADirectoryError):
            entries = []
        for entry in entries:
            name = entry.name
            if not name.endswith(".json") or name.startswith("."):
                continue
            try:
                st = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            old = cached.pop(name, None)
            if old is not None and old[0] == st.st_mtime_ns and old[1] == st.st_size and old[2] in index:
                stamps[name] = old
                lazy.add(old[2])
                continue
            changed = True
            if old is not None:
                index.remove(old[2])
            path = Path(entry.path)
            try:
                rec = self.store.files.read_path(path)
                validate_bug(path, rec)
            except MemoryFileError as exc:
                result.problems.append(exc.problem)
                continue
            result.records[rec["id"]] = rec
            index.add(rec)
            stamps[name] = (st.st_mtime_ns, st.st_size, rec["id"])
        for _name, (_m, _s, rid) in cached.items():  # files that are gone
            changed = True
            if rid not in result.records and rid not in lazy:
                index.remove(rid)
        for rid in [rid for rid in index.ids() if rid not in result.records and rid not in lazy]:
            changed = True
            index.remove(rid)
        result.records = LazyRecords(index, [*lazy, *result.records])  # type: ignore[assignment]
        if changed:
            self._write(version, index, stamps)
        return index, result

    def _write(self, version: str, index: BugIndex, stamps: dict[str, Any]) -> None:
        try:
            self.store.workspace.ensure_store()
            payload = pickle.dumps({"version": version, "index": index, "stamps": stamps},
                                   protocol=pickle.HIGHEST_PROTOCOL)
            _replace_file(self.path, payload)
        except (OSError, pickle.PicklingError) as exc:  # a read-only checkout still works, only slower
            log.info("could not write cache %s: %s", self.path, exc)


class LazyRecords(Mapping[str, dict[str, Any]]):
    """``LoadResult.records`` whose records are decoded from the cache only when read."""

    def __init__(self, index: BugIndex, ids: list[str]):
        self._index = index
        self._ids = sorted(ids)
        self._known = set(self._ids)

    def __getitem__(self, key: str) -> dict[str, Any]:
        if key not in self._known:
            raise KeyError(key)
        record = self._index.get(key)
        if record is None:
            raise KeyError(key)
        return record

    def __iter__(self) -> Iterator[str]:
        return iter(self._ids)

    def __len__(self) -> int:
        return len(self._ids)

    def __contains__(self, key: object) -> bool:
        return key in self._known


def _replace_file(path: Path, payload: bytes) -> None:
    """Temp file (mode 0600) in the same directory, then an atomic rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def load_index(store: BugStore, threshold: float = DEFAULT_THRESHOLD) -> tuple[BugIndex, LoadResult]:
    """The workspace's BugIndex and its records (like ``BugStore.load``), fast when the
    record files are unchanged since the last load."""
    return BugCache(store).load(threshold)
