"""First start (no index cache): the fast reader and the analysis across processes give exactly
what the reference reader and a sequential load give, problems included."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import pytest

from memory_store.bugs import analysis
from memory_store.bugs import cache as cache_mod
from memory_store.bugs.cache import CACHE_NAME, load_index
from memory_store.bugs.features import ErrorFeatures, FeatureTable
from memory_store.bugs.match import BugIndex
from memory_store.bugs.records import BugStore
from memory_store.bulkread import DECLINED, DirReader, decode_strict
from memory_store.workspace import Workspace
from tests.conftest import run_cli

ERRORS = [
    ("ModuleNotFoundError: No module named 'structlog'", "add structlog to requirements.txt"),
    ("KeyError: 'user_id'", "use payload.get('user_id')"),
    ("sqlite3.OperationalError: database is locked", "enable WAL and a busy timeout"),
    ("redis.exceptions.ConnectionError: Error 111 connecting to localhost:6379. Connection refused.",
     "start redis-server"),
    ("TypeError: Cannot read properties of undefined (reading 'map')", "default the list to []"),
]


def odd_files(directory: Path) -> None:
    """Files the fast reader declines: each must end as the reference reader has it."""
    good = json.loads(next(directory.glob("*.json")).read_text())
    (directory / "bug-broken.json").write_text("{ not json")
    (directory / "bug-empty.json").write_text("  \n")
    (directory / "bug-latin1.json").write_bytes(b'{"id": "bug-latin1", "fix": "caf\xe9"}')
    (directory / "bug-nan.json").write_text(json.dumps(dict(good, id="bug-nan", minutes=float("nan"))))
    deep = json.loads("[" * 70 + "]" * 70)
    (directory / "bug-deep.json").write_text(json.dumps(dict(good, id="bug-deep", extra=deep)))
    (directory / "bug-abyss.json").write_text("[" * 100_000 + "]" * 100_000)
    (directory / "bug-surrogate.json").write_text(json.dumps(dict(good, id="bug-surrogate", fix="fix \ud800 it")))
    (directory / "bug-big-int.json").write_text(json.dumps(dict(good, id="bug-big-int", occurrences=10**30)))
    (directory / "bug-wrong-id.json").write_text(json.dumps(dict(good, id="bug-other")))
    (directory / "bug-no-error.json").write_text(json.dumps(dict(good, id="bug-no-error", error="gone")))
    (directory / "bug-empty-error.json").write_text(json.dumps(dict(good, id="bug-empty-error", error={"type": ""})))
    outside = directory.parent.parent / "outside.json"
    outside.write_text(json.dumps(dict(good, id="bug-link")))
    os.symlink(outside, directory / "bug-link.json")
    os.mkfifo(directory / "bug-fifo.json")


@pytest.fixture
def store(workspace: Workspace) -> BugStore:
    store = BugStore(workspace)
    for i in range(8):
        for error, fix in ERRORS:
            store.add(f"{error} (call {i})" if i % 2 else error, f"{fix} #{i // 3}", author="test")
    odd_files(store.files.directory)
    return store


def snapshot(store: BugStore) -> tuple[list, list, list]:
    """Index entries in order (id, record, features, fix), problems, and answers, from no cache."""
    (store.workspace.cache / CACHE_NAME).unlink(missing_ok=True)
    index, result = load_index(store)
    problems = sorted((str(p.path), p.reason, p.line) for p in result.problems)
    answers = [[m.to_json() for m in index.match(error, include_weak=True)] for error, _fix in ERRORS]
    return entries(index), problems, answers


def entries(index: BugIndex) -> list[tuple[str, dict, ErrorFeatures, str]]:
    """The index's entries in order: id, record, features, normalized fix."""
    plain = index.to_plain()
    features = FeatureTable.from_plain(plain["features"])
    return [(rid, json.loads(raw), features[no], fix) for rid, raw, no, fix in plain["entries"]]


