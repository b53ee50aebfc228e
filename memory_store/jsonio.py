"""Atomic, never-destructive JSON files.

Every memory file is written to a temp file in the same directory, fsynced and then
``os.replace``d, so readers see the old or the new content, never a mix; inside
``.teamlore/`` no write passes through a symlink (:mod:`memory_store.confine`). Reading never
repairs: a file that cannot be parsed is reported as a :class:`FileProblem` and left as is.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import math
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from memory_store import confine
from memory_store.boundaries import UnsafePathError

MAX_FILE_BYTES = 4 * 1024 * 1024
"""Memory files are small; anything bigger is hostile or a mistake and is skipped unread."""

MAX_DEPTH = 64

MAX_INPUT_BYTES = 256 * 1024 * 1024
"""Input files given to an import or ingest command (many records, a whole scanner report)."""


@dataclass(frozen=True)
class FileProblem:
    """A memory file that was skipped, and why."""

    path: Path
    reason: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else str(self.path)
        return f"{where}: {self.reason}"

    def to_json(self, root: Path | None = None) -> dict[str, Any]:
        path = self.path
        if root is not None:
            with contextlib.suppress(ValueError):
                path = self.path.relative_to(root)
        return {"path": path.as_posix(), "reason": self.reason, "line": self.line}


class MemoryFileError(Exception):
    """Raised by :func:`read_json` with the :class:`FileProblem` it found."""

    def __init__(self, problem: FileProblem):
        super().__init__(str(problem))
        self.problem = problem


class JsonInputError(ValueError):
    """Untrusted JSON text that is not accepted: invalid, too deep or holding ``NaN``/``Infinity``."""

    def __init__(self, reason: str, line: int | None = None):
        super().__init__(f"line {line}: {reason}" if line else reason)
        self.reason = reason
        self.line = line


class _NonFinite(ValueError):
    pass


def _refuse_constant(name: str) -> Any:
    raise _NonFinite(f"{name} is not a JSON number")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _NonFinite(f"{text} is out of range")
    return value


def loads_input(text: str, max_depth: int = MAX_DEPTH) -> Any:
    """Parse untrusted JSON text (an import line, a scanner report) as strict JSON.

    Raises :class:`JsonInputError`: invalid JSON (with its line), nesting deeper than
    ``max_depth``, or a non-finite number (``NaN``, ``Infinity``, ``1e999``), which strict
    readers of the committed records would reject."""
    try:
        obj = json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float)
    except json.JSONDecodeError as exc:
        raise JsonInputError(f"invalid JSON: {exc.msg} (column {exc.colno})", exc.lineno) from None
    except _NonFinite as exc:
        raise JsonInputError(f"non-finite number refused: {exc}") from None
    except RecursionError:
        raise JsonInputError(f"JSON nested deeper than {max_depth} levels") from None
    if nested_too_deep(text, obj, max_depth):
        raise JsonInputError(f"JSON nested deeper than {max_depth} levels")
    return obj


def dumps(obj: Any) -> str:
    """The one on-disk JSON style: pretty, sorted keys, UTF-8, trailing newline.

    Strict JSON: a non-finite number raises ``ValueError`` (nothing is written)."""
    return json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False, allow_nan=False) + "\n"


def atomic_write_bytes(path: Path, data: bytes, mode: int = confine.FILE_MODE) -> None:
    """Write ``path`` atomically; inside ``.teamlore/`` never through a symlink
    (see :func:`memory_store.confine.write_atomic`). ``mode`` is masked by the umask."""
    confine.write_atomic(path, data, mode)


def atomic_write_text(path: Path, text: str, mode: int = confine.FILE_MODE) -> None:
    atomic_write_bytes(path, text.encode("utf-8"), mode)


@contextlib.contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """Exclusive inter-process lock held on ``path`` (created if missing) for read-modify-write.

    Inside ``.teamlore/`` the lock file and its directories may not be symlinks."""
    with confine.open_file(path, os.O_RDWR | os.O_CREAT) as fd:
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)


PRIVATE_MODE = 0o600
"""Mode of the user's own files outside any repository (consent): not for other local users."""


def atomic_write_json(path: Path, obj: Any, mode: int = confine.FILE_MODE) -> None:
    atomic_write_text(path, dumps(obj), mode)


