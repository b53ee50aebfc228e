"""The security step of ``teamlore demo``, with bandit and with its saved-report fallback."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from server.cli.commands import demo
from server.cli.demo_steps import security


@pytest.mark.parametrize("bandit", [True, False], ids=["bandit", "saved-report"])
def test_security_demo_step(tmp_path, monkeypatch, bandit):
    if not bandit:
        monkeypatch.setattr(security, "mem_available", lambda mem: [])
    state = demo.Demo(root=tmp_path.resolve(), out=Console(file=io.StringIO(), width=120))
    security.demo_step(state)
    assert state.state["security"] == ["suppressed", "active"]
    assert security.demo_step in demo.STEPS
