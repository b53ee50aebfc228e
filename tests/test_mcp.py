"""The MCP server, driven by the SDK's own client over stdio (``teamlore mcp --root DIR``)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import mcp_types as types
import pytest
from mcp.client import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp.shared.exceptions import MCPError

from memory_store.bugs.records import BugStore
from memory_store.workspace import Workspace
from tests.conftest import REPO

pytestmark = pytest.mark.e2e

AGENT = "test-agent"

KEYERROR = """\
Traceback (most recent call last):
  File "app/handlers.py", line 41, in handle_login
    user = session["user_id"]
KeyError: 'user_id'
"""


@asynccontextmanager
async def mcp_session(root: Path, log: Path, *, env: dict[str, str] | None = None,
                      name: str = AGENT) -> AsyncIterator[ClientSession]:
    """A real ``teamlore mcp`` process and an initialized SDK client session."""
    params = StdioServerParameters(command=sys.executable, args=["-m", "server", "mcp", "--root", str(root)],
                                   cwd=str(REPO), env=env)
    with log.open("a", encoding="utf-8") as errlog, anyio.fail_after(60):
        async with stdio_client(params, errlog=errlog) as (read, write), \
                ClientSession(read, write, client_info=types.Implementation(name=name, version="1.0")) as session:
            await session.initialize()
            yield session


def text_of(result: types.CallToolResult) -> str:
    return "\n".join(c.text for c in result.content if isinstance(c, types.TextContent))


async def call_ok(session: ClientSession, tool: str, args: dict[str, Any]) -> dict[str, Any]:
    result = await session.call_tool(tool, args)
    assert not result.is_error, text_of(result)
    assert result.structured_content is not None
    assert json.loads(text_of(result)) == result.structured_content
    return result.structured_content


async def call_error(session: ClientSession, tool: str, args: dict[str, Any]) -> str:
    result = await session.call_tool(tool, args)
    assert result.is_error, f"{tool} {args} should fail, got {result.structured_content}"
    return text_of(result)


@pytest.fixture
def server_log(tmp_path: Path) -> Path:
    return tmp_path / "mcp-server.log"


async def test_bad_arguments_are_tool_errors_and_the_server_keeps_answering(workspace: Workspace,
                                                                            server_log: Path) -> None:
    async with mcp_session(workspace.root, server_log) as session:
        assert "fix" in await call_error(session, "record_fix", {"error_text": KEYERROR})
        assert "error_text" in await call_error(session, "record_fix", {"error_text": 42, "fix": "x"})
        assert "blank" in await call_error(session, "record_fix", {"error_text": KEYERROR, "fix": "   "})
        assert "escapes the workspace" in await call_error(
            session, "record_fix", {"error_text": KEYERROR, "fix": "x", "file": "../outside.py"})
        assert "outside the workspace" in await call_error(
            session, "record_fix", {"error_text": KEYERROR, "fix": "x", "file": "/etc/passwd"})
        assert "minutes" in await call_error(
            session, "record_fix", {"error_text": KEYERROR, "fix": "x", "minutes": -5})
        assert "Unknown tool" in await call_error(session, "no_such_tool", {})
        # nothing was written by the rejected calls, and the server still answers
        assert not (workspace.store / "bugs").exists() or not list((workspace.store / "bugs").glob("*.json"))
        assert (await call_ok(session, "record_fix", {"error_text": KEYERROR, "fix": "x"}))["created"]


async def test_resources_list_and_read_records(workspace: Workspace, server_log: Path) -> None:
    rec, _ = BugStore(workspace).add(KEYERROR, "use session.get", author="ana", source="cli")
    async with mcp_session(workspace.root, server_log) as session:
        templates = {t.uri_template for t in (await session.list_resource_templates()).resource_templates}
        assert "teamlore://bugs/{id}" in templates
        listing = json.loads((await session.read_resource("teamlore://bugs")).contents[0].text)
        one = json.loads((await session.read_resource(f"teamlore://bugs/{rec['id']}")).contents[0].text)
        with pytest.raises(MCPError, match="unknown bug record"):
            await session.read_resource("teamlore://bugs/bug-0000000000000000")
    assert [b["id"] for b in listing["bugs"]] == [rec["id"]]
    assert one["fix"] == "use session.get" and one["author"] == "ana"


async def test_corrupt_memory_file_is_reported_and_left_untouched(workspace: Workspace, server_log: Path) -> None:
    BugStore(workspace).add(KEYERROR, "use session.get", author="ana")
    bad = workspace.store / "bugs" / "bug-badbadbadbadbad0.json"
    bad.write_text('{"schema": "teamlore.bug/1", "id": ', encoding="utf-8")
    before = bad.read_bytes()
    async with mcp_session(workspace.root, server_log) as session:
        with pytest.raises(MCPError, match="invalid JSON"):
            await session.read_resource("teamlore://bugs/bug-badbadbadbadbad0")
        listing = json.loads((await session.read_resource("teamlore://bugs")).contents[0].text)
    assert [p["path"] for p in listing["problems"]] == [".teamlore/bugs/bug-badbadbadbadbad0.json"]
    assert bad.read_bytes() == before


def test_missing_sdk_gives_install_hint(workspace: Workspace) -> None:
    # what an installation without the extra looks like: `import mcp` fails
    code = ("import sys; sys.modules['mcp'] = None; from server.cli.main import main; "
            f"raise SystemExit(main(['mcp', '--root', {str(workspace.root)!r}]))")
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, timeout=60, check=False)
    assert done.returncode == 2
    assert "pip install 'teamlore[mcp]'" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


async def test_pending_fix_is_listed_and_accepted_by_the_agent(workspace: Workspace, server_log: Path) -> None:
    from memory_store.inbox import Inbox

    inbox = Inbox(workspace)
    inbox.record_run("pytest -q", str(workspace.root), 1, KEYERROR, started=1_000.0, ended=1_001.0)
    inbox.record_run("pytest -q", str(workspace.root), 0, "1 passed\n", started=1_601.0, ended=1_602.0)
    async with mcp_session(workspace.root, server_log) as session:
        pending = await call_ok(session, "pending_fixes", {})
        assert "unknown proposal id" in await call_error(session, "accept_fix", {"id": "fix-0000000000000000"})
        assert "invalid id" in await call_error(session, "accept_fix", {"id": "../../etc/passwd"})
        [proposal] = pending["proposals"]
        accepted = await call_ok(session, "accept_fix", {"id": proposal["id"], "fix": "guard the session lookup"})
        after = await call_ok(session, "pending_fixes", {})
    assert {"id", "error", "summary", "diff", "minutes", "files"} <= set(proposal)
    assert "KeyError" in proposal["error"] and proposal["minutes"] == 10.0
    assert after == {"proposals": []}
    rec = BugStore(workspace).get(accepted["id"])
    assert rec["fix"] == "guard the session lookup" and rec["source"] == "capture"
    assert rec["accepted_by"] == f"agent:{AGENT}"
