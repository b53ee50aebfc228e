"""Builds the MCP server for one workspace and runs it over stdio."""

from __future__ import annotations

import logging

from mcp.server.mcpserver import MCPServer

from memory_store import __version__
from memory_store.workspace import Workspace
from server.mcp import bug_tools, capture_tools, debt_tools, resources, security_tools

log = logging.getLogger(__name__)

INSTRUCTIONS = """\
teamlore is this repository's team memory. Before guessing at an error, call match_error
with the traceback or error line: it returns past fixes with a score and the reasons they
matched (an empty list means nothing confident is known). After fixing an error, call
record_fix so the next person finds it. Records you write are marked as agent-written.
Security decisions you make with triage_finding are proposals a person confirms, unless
this repository allows agents to decide.
"""


def build_server(workspace: Workspace) -> MCPServer:
    app = MCPServer("teamlore", version=__version__, instructions=INSTRUCTIONS, log_level="WARNING")
    bug_tools.register(app, workspace)
    capture_tools.register(app, workspace)
    security_tools.register(app, workspace)
    debt_tools.register(app, workspace)
    resources.register(app, workspace)
    return app


def serve(workspace: Workspace) -> None:
    """Serve over stdio until the client closes the connection."""
    log.info("teamlore MCP server for %s", workspace.root)
    build_server(workspace).run("stdio")
