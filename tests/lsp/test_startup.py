"""Requests sent right after start-up, before the folder's memory is read, are answered
with the memory (not "no workspace folder holds ...")."""

from __future__ import annotations

import asyncio

import pytest
import pytest_lsp
from lsprotocol import types
from pygls.uris import from_fs_path
from pytest_lsp import LanguageClient

from bench.gen_records import build_records, write_records
from memory_store.bugs.records import BugStore
from memory_store.workspace import Workspace
from tests.lsp.conftest import CONFIG, WAIT, make_workspace

pytestmark = [pytest.mark.e2e]

ERROR = "Traceback (most recent call last):\n  File \"app.py\", line 3, in <module>\n    x = cfg['user_id']\n" \
        "KeyError: 'user_id'"


@pytest_lsp.fixture(config=CONFIG, params=["visual-studio-code", "neovim"])
async def client(request: pytest.FixtureRequest, lsp_client: LanguageClient,
                 tmp_path_factory: pytest.TempPathFactory):
    root = make_workspace(tmp_path_factory, f"startup-{request.param}")
    write_records(build_records(2000, seed=4), root)  # enough that reading them takes a moment
    BugStore(Workspace(root)).add(ERROR, "read it with cfg.get('user_id')")
    folder = types.WorkspaceFolder(uri=from_fs_path(str(root)), name=root.name)
    await asyncio.wait_for(lsp_client.initialize_session(types.InitializeParams(
        capabilities=pytest_lsp.client_capabilities(request.param), root_uri=folder.uri,
        workspace_folders=[folder])), WAIT)
    lsp_client.root = root  # type: ignore[attr-defined]
    yield
    await asyncio.wait_for(lsp_client.shutdown_session(), WAIT)


async def test_commands_right_after_start_wait_for_the_memory(client: LanguageClient):
    uri = from_fs_path(str(client.root / "app.py"))  # type: ignore[attr-defined]
    matches, status = await asyncio.wait_for(asyncio.gather(
        client.workspace_execute_command_async(types.ExecuteCommandParams(
            command="teamlore.showMatches", arguments=[{"error": ERROR, "uri": uri}])),
        client.workspace_execute_command_async(types.ExecuteCommandParams(
            command="teamlore.status", arguments=[{"uri": uri}]))), WAIT)
    assert matches["matches"][0]["fix"] == "read it with cfg.get('user_id')"
    assert status["bugs"]["records"] == 2001
