"""Sync's listener on record writes: queues each local bug or decision for publishing.

Front ends call :func:`install` once at start-up; it subscribes :func:`on_record_written`
to :mod:`memory_store.events`, so every store write (new records, confirmations, rejections,
later updates) is published without the stores knowing about sync. The listener is cheap
and never raises: without a redis url it returns after one small config read; with one it
queues the event in the outbox (a small atomic file write) and leaves the network to a
running :class:`~memory_store.sync.stream.Follower` (woken at once) or, in short-lived
processes such as the CLI, to a background flush that the process waits for at exit for
at most :data:`FLUSH_AT_EXIT_SECONDS`. Whatever is not sent stays in the outbox for the
next ``teamlore sync push``/``run`` or follower.
"""

from __future__ import annotations

import atexit
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from memory_store import events
from memory_store.sync.config import is_configured
from memory_store.sync.wakers import wakers
from memory_store.workspace import Workspace

log = logging.getLogger(__name__)

FLUSH_AT_EXIT_SECONDS = 2.0

SYNCED_KINDS = {"bug": "bug", "security": "decision", "feedback": "feedback"}
"""Record kinds (of :class:`~memory_store.recordfiles.RecordDir`) that travel, by their event kind on the stream."""

_flushers: dict[str, threading.Thread] = {}
_lock = threading.Lock()
_publishing = True


def install() -> None:
    """Publish this process's record writes when sync is configured (idempotent)."""
    events.subscribe(on_record_written)


def uninstall() -> None:
    events.unsubscribe(on_record_written)


def stop_publishing() -> None:
    """This process publishes nothing from now on (an editor in restricted mode)."""
    global _publishing
    _publishing = False


def on_record_written(written: events.RecordWritten) -> None:
    """Queue a locally written bug or decision for publishing when sync is configured. Never raises."""
    kind = SYNCED_KINDS.get(written.kind)
    workspace = written.workspace
    if kind is None or workspace is None or written.origin == "remote" or not _publishing:
        return
    record = written.record
    try:
        if not is_configured(workspace):
            return
        # the outbox and the stream client (stores, the matcher, redis) only once sync is configured
        from memory_store.sync.events import make_event
        from memory_store.sync.outbox import Outbox

        Outbox(workspace).put(make_event(kind, record))
    except Exception as exc:  # a sync problem must never fail a local write
        log.warning("sync: could not queue %s %s for publishing: %s", kind, record.get("id"), exc)
        return
    running = wakers()
    if running:
        for wake in running:
            wake()
    else:
        _schedule_flush(workspace)


def _schedule_flush(workspace: Workspace) -> None:
    # Loaded here, not in the thread: a process that is already exiting cannot import
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


def _flush(flush: Callable[..., Any], workspace: Workspace) -> None:
    try:
        flush(workspace, connect_timeout=FLUSH_AT_EXIT_SECONDS / 2)
    except Exception as exc:
        log.info("sync: outbox kept for later (%s)", exc)


@atexit.register
def _wait_for_flushes() -> None:
    with _lock:
        threads = list(_flushers.values())
    deadline = time.monotonic() + FLUSH_AT_EXIT_SECONDS
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
