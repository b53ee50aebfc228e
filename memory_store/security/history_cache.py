"""The decisions' mapping to the working tree, cached per (decisions, HEAD, working tree).

``.teamlore/.cache/security/history-map.json`` holds the last mapping and the key it was
made for: a digest of the decisions (ids, commits, blobs, places, statements), HEAD, and
the size, time and mode of every file of the decided kinds in the working tree. The file is
inside the repository, so it is untrusted input: plain JSON (loading it runs nothing), read
with a size cap, sealed with an HMAC under the user's own key (:mod:`memory_store.cache_key`)
so that a cache written by anyone else is ignored, and each entry is checked again when
used (a place only ever suppresses a finding with the decided rule and the very same
normalized statement). Failing to read or write it only costs time.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from memory_store import cache_key
from memory_store.jsonio import MemoryFileError, atomic_write_bytes, loads_input, read_bounded
from memory_store.security import history
from memory_store.security.history import Mapper, Place
from memory_store.security.safegit import SafeGit
from memory_store.workspace import UnsafePathError, Workspace

log = logging.getLogger(__name__)

CACHE_NAME = "history-map.json"
FORMAT = 1
MAX_CACHE_BYTES = 64 << 20
_MEMO: dict[str, tuple[str, dict[str, Place]]] = {}
_MEMO_LOCK = threading.Lock()


def code_version() -> str:
    digest = hashlib.sha256(str(FORMAT).encode())
    for mod in (history,):
        digest.update(Path(mod.__file__ or "").read_bytes())
    return digest.hexdigest()[:16]


def decisions_digest(decisions: Iterable[dict[str, Any]]) -> str:
    digest = hashlib.sha256()
    rows = sorted((str(d.get("id")), str(d.get("commit")), str(d.get("blob")), str(d.get("path")),
                   str(d.get("line")), str(d.get("statement_hash")), str(d.get("scope")),
                   str(d.get("occurrence")), str(d.get("statement"))) for d in decisions)
    for row in rows:
        digest.update("\x1f".join(row).encode("utf-8", "surrogateescape") + b"\n")
    return digest.hexdigest()


class HistoryCache:
    """Maps the decisions of one workspace, through the cache when it is current."""

    def __init__(self, workspace: Workspace, key: bytes | None = None):
        self.workspace = workspace
        self.path = workspace.cache / "security" / CACHE_NAME
        self._key = key if key is not None else cache_key.user_key()

    def _context(self) -> bytes:
        return b"teamlore security history-map\0" + os.fsencode(self.workspace.store.absolute())

    def places(self, decisions: list[dict[str, Any]],
               progress: Callable[[list[str]], Iterable[str]] | None = None) -> dict[str, Place]:
        """Decision id -> where its statement is now; decisions left out have no usable
        history (no recorded commit, no git, a commit this clone lacks)."""
        tracked = [d for d in decisions if isinstance(d.get("commit"), str) and d.get("type") == "decision"]
        if not tracked:
            return {}
        root = self.workspace.root
        git = SafeGit.open(root)
        head = git.head() if git is not None else None
        if git is None or head is None:
            return {}
        suffixes = {history._suffix(d["path"]) for d in tracked}
        mapper = Mapper(root, git, head, suffixes)
        key = hashlib.sha256("\0".join((code_version(), head, mapper.tree_digest, decisions_digest(tracked),
                                        ",".join(sorted(suffixes)))).encode()).hexdigest()
        memo_key = str(self.path)
        with _MEMO_LOCK:
            memo = _MEMO.get(memo_key)
        if memo is not None and memo[0] == key:
            return memo[1]
        places = self._read(key)
        if places is None:
            places = mapper.run(tracked, progress)
            self._write(key, places)
        with _MEMO_LOCK:
            _MEMO[memo_key] = (key, places)
        return places

    def _read(self, key: str) -> dict[str, Place] | None:
        if self._key is None:
            return None
        try:
            blob = read_bounded(self.path, MAX_CACHE_BYTES)
        except FileNotFoundError:
            return None
        except MemoryFileError as exc:
            log.info("ignoring cache %s: %s", self.path, exc.problem.reason)
            return None
        body = cache_key.unseal(self._key, self._context(), blob)
        if body is None:
            log.info("ignoring cache %s: not written by this user's teamlore", self.path)
            return None
        try:
            data = loads_input(bytes(body).decode("utf-8"))
        except (ValueError, UnicodeDecodeError) as exc:
            log.info("ignoring malformed cache %s: %s", self.path, exc)
            return None
        if not isinstance(data, dict) or data.get("key") != key or not isinstance(data.get("places"), dict):
            return None
        places: dict[str, Place] = {}
        for rid, row in data["places"].items():
            place = Place.from_plain(row)
            if place is None:
                log.info("ignoring malformed cache %s", self.path)
                return None
            places[rid] = place
        return places

    def _write(self, key: str, places: dict[str, Place]) -> None:
        if self._key is None:
            return
        body = json.dumps({"key": key, "places": {rid: p.to_plain() for rid, p in places.items()}},
                          separators=(",", ":")).encode("utf-8")
        try:
            self.workspace.ensure_store()
            atomic_write_bytes(self.path, cache_key.seal(self._key, self._context(), body))
        except (OSError, UnsafePathError) as exc:  # e.g. a symlink planted on the way: not followed
            log.info("cannot write cache %s: %s", self.path, exc)


def clear_memo() -> None:
    with _MEMO_LOCK:
        _MEMO.clear()
