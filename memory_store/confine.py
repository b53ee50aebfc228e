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

Files are created ``0o666 & ~umask`` (like any editor's), so a teammate sharing the checkout
can read them. A write killed half-way leaves its temp file ``.<name>.<hex>.tmp``; the next
write into that directory removes temp files older than any write takes
(:data:`STALE_TEMP_SECONDS`), ``.teamlore/.gitignore`` ignores them and ``doctor`` lists them.
An ``OSError`` raised here names the full path (not only the last component).
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import secrets
import stat
import time
from collections.abc import Iterator
from pathlib import Path

from memory_store.boundaries import STORE_DIRNAME, ConfinementError

_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_DIRECTORY = getattr(os, "O_DIRECTORY", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_DIR_FLAGS = os.O_RDONLY | _DIRECTORY | _NOFOLLOW | _CLOEXEC
MAX_REPORTED_SYMLINKS = 1000
FILE_MODE = 0o666
"""Mode of created files before the umask: readable by whoever the user's umask allows."""
STALE_TEMP_SECONDS = 600.0
"""A temp file this much older than now is left by an interrupted write (no write takes that long)."""
SWEEP_INTERVAL_SECONDS = 60.0
"""A directory is searched for stale temp files at most this often per process (a bulk import
writes thousands of files into one directory)."""
TEMP_NAME = re.compile(r"\..+\.[0-9a-f]{8}\.tmp")

log = logging.getLogger(__name__)
_last_sweep: dict[str, float] = {}


def is_temp_name(name: str) -> bool:
    """Whether ``name`` is a temp file of :func:`write_atomic`."""
    return TEMP_NAME.fullmatch(name) is not None


def _named(exc: OSError, path: Path) -> OSError:
    """``exc`` naming the full ``path``: calls relative to a directory descriptor name only the last part."""
    if exc.errno is None:
        return exc
    return type(exc)(exc.errno, exc.strerror or str(exc), str(path))


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
            try:
                child = _open_child_dir(fd, name, here, create)
            except OSError as exc:
                raise _named(exc, here) from None
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
def open_file(path: Path, flags: int, mode: int = FILE_MODE) -> Iterator[int]:
    """A descriptor of the regular file ``path`` (``os.open`` flags); inside a store, neither
    the file nor any directory on the way may be a symlink. With ``O_CREAT`` missing
    directories are created."""
    confined = store_of(path.parent) is not None
    with directory_fd(path.parent, create=bool(flags & os.O_CREAT)) as dir_fd:
        try:
            fd = _open_in(dir_fd, path, flags, mode, confined)
        except OSError as exc:
            raise _named(exc, path) from None
    try:
        yield fd
    finally:
        os.close(fd)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def write_atomic(path: Path, data: bytes, mode: int = FILE_MODE) -> None:
    """Replace ``path`` with ``data``: a new temp file in the same directory (``O_CREAT |
    O_EXCL | O_NOFOLLOW``), fsynced, renamed over ``path``. In a store, an existing ``path``
    that is not a regular file (a symlink, a FIFO) is refused rather than replaced.

    On any failure (read-only directory, full disk) the temp file is removed and ``path`` is
    untouched; the ``OSError`` names ``path``. ``mode`` is masked by the umask (``0o600`` for
    a user-private file)."""
    confined = store_of(path.parent) is not None
    with directory_fd(path.parent, create=True) as dir_fd:
        if confined:
            refusal = _refusal(dir_fd, path.name, path, want_dir=False)
            if refusal is not None:
                raise refusal
        if confined:  # only the memory's own directories: elsewhere such names may be someone else's
            _sweep_stale_temps(dir_fd, path.parent)
        try:
            _write_via_temp(dir_fd, path.name, data, mode)
        except OSError as exc:
            raise _named(exc, path) from None
        with contextlib.suppress(OSError):
            os.fsync(dir_fd)


def _write_via_temp(dir_fd: int, name: str, data: bytes, mode: int) -> None:
    while True:
        tmp = f".{name}.{secrets.token_hex(4)}.tmp"
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
        os.replace(tmp, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp, dir_fd=dir_fd)
        raise


def _is_stale_temp(entry: os.DirEntry[str], now: float) -> bool:
    if not is_temp_name(entry.name):
        return False
    try:
        info = entry.stat(follow_symlinks=False)
    except OSError:
        return False
    return stat.S_ISREG(info.st_mode) and now - info.st_mtime > STALE_TEMP_SECONDS


def _stale_temp_names(dir_fd: int, now: float) -> list[str]:
    """Regular temp files in the directory older than :data:`STALE_TEMP_SECONDS`."""
    with os.scandir(dir_fd) as entries:
        return [entry.name for entry in entries if _is_stale_temp(entry, now)]


def _sweep_stale_temps(dir_fd: int, directory: Path) -> None:
    """Remove temp files left by killed writes (at most once a minute per directory)."""
    key = str(directory)
    clock = time.monotonic()
    last = _last_sweep.get(key)
    if last is not None and clock - last < SWEEP_INTERVAL_SECONDS:
        return
    _last_sweep[key] = clock
    try:
        names = _stale_temp_names(dir_fd, time.time())
    except OSError:
        return
    for name in names:
        try:
            os.unlink(name, dir_fd=dir_fd)
            log.info("removed %s (left by an interrupted write)", directory / name)
        except OSError:
            continue


def stale_temps(store: Path, now: float | None = None, limit: int = MAX_REPORTED_SYMLINKS) -> list[Path]:
    """Temp files of interrupted writes at or under ``store`` (no symlink followed)."""
    now = time.time() if now is None else now
    found: list[Path] = []
    pending = [store]
    while pending and len(found) < limit:
        directory = pending.pop()
        try:
            with directory_fd(directory) as fd, os.scandir(fd) as scan:
                entries = sorted(scan, key=lambda e: e.name)
                found.extend(directory / e.name for e in entries if _is_stale_temp(e, now))
                pending.extend(directory / e.name for e in entries if e.is_dir(follow_symlinks=False))
        except (OSError, ValueError):  # ValueError: ConfinementError, reported by the other checks
            continue
    return found[:limit]


def append(path: Path, data: bytes) -> None:
    """Append ``data`` to ``path`` (created if missing) in one write, then fsync."""
    with open_file(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT) as fd:
        try:
            _write_all(fd, data)
            os.fsync(fd)
        except OSError as exc:
            raise _named(exc, path) from None


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
        try:
            os.replace(src.name, dst.name, src_dir_fd=src_fd, dst_dir_fd=dst_fd)
        except OSError as exc:
            raise _named(exc, dst) from None


def unlink(path: Path) -> bool:
    """Remove the file ``path`` (a symlink itself, never its target); False when missing."""
    try:
        with directory_fd(path.parent) as dir_fd:
            try:
                os.unlink(path.name, dir_fd=dir_fd)
            except OSError as exc:
                raise _named(exc, path) from None
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
