"""Builds the MCP server for one workspace and runs it over stdio."""

from __future__ import annotations

import logging
import threading

from mcp.server.mcpserver import MCPServer

from memory_store import __version__
from memory_store.sync import hooks as sync_hooks
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


def build_server(workspace: Workspace, *, warm: bool = False) -> MCPServer:
    """The server with every tool and resource; ``warm``: read the bug memory in the background
    right away, so the first ``match_error`` does not wait for thousands of files."""
    app = MCPServer("teamlore", version=__version__, instructions=INSTRUCTIONS, log_level="WARNING")
    index = bug_tools.register(app, workspace)
    if warm:
        threading.Thread(target=_warm, args=(index,), name="teamlore-index", daemon=True).start()
    capture_tools.register(app, workspace)
    security_tools.register(app, workspace)
    debt_tools.register(app, workspace)
    resources.register(app, workspace)
    return app


def _warm(index: bug_tools.MatchIndex) -> None:
    try:
        index.get()
    except Exception:  # the first query will try again and report the problem
        log.exception("could not read the bug memory")


def serve(workspace: Workspace) -> None:
    """Serve over stdio until the client closes the connection."""
    log.info("teamlore MCP server for %s", workspace.root)
    sync_hooks.install()
    build_server(workspace, warm=True).run("stdio")
