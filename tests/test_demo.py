"""``teamlore demo`` shows the whole loop, quickly, with only base dependencies."""

from __future__ import annotations

import io
import re
import subprocess
from pathlib import Path

from rich.console import Console

from server.cli.commands import demo
from tests.conftest import run_cli


def test_demo_runs_the_whole_loop(tmp_path: Path) -> None:
    out = run_cli("demo", "--clean", cwd=tmp_path, timeout=300)
    assert out.returncode == 0, out.stderr
    text = out.stdout
    assert "docker compose up -d db" in text  # the recorded fix, shown for the new occurrence
    assert "no match" in text  # the unrelated error
    assert "1 fix proposal" in text and "+    return sum(totals) / len(totals) if totals else 0.0" in text
    assert "stored bug-" in text
    workspace = re.search(r"throwaway workspace (\S+)", text)
    assert workspace and not Path(workspace.group(1)).exists(), "--clean removes the workspace"


def test_demo_steps_reach_the_right_answers(tmp_path: Path) -> None:
    root = tmp_path.resolve()
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    subprocess.run(["git", "config", "user.name", "Dana Demo"], cwd=root, check=True)
    state = demo.Demo(root=root, out=Console(file=io.StringIO(), width=100))
    for step in demo.STEPS:
        step(state)
    assert state.state["new_occurrence_matched"] is True
    assert state.state["unrelated_matched"] is False
    assert len(state.state["proposals"]) == 1
    assert state.state["captured_matched"] is True
    assert state.state["debt"] is not None and state.state["debt"]["days_to_double"] is None


def test_demo_is_a_list_of_steps() -> None:
    assert all(callable(step) for step in demo.STEPS)
    assert demo.STEPS[:4] == [demo.step_record_fix, demo.step_match_new_occurrence, demo.step_unrelated_error,
                              demo.step_capture_fix]
