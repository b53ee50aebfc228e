"""Help follows one convention on every command: help text on every option and positional,
an examples epilog, COMMAND as the sub-command placeholder, --root after any sub-command,
--json where a table is printed, and the exit codes in ``teamlore --help``."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from server.cli.common import EXIT_CODES
from server.cli.main import build_parser
from tests.cli.conftest import git_repo, teamlore

NO_TABLE = {"lsp", "mcp", "run", "demo", "sync run"}
"""Commands that print no table (a server, a wrapped command, a walk-through, a follower)."""


def _tree(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()) \
        -> list[tuple[tuple[str, ...], argparse.ArgumentParser]]:
    found = [(path, parser)]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                found += _tree(child, (*path, name))
    return found


PARSERS = _tree(build_parser())
COMMANDS = [(path, p) for path, p in PARSERS if path]
LEAVES = [(path, p) for path, p in COMMANDS
          if not any(isinstance(a, argparse._SubParsersAction) for a in p._actions)]


def _ids(items: list[tuple[tuple[str, ...], argparse.ArgumentParser]]) -> list[str]:
    return [" ".join(path) for path, _ in items]


def test_the_tree_holds_every_command() -> None:
    names = set(_ids(LEAVES))
    assert {"bugs add", "bugs match", "security decide", "security policy add", "debt report", "sync status",
            "init", "run", "demo", "doctor"} <= names


@pytest.mark.parametrize(("path", "parser"), PARSERS, ids=["teamlore", *_ids(COMMANDS)])
def test_every_option_and_positional_has_help(path: tuple[str, ...], parser: argparse.ArgumentParser) -> None:
    missing = [a.option_strings[0] if a.option_strings else a.dest for a in parser._actions
               if not isinstance(a, argparse._SubParsersAction) and not (a.help or "").strip()]
    assert not missing, f"teamlore {' '.join(path)}: no help for {missing}"


@pytest.mark.parametrize(("path", "parser"), COMMANDS, ids=_ids(COMMANDS))
def test_every_command_has_an_examples_epilog(path: tuple[str, ...], parser: argparse.ArgumentParser) -> None:
    epilog = parser.epilog or ""
    assert epilog.startswith(("examples:", "example:")), f"teamlore {' '.join(path)}: no examples"
    assert "teamlore " in epilog
    assert "examples:" in parser.format_help()
    assert all(len(line) <= 80 for line in epilog.splitlines()), "examples fit an 80-column terminal"


@pytest.mark.parametrize(("path", "parser"), PARSERS, ids=["teamlore", *_ids(COMMANDS)])
def test_sub_command_placeholder_is_command(path: tuple[str, ...], parser: argparse.ArgumentParser) -> None:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            assert action.metavar == "COMMAND", f"teamlore {' '.join(path)}: {action.metavar}"


@pytest.mark.parametrize(("path", "parser"), COMMANDS, ids=_ids(COMMANDS))
def test_root_is_accepted_after_every_sub_command(path: tuple[str, ...], parser: argparse.ArgumentParser) -> None:
    assert "--root" in parser._option_string_actions


TABLE_LEAVES = [(path, p) for path, p in LEAVES if " ".join(path) not in NO_TABLE]


@pytest.mark.parametrize(("path", "parser"), TABLE_LEAVES, ids=_ids(TABLE_LEAVES))
def test_json_on_every_command_that_prints_a_table(path: tuple[str, ...], parser: argparse.ArgumentParser) -> None:
    assert "--json" in parser._option_string_actions, f"teamlore {' '.join(path)} has no --json"


def test_top_level_help_lists_every_exit_code() -> None:
    text = build_parser().format_help()
    section = text.split("exit codes:", 1)[1]
    for code, _ in EXIT_CODES:
        assert f"\n  {code} " in section


def test_the_readme_shows_the_same_exit_code_table() -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    for code, meaning in EXIT_CODES:
        assert f"| {code} | {meaning} |" in readme


def test_root_after_the_sub_command_selects_the_workspace(tmp_path: Path) -> None:
    repo = git_repo(tmp_path / "repo")
    (repo / "err.txt").write_text("KeyError: 'user_id'\n")
    added = teamlore("bugs", "add", "--error", "err.txt", "--fix", "check the key", "--json", cwd=repo)
    assert added.returncode == 0, added.stderr
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    listed = teamlore("bugs", "list", "--root", str(repo), "--json", cwd=elsewhere)
    assert listed.returncode == 0, listed.stderr
    assert [b["id"] for b in json.loads(listed.stdout)["bugs"]] == [json.loads(added.stdout)["id"]]
    before = teamlore("--root", str(repo), "bugs", "list", "--json", cwd=elsewhere)
    assert before.stdout == listed.stdout
