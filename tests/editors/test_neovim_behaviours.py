"""The Neovim plugin's everyday behaviours in a real headless Neovim against the real server:
stale terminal errors, fix prompts, de-duplicated hover, the matches float, `:help`,
honest start-up messages and checkhealth. Same drivers and harness as test_neovim_e2e.py;
a phase that needs "after a restart" is a second Neovim process on the same workspace.
"""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path

import pytest

from tests.conftest import run_cli
from tests.editors.test_neovim_e2e import PLUGIN, git_workspace, run_nvim

pytestmark = pytest.mark.e2e

PY = sys.executable
TWO_ERRORS_APP = """\
import pathlib


def user_id(settings):
    return settings["user_id"]


def port(settings):
    return int(settings["port"])


settings = {"user_id": 7, "port": "80"} if pathlib.Path("fixed.txt").exists() else {"port": "eighty"}
print(user_id(settings) if __name__ == "__main__" else port(settings))
"""
"""Run as a script or module: KeyError on line 5; imported: ValueError on line 9."""


def cli_run(ws: Path, *argv: str) -> int:
    """`teamlore run -- ARGV` in the workspace, as a person would before opening Neovim."""
    done = run_cli("run", "--", *argv, root=ws, cwd=ws)
    return done.returncode


def test_passing_run_clears_a_stale_error_across_restarts_and_clear_clears_the_rest(tmp_path: Path) -> None:
    ws = git_workspace(tmp_path, {"app.py": TWO_ERRORS_APP})
    direct = shlex.join([PY, "app.py"])
    imported = shlex.join([PY, "-c", "import app"])
    as_module = shlex.join([PY, "-m", "app"])
    assert cli_run(ws, PY, "app.py") == 1
    assert cli_run(ws, PY, "-c", "import app") == 1

    first = run_nvim("stale.lua", ws, tmp_path, "app.py", TEAMLORE_TEST_PHASE="first",
                     TEAMLORE_TEST_COMMAND=direct, TEAMLORE_TEST_EXPECT=direct,
                     TEAMLORE_TEST_FIXED=str(ws / "fixed.txt"))
    # Restarted Neovim shows both failures of `teamlore run`; a plain `:terminal` run of
    # one command that passes clears that command's error (not the other's).
    assert first["at_start"] == sorted([direct, imported])
    assert first["after_pass"] == [imported]

    restart = run_nvim("stale.lua", ws, tmp_path, "app.py", TEAMLORE_TEST_PHASE="restart",
                       TEAMLORE_TEST_EXPECT=imported)
    assert restart["at_start"] == [imported]  # the passed command's error does not come back
    assert restart["messages"] == ["teamlore: cleared the terminal errors of 1 command"]

    (ws / "fixed.txt").unlink()
    assert cli_run(ws, PY, "-m", "app") == 1
    after = run_nvim("stale.lua", ws, tmp_path, "app.py", TEAMLORE_TEST_PHASE="after_clear",
                     TEAMLORE_TEST_EXPECT=as_module)
    assert after["at_start"] == [as_module]  # cleared errors stay cleared; a new failure shows
    runs = (ws / ".teamlore" / ".inbox" / "runs.jsonl").read_text().splitlines()
    # Appended, nothing lost; the `echo` that passed in a terminal (never failing) left no entry.
    assert [json.loads(line).get("exit_code") for line in runs] == [1, 1, 0, None, 1]


def flag_script(error: str, flag: str) -> str:
    """A script failing with ``error`` until the file ``flag`` exists."""
    return (f"import pathlib\n\n\ndef check():\n    if not pathlib.Path({flag!r}).exists():\n"
            f"        raise {error}\n\n\ncheck()\n")


def fail_then_pass(ws: Path, script: str, flag: str, remember: str | None = None) -> None:
    """Fail, (``remember``: record this fix for the error shown), then pass."""
    failed = run_cli("run", "--", PY, script, root=ws, cwd=ws)
    assert failed.returncode == 1, failed.stderr
    if remember:
        added = run_cli("bugs", "add", "--error", "-", "--fix", remember, root=ws, stdin=failed.stderr)
        assert added.returncode == 0, added.stderr
    (ws / flag).write_text("done\n")
    passed = run_cli("run", "--", PY, script, root=ws, cwd=ws)
    assert passed.returncode == 0, passed.stderr


def pending_ids(ws: Path) -> list[str]:
    done = run_cli("bugs", "pending", "--json", root=ws)
    assert done.returncode == 0, done.stderr
    return sorted(p["id"] for p in json.loads(done.stdout)["proposals"])


