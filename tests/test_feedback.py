"""'Not this fix' / 'This fixed it': the records, the pattern they apply to, and how answers change."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from memory_store.bugs import feedback
from memory_store.bugs.feedback import FeedbackStore, RatedMatch, error_pattern, give_feedback
from memory_store.bugs.live import LiveBugMemory
from memory_store.bugs.records import BugStore
from memory_store.errors import parse_error
from memory_store.jsonio import MemoryFileError
from memory_store.sync.apply import apply_event
from memory_store.sync.events import BadEvent, make_event
from memory_store.workspace import UnsafePathError, Workspace


def traceback(root: str, function: str, line: int = 12, module: str = "shop/billing/invoice.py",
              message: str = "division by zero", exc: str = "ZeroDivisionError") -> str:
    return (f"Traceback (most recent call last):\n"
            f'  File "{root}/main.py", line 3, in <module>\n    run()\n'
            f'  File "{root}/{module}", line {line}, in {function}\n    return a / b\n'
            f"{exc}: {message}\n")


@pytest.fixture
def memory(workspace: Workspace) -> tuple[LiveBugMemory, str]:
    root = str(workspace.root)
    rec, _ = BugStore(workspace).add(traceback(root, "unit_price"), "guard a zero quantity in unit_price",
                                     author="alice")
    live = LiveBugMemory(workspace)
    live.load()
    return live, rec["id"]


def test_pattern_is_stable_across_checkouts_and_lines_but_not_functions(workspace: Workspace) -> None:
    here = parse_error(traceback("/home/dana/src/shop", "unit_price", 12))
    there = parse_error(traceback("/builds/ci/shop", "unit_price", 40))
    other = parse_error(traceback("/home/dana/src/shop", "tax_rate", 12))
    assert here and there and other
    assert error_pattern(here) == error_pattern(there)
    assert error_pattern(here) != error_pattern(other)


def test_rejected_record_is_not_offered_again_for_that_error(memory: tuple[LiveBugMemory, str]) -> None:
    live, record_id = memory
    root = str(live.workspace.root)
    query = traceback(root, "unit_price", 30)
    assert [m.record["id"] for m in live.match(query, include_weak=True)] == [record_id]  # cached from here on
    rec, created = give_feedback(live.workspace, "rejected", record_id, query, author="bob")
    assert created and rec["verdict"] == "rejected" and rec["record"] == record_id
    live.add_feedback(rec)
    assert live.match(query, include_weak=True) == []  # not even as a weak candidate
    # the same error from another checkout has the same pattern: still not offered
    assert live.match(traceback("/srv/other-checkout", "unit_price", 31), include_weak=True) == []
    # a fresh process reading the files agrees
    fresh = LiveBugMemory(live.workspace)
    fresh.load()
    assert fresh.match(query, include_weak=True) == []


def test_rejected_record_is_still_offered_for_a_different_error(memory: tuple[LiveBugMemory, str]) -> None:
    live, record_id = memory
    root = str(live.workspace.root)
    give_feedback(live.workspace, "rejected", record_id, traceback(root, "tax_rate"))
    live.load()
    same_function = live.match(traceback(root, "unit_price"), include_weak=True)
    assert [m.record["id"] for m in same_function] == [record_id]
    assert isinstance(same_function[0], RatedMatch) and same_function[0].rejections == 1


def test_confirmations_are_counted_and_shown_on_matches(memory: tuple[LiveBugMemory, str]) -> None:
    live, record_id = memory
    root = str(live.workspace.root)
    query = traceback(root, "unit_price")
    before = live.match(query, include_weak=True)[0]
    assert isinstance(before, RatedMatch) and before.confirmations == 0
    for author in ("bob", "carol", "dave", "erin"):
        rec, _ = give_feedback(live.workspace, "confirmed", record_id, query, author=author)
        live.add_feedback(rec)
    match = live.match(query, include_weak=True)[0]
    assert isinstance(match, RatedMatch)
    assert (match.confirmations, match.rejections) == (4, 0)
    assert match.to_json()["confirmations"] == 4
    assert feedback.counts_text(4, 1) == "fixed it 4 times · not this fix: 1"
    assert feedback.counts_text(0, 0) == ""


def test_a_later_confirmation_lifts_a_rejection(memory: tuple[LiveBugMemory, str]) -> None:
    live, record_id = memory
    root = str(live.workspace.root)
    query = traceback(root, "unit_price")
    store = FeedbackStore(live.workspace)
    rejected = store.build("rejected", record_id, query, author="bob")
    rejected["created"] = "2026-01-01T10:00:00Z"
    rejected["id"] = "fb-0000000000000001"
    store.save(rejected)
    live.load()
    assert live.match(query, include_weak=True) == []
    confirmed = store.build("confirmed", record_id, query, author="carol")
    confirmed["created"] = "2026-01-02T10:00:00Z"
    confirmed["id"] = "fb-0000000000000002"
    store.save(confirmed)
    live.refresh()  # the MCP server's way of following the files (the time may be too recent to trust)
    live.apply_changes([store.files.path_for(confirmed["id"])])  # the language server's way
    assert [m.record["id"] for m in live.match(query, include_weak=True)] == [record_id]


def test_feedback_needs_an_existing_record_and_an_error(workspace: Workspace) -> None:
    with pytest.raises(feedback.UnknownRecord, match="no bug record with id 'bug-missing'"):
        give_feedback(workspace, "rejected", "bug-missing", "KeyError: 'x'")
    rec, _ = BugStore(workspace).add("KeyError: 'x'", "set x")
    with pytest.raises(feedback.EmptyErrorText):
        give_feedback(workspace, "rejected", rec["id"], "   \n")
    with pytest.raises(UnsafePathError):
        give_feedback(workspace, "rejected", "../../etc/passwd", "KeyError: 'x'")
    assert not (workspace.store / "feedback").exists() or not list((workspace.store / "feedback").iterdir())


def test_stored_feedback_is_redacted_and_holds_no_absolute_path(workspace: Workspace) -> None:
    rec, _ = BugStore(workspace).add("KeyError: 'x'", "set x")
    text = traceback("/home/dana/src/shop", "unit_price",
                     message="could not open /home/dana/.config/shop/token password=hunter2secret")
    fb, _ = give_feedback(workspace, "confirmed", rec["id"], text, author="bob")
    raw = FeedbackStore(workspace).files.path_for(fb["id"]).read_text(encoding="utf-8")
    assert "/home/dana" not in raw and "hunter2secret" not in raw
    assert json.loads(raw)["schema"] == "teamlore.feedback/1"


def test_concurrent_verdicts_are_separate_files(memory: tuple[LiveBugMemory, str]) -> None:
    live, record_id = memory
    query = traceback(str(live.workspace.root), "unit_price")
    ids = {give_feedback(live.workspace, "confirmed", record_id, query, author=f"dev{n}")[0]["id"]
           for n in range(5)}
    files = sorted(p.stem for p in (live.workspace.store / "feedback").glob("*.json"))
    assert sorted(ids) == files and len(files) == 5


HOSTILE: dict[str, object] = {
    "verdict": "rejected-everything",
    "record": "../../etc/passwd",
    "pattern": "<script>alert(1)</script>",
    "created": "yesterday",
    "author": "x" * 5000,
    "error": {"type": "E", "message": "m" * 10_000},
}


@pytest.mark.parametrize("field", sorted(HOSTILE))
def test_a_bad_field_makes_the_file_a_problem_naming_the_field(workspace: Workspace, field: str) -> None:
    rec, _ = BugStore(workspace).add("KeyError: 'x'", "set x")
    good, _ = give_feedback(workspace, "rejected", rec["id"], "KeyError: 'x'", author="bob")
    path = FeedbackStore(workspace).files.path_for(good["id"])
    data = json.loads(path.read_text(encoding="utf-8"))
    data[field] = HOSTILE[field]
    path.write_text(json.dumps(data), encoding="utf-8")
    records, problems = FeedbackStore(workspace).load()
    assert records == {}
    assert len(problems) == 1 and problems[0].path == path and f"'{field}" in problems[0].reason
    live = LiveBugMemory(workspace)
    assert live.load()  # reported as unreadable
    assert [m.record["id"] for m in live.match("KeyError: 'x'", include_weak=True)] == [rec["id"]]  # blocks nothing
    with pytest.raises(BadEvent):
        apply_event(workspace, make_event("feedback", data))


def test_synced_feedback_is_written_once_and_checked(workspace: Workspace, tmp_path: Path) -> None:
    rec, _ = BugStore(workspace).add("KeyError: 'x'", "set x")
    fb = FeedbackStore(workspace).build("rejected", rec["id"], "KeyError: 'x'", author="bob")
    event = make_event("feedback", {**fb, "schema": "teamlore.feedback/1"})  # as written and published
    assert apply_event(workspace, event) is True
    assert apply_event(workspace, event) is False  # a replay changes nothing
    stored = json.loads(FeedbackStore(workspace).files.path_for(fb["id"]).read_text(encoding="utf-8"))
    assert stored["verdict"] == "rejected"
    with pytest.raises(BadEvent):
        apply_event(workspace, make_event("feedback", {**event.record, "id": "fb-elsewhere", "verdict": "maybe"}))
    assert not FeedbackStore(workspace).files.exists("fb-elsewhere")


def test_validation_errors_name_the_file(workspace: Workspace) -> None:
    path = workspace.store / "feedback" / "fb-1.json"
    with pytest.raises(MemoryFileError) as exc:
        feedback.validate_feedback(path, {"verdict": "rejected", "record": "bug-1", "pattern": "zz"})
    assert str(path) in str(exc.value) and "'pattern'" in str(exc.value)


def test_a_verdict_written_by_another_process_is_seen_on_the_next_poll(memory: tuple[LiveBugMemory, str]) -> None:
    live, record_id = memory
    query = traceback(str(live.workspace.root), "unit_price")
    live.refresh()
    assert [m.record["id"] for m in live.match(query, include_weak=True)] == [record_id]  # now cached
    give_feedback(Workspace(live.workspace.root), "rejected", record_id, query, author="bob")  # e.g. the CLI
    assert live.refresh() is True  # the MCP server's poll before each query
    assert live.match(query, include_weak=True) == []
    assert live.refresh() is False  # nothing new: nothing read again
