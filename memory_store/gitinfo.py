"""Small git helpers: who, where (branch, commit), and snapshots of the working tree.

A *snapshot* is a git tree object holding the current working-tree content of every
tracked file. It is written through a temporary index (``GIT_INDEX_FILE``), so the
user's index, stash and refs are never touched. Two snapshots can then be diffed with
plain ``git diff TREE_A TREE_B``. Snapshot trees are unreferenced objects: git may
prune them after its gc grace period (two weeks by default).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

GIT_TIMEOUT = 30.0
RACY_MARGIN_NS = 2_000_000_000
"""Index entries changed this long before the index was written are re-hashed, not trusted
on size and mtime (two seconds: the coarsest file-time granularity in common use, FAT's)."""


class GitError(RuntimeError):
    """A git command failed (or git is missing)."""


def _git(root: Path, *args: str, env: dict[str, str] | None = None, check: bool = True,
         timeout: float = GIT_TIMEOUT) -> subprocess.CompletedProcess[str]:
    full_env = dict(os.environ)
    # A hook or editor environment may point git elsewhere; we always mean `root`.
    for name in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE"):
        full_env.pop(name, None)
    full_env["GIT_TERMINAL_PROMPT"] = "0"
    full_env["LC_ALL"] = "C"
    if env:
        full_env.update(env)
    try:
        out = subprocess.run(["git", *args], cwd=root, env=full_env, capture_output=True,
                             text=True, encoding="utf-8", errors="replace", timeout=timeout,
                             check=False, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.SubprocessError) as exc:
        raise GitError(f"git {args[0]}: {exc}") from None
    if check and out.returncode != 0:
        raise GitError(f"git {' '.join(args[:2])}: {out.stderr.strip() or out.returncode}")
    return out


def is_repo(root: Path) -> bool:
    try:
        out = _git(root, "rev-parse", "--show-toplevel", check=False)
    except GitError:
        return False
    return out.returncode == 0


def config(root: Path, key: str) -> str | None:
    try:
        out = _git(root, "config", "--get", key, check=False)
    except GitError:
        return None
    value = out.stdout.strip()
    return value or None if out.returncode == 0 else None


def author(root: Path) -> str | None:
    """``user.name`` from git config (``user.email`` when no name is set)."""
    return config(root, "user.name") or config(root, "user.email")


def branch(root: Path) -> str | None:
    try:
        out = _git(root, "symbolic-ref", "--quiet", "--short", "HEAD", check=False)
    except GitError:
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


def commit(root: Path) -> str | None:
    try:
        out = _git(root, "rev-parse", "--verify", "--quiet", "HEAD^{commit}", check=False)
    except GitError:
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


def snapshot(root: Path) -> str:
    """Write a tree of the tracked files' working-tree content; return its id.

    Uses a copy of the user's index (so "tracked" includes staged new files) and
    ``git add -u`` on that copy; the real index is not modified.

    git skips re-reading a file whose size and mtime match its index entry, unless the
    entry is "racy": its mtime is not older than the index file itself (the file may have
    changed again within the same timestamp tick). A plain copy of the index is newer than
    every entry, which would make racy entries look trustworthy; so the copy gets the
    original's mtime moved back by :data:`RACY_MARGIN_NS`, and every entry changed within
    that window before the index was written is re-hashed from its content. fsmonitor is
    off for the copy: its "unchanged" marks belong to the user's index.
    """
    index = _git(root, "rev-parse", "--git-path", "index").stdout.strip()
    index_path = Path(index) if os.path.isabs(index) else root / index
    with tempfile.TemporaryDirectory(prefix="teamlore-index-") as tmp:
        temp_index = Path(tmp) / "index"
        env = {"GIT_INDEX_FILE": str(temp_index)}
        try:
            # Stat before copying: should the index be rewritten in between, the copy is
            # only ever given an older time than its content, which re-hashes more, never less.
            written_ns = index_path.stat().st_mtime_ns
        except FileNotFoundError:
            _git(root, "read-tree", "--empty", env=env)
        else:
            racy_from = max(written_ns - RACY_MARGIN_NS, 1_000_000_000)  # a zero time turns git's check off
            try:
                shutil.copyfile(index_path, temp_index)
                os.utime(temp_index, ns=(racy_from, racy_from))
            except OSError as exc:
                raise GitError(f"cannot copy the git index: {exc}") from None
        _git(root, "-c", "core.fsmonitor=false", "add", "--update", "--", ".", env=env)
        return _git(root, "write-tree", env=env).stdout.strip()


def has_object(root: Path, oid: str) -> bool:
    try:
        return _git(root, "cat-file", "-e", oid, check=False).returncode == 0
    except GitError:
        return False


def diff(root: Path, old_tree: str, new_tree: str, paths: list[str] | None = None,
         context: int = 3) -> str:
    """Unified diff between two trees (optionally only ``paths``), paths relative to ``root``
    (which may be a subdirectory of the repository); binary files summarized."""
    args = ["-c", "core.quotepath=off", "diff", "--relative", "--no-color", "--no-ext-diff", "--no-textconv",
            f"-U{context}", old_tree, new_tree]
    if paths:
        args += ["--", *paths]
    return _git(root, *args).stdout


def changed_files(root: Path, old_tree: str, new_tree: str) -> list[tuple[str, int | None, int | None]]:
    """``(path, added, removed)`` per changed file; counts are None for binary files."""
    out = _git(root, "-c", "core.quotepath=off", "diff", "--relative", "--numstat", "--no-renames", "-z",
               old_tree, new_tree).stdout
    rows: list[tuple[str, int | None, int | None]] = []
    for item in out.split("\0"):
        if not item.strip():
            continue
        added, removed, path = item.split("\t", 2)
        rows.append((path, None if added == "-" else int(added), None if removed == "-" else int(removed)))
    return rows
