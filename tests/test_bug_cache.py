"""The bug-index cache: fast loads that never hide a change to the record files."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from memory_store.bugs import cache as cache_mod
from memory_store.bugs.cache import CACHE_NAME, load_index
from memory_store.bugs.records import BugStore
from memory_store.workspace import Workspace

ERRORS = [
    ("ModuleNotFoundError: No module named 'structlog'", "add structlog to requirements.txt"),
    ("KeyError: 'user_id'", "use payload.get('user_id')"),
    ("sqlite3.OperationalError: database is locked", "enable WAL and a busy timeout"),
]


@pytest.fixture
def store(workspace: Workspace) -> BugStore:
    store = BugStore(workspace)
    for error, fix in ERRORS:
        store.add(error, fix, author="test")
    return store


def fixes(store: BugStore, query: str) -> list[str]:
    index, _ = load_index(store)
    return [m.record["fix"] for m in index.match(query)]


def test_empty_workspace(workspace: Workspace) -> None:
    index, result = load_index(BugStore(workspace))
    assert len(index) == 0 and len(result.records) == 0 and result.problems == []


def test_second_load_comes_from_the_cache(store: BugStore, monkeypatch: pytest.MonkeyPatch) -> None:
    index, result = load_index(store)
    assert len(index) == 3 and (store.workspace.cache / CACHE_NAME).is_file()

    def no_reads(*_a: object, **_k: object) -> None:
        raise AssertionError("an unchanged record file was read again")

    monkeypatch.setattr(store.files, "read_path", no_reads)
    index2, result2 = load_index(store)
    assert sorted(result2.records) == sorted(result.records)
    assert index2.match("KeyError: 'user_id'")[0].record["fix"] == "use payload.get('user_id')"
    assert dict(result2.records) == dict(result.records)


def test_a_changed_record_file_is_read_again(store: BugStore) -> None:
    load_index(store)
    path = next(p for p in store.files.directory.glob("*.json") if "user_id" in p.read_text())
    rec = json.loads(path.read_text())
    rec["fix"] = "validate the payload schema first"
    path.write_text(json.dumps(rec, indent=2))
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 1_000_000))
    assert fixes(store, "KeyError: 'user_id'") == ["validate the payload schema first"]


def test_new_and_deleted_files_are_seen(store: BugStore) -> None:
    load_index(store)
    store.add("redis.exceptions.ConnectionError: Error 111 connecting to localhost:6379. Connection refused.",
              "start redis-server", author="test")
    assert fixes(store, "redis.exceptions.ConnectionError: Error 111 connecting to localhost:6379. "
                        "Connection refused.") == ["start redis-server"]
    path = next(p for p in store.files.directory.glob("*.json") if "structlog" in p.read_text())
    path.unlink()
    index, _result = load_index(store)
    assert len(index) == 3 and index.match("ModuleNotFoundError: No module named 'structlog'") == []


def test_unreadable_record_files_are_reported_every_time_and_never_cached(store: BugStore) -> None:
    bad = store.files.directory / "bug-0000000000000000.json"
    bad.write_text("{ not json")
    for _ in range(2):
        index, result = load_index(store)
        assert [p.path for p in result.problems] == [bad] and len(index) == 3
    assert bad.read_text() == "{ not json"  # never rewritten


@pytest.mark.parametrize("content", [b"garbage", b"", b"\x80\x04K\x01."])
def test_a_broken_cache_is_ignored_and_rebuilt(store: BugStore, content: bytes) -> None:
    load_index(store)
    cache = store.workspace.cache / CACHE_NAME
    cache.write_bytes(content)
    os.chmod(cache, 0o600)
    assert fixes(store, "KeyError: 'user_id'") == ["use payload.get('user_id')"]
    assert cache.read_bytes() != content


def test_a_cache_from_other_code_is_ignored(store: BugStore, monkeypatch: pytest.MonkeyPatch) -> None:
    load_index(store)
    monkeypatch.setattr(cache_mod, "code_version", lambda: "other")
    reads: list[Path] = []
    original = store.files.read_path
    monkeypatch.setattr(store.files, "read_path", lambda p: reads.append(p) or original(p))
    index, _ = load_index(store)
    assert len(index) == 3 and len(reads) == 3


def test_a_cache_writable_by_others_is_not_trusted(store: BugStore, monkeypatch: pytest.MonkeyPatch) -> None:
    load_index(store)
    os.chmod(store.workspace.cache / CACHE_NAME, 0o666)
    reads: list[Path] = []
    original = store.files.read_path
    monkeypatch.setattr(store.files, "read_path", lambda p: reads.append(p) or original(p))
    load_index(store)
    assert len(reads) == 3


def test_unwritable_cache_directory_only_costs_speed(store: BugStore, monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(*_a: object, **_k: object) -> None:
        raise OSError("read-only file system")

    monkeypatch.setattr(cache_mod, "_replace_file", fail)
    index, _result = load_index(store)
    assert len(index) == 3 and not (store.workspace.cache / CACHE_NAME).exists()


def test_lazy_records_behave_like_a_mapping(store: BugStore) -> None:
    load_index(store)
    _, result = load_index(store)
    ids = list(result.records)
    assert len(result.records) == 3 and ids[0] in result.records
    assert result.records[ids[0]]["id"] == ids[0] and result.records.get("nope") is None
    with pytest.raises(KeyError):
        result.records["nope"]
