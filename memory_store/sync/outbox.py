"""Events waiting to be sent: ``.teamlore/.cache/sync/outbox/<event id>.json``.

An event is written here (atomically) when its record is written, and removed only
after the stream accepted it. The file name is the content-derived event id, so queuing
the same record twice leaves one file. Order of sending is the order of queuing.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from memory_store import confine
from memory_store.bugs.feedback import FeedbackStore
from memory_store.bugs.records import BugStore
from memory_store.jsonio import MemoryFileError, atomic_write_json, read_json
from memory_store.security.decisions import DecisionStore
from memory_store.sync.events import BadEvent, Event, make_event
from memory_store.workspace import Workspace

log = logging.getLogger(__name__)


def sync_dir(workspace: Workspace) -> Path:
    return workspace.cache / "sync"


@dataclass(frozen=True)
class Pending:
    path: Path
    event: Event
    queued_ns: int


class Outbox:
    def __init__(self, workspace: Workspace):
        self.directory = sync_dir(workspace) / "outbox"

    def put(self, event: Event) -> Path:
        """Queue ``event`` unless the same event is already waiting."""
        path = self.directory / f"{event.event_id}.json"
        if not path.exists():
            atomic_write_json(path, {"event": event.event_id, "queued_ns": time.time_ns(),
                                     **event.to_json()})
        return path

    def paths(self) -> list[Path]:
        try:
            return [p for p in self.directory.iterdir()
                    if p.suffix == ".json" and not p.name.startswith(".")]
        except FileNotFoundError:
            return []

    def __len__(self) -> int:
        return len(self.paths())

    def pending(self) -> Iterator[Pending]:
        """Waiting events, oldest first; an unreadable entry is logged once and set aside
        (renamed ``*.unreadable``), never deleted."""
        items: list[Pending] = []
        for path in self.paths():
            try:
                data = read_json(path, confine_to=self.directory)
                event = make_event(data["kind"], data["record"])
                items.append(Pending(path, event, int(data.get("queued_ns", 0))))
            except (MemoryFileError, BadEvent, KeyError, TypeError, ValueError) as exc:
                if not path.exists():
                    continue  # sent by another process meanwhile
                aside = path.with_suffix(".unreadable")
                log.warning("sync outbox: unreadable entry %s (%s); kept as %s, not sent", path.name, exc, aside.name)
                with contextlib.suppress(OSError):
                    confine.replace(path, aside)
        items.sort(key=lambda p: (p.queued_ns, p.path.name))
        yield from items

    def done(self, pending: Pending) -> None:
        with contextlib.suppress(FileNotFoundError):
            confine.unlink(pending.path)


def local_records(workspace: Workspace) -> Iterator[Event]:
    """Every readable record of the local memory, as events (for a full re-publish)."""
    for rec in BugStore(workspace).load().records.values():
        yield make_event("bug", rec)
    for rec in DecisionStore(workspace).load().records.values():
        yield make_event("decision", rec)
    for feedback in FeedbackStore(workspace).load()[0].values():
        yield make_event("feedback", dict(feedback))
