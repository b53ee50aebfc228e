"""Timestamps in one format everywhere (UTC ISO-8601: seconds for records, milliseconds for captured runs)."""

from __future__ import annotations

from datetime import datetime, timezone


def format_iso(when: datetime) -> str:
    """``when`` as UTC ISO-8601 to the second, ``Z`` suffix: the one format of every stored time."""
    return when.astimezone(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def now_iso() -> str:
    return format_iso(datetime.now(timezone.utc))


def timestamp_iso(ts: float) -> str:
    """A ``time.time()`` value as UTC ISO-8601 with milliseconds (when a captured run started or ended)."""
    return datetime.fromtimestamp(ts, timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_iso(value: str) -> datetime:
    """Parse an ISO timestamp or date; naive values are taken as UTC."""
    dt = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt
