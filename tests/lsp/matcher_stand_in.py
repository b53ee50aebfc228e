"""Exact-fingerprint stand-in for ``memory_store.bugs.match``, installed into the server
process only while that module does not exist yet (see conftest.SERVER_COMMAND)."""

from __future__ import annotations

import sys
import types
from dataclasses import dataclass, field
from typing import Any

from memory_store.errors import ParsedError, fingerprint, parse_error

DEFAULT_THRESHOLD = 0.5


@dataclass
class Match:
    record: dict[str, Any]
    score: float
    reasons: list[str] = field(default_factory=list)
    confident: bool = True

    def to_json(self) -> dict[str, Any]:
        return {"id": self.record["id"], "score": self.score, "fix": self.record.get("fix"),
                "root_cause": self.record.get("root_cause"), "reasons": self.reasons}


class BugIndex:
    def __init__(self, records, threshold: float = DEFAULT_THRESHOLD):
        self.records = {r["id"]: r for r in records}

    def add(self, rec):
        self.records[rec["id"]] = rec

    def remove(self, record_id):
        self.records.pop(record_id, None)

    def match(self, error, limit=5, include_weak=False, workspace_root=None):
        parsed = error if isinstance(error, ParsedError) else parse_error(error, workspace_root)
        if parsed is None:
            return []
        fp = fingerprint(parsed)
        return [Match(r, 1.0, ["same exception and message"]) for r in self.records.values()
                if r.get("fingerprint") == fp][:limit]


def fix_time_stats(matches):
    minutes = sorted(m.record["minutes"] for m in matches if m.record.get("minutes") is not None)
    if not minutes:
        return None
    return {"median": minutes[len(minutes) // 2], "min": minutes[0], "max": minutes[-1], "count": len(minutes)}


def install() -> None:
    module = types.ModuleType("memory_store.bugs.match")
    for name in ("Match", "BugIndex", "fix_time_stats", "DEFAULT_THRESHOLD"):
        setattr(module, name, globals()[name])
    sys.modules["memory_store.bugs.match"] = module
