"""Real ``git merge`` of branches that both added or changed memory, in both orders, with the
merge driver set up by ``teamlore init`` and without it (then ``teamlore merge-resolve``)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from memory_store.debt.snapshots import SnapshotStore
from memory_store.jsonio import dumps
from memory_store.security.decisions import DecisionStore
from memory_store.workspace import Workspace
from tests.conftest import run_cli

pytestmark = pytest.mark.e2e

ERROR = "Traceback (most recent call last):\n  File \"app/users.py\", line 3, in load\nKeyError: 'user_id'\n"
OTHER_ERROR = {"a": "ZeroDivisionError: division by zero\n", "b": "ValueError: invalid literal for int()\n"}


@pytest.fixture(autouse=True)
def _own_git_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """git (and teamlore's git) sees no user or system config: only what the test sets."""
    empty = tmp_path / "gitconfig"
    empty.write_text("")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(empty))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for who in ("AUTHOR", "COMMITTER"):
        monkeypatch.setenv(f"GIT_{who}_NAME", "Test")
        monkeypatch.setenv(f"GIT_{who}_EMAIL", "test@example.com")
    monkeypatch.delenv("TEAMLORE_ROOT", raising=False)


def git(repo: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    out = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, timeout=60, check=False,
                         env={**os.environ, "LC_ALL": "C"})
    if check and out.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed:\n{out.stdout}{out.stderr}")
    return out


def cli(repo: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    out = run_cli(*args, root=repo, stdin=stdin)
    assert out.returncode == 0, f"teamlore {' '.join(args)}:\n{out.stdout}{out.stderr}"
    return out


def add_bug(repo: Path, error: str, author: str, minutes: str) -> str:
    out = cli(repo, "bugs", "add", "--error", "-", "--fix", "use dict.get", "--author", author,
              "--minutes", minutes, "--json", stdin=error)
    return json.loads(out.stdout)["id"]


def commit_all(repo: Path, message: str) -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)


def make_repo(tmp_path: Path, driver: bool) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    (repo / "README").write_text("project\n")
    if driver:
        cli(repo, "init")
    commit_all(repo, "start")
    return repo


def clock(monkeypatch: pytest.MonkeyPatch, stamp: str) -> None:
    monkeypatch.setattr("memory_store.security.decisions.now_iso", lambda: stamp)


def snapshot(created: str, total: int) -> dict[str, Any]:
    return {"id": "2024-03-01_abcdef012345", "date": "2024-03-01T12:00:00Z", "commit": "abcdef012345",
            "source": "scan", "markers": ["TODO"], "total": total, "by_marker": {"TODO": total},
            "files": {"a.py": {"TODO": total}}, "created": created}


