"""Settings: layering, camelCase/snake_case, validation with the field named, defaults."""

from __future__ import annotations

from pathlib import Path

import pytest

from memory_store.config import allow_repository, load_project_config
from memory_store.workspace import Workspace
from server.lsp.settings import Settings, camel, project_layer, resolve, section_of, snake


def test_defaults_need_no_settings():
    resolved = resolve([("initializationOptions", None)])
    assert resolved.settings == Settings()
    assert not resolved.problems and not resolved.unknown


def test_layers_later_wins_and_names_convert():
    resolved = resolve([
        ("config.toml", {"match_threshold": 0.5, "debt_hints": True, "scanners_on_save": ["ruff"]}),
        ("workspace/configuration", {"matchThreshold": 0.6, "showSuppressed": True}),
        ("initializationOptions", {"matchThreshold": 0.8}),
    ])
    s = resolved.settings
    assert (s.match_threshold, s.debt_hints, s.show_suppressed, s.scanners_on_save) == (0.8, True, True, ("ruff",))
    assert camel("scanners_on_save") == "scannersOnSave" and snake("scannersOnSave") == "scanners_on_save"
    assert s.to_json()["scannersOnSave"] == ["ruff"]


@pytest.mark.parametrize(("key", "value", "field"), [
    pytest.param("matchThreshold", 1.5, "matchThreshold", id="threshold-out-of-range"),
    pytest.param("matchThreshold", "high", "matchThreshold", id="threshold-not-number"),
    pytest.param("scannersOnSave", ["bandit", "nosuch"], "scannersOnSave", id="unknown-scanner"),
    pytest.param("debtHints", "yes", "debtHints", id="bool-as-string"),
    pytest.param("redisUrl", "http://example.org", "redisUrl", id="redis-scheme"),
    pytest.param("logLevel", "loud", "logLevel", id="log-level"),
])
def test_bad_value_named_and_default_kept(key, value, field):
    resolved = resolve([("initializationOptions", {key: value})])
    assert resolved.settings == Settings()
    (problem,) = resolved.problems
    assert problem.key == f"'{field}'" and "initializationOptions" in problem.source
    assert f"'{field}'" in str(problem) and "using the default" in str(problem)


def test_bad_value_in_higher_layer_falls_back_to_default_not_lower_layer():
    resolved = resolve([("config.toml", {"match_threshold": 0.5}), ("initializationOptions", {"matchThreshold": -1})])
    assert resolved.settings.match_threshold is None and resolved.problems


def test_unknown_keys_reported():
    resolved = resolve([("workspace/configuration", {"matchThreshhold": 0.5})])
    assert resolved.unknown == ["matchThreshhold (workspace/configuration)"]


def test_section_of_accepts_nested_or_flat():
    assert section_of({"teamlore": {"debtHints": True}}) == {"debtHints": True}
    assert section_of({"debtHints": True, "python": {}}) == {"debtHints": True}
    assert section_of(None) == {} and section_of([1]) == {}


def test_project_layer_holds_committed_values_and_gated_ones_once_allowed(tmp_path: Path):
    ws = Workspace(tmp_path)
    (tmp_path / ".teamlore").mkdir()
    assert project_layer(load_project_config(ws)) == {}
    (ws.store / "config.toml").write_text('[lsp]\nmatch_threshold = 0.9\n[sync]\nredis_url = "redis://h:6379"\n')
    assert project_layer(load_project_config(ws)) == {"match_threshold": 0.9}
    allow_repository(ws)
    assert project_layer(load_project_config(ws)) == {"match_threshold": 0.9, "redis_url": "redis://h:6379"}
    assert project_layer(load_project_config(ws, restricted=True)) == {"match_threshold": 0.9}
    (ws.store / "config.toml").write_text("[lsp\n")
    config = load_project_config(ws)
    assert project_layer(config) == {} and "config.toml" in str(config.problems[0])


def test_readme_settings_table_lists_every_setting():
    """The settings are written down once (``Settings``); the README table must not drift."""
    from dataclasses import fields

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## The language server"):]
    table = section[section.index("| setting | default | meaning |"):].split("\n\n")[0]
    documented = {line.split("`")[1] for line in table.splitlines()[2:]}
    assert documented == {camel(f.name) for f in fields(Settings)}
