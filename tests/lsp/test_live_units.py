"""Server plumbing without a client: live reloads under steady writes, commands waiting for
the folders being opened, log levels per destination, and match results kept across
additions to the memory (identical to matching again)."""

from __future__ import annotations

import asyncio
import logging
import random
import sys
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcInternalError, JsonRpcInvalidParams
from pygls.uris import from_fs_path

from bench.gen_records import build_records, queries
from memory_store.bugs.match_cache import RecordMap
from memory_store.bugs.records import BugStore
from server.lsp.diagnostics import FORWARDED
from server.lsp.features.commands import memory_of
from server.lsp.features.forwarded import Forwarded, known_errors
from server.lsp.memory import FolderMemory
from server.lsp.server import TeamloreServer
from server.lsp.settings import Settings


def _server_with_folder(root: Path) -> tuple[TeamloreServer, FolderMemory]:
    server = TeamloreServer()
    uri = from_fs_path(str(root))
    mem = FolderMemory(uri, root, Settings())
    server.folders[uri] = mem
    server.ready[uri] = asyncio.Event()
    return server, mem


async def test_pending_reload_fires_while_events_keep_arriving(tmp_path: Path):
    server, mem = _server_with_folder(tmp_path)
    server.loop = asyncio.get_running_loop()
    reloads: list[float] = []

    def spawn(coro: Any, what: str) -> None:
        coro.close()
        reloads.append(server.loop.time())

    server.spawn = spawn  # type: ignore[method-assign]
    path = mem.bugs.files.directory / "bug-0000000000000001.json"
    events = 40
    for _ in range(events):  # a steady writer: a new event every 50 ms, never 150 ms of quiet
        server.file_changed(path)
        await asyncio.sleep(0.05)
    during = len(reloads)
    assert during >= 1, "no reload while the events kept coming"
    assert during < events / 2, "events of a burst are coalesced"
    await asyncio.sleep(0.4)
    assert not server._pending and not server._timers  # the last events were read too
    server.stop_background()


async def test_index_cache_files_do_not_trigger_reloads(tmp_path: Path):
    server, mem = _server_with_folder(tmp_path)
    server.loop = asyncio.get_running_loop()
    server.file_changed(mem.workspace.cache / "bug-index.msgpack")
    assert not server._pending
    server.file_changed(mem.bugs.files.directory / "bug-0000000000000001.json")
    assert list(server._pending) == [mem.folder_uri]
    server.stop_background()


async def test_command_waits_for_the_folder_to_be_opened_and_read(tmp_path: Path):
    server = TeamloreServer()
    uri = from_fs_path(str(tmp_path))
    BugStore(FolderMemory(uri, tmp_path, Settings()).workspace).add("KeyError: 'user_id'", "use .get")

    async def start_up() -> None:  # what `initialized` does, with the client slow to answer
        with server.opening_folders():
            await asyncio.sleep(0.2)
            mem = await server.register_folder(uri)
        assert mem is not None
        await asyncio.sleep(0.2)
        await server.load_folder(mem)

    starting = asyncio.ensure_future(start_up())
    await asyncio.sleep(0)  # the command arrives before any folder is registered
    mem = await memory_of(server, "teamlore.showMatches", {"uri": from_fs_path(str(tmp_path / "app.py"))})
    assert mem.folder == tmp_path.resolve() and len(mem.records) == 1
    await starting


async def test_command_gives_a_clear_error_when_the_memory_is_not_read_in_time(tmp_path: Path):
    server, _mem = _server_with_folder(tmp_path)
    server.folders_settled.set()
    with pytest.raises(JsonRpcInternalError, match=r"teamlore.recordFix: the memory of .* is still being read"):
        await memory_of(server, "teamlore.recordFix", {}, timeout=0.05)
    with pytest.raises(JsonRpcInvalidParams, match="no workspace folder holds file:///elsewhere"):
        await memory_of(server, "teamlore.recordFix", {"uri": "file:///elsewhere/x.py"}, timeout=0.05)


@pytest.mark.parametrize(("cli_level", "log_level", "stderr", "file", "client"), [
    (logging.WARNING, "info", logging.WARNING, logging.INFO, logging.INFO),
    (logging.INFO, "info", logging.INFO, logging.INFO, logging.INFO),  # -v
    (logging.WARNING, "debug", logging.DEBUG, logging.DEBUG, logging.DEBUG),
    (logging.WARNING, "error", logging.WARNING, logging.WARNING, logging.ERROR),
])
def test_stderr_gets_warnings_unless_asked_for_more(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                    cli_level: int, log_level: str,
                                                    stderr: int, file: int, client: int):
    root = logging.getLogger()
    monkeypatch.setattr(root, "level", cli_level)
    server = TeamloreServer()
    server.init_options = {"log_level": log_level}
    server.log_handler = logging.Handler()
    server.stderr_handlers = [logging.StreamHandler(sys.stderr)]
    server.file_handlers = [logging.FileHandler(tmp_path / "lsp.log", delay=True)]
    for name in ("server", "memory_store"):
        monkeypatch.setattr(logging.getLogger(name), "level", logging.getLogger(name).level)
    server.update_log_level()
    assert server.stderr_handlers[0].level == stderr
    assert server.file_handlers[0].level == file
    assert server.log_handler.level == client


