"""Who is writing (the MCP client) and what agents are allowed to change."""

from __future__ import annotations

import logging
import os
import re
import sys

from mcp.server.mcpserver import Context

from memory_store.redact import redact
from memory_store.workspace import Workspace

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

log = logging.getLogger(__name__)

MAY_DECIDE_ENV = "TEAMLORE_AGENTS_MAY_DECIDE"
_UNSAFE_NAME = re.compile(r"[^\w .@+:-]+")


def clean_client_name(raw: str | None) -> str:
    """A client name fit for the ``author`` field: redacted, one line, short, never empty."""
    name = _UNSAFE_NAME.sub("-", " ".join(redact(raw or "").split())).strip(" -")[:64].rstrip(" -")
    return name or "unknown"


def agent_author(ctx: Context) -> str:
    """Author string of everything an agent writes: ``agent:<clientInfo.name from initialize>``."""
    params = ctx.session.client_params
    raw = params.client_info.name if params is not None and params.client_info is not None else None
    return f"agent:{clean_client_name(raw)}"


def agents_may_decide(workspace: Workspace) -> bool:
    """Whether agents' security decisions take effect directly instead of as proposals.

    ``TEAMLORE_AGENTS_MAY_DECIDE`` (1/true/yes/on or 0/false/no/off) wins over
    ``[agents] may_decide`` in ``.teamlore/config.toml``. Anything unreadable or
    ambiguous means "no": the safe default is a proposal a person confirms.
    """
    env = os.environ.get(MAY_DECIDE_ENV, "").strip().lower()
    if env:
        if env in {"1", "true", "yes", "on"}:
            return True
        if env not in {"0", "false", "no", "off"}:
            log.warning("%s=%r is not a yes/no value; agents' decisions stay proposals", MAY_DECIDE_ENV, env)
        return False
    path = workspace.store / "config.toml"
    if not path.is_file():
        return False
    try:
        config = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        log.warning("%s: unreadable (%s); agents' decisions stay proposals", path, exc)
        return False
    agents = config.get("agents", {})
    value = agents.get("may_decide", False) if isinstance(agents, dict) else False
    if not isinstance(value, bool):
        log.warning("%s: [agents] may_decide must be true or false; agents' decisions stay proposals", path)
        return False
    return value
