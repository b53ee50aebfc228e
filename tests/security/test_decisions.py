"""Policies, expiry, proposals, suggestions, near misses and bad decision files."""

from __future__ import annotations

import pytest

from memory_store.doctor import check_memory
from memory_store.security.api import SecurityMemory, UnknownFingerprintError
from memory_store.security.decisions import DecisionError
from memory_store.security.path_glob import path_glob

CODE = "def test_thing(client):\n    assert client.get('/').ok\n    assert client.post('/').ok\n"


@pytest.fixture
def mem(workspace):
    for path in ("tests/test_api.py", "tests/unit/test_db.py", "src/app.py"):
        (workspace.root / path).parent.mkdir(parents=True, exist_ok=True)
        (workspace.root / path).write_text(CODE)
    return SecurityMemory(workspace)


def asserts(mem, *paths):
    return [mem.finding_from_diagnostic("bandit", "B101", p, line, "Use of assert detected.", "low")
            for p in paths for line in (2, 3)]


@pytest.mark.parametrize("glob, path, hit", [
    pytest.param("tests/**", "tests/unit/test_db.py", True, id="double-star-deep"),
    pytest.param("tests/**", "src/tests_helper.py", False, id="prefix-is-not-dir"),
    pytest.param("**/test_*.py", "test_top.py", True, id="any-depth-incl-root"),
    pytest.param("**/test_*.py", "a/b/test_x.py", True, id="any-depth"),
    pytest.param("tests/*.py", "tests/unit/test_db.py", False, id="single-star-one-segment"),
    pytest.param("./src/app.py", "src/app.py", True, id="dot-slash"),
])
def test_glob(glob, path, hit):
    assert path_glob(glob).match(path) is hit


def test_policy_suppresses_only_what_it_covers(mem):
    pol = mem.add_policy("B101", "tests/**", "asserts are how pytest works")
    statuses = mem.status(asserts(mem, "tests/test_api.py", "tests/unit/test_db.py", "src/app.py"))
    assert [(s.finding.path, s.status) for s in statuses] == [
        ("tests/test_api.py", "suppressed"), ("tests/test_api.py", "suppressed"),
        ("tests/unit/test_db.py", "suppressed"), ("tests/unit/test_db.py", "suppressed"),
        ("src/app.py", "active"), ("src/app.py", "active")]
    assert {s.decision for s in statuses[:4]} == {pol["id"]}
    assert statuses[0].reason == "asserts are how pytest works"
    assert [p["id"] for p in mem.policies()] == [pol["id"]]


def test_expired_decisions_and_policies_stop_suppressing_and_are_listed(mem):
    findings = asserts(mem, "src/app.py")
    [old] = mem.decide([findings[0]], "accepted_risk", "until the refactor", expires="2001-01-01")
    [live] = mem.decide([findings[1]], "accepted_risk", "until the refactor", expires="2999-01-01")
    pol = mem.add_policy(["B101"], "src/**", "old policy", expires="2001-01-01")
    statuses = mem.status(findings)
    assert [(s.status, s.decision) for s in statuses] == [("active", None), ("suppressed", live)]
    assert "expired" in statuses[0].suggestion
    report = mem.report(findings)
    assert {d["id"] for d in report["expired"]} == {old, pol["id"]}


def test_proposals_never_suppress_until_confirmed(mem):
    findings = asserts(mem, "src/app.py")
    [pid] = mem.decide([findings[0]], "false_positive", "checked by agent", author="agent:claude", proposed=True)
    [s0, _] = mem.status(findings)
    assert s0.status == "active" and pid in s0.suggestion
    assert [p["id"] for p in mem.proposals()] == [pid]
    mem.confirm(pid, author="dana")
    assert [s.status for s in mem.status(findings)] == ["suppressed", "active"]
    assert mem.proposals() == []
    [pid2] = mem.decide([findings[1]], "false_positive", "also fine", author="agent:claude", proposed=True)
    assert mem.reject(pid2)["status"] == "rejected"
    assert [s.status for s in mem.status(findings)] == ["suppressed", "active"]


def test_near_miss_is_offered_not_applied(mem):
    [src] = asserts(mem, "src/app.py")[:1]
    [rid] = mem.decide([src], "false_positive", "guarded upstream")
    [copy] = asserts(mem, "tests/test_api.py")[:1]
    [s] = mem.status([copy])
    assert s.status == "active" and s.decision is None
    assert s.suggestion.startswith("looks like the decision made for src/app.py:2 in test_thing")
    assert s.suggested_decision == rid


def test_policy_suggested_from_several_decisions_in_one_directory(mem):
    for n in range(3):
        (mem.workspace.root / f"tests/test_{n}.py").write_text(CODE)
    mem.decide(asserts(mem, *(f"tests/test_{n}.py" for n in range(3))), "false_positive", "pytest asserts")
    [sug] = mem.suggestions()
    assert (sug["rule"], sug["paths"], sug["count"], sug["reason"]) == ("B101", "tests/**", 6, "pytest asserts")
    mem.add_policy("B101", "tests/**", "pytest asserts")
    assert mem.suggestions() == []


def test_decision_input_errors(mem):
    f = asserts(mem, "src/app.py")[0]
    with pytest.raises(DecisionError, match="reason is required"):
        mem.decide([f], "false_positive", "  ")
    with pytest.raises(DecisionError, match="unknown decision"):
        mem.decide([f], "ignore", "x")
    with pytest.raises(DecisionError, match="not a date"):
        mem.decide([f], "false_positive", "x", expires="next week")
    with pytest.raises(UnknownFingerprintError, match="deadbeef"):
        mem.decide(["deadbeef"], "false_positive", "x")


