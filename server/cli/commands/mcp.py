"""``teamlore mcp``: the team's memory for AI coding agents, over the Model Context Protocol (stdio)."""

from __future__ import annotations

import argparse
from pathlib import Path

from memory_store.workspace import Workspace
from server.cli.common import CliError, Context, examples

INSTALL_HINT = "pip install 'teamlore[mcp]'"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("mcp", help="serve the memory to AI agents over MCP (stdio)",
                       description="Start a Model Context Protocol server on stdin/stdout.",
                       epilog=examples("teamlore mcp --root ~/src/shop   # in an agent's MCP configuration"))
    # Also accepted after the sub-command, as agents' MCP configurations usually write it.
    p.add_argument("--root", dest="mcp_root", metavar="DIR",
                   help="workspace root (default: the global --root, TEAMLORE_ROOT or the git repository)")
    p.set_defaults(func=run)


def run(ctx: Context) -> int:
    workspace = ctx.workspace
    if ctx.args.mcp_root:
        if not Path(ctx.args.mcp_root).is_dir():
            raise CliError(f"--root: not a directory: {ctx.args.mcp_root}")
        workspace = Workspace.find(ctx.args.mcp_root)
    try:
        from server.mcp.app import serve
    except ModuleNotFoundError as exc:
        if (exc.name or "").split(".")[0] in {"mcp", "mcp_types", "pydantic", "anyio"}:
            raise CliError(f"the MCP server needs the mcp SDK, which is not installed: {INSTALL_HINT}") from None
        raise
    serve(workspace)
    return 0