def build_branches(repo: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """main: a bug and a proposed policy. Branch a and branch b each: record the same new bug
    (other author and minutes), record a bug of their own, record a recurrence of main's bug,
    decide main's policy (a confirms, b later rejects), write the same debt snapshot and one of
    their own."""
    ws = Workspace(repo)
    decisions = DecisionStore(ws)
    base_bug = add_bug(repo, "TypeError: unsupported operand type(s) for +: 'int' and 'str'\n", "main", "3")
    clock(monkeypatch, "2024-03-01T00:00:00Z")
    policy = decisions.add_policy(["B101"], "tests/**", "asserts in tests", author="main", proposed=True)["id"]
    commit_all(repo, "main memory")
    ids: dict[str, Any] = {"base_bug": base_bug, "policy": policy, "own": {}}
    for branch, author, minutes, verdict in (("a", "ana", "30", "confirm"), ("b", "ben", "12.5", "reject")):
        git(repo, "checkout", "-q", "-b", branch, "main")
        ids["same"] = add_bug(repo, ERROR, author, minutes)
        ids["own"][branch] = add_bug(repo, OTHER_ERROR[branch], author, minutes)
        assert add_bug(repo, "TypeError: unsupported operand type(s) for +: 'int' and 'str'\n", author, "1") \
            == base_bug
        bugs = json.loads(cli(repo, "bugs", "show", base_bug, "--json").stdout)
        path = repo / ".teamlore" / "bugs" / f"{base_bug}.json"
        path.write_text(dumps({**bugs, "occurrences": bugs["occurrences"] + 1, "tags": [f"seen-on-{branch}"]}))
        clock(monkeypatch, "2024-03-02T00:00:00Z" if branch == "a" else "2024-03-03T00:00:00Z")
        getattr(decisions, verdict)(policy, author=author)
        snapshots = SnapshotStore(ws)
        snapshots.save(snapshot("2024-03-01T12:00:00Z" if branch == "a" else "2024-03-01T12:30:00Z", 4))
        snapshots.save({**snapshot("2024-03-02T00:00:00Z", 5 if branch == "a" else 6),
                        "id": f"2024-03-02_{branch * 12}", "commit": branch * 12, "date": "2024-03-02T00:00:00Z"})
        commit_all(repo, f"memory on {branch}")
    return ids


def merge(repo: Path, into: str, other: str, driver: bool) -> subprocess.CompletedProcess[str]:
    git(repo, "checkout", "-q", into)
    out = git(repo, "merge", "--no-edit", other, check=False)
    if driver:
        assert out.returncode == 0, f"merge with the driver conflicted:\n{out.stdout}{out.stderr}"
    else:
        assert out.returncode != 0 and "CONFLICT" in out.stdout  # plain git: add/add conflicts
        doctor = run_cli("doctor", root=repo)
        assert doctor.returncode == 1 and "teamlore merge-resolve" in doctor.stdout  # says how to fix it
        resolved = run_cli("merge-resolve", "--json", root=repo)
        assert resolved.returncode == 0, resolved.stdout + resolved.stderr
        assert json.loads(resolved.stdout)["left"] == []
        git(repo, "commit", "-q", "--no-edit")
    assert git(repo, "status", "--porcelain").stdout == ""
    return out


def memory_files(repo: Path) -> dict[str, str]:
    store = repo / ".teamlore"
    return {p.relative_to(store).as_posix(): p.read_text(encoding="utf-8")
            for p in sorted(store.rglob("*.json")) if ".cache" not in p.parts and ".inbox" not in p.parts}


def check_merged(repo: Path, ids: dict[str, Any]) -> dict[str, Any]:
    doctor = run_cli("doctor", "--json", root=repo)
    assert doctor.returncode == 0, doctor.stdout + doctor.stderr
    assert json.loads(doctor.stdout)["problems"] == []
    listed = {b["id"]: b for b in json.loads(cli(repo, "bugs", "list", "--json").stdout)["bugs"]}
    assert set(listed) == {ids["base_bug"], ids["same"], *ids["own"].values()}
    same = json.loads(cli(repo, "bugs", "show", ids["same"], "--json").stdout)
    assert same["occurrences"] == 2
    assert {same["author"], *(r["author"] for r in same["also_recorded"])} == {"ana", "ben"}
    recurring = json.loads(cli(repo, "bugs", "show", ids["base_bug"], "--json").stdout)
    assert recurring["occurrences"] == 3 and recurring["tags"] == ["seen-on-a", "seen-on-b"]
    policy = DecisionStore(Workspace(repo)).get(ids["policy"])
    assert policy["status"] == "rejected" and policy["rejected_by"] == "ben"
    snapshots = SnapshotStore(Workspace(repo)).load()
    assert not snapshots.problems
    assert set(snapshots.records) == {"2024-03-01_abcdef012345", "2024-03-02_aaaaaaaaaaaa", "2024-03-02_bbbbbbbbbbbb"}
    assert snapshots.records["2024-03-01_abcdef012345"]["created"] == "2024-03-01T12:00:00Z"
    return memory_files(repo)


@pytest.mark.parametrize("driver", [True, False], ids=["driver", "plain-git"])
def test_branches_that_both_added_and_changed_memory_merge_in_both_orders(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, driver: bool) -> None:
    repo = make_repo(tmp_path, driver)
    ids = build_branches(repo, monkeypatch)
    git(repo, "branch", "a2", "a")
    git(repo, "branch", "b2", "b")
    merge(repo, "a", "b", driver)
    a_into = check_merged(repo, ids)
    merge(repo, "b2", "a2", driver)
    b_into = check_merged(repo, ids)
    assert a_into == b_into  # the same memory whichever way the merge went
    merge(repo, "a", "b2", driver=True)  # the two merge results merge cleanly (identical memory)


def test_different_records_merge_cleanly_with_plain_git(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, driver=False)
    own = {}
    for branch, author in (("a", "ana"), ("b", "ben")):
        git(repo, "checkout", "-q", "-b", branch, "main")
        own[branch] = add_bug(repo, OTHER_ERROR[branch], author, "5")
        commit_all(repo, f"memory on {branch}")
    out = git(repo, "merge", "--no-edit", "a", check=False)
    assert out.returncode == 0, out.stdout + out.stderr
    assert run_cli("doctor", root=repo).returncode == 0
    listed = json.loads(cli(repo, "bugs", "list", "--json").stdout)["bugs"]
    assert {b["id"] for b in listed} == set(own.values())


def test_driver_leaves_a_normal_conflict_when_a_side_is_unreadable(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, driver=True)
    git(repo, "checkout", "-q", "-b", "a")
    bug_id = add_bug(repo, ERROR, "ana", "5")
    commit_all(repo, "bug on a")
    path = repo / ".teamlore" / "bugs" / f"{bug_id}.json"
    ours = path.read_text()
    git(repo, "checkout", "-q", "-b", "b", "main")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('{"schema": "teamlore.bug/1", "id": ')
    commit_all(repo, "broken bug on b")
    git(repo, "checkout", "-q", "a")
    out = git(repo, "merge", "--no-edit", "b", check=False)
    assert out.returncode != 0 and "CONFLICT" in out.stdout
    assert "their version: invalid JSON" in out.stdout + out.stderr
    assert path.read_text() == ours  # never an unreadable file: our version stays
    assert git(repo, "ls-files", "-u").stdout.strip()  # and git reports the conflict
    resolved = run_cli("merge-resolve", "--json", root=repo)
    assert resolved.returncode == 1 and json.loads(resolved.stdout)["left"][0]["path"].endswith(f"{bug_id}.json")


def test_init_keeps_the_users_attributes_and_is_idempotent(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    (repo / ".gitattributes").write_text("*.png binary")
    first = json.loads(cli(repo, "init", "--json").stdout)
    assert first["attributes_added"] and first["driver_changed"]
    lines = (repo / ".gitattributes").read_text().splitlines()
    assert lines[0] == "*.png binary" and lines[-1] == ".teamlore/**/*.json merge=teamlore"
    assert git(repo, "config", "--local", "merge.teamlore.driver").stdout.strip() == first["driver"]
    assert git(repo, "check-attr", "merge", "--", ".teamlore/bugs/x.json").stdout.strip().endswith("teamlore")
    again = json.loads(cli(repo, "init", "--json").stdout)
    assert not again["attributes_added"] and not again["driver_changed"]
    assert (repo / ".gitattributes").read_text().splitlines() == lines


def test_init_refuses_a_symlinked_gitattributes(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    outside = tmp_path / "outside"
    outside.write_text("keep\n")
    (repo / ".gitattributes").symlink_to(outside)
    out = run_cli("init", root=repo)
    assert out.returncode == 2 and "symlink" in out.stderr and "Traceback" not in out.stderr
    assert outside.read_text() == "keep\n"


def test_init_outside_a_git_repository_says_so(tmp_path: Path) -> None:
    out = run_cli("init", root=tmp_path)
    assert out.returncode == 2 and out.stderr.count("\n") == 1 and "not in a git repository" in out.stderr
    assert not (tmp_path / ".gitattributes").exists()
