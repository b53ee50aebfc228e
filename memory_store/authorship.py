"""Who wrote what in a record: people, and agents (``agent:<client name>``).

Text an agent supplied is never stored under a person's name. A record an agent wrote has
``author: "agent:<name>"``. A fix proposal (whose ``author`` is the person who made the
change) accepted by an agent gets ``accepted_by: "agent:<name>"``, and, when the agent also
supplied the fix text, ``fix_by: "agent:<name>"``. A person's name comes from
:func:`author_name`: the one given, else git's ``user.name``, else the login name.
"""

from __future__ import annotations

import getpass
import os
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from memory_store.redact import redact

AGENT_PREFIX = "agent:"
MAX_AUTHOR_CHARS = 200


def is_agent(author: Any) -> bool:
    return isinstance(author, str) and author.startswith(AGENT_PREFIX)


def agent_written(rec: Mapping[str, Any]) -> bool:
    """Whether an agent supplied text of the record (the whole record, or its fix text)."""
    return is_agent(rec.get("author")) or is_agent(rec.get("fix_by"))


def agent_accept_marks(agent: str, fix_supplied: bool) -> dict[str, str]:
    """The fields a record accepted by ``agent`` gets (``fix_supplied``: the agent wrote its fix text)."""
    return {"accepted_by": agent, **({"fix_by": agent} if fix_supplied else {})}


def default_author(root: Path | None = None) -> str:
    """``git config user.name`` of the workspace, else the login name."""
    try:
        out = subprocess.run(["git", "config", "user.name"], cwd=root or os.getcwd(),
                             capture_output=True, text=True, timeout=5, check=False)
        if out.returncode == 0 and out.stdout.strip():
            return out.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        pass
    try:
        return getpass.getuser()
    except Exception:
        return "unknown"


def author_name(author: str | None, root: Path | None = None) -> str:
    """The ``author`` stored in a record: the given name, else :func:`default_author`; one line,
    redacted (a name typed on a command line or taken from a client may carry a secret), capped."""
    name = " ".join((author or "").split()) or " ".join(default_author(root).split())
    return redact(name)[:MAX_AUTHOR_CHARS] or "unknown"
