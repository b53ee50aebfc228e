"""``debt_report``: the technical-debt trajectory and its backtested forecast."""

from __future__ import annotations

from typing import Any

from mcp.server.mcpserver import MCPServer

from memory_store.debt.report import build_report
from memory_store.workspace import Workspace
from server.mcp.errors import off_loop


def register(app: MCPServer, workspace: Workspace) -> None:
    @app.tool(name="debt_report", description=(
        "The TODO/FIXME/HACK/XXX trajectory of this repository: current count, change per month, "
        "forecast with an 80% interval from the method that did best on this project's own history, "
        "files growing fastest, oldest markers. Same shape as `teamlore debt report --json`."))
    async def debt_report() -> dict[str, Any]:
        return await off_loop(build_report, workspace)
