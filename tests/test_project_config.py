"""The one project config reader: layers, named problems with defaults, and the consent rule."""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path

import pytest

from memory_store import trust
from memory_store.config import (
    DEFAULT_MARKERS,
    KEYS,
    allow_repository,
    load_project_config,
    user_config_path,
)
from memory_store.workspace import Workspace

GATED_TOML = '[sync]\nredis_url = "redis://team.example:6379/0"\nstream = "teamlore:x"\n[lsp]\nstore_root = "../x"\n'


@pytest.fixture(autouse=True)
def _no_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in KEYS:
        if key.env:
            monkeypatch.delenv(key.env, raising=False)


def commit(ws: Workspace, text: str) -> Path:
    ws.ensure_store()
    path = ws.store / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_without_any_file(workspace: Workspace) -> None:
    config = load_project_config(workspace)
    assert config.lsp.scanners_on_save == ("bandit",) and config.sync.redis_url is None
    assert config.debt.markers == DEFAULT_MARKERS and config.agents.may_decide is False
    assert not config.problems and not config.withheld and config.withheld_notice() is None


def test_harmless_committed_values_apply_at_once(workspace: Workspace) -> None:
    commit(workspace, '[lsp]\nmatch_threshold = 0.7\ndebt_hints = true\n[debt]\nmarkers = ["TODO", "NOTE"]\n'
                      '[sync]\nmaxlen = 10\n')
    config = load_project_config(workspace)
    assert (config.lsp.match_threshold, config.lsp.debt_hints, config.debt.markers, config.sync.maxlen) == \
        (0.7, True, ("TODO", "NOTE"), 10)
    assert config.origin["debt.markers"] == "repository" and not config.withheld


def test_gated_committed_values_are_withheld_until_allowed(workspace: Workspace) -> None:
    commit(workspace, GATED_TOML + "[agents]\nmay_decide = true\n")
    config = load_project_config(workspace)
    assert (config.sync.redis_url, config.sync.stream, config.lsp.store_root, config.agents.may_decide) == \
        (None, None, None, False)
    assert sorted(w.key for w in config.withheld) == ["agents.may_decide", "lsp.store_root", "sync.redis_url",
                                                      "sync.stream"]
    notice = config.withheld_notice()
    assert notice is not None and "teamlore allow" in notice and "sync.redis_url" in notice
    allowed = allow_repository(workspace)
    assert allowed.allowed and not allowed.withheld
    assert (allowed.sync.redis_url, allowed.lsp.store_root, allowed.agents.may_decide) == \
        ("redis://team.example:6379/0", "../x", True)
    assert allowed.origin["sync.redis_url"] == "repository (allowed)"


def test_any_change_to_allowed_values_asks_again(workspace: Workspace) -> None:
    path = commit(workspace, GATED_TOML)
    allow_repository(workspace)
    path.write_text(GATED_TOML.replace("team.example", "evil.example"), encoding="utf-8")
    config = load_project_config(workspace)
    assert config.sync.redis_url is None and not config.allowed
    assert [w.value for w in config.withheld if w.key == "sync.redis_url"] == ["redis://evil.example:6379/0"]


def test_harmless_edits_keep_the_consent(workspace: Workspace) -> None:
    path = commit(workspace, GATED_TOML)
    allow_repository(workspace)
    path.write_text(GATED_TOML + "[debt]\nmarkers = [\"TODO\"]\n", encoding="utf-8")
    assert load_project_config(workspace).sync.redis_url == "redis://team.example:6379/0"


def test_consent_is_per_repository(tmp_path: Path) -> None:
    a, b = Workspace(tmp_path / "a"), Workspace(tmp_path / "b")
    for ws in (a, b):
        ws.root.mkdir()
        commit(ws, GATED_TOML)
    allow_repository(a)
    assert load_project_config(a).allowed and not load_project_config(b).allowed


def test_deny_withdraws_consent(workspace: Workspace) -> None:
    commit(workspace, GATED_TOML)
    allow_repository(workspace)
    assert trust.revoke(workspace.root) is True
    assert load_project_config(workspace).sync.redis_url is None
    assert trust.revoke(workspace.root) is False


def test_restricted_mode_withholds_even_allowed_values(workspace: Workspace) -> None:
    commit(workspace, GATED_TOML)
    allow_repository(workspace)
    config = load_project_config(workspace, restricted=True)
    assert config.sync.redis_url is None and not config.allowed and config.withheld


def test_consent_lives_outside_the_repository(workspace: Workspace) -> None:
    commit(workspace, GATED_TOML)
    allow_repository(workspace)
    stored = trust.user_config_dir() / trust.ALLOWED_NAME
    assert stored.is_file() and not stored.resolve().is_relative_to(workspace.root)
    entry = json.loads(stored.read_text())["repositories"][str(workspace.root)]
    assert entry["values"]["sync.redis_url"] == "redis://team.example:6379/0"