def test_secrets_in_reasons_and_statements_are_redacted(mem):
    (mem.workspace.root / "src/conf.py").write_text('PASSWORD = "hunter2-very-secret"\n')
    f = mem.finding_from_diagnostic("bandit", "B105", "src/conf.py", 1, "Possible hardcoded password")
    [rid] = mem.decide([f], "false_positive", "token=ghp_abcdefghijklmnopqrstuvwxyz0123456789 is fake")
    text = (mem.workspace.store / "security" / "decisions" / f"{rid}.json").read_text()
    assert "ghp_abcdefghijklmnopqrstuvwxyz0123456789" not in text and "hunter2-very-secret" not in text
    assert "<redacted:" in text


def test_corrupt_decision_file_is_reported_and_left_alone(mem):
    findings = asserts(mem, "src/app.py")
    [rid] = mem.decide([findings[0]], "false_positive", "fine")
    bad = mem.workspace.store / "security" / "decisions" / "sd-broken.json"
    bad.write_text('{"schema": "teamlore.security/1", "id": "sd-broken", "type": "decision"')
    report = check_memory(mem.workspace)
    assert report.counts["security"] == 1
    assert [p.path.name for p in report.problems] == ["sd-broken.json"]
    assert [s.status for s in mem.status(findings)] == ["suppressed", "active"]
    assert bad.read_text().endswith('"decision"') and rid


@pytest.mark.parametrize("change, reason", [
    pytest.param({"path": "../outside.py"}, "escapes the workspace", id="path-escape"),
    pytest.param({"line": "seven"}, "'line' must be a whole number", id="line-type"),
    pytest.param({"reason": ""}, "'reason' must be a non-empty string", id="empty-reason"),
    pytest.param({"decision": "ignore"}, "'decision' must be one of", id="decision-kind"),
    pytest.param({"expires": "soon"}, "'expires' is not a date", id="expires"),
    pytest.param({"type": "policy", "rules": ["B101"], "paths": "[z-a]"}, "not a valid glob", id="bad-glob"),
])
def test_hand_edited_bad_records_are_reported(mem, change, reason):
    import json

    f = asserts(mem, "src/app.py")[0]
    [rid] = mem.decide([f], "false_positive", "fine")
    path = mem.workspace.store / "security" / "decisions" / f"{rid}.json"
    rec = json.loads(path.read_text())
    rec.update(change)
    path.write_text(json.dumps(rec))
    [problem] = check_memory(mem.workspace).problems
    assert problem.path == path and reason in problem.reason
    assert mem.status([f])[0].status == "active"  # a record that cannot be trusted suppresses nothing


def test_changes_by_other_processes_are_seen(mem):
    import json

    findings = asserts(mem, "src/app.py")
    [rid] = mem.decide([findings[0]], "false_positive", "first reason")
    assert mem.status(findings)[0].reason == "first reason"
    path = mem.workspace.store / "security" / "decisions" / f"{rid}.json"
    rec = json.loads(path.read_text())
    rec["reason"] = "edited in review"
    path.write_text(json.dumps(rec))  # same size class, in place: the cache must still notice
    assert mem.status(findings)[0].reason == "edited in review"
    path.unlink()
    assert mem.status(findings)[0].status == "active"


def test_a_person_applies_a_near_miss_suggestion(mem):
    [src] = asserts(mem, "src/app.py")[:1]
    [rid] = mem.decide([src], "false_positive", "guarded upstream")
    [copy] = asserts(mem, "tests/test_api.py")[:1]
    [s] = mem.status([copy])
    [new] = mem.apply_suggestion([copy], s.suggested_decision, author="dana")
    assert new != rid
    [after] = mem.status([copy])
    assert (after.status, after.decision, after.reason) == ("suppressed", new, "guarded upstream")
    assert mem.store.get(new)["applied_from"] == rid


def test_cached_findings_are_redacted(mem, tmp_path):
    import json

    (mem.workspace.root / "src/conf.py").write_text('API_TOKEN = "ghp_abcdefghijklmnopqrstuvwxyz0123456789"\n')
    report = tmp_path / "b.json"
    report.write_text(json.dumps({"results": [{
        "filename": "src/conf.py", "line_number": 1, "test_id": "B105", "issue_severity": "LOW",
        "code": '1 API_TOKEN = "ghp_abcdefghijklmnopqrstuvwxyz0123456789"\n',
        "issue_text": "Possible hardcoded password: 'ghp_abcdefghijklmnopqrstuvwxyz0123456789'"}]}))
    [s] = mem.ingest([report]).statuses
    cached = mem.cache.path.read_text()
    assert "ghp_abcdefghijklmnopqrstuvwxyz0123456789" not in cached
    [rid] = mem.decide([s.finding.fingerprint], "false_positive", "revoked test token")
    assert mem.status(mem.last_findings())[0].decision == rid


def test_policy_suggestion_ties_break_by_text_not_record_order():
    from memory_store.security.triage import suggest_policies

    def decision(n: int, reason: str) -> dict:
        return {"type": "decision", "status": "confirmed", "decision": "false_positive", "id": f"d{n}",
                "tool": "bandit", "rule": "B101", "path": f"tests/test_{n}.py", "reason": reason}

    records = [decision(0, "zz later"), decision(1, "aa first"), decision(2, "zz later"), decision(3, "aa first")]
    for ordered in (records, records[::-1]):
        [sug] = suggest_policies(ordered, minimum=4)
        assert (sug["paths"], sug["reason"], sug["decisions"]) == ("tests/**", "aa first", ["d0", "d1", "d2", "d3"])
