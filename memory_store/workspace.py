"""Where the memory lives, and the path rules that keep it portable and safe.

The workspace is the repository root. Paths stored in the memory are POSIX-style and
relative to it; anything that would escape it (``..``, absolute paths, NUL bytes,
symlinks pointing outside) is rejected with :class:`UnsafePathError`. Writes into the
memory directory never pass through a symlink (see :mod:`memory_store.confine`).
"""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from memory_store import confine
from memory_store.boundaries import STORE_DIRNAME as STORE_DIRNAME  # re-exported: the path rules live here
from memory_store.boundaries import ConfinementError as ConfinementError
from memory_store.boundaries import UnsafePathError as UnsafePathError
from memory_store.jsonio import MemoryFileError, atomic_write_text, read_bounded

ROOT_ENV = "TEAMLORE_ROOT"
GITIGNORE_LINES = (".cache/", ".inbox/", "*.tmp")
"""What ``.teamlore/.gitignore`` keeps out of commits: caches, captured runs, temp files of interrupted writes."""


log = logging.getLogger(__name__)


def find_workspace_root(explicit: str | os.PathLike[str] | None = None, start: Path | None = None) -> Path:
    """Resolve the workspace root: explicit ``--root``, then ``TEAMLORE_ROOT``, then the
    nearest ancestor of ``start`` (default: cwd) holding ``.teamlore`` or ``.git``, else ``start``.

    A ``.teamlore`` outside any git repository is adopted only when it and the directory
    holding it belong to the current user: anyone can plant ``/tmp/.teamlore``. Likewise a
    ``.git`` owned by another user is not taken for a repository (git's own
    ``safe.directory`` rule), so ``/tmp/.git`` next to a planted store adopts nothing.
    """
    if explicit:
        return Path(explicit).expanduser().resolve()
    env = os.environ.get(ROOT_ENV)
    if env:
        return Path(env).expanduser().resolve()
    here = (start or Path.cwd()).resolve()
    for candidate in (here, *here.parents):
        if (candidate / ".git").exists():
            if _git_owned_by_user(candidate):
                return candidate
            log.warning("ignoring %s: a git repository owned by another user", candidate / ".git")
        if (candidate / STORE_DIRNAME).is_dir():
            if any(_git_owned_by_user(p) for p in candidate.parents if (p / ".git").exists()) or \
                    _owned_by_user(candidate):
                return candidate
            log.warning("ignoring %s: outside any git repository and not owned by you",
                        candidate / STORE_DIRNAME)
    return here


def _git_owned_by_user(holder: Path) -> bool:
    getuid: Callable[[], int] | None = getattr(os, "getuid", None)
    if getuid is None:
        return True
    try:
        return os.lstat(holder / ".git").st_uid == getuid()
    except OSError:
        return False


def _owned_by_user(holder: Path) -> bool:
    """``holder/.teamlore`` is a real directory and both belong to the current user."""
    getuid: Callable[[], int] | None = getattr(os, "getuid", None)
    if getuid is None:  # no owners to compare on this platform
        return True
    uid = getuid()
    try:
        store = os.lstat(holder / STORE_DIRNAME)
        return stat.S_ISDIR(store.st_mode) and store.st_uid == uid and os.stat(holder).st_uid == uid
    except OSError:
        return False


def check_relative(path: str) -> str:
    """Validate a workspace-relative path given by a user or a file; return it normalized."""
    if "\x00" in path:
        raise UnsafePathError(f"path contains a NUL byte: {path!r}")
    candidate = path.replace("\\", "/")
    if candidate.startswith("/") or (len(candidate) > 1 and candidate[1] == ":"):
        raise UnsafePathError(f"absolute path not allowed here: {path!r}")
    parts = [p for p in PurePosixPath(candidate).parts if p not in ("", ".")]
    if any(p == ".." for p in parts):
        raise UnsafePathError(f"path escapes the workspace: {path!r}")
    return "/".join(parts)


def check_id(record_id: str) -> str:
    """Record ids become file names: allow only a safe alphabet."""
    if not record_id or len(record_id) > 128 or "\x00" in record_id:
        raise UnsafePathError(f"invalid id: {record_id!r}")
    allowed = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.")
    if not set(record_id) <= allowed or record_id.startswith(".") or ".." in record_id:
        raise UnsafePathError(f"invalid id: {record_id!r}")
    return record_id


_GITIGNORE_CHECKED: set[Path] = set()
"""Stores whose ``.gitignore`` was checked by this process (it is read once, not on every write)."""


def _complete_gitignore(gitignore: Path) -> None:
    """Append the lines of :data:`GITIGNORE_LINES` that an existing ``.gitignore`` (written by an
    earlier version, or by hand) lacks. One that is not a readable regular file is left alone."""
    try:
        text = read_bounded(gitignore).decode("utf-8", errors="replace")
    except (MemoryFileError, FileNotFoundError):
        return
    present = {line.strip() for line in text.splitlines()}
    missing = [line for line in GITIGNORE_LINES if line not in present]
    if missing:
        separator = "" if not text or text.endswith("\n") else "\n"
        confine.append(gitignore, (separator + "".join(f"{line}\n" for line in missing)).encode("utf-8"))


@dataclass(frozen=True)
class Workspace:
    """A workspace root and its ``.teamlore`` memory directory."""

    root: Path

    @classmethod
    def find(cls, explicit: str | os.PathLike[str] | None = None, start: Path | None = None) -> Workspace:
        return cls(find_workspace_root(explicit, start))

    @property
    def store(self) -> Path:
        return self.root / STORE_DIRNAME

    @property
    def inbox(self) -> Path:
        return self.store / ".inbox"

    @property
    def cache(self) -> Path:
        return self.store / ".cache"

    def ensure_store(self) -> Path:
        """Create ``.teamlore/`` (with its ``.gitignore``) on first write.

        Raises :class:`ConfinementError` when ``.teamlore`` is a symlink or not a directory."""
        confine.make_dirs(self.store)
        gitignore = self.store / ".gitignore"
        if not os.path.lexists(gitignore):
            atomic_write_text(gitignore, "".join(f"{line}\n" for line in GITIGNORE_LINES))
        elif self.store not in _GITIGNORE_CHECKED:
            _complete_gitignore(gitignore)
        _GITIGNORE_CHECKED.add(self.store)
        return self.store

    def relative(self, path: str | os.PathLike[str]) -> str:
        """Workspace-relative POSIX path for ``path`` (absolute or relative to the root)."""
        raw = os.fspath(path)
        if "\x00" in raw:
            raise UnsafePathError(f"path contains a NUL byte: {raw!r}")
        p = Path(raw)
        if not p.is_absolute():
            return check_relative(raw)
        try:
            rel = p.resolve().relative_to(self.root)
        except ValueError:
            try:
                rel = p.absolute().relative_to(self.root)
            except ValueError:
                raise UnsafePathError(f"path is outside the workspace {self.root}: {raw}") from None
        return check_relative(rel.as_posix())

    def contains(self, path: str | os.PathLike[str]) -> bool:
        try:
            self.relative(path)
        except UnsafePathError:
            return False
        return True

    def resolve(self, relative: str) -> Path:
        """Absolute path for a stored relative path; refuses anything escaping the root."""
        rel = check_relative(relative)
        full = (self.root / rel).resolve()
        if full != self.root and self.root not in full.parents:
            raise UnsafePathError(f"path resolves outside the workspace: {relative!r}")
        return full
