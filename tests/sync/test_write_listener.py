"""Sync hears store writes through memory_store.events: every local change of a bug or a
decision is queued, remote ones and restricted processes publish nothing."""

from __future__ import annotations

import json

import pytest

from memory_store import events
from memory_store.bugs.records import BugStore
from memory_store.debt.snapshots import SnapshotStore
from memory_store.security.api import SecurityMemory
from memory_store.sync import hooks
from memory_store.sync.outbox import Outbox
from memory_store.workspace import Workspace

ERROR = "Traceback (most recent call last):\n  File \"app/db.py\", line 3, in load\nKeyError: 'user_id'\n"
CODE = "def test_thing(client):\n    assert client.get('/').ok\n"


@pytest.fixture
def configured(workspace: Workspace, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    # Nothing listens on port 9: writes succeed and events wait in the outbox.
    monkeypatch.setenv("TEAMLORE_REDIS_URL", "redis://127.0.0.1:9/0")
    return workspace


def queued(workspace: Workspace) -> list[tuple[str, dict]]:
    return [(p.event.kind, p.event.record) for p in Outbox(workspace).pending()]


def test_a_decisions_later_update_is_queued_as_it_is_on_disk(configured: Workspace) -> None:
    (configured.root / "app.py").write_text(CODE)
    mem = SecurityMemory(configured)
    finding = mem.finding_from_diagnostic("bandit", "B101", "app.py", 2, "Use of assert detected.", "low")
    [rid] = mem.decide([finding], "false_positive", "guarded upstream", proposed=True)
    mem.confirm(rid, author="dana")
    decisions = [rec for kind, rec in queued(configured) if kind == "decision" and rec["id"] == rid]
    assert [d["status"] for d in decisions] == ["proposed", "confirmed"]
    assert decisions[-1] == json.loads(mem.store.files.path_for(rid).read_text())


def test_writes_from_the_stream_are_not_queued_again(configured: Workspace) -> None:
    with events.remote_writes():
        BugStore(configured).add(ERROR, "use .get()", author="ann")
    assert queued(configured) == []


def test_other_record_kinds_are_not_queued(configured: Workspace) -> None:
    SnapshotStore(configured).save({"id": "2026-01-01_abc123", "date": "2026-01-01T00:00:00+00:00"})
    assert queued(configured) == []


def test_without_install_nothing_is_queued(configured: Workspace) -> None:
    hooks.uninstall()
    BugStore(configured).add(ERROR, "use .get()", author="ann")
    assert queued(configured) == []


def test_a_process_that_stopped_publishing_queues_nothing(configured: Workspace,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hooks, "_publishing", True)
    hooks.stop_publishing()
    BugStore(configured).add(ERROR, "use .get()", author="ann")
    assert queued(configured) == []
