"""Who wrote what in a record: people, and agents (``agent:<client name>``).

Text an agent supplied is never stored under a person's name. A record an agent wrote has
``author: "agent:<name>"``. A fix proposal (whose ``author`` is the person who made the
change) accepted by an agent gets ``accepted_by: "agent:<name>"``, and, when the agent also
supplied the fix text, ``fix_by: "agent:<name>"``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

AGENT_PREFIX = "agent:"


def is_agent(author: Any) -> bool:
    return isinstance(author, str) and author.startswith(AGENT_PREFIX)


def agent_written(rec: Mapping[str, Any]) -> bool:
    """Whether an agent supplied text of the record (the whole record, or its fix text)."""
    return is_agent(rec.get("author")) or is_agent(rec.get("fix_by"))


def agent_accept_marks(agent: str, fix_supplied: bool) -> dict[str, str]:
    """The fields a record accepted by ``agent`` gets (``fix_supplied``: the agent wrote its fix text)."""
    return {"accepted_by": agent, **({"fix_by": agent} if fix_supplied else {})}
