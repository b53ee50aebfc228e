"""Fixtures of the VS Code end-to-end suite: Node 24 and code-server (cached, see
``install.py``), the freshly packaged extension installed into code-server, chromium, and
one code-server + browser page per test, with a screenshot kept when the test fails."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, sync_playwright

from tests.editors.test_vscode_extension import EXTENSION, npm
from tests.editors.vscode_e2e.install import Toolchain, cache_dir, ensure_toolchain
from tests.editors.vscode_e2e.workbench import CodeServer, Workbench

CHROMIUM = "/usr/bin/chromium"
LINT_EXTENSION = Path(__file__).parent / "e2e_lint"
SERVER = Path(sys.executable).parent / "teamlore"


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[Any]:
    """Keeps each phase's report on the test, so the fixture knows whether the test failed."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture(scope="session")
def toolchain() -> Toolchain:
    return ensure_toolchain()


def package(folder: Path, out: Path) -> None:
    vsce = EXTENSION / "node_modules" / "@vscode" / "vsce" / "vsce"
    node = shutil.which("node")
    assert node, "node is not installed"
    proc = subprocess.run([node, str(vsce), "package", "--no-dependencies", "--allow-missing-repository",
                           "--out", str(out)], cwd=folder, capture_output=True, text=True, timeout=180,
                          stdin=subprocess.DEVNULL, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.fixture(scope="session")
def extensions(toolchain: Toolchain, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An extensions folder holding the freshly packaged teamlore .vsix and the e2e-lint
    fixture extension (a stand-in for another tool's extension)."""
    if not (EXTENSION / "node_modules" / ".package-lock.json").exists():
        result = npm("ci", "--no-audit", "--no-fund", "--loglevel=error", timeout=600)
        assert result.returncode == 0, result.stdout + result.stderr
    out = tmp_path_factory.mktemp("vsix")
    result = npm("run", "package", "--", "--out", str(out / "teamlore.vsix"))
    assert result.returncode == 0, result.stdout + result.stderr
    lint = out / "e2e-lint"
    shutil.copytree(LINT_EXTENSION, lint)
    package(lint, out / "e2e-lint.vsix")
    folder = tmp_path_factory.mktemp("extensions")
    proc = subprocess.run(
        [str(toolchain.code_server), "--extensions-dir", str(folder), "--user-data-dir", str(out / "user-data"),
         "--install-extension", str(out / "teamlore.vsix"), "--install-extension", str(out / "e2e-lint.vsix")],
        env=toolchain.env({"PATH": "/usr/bin:/bin", "HOME": str(out)}), capture_output=True, text=True,
        timeout=300, stdin=subprocess.DEVNULL, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    installed = {p.name.rsplit("-", 1)[0] for p in folder.iterdir() if p.is_dir()}
    assert {"teamlore.teamlore", "teamlore-tests.e2e-lint"} <= installed, (installed, proc.stdout)
    return folder


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    # Module scope: while the sync API is open it holds an event loop on this thread, and
    # every later test that starts its own loop (pytest-asyncio, asyncio.run) would fail.
    assert Path(CHROMIUM).exists(), "chromium is not installed (.ci/test installs it with apt)"
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        yield chromium
        chromium.close()


OpenVSCode = Callable[..., Workbench]

DEFAULT_SETTINGS = {
    # the only setting every scenario needs (this checkout's server); everything else,
    # the match threshold included, is what a user who installed the extension gets
    "teamlore.serverPath": str(SERVER),
}


@pytest.fixture
def open_vscode(request: pytest.FixtureRequest, toolchain: Toolchain, extensions: Path, browser: Browser,
                tmp_path: Path) -> Iterator[OpenVSCode]:
    """``open_vscode(folder, **settings)``: a code-server of its own with these user
    settings (teamlore.serverPath: this venv's teamlore) and a browser page on ``folder``.
    When the test fails, each page's screenshot and code-server's log are kept (failure_dir)."""
    opened: list[tuple[CodeServer, Workbench | None]] = []

    def open_folder(folder: Path, **settings: Any) -> Workbench:
        home = tmp_path / f"code-server-{len(opened) + 1}"
        server = CodeServer(toolchain, extensions, home, {**DEFAULT_SETTINGS, **settings})
        opened.append((server, None))
        bench = Workbench(browser, server, folder)
        opened[-1] = (server, bench)
        return bench

    yield open_folder
    failed = any(getattr(getattr(request.node, f"report_{phase}", None), "failed", False)
                 for phase in ("setup", "call"))
    kept = failure_dir(request.node.name) if failed else None
    for n, (server, bench) in enumerate(opened, 1):
        if kept is not None:
            shutil.copy(server.log, kept / f"code-server-{n}.log")
        if bench is not None:
            if kept is not None:
                try:
                    bench.screenshot(kept / f"failure-{n}.png")
                except Exception as exc:  # the page may be gone; the log is kept all the same
                    print(f"no screenshot: {exc}")
            bench.close()
        server.stop()
    if kept is not None:
        print(f"screenshot and code-server log of the failing scenario: {kept}")


def failure_dir(test: str) -> Path:
    """Where a failing scenario's screenshot and log are kept: ``$TEAMLORE_E2E_OUTPUT/<test>``,
    else ``<cache>/failures/<test>`` (pytest's own tmp_path folders are pruned after three runs)."""
    base = Path(os.environ.get("TEAMLORE_E2E_OUTPUT") or cache_dir() / "failures")
    folder = base / test
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    return folder


def git_repo(root: Path, files: dict[str, str]) -> Path:
    """A git repository (user Dana) with these files."""
    root.mkdir(parents=True)
    subprocess.run(["git", "init", "-q", str(root)], check=True, timeout=30)
    subprocess.run(["git", "-C", str(root), "config", "user.name", "Dana"], check=True, timeout=30)
    subprocess.run(["git", "-C", str(root), "config", "user.email", "dana@example.org"], check=True, timeout=30)
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def write_json(path: Path, value: object) -> None:
    path.write_text(json.dumps(value))
