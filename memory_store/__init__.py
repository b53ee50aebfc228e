"""teamlore's memory: storage, error understanding, matching, security triage and debt.

This package knows nothing about editors, terminals or protocols; the front ends in
``server/`` translate its results into CLI output, LSP messages and MCP tool results.
"""

__version__ = "0.1.0"
