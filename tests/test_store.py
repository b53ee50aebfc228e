"""The JSON memory store: atomic writes, corruption handling, concurrency, path safety."""

from __future__ import annotations

import json
import multiprocessing
from pathlib import Path

import pytest

from memory_store.bugs.records import BugStore
from memory_store.doctor import check_memory
from memory_store.jsonio import MemoryFileError, read_json
from memory_store.workspace import UnsafePathError, Workspace, check_id, check_relative
from tests.conftest import run_cli


def test_first_write_creates_store_with_gitignore(workspace: Workspace) -> None:
    BugStore(workspace).add("KeyError: 'user_id'", "use dict.get")
    assert (workspace.store / ".gitignore").read_text().splitlines() == [".cache/", ".inbox/", "*.tmp"]


def test_record_file_is_pretty_sorted_and_versioned(workspace: Workspace) -> None:
    rec, created = BugStore(workspace).add("KeyError: 'user_id'", "use dict.get")
    assert created
    text = (workspace.store / "bugs" / f"{rec['id']}.json").read_text()
    obj = json.loads(text)
    assert obj["schema"] == "teamlore.bug/1"
    assert text == json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def test_same_error_and_fix_is_one_file(workspace: Workspace) -> None:
    store = BugStore(workspace)
    a, _ = store.add("KeyError: 'user_id'", "use dict.get")
    b, created = store.add("KeyError: 'user_id'", "use dict.get")
    assert a["id"] == b["id"] and not created
    assert len(list((workspace.store / "bugs").glob("*.json"))) == 1


def test_unknown_fields_survive_update(workspace: Workspace) -> None:
    store = BugStore(workspace)
    rec, _ = store.add("KeyError: 'user_id'", "use dict.get")
    path = store.files.path_for(rec["id"])
    obj = json.loads(path.read_text())
    obj["team_extension"] = {"jira": "ABC-1"}
    path.write_text(json.dumps(obj))
    store.files.update(rec["id"], lambda r: {**r, "occurrences": r["occurrences"] + 1})
    after = json.loads(path.read_text())
    assert after["team_extension"] == {"jira": "ABC-1"} and after["occurrences"] == 2


BAD_FILES = [
    pytest.param(b"{\"schema\": \"teamlore.bug/1\", ", "invalid JSON", id="truncated"),
    pytest.param(b"\xff\xfe\x00garbage", "not valid UTF-8", id="non-utf8"),
    pytest.param(b"[1, 2]", "expected a JSON object", id="wrong-type"),
    pytest.param(b'{"schema": "teamlore.debt/1", "id": "bug-x"}', "expected 'teamlore.bug/1'", id="wrong-schema"),
    pytest.param(b'{"schema": "teamlore.bug/99", "id": "bug-x"}', "newer than", id="future-schema"),
    pytest.param(b"", "empty file", id="empty"),
    pytest.param(
        b'{"schema": "teamlore.bug/1", "id": "bug-x", "error": "oops"}', "'error' must be an object", id="bad-field"
    ),
]


@pytest.mark.parametrize(("content", "reason"), BAD_FILES)
def test_corrupt_file_is_reported_and_left_untouched(workspace: Workspace, content: bytes, reason: str) -> None:
    store = BugStore(workspace)
    good, _ = store.add("KeyError: 'user_id'", "use dict.get")
    bad = workspace.store / "bugs" / "bug-x.json"
    bad.write_bytes(content)
    result = store.load()
    assert list(result.records) == [good["id"]]
    assert len(result.problems) == 1
    assert result.problems[0].path == bad and reason in result.problems[0].reason
    store.add("ValueError: bad", "validate first")
    assert bad.read_bytes() == content


def test_invalid_json_problem_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    path.write_text('{\n  "a": 1,\n  "b": \n}\n')
    with pytest.raises(MemoryFileError) as info:
        read_json(path)
    assert info.value.problem.line == 4


def test_symlink_outside_memory_is_refused(workspace: Workspace, tmp_path: Path) -> None:
    outside = tmp_path / "secret.json"
    outside.write_text('{"schema": "teamlore.bug/1", "id": "bug-link", "error": {"type": "E"}}')
    (workspace.store / "bugs").mkdir(parents=True)
    (workspace.store / "bugs" / "bug-link.json").symlink_to(outside)
    result = BugStore(workspace).load()
    assert not result.records and "outside" in result.problems[0].reason


def _writer(root: str, worker: int, count: int) -> None:
    store = BugStore(Workspace(Path(root)))
    for i in range(count):
        store.add(f"ValueError: worker {worker} item {i} failed at step_{worker}_{i}", f"fix {worker}-{i}")


def test_eight_processes_writing_lose_nothing(workspace: Workspace) -> None:
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(str(workspace.root), w, 200)) for w in range(8)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=240)
        assert p.exitcode == 0
    result = BugStore(workspace).load()
    assert not result.problems
    assert len(result.records) == 1600
    assert not list((workspace.store / "bugs").glob(".*.tmp"))


@pytest.mark.parametrize("bad", ["../x", "/etc/passwd", "a/../../b", "C:\\Users\\x", "a\x00b"])
def test_relative_paths_refuse_escape(bad: str) -> None:
    with pytest.raises(UnsafePathError):
        check_relative(bad)


@pytest.mark.parametrize("bad", ["../bug", "bug/../../x", "", ".hidden", "a\x00", "x" * 200, "a/b"])
def test_ids_refuse_unsafe_names(bad: str) -> None:
    with pytest.raises(UnsafePathError):
        check_id(bad)


def test_workspace_relative_rejects_outside(workspace: Workspace, tmp_path: Path) -> None:
    assert workspace.relative(workspace.root / "src" / "a.py") == "src/a.py"
    with pytest.raises(UnsafePathError):
        workspace.relative(tmp_path / "elsewhere.py")


def test_doctor_lists_bad_files_and_exits_nonzero(workspace: Workspace) -> None:
    BugStore(workspace).add("KeyError: 'user_id'", "use dict.get")
    assert run_cli("doctor", root=workspace.root).returncode == 0
    (workspace.store / "bugs" / "bug-broken.json").write_text("{nope")
    proc = run_cli("doctor", "--json", root=workspace.root)
    assert proc.returncode == 1
    report = json.loads(proc.stdout)
    assert report["problems"][0]["path"] == ".teamlore/bugs/bug-broken.json"
    assert check_memory(workspace).counts["bugs"] == 1
