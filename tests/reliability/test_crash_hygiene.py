"""Crash hygiene: temp files of killed writes are removed, ignored by git and listed by doctor;
memory files follow the umask; a full disk or a read-only memory leaves nothing half-written."""

from __future__ import annotations

import json
import os
import resource
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from memory_store import confine
from memory_store.bugs.records import BugStore
from memory_store.doctor import check_memory, layout_problems
from memory_store.workspace import Workspace
from tests.conftest import REPO, run_cli
from tests.reliability.workers import big_record

pytestmark = pytest.mark.e2e

OLD = time.time() - confine.STALE_TEMP_SECONDS - 60


def temps(directory: Path) -> list[Path]:
    return sorted(p for p in directory.iterdir() if confine.is_temp_name(p.name))


def plant_temp(directory: Path, name: str, *, stale: bool) -> Path:
    path = directory / f".{name}.0123abcd.tmp" if stale else directory / f".{name}.fedc3210.tmp"
    path.write_text('{"half": ')
    if stale:
        os.utime(path, (OLD, OLD))
    return path


def kill_writers_until_a_temp_file_is_left(ws: Workspace, attempts: int = 30) -> list[Path]:
    """SIGKILL a process rewriting a large record, again and again, until one dies mid-write."""
    bugs_dir = ws.store / "bugs"
    for i in range(attempts):
        proc = subprocess.Popen([sys.executable, "-m", "tests.reliability.workers", "rewrite", str(ws.root)],
                                cwd=REPO, stdout=subprocess.PIPE, text=True)
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        time.sleep(0.02 + (i % 7) * 0.013)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        proc.stdout.close()
        left = temps(bugs_dir)
        if left:
            return left
    raise AssertionError(f"no kill out of {attempts} landed mid-write")


def test_temp_files_of_killed_writers_are_removed_by_the_next_write_once_stale(tmp_path: Path) -> None:
    ws = Workspace((tmp_path / "ws").resolve())
    ws.root.mkdir()
    BugStore(ws).files.write(big_record(0))
    left = kill_writers_until_a_temp_file_is_left(ws)
    for path in left:
        os.utime(path, (OLD, OLD))  # as if the crash happened long ago
    in_flight = plant_temp(ws.store / "bugs", "bug-other.json", stale=False)  # a write going on right now
    err = tmp_path / "err.txt"
    err.write_text("KeyError: 'after_the_crash'\n")

    result = run_cli("bugs", "add", "--error", str(err), "--fix", "use .get()", root=ws.root)

    assert result.returncode == 0, result.stderr
    assert temps(ws.store / "bugs") == [in_flight]


def test_a_fresh_temp_file_is_kept_and_a_stale_one_removed_in_process(workspace: Workspace) -> None:
    bugs_dir = workspace.store / "bugs"
    bugs_dir.mkdir(parents=True)
    stale = plant_temp(bugs_dir, "bug-a.json", stale=True)
    fresh = plant_temp(bugs_dir, "bug-b.json", stale=False)
    unrelated = bugs_dir / ".notes.tmp"  # not a name write_atomic makes
    unrelated.write_text("mine")
    os.utime(unrelated, (OLD, OLD))

    BugStore(workspace).add("KeyError: 'x'", "use .get()")

    assert not stale.exists()
    assert fresh.exists() and unrelated.exists()


def test_doctor_lists_stale_temp_files_and_exits_1(workspace: Workspace) -> None:
    BugStore(workspace).add("KeyError: 'x'", "use .get()")
    stale = plant_temp(workspace.store / "bugs", "bug-a.json", stale=True)
    plant_temp(workspace.store / "bugs", "bug-b.json", stale=False)

    result = run_cli("doctor", "--json", root=workspace.root)

    assert result.returncode == 1
    problems = json.loads(result.stdout)["problems"]
    assert [p["path"] for p in problems] == [stale.relative_to(workspace.root).as_posix()]
    assert "interrupted write" in problems[0]["reason"]


def test_temp_files_are_ignored_by_git(workspace: Workspace) -> None:
    subprocess.run(["git", "init", "-q", str(workspace.root)], check=True)
    rec, _ = BugStore(workspace).add("KeyError: 'x'", "use .get()")
    plant_temp(workspace.store / "bugs", f"{rec['id']}.json", stale=True)

    status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=all"], cwd=workspace.root,
                            capture_output=True, text=True, check=True).stdout

    assert f".teamlore/bugs/{rec['id']}.json" in status
    assert ".tmp" not in status


