"""The publish hook the stores call after writing a new record.

:func:`on_record_written` is cheap and never raises: without a redis url it returns
after one small config read; with one it queues the event in the outbox (a small atomic
file write) and leaves the network to a running :class:`~memory_store.sync.stream.Follower`
(woken at once) or, in short-lived processes such as the CLI, to a background flush that
the process waits for at exit for at most :data:`FLUSH_AT_EXIT_SECONDS`. Whatever is not
sent stays in the outbox for the next ``teamlore sync push``/``run`` or follower.
"""

from __future__ import annotations

import atexit
import contextlib
import contextvars
import logging
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from memory_store.workspace import Workspace

log = logging.getLogger(__name__)

FLUSH_AT_EXIT_SECONDS = 2.0

_applying_remote: contextvars.ContextVar[bool] = contextvars.ContextVar("teamlore_sync_applying", default=False)
_wakers: set[Callable[[], None]] = set()
_flushers: dict[str, threading.Thread] = {}
_lock = threading.Lock()
_publishing = True


def stop_publishing() -> None:
    """This process publishes nothing from now on (an editor in restricted mode)."""
    global _publishing
    _publishing = False


@contextlib.contextmanager
def applying_remote() -> Iterator[None]:
    """Records written inside this block came from the stream: do not publish them again."""
    token = _applying_remote.set(True)
    try:
        yield
    finally:
        _applying_remote.reset(token)


def add_waker(wake: Callable[[], None]) -> None:
    with _lock:
        _wakers.add(wake)


def remove_waker(wake: Callable[[], None]) -> None:
    with _lock:
        _wakers.discard(wake)


def on_record_written(kind: str, record: dict[str, Any], workspace: Workspace) -> None:
    """Queue a newly written record for publishing when sync is configured. Never raises."""
    if _applying_remote.get() or not _publishing:
        return
    try:
        from memory_store.sync.config import is_configured

        if not is_configured(workspace):
            return
        from memory_store.sync.events import make_event
        from memory_store.sync.outbox import Outbox

        Outbox(workspace).put(make_event(kind, record))
    except Exception as exc:  # a sync problem must never fail a local write
        log.warning("sync: could not queue %s %s for publishing: %s", kind, record.get("id"), exc)
        return
    with _lock:
        wakers = list(_wakers)
    if wakers:
        for wake in wakers:
            wake()
    else:
        _schedule_flush(workspace)


def _schedule_flush(workspace: Workspace) -> None:
    # Imported here, not in the thread: a process that is already exiting cannot import
    # the redis client (it registers exit handlers).
    from memory_store.sync.stream import flush_outbox, redis_module

    redis_module()

    key = str(workspace.root)
    with _lock:
        running = _flushers.get(key)
        if running is not None and running.is_alive():
            return
        thread = threading.Thread(target=_flush, args=(flush_outbox, workspace), name="teamlore-sync-flush",
                                  daemon=True)
        _flushers[key] = thread
    thread.start()


def _flush(flush_outbox: Callable[..., Any], workspace: Workspace) -> None:
    try:
        flush_outbox(workspace, connect_timeout=FLUSH_AT_EXIT_SECONDS / 2)
    except Exception as exc:
        log.info("sync: outbox kept for later (%s)", exc)


@atexit.register
def _wait_for_flushes() -> None:
    with _lock:
        threads = list(_flushers.values())
    deadline = time.monotonic() + FLUSH_AT_EXIT_SECONDS
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
