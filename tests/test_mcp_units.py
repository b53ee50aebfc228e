"""Pieces of the MCP server tested in-process: agent names, the may-decide setting, the match cache."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from memory_store.bugs.records import BugStore
from memory_store.config import allow_repository
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
    pytest.param(None, "[agents]\nmay_decide = true\n", False, id="committed-yes-not-allowed"),
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


def test_committed_may_decide_counts_once_allowed_and_until_changed(workspace: Workspace,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(MAY_DECIDE_ENV, raising=False)
    workspace.ensure_store()
    config = workspace.store / "config.toml"
    config.write_text("[agents]\nmay_decide = true\n", encoding="utf-8")
    assert agents_may_decide(workspace) is False
    allow_repository(workspace)
    assert agents_may_decide(workspace) is True
    config.write_text("[agents]\nmay_decide = true\n[sync]\nstream = \"other\"\n", encoding="utf-8")
    assert agents_may_decide(workspace) is False  # the gated values changed: consent asked again


def _age(path: Path, ns: int) -> None:
    """Pretend ``path`` was last changed long enough ago to be trusted."""
    os.utime(path, ns=(ns, ns))


def test_match_index_reads_only_what_changed(workspace: Workspace) -> None:
    store = BugStore(workspace)
    old = os.stat(workspace.root).st_mtime_ns - 10 * MatchIndex.SETTLED_NS
    first, _ = store.add(KEYERROR, "use .get", author="ana")
    for path in [store.files.path_for(first["id"]), store.files.directory]:
        _age(path, old)
    cache = MatchIndex(workspace)
    index = cache.get()
    assert len(index) == 1 and cache.reads == 1
    assert cache.get() is index and cache.reads == 1  # nothing changed: nothing read

    second, _ = store.add("ModuleNotFoundError: No module named 'structlog'", "add structlog", author="ana")
    assert cache.get().match("ModuleNotFoundError: No module named 'structlog'")[0].record["id"] == second["id"]
    assert cache.reads == 2  # only the new file
    cache.get()
    assert cache.reads == 2  # too recent to trust, but unchanged: not read on every query
    _age(store.files.path_for(second["id"]), old)
    _age(store.files.directory, old + 1)
    cache.get()
    assert cache.reads == 3  # read once more once its time can be trusted
    assert cache.get() is index and cache.reads == 3  # settled: reused as is

    store.files.delete(first["id"])
    (store.files.directory / "bug-corrupt0000000000.json").write_text("{", encoding="utf-8")
    assert [r.record["id"] for r in cache.get().match(KEYERROR)] == []
    assert len(cache.get()) == 1


def test_match_index_reports_unreadable_files_on_every_start(workspace: Workspace,
                                                              caplog: pytest.LogCaptureFixture) -> None:
    store = BugStore(workspace)
    store.add(KEYERROR, "use .get", author="ana")
    (store.files.directory / "bug-corrupt0000000000.json").write_text("{", encoding="utf-8")
    for _ in range(2):  # the second start loads through the index cache the first one wrote
        caplog.clear()
        with caplog.at_level("WARNING", logger="server.mcp"):
            index = MatchIndex(workspace).get()
        assert [r.record["fix"] for r in index.match(KEYERROR)] == ["use .get"]
        assert "bug-corrupt0000000000.json" in caplog.text
    assert (workspace.cache / "bug-index.msgpack").is_file()
