"""Every record write is announced through memory_store.events, whatever store made it."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from memory_store import events
from memory_store.bugs.records import BugStore
from memory_store.debt.snapshots import SnapshotStore
from memory_store.security.api import SecurityMemory

ERROR = "Traceback (most recent call last):\n  File \"app.py\", line 3, in load\nKeyError: 'user'\n"
CODE = "def test_thing(client):\n    assert client.get('/').ok\n"


@pytest.fixture
def heard() -> Iterator[list[events.RecordWritten]]:
    got: list[events.RecordWritten] = []
    events.subscribe(got.append)
    yield got
    events.unsubscribe(got.append)


def test_a_new_bug_record_is_announced_once_with_its_workspace(workspace, heard):
    rec, _ = BugStore(workspace).add(ERROR, "use .get()", author="ann")
    BugStore(workspace).add(ERROR, "use .get()", author="ann")  # already there: nothing written
    assert [(e.kind, e.record["id"], e.origin) for e in heard] == [("bug", rec["id"], "local")]
    assert heard[0].workspace == workspace and heard[0].record["schema"] == "teamlore.bug/1"
    assert heard[0].path == BugStore(workspace).files.path_for(rec["id"])


def test_an_update_of_a_record_is_announced_with_the_changed_fields(workspace, heard):
    store = BugStore(workspace)
    rec, _ = store.add(ERROR, "use .get()", author="ann")
    store.files.update(rec["id"], lambda r: {**r, "occurrences": 2})
    assert [e.record.get("occurrences") for e in heard] == [1, 2]


def test_decisions_confirmations_and_applied_suggestions_are_announced(workspace, heard):
    (workspace.root / "src").mkdir()
    for name in ("src/app.py", "src/other.py"):
        (workspace.root / name).write_text(CODE)
    mem = SecurityMemory(workspace)
    first = mem.finding_from_diagnostic("bandit", "B101", "src/app.py", 2, "Use of assert detected.", "low")
    [rid] = mem.decide([first], "false_positive", "guarded upstream", proposed=True)
    mem.confirm(rid, author="dana")
    copy = mem.finding_from_diagnostic("bandit", "B101", "src/other.py", 2, "Use of assert detected.", "low")
    [status] = mem.status([copy])
    [new] = mem.apply_suggestion([copy], status.suggested_decision, author="dana")
    decisions = [e.record for e in heard if e.kind == "security"]
    assert [d["id"] for d in decisions][:2] == [rid, rid]
    assert decisions[1]["status"] == "confirmed"
    assert decisions[-1]["id"] == new and decisions[-1]["applied_from"] == rid


def test_a_debt_snapshot_is_announced(workspace, heard):
    SnapshotStore(workspace).save({"id": "2026-01-01_abc123", "date": "2026-01-01T00:00:00+00:00"})
    assert [(e.kind, e.record["id"], e.workspace) for e in heard] == [("debt", "2026-01-01_abc123", workspace)]


def test_writes_inside_remote_writes_carry_the_remote_origin(workspace, heard):
    with events.remote_writes():
        BugStore(workspace).add(ERROR, "use .get()", author="ann")
    BugStore(workspace).add(ERROR, "another fix", author="ann")
    assert [e.origin for e in heard] == ["remote", "local"]


def test_a_failing_subscriber_is_logged_and_neither_fails_the_write_nor_silences_others(workspace, heard, caplog):
    def broken(_: events.RecordWritten) -> None:
        raise RuntimeError("listener broke")

    events.subscribe(broken)
    try:
        events.unsubscribe(heard.append)  # heard after the broken one
        events.subscribe(heard.append)
        with caplog.at_level(logging.ERROR, logger="memory_store.events"):
            rec, created = BugStore(workspace).add(ERROR, "use .get()", author="ann")
    finally:
        events.unsubscribe(broken)
    assert created and BugStore(workspace).get(rec["id"])["fix"] == "use .get()"
    assert [e.record["id"] for e in heard] == [rec["id"]]
    assert "listener broke" in caplog.text


def test_subscribing_twice_delivers_once_and_unsubscribe_stops_delivery(workspace, heard):
    events.subscribe(heard.append)
    BugStore(workspace).add(ERROR, "use .get()", author="ann")
    events.unsubscribe(heard.append)
    BugStore(workspace).add(ERROR, "another fix", author="ann")
    assert len(heard) == 1
