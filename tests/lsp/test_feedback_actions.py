"""'Not this fix' / 'This fixed it' in the editor: real ``teamlore lsp`` over stdio (VS Code and
Neovim capabilities): the code actions on a diagnostic that showed a past fix, the commands
they run, and what the hover says afterwards."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
import pytest_lsp
from lsprotocol import types
from pygls.uris import from_fs_path
from pytest_lsp import LanguageClient

from memory_store.bugs.records import BugStore
from memory_store.workspace import Workspace
from tests.lsp.conftest import CONFIG, PRESETS, WAIT, make_workspace, start_session, wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="module")]


def open_doc(client: LanguageClient, path: Path, text: str) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    uri = from_fs_path(str(path))
    client.text_document_did_open(types.DidOpenTextDocumentParams(
        text_document=types.TextDocumentItem(uri=uri, language_id="python", version=1, text=text)))
    return uri


def forward(client: LanguageClient, uri: str, line: int, start: int, end: int, message: str) -> None:
    """An editor's own diagnostic (pyright's), forwarded to teamlore as the extensions do."""
    client.protocol.notify("teamlore/didChangeDiagnostics", {"uri": uri, "diagnostics": [
        {"range": {"start": {"line": line, "character": start}, "end": {"line": line, "character": end}},
         "message": message, "source": "pyright", "severity": 1}]})


async def hover_text(client: LanguageClient, uri: str, line: int, character: int) -> str | None:
    result = await asyncio.wait_for(client.text_document_hover_async(types.HoverParams(
        text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(line=line, character=character))),
        WAIT)
    return result.contents.value if result is not None and isinstance(result.contents, types.MarkupContent) else None


async def code_actions(client: LanguageClient, uri: str, diag: types.Diagnostic) -> list[types.CodeAction]:
    result = await asyncio.wait_for(client.text_document_code_action_async(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=uri), range=diag.range,
        context=types.CodeActionContext(diagnostics=[diag], only=[types.CodeActionKind.QuickFix]))), WAIT)
    actions = list(result or [])
    assert all(isinstance(a, types.CodeAction) for a in actions), actions
    return actions  # type: ignore[return-value]


async def execute(client: LanguageClient, command: str, arguments: list[Any] | None) -> Any:
    return await asyncio.wait_for(client.workspace_execute_command_async(types.ExecuteCommandParams(
        command=command, arguments=arguments)), WAIT)


@pytest_lsp.fixture(config=CONFIG, params=PRESETS, scope="module")
async def client(request: pytest.FixtureRequest, lsp_client: LanguageClient,
                 tmp_path_factory: pytest.TempPathFactory):
    root = make_workspace(tmp_path_factory, request.param)
    await start_session(lsp_client, request.param, root)
    yield
    await asyncio.wait_for(lsp_client.shutdown_session(), WAIT)


def root_of(client: LanguageClient) -> Path:
    return client.root  # type: ignore[attr-defined]


def stored_verdicts(root: Path) -> list[dict[str, object]]:
    return [json.loads(p.read_text(encoding="utf-8")) for p in sorted((root / ".teamlore" / "feedback").glob("*.json"))]


async def test_feedback_command_with_bad_arguments_is_refused(client: LanguageClient):
    root = root_of(client)
    before = stored_verdicts(root)
    for args, expected in (([{"id": "bug-0000000000000000", "error": "KeyError: 'x'"}], "no bug record"),
                           ([{"id": "../../x", "error": "KeyError: 'x'"}], "invalid id"),
                           ([{"error": "KeyError: 'x'"}], "missing field 'id'")):
        with pytest.raises(Exception, match=expected):
            await execute(client, "teamlore.rejectMatch", args)
    assert stored_verdicts(root) == before


async def test_this_fixed_it_then_not_this_fix(client: LanguageClient):
    root = root_of(client)
    error = "ModuleNotFoundError: No module named 'fastjsonx'"
    rec, _ = BugStore(Workspace(root)).add(error, "add fastjsonx to requirements.txt *then* <b>reinstall</b>",
                                           author="alice")
    uri = open_doc(client, root / "app" / "export.py", "import os\nimport fastjsonx\n")
    forward(client, uri, 1, 7, 16, error)

    async def hover_with(needle: str, present: bool = True) -> str | None:
        text = await hover_text(client, uri, 1, 9)
        return text if text and (needle in text) == present else None

    await wait_until(lambda: hover_with("add fastjsonx"), what="hover with the past fix")
    diag = types.Diagnostic(range=types.Range(start=types.Position(line=1, character=7),
                                              end=types.Position(line=1, character=16)),
                            message=error, source="pyright", severity=types.DiagnosticSeverity.Error)
    actions = {a.title: a for a in await code_actions(client, uri, diag)}
    assert {"Not this fix", "This fixed it"} <= set(actions)
    confirm = actions["This fixed it"].command
    assert confirm is not None and confirm.command == "teamlore.confirmMatch"
    assert confirm.arguments and confirm.arguments[0]["id"] == rec["id"] and confirm.arguments[0]["error"] == error

    done = await execute(client, confirm.command, confirm.arguments)
    assert done["verdict"] == "confirmed" and done["confirmations"] == 1
    text = await wait_until(lambda: hover_with("fixed it 1 time"), what="hover with the count")
    assert "<b>" not in text  # the record's text is still shown literally

    reject = actions["Not this fix"].command
    assert reject is not None and reject.command == "teamlore.rejectMatch"
    done = await execute(client, reject.command, reject.arguments)
    assert done["verdict"] == "rejected" and (done["confirmations"], done["rejections"]) == (1, 1)
    text = await wait_until(lambda: hover_with("add fastjsonx", present=False), what="hover without the fix")
    assert "No past fix recorded" in text
    after = [a.title for a in await code_actions(client, uri, diag)]
    assert "Not this fix" not in after and "This fixed it" not in after
    assert [v["verdict"] for v in sorted(stored_verdicts(root), key=lambda v: str(v["verdict"]))] == \
        ["confirmed", "rejected"]
    assert all(v["source"] == "lsp" and v["record"] == rec["id"] for v in stored_verdicts(root))
