"""A populated workspace (what ``teamlore demo`` leaves) and a runner at 80 columns."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

WIDTH = 80
ANSI = re.compile(r"\x1b[\[\]]")


def teamlore(*args: str, cwd: Path, root: Path | None = None, env: dict[str, str] | None = None,
             stdin: str | None = None, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """The real CLI in a subprocess, output to a pipe at :data:`WIDTH` columns, no ambient
    workspace or sync settings."""
    full_env = {k: v for k, v in os.environ.items()
                if k not in ("TEAMLORE_ROOT", "NO_COLOR", "FORCE_COLOR") and not k.startswith("TEAMLORE_REDIS")}
    full_env["COLUMNS"] = str(WIDTH)
    full_env.update(env or {})
    cmd = [sys.executable, "-m", "server", *(["--root", str(root)] if root else []), *args]
    return subprocess.run(cmd, cwd=cwd, env=full_env, input=stdin, capture_output=True, text=True,
                          timeout=timeout, check=False)


@dataclass
class DemoRun:
    root: Path
    output: str


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoRun]:
    """``teamlore demo`` once, at 80 columns; its workspace is kept for the other commands."""
    tmp = tmp_path_factory.mktemp("demo")
    out = teamlore("demo", cwd=tmp, env={"TMPDIR": str(tmp)})
    assert out.returncode == 0, out.stderr
    found = re.search(r"throwaway workspace (\S+)", out.stdout)
    assert found, out.stdout[:500]
    root = Path(found.group(1))
    yield DemoRun(root, out.stdout)
    shutil.rmtree(root, ignore_errors=True)


def git_repo(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    subprocess.run(["git", "init", "-q"], cwd=path, check=True)
    subprocess.run(["git", "config", "user.name", "Ada"], cwd=path, check=True)
    subprocess.run(["git", "config", "user.email", "ada@example.com"], cwd=path, check=True)
    return path.resolve()
