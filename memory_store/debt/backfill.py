"""Past snapshots computed straight from git objects, without touching the work tree.

For each date (first of the month, or Monday), the state of the main line then is the
newest first-parent commit of HEAD committed at or before it. Its tree is listed with
``git ls-tree -r``; blob contents stream through one ``git cat-file --batch``
process. Counts are cached by (blob id, comment syntax), so a file unchanged between two
snapshots is read and counted once: that is what keeps 24 monthly snapshots of a large
repository fast. The counting rules are those of :func:`memory_store.debt.files.scan_tree`,
so a backfilled snapshot equals a scan of the same commit checked out.
"""

from __future__ import annotations

import os
import re
import subprocess
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, TypeVar

from memory_store.debt.files import (
    GitError,
    ScanResult,
    count_blob,
    git,
    is_git_repo,
    skip_path,
)
from memory_store.debt.markers import Marker, language_for, needs_content_sniff
from memory_store.debt.snapshots import SnapshotStore, build_snapshot, snapshot_id
from memory_store.workspace import Workspace

T = TypeVar("T")
Progress = Callable[[Sequence[T], str], Iterable[T]]

_SINCE = re.compile(r"^\s*(\d+)\s*([dwmy])\s*$", re.IGNORECASE)


def parse_since(value: str, now: datetime) -> datetime:
    """``24m``, ``52w``, ``90d``, ``2y`` before ``now``, or an ISO date."""
    m = _SINCE.match(value)
    if m:
        n, unit = int(m.group(1)), m.group(2).lower()
        if unit == "d":
            return now - timedelta(days=n)
        if unit == "w":
            return now - timedelta(weeks=n)
        months = n * 12 if unit == "y" else n
        year, month = divmod(now.year * 12 + now.month - 1 - months, 12)
        return now.replace(year=year, month=month + 1, day=1, hour=0, minute=0, second=0, microsecond=0)
    try:
        when = datetime.fromisoformat(value.strip())
    except ValueError:
        raise ValueError(f"--since: expected e.g. 24m, 52w, 90d, 2y or a date, got {value!r}") from None
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


