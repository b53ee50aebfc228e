"""File operations that stay inside ``.teamlore/``, whatever the repository holds.

The repository is untrusted: a committed ``.teamlore/bugs -> ~/`` or
``.teamlore/.inbox/runs.jsonl -> ~/.bashrc`` must not make teamlore write (or read records)
outside it. So every path under a ``.teamlore`` directory is reached from the directory
holding ``.teamlore`` one name at a time, through directory file descriptors opened with
``O_NOFOLLOW``: no symlink is followed, not even one swapped in while teamlore runs. Files
are opened with ``O_NOFOLLOW`` (temp files also with ``O_CREAT | O_EXCL``) and must be
regular files. Anything else raises :class:`~memory_store.workspace.ConfinementError`
naming the path and why.

A path is "in a store" when one of its components is ``.teamlore`` (the last one counts);
paths elsewhere (a report the user asked to write) are handled as usual.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from collections.abc import Iterator
from pathlib import Path

from memory_store.workspace import STORE_DIRNAME, ConfinementError

_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_DIRECTORY = getattr(os, "O_DIRECTORY", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_DIR_FLAGS = os.O_RDONLY | _DIRECTORY | _NOFOLLOW | _CLOEXEC
MAX_REPORTED_SYMLINKS = 1000


def store_of(path: Path) -> Path | None:
    """The ``.teamlore`` directory that ``path`` is (or lies in), or None."""
    parts = path.parts
    for i in range(len(parts) - 1, -1, -1):
        if parts[i] == STORE_DIRNAME:
            return Path(*parts[: i + 1])
    return None


def kind_of(mode: int) -> str:
    """What a non-regular file is, in words."""
    if stat.S_ISLNK(mode):
        return "a symlink"
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "a regular file" if stat.S_ISREG(mode) else "not a regular file"


def symlink_reason(target: str) -> str:
    return f"is a symlink (to {target!r}); nothing inside {STORE_DIRNAME}/ is read or written through a symlink"


def _refusal(dir_fd: int, name: str, path: Path, *, want_dir: bool) -> ConfinementError | None:
    """Why the entry ``name`` cannot be used as a directory (or a regular file); None when
    it is missing or is what was wanted (the error was something else)."""
    try:
        info = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
    except FileNotFoundError:
        return None
    mode = info.st_mode
    if stat.S_ISLNK(mode):
        try:
            target = os.readlink(name, dir_fd=dir_fd)
        except OSError:
            target = "?"
        return ConfinementError(path, symlink_reason(target))
    if want_dir and not stat.S_ISDIR(mode):
        return ConfinementError(path, f"is {kind_of(mode)}, not a directory")
    if not want_dir and not stat.S_ISREG(mode):
        return ConfinementError(path, f"is {kind_of(mode)}, not a regular file")
    return None


def _open_child_dir(dir_fd: int, name: str, path: Path, create: bool) -> int:
    if name in ("", ".", ".."):
        raise ConfinementError(path, "path is not a plain name")
    try:
        return os.open(name, _DIR_FLAGS, dir_fd=dir_fd)
    except FileNotFoundError:
        if not create:
            raise
    except OSError:
        refusal = _refusal(dir_fd, name, path, want_dir=True)
        if refusal is not None:
            raise refusal from None
        raise
    with contextlib.suppress(FileExistsError):
        os.mkdir(name, dir_fd=dir_fd)
    return _open_child_dir(dir_fd, name, path, create=False)


def _open_dir(directory: Path, create: bool) -> int:
    """A descriptor of ``directory``; inside a store, reached without following symlinks."""
    store = store_of(directory)
    if store is None:
        if create:
            os.makedirs(directory, exist_ok=True)
        return os.open(directory, os.O_RDONLY | _DIRECTORY | _CLOEXEC)
    base = store.parent  # the workspace root: the user's choice, trusted
    if create:
        os.makedirs(base, exist_ok=True)
    fd = os.open(base, os.O_RDONLY | _DIRECTORY | _CLOEXEC)
    here = base
    try:
        for name in directory.relative_to(base).parts:
            here = here / name
            child = _open_child_dir(fd, name, here, create)
            os.close(fd)
            fd = child
    except BaseException:
        os.close(fd)
        raise
    return fd


@contextlib.contextmanager
def directory_fd(directory: Path, *, create: bool = False) -> Iterator[int]:
    """``directory`` opened (created first when ``create``) without following symlinks in the store."""
    fd = _open_dir(directory, create)
    try:
        yield fd
    finally:
        os.close(fd)


def make_dirs(directory: Path) -> None:
    """``mkdir -p`` that refuses symlinks and non-directories on the way (inside a store)."""
    with directory_fd(directory, create=True):
        pass


def check_dir(directory: Path) -> bool:
    """For reading: True when ``directory`` exists and, inside a store, no symlink or
    non-directory lies on the way from the store to it; False when it is missing.

    Raises :class:`ConfinementError` otherwise. (Cheap ``lstat`` checks: a reader can be
    raced, a writer cannot; writers go through :func:`directory_fd`.)"""
    store = store_of(directory)
    if store is None:
        return directory.is_dir()
    here = store.parent
    for name in directory.relative_to(here).parts:
        here = here / name
        if name in ("", ".", ".."):
            raise ConfinementError(here, "path is not a plain name")
        try:
            info = os.lstat(here)
        except FileNotFoundError:
            return False
        if stat.S_ISLNK(info.st_mode):
            raise ConfinementError(here, symlink_reason(_readlink(here)))
        if not stat.S_ISDIR(info.st_mode):
            raise ConfinementError(here, f"is {kind_of(info.st_mode)}, not a directory")
    return True


def _readlink(path: Path) -> str:
    try:
        return os.readlink(path)
    except OSError:
        return "?"


def _open_in(dir_fd: int, path: Path, flags: int, mode: int, confined: bool) -> int:
    name = path.name
    extra = _CLOEXEC | _NONBLOCK | (_NOFOLLOW if confined else 0)  # NONBLOCK: a FIFO must not hang us
    try:
        fd = os.open(name, flags | extra, mode, dir_fd=dir_fd)
    except FileNotFoundError:
        raise
    except OSError:
        refusal = _refusal(dir_fd, name, path, want_dir=False) if confined else None
        if refusal is not None:
            raise refusal from None
        raise
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise ConfinementError(path, f"is {kind_of(info.st_mode)}, not a regular file")
        os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return fd


@contextlib.contextmanager
def open_file(path: Path, flags: int, mode: int = 0o644) -> Iterator[int]:
    """A descriptor of the regular file ``path`` (``os.open`` flags); inside a store, neither
    the file nor any directory on the way may be a symlink. With ``O_CREAT`` missing
    directories are created."""
    confined = store_of(path.parent) is not None
    with directory_fd(path.parent, create=bool(flags & os.O_CREAT)) as dir_fd:
        fd = _open_in(dir_fd, path, flags, mode, confined)
    try:
        yield fd
    finally:
        os.close(fd)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def write_atomic(path: Path, data: bytes, mode: int = 0o600) -> None:
    """Replace ``path`` with ``data``: a new temp file in the same directory (``O_CREAT |
    O_EXCL | O_NOFOLLOW``), fsynced, renamed over ``path``. In a store, an existing ``path``
    that is not a regular file (a symlink, a FIFO) is refused rather than replaced."""
    confined = store_of(path.parent) is not None
    with directory_fd(path.parent, create=True) as dir_fd:
        if confined:
            refusal = _refusal(dir_fd, path.name, path, want_dir=False)
            if refusal is not None:
                raise refusal
        while True:
            tmp = f".{path.name}.{secrets.token_hex(4)}.tmp"
            try:
                fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _CLOEXEC, mode, dir_fd=dir_fd)
                break
            except FileExistsError:
                continue
        try:
            try:
                _write_all(fd, data)
                os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(tmp, path.name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp, dir_fd=dir_fd)
            raise
        with contextlib.suppress(OSError):
            os.fsync(dir_fd)


def append(path: Path, data: bytes) -> None:
    """Append ``data`` to ``path`` (created if missing) in one write, then fsync."""
    with open_file(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT) as fd:
        _write_all(fd, data)
        os.fsync(fd)


def size(path: Path) -> int:
    """Size of the regular file ``path``; 0 when it (or its directory) is missing."""
    try:
        with open_file(path, os.O_RDONLY) as fd:
            return os.fstat(fd).st_size
    except FileNotFoundError:
        return 0


def replace(src: Path, dst: Path) -> None:
    """``os.replace`` of one regular file by another, both reached without symlinks."""
    with directory_fd(src.parent) as src_fd, directory_fd(dst.parent, create=True) as dst_fd:
        for fd, path in ((src_fd, src), (dst_fd, dst)):
            if store_of(path.parent) is not None:
                refusal = _refusal(fd, path.name, path, want_dir=False)
                if refusal is not None:
                    raise refusal
        os.replace(src.name, dst.name, src_dir_fd=src_fd, dst_dir_fd=dst_fd)


def unlink(path: Path) -> bool:
    """Remove the file ``path`` (a symlink itself, never its target); False when missing."""
    try:
        with directory_fd(path.parent) as dir_fd:
            os.unlink(path.name, dir_fd=dir_fd)
    except FileNotFoundError:
        return False
    return True


def symlinks(store: Path, limit: int = MAX_REPORTED_SYMLINKS) -> list[tuple[Path, str]]:
    """Every symlink at or under ``store`` with its target, found without following any."""
    found: list[tuple[Path, str]] = []
    if os.path.islink(store):
        return [(store, _readlink(store))]
    pending = [store]
    while pending and len(found) < limit:
        directory = pending.pop()
        try:
            entries = list(os.scandir(directory))
        except OSError:
            continue
        for entry in sorted(entries, key=lambda e: e.name):
            try:
                if entry.is_symlink():
                    found.append((Path(entry.path), _readlink(Path(entry.path))))
                elif entry.is_dir(follow_symlinks=False):
                    pending.append(Path(entry.path))
            except OSError:
                continue
    return found[:limit]
