"""MCP ``reject_match`` / ``confirm_match`` over stdio, with the SDK's own client."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from memory_store.bugs.records import BugStore
from memory_store.workspace import Workspace
from tests.test_mcp import AGENT, call_error, call_ok, mcp_session

pytestmark = pytest.mark.e2e

ERROR = """\
Traceback (most recent call last):
  File "shop/export.py", line 2, in <module>
    import fastjsonx
ModuleNotFoundError: No module named 'fastjsonx'
"""


async def test_reject_hides_the_record_and_confirm_counts(workspace: Workspace, tmp_path: Path) -> None:
    rec, _ = BugStore(workspace).add(ERROR, "add fastjsonx to requirements.txt", author="alice")
    async with mcp_session(workspace.root, tmp_path / "mcp.log") as session:
        first = await call_ok(session, "match_error", {"error_text": ERROR, "limit": 5})
        confirmed = await call_ok(session, "confirm_match", {"matched_id": rec["id"], "error_text": ERROR})
        assert confirmed["verdict"] == "confirmed" and confirmed["confirmations"] == 1
        counted = await call_ok(session, "match_error", {"error_text": ERROR})
        rejected = await call_ok(session, "reject_match", {"matched_id": rec["id"], "error_text": ERROR})
        after = await call_ok(session, "match_error", {"error_text": ERROR})
        unknown = await call_error(session, "reject_match", {"matched_id": "bug-0000000000000000",
                                                             "error_text": ERROR})
        unsafe = await call_error(session, "confirm_match", {"matched_id": "../../x", "error_text": ERROR})
    assert [m["id"] for m in first["matches"]] == [rec["id"]] and first["matches"][0]["confirmations"] == 0
    assert counted["matches"][0]["confirmations"] == 1
    assert rejected["verdict"] == "rejected" and (rejected["confirmations"], rejected["rejections"]) == (1, 1)
    assert rec["id"] not in [m["id"] for m in after["matches"]]
    assert "no bug record with id 'bug-0000000000000000'" in unknown
    assert "matched_id" in unsafe
    stored = [json.loads(p.read_text(encoding="utf-8")) for p in (workspace.store / "feedback").glob("*.json")]
    assert sorted(s["verdict"] for s in stored) == ["confirmed", "rejected"]
    assert {s["author"] for s in stored} == {f"agent:{AGENT}"} and {s["source"] for s in stored} == {"mcp"}
