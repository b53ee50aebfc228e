"""Security triage tools: ``list_findings`` and ``triage_finding``.

An agent's decision is stored as a proposal (it suppresses nothing) until a person runs
``teamlore security confirm ID``, unless the workspace lets agents decide directly
(see :func:`server.mcp.agent.agents_may_decide`).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import Field

from memory_store.security.api import SecurityMemory
from memory_store.security.decisions import DecisionError
from memory_store.workspace import Workspace
from server.mcp.agent import agent_author, agents_may_decide
from server.mcp.errors import off_loop

PathFilter = Annotated[str | None, Field(max_length=4096,
                                         description="only findings in this workspace-relative file or folder")]
Fingerprint = Annotated[str, Field(min_length=1, max_length=256,
                                   description="the finding's fingerprint, from list_findings")]
Decision = Literal["false_positive", "accepted_risk", "true_positive", "fixed"]
Reason = Annotated[str, Field(min_length=1, max_length=2_000, description="why (required; people review it)")]


def _under(path: str, prefix: str) -> bool:
    return not prefix or path == prefix or path.startswith(prefix + "/")


def register(app: MCPServer, workspace: Workspace) -> None:
    memory = SecurityMemory(workspace)

    @app.tool(name="list_findings", description=(
        "Security-scanner findings of the last `teamlore security scan` or `ingest`, each with its "
        "status in the team's memory: active, suppressed (with the decision and reason) or stale "
        "(the flagged code changed since the decision; re-review). Same shape as "
        "`teamlore security scan --json`. Empty when no scan or ingest has run yet."))
    async def list_findings(path: PathFilter = None) -> dict[str, Any]:
        def work() -> dict[str, Any]:
            prefix = workspace.relative(path) if path else ""
            findings = [f for f in memory.last_findings() if _under(f.path, prefix)]
            return memory.triage(findings).to_json()

        return await off_loop(work)

    @app.tool(name="triage_finding", description=(
        "Record a triage decision for one finding (by fingerprint from list_findings), with a reason. "
        "Unless this workspace lets agents decide, it is stored as a proposal: the finding stays "
        "active until a person confirms it (`teamlore security confirm ID`). Returns "
        "{\"decisions\": [id], \"proposed\": bool}."))
    async def triage_finding(fingerprint: Fingerprint, decision: Decision, reason: Reason,
                             ctx: Context) -> dict[str, Any]:
        author = agent_author(ctx)

        def work() -> dict[str, Any]:
            proposed = not agents_may_decide(workspace)
            try:
                ids = memory.decide([fingerprint], decision, reason, author=author, proposed=proposed,
                                    source="mcp")
            except DecisionError as exc:
                raise ToolError(str(exc)) from exc
            out: dict[str, Any] = {"decisions": ids, "proposed": proposed}
            if proposed:
                out["note"] = ("stored as a proposal: the finding stays visible until a person runs "
                               f"`teamlore security confirm {ids[0]}`")
            return out

        return await off_loop(work)
