"""The teamlore language server (pygls 2): past fixes on hover, code actions, filtered
diagnostics and live memory. Start it with ``teamlore lsp``."""
