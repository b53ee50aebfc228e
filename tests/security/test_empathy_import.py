"""Import of the seed tool's team_decisions.json (the shared sample)."""

from __future__ import annotations

import json

from memory_store.security.api import SecurityMemory
from memory_store.seed_import.security_decisions import import_decisions, seed_pattern_hash
from tests.conftest import EMPATHY_FIXTURE

SAMPLE = EMPATHY_FIXTURE / "security" / "team_decisions.json"


def load_sample() -> dict:
    return json.loads(SAMPLE.read_text())


def test_blanket_scopes_become_proposed_policies_and_pattern_kept_for_review(workspace):
    data = load_sample()
    out = import_decisions(workspace, data)
    assert (out["imported"], out["needs_review"], out["skipped"]) == (3, 3, [])
    mem = SecurityMemory(workspace)
    records = {r["id"]: r for r in mem.store.records()}
    all_scope = records[out["policies"][0]]
    file_scope = records[out["policies"][1]]
    assert (all_scope["status"], all_scope["paths"]) == ("proposed", "**")
    assert {"hardcoded_secret", "B105", "S105"} <= set(all_scope["rules"])
    assert (file_scope["status"], file_scope["paths"]) == ("proposed", "src/ui/animations.py")
    assert file_scope["rules"] == ["*"]
    assert file_scope["expires"] == "2026-02-11T15:30:00"
    [legacy] = [records[i] for i in out["legacy"]]
    assert (legacy["type"], legacy["status"], legacy["finding_hash"]) == ("legacy", "needs_review", "9a0364b9e99bb480")
    # every original field survives
    for rec, original in zip((all_scope, file_scope, legacy), data["decisions"], strict=True):
        assert rec["empathy"] == original
    assert mem.policies() and all(p["status"] == "proposed" for p in mem.policies())
    # importing again rewrites the same records
    assert import_decisions(workspace, data)["policies"] == out["policies"]
    assert len(mem.store.records()) == 3


def test_imported_policies_suppress_nothing_until_confirmed(workspace):
    out = import_decisions(workspace, load_sample())
    (workspace.root / "tests" / "fixtures").mkdir(parents=True)
    (workspace.root / "src").mkdir()
    for path in ("tests/fixtures/settings.py", "src/settings.py"):
        (workspace.root / path).write_text('PASSWORD = "dummy"\n')
    mem = SecurityMemory(workspace)
    findings = [mem.finding_from_diagnostic("bandit", "B105", p, 1, "Possible hardcoded password: 'dummy'")
                for p in ("tests/fixtures/settings.py", "src/settings.py")]
    assert [s.status for s in mem.status(findings)] == ["active", "active"]
    mem.confirm(out["policies"][0], author="dana", paths="tests/fixtures/**")
    assert [s.status for s in mem.status(findings)] == ["suppressed", "active"]
    report = mem.report(findings)
    assert [d["id"] for d in report["needs_review"]] == out["legacy"]


def test_pattern_hash_links_to_a_matching_line_as_a_suggestion(workspace):
    line = 'cursor.execute("SELECT * FROM users WHERE id = %s" % uid)'
    data = {"decisions": [{"finding_hash": seed_pattern_hash("sql_injection", line), "decision": "false_positive",
                           "reason": "ORM parameterizes this query", "decided_by": "@sarah",
                           "decided_at": "2025-03-02T09:45:00", "applies_to": "pattern", "expiration": None}]}
    out = import_decisions(workspace, data)
    (workspace.root / "q.py").write_text(f"def get(cursor, uid):\n    {line}\n")
    mem = SecurityMemory(workspace)
    f = mem.finding_from_diagnostic("bandit", "B608", "q.py", 2, "Possible SQL injection")
    [s] = mem.status([f])
    assert s.status == "active" and s.suggested_decision == out["legacy"][0]
    assert mem.report([f])["needs_review"] == []


def test_bad_entries_are_skipped_with_reasons(workspace):
    data = {"decisions": [{"decision": "accepted"}, {"finding_hash": "x", "decision": "maybe"},
                          {"finding_hash": "../etc/passwd", "decision": "accepted", "applies_to": "file"},
                          "nonsense"]}
    out = import_decisions(workspace, data)
    assert out["imported"] == 0
    assert [s["index"] for s in out["skipped"]] == [0, 1, 2, 3]
