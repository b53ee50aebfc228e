"""Settings over the wire: a bad initializationOptions value is reported naming the field
and the default is used; workspace/didChangeConfiguration turns debt hints on and off
without restart; debt hints mark comment markers only."""

from __future__ import annotations

import asyncio

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import LanguageClient

from tests.lsp.conftest import CONFIG, PRESETS, WAIT, make_workspace, start_session, wait_until
from tests.lsp.test_server import diag_json, forward, hover_text, open_doc, root_of

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="module")]


@pytest_lsp.fixture(config=CONFIG, params=PRESETS, scope="module")
async def client(request: pytest.FixtureRequest, lsp_client: LanguageClient,
                 tmp_path_factory: pytest.TempPathFactory):
    root = make_workspace(tmp_path_factory, f"settings-{request.param}")
    await start_session(lsp_client, request.param, root,
                        init_options={"matchThreshold": "high", "logLevel": "info"})
    yield
    await asyncio.wait_for(lsp_client.shutdown_session(), WAIT)


def hints(client: LanguageClient, uri: str) -> list[types.Diagnostic]:
    return [d for d in client.diagnostics.get(uri, []) if d.code == "debt"]


async def test_bad_setting_is_reported_by_name_and_server_works(client: LanguageClient):
    message = await wait_until(lambda: next((m for m in client.messages if "matchThreshold" in m.message), None),
                               what="showMessage about the bad setting")
    assert message.type == types.MessageType.Warning
    assert "expected a number between 0 and 1" in message.message and "using the default" in message.message
    uri = open_doc(client, root_of(client) / "ok.py", "x\n")
    forward(client, uri, [diag_json(0, 0, 1, "NameError: name 'x' is not defined")])
    assert "No past fix recorded" in await wait_until(lambda: hover_text(client, uri, 0, 0), what="hover")


async def test_debt_hints_follow_configuration_changes(client: LanguageClient):
    root = root_of(client)
    text = 'def retry():\n    msg = "TODO in a string"\n    # TODO(ann): back off exponentially\n    return msg\n'
    uri = open_doc(client, root / "jobs.py", text)
    client.set_configuration({"debtHints": True}, section="teamlore")
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(
        settings={"teamlore": {"debtHints": True}}))
    (hint,) = await wait_until(lambda: hints(client, uri), what="debt hint")
    assert hint.range.start.line == 2 and hint.severity == types.DiagnosticSeverity.Hint
    assert "back off exponentially" in hint.message
    client.set_configuration({"debtHints": False}, section="teamlore")
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(
        settings={"teamlore": {"debtHints": False}}))
    await wait_until(lambda: not hints(client, uri), what="hints removed")


async def test_debt_report_command_returns_markdown(client: LanguageClient):
    result = await asyncio.wait_for(client.workspace_execute_command_async(types.ExecuteCommandParams(
        command="teamlore.debtReport", arguments=[])), WAIT)
    assert result["markdown"].startswith("# Technical debt")
    assert "no debt snapshots yet" in result["markdown"]
