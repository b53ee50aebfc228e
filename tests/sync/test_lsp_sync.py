"""Two front ends share a record through a real redis-server: a fix recorded with the CLI
in one workspace shows up in the hover of a language server running on another one, and a
fix recorded through that server's command reaches the first workspace."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pygls.uris import from_fs_path
from pytest_lsp import LanguageClient

from memory_store.bugs.records import BugStore
from tests.conftest import run_cli
from tests.lsp.conftest import CONFIG, WAIT, start_session, wait_until
from tests.sync.conftest import RedisServer, make_workspace

pytestmark = pytest.mark.e2e

ERROR = "ModuleNotFoundError: No module named 'billing_client'"
OTHER = "KeyError: 'invoice_id'"


@pytest_lsp.fixture(config=CONFIG)
async def client(lsp_client: LanguageClient, redis_server: RedisServer, tmp_path: Path):
    b = make_workspace(tmp_path, "b", redis_server.url)
    lsp_client.redis = redis_server  # type: ignore[attr-defined]
    await start_session(lsp_client, "visual-studio-code", b.root)
    yield
    await asyncio.wait_for(lsp_client.shutdown_session(), WAIT)


async def hover_text(client: LanguageClient, uri: str) -> str:
    result = await asyncio.wait_for(client.text_document_hover_async(types.HoverParams(
        text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(line=0, character=3))), WAIT)
    if result is None:
        return ""
    assert isinstance(result.contents, types.MarkupContent)
    return result.contents.value


async def test_a_fix_recorded_elsewhere_appears_in_hover_and_back(client: LanguageClient, tmp_path: Path) -> None:
    server: RedisServer = client.redis  # type: ignore[attr-defined]
    root_b: Path = client.root  # type: ignore[attr-defined]
    a = make_workspace(tmp_path, "a", server.url)

    source = root_b / "billing.py"
    source.write_text("call_billing()\n", encoding="utf-8")
    uri = from_fs_path(str(source))
    client.text_document_did_open(types.DidOpenTextDocumentParams(text_document=types.TextDocumentItem(
        uri=uri, language_id="python", version=1, text="call_billing()\n")))
    client.protocol.notify("teamlore/didChangeDiagnostics", {"uri": uri, "diagnostics": [{
        "range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 12}},
        "message": ERROR, "source": "pytest", "severity": 1}]})
    text = await wait_until(lambda: hover_text(client, uri), what="hover on the forwarded error")
    assert "No past fix recorded" in text

    added = await asyncio.to_thread(run_cli, "bugs", "add", "--error", "-", "--fix",
                                    "add billing_client to requirements.txt", root=a.root, stdin=ERROR)
    assert added.returncode == 0, added.stderr
    sent_at = time.monotonic()

    async def shown() -> bool:
        return "add billing_client to requirements.txt" in await hover_text(client, uri)

    await wait_until(shown, what="the record from the other workspace in hover")
    print(f"record from the CLI in hover after {time.monotonic() - sent_at:.2f}s")

    result = await asyncio.wait_for(client.workspace_execute_command_async(types.ExecuteCommandParams(
        command="teamlore.recordFix", arguments=[{"error": OTHER, "fix": "read invoice_id with .get()",
                                                  "uri": uri}])), WAIT)
    assert result

    def pulled() -> bool:
        run_cli("sync", "pull", root=a.root)
        return any(r["fix"] == "read invoice_id with .get()" for r in BugStore(a).load().records.values())

    await wait_until(lambda: asyncio.to_thread(pulled), what="the server's record in the other workspace")
    assert {p.name for p in (a.store / "bugs").glob("*.json")} == \
        {p.name for p in (root_b / ".teamlore" / "bugs").glob("*.json")}