def test_an_older_gitignore_gets_the_temp_line_once(workspace: Workspace) -> None:
    workspace.store.mkdir()
    (workspace.store / ".gitignore").write_text(".cache/\n.inbox/\nmy-notes")
    BugStore(workspace).add("KeyError: 'x'", "use .get()")
    BugStore(workspace).add("KeyError: 'y'", "use .get()")
    err = workspace.root / "err.txt"
    err.write_text("KeyError: 'z'\n")
    assert run_cli("bugs", "add", "--error", str(err), "--fix", "f", root=workspace.root).returncode == 0

    assert (workspace.store / ".gitignore").read_text() == ".cache/\n.inbox/\nmy-notes\n*.tmp\n"


@pytest.mark.parametrize(("umask", "expected"), [(0o022, 0o644), (0o002, 0o664), (0o077, 0o600)])
def test_memory_files_follow_the_umask(tmp_path: Path, umask: int, expected: int) -> None:
    root = tmp_path / "ws"
    root.mkdir()
    err = tmp_path / "err.txt"
    err.write_text("KeyError: 'x'\n")
    for args in (["add", "--fix", "use .get()"], ["match"]):  # match seals the index cache with the user's key
        result = subprocess.run([sys.executable, "-m", "server", "--root", str(root), "bugs", *args, "--error",
                                 str(err)], capture_output=True, text=True, cwd=REPO,
                                preexec_fn=lambda: os.umask(umask), check=False)
        assert result.returncode == 0, result.stderr
    record = next((root / ".teamlore" / "bugs").glob("bug-*.json"))

    assert stat.S_IMODE(record.stat().st_mode) == expected
    assert stat.S_IMODE((root / ".teamlore" / ".gitignore").stat().st_mode) == expected
    key_files = [p for p in Path(os.environ["XDG_CACHE_HOME"]).rglob("*") if p.is_file()]
    assert key_files, "the user's cache key was not created"
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in key_files)  # user-private stays private


def _full_disk(limit: int) -> Callable[[], None]:
    def limit_file_size() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return limit_file_size


def test_a_full_disk_fails_in_one_line_and_leaves_the_memory_as_it_was(workspace: Workspace, tmp_path: Path) -> None:
    BugStore(workspace).add("KeyError: 'x'", "use .get()")
    before = {p.name: p.read_bytes() for p in (workspace.store / "bugs").iterdir()}
    err = tmp_path / "err.txt"
    err.write_text("KeyError: 'another'\n")

    result = subprocess.run([sys.executable, "-m", "server", "--root", str(workspace.root), "bugs", "add",
                             "--error", str(err), "--fix", "a fix " * 200], capture_output=True, text=True,
                            cwd=REPO, preexec_fn=_full_disk(300), check=False)

    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr
    assert lines[0].startswith(f"teamlore: error: {workspace.store / 'bugs'}/bug-") and "File too large" in lines[0]
    assert {p.name: p.read_bytes() for p in (workspace.store / "bugs").iterdir()} == before  # no temp, no half file


def test_layout_problems_name_files_where_directories_belong(workspace: Workspace) -> None:
    workspace.store.mkdir()
    (workspace.store / ".cache").write_text("")
    (workspace.store / "security").write_text("")

    report = check_memory(workspace)

    reasons = {p.path.name: p.reason for p in report.problems}
    assert reasons[".cache"].startswith("is a regular file, not a directory")
    assert reasons["security"].startswith("is a regular file, not a directory")


def test_a_directory_that_cannot_be_listed_is_reported(workspace: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    """Root lists any directory whatever its mode, so the refusal is simulated."""
    (workspace.store / "bugs").mkdir(parents=True)
    real_scandir = os.scandir

    def scandir(path: object = ".") -> object:
        if path == workspace.store / "bugs" or path == str(workspace.store / "bugs"):
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "scandir", scandir)

    problems = layout_problems(workspace.store)

    assert [(p.path, p.reason) for p in problems] == [(workspace.store / "bugs", "cannot be listed: Permission denied")]
