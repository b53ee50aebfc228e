"""Fix capture through the editor: a command fails, the code is fixed, the command passes;
the server asks "Save how you fixed ...?" and saving writes a bug record that hover then
shows. Also: two workspace folders keep two separate memories."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pygls.uris import from_fs_path
from pytest_lsp import LanguageClient

from memory_store.bugs.records import BugStore
from memory_store.workspace import Workspace
from tests.conftest import run_cli
from tests.lsp.conftest import CONFIG, PRESETS, WAIT, wait_until
from tests.lsp.test_server import diag_json, forward, hover_text

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="module")]


def git(root: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True,
                   env={"GIT_AUTHOR_NAME": "Dana", "GIT_AUTHOR_EMAIL": "dana@example.org",
                        "GIT_COMMITTER_NAME": "Dana", "GIT_COMMITTER_EMAIL": "dana@example.org",
                        "HOME": str(root), "PATH": "/usr/bin:/bin"})


@pytest_lsp.fixture(config=CONFIG, params=PRESETS, scope="module")
async def client(request: pytest.FixtureRequest, lsp_client: LanguageClient,
                 tmp_path_factory: pytest.TempPathFactory):
    base = tmp_path_factory.mktemp(f"capture-{request.param}").resolve()
    roots = [base / "service", base / "website", base / "docs"]
    folders = []
    for root in roots:
        root.mkdir()
        if root.name != "docs":  # docs/ starts without any memory
            (root / ".teamlore" / "bugs").mkdir(parents=True)
        folders.append(types.WorkspaceFolder(uri=from_fs_path(str(root)), name=root.name))
    await asyncio.wait_for(lsp_client.initialize_session(types.InitializeParams(
        capabilities=pytest_lsp.client_capabilities(request.param), root_uri=folders[0].uri,
        workspace_folders=folders)), WAIT)
    lsp_client.roots = roots  # type: ignore[attr-defined]
    yield
    await asyncio.wait_for(lsp_client.shutdown_session(), WAIT)


async def test_passing_run_offers_to_save_the_fix(client: LanguageClient):
    root = client.roots[0]  # type: ignore[attr-defined]
    (root / "app.py").write_text("import settings\n\nprint(settings.TIMEOUT)\n", encoding="utf-8")
    (root / "settings.py").write_text("DEBUG = False\n", encoding="utf-8")
    git(root, "init", "-q")
    git(root, "add", "app.py", "settings.py")
    git(root, "commit", "-q", "-m", "start")
    client.answer_title = "Save"  # type: ignore[attr-defined]
    failed = await asyncio.to_thread(run_cli, "run", "--", sys.executable, "app.py", root=root, cwd=root)
    assert failed.returncode == 1
    uri = from_fs_path(str(root / "app.py"))
    await wait_until(lambda: client.diagnostics.get(uri), what="terminal diagnostic of the failing run")
    (root / "settings.py").write_text("DEBUG = False\nTIMEOUT = 30\n", encoding="utf-8")
    passed = await asyncio.to_thread(run_cli, "run", "--", sys.executable, "app.py", root=root, cwd=root)
    assert passed.returncode == 0, passed.stderr
    asked = await wait_until(lambda: client.message_requests, what="showMessageRequest")  # type: ignore[attr-defined]
    assert "Save how you fixed `AttributeError: module 'settings' has no attribute 'TIMEOUT'`?" in asked[0].message
    assert [a.title for a in asked[0].actions] == ["Save", "Dismiss"]
    records = await wait_until(lambda: list((root / ".teamlore" / "bugs").glob("*.json")), what="saved record")
    saved = json.loads(records[0].read_text(encoding="utf-8"))
    assert saved["error"]["type"] == "AttributeError" and "settings.py" in saved["fix"]
    assert not client.diagnostics.get(uri)  # the passing run cleared the terminal diagnostic
    pending = await asyncio.wait_for(client.workspace_execute_command_async(types.ExecuteCommandParams(
        command="teamlore.pendingFixes", arguments=[{"uri": from_fs_path(str(root))}])), WAIT)
    assert pending == {"proposals": []}


async def test_each_workspace_folder_has_its_own_memory(client: LanguageClient):
    service, website, _ = client.roots  # type: ignore[attr-defined]
    error = "ModuleNotFoundError: No module named 'payments_sdk'"
    BugStore(Workspace(service)).add(error, "pip install -e ./vendor/payments_sdk", author="erin")
    uris = [from_fs_path(str(r / "handler.py")) for r in (service, website)]
    for uri in uris:
        forward(client, uri, [diag_json(0, 0, 5, error)])

    async def service_knows() -> bool:
        text = await hover_text(client, uris[0], 0, 1)
        return bool(text and "vendor/payments_sdk" in text)

    await wait_until(service_knows, what="hover in the folder holding the record")
    text = await hover_text(client, uris[1], 0, 1)
    assert text is not None and "No past fix recorded" in text


async def test_memory_created_after_start_is_picked_up(client: LanguageClient):
    docs = client.roots[2]  # type: ignore[attr-defined]
    assert not (docs / ".teamlore").exists()
    error = "ModuleNotFoundError: No module named 'sphinx_rtd_theme'"
    uri = from_fs_path(str(docs / "conf.py"))
    forward(client, uri, [diag_json(0, 0, 5, error)])
    assert "No past fix recorded" in await wait_until(lambda: hover_text(client, uri, 0, 1), what="hover")
    BugStore(Workspace(docs)).add(error, "add sphinx-rtd-theme to docs/requirements.txt", author="fay")

    async def shown() -> bool:
        text = await hover_text(client, uri, 0, 1)
        return bool(text and "sphinx-rtd-theme" in text)

    await wait_until(shown, what="hover from a memory created while the server runs")


async def test_pending_fix_accepted_through_commands(client: LanguageClient):
    root = client.roots[1]  # type: ignore[attr-defined]
    (root / "job.py").write_text("import config\n\nprint(config.RETRIES)\n", encoding="utf-8")
    (root / "config.py").write_text("DEBUG = True\n", encoding="utf-8")
    git(root, "init", "-q")
    git(root, "add", "job.py", "config.py")
    git(root, "commit", "-q", "-m", "start")
    client.answer_title = None  # type: ignore[attr-defined]  # the user closes the question
    folder = {"uri": from_fs_path(str(root))}
    assert (await asyncio.to_thread(run_cli, "run", "--", sys.executable, "job.py", root=root, cwd=root)).returncode
    (root / "config.py").write_text("DEBUG = True\nRETRIES = 3\n", encoding="utf-8")
    assert not (await asyncio.to_thread(run_cli, "run", "--", sys.executable, "job.py", root=root, cwd=root)).returncode

    async def pending() -> list:
        result = await asyncio.wait_for(client.workspace_execute_command_async(types.ExecuteCommandParams(
            command="teamlore.pendingFixes", arguments=[folder])), WAIT)
        return result["proposals"]

    (proposal,) = await wait_until(pending, what="a pending proposal")
    assert "AttributeError: module 'config' has no attribute 'RETRIES'" in proposal["error"]
    assert proposal["files"] == ["config.py"] and "RETRIES = 3" in proposal["diff"]
    with pytest.raises(JsonRpcException, match="unknown proposal"):
        await asyncio.wait_for(client.workspace_execute_command_async(types.ExecuteCommandParams(
            command="teamlore.dismissFix", arguments=[{**folder, "id": "prop-doesnotexist"}])), WAIT)
    accepted = await asyncio.wait_for(client.workspace_execute_command_async(types.ExecuteCommandParams(
        command="teamlore.acceptFix", arguments=[{**folder, "id": proposal["id"],
                                                  "fix": "define RETRIES in config.py"}])), WAIT)
    stored = json.loads((root / ".teamlore" / "bugs" / f"{accepted['id']}.json").read_text(encoding="utf-8"))
    assert stored["fix"] == "define RETRIES in config.py" and stored["source"] == "capture"
    assert await pending() == []