def test_fix_prompt_once_per_proposal_and_never_for_a_remembered_fix(tmp_path: Path) -> None:
    ws = git_workspace(tmp_path, {
        "cache_check.py": flag_script('PermissionError("the cache directory is not writable")', "cache.ok"),
        "job_queue.py": flag_script('RuntimeError("the job queue is closed")', "queue.ok"),
        "regions.py": flag_script('LookupError("no worker for region eu-west")', "later.ok"),
    })
    # The older proposal: its fix was recorded (`:Teamlore record`) before the passing run.
    fail_then_pass(ws, "cache_check.py", "cache.ok", remember="chmod the cache directory")
    fail_then_pass(ws, "job_queue.py", "queue.ok")
    proposals = pending_ids(ws)
    assert len(proposals) == 2

    first = run_nvim("prompt.lua", ws, tmp_path, "job_queue.py", TEAMLORE_TEST_EXPECT="1")
    assert len(first["prompts"]) == 1 and "the job queue is closed" in first["prompts"][0]

    fail_then_pass(ws, "regions.py", "later.ok")
    restart = run_nvim("prompt.lua", ws, tmp_path, "job_queue.py", TEAMLORE_TEST_EXPECT="1")
    # The cancelled proposal is not asked again; only the new one is.
    assert len(restart["prompts"]) == 1 and "no worker for region eu-west" in restart["prompts"][0]
    assert set(proposals) < set(pending_ids(ws))  # cancelled = still waiting in `:Teamlore pending`


def test_hover_shows_a_fix_once_when_terminal_and_forwarded_errors_overlap(tmp_path: Path) -> None:
    ws = git_workspace(tmp_path, {"app.py": TWO_ERRORS_APP})
    fix = "Set user_id in the settings before calling user_id()"
    failed = run_cli("run", "--", PY, "app.py", root=ws, cwd=ws)
    assert failed.returncode == 1
    added = run_cli("bugs", "add", "--error", "-", "--fix", fix, "--json", root=ws, stdin=failed.stderr)
    assert added.returncode == 0, added.stderr
    record_id = json.loads(added.stdout)["id"]

    result = run_nvim("hover_overlap.lua", ws, tmp_path, "app.py", TEAMLORE_TEST_LINE="4",
                      TEAMLORE_TEST_MESSAGE="KeyError: 'user_id'")

    # Both the terminal error and the "seen before" of the forwarded one match the record ...
    assert len(result["own"]) == 2 and all(d["matches"] == [record_id] for d in result["own"]), result["own"]
    assert result["hover"].count(fix) == 1, result["hover"]  # ... and hover shows it once


def test_help_teamlore_opens_the_plugin_help_and_its_tags_are_current(tmp_path: Path) -> None:
    ws = git_workspace(tmp_path, {"app.py": "print('hello')\n"})
    fresh = tmp_path / "doc"
    fresh.mkdir()
    (fresh / "teamlore.txt").write_bytes((PLUGIN / "doc" / "teamlore.txt").read_bytes())

    result = run_nvim("help.lua", ws, tmp_path, "app.py", TEAMLORE_TEST_FRESH_DOC=str(fresh))

    for opened in result["opened"]:
        assert opened["file"] == "teamlore.txt" and opened["filetype"] == "help", opened
        assert f"*{opened['topic']}*" in opened["line"], opened  # the cursor is on the tag's line
    assert result["shipped"] == result["generated"]  # regenerate: nvim -c 'helptags editors/neovim/doc'


def health_line(lines: list[str], text: str) -> str:
    [line] = [line for line in lines if text in line]
    return line


def test_start_up_messages_say_starting_then_why_the_server_stopped(tmp_path: Path) -> None:
    ws = git_workspace(tmp_path, {"app.py": "print('hello')\n"})
    go = tmp_path / "go"
    server = tmp_path / "bin" / "teamlore"
    server.parent.mkdir()
    server.write_text(f'#!/bin/sh\nwhile [ ! -e "{go}" ]; do sleep 0.05; done\nexit 3\n')
    server.chmod(0o755)

    result = run_nvim("startup.lua", ws, tmp_path, "app.py", TEAMLORE_TEST_PHASE="slow",
                      TEAMLORE_TEST_SERVER=str(server), TEAMLORE_TEST_GO=str(go), PATH="/usr/bin:/bin")

    assert result["while_starting"] == "teamlore: the server is still starting; try again in a moment"
    assert result["after_failure"].startswith(
        "teamlore: the server did not start: the server exited before it was ready with code 3")
    line = health_line(result["health"], "did not start for")
    assert "ERROR" in line and str(ws.resolve()) in line and "code 3" in line, line
    assert not any("no teamlore client is running yet" in line for line in result["health"])


def test_failed_start_in_checkhealth_and_no_scanner_is_not_a_warning(tmp_path: Path) -> None:
    ws = git_workspace(tmp_path, {"app.py": "print('hello')\n"})
    missing = tmp_path / "not-installed" / "teamlore"

    result = run_nvim("startup.lua", ws, tmp_path, "app.py", TEAMLORE_TEST_PHASE="missing",
                      TEAMLORE_TEST_SERVER=str(missing), PATH="/usr/bin:/bin")

    assert result["after_failure"].startswith(f"teamlore: the server did not start: Spawning language server with "
                                              f"cmd: `{{ \"{missing}\", \"lsp\" }}` failed"), result["after_failure"]
    line = health_line(result["health"], "did not start for")
    assert "ERROR" in line and "Spawning language server" in line, line
    assert not any("no teamlore client is running yet" in line for line in result["health"])
    scanners = health_line(result["health"], "no security scanner installed")
    assert "WARNING" not in scanners and "the bug memory works without one" in scanners, scanners
