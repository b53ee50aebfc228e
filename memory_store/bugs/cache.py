"""A rebuildable cache of the bug index, so that a command answering one question starts fast.

Reading 100,000 record files and computing their match features takes seconds, even split
across processes (:mod:`memory_store.bugs.analysis`, as on a first start, when there is no
cache). ``.teamlore/.cache/bug-index.msgpack`` holds the built :class:`BugIndex` and, per
record file, the modification time and size it was built from. On load every record file is
``stat``-ed: unchanged files are taken from the cached index, changed or new files are read
and validated again (then updated in the index incrementally), vanished ones are removed.

The cache sits inside the repository, so it is untrusted input like everything there: it is
MessagePack (plain data: loading it cannot run code), read with a size cap, sealed with an
HMAC under the user's own key (:mod:`memory_store.cache_key`) so that a cache committed by
someone else, or copied from another checkout, is not used, and its structure and types are
checked before use. The JSON record files stay the truth: the cache is never used for a file
that changed; a cache that is broken, sealed by another key, made by other code or of another
shape is ignored (logged at info) and rewritten; failing to write it only costs speed.
Unreadable record files are never cached, so they are reported on every load. Caches of
earlier versions (``bug-index.pickle``) are never opened.
"""

from __future__ import annotations

import gc
import hashlib
import logging
import os
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgpack

from memory_store import cache_key, confine
from memory_store.bugs import features as features_mod
from memory_store.bugs import fix_meaning as fix_meaning_mod
from memory_store.bugs import match as match_mod
from memory_store.bugs.features import PlainDataError
from memory_store.bugs.match import DEFAULT_THRESHOLD, BugIndex
from memory_store.bugs.records import BugStore
from memory_store.errors import frames as frames_mod
from memory_store.errors import launchers as launchers_mod
from memory_store.errors import model as model_mod
from memory_store.errors import normalize as normalize_mod
from memory_store.errors import wording as wording_mod
from memory_store.gcpause import gc_paused
from memory_store.jsonio import MemoryFileError, read_bounded
from memory_store.recordfiles import LoadResult

if TYPE_CHECKING:
    from memory_store.bugs.analysis import Outcome

log = logging.getLogger(__name__)

CACHE_NAME = "bug-index.msgpack"
FORMAT = 4
MAX_CACHE_BYTES = 512 << 20
"""Far above the cache of 100,000 records (about 180 MB); a larger file is not read."""

Stamps = dict[str, tuple[int, int, str]]
"""Record file name -> (mtime_ns, size, record id) the cached index was built from."""


def code_version() -> str:
    """The index depends on the matcher's code: a cache made by other code is not used."""
    digest = hashlib.sha256(str(FORMAT).encode())
    for mod in (features_mod, fix_meaning_mod, match_mod, normalize_mod, wording_mod, frames_mod, model_mod,
                launchers_mod):
        digest.update(Path(mod.__file__ or "").read_bytes())
    return digest.hexdigest()[:16]


