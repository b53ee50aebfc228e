"""Shared fixtures: throwaway workspaces and a CLI runner."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from memory_store.workspace import Workspace

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "tests" / "fixtures"
EMPATHY_FIXTURE = FIXTURES / "empathy-patterns"
"""A sample of the seed tool's ``patterns/`` tree (see docs of ``teamlore import-empathy``)."""


@pytest.fixture(autouse=True)
def _own_user_config(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test gets its own user-level config directory (consent to repositories'
    settings lives there) and cache directory (the key sealing index caches), so no test
    reads or writes the real user's."""
    home = tmp_path_factory.mktemp("user-config")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("user-cache")))


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    root = tmp_path / "ws"
    root.mkdir()
    return Workspace(root.resolve())


def run_cli(*args: str, root: Path | None = None, stdin: str | None = None,
            cwd: Path | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run the real ``teamlore`` entry point in a subprocess."""
    cmd = [sys.executable, "-m", "server"]
    if root is not None:
        cmd += ["--root", str(root)]
    cmd += list(args)
    return subprocess.run(cmd, input=stdin, capture_output=True, text=True, cwd=cwd,
                          timeout=timeout, check=False)
