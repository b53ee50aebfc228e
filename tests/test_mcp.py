"""The MCP server, driven by the SDK's own client over stdio (``teamlore mcp --root DIR``)."""

from __future__ import annotations

import json
import os
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
from memory_store.config import allow_repository
from memory_store.workspace import Workspace
from tests.conftest import REPO, run_cli

pytestmark = pytest.mark.e2e

AGENT = "test-agent"

KEYERROR = """\
Traceback (most recent call last):
  File "app/handlers.py", line 41, in handle_login
    user = session["user_id"]
KeyError: 'user_id'
"""


@asynccontextmanager
async def mcp_session(root: Path | None, log: Path, *, env: dict[str, str] | None = None,
                      name: str = AGENT) -> AsyncIterator[ClientSession]:
    """A real ``teamlore mcp [--root ROOT]`` process and an initialized SDK client session."""
    args = ["-m", "server", "mcp"] + (["--root", str(root)] if root is not None else [])
    # the test's own user config directory (consent to repositories' settings lives there)
    env = {"XDG_CONFIG_HOME": os.environ["XDG_CONFIG_HOME"], **(env or {})}
    params = StdioServerParameters(command=sys.executable, args=args, cwd=str(REPO), env=env)
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


CONTRACT_TOOLS = {"match_error", "record_fix", "reject_match", "confirm_match", "list_findings", "triage_finding",
                  "debt_report", "pending_fixes", "accept_fix"}

SERVICE = """\
import subprocess


def restart(name):
    subprocess.call("systemctl restart " + name, shell=True)


def status(name):
    subprocess.call("systemctl status " + name, shell=True)
"""


def ingest_bandit(root: Path) -> list[dict[str, Any]]:
    """Two B602 findings in service.py, from a hand-written bandit report, ingested by the CLI."""
    (root / "service.py").write_text(SERVICE, encoding="utf-8")
    results = [{"filename": "service.py", "test_id": "B602", "test_name": "subprocess_popen_with_shell_equals_true",
                "line_number": line, "issue_severity": "HIGH", "issue_confidence": "HIGH",
                "issue_text": "subprocess call with shell=True identified, security issue.",
                "code": SERVICE.splitlines()[line - 1]} for line in (5, 9)]
    report = root.parent / "bandit.json"
    report.write_text(json.dumps({"errors": [], "results": results}), encoding="utf-8")
    done = run_cli("security", "ingest", str(report), "--json", root=root)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)["findings"]


async def test_lists_the_contract_tools_and_resources(workspace: Workspace, server_log: Path) -> None:
    async with mcp_session(workspace.root, server_log) as session:
        tools = {t.name: t for t in (await session.list_tools()).tools}
        templates = {t.uri_template for t in (await session.list_resource_templates()).resource_templates}
        static = {str(r.uri) for r in (await session.list_resources()).resources}
    assert set(tools) == CONTRACT_TOOLS
    assert set(tools["record_fix"].input_schema["required"]) == {"error_text", "fix"}
    assert set(tools["triage_finding"].input_schema["required"]) == {"fingerprint", "decision", "reason"}
    assert all(tools[name].description for name in CONTRACT_TOOLS)
    assert templates == {"teamlore://bugs/{id}", "teamlore://decisions/{id}"}
    assert static == {"teamlore://bugs", "teamlore://decisions"}


async def test_record_fix_then_match_error_finds_it_marked_as_agent_written(workspace: Workspace,
                                                                            server_log: Path) -> None:
    async with mcp_session(workspace.root, server_log) as session:
        stored = await call_ok(session, "record_fix", {
            "error_text": KEYERROR,
            "fix": "read the id with session.get('user_id') and redirect to login; "
                   "token=ghp_abcdefghijklmnopqrstuvwxyz0123456789AB",
            "root_cause": "the session expired before the handler ran",
            "file": "app/handlers.py",
            "minutes": 25,
        })
        other_place = ('Traceback (most recent call last):\n  File "app/api/profile.py", line 12, in show\n'
                       '    uid = request.session["user_id"]\nKeyError: \'user_id\'\n')
        found = await call_ok(session, "match_error", {"error_text": other_place})

    assert [m["id"] for m in found["matches"]][:1] == [stored["id"]]
    best = found["matches"][0]
    assert 0 < best["score"] <= 1 and best["reasons"]
    assert "session.get('user_id')" in best["fix"]
    rec = BugStore(workspace).get(stored["id"])
    assert rec["author"] == f"agent:{AGENT}" and rec["source"] == "mcp"
    assert "ghp_" not in rec["fix"] and "<redacted:" in rec["fix"]
    assert rec["file"] == "app/handlers.py" and rec["minutes"] == 25


