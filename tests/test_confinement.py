"""Confinement of the memory directory: no write (and no record read) passes through a symlink
inside ``.teamlore/``, special files are refused without blocking, and a ``.teamlore`` found
outside a git repository is adopted only from its owner."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from memory_store import confine
from memory_store.bugs.records import BugStore
from memory_store.doctor import check_memory
from memory_store.inbox import Inbox
from memory_store.jsonio import MemoryFileError, atomic_write_json, atomic_write_text, file_lock, read_bounded
from memory_store.recordfiles import RecordDir
from memory_store.workspace import ConfinementError, UnsafePathError, Workspace, find_workspace_root
from tests.security.hostile_repo import tree_digest

ERROR = "KeyError: 'tenant_id'"


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A directory outside the workspace that must never change."""
    out = tmp_path / "outside"
    out.mkdir()
    (out / ".bashrc").write_text("echo hello\n")
    (out / "bug-0123456789abcdef.json").write_text("{}\n")
    return out


def test_store_of_finds_the_memory_directory() -> None:
    assert confine.store_of(Path("/r/.teamlore/bugs/x.json")) == Path("/r/.teamlore")
    assert confine.store_of(Path("/r/.teamlore")) == Path("/r/.teamlore")
    assert confine.store_of(Path("/r/out/report.sarif")) is None


@pytest.mark.parametrize("link", [".teamlore", ".teamlore/bugs"])
def test_record_write_refuses_a_symlinked_store_directory(workspace: Workspace, outside: Path, link: str) -> None:
    before = tree_digest(outside)
    (workspace.root / link).parent.mkdir(parents=True, exist_ok=True)
    (workspace.root / link).symlink_to(outside)
    with pytest.raises(ConfinementError) as caught:
        BugStore(workspace).add(ERROR, "use .get()")
    assert caught.value.path == workspace.root / link
    assert "symlink" in str(caught.value) and str(outside) in str(caught.value)
    assert isinstance(caught.value, UnsafePathError)
    assert tree_digest(outside) == before


def test_write_refuses_a_symlinked_target_file_and_leaves_no_temp_file(workspace: Workspace, outside: Path) -> None:
    bugs = workspace.store / "bugs"
    bugs.mkdir(parents=True)
    target = bugs / "bug-0123456789abcdef.json"
    target.symlink_to(outside / "bug-0123456789abcdef.json")
    before = tree_digest(outside)
    with pytest.raises(ConfinementError, match="symlink"):
        atomic_write_json(target, {"id": "bug-0123456789abcdef"})
    assert tree_digest(outside) == before
    assert target.is_symlink() and os.listdir(bugs) == [target.name]


def test_write_refuses_a_fifo_without_blocking(workspace: Workspace) -> None:
    bugs = workspace.store / "bugs"
    bugs.mkdir(parents=True)
    os.mkfifo(bugs / "bug-fifo.json")
    os.mkfifo(workspace.store / "runs.jsonl")
    with pytest.raises(ConfinementError, match="named pipe"):
        atomic_write_text(bugs / "bug-fifo.json", "{}")
    done = threading.Event()

    def append() -> None:
        with pytest.raises(ConfinementError, match="named pipe"):
            confine.append(workspace.store / "runs.jsonl", b"line\n")
        done.set()

    worker = threading.Thread(target=append, daemon=True)
    worker.start()
    worker.join(5)
    assert done.is_set(), "appending to a FIFO blocked"


def test_mkdir_refuses_a_file_where_a_directory_belongs(workspace: Workspace) -> None:
    workspace.store.mkdir()
    (workspace.store / ".cache").write_text("not a directory")
    with pytest.raises(ConfinementError, match="not a directory"):
        confine.make_dirs(workspace.cache / "locks")


def test_lock_file_symlink_is_refused(workspace: Workspace, outside: Path) -> None:
    (workspace.cache / "locks").mkdir(parents=True)
    (workspace.cache / "locks" / ".bugs.lock").symlink_to(outside / ".bashrc")
    before = tree_digest(outside)
    with pytest.raises(ConfinementError), file_lock(workspace.cache / "locks" / ".bugs.lock"):
        pass
    assert tree_digest(outside) == before


def test_ensure_store_refuses_a_symlinked_store(workspace: Workspace, outside: Path) -> None:
    workspace.store.symlink_to(outside)
    with pytest.raises(ConfinementError):
        workspace.ensure_store()
    assert not (outside / ".gitignore").exists()


def test_paths_outside_any_store_are_written_as_usual(tmp_path: Path) -> None:
    out = tmp_path / "reports" / "nested" / "findings.sarif"
    atomic_write_json(out, {"ok": True})
    assert out.read_text() == '{\n  "ok": true\n}\n'
    linked = tmp_path / "linked"
    linked.symlink_to(tmp_path / "reports")
    atomic_write_text(linked / "again.txt", "x")  # the user's own symlinks are theirs to use
    assert (tmp_path / "reports" / "again.txt").read_text() == "x"


def test_plain_store_writes_still_work(workspace: Workspace) -> None:
    rec, created = BugStore(workspace).add(ERROR, "use .get()")
    assert created
    assert (workspace.store / "bugs" / f"{rec['id']}.json").is_file()
    assert (workspace.store / ".gitignore").read_text() == ".cache/\n.inbox/\n*.tmp\n"
    assert BugStore(workspace).load().records.keys() == {rec["id"]}