def boundaries(since: datetime, now: datetime, every: str) -> list[datetime]:
    """Snapshot dates in ``[since, now]``: first days of months or Mondays, 00:00 UTC."""
    start = since.astimezone(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
    out: list[datetime] = []
    if every == "month":
        year, month = start.year, start.month
        if start.day != 1:
            year, month = divmod(year * 12 + month, 12)
            month += 1
        while True:
            point = datetime(year, month, 1, tzinfo=timezone.utc)
            if point > now:
                break
            out.append(point)
            year, month = divmod(year * 12 + month, 12)
            month += 1
    elif every == "week":
        point = start + timedelta(days=(7 - start.weekday()) % 7)
        while point <= now:
            out.append(point)
            point += timedelta(weeks=1)
    else:
        raise ValueError(f"--every: expected month or week, got {every!r}")
    return out


@dataclass(frozen=True)
class Planned:
    date: datetime
    commit: str

    @property
    def id(self) -> str:
        return snapshot_id(self.date, self.commit)


def first_parent_history(root: Path) -> list[tuple[str, datetime]]:
    """``(commit, committer date)`` of HEAD's first-parent line, newest first."""
    out = git(root, "log", "--first-parent", "--format=%H %ct", "HEAD").decode()
    rows = []
    for line in out.splitlines():
        sha, _, ts = line.partition(" ")
        rows.append((sha, datetime.fromtimestamp(int(ts), timezone.utc)))
    return rows


def plan(root: Path, since: datetime, every: str, now: datetime | None = None) -> list[Planned]:
    """One snapshot per date from ``since`` to HEAD's commit date (dates before the first
    commit are skipped), plus HEAD at its own commit date."""
    now = now or datetime.now(timezone.utc)
    history = first_parent_history(root)
    if not history:
        return []
    planned: dict[str, Planned] = {}
    # up to the newest commit: what the main line looked like after it is not known here
    for point in boundaries(since, min(now, history[0][1]), every):
        commit = next((sha for sha, when in history if when <= point), None)
        if commit is not None:
            p = Planned(point, commit)
            planned[p.id] = p
    head_sha, head_date = history[0]
    head = Planned(head_date, head_sha)
    planned[head.id] = head
    return sorted(planned.values(), key=lambda p: p.date)


class BlobReader:
    """One ``git cat-file --batch`` process; requests are written from a thread so a large
    batch never deadlocks on full pipes."""

    def __init__(self, root: Path):
        env = {k: v for k, v in os.environ.items() if k not in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE")}
        try:
            self.proc = subprocess.Popen(["git", "cat-file", "--batch"], cwd=root, env=env,
                                         stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                         stderr=subprocess.DEVNULL)
        except OSError as exc:
            raise GitError(f"git cat-file: {exc}") from None

    def read(self, shas: Sequence[str]) -> Iterator[tuple[str, bytes]]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        stdin, stdout = self.proc.stdin, self.proc.stdout

        def feed() -> None:
            try:
                stdin.write("".join(f"{s}\n" for s in shas).encode())
                stdin.flush()
            except (BrokenPipeError, ValueError):
                pass

        writer = threading.Thread(target=feed, daemon=True)
        writer.start()
        try:
            for sha in shas:
                header = stdout.readline().split()
                if len(header) != 3:
                    raise GitError(f"git cat-file: object {sha} unavailable")
                size = int(header[2])
                data = stdout.read(size)
                stdout.read(1)
                yield sha, data
        finally:
            writer.join()

    def close(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        self.proc.wait(timeout=30)
        if self.proc.stdout:
            self.proc.stdout.close()


@dataclass
class TreeCounter:
    """Counts markers in commits' trees, reusing counts of blobs seen before."""

    root: Path
    markers: tuple[str, ...]
    cache: dict[tuple[str, str], list[Marker]] = field(default_factory=dict)
    blobs_read: int = 0
    _reader: BlobReader | None = None
    _keys: dict[str, str | None] = field(default_factory=dict)

    def __enter__(self) -> TreeCounter:
        self._reader = BlobReader(self.root)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._reader is not None:
            self._reader.close()

    def _syntax_key(self, path: str) -> str | None:
        """None for paths never counted; else what the counts of a blob at ``path`` depend on."""
        try:
            return self._keys[path]
        except KeyError:
            key = None if skip_path(path) else ("?" if needs_content_sniff(path) else (language_for(path) or ""))
            self._keys[path] = key
            return key

    def count(self, commit: str) -> ScanResult:
        out = git(self.root, "ls-tree", "-r", "-z", commit)
        result = ScanResult()
        wanted: list[tuple[str, str, str]] = []  # (path, sha, syntax key)
        for entry in out.split(b"\0"):
            if not entry:
                continue
            meta, _, raw_path = entry.partition(b"\t")
            mode, kind, raw_sha = meta.split()
            if kind != b"blob" or mode not in (b"100644", b"100755"):
                continue
            path = raw_path.decode("utf-8", "surrogateescape")
            key = self._syntax_key(path)
            if key is None:
                continue
            result.considered += 1
            wanted.append((path, raw_sha.decode(), key))
        missing = sorted({sha for _, sha, key in wanted if (sha, key) not in self.cache})
        if missing:
            assert self._reader is not None, "use TreeCounter as a context manager"
            keys_by_sha: dict[str, list[tuple[str, str]]] = {}
            for path, sha, key in wanted:
                keys_by_sha.setdefault(sha, []).append((path, key))
            for sha, data in self._reader.read(missing):
                self.blobs_read += 1
                for path, key in keys_by_sha[sha]:
                    if (sha, key) not in self.cache:
                        self.cache[(sha, key)] = count_blob(path, data, self.markers)
        for path, sha, key in wanted:
            found = self.cache[(sha, key)]
            if found:
                result.files[path] = found
        return result


def backfill(workspace: Workspace, markers: Sequence[str], *, since: datetime, every: str = "month",
             now: datetime | None = None, progress: Progress[Any] | None = None) -> dict[str, Any]:
    """Write the missing snapshots of the plan; return what was planned, added and kept."""
    root = workspace.root
    if not is_git_repo(root):
        raise GitError(f"not a git repository: {root}")
    store = SnapshotStore(workspace)
    planned = plan(root, since, every, now)
    todo = [p for p in planned if not store.exists(p.id)]
    added: list[str] = []
    markers = tuple(markers)
    with TreeCounter(root, markers) as counter:
        items: Iterable[Planned] = progress(todo, "backfill") if progress else todo
        for p in items:
            result = counter.count(p.commit)
            rec = build_snapshot(result, date=p.date, commit=p.commit, source="backfill", markers=markers)
            store.save(rec)
            added.append(rec["id"])
    return {"planned": len(planned), "added": len(added), "existing": len(planned) - len(todo),
            "snapshots": added, "blobs_read": counter.blobs_read}