async def test_workspace_from_teamlore_root(workspace: Workspace, server_log: Path) -> None:
    async with mcp_session(None, server_log, env={"TEAMLORE_ROOT": str(workspace.root)},
                           name="Other Agent") as session:
        stored = await call_ok(session, "record_fix", {"error_text": KEYERROR, "fix": "use session.get"})
    assert BugStore(workspace).get(stored["id"])["author"] == "agent:Other Agent"


async def test_bad_arguments_are_tool_errors_and_the_server_keeps_answering(workspace: Workspace,
                                                                            server_log: Path) -> None:
    async with mcp_session(workspace.root, server_log) as session:
        assert "fix" in await call_error(session, "record_fix", {"error_text": KEYERROR})
        assert "error_text" in await call_error(session, "record_fix", {"error_text": 42, "fix": "x"})
        assert "limit" in await call_error(session, "match_error", {"error_text": KEYERROR, "limit": 0})
        assert "error_text" in await call_error(session, "match_error", {})
        assert "decision" in await call_error(session, "triage_finding",
                                              {"fingerprint": "x", "decision": "ignore", "reason": "r"})
        assert "blank" in await call_error(session, "record_fix", {"error_text": KEYERROR, "fix": "   "})
        assert "escapes the workspace" in await call_error(
            session, "record_fix", {"error_text": KEYERROR, "fix": "x", "file": "../outside.py"})
        assert "outside the workspace" in await call_error(
            session, "record_fix", {"error_text": KEYERROR, "fix": "x", "file": "/etc/passwd"})
        assert "minutes" in await call_error(
            session, "record_fix", {"error_text": KEYERROR, "fix": "x", "minutes": -5})
        assert "Unknown tool" in await call_error(session, "no_such_tool", {})
        # nothing was written by the rejected calls, and the server still answers
        assert (await call_ok(session, "match_error", {"error_text": KEYERROR}))["matches"] == []
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
    store = BugStore(workspace)
    store.add(KEYERROR, "use session.get", author="ana")
    bad = workspace.store / "bugs" / "bug-badbadbadbadbad0.json"
    bad.write_text('{"schema": "teamlore.bug/1", "id": ', encoding="utf-8")
    # the file the next record_fix would land in is corrupt too: it must not be overwritten
    clash = store.files.path_for(store.build(KEYERROR, "restart the worker")["id"])
    clash.write_bytes(b"\xff\xfe not json")
    before = {path: path.read_bytes() for path in (bad, clash)}
    async with mcp_session(workspace.root, server_log) as session:
        found = await call_ok(session, "match_error", {"error_text": KEYERROR})
        refused = await call_error(session, "record_fix", {"error_text": KEYERROR, "fix": "restart the worker"})
        with pytest.raises(MCPError, match="invalid JSON"):
            await session.read_resource("teamlore://bugs/bug-badbadbadbadbad0")
        listing = json.loads((await session.read_resource("teamlore://bugs")).contents[0].text)
    assert len(found["matches"]) == 1
    assert "unreadable memory file" in refused and clash.name in refused and "UTF-8" in refused
    assert sorted(p["path"] for p in listing["problems"]) == sorted(
        f".teamlore/bugs/{path.name}" for path in (bad, clash))
    assert {path: path.read_bytes() for path in (bad, clash)} == before


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


