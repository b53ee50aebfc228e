"""Equal-ranked security results come out in one order, whatever order they arrived in."""

from __future__ import annotations

from memory_store.security.api import SecurityMemory
from memory_store.workspace import Workspace
from tests.security.conftest import bandit_report


def test_reasons_with_equal_counts_are_listed_by_reason_in_any_input_order(code_ws: Workspace) -> None:
    mem = SecurityMemory(code_ws)
    mem.ingest([bandit_report(code_ws.root)])
    findings = mem.last_findings()
    assert len(findings) >= 4
    # two reasons, each suppressing two findings: a tie in counts
    mem.decide(findings[:2], "false_positive", "zeta: test data only", author="ann")
    mem.decide(findings[2:4], "accepted_risk", "alpha: internal tool", author="ann")
    forward = mem.report(findings)["suppressed_by_reason"]
    backward = mem.report(list(reversed(findings)))["suppressed_by_reason"]
    assert forward == backward == [{"reason": "alpha: internal tool", "count": 2},
                                   {"reason": "zeta: test data only", "count": 2}]
