"""Reading many small JSON files of one directory fast (the first load of a large memory).

:func:`memory_store.jsonio.read_json` is the reference reader: it checks the confinement of
the file's directory on every call and parses with the standard library, which dominates
loading thousands of records. :class:`DirReader` opens the directory once (no symlink on the
way inside ``.teamlore/``) and each file by name relative to it (never through a symlink;
regular files within the size cap only), and :func:`decode_strict` parses with msgspec,
which accepts strict JSON only.

Both only ever *decline*: a file they cannot read, or text they do not accept (invalid JSON,
``NaN``, a number out of range, a lone surrogate, nesting deeper than ``MAX_DEPTH``), goes the
reference way, so every result and every reported problem is exactly what ``read_json`` gives.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import msgspec

from memory_store import confine
from memory_store.jsonio import MAX_DEPTH, MAX_FILE_BYTES, nested_too_deep

DECLINED: Any = object()
"""Returned instead of a value: take the reference way (:func:`memory_store.jsonio.read_json`)."""

_DECODER = msgspec.json.Decoder()
_FILE_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOFOLLOW", 0)


def decode_strict(raw: bytes, max_depth: int = MAX_DEPTH) -> Any:
    """The value of the JSON text ``raw`` (UTF-8), or :data:`DECLINED`.

    Equal to ``json.loads(raw.decode("utf-8"))`` whenever it is not DECLINED (msgspec reads
    integers of any size and floats exactly as the standard library does; the last of
    duplicate keys wins in both)."""
    try:
        obj = _DECODER.decode(raw)
    except (msgspec.DecodeError, msgspec.ValidationError, RecursionError):  # too deep: the reference way says so
        return DECLINED
    if nested_too_deep(raw, obj, max_depth):
        return DECLINED
    return obj


def encode_compact(obj: Any) -> bytes | None:
    """Compact JSON (UTF-8) that ``json.loads`` reads back as ``obj``; None when msgspec cannot
    write it (a string with a lone surrogate: ``json`` keeps those, msgspec does not)."""
    try:
        return msgspec.json.encode(obj)
    except (msgspec.EncodeError, UnicodeEncodeError, TypeError, ValueError, OverflowError):
        return None


class DirReader:
    """Reads files of one directory by name; use as a context manager."""

    def __init__(self, directory: Path, max_bytes: int = MAX_FILE_BYTES):
        self.directory = directory
        self.max_bytes = max_bytes
        self._fd: int | None = None

    def __enter__(self) -> DirReader:
        try:
            # Inside a store: reached without following a symlink (confine._open_dir).
            if confine.store_of(self.directory) is not None and confine.check_dir(self.directory):
                with confine.directory_fd(self.directory) as fd:
                    self._fd = os.dup(fd)
        except (OSError, ValueError):  # ConfinementError is a ValueError: the reference way reports it
            self._fd = None
        return self

    def __exit__(self, *exc: object) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def read(self, name: str) -> bytes | None:
        """The bytes of the regular file ``name`` (not larger than ``max_bytes``), or None."""
        got = self.read_stamped(name)
        return None if got is None else got[0]

    def read_stamped(self, name: str) -> tuple[bytes, int, int] | None:
        """:meth:`read`, with the modification time (ns) and size of what was read."""
        if self._fd is None or "/" in name or name in ("", ".", ".."):
            return None
        try:
            fd = os.open(name, _FILE_FLAGS, dir_fd=self._fd)
        except OSError:
            return None
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode) or info.st_size > self.max_bytes:
                return None
            raw = os.read(fd, info.st_size + 1)
            if len(raw) != info.st_size:  # changing under us, or grown: the reference way decides
                return None
            return raw, info.st_mtime_ns, info.st_size
        except OSError:
            return None
        finally:
            os.close(fd)