class BugCache:
    """Loads a workspace's bug records and their index."""

    def __init__(self, store: BugStore, key: bytes | None = None):
        """``key`` seals and checks the cache file; the user's own (:func:`cache_key.user_key`)
        unless given. Without a usable key no cache is read or written."""
        self.store = store
        self.path = store.workspace.cache / CACHE_NAME
        self._key = key if key is not None else cache_key.user_key()

    def _context(self) -> bytes:
        """What the seal binds a cache to: this kind of file, in this store."""
        return b"teamlore bug-index\0" + os.fsencode(self.store.workspace.store.absolute())

    def _read(self, version: str, threshold: float) -> tuple[BugIndex | None, Stamps]:
        if self._key is None:
            return None, {}
        try:
            blob = read_bounded(self.path, MAX_CACHE_BYTES)  # refuses a symlink on the way from .teamlore/
        except FileNotFoundError:
            return None, {}
        except MemoryFileError as exc:
            log.info("ignoring cache %s: %s", self.path, exc.problem.reason)
            return None, {}
        body = cache_key.unseal(self._key, self._context(), blob)
        if body is None:
            log.info("ignoring cache %s: not written by this user's teamlore", self.path)
            return None, {}
        try:
            data = msgpack.unpackb(body, raw=False, strict_map_key=True, unicode_errors="surrogatepass")
            if type(data) is not dict or data.get("version") != version:
                log.info("ignoring cache %s: made by other code", self.path)
                return None, {}
            stamps = _stamps_from_plain(data.get("stamps"))
            index = BugIndex.from_plain(data.get("index"), threshold)
        except (ValueError, TypeError, msgpack.UnpackException) as exc:  # PlainDataError, broken or extra data
            log.info("ignoring malformed cache %s: %s", self.path, exc)
            return None, {}
        return index, stamps

    def load(self, threshold: float = DEFAULT_THRESHOLD, *,
             save_in_background: bool = False) -> tuple[BugIndex, LoadResult]:
        """``save_in_background``: write the cache from another thread, so that a first answer
        does not wait for it (the thread is not a daemon: the process exits once it is written)."""
        with gc_paused():
            index, result = self._load(threshold, save_in_background)
            # The index is long-lived: keep the collector from rescanning its million small objects.
            gc.freeze()
        return index, result

    def _load(self, threshold: float, save_in_background: bool) -> tuple[BugIndex, LoadResult]:
        version = code_version()
        index, cached = self._read(version, threshold)
        if index is None:
            index, cached = BugIndex(threshold=threshold), {}
        result = LoadResult()
        lazy: set[str] = set()
        stamps: Stamps = {}
        changed = False
        try:
            entries = sorted(os.scandir(self.store.files.directory), key=lambda e: e.name)
        except (FileNotFoundError, NotADirectoryError):
            entries = []
        entries = [e for e in entries if e.name.endswith(".json") and not e.name.startswith(".")]
        plan: list[tuple[str, tuple[int, int, str] | None, bool]] = []  # name, cached stamp, still valid
        if not cached:  # a first start: every file is read, and stamped as read (no stat calls here)
            plan = [(e.name, None, False) for e in entries]
        else:
            known = index.__contains__
            for entry in entries:
                try:
                    st = entry.stat(follow_symlinks=False)
                except OSError:
                    continue
                old = cached.pop(entry.name, None)  # unchanged: the cached index holds this file as it is now
                plan.append((entry.name, old, old is not None and old[0] == st.st_mtime_ns and old[1] == st.st_size
                             and known(old[2])))
        outcomes = _analysed(self.store.files.directory, [name for name, _old, kept in plan if not kept])
        read: set[str] = set()
        for name, old, kept in plan:
            if kept and old is not None:
                stamps[name] = old
                lazy.add(old[2])
                continue
            changed = True
            if old is not None:
                index.remove(old[2])
            got = next(outcomes)
            if got.problem is not None:
                result.problems.append(got.problem)
                continue
            if got.rid is None or got.stamp is None:  # gone since it was listed
                continue
            read.add(got.rid)
            if got.features is not None:
                index.add_analysed(got.rid, got.raw, got.features, got.fix_norm, got.record)
            stamps[name] = (*got.stamp, got.rid)
        for _rest in outcomes:  # none left: lets the worker processes (if any) finish
            pass
        for _name, (_m, _s, rid) in cached.items():  # files that are gone
            changed = True
            if rid not in read and rid not in lazy:
                index.remove(rid)
        present = lazy | read
        for rid in [rid for rid in index.ids() if rid not in present]:
            changed = True
            index.remove(rid)
        result.records = LazyRecords(index, present)  # type: ignore[assignment]
        if changed and save_in_background:
            threading.Thread(target=self.save, args=(index, stamps, version), name="teamlore-bug-cache").start()
        elif changed:
            self.save(index, stamps, version)
        return index, result

    def encode(self, index: BugIndex, stamps: Stamps, version: str | None = None) -> bytes:
        """The cache file's bytes: the MessagePack of the index and file stamps, sealed."""
        if self._key is None:
            raise ValueError("no cache key")
        data = {"version": version or code_version(), "stamps": [[name, *stamp] for name, stamp in stamps.items()],
                "index": index.to_plain()}
        return cache_key.seal(self._key, self._context(), _pack(data))

    def save(self, index: BugIndex, stamps: Stamps, version: str | None = None) -> None:
        """Write the cache file (never through a symlink: :mod:`memory_store.confine`); failing
        only costs speed (logged at info)."""
        if self._key is None:
            return
        try:
            self.store.workspace.ensure_store()
            confine.write_atomic(self.path, self.encode(index, stamps, version))
        except (OSError, ValueError, TypeError) as exc:  # ConfinementError is a ValueError
            log.info("could not write cache %s: %s", self.path, exc)


def _analysed(directory: Path, names: list[str]) -> Iterator[Outcome]:
    """:func:`memory_store.bugs.analysis.analyse` of the files to read, imported only when there
    are any: with a valid cache there are none, and process pools and the bulk reader cost a
    command that answers one question about 15 ms to import."""
    if not names:
        return iter(())
    from memory_store.bugs.analysis import analyse

    return analyse(directory, names)


def _pack(data: Any) -> bytes:
    """Record texts may hold lone surrogates (JSON allows ``\\ud800``): kept as they are."""
    packed: bytes = msgpack.packb(data, use_bin_type=True, unicode_errors="surrogatepass")
    return packed


def _stamps_from_plain(data: Any) -> Stamps:
    if type(data) is not list:
        raise PlainDataError("cache lacks its file stamps")
    out: Stamps = {}
    for row in data:
        if (type(row) is not list or len(row) != 4 or type(row[0]) is not str or type(row[1]) is not int
                or type(row[2]) is not int or type(row[3]) is not str):
            raise PlainDataError("file stamp of the wrong shape")
        out[row[0]] = (row[1], row[2], row[3])
    return out


class LazyRecords(Mapping[str, dict[str, Any]]):
    """``LoadResult.records`` whose records are decoded from the cache only when read."""

    def __init__(self, index: BugIndex, ids: set[str]):
        self._index = index
        self._known = ids
        self._sorted: list[str] | None = None
        """The ids in order, sorted on first iteration (answering one query never iterates)."""

    def __getitem__(self, key: str) -> dict[str, Any]:
        if key not in self._known:
            raise KeyError(key)
        record = self._index.get(key)
        if record is None:
            raise KeyError(key)
        return record

    def __iter__(self) -> Iterator[str]:
        if self._sorted is None:
            self._sorted = sorted(self._known)
        return iter(self._sorted)

    def __len__(self) -> int:
        return len(self._known)

    def __contains__(self, key: object) -> bool:
        return key in self._known


def load_index(store: BugStore, threshold: float = DEFAULT_THRESHOLD, *,
               save_in_background: bool = False) -> tuple[BugIndex, LoadResult]:
    """The workspace's BugIndex and its records (like ``BugStore.load``), fast when the
    record files are unchanged since the last load (see :meth:`BugCache.load`)."""
    return BugCache(store).load(threshold, save_in_background=save_in_background)