def test_symlinked_record_directory_is_not_read(workspace: Workspace, tmp_path: Path) -> None:
    elsewhere = Workspace((tmp_path / "someone-else").resolve())
    elsewhere.root.mkdir()
    rec, _ = BugStore(elsewhere).add(ERROR, "their fix")
    workspace.store.mkdir()
    (workspace.store / "bugs").symlink_to(elsewhere.store / "bugs")
    result = BugStore(workspace).load()
    assert result.records == {}
    [problem] = result.problems
    assert problem.path == workspace.store / "bugs" and "symlink" in problem.reason
    files = RecordDir(workspace.store / "bugs", "bug", 1)
    with pytest.raises(MemoryFileError, match="symlink"):
        files.read(rec["id"])


def test_delete_through_a_symlinked_directory_removes_nothing_outside(workspace: Workspace, outside: Path) -> None:
    workspace.store.mkdir()
    (workspace.store / "bugs").symlink_to(outside)
    before = tree_digest(outside)
    with pytest.raises(ConfinementError):
        RecordDir(workspace.store / "bugs", "bug", 1).delete("bug-0123456789abcdef")
    assert tree_digest(outside) == before


def test_inbox_appends_and_reads_never_follow_a_symlinked_log(workspace: Workspace, outside: Path) -> None:
    workspace.inbox.mkdir(parents=True)
    (workspace.inbox / "runs.jsonl").symlink_to(outside / ".bashrc")
    before = tree_digest(outside)
    inbox = Inbox(workspace)
    with pytest.raises(ConfinementError, match=r"runs\.jsonl"):
        inbox.record_run("pytest", str(workspace.root), 1, "Traceback (most recent call last):\nValueError: x\n")
    assert tree_digest(outside) == before
    (outside / ".bashrc").write_text('{"command": "from outside"}\n')
    assert inbox.events_since(None) == ([], 0)


def test_inbox_rotation_stays_inside(workspace: Workspace, outside: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    inbox = Inbox(workspace)
    inbox.record_run("true", str(workspace.root), 0, "")
    (workspace.inbox / "runs.1.jsonl").symlink_to(outside / ".bashrc")
    monkeypatch.setattr("memory_store.inbox.ROTATE_BYTES", 10)
    before = tree_digest(outside)
    with pytest.raises(ConfinementError, match=r"runs\.1\.jsonl"):
        inbox.record_run("true", str(workspace.root), 0, "")
    assert tree_digest(outside) == before


def test_health_lists_every_symlink_with_its_target(workspace: Workspace, outside: Path) -> None:
    BugStore(workspace).add(ERROR, "use .get()")
    (workspace.store / "security").mkdir()
    (workspace.store / "security" / "decisions").symlink_to(outside)
    (workspace.inbox).mkdir()
    (workspace.inbox / "runs.jsonl").symlink_to(outside / ".bashrc")
    (workspace.store / "config.toml").symlink_to("/etc/passwd")
    report = check_memory(workspace)
    reasons = {p.path.relative_to(workspace.root).as_posix(): p.reason for p in report.problems}
    links = {".teamlore/security/decisions", ".teamlore/.inbox/runs.jsonl", ".teamlore/config.toml"}
    assert links <= set(reasons)
    assert all(any(path == link or path.startswith(link + "/") for link in links) for path in reasons)
    assert all("symlink" in reason for reason in reasons.values())
    assert str(outside / ".bashrc") in reasons[".teamlore/.inbox/runs.jsonl"]
    assert "/etc/passwd" in reasons[".teamlore/config.toml"]
    assert report.counts["bugs"] == 1


def test_health_reports_a_symlinked_store_once(workspace: Workspace, outside: Path) -> None:
    workspace.store.symlink_to(outside)
    problems = check_memory(workspace).problems
    assert [p.path for p in problems] == [workspace.store]
    assert str(outside) in problems[0].reason


def test_store_outside_git_is_adopted_only_from_its_owner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TEAMLORE_ROOT", raising=False)
    shared = (tmp_path / "shared").resolve()
    (shared / ".teamlore").mkdir(parents=True)
    start = shared / "project" / "src"
    start.mkdir(parents=True)
    assert find_workspace_root(start=start) == shared
    monkeypatch.setattr(os, "getuid", lambda: os.stat(shared).st_uid + 1)  # now it is someone else's
    assert find_workspace_root(start=start) == start
    assert find_workspace_root(explicit=shared) == shared  # an explicit choice stands


def test_store_inside_a_git_repository_is_used_whoever_owns_it(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TEAMLORE_ROOT", raising=False)
    repo = (tmp_path / "repo").resolve()
    (repo / ".git").mkdir(parents=True)
    (repo / "service" / ".teamlore").mkdir(parents=True)
    monkeypatch.setattr(os, "getuid", lambda: os.stat(repo).st_uid + 1)
    assert find_workspace_root(start=repo / "service") == repo / "service"


def test_reads_inside_the_store_never_follow_a_symlink(workspace: Workspace, outside: Path) -> None:
    rec, _ = BugStore(workspace).add(ERROR, "use .get()")
    bugs = workspace.store / "bugs"
    (bugs / "bug-aaaaaaaaaaaaaaaa.json").symlink_to(f"{rec['id']}.json")  # even one pointing inside
    (workspace.store / "config.toml").symlink_to(outside / ".bashrc")
    with pytest.raises(MemoryFileError, match="symlink"):
        read_bounded(bugs / "bug-aaaaaaaaaaaaaaaa.json")
    with pytest.raises(MemoryFileError, match="symlink"):
        read_bounded(workspace.store / "config.toml")
    assert read_bounded(outside / ".bashrc") == b"echo hello\n"  # outside any store: as usual
    result = BugStore(workspace).load()
    assert list(result.records) == [rec["id"]]
    assert [p.path.name for p in result.problems] == ["bug-aaaaaaaaaaaaaaaa.json"]
