"""Who is writing (the MCP client) and what agents are allowed to change."""

from __future__ import annotations

import logging
import re

from mcp.server.mcpserver import Context

from memory_store.config import BY_DOTTED, load_project_config
from memory_store.redact import redact
from memory_store.workspace import Workspace

log = logging.getLogger(__name__)

MAY_DECIDE_ENV = BY_DOTTED["agents.may_decide"].env
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

    ``[agents] may_decide`` of the project config (a committed value counts only once the
    user allowed it; ``TEAMLORE_AGENTS_MAY_DECIDE`` wins). Anything unreadable or ambiguous
    means "no": the safe default is a proposal a person confirms.
    """
    return load_project_config(workspace).agents.may_decide
