"""Fix capture sees a same-size edit made within git's racy window (same size, same mtime as
the index entry, index written in that same tick): the snapshot re-hashes instead of trusting stat data."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest

from memory_store import gitinfo
from memory_store.bugs import capture
from memory_store.inbox import Inbox
from memory_store.workspace import Workspace

BEFORE = "TIMEOUT = 5\n"
AFTER = "TIMEOUT = 9\n"  # same size: only content tells the two apart


def git(root: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=root, check=True, capture_output=True, text=True).stdout


@pytest.fixture
def repo(tmp_path: Path) -> Workspace:
    root = (tmp_path / "repo").resolve()
    root.mkdir()
    git(root, "init", "-q")
    git(root, "config", "user.name", "Dana Tester")
    git(root, "config", "user.email", "dana@example.com")
    # ctime moves with every write; ignoring it (as many setups do) leaves size and mtime as the
    # only stat data, so the test does not depend on which second its steps fall into.
    git(root, "config", "core.trustctime", "false")
    settings = root / "settings.py"
    settings.write_text(BEFORE)
    old = time.time() - 1000  # not racy when the index is written: git keeps the entry's stat data
    os.utime(settings, (old, old))
    git(root, "add", "-A")
    git(root, "commit", "-qm", "init")
    return Workspace(root)


def edit_within_racy_window(root: Path) -> None:
    """Rewrite settings.py in place, same size, restore its mtime, and give the index that
    same time: as if the index had been written in the tick the file changed."""
    settings = root / "settings.py"
    st = settings.stat()
    with open(settings, "r+") as fh:  # in place: same inode
        fh.write(AFTER)
    os.utime(settings, ns=(st.st_atime_ns, st.st_mtime_ns))
    index = root / ".git" / "index"
    os.utime(index, ns=(st.st_mtime_ns, st.st_mtime_ns))
    assert settings.stat().st_size == st.st_size and settings.stat().st_mtime_ns == st.st_mtime_ns


def test_snapshot_rehashes_an_entry_changed_in_the_racy_window(repo: Workspace) -> None:
    before = gitinfo.snapshot(repo.root)
    edit_within_racy_window(repo.root)
    index = (repo.root / ".git" / "index").read_bytes()
    after = gitinfo.snapshot(repo.root)
    assert after != before
    assert git(repo.root, "show", f"{after}:settings.py") == AFTER
    assert (repo.root / ".git" / "index").read_bytes() == index, "the user's index is not rewritten"


def test_proposal_carries_the_diff_of_a_racy_same_size_edit(repo: Workspace) -> None:
    tb = ("Traceback (most recent call last):\n"
          f'  File "{repo.root}/settings.py", line 1, in <module>\n    check()\n'
          "TimeoutError: timed out after 5s\n")
    t0 = time.time() - 60
    Inbox(repo).record_run("python settings.py", str(repo.root), 1, tb, started=t0, ended=t0 + 1)
    edit_within_racy_window(repo.root)
    Inbox(repo).record_run("python settings.py", str(repo.root), 0, "ok\n", started=t0 + 30, ended=t0 + 31)
    [proposal] = capture.pending(repo)
    assert proposal["files"] == ["settings.py"]
    assert "-TIMEOUT = 5" in proposal["diff"] and "+TIMEOUT = 9" in proposal["diff"]
