"""The one live bug index every front end uses: follows the record files by watcher paths or by timestamps."""

from __future__ import annotations

import os
from pathlib import Path

from memory_store.bugs.live import LiveBugMemory
from memory_store.bugs.records import BugStore
from memory_store.workspace import Workspace

KEYERROR = "Traceback (most recent call last):\n  File \"app.py\", line 3, in <module>\nKeyError: 'user_id'"
STRUCTLOG = "ModuleNotFoundError: No module named 'structlog'"


def _age(path: Path, ns: int) -> None:
    os.utime(path, ns=(ns, ns))


def test_watcher_paths_add_change_and_remove_records(tmp_path: Path) -> None:
    ws = Workspace(tmp_path.resolve())
    store = BugStore(ws)
    first, _ = store.add(KEYERROR, "use .get", author="ana")
    live = LiveBugMemory(ws)
    assert live.match(KEYERROR) == [] and live.apply_changes([ws.store])  # the first report loads
    assert [m.record["fix"] for m in live.match(KEYERROR)] == ["use .get"]
    generation = live.generation

    second, _ = store.add(STRUCTLOG, "add structlog", author="ana")
    assert live.apply_changes([store.files.path_for(second["id"])]) and live.generation > generation
    assert [m.record["id"] for m in live.match(STRUCTLOG)] == [second["id"]]

    path = store.files.path_for(first["id"])
    path.write_text("{", encoding="utf-8")
    assert live.apply_changes([path])
    assert live.match(KEYERROR) == [] and path in live.problems
    assert not live.apply_changes([path])  # the same unreadable file again: nothing changed
    path.unlink()
    assert not live.apply_changes([path]) and path not in live.problems and len(live.records) == 1


def test_polling_reads_only_changed_files_and_sees_deletions(tmp_path: Path) -> None:
    ws = Workspace(tmp_path.resolve())
    store = BugStore(ws)
    first, _ = store.add(KEYERROR, "use .get", author="ana")
    old = os.stat(tmp_path).st_mtime_ns - 10 * LiveBugMemory.SETTLED_NS
    for path in (store.files.path_for(first["id"]), store.files.directory):
        _age(path, old)
    live = LiveBugMemory(ws)
    assert live.refresh() and live.reads == 1
    assert not live.refresh() and live.reads == 1  # directory unchanged: nothing read

    second, _ = store.add(STRUCTLOG, "add structlog", author="ana")
    assert live.refresh() and live.reads == 2
    assert [m.record["id"] for m in live.match(STRUCTLOG)] == [second["id"]]

    store.files.delete(first["id"])
    assert live.refresh()
    assert live.match(KEYERROR) == [] and len(live.records) == 1


def test_cached_results_follow_an_added_record(tmp_path: Path) -> None:
    ws = Workspace(tmp_path.resolve())
    store = BugStore(ws)
    live = LiveBugMemory(ws)
    live.load()
    assert live.match(KEYERROR) == []  # cached as "no match"
    rec, _ = store.add(KEYERROR, "use .get", author="ana")
    live.add_record(rec)
    assert [m.record["id"] for m in live.match(KEYERROR)] == [rec["id"]]