def test_record_map_overlays_changes_on_the_loaded_records():
    records = RecordMap({"a": {"id": "a"}, "b": {"id": "b"}})
    records["c"] = {"id": "c"}
    del records["a"]
    records["b"] = {"id": "b", "fix": "new"}
    assert len(records) == 2 and sorted(records) == ["b", "c"]
    assert "a" not in records and records.get("a") is None and records["b"]["fix"] == "new"
    records["a"] = {"id": "a"}
    assert len(records) == 3
    with pytest.raises(KeyError):
        del records["zzz"]


def _summary(matches: list[Any]) -> list[tuple[Any, ...]]:
    return [(m.record["id"], round(m.score, 9), m.confident, tuple(m.reasons)) for m in matches]


def test_results_kept_across_additions_equal_a_full_rematch(tmp_path: Path):
    records = build_records(700, seed=3)
    random.Random(5).shuffle(records)
    store = BugStore(FolderMemory("file:///x", tmp_path, Settings()).workspace)
    for rec in records[:600]:
        store.save(rec)
    mem = FolderMemory("file:///x", tmp_path, Settings())
    mem.load()
    asked = queries(60, seed=11)
    asked += [str(r["error"].get("traceback") or "") for r in records[600:620]]  # errors about to be recorded
    asked = [q for q in dict.fromkeys(asked) if q]
    for rec in records[600:630]:
        for q in asked:
            mem.match(q)
            mem.match(q, limit=1, include_weak=True)
        store.save(rec)
        mem.add_record(rec)
        for q in asked:
            assert _summary(mem.match(q)) == _summary(mem._index.match(q, workspace_root=tmp_path)), q
            assert _summary(mem.match(q, limit=1, include_weak=True)) == \
                _summary(mem._index.match(q, limit=1, include_weak=True, workspace_root=tmp_path)), q
    assert mem._cache.kept > 0, "additions that cannot change a result keep it"


def test_known_errors_match_each_distinct_text_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    mem = FolderMemory("file:///x", tmp_path, Settings())
    mem.bugs.add("KeyError: 'user_id'", "use .get")
    mem.load()
    asked: list[str] = []
    real = mem.match
    monkeypatch.setattr(mem, "match", lambda text, **kw: asked.append(text) or real(text, **kw))
    texts = ["KeyError: 'user_id'", "NameError: name 'x' is not defined", "KeyError: 'user_id'"]
    diags = [types.Diagnostic(range=types.Range(start=types.Position(line=i, character=0),
                                                end=types.Position(line=i, character=5)),
                              message=texts[i % 3], severity=types.DiagnosticSeverity.Error) for i in range(300)]
    known = known_errors(mem, diags)
    assert sorted(asked) == sorted(set(texts))
    assert len(known) == 200 and {d.range.start.line % 3 for d in known} == {0, 2}


async def test_memory_changes_during_a_refresh_make_one_more_pass(tmp_path: Path):
    server, mem = _server_with_folder(tmp_path)
    server.loop = asyncio.get_running_loop()
    uri = from_fs_path(str(tmp_path / "app.py"))
    server.store.set(FORWARDED, uri, [types.Diagnostic(
        range=types.Range(start=types.Position(line=0, character=0), end=types.Position(line=0, character=1)),
        message="KeyError: 'x'", severity=types.DiagnosticSeverity.Error)])
    forwarded = Forwarded(server)
    passes: list[str] = []
    release = asyncio.Event()

    async def refresh(u: str, debounce: float = 0.0, *, errors: bool = True) -> None:
        passes.append(u)
        await release.wait()

    forwarded.refresh = refresh  # type: ignore[method-assign]
    await forwarded.memory_changed(mem)  # returns at once: the command that changed the memory does not wait
    await asyncio.sleep(0)
    for _ in range(5):  # more changes while the first pass runs
        await forwarded.memory_changed(mem)
    release.set()
    while forwarded._refreshing:
        await asyncio.sleep(0.01)
    assert passes == [uri, uri]


def test_folder_memory_loads_through_the_index_cache_and_keeps_reporting_bad_files(tmp_path: Path):
    mem = FolderMemory("file:///x", tmp_path, Settings())
    rec, _ = mem.bugs.add("KeyError: 'user_id'", "use .get")
    bad = mem.bugs.files.directory / "bug-corrupt0000000000.json"
    bad.write_text("{", encoding="utf-8")
    mem.load()
    assert (mem.workspace.cache / "bug-index.msgpack").is_file()
    again = FolderMemory("file:///x", tmp_path, Settings())
    again.load()
    assert list(again.problems) == [bad] and len(again.records) == 1
    assert again.record(rec["id"])["fix"] == "use .get"
    assert again.match("KeyError: 'user_id'")[0].record["id"] == rec["id"]
