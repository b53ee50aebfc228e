"""Read-only git for the triage mapping, safe to run in a repository somebody else made.

A clone's ``.git/config`` and ``.gitattributes`` can name programs git would run: diff
drivers (``diff.external``, ``diff.<x>.command``), text conversion (``textconv``), clean and
smudge filters, the fsmonitor hook, hooks, a pager. Only commands that never start any of
them are used here: ``rev-parse``, ``ls-tree``, ``cat-file --batch`` (no ``--filters``, no
``--textconv``) and tree-to-tree ``diff`` with ``--no-ext-diff --no-textconv``; the working
tree is never compared by git (that would run clean filters) but read and hashed here.
Every call passes ``core.hooksPath=/dev/null``, ``core.fsmonitor=false``, no pager,
``GIT_CONFIG_NOSYSTEM`` and literal pathspecs, with arguments as a list (no shell).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
from collections.abc import Iterable
from pathlib import Path

GIT_TIMEOUT = 120.0
_SAFE_CONFIG = ("core.hooksPath=/dev/null", "core.fsmonitor=false", "core.pager=cat", "core.quotepath=off",
                "diff.external=", "diff.noprefix=false", "diff.mnemonicPrefix=false", "diff.relative=false",
                "core.untrackedCache=false")


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update({"GIT_CONFIG_NOSYSTEM": "1", "GIT_TERMINAL_PROMPT": "0", "GIT_PAGER": "cat", "PAGER": "cat",
                "GIT_OPTIONAL_LOCKS": "0", "GIT_LITERAL_PATHSPECS": "1", "GIT_NO_REPLACE_OBJECTS": "1",
                "LC_ALL": "C"})
    return env


def blob_id(data: bytes, object_format: str = "sha1") -> str:
    """The id git gives a blob of ``data`` (computed here: no filter runs)."""
    algo = hashlib.sha256 if object_format == "sha256" else hashlib.sha1
    return algo(b"blob %d\0" % len(data) + data).hexdigest()


class SafeGit:
    """git commands in one repository; every answer is None (or empty) on any failure."""

    def __init__(self, root: Path, toplevel: Path, prefix: str, object_format: str):
        self.root = root
        self.toplevel = toplevel
        self.prefix = prefix  # the workspace's path inside the repository ("" or "sub/")
        self.object_format = object_format

    @classmethod
    def open(cls, root: Path) -> SafeGit | None:
        """The repository holding ``root``; None without git or outside a repository."""
        out = _run(root, ["rev-parse", "--show-toplevel", "--show-prefix", "--show-object-format"])
        if out is None:
            return None
        lines = out.decode("utf-8", "surrogateescape").splitlines()
        if len(lines) < 2:
            return None
        fmt = lines[2].strip() if len(lines) > 2 and lines[2].strip() in ("sha1", "sha256") else "sha1"
        return cls(root, Path(lines[0]), lines[1].strip(), fmt)

    def run(self, args: list[str], stdin: bytes | None = None) -> bytes | None:
        return _run(self.root, args, stdin)

    def head(self) -> str | None:
        return self.commit("HEAD")

    def commit(self, rev: str) -> str | None:
        """The full id of ``rev`` when it names a commit present here (None in a shallow
        clone that lacks it, or after history was rewritten and pruned)."""
        if rev.startswith("-"):
            return None
        out = self.run(["rev-parse", "--verify", "--quiet", "--end-of-options", rev + "^{commit}"])
        text = out.decode("ascii", "replace").strip() if out else ""
        return text or None

    def repo_path(self, rel: str) -> str:
        return self.prefix + rel

    def workspace_path(self, repo_path: str) -> str | None:
        if not repo_path.startswith(self.prefix):
            return None
        return repo_path[len(self.prefix):]

    def tree_blobs(self, commit: str) -> dict[str, str]:
        """Workspace path -> blob id of every file under the workspace at ``commit``."""
        args = ["ls-tree", "-r", "-z", "--full-tree", commit]
        if self.prefix:
            args += ["--", self.prefix.rstrip("/")]
        out = self.run(args)
        blobs: dict[str, str] = {}
        for item in (out or b"").split(b"\0"):
            if not item:
                continue
            meta, _, name = item.partition(b"\t")
            parts = meta.split()
            if len(parts) != 3 or parts[1] != b"blob":
                continue
            rel = self.workspace_path(name.decode("utf-8", "surrogateescape"))
            if rel is not None:
                blobs[rel] = parts[2].decode("ascii")
        return blobs

    def untracked(self) -> list[str]:
        """Workspace paths of untracked, not ignored files."""
        out = self.run(["ls-files", "-z", "--others", "--exclude-standard", "--full-name", "--", "."])
        found = []
        for item in (out or b"").split(b"\0"):
            rel = self.workspace_path(item.decode("utf-8", "surrogateescape")) if item else None
            if rel:
                found.append(rel)
        return found

    def blobs(self, ids: Iterable[str]) -> dict[str, bytes]:
        """Contents of blobs (by id); missing ones are left out."""
        wanted = sorted({i for i in ids if i and all(c in "0123456789abcdef" for c in i)})
        if not wanted:
            return {}
        out = self.run(["cat-file", "--batch"], ("\n".join(wanted) + "\n").encode("ascii"))
        found: dict[str, bytes] = {}
        pos = 0
        data = out or b""
        while pos < len(data):
            end = data.find(b"\n", pos)
            if end < 0:
                break
            header = data[pos:end].split()
            pos = end + 1
            if len(header) == 3 and header[1] in (b"blob",):
                size = int(header[2])
                found[header[0].decode("ascii")] = data[pos:pos + size]
                pos += size + 1
            elif len(header) == 3:
                pos += int(header[2]) + 1
        return found

    def renames_and_patch(self, old: str, new: str, suffixes: Iterable[str]) -> bytes | None:
        """``git diff -U0 -M`` between two commits, limited to files with these suffixes."""
        args = ["diff", "-U0", "-M", "-l5000", "--no-color", "--no-ext-diff", "--no-textconv", "--full-index",
                "--src-prefix=a/", "--dst-prefix=b/", old, new, "--"]
        # Relative to the workspace (git's working directory); "*" crosses directories.
        return _run(self.root, args + sorted({f"*{s}" for s in suffixes}), literal=False)


def _run(root: Path, args: list[str], stdin: bytes | None = None, literal: bool = True) -> bytes | None:
    cmd = ["git", "--no-pager"]
    for item in _SAFE_CONFIG:
        cmd += ["-c", item]
    env = _env()
    if not literal:
        env.pop("GIT_LITERAL_PATHSPECS", None)
    try:
        if stdin is None:
            out = subprocess.run([*cmd, *args], cwd=root, env=env, stdin=subprocess.DEVNULL,
                                 capture_output=True, timeout=GIT_TIMEOUT, check=False)
        else:
            out = subprocess.run([*cmd, *args], cwd=root, env=env, input=stdin, capture_output=True,
                                 timeout=GIT_TIMEOUT, check=False)
    except (OSError, subprocess.SubprocessError, ValueError):
        return None
    return out.stdout if out.returncode == 0 else None
