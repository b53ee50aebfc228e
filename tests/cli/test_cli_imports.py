"""A command imports what it runs and nothing else: the other commands' modules, sync
publishing and rich stay unloaded by ``teamlore bugs match --json``, while help and usage
errors read exactly as when every command module is loaded."""

from __future__ import annotations

import argparse
import importlib
import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

from server.cli import commands
from server.cli.main import COMMANDS, build_parser, main
from tests.cli.conftest import WIDTH, teamlore

ERROR = """Traceback (most recent call last):
  File "app/main.py", line 3, in <module>
    import requests
ModuleNotFoundError: No module named 'requests'
"""

UNNEEDED_BY_MATCH = (
    "server.cli.commands.allow", "server.cli.commands.debt", "server.cli.commands.demo",
    "server.cli.commands.doctor", "server.cli.commands.import_empathy", "server.cli.commands.init",
    "server.cli.commands.lsp", "server.cli.commands.mcp", "server.cli.commands.run",
    "server.cli.commands.security", "server.cli.commands.sync", "server.cli.demo_steps",
    "memory_store.debt", "memory_store.security", "memory_store.seed_import", "memory_store.doctor",
    "memory_store.merge", "memory_store.inbox", "memory_store.bugs.capture",
    "memory_store.sync.outbox", "memory_store.sync.stream", "memory_store.sync.apply", "memory_store.sync.status",
    "redis", "pygls", "mcp",
)
"""Modules (and their submodules) that ``bugs match`` has no use for."""

TEXT_ONLY = ("rich", "server.cli.console")
"""Loaded only when text is printed; JSON output needs neither."""

PROBE = """
import json, sys
from server.cli.main import main
try:
    code = main(sys.argv[2:])
except SystemExit as exc:
    code = exc.code
with open(sys.argv[1], "w", encoding="utf-8") as out:
    json.dump(sorted(sys.modules), out)
sys.exit(code)
"""


def _loaded(tmp_path: Path, *args: str, stdin: str = "") -> tuple[subprocess.CompletedProcess[str], set[str]]:
    """Run the CLI's entry point in a new interpreter; its output and the modules it had loaded."""
    listing = tmp_path / "modules.json"
    proc = subprocess.run([sys.executable, "-c", PROBE, str(listing), *args], input=stdin, capture_output=True,
                          text=True, timeout=120, check=False)
    return proc, set(json.loads(listing.read_text(encoding="utf-8")))


def _present(modules: set[str], names: tuple[str, ...]) -> list[str]:
    return sorted(m for m in modules for name in names if m == name or m.startswith(name + "."))


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """A workspace remembering one fix for :data:`ERROR`."""
    root = tmp_path / "ws"
    (root / ".teamlore").mkdir(parents=True)
    err = tmp_path / "err.txt"
    err.write_text(ERROR, encoding="utf-8")
    out = teamlore("bugs", "add", "--error", str(err), "--fix", "add requests to requirements.txt",
                   cwd=tmp_path, root=root)
    assert out.returncode == 0, out.stderr
    return root


def test_bugs_match_json_imports_neither_other_commands_nor_sync_publishing_nor_rich(tmp_path, workspace):
    proc, modules = _loaded(tmp_path, "--root", str(workspace), "bugs", "match", "--error", "-", "--json",
                            stdin=ERROR)
    assert proc.returncode == 0, proc.stderr
    matches = json.loads(proc.stdout)["matches"]
    assert matches and matches[0]["fix"] == "add requests to requirements.txt"  # the match really ran
    assert {"server.cli.commands.bugs", "memory_store.bugs.match"} <= modules
    assert _present(modules, UNNEEDED_BY_MATCH) == []
    assert _present(modules, TEXT_ONLY) == []


def test_bugs_match_as_text_loads_rich_to_print(tmp_path, workspace):
    proc, modules = _loaded(tmp_path, "--root", str(workspace), "bugs", "match", "--error", "-", stdin=ERROR)
    assert proc.returncode == 0, proc.stderr
    assert "past fixes for ModuleNotFoundError" in proc.stdout
    assert {"rich.console", "server.cli.console"} <= modules
    assert _present(modules, UNNEEDED_BY_MATCH) == []


def test_bugs_match_help_imports_only_the_bugs_command(tmp_path):
    proc, modules = _loaded(tmp_path, "bugs", "match", "--help")
    assert proc.returncode == 0 and "--error" in proc.stdout
    assert "server.cli.commands.bugs" in modules
    assert _present(modules, UNNEEDED_BY_MATCH + TEXT_ONLY) == []


def test_another_command_loads_its_own_module_and_not_bugs(tmp_path):
    proc, modules = _loaded(tmp_path, "--root", str(tmp_path), "security", "report", "--json")
    assert proc.returncode == 0, proc.stderr
    assert "server.cli.commands.security" in modules
    assert "server.cli.commands.bugs" not in modules


def _registered() -> list[tuple[str, str, str]]:
    """(command, module, help) as each command module registers them, in help order."""
    rows: list[tuple[str, str, str]] = []
    sub = argparse.ArgumentParser().add_subparsers()
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        importlib.import_module(f"{commands.__name__}.{info.name}").register(sub)
        known = {name for name, _, _ in rows}
        rows += [(action.dest, info.name, action.help or "") for action in sub._choices_actions
                 if action.dest not in known]
    return rows


def test_the_command_table_names_every_command_its_module_and_help():
    assert list(COMMANDS) == _registered()


def _command_paths(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = [path]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                found += _command_paths(child, (*path, name))
    return found


def _run(capsys: pytest.CaptureFixture[str], fn, *args) -> tuple[object, str, str]:
    try:
        code = fn(*args)
    except SystemExit as exc:
        code = exc.code
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.mark.parametrize("path", _command_paths(build_parser()), ids=lambda p: " ".join(p) or "teamlore")
def test_help_is_the_same_as_with_every_command_loaded(path, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", str(WIDTH))
    loaded = _run(capsys, build_parser().parse_args, [*path, "--help"])
    assert _run(capsys, main, [*path, "--help"]) == loaded
    assert loaded[0] == 0 and "usage: teamlore" in loaded[1]


@pytest.mark.parametrize("argv", [["bogus"], ["bugs", "bogus"], ["--root"], ["bugs", "match", "--limit", "x"],
                                  ["--version"]], ids=" ".join)
def test_usage_errors_are_the_same_as_with_every_command_loaded(argv, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", str(WIDTH))
    loaded = _run(capsys, build_parser().parse_args, argv)
    assert _run(capsys, main, argv) == loaded