def nested_too_deep(text: str | bytes, obj: Any, limit: int = MAX_DEPTH) -> bool:
    """Whether ``obj``, parsed from ``text``, nests deeper than ``limit``. Walking the value is
    needed only when the text holds more brackets than the limit, which is rare."""
    opening = (text.count(b"[") + text.count(b"{")) if isinstance(text, bytes) else (text.count("[") + text.count("{"))
    return opening > limit and _depth(obj, limit) > limit


def _depth(obj: Any, limit: int) -> int:
    stack: list[tuple[Any, int]] = [(obj, 1)]
    deepest = 0
    while stack:
        node, d = stack.pop()
        deepest = max(deepest, d)
        if deepest > limit:
            return deepest
        if isinstance(node, dict):
            stack.extend((v, d + 1) for v in node.values())
        elif isinstance(node, list):
            stack.extend((v, d + 1) for v in node)
    return deepest


def read_bounded(path: Path, max_bytes: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of a small regular file, or :class:`MemoryFileError` saying why not.

    Never blocks and never reads without limit: a FIFO, a device (``/dev/zero``,
    ``/dev/stdin``), a directory or a file larger than ``max_bytes`` is refused unread.
    Inside ``.teamlore/`` a symlink (the file or a directory on the way) is refused too.
    """

    def fail(reason: str) -> MemoryFileError:
        return MemoryFileError(FileProblem(path, reason))

    confined = confine.store_of(path.parent) is not None
    if confined:
        try:
            confine.check_dir(path.parent)
        except UnsafePathError as exc:
            raise fail(f"not read: {exc}") from None
    try:
        # O_NONBLOCK: opening a FIFO planted in the repository must not hang the reader.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
                     | (getattr(os, "O_NOFOLLOW", 0) if confined else 0))
    except FileNotFoundError:
        raise
    except OSError as exc:
        if confined and os.path.islink(path):
            raise fail(confine.symlink_reason(os.readlink(path))) from None
        raise fail(f"cannot read: {exc.strerror or exc}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise fail("not a regular file; not read")
        if info.st_size > max_bytes:
            raise fail(f"too large ({info.st_size} bytes > {max_bytes}); not read")
        with os.fdopen(os.dup(fd), "rb") as fh:
            raw = fh.read(max_bytes + 1)
    except OSError as exc:
        raise fail(f"cannot read: {exc.strerror or exc}") from None
    finally:
        os.close(fd)
    if len(raw) > max_bytes:
        raise fail(f"too large (more than {max_bytes} bytes); not read")
    return raw


def read_json(path: Path, *, confine_to: Path | None = None, max_bytes: int = MAX_FILE_BYTES) -> Any:
    """Read one JSON memory file or raise :class:`MemoryFileError` naming path, line and reason.

    ``confine_to``: a symlink (or any path) resolving outside this directory is refused. Inside
    ``.teamlore/`` no symlink is read through at all (see :func:`read_bounded`).
    """

    def fail(reason: str, line: int | None = None) -> MemoryFileError:
        return MemoryFileError(FileProblem(path, reason, line))

    # The common case, a plain file directly inside the directory, needs no resolving.
    if confine_to is not None and (path.parent != confine_to or path.is_symlink()):
        try:
            real = path.resolve()
            base = confine_to.resolve()
        except (OSError, RuntimeError) as exc:  # RuntimeError: symlink loop (Python < 3.13)
            raise fail(f"cannot resolve the path: {exc}") from None
        if real != base and base not in real.parents:
            raise fail(f"points outside the memory directory ({real})")
    try:
        raw = read_bounded(path, max_bytes)
    except FileNotFoundError as exc:
        raise fail(f"cannot read: {exc.strerror or exc}") from None
    except MemoryFileError as exc:
        raise fail(exc.problem.reason) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise fail(f"not valid UTF-8 (byte {exc.start})", line) from None
    if not text.strip():
        raise fail("empty file")
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        raise fail(f"invalid JSON: {exc.msg} (column {exc.colno})", exc.lineno) from None
    except RecursionError:
        raise fail("JSON nested too deeply") from None
    # Nesting can only exceed the limit when there are more brackets than the limit.
    if nested_too_deep(text, obj):
        raise fail(f"JSON nested deeper than {MAX_DEPTH} levels")
    return obj