def test_split_across_processes_builds_the_index_a_sequential_load_builds(
        store: BugStore, monkeypatch: pytest.MonkeyPatch) -> None:
    sequential = snapshot(store)
    calls: list[int] = []
    original = analysis._worker
    monkeypatch.setattr(analysis, "PARALLEL_MIN", 2)
    monkeypatch.setattr(analysis, "CHUNK", 7)
    monkeypatch.setattr(analysis, "_workers", lambda: 2)
    monkeypatch.setattr(analysis, "_from_worker", lambda result, f=analysis._from_worker: calls.append(1) or f(result))
    parallel = snapshot(store)
    assert len(calls) == -(-len(list(store.files.directory.iterdir())) // 7), "every chunk came from a worker"
    assert analysis._worker is original
    assert parallel == sequential
    indexed = {rid for rid, *_rest in sequential[0]}
    assert {"bug-big-int", "bug-surrogate"} <= indexed and "bug-deep" not in indexed and len(indexed) > 30


def test_a_process_running_other_threads_splits_the_work_too(store: BugStore,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """The language server loads in a background thread: its workers come from a fork server."""
    sequential = snapshot(store)
    monkeypatch.setattr(analysis, "PARALLEL_MIN", 2)
    monkeypatch.setattr(analysis, "CHUNK", 20)
    monkeypatch.setattr(analysis, "_workers", lambda: 2)
    methods: list[str] = []
    original = analysis.multiprocessing.get_context
    monkeypatch.setattr(analysis.multiprocessing, "get_context", lambda m: methods.append(m) or original(m))
    release = threading.Event()
    other = threading.Thread(target=release.wait)
    other.start()
    try:
        parallel = snapshot(store)
    finally:
        release.set()
        other.join()
    assert methods == ["forkserver"]
    assert parallel == sequential


def test_records_and_problems_are_those_of_the_reference_reader(store: BugStore) -> None:
    reference = store.load()  # RecordDir.load_all: read_json on every file
    index, result = load_index(store)
    assert sorted(result.records) == sorted(rid for rid, rec in reference.records.items()
                                            if index.get(rid) is not None)
    for rid in result.records:
        assert result.records[rid] == reference.records[rid]
    assert sorted((str(p.path), p.reason, p.line) for p in result.problems) == \
        sorted((str(p.path), p.reason, p.line) for p in reference.problems)
    assert len(result.problems) == 10  # broken, empty, latin1, nan, deep, abyss, wrong id, no error, symlink, fifo


@pytest.mark.parametrize("text", [b'{"a": 1, "a": [2.5, -0.0, 1e-400, 12345678901234567890123]}', b' {} \n',
                                  b'{"s": "\\u00e9\\ud83d\\ude00\\u0000"}',
                                  b'[1E5, 0.1, 5e-324, 1.7976931348623157e308]'])
def test_strict_decoding_equals_the_standard_library(text: bytes) -> None:
    assert decode_strict(text) == json.loads(text.decode())
    assert json.dumps(decode_strict(text)) == json.dumps(json.loads(text.decode()))


@pytest.mark.parametrize("text", [b"NaN", b"[Infinity]", b"1e400", b'"\\ud800"', b"", b"  ", b"\xef\xbb\xbf{}",
                                  b'"caf\xe9"', b"[" * 65 + b"]" * 65, b"[" * 100_000 + b"]" * 100_000,
                                  b'{"a": 1} x'])
def test_strict_decoding_declines_what_it_does_not_read_alike(text: bytes) -> None:
    assert decode_strict(text) is DECLINED


def test_the_directory_reader_reads_only_regular_files_inside(store: BugStore) -> None:
    directory = store.files.directory
    with DirReader(directory) as reader:
        assert reader.read("bug-broken.json") == b"{ not json"
        assert reader.read("bug-link.json") is None
        assert reader.read("bug-fifo.json") is None
        assert reader.read("../bugs/bug-broken.json") is None
        assert reader.read("missing.json") is None
    os.rename(directory, directory.parent / "real-bugs")
    os.symlink(directory.parent / "real-bugs", directory)
    with DirReader(directory) as reader:  # a symlinked store directory is not read through
        assert reader.read("bug-broken.json") is None


def test_a_cache_written_in_the_background_is_complete(store: BugStore) -> None:
    cache = store.workspace.cache / CACHE_NAME
    cache.unlink(missing_ok=True)
    index, _ = load_index(store, save_in_background=True)
    for thread in threading.enumerate():
        if thread.name == "teamlore-bug-cache":
            thread.join()
    assert cache.is_file()
    again, _ = load_index(store)
    assert entries(again) == entries(index)


def test_the_cli_answers_and_leaves_the_cache_written(store: BugStore) -> None:
    cache = store.workspace.cache / CACHE_NAME
    cache.unlink(missing_ok=True)
    out = run_cli("bugs", "match", "--error", "-", "--json", root=store.workspace.root, stdin="KeyError: 'user_id'")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["matches"][0]["fix"].startswith("use payload.get('user_id')")
    assert cache.is_file(), "the process wrote the cache before it exited"


def test_a_file_gone_after_listing_is_left_out(store: BugStore, monkeypatch: pytest.MonkeyPatch) -> None:
    first = first_id(store)
    expected = [e for e in snapshot(store)[0] if e[0] != first]
    assert len(expected) == len(snapshot(store)[0]) - 1
    real_scandir = os.scandir

    def scandir(path: Path) -> list[os.DirEntry[str]]:
        listed = list(real_scandir(path))
        (store.files.directory / f"{first}.json").unlink(missing_ok=True)  # deleted right after the listing
        return listed

    monkeypatch.setattr(cache_mod.os, "scandir", scandir)
    entries_now, problems, _answers = snapshot(store)
    assert entries_now == expected
    assert not any(first in path for path, _reason, _line in problems)


def first_id(store: BugStore) -> str:
    return sorted(p.stem for p in store.files.directory.glob("bug-0*.json"))[0]


def _dying_worker(directory: str, names: list[str]) -> list:
    os._exit(3)  # a worker process killed (out of memory, a signal)


@pytest.mark.parametrize("failure", ["no processes", "workers die"])
def test_without_worker_processes_this_process_does_the_work(store: BugStore, monkeypatch: pytest.MonkeyPatch,
                                                             failure: str) -> None:
    sequential = snapshot(store)
    monkeypatch.setattr(analysis, "PARALLEL_MIN", 2)
    monkeypatch.setattr(analysis, "CHUNK", 7)
    monkeypatch.setattr(analysis, "_workers", lambda: 2)
    if failure == "no processes":
        def refuse(*_a: object, **_k: object) -> None:
            raise OSError(11, "Resource temporarily unavailable")
        monkeypatch.setattr(analysis, "ProcessPoolExecutor", refuse)
    else:
        monkeypatch.setattr(analysis, "_worker", _dying_worker)  # forked workers see it too
    assert snapshot(store) == sequential
