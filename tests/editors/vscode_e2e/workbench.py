"""Driving VS Code (code-server) in chromium as a user would: palette, quick open, keyboard,
mouse over a squiggle, the Problems panel, the integrated terminal.

Every wait is for something on the page (a selector, or a condition polled by
:meth:`Workbench.until`), never a fixed sleep.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from playwright.sync_api import Browser, Locator, Page

from tests.editors.vscode_e2e.install import Toolchain

T = TypeVar("T")

STARTUP_TIMEOUT = 90.0
"""Seconds for code-server to listen and for the workbench to load (2 busy cores)."""
WAIT = 45.0
"""Seconds for one thing to show up on the page (a diagnostic after a scan, a hover)."""

BASE_SETTINGS: dict[str, Any] = {
    "security.workspace.trust.enabled": False,
    "workbench.startupEditor": "none",
    "workbench.tips.enabled": False,
    "workbench.welcomePage.walkthroughs.openOnInstall": False,
    "telemetry.telemetryLevel": "off",
    "update.mode": "none",
    "extensions.autoCheckUpdates": False,
    "extensions.autoUpdate": False,
    "extensions.ignoreRecommendations": True,
    "git.enabled": False,
    "editor.hover.delay": 150,
    "editor.minimap.enabled": False,
    "terminal.integrated.shellIntegration.enabled": True,
    "terminal.integrated.defaultProfile.linux": "bash",
    "terminal.integrated.gpuAcceleration": "off",  # the DOM renderer: the terminal's text is on the page
    "terminal.integrated.suggest.enabled": False,
    "chat.disableAIFeatures": True,
    "workbench.secondarySideBar.defaultVisibility": "hidden",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class CodeServer:
    """One code-server process (its own user data, settings and port) serving one folder."""

    def __init__(self, toolchain: Toolchain, extensions: Path, home: Path, settings: dict[str, Any]):
        self.port = free_port()
        self.home = home
        self.user_data = home / "user-data"
        # code-server is VS Code's remote server: `machine` settings (teamlore.serverPath,
        # teamlore.redisUrl) count only in the remote machine's settings, not the user's.
        for scope in ("User", "Machine"):
            (self.user_data / scope).mkdir(parents=True)
            (self.user_data / scope / "settings.json").write_text(json.dumps({**BASE_SETTINGS, **settings}, indent=1))
        (home / "config.yaml").write_text("auth: none\ncert: false\n")
        self.log = home / "code-server.log"
        env = toolchain.env({k: v for k, v in os.environ.items() if k != "TEAMLORE_ROOT"})
        env |= {"SHELL": "/bin/bash", "XDG_CONFIG_HOME": str(home / "config"), "XDG_DATA_HOME": str(home / "data"),
                "XDG_STATE_HOME": str(home / "state"), "XDG_CACHE_HOME": str(home / "cache")}
        with open(self.log, "w") as out:
            self.proc = subprocess.Popen(
                [str(toolchain.code_server), "--config", str(home / "config.yaml"), "--auth", "none",
                 "--bind-addr", f"127.0.0.1:{self.port}", "--disable-telemetry", "--disable-update-check",
                 "--user-data-dir", str(self.user_data), "--extensions-dir", str(extensions)],
                stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env, cwd=home,
                start_new_session=True)  # its own process group: the extension host and teamlore too
        until(lambda: "HTTP server listening" in self.log.read_text() or self.proc.poll() is not None,
              STARTUP_TIMEOUT, "code-server to listen")
        if self.proc.poll() is not None:
            raise RuntimeError(f"code-server exited with {self.proc.returncode}:\n{self.log.read_text()[-3000:]}")

    def url(self, folder: Path) -> str:
        return f"http://127.0.0.1:{self.port}/?folder={folder}"

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=15)


def until(condition: Callable[[], T], timeout: float, what: str, interval: float = 0.1) -> T:
    """Polls ``condition`` until it returns something truthy (then returns it)."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


def never(condition: Callable[[], object], window: float, what: str) -> None:
    """Checks for ``window`` seconds that ``condition`` stays false (for things that must
    not happen, after the events that would have caused them were handled)."""
    deadline = time.monotonic() + window
    while time.monotonic() < deadline:
        assert not condition(), what
        time.sleep(0.1)