async def test_agent_triage_becomes_a_proposal_not_a_suppression(workspace: Workspace, server_log: Path) -> None:
    root = workspace.root
    first, second = ingest_bandit(root)
    async with mcp_session(root, server_log) as session:
        listed = await call_ok(session, "list_findings", {})
        assert "unknown fingerprint" in await call_error(
            session, "triage_finding", {"fingerprint": "0" * 16, "decision": "false_positive", "reason": "x"})
        assert "reason" in await call_error(
            session, "triage_finding", {"fingerprint": first["fingerprint"], "decision": "false_positive",
                                        "reason": "  "})
        made = await call_ok(session, "triage_finding", {"fingerprint": first["fingerprint"],
                                                        "decision": "false_positive", "reason": "name is a constant"})
        after = await call_ok(session, "list_findings", {"path": "service.py"})
        elsewhere = await call_ok(session, "list_findings", {"path": "tests"})
        assert "escapes the workspace" in await call_error(session, "list_findings", {"path": "../x"})
        [proposal_id] = made["decisions"]
        proposal = json.loads((await session.read_resource(f"teamlore://decisions/{proposal_id}")).contents[0].text)

        confirm = run_cli("security", "confirm", proposal_id, "--author", "dana", root=root)
        assert confirm.returncode == 0, confirm.stderr
        confirmed = await call_ok(session, "list_findings", {})

    assert listed["summary"]["active"] == 2 and {f["status"] for f in listed["findings"]} == {"active"}
    assert made["proposed"] is True and proposal_id in made["note"]
    assert after["summary"] == listed["summary"] and {f["status"] for f in after["findings"]} == {"active"}
    assert elsewhere["findings"] == [] and elsewhere["summary"]["total"] == 0
    assert proposal["status"] == "proposed" and proposal["author"] == f"agent:{AGENT}"
    assert proposal["fingerprint"] == first["fingerprint"] and proposal["reason"] == "name is a constant"
    status = {f["fingerprint"]: f["status"] for f in confirmed["findings"]}
    assert status == {first["fingerprint"]: "suppressed", second["fingerprint"]: "active"}


@pytest.mark.parametrize("how", ["env", "config"])
async def test_setting_lets_agents_decide_directly(workspace: Workspace, server_log: Path, how: str) -> None:
    root = workspace.root
    first, _ = ingest_bandit(root)
    env = None
    if how == "env":
        env = {"TEAMLORE_AGENTS_MAY_DECIDE": "1"}
    else:  # committed by the team, allowed by this user (consent lives in the user's config dir)
        (workspace.store / "config.toml").write_text("[agents]\nmay_decide = true\n", encoding="utf-8")
        allow_repository(workspace)
    async with mcp_session(root, server_log, env=env) as session:
        made = await call_ok(session, "triage_finding", {"fingerprint": first["fingerprint"],
                                                        "decision": "accepted_risk", "reason": "internal tool"})
        listed = await call_ok(session, "list_findings", {})
    assert made["proposed"] is False
    assert listed["summary"]["suppressed"] == 1 and listed["summary"]["active"] == 1
    rec = json.loads((workspace.store / "security" / "decisions" / f"{made['decisions'][0]}.json").read_text())
    assert rec["status"] == "confirmed" and rec["author"] == f"agent:{AGENT}"


async def test_debt_report_has_the_cli_shape(workspace: Workspace, server_log: Path) -> None:
    root = workspace.root
    async with mcp_session(root, server_log) as session:
        assert "no debt snapshots" in await call_error(session, "debt_report", {})
        (root / "app.py").write_text("# TODO: split\nx = 1  # FIXME later\ns = 'TODO in a string'\n")
        saved = run_cli("debt", "scan", "--save", root=root)
        assert saved.returncode == 0, saved.stderr
        report = await call_ok(session, "debt_report", {})
    cli = json.loads(run_cli("debt", "report", "--json", root=root).stdout)
    assert report["current"] == cli["current"] == 2
    assert set(report) == set(cli)


def test_malformed_protocol_lines_do_not_stop_the_server(workspace: Workspace) -> None:
    proc = subprocess.Popen([sys.executable, "-m", "server", "mcp", "--root", str(workspace.root)], cwd=REPO,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert proc.stdin is not None and proc.stdout is not None

    def send(line: str) -> None:
        proc.stdin.write(line + "\n")
        proc.stdin.flush()

    def request(req_id: int, method: str, params: dict[str, Any]) -> dict[str, Any]:
        send(json.dumps({"jsonrpc": "2.0", "id": req_id, "method": method, "params": params}))
        while True:
            msg = json.loads(proc.stdout.readline())
            if msg.get("id") == req_id:
                return msg

    try:
        init = request(1, "initialize", {"protocolVersion": "2025-06-18", "capabilities": {},
                                         "clientInfo": {"name": "raw", "version": "0"}})
        assert init["result"]["serverInfo"]["name"] == "teamlore"
        send(json.dumps({"jsonrpc": "2.0", "method": "notifications/initialized"}))
        send("this is not JSON")
        send('{"jsonrpc": "2.0", "id": 2, "method": ')
        bad = request(3, "tools/call", {"name": "record_fix", "arguments": "not an object"})
        assert "error" in bad
        listed = request(4, "tools/list", {})
        assert {t["name"] for t in listed["result"]["tools"]} == CONTRACT_TOOLS
    finally:
        proc.stdin.close()
        proc.wait(timeout=30)
    assert proc.returncode == 0
