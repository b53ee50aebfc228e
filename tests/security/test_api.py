"""The facade the language server and the MCP server use."""

from __future__ import annotations

import pytest

from memory_store.security.api import SecurityMemory

pytestmark = pytest.mark.e2e  # scan_file starts bandit


def test_scan_file_and_unsaved_buffer(code_ws):
    mem = SecurityMemory(code_ws)
    found = mem.scan_file(str(code_ws.root / "service.py"))
    assert sorted({f.rule for f in found}) == ["B101", "B404", "B602"]
    restart = next(f for f in found if f.scope == "Deployer.restart")
    mem.decide([restart], "false_positive", "constant prefix", source="lsp")
    # The editor forwards a diagnostic for an unsaved buffer where two lines were added above.
    buffer = "# header\n# more\n" + (code_ws.root / "service.py").read_text()
    diag = mem.finding_from_diagnostic("bandit", "B602", "service.py", restart.line + 2,
                                       "subprocess call with shell=True", "high", source_text=buffer)
    assert diag.fingerprint == restart.fingerprint
    assert diag.rule_url and "b602" in diag.rule_url  # a link to the rule's docs for the diagnostic
    [status] = mem.status([diag])
    assert status.status == "suppressed" and status.to_json()["reason"] == "constant prefix"
    on_disk = mem.finding_from_diagnostic("bandit", "B602", "service.py", restart.line, "x")
    assert on_disk.fingerprint == restart.fingerprint


def test_scan_file_without_scanners_returns_nothing(code_ws, monkeypatch):
    import memory_store.security.api as api

    monkeypatch.setattr(api, "available", lambda ws: [])
    assert SecurityMemory(code_ws).scan_file("service.py") == []
