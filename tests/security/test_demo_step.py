"""The security step of ``teamlore demo``, with bandit and with its saved-report fallback."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from memory_store.security.api import SecurityMemory
from memory_store.security.scanners import available
from server.cli.commands import demo
from server.cli.demo_steps import security


@pytest.mark.parametrize("bandit", [True, False], ids=["bandit", "saved-report"])
def test_security_demo_step(tmp_path, monkeypatch, bandit):
    if not bandit:
        monkeypatch.setattr(security, "mem_available", lambda mem: [])
    out = io.StringIO()
    state = demo.Demo(root=tmp_path.resolve(), out=Console(file=out, width=120))
    if bandit:  # installed with the dev extra: without it this case must fail, not fall back
        assert "bandit" in available(state.workspace)
    security.demo_step(state)
    assert state.state["security"] == ["suppressed", "active"]
    assert security.demo_step in demo.STEPS
    shown = out.getvalue()
    rules = {f.rule for f in SecurityMemory(state.workspace).last_findings()}
    saved_report = tmp_path / demo.INPUTS / "bandit.json"
    if bandit:
        # bandit itself ran: the CLI says so, and it reported what the saved report does not
        # hold (B404, the subprocess import); no saved report was written or read
        assert "security scan shop/deploy.py --tool bandit" in shown and "note: ran bandit" in shown
        assert "security ingest" not in shown and "not installed" not in shown
        assert rules == {"B404", "B602"}
        assert not saved_report.exists()
    else:
        assert "bandit is not installed" in shown and "security ingest" in shown
        assert "--tool bandit" not in shown
        assert rules == {"B602"}
        assert saved_report.is_file()
