"""Merging two versions of one memory record (the rules of ``teamlore merge-file``)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from memory_store.bugs.records import BugStore
from memory_store.jsonio import MAX_FILE_BYTES, dumps
from memory_store.merge import MergeRefused, merge_files, merge_records
from memory_store.workspace import Workspace
from tests.conftest import run_cli

ERROR = "Traceback (most recent call last):\n  File \"app/users.py\", line 3, in load\nKeyError: 'user_id'"


def bug(workspace: Workspace, *, created: str, author: str, minutes: float | None, **extra: Any) -> dict[str, Any]:
    rec = BugStore(workspace).build(ERROR, "use dict.get", author=author, minutes=minutes)
    rec.update(created=created, updated=created, schema="teamlore.bug/1", **extra)
    return rec


def path_of(rec: dict[str, Any]) -> Path:
    return Path(".teamlore/bugs") / f"{rec['id']}.json"


def both_orders(base: Any, a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    one = merge_records(base, a, b, path_of(a))
    other = merge_records(base, b, a, path_of(a))
    assert dumps(one) == dumps(other)
    return one


def test_same_bug_added_on_both_sides_keeps_earliest_and_the_other_recording(workspace: Workspace) -> None:
    early = bug(workspace, created="2024-03-01T10:00:00Z", author="ana", minutes=30, tags=["db"])
    late = bug(workspace, created="2024-03-05T09:00:00Z", author="ben", minutes=12.5, tags=["api", "db"])
    merged = both_orders(None, early, late)
    assert (merged["created"], merged["author"], merged["minutes"]) == ("2024-03-01T10:00:00Z", "ana", 30)
    assert merged["updated"] == "2024-03-05T09:00:00Z"
    assert merged["occurrences"] == 2
    assert merged["tags"] == ["api", "db"]
    assert merged["also_recorded"] == [{"created": "2024-03-05T09:00:00Z", "author": "ben", "minutes": 12.5}]


def test_fields_that_differ_on_the_later_recording_are_kept(workspace: Workspace) -> None:
    early = bug(workspace, created="2024-03-01T10:00:00Z", author="ana", minutes=None, root_cause="")
    late = bug(workspace, created="2024-03-02T10:00:00Z", author="ben", minutes=5, root_cause="missing key",
               jira="ABC-1")
    merged = both_orders(None, early, late)
    assert merged["root_cause"] == "" and merged["jira"] == "ABC-1"
    assert merged["also_recorded"] == [{"created": "2024-03-02T10:00:00Z", "author": "ben", "minutes": 5,
                                        "root_cause": "missing key", "jira": "ABC-1"}]


def test_merging_again_with_a_third_recording_unions_them(workspace: Workspace) -> None:
    a = bug(workspace, created="2024-03-01T00:00:00Z", author="ana", minutes=1)
    b = bug(workspace, created="2024-03-02T00:00:00Z", author="ben", minutes=2)
    c = bug(workspace, created="2024-02-01T00:00:00Z", author="cy", minutes=3)
    merged = both_orders(None, both_orders(None, a, b), c)
    assert merged["author"] == "cy" and merged["occurrences"] == 3
    assert [r["author"] for r in merged["also_recorded"]] == ["ana", "ben"]


def test_changed_on_both_sides_since_a_common_version(workspace: Workspace) -> None:
    base = bug(workspace, created="2024-03-01T00:00:00Z", author="ana", minutes=1, tags=["a", "b"])
    ours = copy.deepcopy(base)
    ours.update(occurrences=3, tags=["a", "b", "ours"], empathy_also=[{"x": 1}], updated="2024-04-01T00:00:00Z")
    theirs = copy.deepcopy(base)
    theirs.update(occurrences=2, tags=["a", "theirs"], empathy_also=[{"y": 2}], root_cause="found it",
                  updated="2024-05-01T00:00:00Z")
    merged = both_orders(base, ours, theirs)
    assert merged["occurrences"] == 4  # 1 + 2 more here + 1 more there
    assert merged["tags"] == ["a", "ours", "theirs"]  # "b" removed on one side, kept on none
    assert merged["empathy_also"] == [{"x": 1}, {"y": 2}]
    assert merged["root_cause"] == "found it" and merged["updated"] == "2024-05-01T00:00:00Z"


def test_one_recurrence_on_each_side_counts_twice(workspace: Workspace) -> None:
    base = bug(workspace, created="2024-03-01T00:00:00Z", author="ana", minutes=1)
    ours = {**base, "occurrences": 2, "tags": ["ours"]}
    theirs = {**base, "occurrences": 2, "tags": ["theirs"]}
    assert both_orders(base, ours, theirs)["occurrences"] == 3


def test_changed_on_one_side_only_takes_that_side(workspace: Workspace) -> None:
    base = bug(workspace, created="2024-03-01T00:00:00Z", author="ana", minutes=1)
    changed = {**base, "occurrences": 5}
    assert merge_records(base, base, changed, path_of(base)) == changed
    assert merge_records(base, changed, base, path_of(base)) == changed


def decision(stamp: str, decision_kind: str, reason: str, **extra: Any) -> dict[str, Any]:
    return {"schema": "teamlore.security/1", "id": "sd-0123456789abcdef", "type": "decision", "status": "confirmed",
            "fingerprint": "fp", "tool": "bandit", "rule": "B101", "path": "app/x.py", "scope": "f",
            "statement_hash": "h", "occurrence": 0, "hit": 0, "line": 3, "decision": decision_kind,
            "reason": reason, "author": "ana", "date": stamp, "expires": None, **extra}


def test_newer_decision_wins_in_both_orders() -> None:
    older = decision("2024-03-01T00:00:00Z", "false_positive", "test code")
    newer = decision("2024-03-01T00:00:00Z", "accepted_risk", "tracked in ABC-1", updated="2024-03-09T00:00:00Z")
    path = Path("d/sd-0123456789abcdef.json")
    assert merge_records(None, older, newer, path) == newer
    assert merge_records(None, newer, older, path) == newer
    assert merge_records(older, older, newer, path) == newer


def snapshot(created: str, total: int) -> dict[str, Any]:
    return {"schema": "teamlore.debt/1", "id": "2024-03-01_abcdef012345", "date": "2024-03-01T12:00:00Z",
            "commit": "abcdef012345", "source": "scan", "markers": ["TODO"], "total": total,
            "by_marker": {"TODO": total}, "files": {"a.py": {"TODO": total}}, "created": created}


def test_same_snapshot_keeps_earliest_and_a_different_scan_the_latest() -> None:
    path = Path("s/2024-03-01_abcdef012345.json")
    early, late = snapshot("2024-03-01T12:00:00Z", 4), snapshot("2024-03-01T15:00:00Z", 4)
    assert merge_records(None, late, early, path) == early
    rescanned = snapshot("2024-03-01T16:00:00Z", 5)
    assert merge_records(None, early, rescanned, path) == rescanned
    assert merge_records(None, rescanned, early, path) == rescanned


def write(path: Path, obj: Any) -> Path:
    path.write_text(obj if isinstance(obj, str) else dumps(obj), encoding="utf-8")
    return path


def test_merge_files_writes_ours_in_the_on_disk_style_and_it_loads(workspace: Workspace, tmp_path: Path) -> None:
    a = bug(workspace, created="2024-03-01T00:00:00Z", author="ana", minutes=1)
    b = bug(workspace, created="2024-03-02T00:00:00Z", author="ben", minutes=2)
    base, ours, theirs = write(tmp_path / "O", ""), write(tmp_path / "A", a), write(tmp_path / "B", b)
    merge_files(base, ours, theirs, path_of(a))
    text = ours.read_text(encoding="utf-8")
    assert text == dumps(json.loads(text))
    target = workspace.store / "bugs" / f"{a['id']}.json"
    target.parent.mkdir(parents=True)
    target.write_text(text, encoding="utf-8")
    loaded = BugStore(workspace).load()
    assert not loaded.problems and loaded.records[a["id"]]["occurrences"] == 2


CONFLICTED = '<<<<<<< ours\n{"id": "x"}\n=======\n{"id": "y"}\n>>>>>>> theirs\n'


@pytest.mark.parametrize("ours_text, theirs_obj, reason", [
    pytest.param(CONFLICTED, "record", "invalid JSON", id="conflict-markers"),
    pytest.param("record", {"schema": "other/1", "id": "x"}, "not a teamlore record", id="foreign"),
    pytest.param("record", {"schema": "teamlore.bug/7", "id": "ID"}, "newer than", id="future-schema"),
    pytest.param("record", "other-id", "does not match the file name", id="other-id"),
    pytest.param("record", "snapshot", "different kinds", id="other-kind"),
    pytest.param("record", {"schema": "teamlore.bug/1", "id": "ID", "error": "x"}, "'error' must be", id="bad-field"),
])
def test_unmergeable_versions_are_refused_and_ours_is_untouched(
        workspace: Workspace, tmp_path: Path, ours_text: str, theirs_obj: Any, reason: str) -> None:
    rec = bug(workspace, created="2024-03-01T00:00:00Z", author="ana", minutes=1)
    if theirs_obj == "record":
        theirs_obj = {**rec, "author": "ben"}
    elif theirs_obj == "other-id":
        theirs_obj = {**rec, "id": "bug-ffffffffffffffff"}
    elif theirs_obj == "snapshot":
        theirs_obj = {**snapshot("2024-03-01T00:00:00Z", 1), "id": rec["id"]}
    elif isinstance(theirs_obj, dict) and theirs_obj.get("id") == "ID":
        theirs_obj = {**theirs_obj, "id": rec["id"]}
    ours = write(tmp_path / "A", rec if ours_text == "record" else ours_text)
    before = ours.read_bytes()
    with pytest.raises(MergeRefused, match=reason):
        merge_files(write(tmp_path / "O", ""), ours, write(tmp_path / "B", theirs_obj), path_of(rec))
    assert ours.read_bytes() == before


def test_a_merge_too_large_to_read_back_is_refused(workspace: Workspace, tmp_path: Path) -> None:
    filler = "x" * (MAX_FILE_BYTES // 2)
    a = bug(workspace, created="2024-03-01T00:00:00Z", author="ana", minutes=1, notes=filler + "a")
    b = bug(workspace, created="2024-03-02T00:00:00Z", author="ben", minutes=1, notes=filler + "b")
    with pytest.raises(MergeRefused, match="larger than"):
        merge_records(None, a, b, path_of(a))


def test_cli_merge_file_exit_codes_and_one_line_reason(workspace: Workspace, tmp_path: Path) -> None:
    a = bug(workspace, created="2024-03-01T00:00:00Z", author="ana", minutes=1)
    b = bug(workspace, created="2024-03-02T00:00:00Z", author="ben", minutes=2)
    args = [str(write(tmp_path / "O", "")), str(write(tmp_path / "A", a)), str(write(tmp_path / "B", b))]
    ok = run_cli("merge-file", *args, str(path_of(a)), "--json", root=workspace.root)
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout) == {"path": str(path_of(a)), "merged": True, "id": a["id"]}
    assert json.loads((tmp_path / "A").read_text())["occurrences"] == 2
    write(tmp_path / "B", CONFLICTED)
    bad = run_cli("merge-file", *args, str(path_of(a)), root=workspace.root)
    assert bad.returncode == 1
    assert bad.stderr.count("\n") == 1 and "their version: invalid JSON" in bad.stderr
    assert "Traceback" not in bad.stderr
