"""The MCP front end: the team's memory as tools and resources for AI coding agents.

Built with the official ``mcp`` SDK (extra ``teamlore[mcp]``). Like the CLI and the
language server it is a thin layer: every answer is computed by :mod:`memory_store`
and has the same JSON shape as the matching ``teamlore ... --json`` command.
"""
