"""Record writes announced to whoever listens (sync, live indexes, the language server).

:class:`~memory_store.recordfiles.RecordDir` emits one :class:`RecordWritten` per file it
writes; stores therefore never call their listeners by hand and never import them. A
subscriber that raises is logged and skipped: a listener's problem never fails a write.
Writes made inside :func:`remote_writes` (records arriving from teammates) carry the origin
``"remote"`` so that sync does not send them back.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from memory_store.workspace import Workspace

log = logging.getLogger(__name__)

Origin = Literal["local", "remote"]


@dataclass(frozen=True)
class RecordWritten:
    """One record file written: its record kind (``bug``, ``security``, ...), the record as
    written (with ``schema``), where it went and where the write came from."""

    kind: str
    record: dict[str, Any]
    path: Path
    origin: Origin
    workspace: Workspace | None


Subscriber = Callable[[RecordWritten], None]

_subscribers: list[Subscriber] = []
_lock = threading.Lock()
_origin: contextvars.ContextVar[Origin] = contextvars.ContextVar("teamlore_write_origin", default="local")


def subscribe(subscriber: Subscriber) -> None:
    """Call ``subscriber`` after every record write; subscribing twice is subscribing once."""
    with _lock:
        if subscriber not in _subscribers:
            _subscribers.append(subscriber)


def unsubscribe(subscriber: Subscriber) -> None:
    with _lock:
        if subscriber in _subscribers:
            _subscribers.remove(subscriber)


def current_origin() -> Origin:
    return _origin.get()


@contextlib.contextmanager
def remote_writes() -> Iterator[None]:
    """Records written inside this block came from a teammate (origin ``"remote"``)."""
    token = _origin.set("remote")
    try:
        yield
    finally:
        _origin.reset(token)


def emit(event: RecordWritten) -> None:
    """Tell every subscriber, in subscription order. Never raises."""
    with _lock:
        subscribers = list(_subscribers)
    for subscriber in subscribers:
        try:
            subscriber(event)
        except Exception:  # a listener's failure must never fail the write that was made
            log.exception("a listener failed on %s %s", event.kind, event.record.get("id"))
