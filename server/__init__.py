"""teamlore front ends: the CLI, the language server and the MCP server."""

from memory_store import __version__

__all__ = ["__version__"]
