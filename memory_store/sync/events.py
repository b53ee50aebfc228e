"""The one event shape carried on the stream: a record of a known kind, as JSON.

Stream entry fields (all strings): ``v`` (format version), ``event`` (content-derived
event id), ``kind`` (``bug`` | ``decision`` | ``feedback``), ``id`` (the record id) and ``record`` (the
record as compact JSON). The event id hashes kind and record, so the same record queued
or sent twice is one event.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from memory_store.jsonio import MAX_FILE_BYTES
from memory_store.workspace import UnsafePathError, check_id

FORMAT_VERSION = "1"
KINDS = ("bug", "decision", "feedback")
MAX_RECORD_BYTES = MAX_FILE_BYTES


class BadEvent(ValueError):
    """An event that cannot be applied (unknown kind, malformed record, unsafe id)."""


@dataclass(frozen=True)
class Event:
    kind: str
    record: dict[str, Any]

    @property
    def record_id(self) -> str:
        return str(self.record["id"])

    @property
    def event_id(self) -> str:
        body = json.dumps([self.kind, self.record], sort_keys=True, ensure_ascii=False,
                          separators=(",", ":"), default=str)
        return f"{self.kind}-{hashlib.sha256(body.encode('utf-8')).hexdigest()[:24]}"

    def record_json(self) -> str:
        return json.dumps(self.record, sort_keys=True, ensure_ascii=False, separators=(",", ":"))

    def to_fields(self) -> dict[str, str]:
        return {"v": FORMAT_VERSION, "event": self.event_id, "kind": self.kind,
                "id": self.record_id, "record": self.record_json()}

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "record": self.record}


def make_event(kind: str, record: dict[str, Any]) -> Event:
    """Validate and build an event for a locally written record."""
    if kind not in KINDS:
        raise BadEvent(f"unknown record kind {kind!r} (expected one of {', '.join(KINDS)})")
    if not isinstance(record, dict):
        raise BadEvent(f"record must be an object, found {type(record).__name__}")
    rid = record.get("id")
    if not isinstance(rid, str):
        raise BadEvent("record has no string field 'id'")
    try:
        check_id(rid)
    except UnsafePathError as exc:
        raise BadEvent(str(exc)) from None
    return Event(kind, record)


def _text(value: Any) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def event_from_fields(fields: dict[Any, Any]) -> Event:
    """Parse a stream entry; raise :class:`BadEvent` naming what is wrong."""
    try:
        data = {_text(k): v for k, v in fields.items()}
        version = _text(data.get("v", ""))
        if version != FORMAT_VERSION:
            raise BadEvent(f"unsupported event format {version!r}")
        raw = data.get("record")
        if raw is None:
            raise BadEvent("event has no field 'record'")
        if len(raw) > MAX_RECORD_BYTES:
            raise BadEvent(f"record too large ({len(raw)} bytes)")
        try:
            record = json.loads(_text(raw))
        except (json.JSONDecodeError, RecursionError) as exc:
            raise BadEvent(f"record is not valid JSON: {exc}") from None
        event = make_event(_text(data.get("kind", "")), record)
    except UnicodeDecodeError:
        raise BadEvent("event is not UTF-8") from None
    if _text(data.get("id", "")) != event.record_id:
        raise BadEvent("field 'id' does not match the record")
    return event
