"""Workspaces holding fixture code, a git helper and a real bandit run."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from memory_store.security.api import SecurityMemory
from memory_store.security.triage import FindingStatus
from memory_store.workspace import Workspace

FIXTURES = Path(__file__).resolve().parent / "fixtures"
GIT_ENV = {"GIT_AUTHOR_NAME": "Test", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "Test", "GIT_COMMITTER_EMAIL": "t@example.com"}


def git(root: Path, *args: str) -> str:
    import os

    env = {**os.environ, **GIT_ENV}
    for name in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE"):
        env.pop(name, None)
    out = subprocess.run(["git", *args], cwd=root, env=env, capture_output=True, text=True, check=True)
    return out.stdout


def bandit_report(root: Path) -> Path:
    """Run the real bandit over the workspace; the report lands next to it."""
    proc = subprocess.run([sys.executable, "-m", "bandit", "-f", "json", "-q", "-r", ".", "-x", "./.teamlore"],
                          cwd=root, capture_output=True, text=True, check=False, timeout=120)
    assert proc.returncode in (0, 1), proc.stderr
    report = root.parent / "bandit.json"
    report.write_text(proc.stdout, encoding="utf-8")
    json.loads(proc.stdout)
    return report


def scan(mem: SecurityMemory) -> list[FindingStatus]:
    return mem.ingest([bandit_report(mem.workspace.root)]).statuses


def only(statuses: list[FindingStatus], rule: str) -> list[FindingStatus]:
    return sorted((s for s in statuses if s.finding.rule == rule), key=lambda s: s.finding.line)


@pytest.fixture
def code_ws(workspace: Workspace) -> Workspace:
    shutil.copy(FIXTURES / "service.py", workspace.root / "service.py")
    return workspace


@pytest.fixture
def git_ws(code_ws: Workspace) -> Workspace:
    git(code_ws.root, "init", "-q", "-b", "main")
    git(code_ws.root, "add", "service.py")
    git(code_ws.root, "commit", "-q", "-m", "initial")
    return code_ws


@pytest.fixture
def fake_redis():
    """A loopback listener that records connections and bytes (see hostile_repo.FakeRedis)."""
    from tests.security.hostile_repo import FakeRedis

    server = FakeRedis().start()
    yield server
    server.stop()
