"""Writing records that arrived from the stream into the local memory.

Each kind goes through its own store, so the file is exactly what a local write would
produce and every check a local read applies is applied first. Writing is idempotent:
an existing record with the same id is left alone (ids are content-derived), so replays
after a reconnect or a second delivery change nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from memory_store import events
from memory_store.bugs.feedback import apply_synced as _apply_feedback
from memory_store.bugs.records import BugStore, validate_bug
from memory_store.jsonio import MemoryFileError
from memory_store.record_types import BugRecord
from memory_store.security.decisions import DecisionStore, validate_record
from memory_store.sync.events import BadEvent, Event
from memory_store.workspace import UnsafePathError, Workspace, check_relative

Applier = Callable[[Workspace, dict[str, Any]], bool]
"""Writes one record; returns True when a file was written, False when it was already there."""

APPLIERS: dict[str, Applier] = {}


def register_applier(kind: str, applier: Applier) -> None:
    APPLIERS[kind] = applier


def _check_paths(record: dict[str, Any]) -> None:
    """Paths in a record are workspace-relative; refuse anything that would escape."""
    for name in ("file", "path"):
        value = record.get(name)
        if value is not None:
            if not isinstance(value, str):
                raise BadEvent(f"field {name!r} must be a string")
            try:
                check_relative(value)
            except UnsafePathError as exc:
                raise BadEvent(str(exc)) from None


def _apply_bug(workspace: Workspace, record: dict[str, Any]) -> bool:
    store = BugStore(workspace)
    path = store.files.path_for(record["id"])
    store.files.validate(path, record)
    validate_bug(path, record)
    _check_paths(record)
    _, created = store.save(cast(BugRecord, record))  # checked just above
    return created


_STAMP_FIELDS = ("date", "updated", "confirmed_at", "rejected_at", "needs_review_at", "proposed_at")


def decision_stamp(record: dict[str, Any]) -> str:
    """When a decision last changed (ISO strings compare in time order)."""
    return max((v for k in _STAMP_FIELDS if isinstance(v := record.get(k), str)), default="")


def _apply_decision(workspace: Workspace, record: dict[str, Any]) -> bool:
    """Decisions change (confirm, reject, re-decide): the newer version of a record wins."""
    store = DecisionStore(workspace)
    files = store.files
    path = files.path_for(record["id"])
    files.validate(path, record)
    validate_record(path, record)
    _check_paths(record)
    workspace.ensure_store()
    with files.locked():
        if files.exists(record["id"]):
            current = files.read(record["id"])
            if current == record or decision_stamp(record) < decision_stamp(current):
                return False
        files.write(record)
    return True


register_applier("bug", _apply_bug)
register_applier("decision", _apply_decision)
register_applier("feedback", _apply_feedback)


def apply_event(workspace: Workspace, event: Event) -> bool:
    """Write ``event``'s record locally; True when a new file was written.

    Raises :class:`BadEvent` for a record that fails the store's checks.
    """
    applier = APPLIERS.get(event.kind)
    if applier is None:
        raise BadEvent(f"no store for record kind {event.kind!r}")
    try:
        with events.remote_writes():
            return applier(workspace, event.record)
    except MemoryFileError as exc:
        raise BadEvent(exc.problem.reason) from None
