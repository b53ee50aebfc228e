"""Text an agent supplies is marked agent-written where it is stored and shown: a fix
proposal accepted over MCP with the agent's own fix text keeps the person's authorship of
the change, and names the agent as the writer of the text and as the one who accepted it."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from memory_store.bugs.match import Match
from memory_store.bugs.records import BugStore
from memory_store.inbox import Inbox
from memory_store.workspace import Workspace
from server.lsp.render import hover_markdown
from tests.conftest import run_cli
from tests.test_mcp import AGENT, KEYERROR, call_ok, mcp_session

pytestmark = pytest.mark.e2e

PERSON = "Alice Human"


def propose_fix(workspace: Workspace) -> None:
    """A failing then passing run, in a repository whose git user is a person."""
    subprocess.run(["git", "init", "-q", str(workspace.root)], check=True)
    subprocess.run(["git", "-C", str(workspace.root), "config", "user.name", PERSON], check=True)
    inbox = Inbox(workspace)
    inbox.record_run("pytest -q", str(workspace.root), 1, KEYERROR, started=1_000.0, ended=1_001.0)
    inbox.record_run("pytest -q", str(workspace.root), 0, "1 passed\n", started=1_601.0, ended=1_602.0)


async def accept_over_mcp(workspace: Workspace, log: Path, fix: str | None) -> dict[str, Any]:
    propose_fix(workspace)
    async with mcp_session(workspace.root, log) as session:
        [proposal] = (await call_ok(session, "pending_fixes", {}))["proposals"]
        args = {"id": proposal["id"]} | ({"fix": fix} if fix is not None else {})
        accepted = await call_ok(session, "accept_fix", args)
    return BugStore(workspace).get(accepted["id"])


def shown(workspace: Workspace, rec: dict[str, Any]) -> tuple[str, str]:
    """The hover over the error and the ``bugs show`` table of the record."""
    hover = hover_markdown(KEYERROR, [Match(rec, 1.0, ["same error"], True)])
    cli = run_cli("bugs", "show", rec["id"], root=workspace.root)
    assert cli.returncode == 0, cli.stderr
    return hover, cli.stdout


async def test_agent_fix_text_is_stored_and_shown_as_agent_written(workspace: Workspace, tmp_path: Path):
    rec = await accept_over_mcp(workspace, tmp_path / "mcp.log", "guard the session lookup")
    agent = f"agent:{AGENT}"
    assert rec["fix"] == "guard the session lookup"
    assert (rec["author"], rec["fix_by"], rec["accepted_by"]) == (PERSON, agent, agent)
    on_disk = json.loads(BugStore(workspace).files.path_for(rec["id"]).read_text(encoding="utf-8"))
    assert on_disk["fix_by"] == agent and on_disk["accepted_by"] == agent  # in the one file write

    hover, table = shown(workspace, rec)
    assert f"by {PERSON}" in hover
    assert f"fix text by agent:{AGENT}" in hover and "**agent-written**" in hover
    assert f"accepted by agent:{AGENT}" in hover
    assert "fix text by" in table and "accepted by" in table and "agent-written" in table
    assert table.count(agent) == 2 and PERSON in table


async def test_agent_accepting_the_generated_summary_is_not_marked_as_writing_it(workspace: Workspace,
                                                                                  tmp_path: Path):
    rec = await accept_over_mcp(workspace, tmp_path / "mcp.log", None)
    assert rec["author"] == PERSON and rec["accepted_by"] == f"agent:{AGENT}"
    assert "fix_by" not in rec

    hover, table = shown(workspace, rec)
    assert f"accepted by agent:{AGENT}" in hover
    assert "fix text by" not in hover and "agent-written" not in hover
    assert "accepted by" in table and "fix text by" not in table and "agent-written" not in table


def test_authorship_in_hover_is_escaped():
    rec = {"id": "bug-1", "fix": "x", "author": "Bob", "fix_by": "agent:[x](javascript:alert(1))",
           "accepted_by": "agent:*bold*"}
    hover = hover_markdown(KEYERROR, [Match(rec, 1.0, [], True)])
    assert "](javascript:" not in hover and "*bold*" not in hover
    assert "**agent-written**" in hover
