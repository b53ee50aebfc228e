"""Sync settings, event shape, outbox and the publish hook (no redis needed)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from memory_store.bugs.records import BugStore
from memory_store.config import allow_repository, load_project_config
from memory_store.jsonio import atomic_write_text
from memory_store.sync.config import (
    SyncConfigError,
    default_stream,
    is_configured,
    load_config,
    normalize_remote,
)
from memory_store.sync.events import BadEvent, event_from_fields, make_event
from memory_store.sync.outbox import Outbox
from memory_store.workspace import Workspace

ERROR = "Traceback (most recent call last):\n  File \"app/db.py\", line 3, in load\nKeyError: 'user_id'\n"


@pytest.fixture(autouse=True)
def _no_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("TEAMLORE_REDIS_URL", "TEAMLORE_REDIS_PASSWORD", "TEAMLORE_REDIS_USERNAME",
                 "TEAMLORE_SYNC_STREAM"):
        monkeypatch.delenv(name, raising=False)


def write_config(ws: Workspace, text: str, allow: bool = True) -> None:
    """Commit settings to the workspace and (by default) allow them as its user would."""
    ws.ensure_store()
    atomic_write_text(ws.store / "config.toml", text)
    if allow:
        allow_repository(ws)


def test_not_configured_without_url(workspace: Workspace) -> None:
    assert load_config(workspace) is None
    assert not is_configured(workspace)


def test_url_from_config_and_env_override(workspace: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    write_config(workspace, '[sync]\nredis_url = "redis://cache.internal:6380/2"\nstream = "teamlore:x"\nmaxlen = 50\n')
    cfg = load_config(workspace)
    assert cfg is not None
    assert (cfg.url, cfg.stream, cfg.maxlen, cfg.password) == ("redis://cache.internal:6380/2", "teamlore:x", 50, None)
    monkeypatch.setenv("TEAMLORE_REDIS_URL", "rediss://alice:pw%40123@secure.example:6390/0")
    cfg = load_config(workspace)
    assert cfg is not None
    assert cfg.url == "rediss://secure.example:6390/0"
    assert (cfg.username, cfg.password) == ("alice", "pw@123")
    assert cfg.display_url() == "rediss://alice:***@secure.example:6390/0"
    assert "pw@123" not in cfg.display_url() and "pw%40123" not in cfg.display_url()


def test_password_from_env_wins_and_is_never_in_the_url(workspace: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    write_config(workspace, '[sync]\nredis_url = "redis://ops@127.0.0.1:6379/0"\n')
    monkeypatch.setenv("TEAMLORE_REDIS_PASSWORD", "hunter2-hunter2")
    cfg = load_config(workspace)
    assert cfg is not None
    assert cfg.client_kwargs() == {"username": "ops", "password": "hunter2-hunter2"}
    assert "hunter2" not in cfg.url and "hunter2" not in cfg.display_url()


def test_password_in_shared_config_is_refused(workspace: Workspace) -> None:
    write_config(workspace, '[sync]\nredis_url = "redis://:topsecret@127.0.0.1:6379/0"\n')
    assert load_config(workspace) is None
    problems = [str(p) for p in load_project_config(workspace).problems]
    assert any("redis_url" in p and "TEAMLORE_REDIS_PASSWORD" in p for p in problems)
    assert not any("topsecret" in p for p in problems)


def test_committed_url_counts_only_once_allowed(workspace: Workspace) -> None:
    write_config(workspace, '[sync]\nredis_url = "redis://team.example:6379/0"\n', allow=False)
    assert load_config(workspace) is None and not is_configured(workspace)
    assert [w.key for w in load_project_config(workspace).withheld] == ["sync.redis_url"]
    allow_repository(workspace)
    cfg = load_config(workspace)
    assert cfg is not None and cfg.url == "redis://team.example:6379/0" and is_configured(workspace)


@pytest.mark.parametrize("text, field", [
    pytest.param('[sync]\nredis_url = "http://x"\n', "redis://", id="scheme"),
    pytest.param('[sync]\nredis_url = 5\n', "redis_url", id="type"),
    pytest.param('[sync]\nredis_url = "redis://x"\nmaxlen = 0\n', "maxlen", id="maxlen"),
    pytest.param('[sync\n', "config.toml", id="toml"),
])
def test_bad_settings_are_named_problems_and_defaults(workspace: Workspace, text: str, field: str) -> None:
    write_config(workspace, text)
    config = load_project_config(workspace)
    assert any(field in str(p) for p in config.problems), config.problems
    assert config.sync.maxlen == 100_000
    if field != "maxlen":
        assert load_config(workspace) is None


def test_bad_url_in_the_environment_is_a_clear_error(workspace: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEAMLORE_REDIS_URL", "redis://host:notaport/0")
    with pytest.raises(SyncConfigError, match="port"):
        load_config(workspace)


@pytest.mark.parametrize("remote", [
    "git@github.com:Acme/shop.git",
    "https://github.com/Acme/shop",
    "https://user:ghp_token@github.com/Acme/shop.git",
    "ssh://git@github.com/Acme/shop.git",
])
def test_remote_urls_of_one_repository_give_one_stream(remote: str) -> None:
    assert normalize_remote(remote) == "github.com/Acme/shop"


def test_default_stream_from_git_remote_or_workspace_name(workspace: Workspace) -> None:
    assert default_stream(workspace) == f"teamlore:workspace:{workspace.root.name}"
    subprocess.run(["git", "init", "-q"], cwd=workspace.root, check=True)
    subprocess.run(["git", "remote", "add", "origin", "https://tok:x@github.com/acme/shop.git"],
                   cwd=workspace.root, check=True)
    assert default_stream(workspace) == "teamlore:github.com/acme/shop"


def test_event_roundtrip_and_content_ids() -> None:
    record = {"id": "bug-0123456789abcdef", "schema": "teamlore.bug/1", "fix": "x"}
    event = make_event("bug", record)
    again = event_from_fields({k.encode(): v.encode() for k, v in event.to_fields().items()})
    assert again == event
    assert make_event("bug", dict(record)).event_id == event.event_id
    assert make_event("bug", {**record, "fix": "y"}).event_id != event.event_id


@pytest.mark.parametrize("fields, reason", [
    pytest.param({"v": "1", "kind": "bug", "id": "../x", "record": '{"id": "../x"}'}, "invalid id", id="dotdot-id"),
    pytest.param({"v": "1", "kind": "bug", "id": "a\x00", "record": '{"id": "a\\u0000"}'}, "invalid id", id="nul-id"),
    pytest.param({"v": "1", "kind": "script", "id": "a", "record": '{"id": "a"}'}, "unknown record kind", id="kind"),
    pytest.param({"v": "1", "kind": "bug", "id": "a", "record": "{"}, "not valid JSON", id="json"),
    pytest.param({"v": "1", "kind": "bug", "id": "a", "record": "[]"}, "must be an object", id="type"),
    pytest.param({"v": "1", "kind": "bug", "id": "b", "record": '{"id": "a"}'}, "does not match", id="id-mismatch"),
    pytest.param({"v": "9", "kind": "bug", "id": "a", "record": '{"id": "a"}'}, "format", id="version"),
])
def test_bad_events_are_rejected(fields: dict[str, str], reason: str) -> None:
    with pytest.raises(BadEvent, match=reason):
        event_from_fields(fields)


def test_outbox_collapses_duplicates_and_keeps_order(workspace: Workspace) -> None:
    outbox = Outbox(workspace)
    first = make_event("bug", {"id": "bug-1", "n": 1})
    second = make_event("bug", {"id": "bug-2", "n": 2})
    outbox.put(first)
    outbox.put(second)
    outbox.put(make_event("bug", {"id": "bug-1", "n": 1}))
    assert [p.event for p in outbox.pending()] == [first, second]


def test_an_unreadable_outbox_entry_is_set_aside_not_deleted(workspace: Workspace) -> None:
    outbox = Outbox(workspace)
    good = make_event("bug", {"id": "bug-1", "n": 1})
    outbox.put(good)
    broken = outbox.directory / "bug-broken.json"
    broken.write_text("{not json")
    assert [p.event for p in outbox.pending()] == [good]
    assert not broken.exists() and (outbox.directory / "bug-broken.unreadable").read_text() == "{not json"
    assert len(outbox) == 1


def test_hook_is_a_no_op_without_sync(workspace: Workspace) -> None:
    BugStore(workspace).add(ERROR, "use .get()", author="ann")
    assert not (workspace.cache / "sync").exists()


def test_hook_queues_new_records_when_configured(workspace: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    # Nothing listens on port 9: the write succeeds and the event waits in the outbox.
    monkeypatch.setenv("TEAMLORE_REDIS_URL", "redis://127.0.0.1:9/0")
    store = BugStore(workspace)
    rec, created = store.add(ERROR, "use .get()", author="ann")
    _, again = store.add(ERROR, "use .get()", author="ann")
    assert created and not again
    pending = list(Outbox(workspace).pending())
    assert len(pending) == 1
    on_disk = json.loads(store.files.path_for(rec["id"]).read_text())
    assert pending[0].event.record == on_disk


def test_a_broken_outbox_never_fails_a_local_write(workspace: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEAMLORE_REDIS_URL", "redis://127.0.0.1:9/0")
    workspace.ensure_store()
    (workspace.cache).mkdir(parents=True)
    (workspace.cache / "sync").write_text("not a directory")
    rec, created = BugStore(workspace).add(ERROR, "use .get()", author="ann")
    assert created and BugStore(workspace).get(rec["id"])["fix"] == "use .get()"


def test_sync_commands_without_configuration_fail_clearly(workspace: Workspace) -> None:
    from tests.conftest import run_cli

    for verb in ("push", "pull"):
        out = run_cli("sync", verb, root=workspace.root)
        assert out.returncode == 2
        assert "sync is not configured" in out.stderr
    status = run_cli("sync", "status", "--json", root=workspace.root)
    assert status.returncode == 0
    assert json.loads(status.stdout)["configured"] is False


def test_records_dir_path_is_unchanged_by_sync(tmp_path: Path) -> None:
    """The outbox lives under .cache/, which the memory's .gitignore excludes."""
    ws = Workspace(tmp_path)
    ws.ensure_store()
    assert ".cache/" in (ws.store / ".gitignore").read_text()
    assert Outbox(ws).directory.is_relative_to(ws.cache)