class Workbench:
    """The VS Code window in one browser page."""

    def __init__(self, browser: Browser, server: CodeServer, folder: Path):
        self.server = server
        self.folder = folder
        self.context = browser.new_context(viewport={"width": 1400, "height": 900})
        self.page: Page = self.context.new_page()
        self.page.set_default_timeout(WAIT * 1000)
        self.page.goto(server.url(folder), timeout=STARTUP_TIMEOUT * 1000)
        self.page.wait_for_selector(".monaco-workbench .part.editor", timeout=STARTUP_TIMEOUT * 1000)
        self.page.wait_for_selector(".part.statusbar", timeout=STARTUP_TIMEOUT * 1000)

    def close(self) -> None:
        self.context.close()

    # -- status bar, palette, quick input ------------------------------------------------
    def status_item(self) -> Locator:
        return self.page.locator(".part.statusbar .statusbar-item", has_text="teamlore").first

    def wait_for_server(self) -> None:
        """Waits for the status bar item to say the server runs: a spinner before the name
        while it starts, nothing once it answered `initialize`, $(error) or $(shield) when
        it did not start."""
        item = self.status_item()
        item.wait_for(state="visible", timeout=STARTUP_TIMEOUT * 1000)

        def icon() -> str | None:
            # the label's content only: the item's aria-label also holds the icon's name
            # ("loading~spin  teamlore, ...") and the word teamlore
            label = item.evaluate("el => (el.querySelector('.statusbar-item-label') || el).innerHTML")
            before = label.split("teamlore")[0]
            return None if "codicon-loading" in before else ("started" if "codicon" not in before else before)

        state = until(icon, STARTUP_TIMEOUT, "the teamlore server to start")
        assert state == "started", f"teamlore did not start: {item.get_attribute('aria-label')}"

    def quick_input(self, key: str) -> Locator:
        """Opens the quick input with ``key`` (F1, Control+P, Control+G) and returns its
        text box. A key can land while focus is in transit (an editor opening, a page such
        as the walkthrough taking focus): then it is pressed again."""
        box = self.page.locator(".quick-input-widget input")

        def opened() -> bool:
            self.page.keyboard.press(key)
            try:
                box.wait_for(state="visible", timeout=3000)
                return True
            except Exception:
                return False

        until(opened, WAIT, f"the quick input of {key}")
        return box

    def command(self, title: str, *, until_shown: Locator | None = None, until_gone: Locator | None = None) -> None:
        """Runs a command from the palette by its full title ("teamlore: Restart server").
        A page taking focus (the walkthrough selecting its next step) can close the palette
        right after it opened: then it is opened again. It can also take the Enter meant for
        the palette: with ``until_shown`` / ``until_gone`` (the command's visible effect) the
        command is run again until that effect is seen."""
        row = self.page.locator(".quick-input-list .monaco-list-row", has_text=title).first

        def listed() -> bool:
            box = self.quick_input("F1")
            try:
                box.fill(f">{title}", timeout=3000)
                row.wait_for(state="visible", timeout=5000)
                return True
            except Exception:
                return False

        def ran() -> bool:
            until(listed, WAIT, f"{title} listed in the command palette")
            self.page.keyboard.press("Enter")
            try:
                if until_shown is not None:
                    until_shown.wait_for(state="visible", timeout=5000)
                if until_gone is not None:
                    until_gone.wait_for(state="detached", timeout=5000)
                return True
            except Exception:
                self.page.keyboard.press("Escape")  # a palette still open, closed for the retry
                return False

        until(ran, WAIT, f"the effect of {title}")

    def answer_input(self, prompt: str, text: str) -> None:
        """Types into the input box that shows ``prompt`` and confirms."""
        widget = self.page.locator(".quick-input-widget", has_text=prompt)
        widget.wait_for(state="visible")
        widget.locator("input").fill(text)
        self.page.keyboard.press("Enter")
        widget.wait_for(state="hidden")

    # -- editor ------------------------------------------------------------------------
    def open_file(self, name: str) -> None:
        row = self.page.locator(".quick-input-list .monaco-list-row", has_text=name).first
        tab = self.page.locator(".tab.active", has_text=name)

        def opened() -> bool:
            # a page taking focus (the walkthrough selecting its next step) can close quick
            # open after it opened, even between the row showing and Enter: then the Enter
            # lands on that page and no file opens, so the whole step is tried again
            box = self.quick_input("Control+P")
            try:
                box.fill(name, timeout=3000)
                row.wait_for(state="visible", timeout=5000)
                self.page.keyboard.press("Enter")
                tab.wait_for(state="visible", timeout=5000)
                return True
            except Exception:
                self.page.keyboard.press("Escape")  # a quick open still shown, closed for the retry
                return False

        until(opened, WAIT, f"{name} opened from quick open")
        self.page.locator(".editor-instance .monaco-editor .view-lines").first.wait_for(state="visible")

    def editor(self) -> Locator:
        return self.page.locator(".editor-instance .monaco-editor").first

    def click(self, target: Locator) -> None:
        """Puts the cursor on ``target`` (a squiggle, say) with a mouse click."""
        box = until(target.bounding_box, WAIT, "the target to be laid out")
        self.page.mouse.click(box["x"] + min(8, box["width"] / 2), box["y"] + box["height"] / 2)

    def squiggles(self, kind: str = "error") -> Locator:
        return self.editor().locator(f".squiggly-{kind}")

    def hover(self, target: Locator, expect: str | re.Pattern[str]) -> Locator:
        """Moves the mouse over ``target`` until the hover holding ``expect`` shows; returns it.
        The hover fills in parts (the diagnostic's message first, the server's answer later):
        ``expect`` should be in the part the test reads."""
        hover = self.page.locator(".monaco-hover:not(.hidden)", has_text=expect)

        def shown() -> bool:
            box = target.bounding_box()
            if box is None:
                return False
            self.page.mouse.move(box["x"] + min(8, box["width"] / 2), box["y"] + box["height"] / 2)
            try:
                hover.first.wait_for(state="visible", timeout=3000)
                return True
            except Exception:
                self.page.mouse.move(0, 0)  # away, so the next move starts a new hover
                return False

        until(shown, WAIT, f"a hover with {expect!r}")
        return hover.first

    def quick_fix(self, title: str) -> None:
        """Opens the lightbulb menu at the cursor and picks the action starting with ``title``."""
        item = self.page.locator(".action-widget .monaco-list-row", has_text=title).first

        def listed() -> bool:
            # the actions are asked for when the menu opens: until the server has answered
            # for this line, the menu can open empty ("No code actions") and close again
            self.page.keyboard.press("Control+.")
            try:
                item.wait_for(state="visible", timeout=3000)
                return True
            except Exception:
                self.page.keyboard.press("Escape")
                return False

        until(listed, WAIT, f"the quick fix {title!r}")
        item.click()

    def save(self) -> None:
        self.page.keyboard.press("Control+S")

    # -- panels --------------------------------------------------------------------------
    def problems(self) -> list[str]:
        """The rows of the Problems panel (opened if needed), as their accessible labels."""
        panel = self.page.locator(".markers-panel")
        if not panel.is_visible():
            self.page.keyboard.press("Control+Shift+M")
            panel.wait_for(state="visible")
        # read in one go: the list is re-rendered while diagnostics change
        labels: list[str] = panel.locator(".monaco-list-row").evaluate_all(
            "rows => rows.map(r => r.getAttribute('aria-label') || '')")
        return labels

    def terminal_run(self, command: str) -> None:
        """Types ``command`` into the integrated terminal (created the first time) and presses Enter."""
        exists = self.page.locator(".terminal-wrapper .xterm").count() > 0
        self.command("Terminal: Focus Terminal" if exists else "Terminal: Create New Terminal")
        terminal = self.page.locator(".terminal-wrapper .xterm.focus")
        terminal.wait_for(state="visible")
        # the prompt is drawn once the shell (with shell integration) is up
        terminal.locator(".xterm-rows", has_text=re.compile(r"[$#]")).wait_for(state="visible")
        self.page.keyboard.type(command)
        self.page.keyboard.press("Enter")

    def screenshot(self, path: Path) -> None:
        self.page.screenshot(path=str(path))