def test_user_config_and_environment_are_trusted_layers(workspace: Workspace,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    user = user_config_path()
    user.parent.mkdir(parents=True, exist_ok=True)
    user.write_text('[sync]\nredis_url = "redis://mine.example:6379/0"\n[lsp]\nscanners_on_save = ["ruff"]\n')
    commit(workspace, '[sync]\nredis_url = "redis://theirs.example:6379/0"\n')
    config = load_project_config(workspace)
    assert config.sync.redis_url == "redis://mine.example:6379/0"  # the committed one is withheld
    assert config.lsp.scanners_on_save == ("ruff",) and config.origin["lsp.scanners_on_save"] == "user config"
    monkeypatch.setenv("TEAMLORE_REDIS_URL", "redis://env.example:6379/0")
    assert load_project_config(workspace).sync.redis_url == "redis://env.example:6379/0"


@pytest.mark.parametrize(("text", "named"), [
    pytest.param("[lsp]\nmatch_threshold = 3\n", "[lsp] match_threshold", id="range"),
    pytest.param("[lsp]\nscanners_on_save = [\"evil\"]\n", "[lsp] scanners_on_save", id="scanner"),
    pytest.param("[lsp]\nlog_level = 5\n", "[lsp] log_level", id="type"),
    pytest.param("[debt]\nmarkers = []\n", "[debt] markers", id="empty"),
    pytest.param("[agents]\nmay_decide = \"yes\"\n", "[agents] may_decide", id="bool"),
    pytest.param("[lsp]\ncolour = 1\n", "[lsp] colour", id="unknown-key"),
    pytest.param("[paint]\nx = 1\n", "[paint]", id="unknown-section"),
    pytest.param("lsp = 1\n", "[lsp]", id="not-a-table"),
    pytest.param("[lsp\n", "invalid TOML", id="toml"),
    pytest.param("x = " + "[" * 5000 + "]" * 5000 + "\n", "config.toml", id="deep"),
])
def test_bad_values_are_named_problems_and_defaults(workspace: Workspace, text: str, named: str) -> None:
    commit(workspace, text)
    config = load_project_config(workspace)
    assert len(config.problems) == 1, config.problems
    assert named in str(config.problems[0]) and ".teamlore/config.toml" in str(config.problems[0])
    assert config.lsp == type(config.lsp)() and config.debt.markers == DEFAULT_MARKERS


def test_invalid_utf8_is_a_problem(workspace: Workspace) -> None:
    workspace.ensure_store()
    (workspace.store / "config.toml").write_bytes(b"[lsp]\nlog_level = \"\xff\"\n")
    assert "UTF-8" in str(load_project_config(workspace).problems[0])


def test_oversized_file_is_not_read(workspace: Workspace) -> None:
    commit(workspace, "# " + "x" * 400_000 + "\n")
    assert "too large" in str(load_project_config(workspace).problems[0])


@pytest.mark.parametrize("target", ["/dev/zero", "/dev/stdin", "fifo"])
def test_special_files_never_block_or_exhaust_memory(workspace: Workspace, target: str) -> None:
    workspace.ensure_store()
    path = workspace.store / "config.toml"
    if target == "fifo":
        os.mkfifo(path)
    else:
        os.symlink(target, path)
    result: list[object] = []
    thread = threading.Thread(target=lambda: result.append(load_project_config(workspace)), daemon=True)
    started = time.monotonic()
    thread.start()
    thread.join(10)
    assert not thread.is_alive(), f"reading a config.toml that is {target} blocked"
    assert time.monotonic() - started < 10
    config = result[0]
    assert config.problems and config.lsp == type(config.lsp)()  # type: ignore[attr-defined]


def test_symlinked_config_is_not_followed(workspace: Workspace, tmp_path: Path) -> None:
    outside = tmp_path / "outside.toml"
    outside.write_text("[lsp]\nmatch_threshold = 0.3\n")
    workspace.ensure_store()
    os.symlink(outside, workspace.store / "config.toml")
    config = load_project_config(workspace)
    assert config.lsp.match_threshold is None and "symbolic link" in str(config.problems[0])


def test_unreadable_consent_file_allows_nothing(workspace: Workspace) -> None:
    commit(workspace, GATED_TOML)
    allow_repository(workspace)
    (trust.user_config_dir() / trust.ALLOWED_NAME).write_text("{not json")
    assert load_project_config(workspace).sync.redis_url is None


def test_every_key_is_documented_in_the_readme() -> None:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("### Project settings"):]
    table = section[section.index("| section | key |"):].split("\n\n")[0]
    documented = {tuple(cell.strip(" `[]") for cell in line.split("|")[1:3]) for line in table.splitlines()[2:]}
    assert documented == {(k.section, k.name) for k in KEYS}
