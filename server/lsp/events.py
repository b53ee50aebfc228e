"""What happened in the language server, told to the features that subscribed.

One event source instead of a listener list per kind: a feature subscribes with
``server.events.on(kind, fn)`` in its ``register``; listeners run in subscription order,
which is the order of ``FEATURES`` in :mod:`server.lsp.server`.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

MEMORY = "memory"
"""``(mem)``: a folder's bug memory changed (records added, changed, removed or reloaded)."""
INBOX = "inbox"
"""``(mem)``: ``.teamlore/.inbox/`` changed (``teamlore run`` captured something)."""
FINDINGS = "findings"
"""``(mem)``: triage decisions changed, so findings are evaluated again."""
SETTINGS = "settings"
"""``(mem, old, new)``: a folder's settings changed."""
OPENED = "opened"
SAVED = "saved"
CLOSED = "closed"
"""``(uri)``: document notifications; their listeners are plain functions (see ``emit_now``)."""

Listener = Callable[..., Any]


class Events:
    """Subscribers by kind of event."""

    def __init__(self) -> None:
        self._listeners: dict[str, list[Listener]] = {}

    def on(self, kind: str, listener: Listener) -> None:
        self._listeners.setdefault(kind, []).append(listener)

    def listeners(self, kind: str) -> list[Listener]:
        return list(self._listeners.get(kind, ()))

    async def emit(self, kind: str, *args: Any) -> None:
        """Call every listener of ``kind`` in order, awaiting those that are coroutines."""
        for listener in self.listeners(kind):
            result = listener(*args)
            if inspect.isawaitable(result):
                await result

    def emit_now(self, kind: str, *args: Any) -> None:
        """Call every listener of ``kind`` in order, from a synchronous handler."""
        for listener in self.listeners(kind):
            listener(*args)
