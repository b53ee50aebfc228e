"""Hostile files planted in a memory directory, and a fingerprint of the tree to prove that
nothing was rewritten, deleted or added while they were being read."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from memory_store.workspace import Workspace

HUGE_BYTES = 100 * 1024 * 1024
NESTING = 100_000


def plant(ws: Workspace, outside: Path) -> dict[str, str]:
    """Create every kind of hostile file; returns {relative path: what it is}."""
    bugs = ws.store / "bugs"
    decisions = ws.store / "security" / "decisions"
    snapshots = ws.store / "debt" / "snapshots"
    for d in (bugs, decisions, snapshots):
        d.mkdir(parents=True, exist_ok=True)
    outside.mkdir(parents=True, exist_ok=True)
    valid_elsewhere = outside / "record.json"
    valid_elsewhere.write_text(json.dumps({"id": "bug-outside", "schema": "teamlore.bug/1",
                                           "error": {"type": "KeyError", "message": "x"}, "fix": "f"}))
    planted: dict[str, str] = {}

    def put(directory: Path, name: str, what: str, data: bytes | str | None = None) -> Path:
        path = directory / name
        if data is not None:
            path.write_bytes(data.encode() if isinstance(data, str) else data)
        planted[path.relative_to(ws.root).as_posix()] = what
        return path

    for directory, prefix in ((bugs, "bug"), (decisions, "sdec"), (snapshots, "2024-01-01_deadbee")):
        put(directory, f"{prefix}-truncated.json", "truncated JSON", '{"id": "x", "schema": ')
        put(directory, f"{prefix}-list.json", "wrong top-level type", "[1, 2, 3]\n")
        put(directory, f"{prefix}-utf8.json", "invalid UTF-8", b'{"id": "x", "fix": "\xff\xfe\xc3"}\n')
        put(directory, f"{prefix}-deep.json", "100k nested lists", "[" * NESTING + "]" * NESTING)
    put(bugs, "bug-deepobj.json", "100k nested objects", '{"a":' * NESTING + "1" + "}" * NESTING)
    put(bugs, "bug-types.json", "wrong field types", json.dumps(
        {"id": "bug-types", "schema": "teamlore.bug/1", "error": {"type": 5, "message": []}, "minutes": "ten"}))
    put(bugs, "bug-schema.json", "foreign schema", json.dumps({"id": "bug-schema", "schema": "evil/9"}))
    put(bugs, "bug-empty.json", "empty file", b"")
    huge = put(bugs, "bug-huge.json", "100 MB file")
    with open(huge, "wb") as fh:  # sparse: instant to create, 100 MB to anyone who reads it
        fh.truncate(HUGE_BYTES)
    os.symlink(valid_elsewhere, put(bugs, "bug-outside.json", "symlink to a file outside"))
    os.symlink("/etc/passwd", put(bugs, "bug-passwd.json", "symlink to /etc/passwd"))
    os.symlink("/dev/zero", put(bugs, "bug-zero.json", "symlink to /dev/zero"))
    os.symlink("bug-loop.json", put(bugs, "bug-loop.json", "symlink loop"))
    os.mkfifo(put(bugs, "bug-fifo.json", "named pipe"))
    put(bugs, "bug-dir.json", "directory named like a record").mkdir()
    return planted


def fingerprint(root: Path) -> dict[str, tuple[int, int, str]]:
    """{path: (mtime_ns, size, sha256 of small regular files)} for everything under root
    (directories: only that they exist)."""
    out: dict[str, tuple[int, int, str]] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = Path(dirpath) / name
            if ".cache" in path.relative_to(root).parts or ".inbox" in path.relative_to(root).parts:
                continue
            st = path.lstat()
            if path.is_dir() and not path.is_symlink():
                out[path.relative_to(root).as_posix()] = (0, 0, "directory")  # mtime moves with entries
                continue
            digest = ""
            if path.is_file() and not path.is_symlink() and st.st_size <= 4 * 1024 * 1024:
                digest = hashlib.sha256(path.read_bytes()).hexdigest()
            out[path.relative_to(root).as_posix()] = (st.st_mtime_ns, st.st_size, digest)
    return out


PEAK_KB = (
    "def peak_kb():\n"
    "    with open('/proc/self/status') as fh:\n"
    "        return int(next(line.split()[1] for line in fh if line.startswith('VmHWM:')))\n"
)
"""Source of ``peak_kb()`` for measuring child processes: the peak resident set of this very
process image. (``ru_maxrss`` is kept across fork and exec on Linux, so a child started by a
large test process would report the parent's peak.)"""
