"""The command line's conventions, each checked on the real CLI: plurals, colour only on a
terminal and never under NO_COLOR, ``bugs match --exit-code``, an unconfigured ``sync
status``, an empty ``debt report``, ``run`` outside any repository, ``init``'s editor set-up,
and a demo that shows real output and cleans up after itself."""

from __future__ import annotations

import json
import os
import pty
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from memory_store.duration import format_fix_times, format_period, plural
from tests.cli.conftest import ANSI, DemoRun, git_repo, teamlore

KEY_ERROR = """Traceback (most recent call last):
  File "app/users.py", line 12, in load
    uid = row['user_id']
KeyError: 'user_id'
"""
UNRELATED = """Traceback (most recent call last):
  File "app/io.py", line 3, in save
    open(p, 'w')
PermissionError: [Errno 13] Permission denied: '/var/log/x'
"""


def test_plural_and_duration_wording() -> None:
    assert plural(1, "record") == "1 record" and plural(0, "record") == "0 records"
    assert plural(2, "policy", "policies") == "2 policies"
    assert format_period(30.4375) == "month" and format_period(7) == "week" and format_period(14) == "2 weeks"
    assert format_period(45.6) == "46 days"
    assert format_fix_times(35, 35, 35, 1) == "35 min (1 recorded)"
    assert format_fix_times(0.2, 0.1, 0.5, 2) == "under a minute (2 recorded)"
    assert format_fix_times(26, 12, 40, 3) == "26 min (median of 3; range 12 min to 40 min)"


def test_counts_read_as_words_in_the_cli(tmp_path: Path) -> None:
    repo = git_repo(tmp_path / "repo")
    (repo / "a.txt").write_text(KEY_ERROR)
    (repo / "b.txt").write_text(UNRELATED)
    assert teamlore("bugs", "add", "--error", "a.txt", "--fix", "check the key", cwd=repo).returncode == 0
    one = teamlore("bugs", "list", cwd=repo).stdout
    assert one.startswith("1 remembered error\n")
    assert teamlore("bugs", "add", "--error", "b.txt", "--fix", "log elsewhere", cwd=repo).returncode == 0
    assert teamlore("bugs", "list", cwd=repo).stdout.startswith("2 remembered errors\n")


def _on_a_terminal(args: list[str], cwd: Path, env: dict[str, str]) -> str:
    """Run with stdout on a pseudo-terminal; return everything written to it."""
    leader, follower = pty.openpty()
    full_env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "TEAMLORE_ROOT")}
    full_env.update({"TERM": "xterm-256color", "COLUMNS": "100", **env})
    proc = subprocess.Popen([sys.executable, "-m", "server", *args], cwd=cwd, env=full_env, stdout=follower,
                            stderr=subprocess.DEVNULL, close_fds=True)
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    assert proc.wait(timeout=60) == 0
    return b"".join(chunks).decode("utf-8", "replace")


def test_colour_only_on_a_terminal_and_never_under_no_color(tmp_path: Path) -> None:
    repo = git_repo(tmp_path / "repo")
    (repo / "a.txt").write_text(KEY_ERROR)
    assert teamlore("bugs", "add", "--error", "a.txt", "--fix", "check the key", cwd=repo).returncode == 0
    coloured = _on_a_terminal(["bugs", "list"], repo, {})
    assert ANSI.search(coloured), "a terminal gets styles (the header is bold)"
    plain = _on_a_terminal(["bugs", "list"], repo, {"NO_COLOR": "1"})
    assert "check the key" in plain and not ANSI.search(plain)
    piped = teamlore("bugs", "list", cwd=repo)
    assert "check the key" in piped.stdout and not ANSI.search(piped.stdout + piped.stderr)


def test_bugs_match_exit_code(tmp_path: Path) -> None:
    repo = git_repo(tmp_path / "repo")
    (repo / "a.txt").write_text(KEY_ERROR)
    (repo / "b.txt").write_text(UNRELATED)
    assert teamlore("bugs", "add", "--error", "a.txt", "--fix", "check the key", cwd=repo).returncode == 0
    found = teamlore("bugs", "match", "--error", "a.txt", "--exit-code", cwd=repo)
    assert found.returncode == 0 and "check the key" in found.stdout
    missing = teamlore("bugs", "match", "--error", "b.txt", "--exit-code", cwd=repo)
    assert missing.returncode == 1 and "no match" in missing.stdout and not missing.stderr
    assert teamlore("bugs", "match", "--error", "b.txt", cwd=repo).returncode == 0, "only with --exit-code"
    as_json = teamlore("bugs", "match", "--error", "b.txt", "--exit-code", "--json", cwd=repo)
    assert as_json.returncode == 1 and json.loads(as_json.stdout) == {"matches": []}
    batch = repo / "q.jsonl"
    batch.write_text(json.dumps({"error": KEY_ERROR}) + "\n")
    assert teamlore("bugs", "match", "--batch", str(batch), "--json", "--exit-code", cwd=repo).returncode == 0
    batch.write_text(json.dumps({"error": KEY_ERROR}) + "\n" + json.dumps({"error": UNRELATED}) + "\n")
    assert teamlore("bugs", "match", "--batch", str(batch), "--json", "--exit-code", cwd=repo).returncode == 1


