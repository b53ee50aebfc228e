"""Backfill from git objects equals scanning each commit checked out; re-runs add only what is missing."""

from __future__ import annotations

import random
import shutil
from datetime import datetime, timezone
from pathlib import Path

import pytest

from memory_store.config import DEFAULT_MARKERS
from memory_store.debt.backfill import backfill, boundaries, parse_since, plan
from memory_store.debt.files import scan_tree
from memory_store.debt.snapshots import SnapshotStore
from memory_store.workspace import Workspace
from tests.debt.fixture_sources import SOURCES
from tests.debt.gitrepo import commit, git, init_repo

UTC = timezone.utc
NOW = datetime(2024, 12, 15, tzinfo=UTC)


def _random_file(rng: random.Random, ext: str) -> str:
    comment = {"py": "#", "js": "//", "sql": "--", "sh": "#"}[ext]
    string = {"py": "x = '{}'", "js": "const s = '{}';", "sql": "SELECT '{}';", "sh": "echo '{}'"}[ext]
    lines = []
    for i in range(rng.randint(3, 30)):
        word = rng.choice(["TODO", "FIXME", "HACK", "XXX", "TODOS", "note", "mastodon"])
        kind = rng.random()
        if kind < 0.4:
            lines.append(f"{comment} {word}: item {i}")
        elif kind < 0.6:
            lines.append(string.format(f"{word} in a string {i}"))
        else:
            lines.append(string.format(f"plain {i}"))
    return "\n".join(lines) + "\n"


def make_history(root: Path, seed: int = 7) -> list[tuple[str, str]]:
    """About two years of commits (dates set through GIT_*_DATE) adding, editing, deleting files."""
    rng = random.Random(seed)
    init_repo(root)
    commits = [(commit(root, dict(SOURCES), "2023-01-03T10:00:00Z", "initial"), "2023-01-03")]
    live: list[str] = []
    for month in range(1, 24):
        year, mon = 2023 + month // 12, month % 12 + 1
        for day in (5, 19):
            changes: dict[str, str | bytes | None] = {}
            for _ in range(rng.randint(1, 6)):
                if live and rng.random() < 0.25:
                    changes[live.pop(rng.randrange(len(live)))] = None
                elif live and rng.random() < 0.5:
                    path = rng.choice(live)
                    changes[path] = _random_file(rng, path.rsplit(".", 1)[1])
                else:
                    ext = rng.choice(["py", "js", "sql", "sh"])
                    path = f"pkg{rng.randint(0, 4)}/f{len(live)}_{month}_{day}.{ext}"
                    live.append(path)
                    changes[path] = _random_file(rng, ext)
            date = f"{year}-{mon:02d}-{day:02d}"
            commits.append((commit(root, changes, f"{date}T12:00:00Z"), date))
    return commits


@pytest.fixture(scope="module")
def built_history(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[tuple[str, str]]]:
    root = tmp_path_factory.mktemp("history") / "repo"
    return root, make_history(root)


@pytest.fixture
def history(built_history, tmp_path: Path) -> tuple[Path, list[tuple[str, str]]]:
    """A private copy of the generated history (tests write snapshots into it)."""
    src, commits = built_history
    root = tmp_path / "repo"
    shutil.copytree(src, root, symlinks=True)
    return root, commits


def scan_checked_out(root: Path, sha: str, where: Path) -> dict[str, int]:
    git(root, "worktree", "add", "-q", "--detach", str(where), sha)
    try:
        result = scan_tree(where, DEFAULT_MARKERS)
        return {p: len(v) for p, v in result.files.items()}
    finally:
        git(root, "worktree", "remove", "--force", str(where))


def test_boundaries_and_since() -> None:
    since = parse_since("3m", NOW)
    assert since == datetime(2024, 9, 1, tzinfo=UTC)
    assert boundaries(since, NOW, "month") == [datetime(2024, m, 1, tzinfo=UTC) for m in (9, 10, 11, 12)]
    weeks = boundaries(datetime(2024, 11, 27, tzinfo=UTC), NOW, "week")
    assert [d.day for d in weeks] == [2, 9]
    assert all(d.weekday() == 0 for d in weeks)
    assert parse_since("2024-06-01", NOW) == datetime(2024, 6, 1, tzinfo=UTC)


def test_backfill_equals_scanning_each_checked_out_commit(history, tmp_path: Path) -> None:
    root, _ = history
    ws = Workspace(root)
    summary = backfill(ws, DEFAULT_MARKERS, since=parse_since("24m", NOW), every="month", now=NOW)
    snaps = SnapshotStore(ws).load().records
    assert summary["added"] == len(snaps) >= 24
    checked = 0
    for rec in sorted(snaps.values(), key=lambda r: r["date"])[::3]:
        expected = scan_checked_out(root, rec["commit"], tmp_path / f"wt-{checked}")
        got = {p: sum(c.values()) for p, c in rec["files"].items()}
        assert got == expected, rec["id"]
        assert rec["total"] == sum(expected.values())
        checked += 1
    assert checked >= 8
    # the totals really change over the generated history, so equality is not trivial
    assert len({r["total"] for r in snaps.values()}) > 5


def test_backfill_snapshot_is_the_main_line_state_at_each_date(history) -> None:
    root, commits = history
    planned = plan(root, datetime(2024, 3, 1, tzinfo=UTC), "month", NOW)
    first = planned[0]
    expected = [sha for sha, date in commits if date < "2024-03-01"][-1]
    assert (first.date, first.commit) == (datetime(2024, 3, 1, tzinfo=UTC), expected)
    assert planned[-1].commit == commits[-1][0]  # HEAD is always included


def test_rerun_adds_only_missing_snapshots(history) -> None:
    root, _ = history
    ws = Workspace(root)
    first = backfill(ws, DEFAULT_MARKERS, since=parse_since("6m", NOW), every="month", now=NOW)
    store = SnapshotStore(ws)
    before = {p.name: p.stat().st_mtime_ns for p in store.records.paths()}
    again = backfill(ws, DEFAULT_MARKERS, since=parse_since("6m", NOW), every="month", now=NOW)
    assert again["added"] == 0 and again["existing"] == first["planned"]
    assert {p.name: p.stat().st_mtime_ns for p in store.records.paths()} == before
    # deleting one snapshot and widening the window: only those are computed
    victim = sorted(before)[2]
    (store.records.directory / victim).unlink()
    wider = backfill(ws, DEFAULT_MARKERS, since=parse_since("9m", NOW), every="month", now=NOW)
    assert wider["added"] == 4 and victim.removesuffix(".json") in wider["snapshots"]
    assert wider["existing"] == wider["planned"] - 4


def test_unchanged_blobs_are_read_once(history) -> None:
    root, _ = history
    ws = Workspace(root)
    summary = backfill(ws, DEFAULT_MARKERS, since=parse_since("24m", NOW), every="week", now=NOW)
    entries, distinct = 0, set()
    for p in plan(root, parse_since("24m", NOW), "week", NOW):
        for line in git(root, "ls-tree", "-r", p.commit).splitlines():
            entries += 1
            distinct.add(line.split()[2])
    assert summary["added"] > 90
    assert summary["blobs_read"] <= len(distinct)
    assert summary["blobs_read"] * 10 < entries
