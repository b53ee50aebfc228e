"""Fix-capture tools: ``pending_fixes`` and ``accept_fix``.

Proposals come from errors that went away between two runs of a command
(:mod:`memory_store.bugs.capture`). Accepting one stores it as a bug record; the
record notes which agent accepted it (``accepted_by``) and, when the agent supplied the
fix text, that the agent wrote it (``fix_by``); the ``author`` stays the person whose
change fixed the error.
"""

from __future__ import annotations

from typing import Annotated, Any

from mcp.server.mcpserver import Context, MCPServer
from pydantic import Field

from memory_store.authorship import agent_accept_marks
from memory_store.bugs import capture
from memory_store.workspace import Workspace
from server.mcp.agent import agent_author
from server.mcp.errors import UnknownId, off_loop

ProposalId = Annotated[str, Field(min_length=1, max_length=128, description="a proposal id from pending_fixes")]
FixText = Annotated[str | None, Field(max_length=20_000,
                                      description="fix text to store instead of the generated summary")]


def register(app: MCPServer, workspace: Workspace) -> None:
    @app.tool(name="pending_fixes", description=(
        "Fixes teamlore noticed by itself (an error that stopped occurring between two runs of a "
        "command), waiting to be saved: id, error, generated summary, diff, minutes it took, files "
        "(and where it was seen). "
        "Same shape as `teamlore bugs pending --json`."))
    async def pending_fixes() -> dict[str, Any]:
        return {"proposals": await off_loop(capture.pending, workspace)}

    @app.tool(name="accept_fix", description=(
        "Save a pending fix proposal as a bug record (the summary is the fix text unless `fix` is "
        "given: it is stored marked as written by this agent). "
        "Returns {\"id\": <record id>, \"proposal\": <proposal id>}."))
    async def accept_fix(id: ProposalId, ctx: Context, fix: FixText = None) -> dict[str, Any]:
        marks = agent_accept_marks(agent_author(ctx), fix_supplied=bool(fix and fix.strip()))

        def work() -> dict[str, Any]:
            try:
                record = capture.accept(workspace, id, fix=fix, marks=marks)
            except capture.UnknownProposal as exc:
                raise UnknownId(f"unknown proposal id: {id!r} (see pending_fixes)") from exc
            return {"id": record["id"], "proposal": id}

        return await off_loop(work)