def test_sync_status_when_not_configured(tmp_path: Path) -> None:
    repo = git_repo(tmp_path / "repo")
    out = teamlore("sync", "status", cwd=repo)
    assert out.returncode == 0 and not out.stderr
    assert out.stdout.count("\n") == 1 and out.stdout.startswith("sync is not configured")
    data = json.loads(teamlore("sync", "status", "--json", cwd=repo).stdout)
    assert data["configured"] is False and data["connected"] is False and data["error"] is None


def test_debt_report_with_no_snapshots_is_not_an_error(tmp_path: Path) -> None:
    repo = git_repo(tmp_path / "repo")
    out = teamlore("debt", "report", cwd=repo)
    assert out.returncode == 0 and "no debt snapshots yet" in out.stdout and not out.stderr
    data = json.loads(teamlore("debt", "report", "--json", cwd=repo).stdout)
    assert data["snapshots"] == 0 and "debt scan --save" in data["message"]


def test_run_outside_a_repository_refuses_and_creates_nothing(tmp_path: Path) -> None:
    here = (tmp_path / "plain").resolve()
    here.mkdir()
    marker = here / "ran"
    out = teamlore("run", "--", sys.executable, "-c", f"open({str(marker)!r}, 'w')", cwd=here)
    assert out.returncode == 2
    assert "--root" in out.stderr and "TEAMLORE_ROOT" in out.stderr and "teamlore init" in out.stderr
    assert sorted(p.name for p in here.iterdir()) == [], "no .teamlore/ and the command did not run"
    chosen = teamlore("run", "--root", str(here), "--", sys.executable, "-c", f"open({str(marker)!r}, 'w')", cwd=here)
    assert chosen.returncode == 0 and marker.exists() and (here / ".teamlore").is_dir()


def test_init_prints_the_editor_set_up_with_this_installation(tmp_path: Path) -> None:
    repo = git_repo(tmp_path / "repo")
    executable = Path(sys.executable).parent / "teamlore"
    assert executable.is_file(), "the test environment has teamlore installed"
    out = subprocess.run([str(executable), "init"], cwd=repo, capture_output=True, text=True, timeout=60,
                         env={k: v for k, v in os.environ.items() if k != "TEAMLORE_ROOT"})
    assert out.returncode == 0, out.stderr
    path = str(executable.absolute())
    assert f'require("teamlore").setup({{ cmd = {{ "{path}", "lsp" }} }})' in out.stdout
    assert f'"teamlore.serverPath": "{path}"' in out.stdout
    data = json.loads(subprocess.run([str(executable), "init", "--json"], cwd=repo, capture_output=True, text=True,
                                     timeout=60).stdout)
    assert data["editors"]["server"] == [path] and data["editors"]["vscode"] == {"teamlore.serverPath": path}
    assert os.access(data["editors"]["server"][0], os.X_OK)


@pytest.mark.parametrize("args", [("bugs", "match", "--error", ".demo/unrelated.txt", "--exit-code"),
                                  ("debt", "report", "--no-blame")], ids=" ".join)
def test_demo_shows_what_the_real_command_prints(demo_run: DemoRun, args: tuple[str, ...]) -> None:
    again = teamlore(*args, cwd=demo_run.root)
    shown = f"$ teamlore {shlex.join(args)}\n{(again.stdout + again.stderr).rstrip()}\n"
    assert again.stdout.strip() and shown in demo_run.output


def test_demo_clean_leaves_nothing_behind(tmp_path: Path) -> None:
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    out = teamlore("demo", "--clean", cwd=tmp_path, env={"TMPDIR": str(scratch)})
    assert out.returncode == 0, out.stderr
    assert "$ teamlore security" in out.stdout and "$ teamlore bugs accept" in out.stdout
    assert list(scratch.iterdir()) == []
