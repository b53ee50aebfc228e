"""The packaged extension in a real VS Code (code-server 4.139.1, VS Code 1.139) driven
through chromium: what a user sees and does, one scenario per test.

Each test starts its own code-server with the freshly packaged .vsix and the real
`teamlore lsp` of this checkout, opens a prepared git repository and works in it with the
keyboard and mouse. A failing test keeps a screenshot (``failure-N.png``) and the
code-server log in its ``tmp_path``.
"""

from __future__ import annotations

import datetime
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Locator

from tests.conftest import run_cli
from tests.editors.vscode_e2e.conftest import OpenVSCode, git_repo, write_json
from tests.editors.vscode_e2e.workbench import WAIT, never, until

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(1200)]

MISSING = "TEAMLORE_E2E_MISSING"
APP = f'''import os


def home():
    return os.environ["{MISSING}"]


home()
'''


def teamlore_run(root: Path, *cmd: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """`teamlore run -- CMD` in the repository, as a user's shell would (no TEAMLORE_ROOT)."""
    env = {k: v for k, v in os.environ.items() if k not in ("TEAMLORE_ROOT", MISSING)}
    return subprocess.run([sys.executable, "-m", "server", "run", "--", *cmd], cwd=cwd or root, env=env,
                          capture_output=True, text=True, timeout=120, check=False)


def record_fix(root: Path, error: str, fix: str, **options: str) -> None:
    args = [arg for key, value in options.items() for arg in (f"--{key.replace('_', '-')}", value)]
    result = run_cli("bugs", "add", "--error", "-", "--fix", fix, *args, root=root, stdin=error)
    assert result.returncode == 0, result.stderr


def traceback_of(root: Path, script: str) -> str:
    env = {k: v for k, v in os.environ.items() if k != MISSING}
    proc = subprocess.run([sys.executable, script], cwd=root, env=env, capture_output=True, text=True,
                          timeout=60, check=False)
    assert proc.returncode != 0 and "Traceback" in proc.stderr, proc.stderr
    return proc.stderr


def test_hover_over_terminal_captured_error_shows_the_past_fix(tmp_path: Path, open_vscode: OpenVSCode) -> None:
    """A subfolder of the repository is opened (the extension finds the root above it); the
    error `teamlore run` captured shows the past fix on hover: fix, root cause, author and
    date, score and reasons on their own lines, frame names as code (not bold)."""
    root = git_repo(tmp_path / "repo", {"src/app.py": APP})
    record_fix(root, traceback_of(root, "src/app.py"), "Export TEAMLORE_E2E_MISSING before starting",
               root_cause="the variable is only set in the deploy environment", author="Dana", minutes="20")
    assert teamlore_run(root, sys.executable, "src/app.py").returncode == 1

    vs = open_vscode(root / "src")
    vs.wait_for_server()
    vs.open_file("app.py")
    squiggle = vs.squiggles().first
    squiggle.wait_for(state="visible")
    hover = vs.hover(squiggle, re.compile("Matched: score"))  # the server's part of the hover

    paragraphs = [p.strip() for p in hover.locator("p").all_inner_texts()]
    today = datetime.date.today().isoformat()
    assert "Seen before: 1 past fix." in paragraphs, paragraphs  # confident at the default threshold
    assert "1. Fix: Export TEAMLORE_E2E_MISSING before starting" in paragraphs, paragraphs
    assert "Root cause: the variable is only set in the deploy environment" in paragraphs, paragraphs
    assert f"by Dana · {today} · took 20 min" in paragraphs, paragraphs
    [matched] = [p for p in paragraphs if p.startswith("Matched: score ")]
    assert "same exception" in matched and "shared frames:" in matched, matched
    codes = hover.locator("code").all_inner_texts()
    assert "os.__getitem__" in codes, codes
    assert hover.locator("strong", has_text="getitem").count() == 0


def test_diagnostic_of_another_extension_is_forwarded_and_its_hover_shows_the_fix(
        tmp_path: Path, open_vscode: OpenVSCode) -> None:
    """The e2e-lint extension (another tool) reports a KeyError; teamlore forwards it to
    the server and the hover over it shows the team's fix."""
    root = git_repo(tmp_path / "repo", {"job.py": 'SETTINGS = {}\nuser = SETTINGS["user_id"]\n'})
    write_json(root / ".e2e-lint.json", [{"file": "job.py", "line": 2, "message": "KeyError: 'user_id'"}])
    record_fix(root, "KeyError: 'user_id'", "Read it with SETTINGS.get and a default", author="Ravi")

    vs = open_vscode(root)
    vs.wait_for_server()
    vs.open_file("job.py")
    squiggle = vs.squiggles().first
    squiggle.wait_for(state="visible")
    hover = vs.hover(squiggle, re.compile(r"Read it with SETTINGS\.get and a default[\s\S]*by Ravi"))
    text = hover.inner_text()
    assert "e2e-lint" in text  # the other extension's own diagnostic, in the same hover
    assert "by Ravi" in text and "Seen before" in text


def decisions(root: Path) -> list[dict]:
    folder = root / ".teamlore" / "security" / "decisions"
    return [json.loads(p.read_text()) for p in sorted(folder.glob("*.json"))] if folder.is_dir() else []


SETTINGS_PY = '''import subprocess

PASSWORD = "hunter2"


def run(cmd):
    return subprocess.call(cmd, shell=True)
'''


def test_mark_as_false_positive_asks_for_the_reason_and_hides_only_that_finding(
        tmp_path: Path, open_vscode: OpenVSCode) -> None:
    root = git_repo(tmp_path / "repo", {"settings.py": SETTINGS_PY})
    vs = open_vscode(root)
    vs.wait_for_server()
    vs.open_file("settings.py")
    vs.save()  # bandit runs on save
    until(lambda: any("B105" in row for row in vs.problems()) and any("B602" in row for row in vs.problems()),
          WAIT, "bandit's B105 and B602 in the Problems panel")

    vs.click(vs.editor().locator(".view-line", has_text="PASSWORD"))  # B105's line
    vs.quick_fix("Mark as false positive…")  # the one that asks (not a preset reason)
    vs.answer_input("false positive", "only a placeholder for the tests")

    [decision] = until(lambda: decisions(root), WAIT, "the decision file")
    assert (decision["decision"], decision["rule"], decision["reason"]) == \
        ("false_positive", "B105", "only a placeholder for the tests")
    until(lambda: not any("B105" in row for row in vs.problems()), WAIT, "B105 to leave the Problems panel")
    assert any("B602" in row for row in vs.problems())  # its neighbour stays


def test_record_fix_through_the_input_box_then_hover_shows_it(tmp_path: Path, open_vscode: OpenVSCode) -> None:
    root = git_repo(tmp_path / "repo", {"worker.py": "def mean(batch):\n    return sum(batch) / len(batch)\n\n\n"
                                                      "mean([])\n"})
    assert teamlore_run(root, sys.executable, "worker.py").returncode == 1
    vs = open_vscode(root)
    vs.wait_for_server()
    vs.open_file("worker.py")
    squiggle = vs.squiggles().first
    squiggle.wait_for(state="visible")
    vs.hover(squiggle, "No past fix recorded")

    vs.click(squiggle)
    vs.quick_fix("Record fix for this error")
    vs.answer_input("How was this fixed?", "Return 0.0 for an empty batch")

    records = root / ".teamlore" / "bugs"
    until(lambda: any("Return 0.0 for an empty batch" in p.read_text() for p in records.glob("*.json")),
          WAIT, "the new record file")
    hover = vs.hover(vs.squiggles().first, re.compile(r"Return 0\.0 for an empty batch[\s\S]*by Dana"))
    assert "Seen before: 1 past fix." in hover.inner_text()


def test_failing_command_in_the_integrated_terminal_becomes_a_diagnostic_that_clears_when_it_passes(
        tmp_path: Path, open_vscode: OpenVSCode) -> None:
    root = git_repo(tmp_path / "repo", {"check.py": 'from pathlib import Path\n\n\ndef main():\n'
                                                    '    return Path("ready.txt").read_text()\n\n\nmain()\n'})
    vs = open_vscode(root)
    vs.wait_for_server()
    vs.open_file("check.py")
    vs.terminal_run("python3 check.py")
    squiggle = vs.squiggles().first
    squiggle.wait_for(state="visible")
    until(lambda: any("FileNotFoundError" in row for row in vs.problems()), WAIT,
          "the terminal's FileNotFoundError in the Problems panel")

    (root / "ready.txt").write_text("ok\n")
    vs.terminal_run("python3 check.py")
    until(lambda: vs.squiggles().count() == 0, WAIT, "the error to clear after the command passed")
    assert not any("FileNotFoundError" in row for row in vs.problems())


class ConnectionCounter:
    """A TCP listener that counts connections (the team-sync url points here)."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.port = self.sock.getsockname()[1]
        self.count = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.count += 1
            conn.close()


@pytest.fixture
def sync_listener() -> Iterator[ConnectionCounter]:
    counter = ConnectionCounter()
    yield counter
    counter.sock.close()


def step_done(walkthrough: Locator, title: str) -> bool:
    """Whether the walkthrough shows the step titled ``title`` as completed (its checkmark)."""
    step = walkthrough.locator(".getting-started-step", has_text=title)
    return step.get_attribute("aria-checked") == "true" and step.locator(".codicon.complete").count() == 1


def test_status_bar_walkthrough_and_restricted_mode(tmp_path: Path, open_vscode: OpenVSCode,
                                                     sync_listener: ConnectionCounter) -> None:
    """Trusted: the status bar item opens the teamlore actions, the walkthrough (from the
    Welcome page and from teamlore's command) shows its install step ticked as the server
    was found, team sync connects and bandit runs on save. The same setup in a folder that
    is not trusted (Restricted Mode) connects nowhere and runs no scanner."""
    settings = {"teamlore.redisUrl": f"redis://127.0.0.1:{sync_listener.port}/0",
                "teamlore.scannersOnSave": ["bandit"]}
    trusted_root = git_repo(tmp_path / "trusted", {"settings.py": SETTINGS_PY})
    vs = open_vscode(trusted_root, **settings)
    vs.wait_for_server()
    vs.status_item().click()
    picker = vs.page.locator(".quick-input-widget", has_text="Review proposed fixes")
    picker.wait_for(state="visible")
    vs.page.keyboard.press("Escape")
    # first shown from VS Code's Welcome page, after the server started: the two steps the
    # running server completes are ticked; a step whose event has not happened (no fix
    # recorded) is not
    title = "from install to a past fix on hover"
    category = vs.page.locator(".getting-started-category", has_text=title).first
    vs.command("Help: Welcome", until_shown=category)
    category.click()
    walkthrough = vs.page.locator(".gettingStartedContainer", has_text=title)
    walkthrough.wait_for(state="visible")
    until(lambda: step_done(walkthrough, "Install the teamlore server") and
          step_done(walkthrough, "Open your repository"), WAIT, "the walkthrough's install and open steps ticked")
    assert not step_done(walkthrough, "Record how you fixed it")
    vs.command("View: Close All Editors", until_gone=walkthrough)
    vs.command("teamlore: Get started", until_shown=walkthrough)  # teamlore's own way in
    assert walkthrough.locator(".getting-started-step", has_text="Hover shows the past fix").count() == 1
    assert step_done(walkthrough, "Install the teamlore server")
    until(lambda: sync_listener.count > 0, WAIT, "the trusted workspace's team sync to connect")
    vs.open_file("settings.py")
    started = time.monotonic()
    vs.save()
    until(lambda: any("B105" in row for row in vs.problems()), WAIT, "bandit's findings (trusted)")
    scan_seconds = time.monotonic() - started
    vs.close()
    vs.server.stop()  # its sync would keep reconnecting to the listener
    connections = sync_listener.count

    untrusted_root = git_repo(tmp_path / "untrusted", {"settings.py": SETTINGS_PY})
    restricted = open_vscode(untrusted_root, **settings, **{
        "security.workspace.trust.enabled": True, "security.workspace.trust.startupPrompt": "never",
        "security.workspace.trust.banner": "always"})
    restricted.page.locator(".part.statusbar", has_text="Restricted Mode").wait_for(state="visible")
    restricted.wait_for_server()
    restricted.open_file("settings.py")
    restricted.save()
    # the same save found B105 in `scan_seconds` above; here nothing may appear in 3x that
    never(lambda: any("B105" in row for row in restricted.problems()), max(10.0, 3 * scan_seconds),
          "bandit ran in Restricted Mode")
    assert sync_listener.count == connections, "team sync connected in Restricted Mode"
