"""The editor set-up ``teamlore init`` prints: how Neovim and VS Code start this very server.

The path is that of the ``teamlore`` executable of the running installation (a virtualenv's,
pipx's, the system's), so the snippet works even when it is not on the editor's PATH.
"""

from __future__ import annotations

import json
import shlex
from typing import Any

from memory_store.merge_driver import program


def server_command() -> list[str]:
    """The command that starts this installation's CLI (append ``lsp`` for the server): the
    same program git's merge driver runs (:func:`memory_store.merge_driver.program`)."""
    return shlex.split(program())


def _lua_list(items: list[str]) -> str:
    # a JSON string is a valid Lua string for any path an editor could start
    return "{ " + ", ".join(json.dumps(item, ensure_ascii=False) for item in items) + " }"


def editor_snippets(command: list[str] | None = None) -> dict[str, Any]:
    """``{"server": [...], "neovim": "<lua>", "vscode": {setting: value} | None}``; VS Code's
    ``teamlore.serverPath`` takes one executable, so it is None for ``python -m server``."""
    cmd = command or server_command()
    neovim = f'require("teamlore").setup({{ cmd = {_lua_list([*cmd, "lsp"])} }})'
    vscode = {"teamlore.serverPath": cmd[0]} if len(cmd) == 1 else None
    return {"server": cmd, "neovim": neovim, "vscode": vscode}


def snippet_lines(snippets: dict[str, Any]) -> list[str]:
    """The snippets as the lines ``teamlore init`` prints."""
    lines = [f"editors: the server is {' '.join(snippets['server'])} lsp",
             "  Neovim (init.lua, with the plugin in editors/neovim installed):",
             f"    {snippets['neovim']}"]
    if snippets["vscode"]:
        setting, value = next(iter(snippets["vscode"].items()))
        lines += ["  VS Code (user settings.json; or select this Python environment as the interpreter):",
                  f"    {json.dumps(setting)}: {json.dumps(value, ensure_ascii=False)}"]
    else:
        lines += ["  VS Code: select this Python environment as the interpreter (teamlore.serverPath needs an "
                  "installed teamlore executable)"]
    return lines
