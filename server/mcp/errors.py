"""Turning library failures into MCP tool errors with a message an agent can act on.

The SDK reports any exception other than ``ToolError`` as a bare "Error executing
tool"; everything we anticipate is translated here so the agent learns what was wrong.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

import anyio.to_thread
from mcp.server.mcpserver.exceptions import ToolError

from memory_store.bugs.records import EmptyErrorText
from memory_store.jsonio import MemoryFileError
from memory_store.workspace import UnsafePathError

T = TypeVar("T")


class UnknownId(LookupError):
    """An id (of a record, decision or proposal) that does not exist."""


def as_tool_error(exc: BaseException) -> ToolError | None:
    """The ToolError for an anticipated failure, or None for a real bug."""
    if isinstance(exc, ToolError):
        return exc
    if isinstance(exc, UnsafePathError):
        return ToolError(f"rejected: {exc}")
    if isinstance(exc, MemoryFileError):
        return ToolError(f"unreadable memory file (left untouched; see `teamlore doctor`): {exc}")
    if isinstance(exc, LookupError):
        # the library's "not found" errors (unknown proposal, no debt history, ...) say what
        # is missing; a bare KeyError is a bug in this code and goes the crash path
        is_bare = isinstance(exc, KeyError) and type(exc).__str__ is KeyError.__str__
        return None if is_bare else ToolError(str(exc))
    if isinstance(exc, EmptyErrorText):
        return ToolError(f"error_text: {exc}")
    if isinstance(exc, ValueError):  # the library's validation errors name the field or value
        return ToolError(str(exc))
    return None


async def off_loop(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run blocking memory work on a worker thread; anticipated failures become ToolErrors."""
    try:
        return await anyio.to_thread.run_sync(functools.partial(fn, *args, **kwargs))
    except Exception as exc:
        translated = as_tool_error(exc)
        if translated is None or translated is exc:
            raise
        raise translated from exc
