"""Running followers that want to hear at once when an event is queued for publishing.

A :class:`~memory_store.sync.stream.Follower` adds its wake function while it runs; the
publish hook (:mod:`memory_store.sync.hooks`) wakes them, or flushes the outbox itself
when no follower runs in this process.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

_wakers: set[Callable[[], None]] = set()
_lock = threading.Lock()


def add_waker(wake: Callable[[], None]) -> None:
    with _lock:
        _wakers.add(wake)


def remove_waker(wake: Callable[[], None]) -> None:
    with _lock:
        _wakers.discard(wake)


def wakers() -> list[Callable[[], None]]:
    with _lock:
        return list(_wakers)
