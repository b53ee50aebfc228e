"""Pieces of the MCP server tested in-process: agent names, the may-decide setting, the match cache."""

from __future__ import annotations

import os

import pytest

from memory_store.bugs.records import BugStore
from memory_store.workspace import Workspace
from server.mcp.agent import MAY_DECIDE_ENV, agents_may_decide, clean_client_name
from server.mcp.bug_tools import MatchIndex

KEYERROR = "KeyError: 'user_id'"


@pytest.mark.parametrize(("raw", "expected"), [
    pytest.param("claude-code", "claude-code", id="plain"),
    pytest.param("  Cursor   Agent\n", "Cursor Agent", id="whitespace-collapsed"),
    pytest.param("evil\x00/../name", "evil-..-name", id="control-and-slash"),
    pytest.param("bot token=ghp_abcdefghijklmnopqrstuvwxyz0123456789AB", "bot token-redacted:github-token",
                 id="secret-redacted"),
    pytest.param("", "unknown", id="empty"),
    pytest.param(None, "unknown", id="missing"),
    pytest.param("x" * 300, "x" * 64, id="capped"),
])
def test_clean_client_name(raw: str | None, expected: str) -> None:
    assert clean_client_name(raw) == expected


@pytest.mark.parametrize(("env", "config", "expected"), [
    pytest.param(None, None, False, id="default-proposals"),
    pytest.param("1", None, True, id="env-yes"),
    pytest.param("off", "[agents]\nmay_decide = true\n", False, id="env-no-wins-over-config"),
    pytest.param("maybe", None, False, id="env-unclear-means-no"),
    pytest.param(None, "[agents]\nmay_decide = true\n", True, id="config-yes"),
    pytest.param(None, "[agents]\nmay_decide = \"yes\"\n", False, id="config-not-a-bool"),
    pytest.param(None, "[agents\nmay_decide = true\n", False, id="config-invalid-toml"),
    pytest.param(None, "agents = 1\n", False, id="config-agents-not-a-table"),
])
def test_agents_may_decide(workspace: Workspace, monkeypatch: pytest.MonkeyPatch,
                           env: str | None, config: str | None, expected: bool) -> None:
    monkeypatch.delenv(MAY_DECIDE_ENV, raising=False)
    if env is not None:
        monkeypatch.setenv(MAY_DECIDE_ENV, env)
    if config is not None:
        workspace.ensure_store()
        (workspace.store / "config.toml").write_text(config, encoding="utf-8")
    assert agents_may_decide(workspace) is expected


def test_match_index_is_reused_until_the_bugs_directory_changes(workspace: Workspace) -> None:
    store = BugStore(workspace)
    store.add(KEYERROR, "use .get", author="ana")
    bugs = store.files.directory
    settled = os.stat(bugs).st_mtime_ns - 10 * MatchIndex.SETTLED_NS
    os.utime(bugs, ns=(settled, settled))
    cache = MatchIndex(workspace)
    first = cache.get()
    assert cache.get() is first and len(first) == 1

    store.add("ModuleNotFoundError: No module named 'structlog'", "add structlog", author="ana")
    second = cache.get()  # directory changed (and too recently to trust): rebuilt
    assert second is not first and len(second) == 2
    assert cache.get() is not second  # still too recent to cache
    os.utime(bugs, ns=(settled + 1, settled + 1))
    third = cache.get()
    assert cache.get() is third
