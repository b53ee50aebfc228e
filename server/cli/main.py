"""Entry point of the ``teamlore`` command.

Each module in :mod:`server.cli.commands` adds its sub-commands through a
``register(subparsers)`` function and sets ``func(ctx) -> int`` on its parsers.
A run imports only the module of the command it runs: :data:`COMMANDS` names every
command, its module and its one-line help, so the others are declared without importing
them (``teamlore --help`` lists them all the same).
"""

from __future__ import annotations

import argparse
import importlib
import logging
import pkgutil
import sys
import textwrap
from collections.abc import Collection, Sequence
from typing import Any, NoReturn

from memory_store import __version__
from memory_store.config import load_project_config
from memory_store.jsonio import MemoryFileError
from memory_store.workspace import UnsafePathError, Workspace
from server.cli import commands
from server.cli.common import EXIT_CODES, CliError, Context, examples
from server.text_safety import TerminalSafeFormatter, terminal_text


class _HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Descriptions wrapped to the terminal; indented lines (examples, tables) kept as written."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        paragraphs = []
        for para in text.split("\n\n"):
            lines = para.splitlines()
            if len(lines) > 1 and any(line.startswith(" ") for line in lines):
                paragraphs.append("\n".join(indent + line for line in lines))
            else:
                paragraphs.append(textwrap.fill(" ".join(lines), width, initial_indent=indent,
                                                subsequent_indent=indent))
        return "\n\n".join(paragraphs)


class _Parser(argparse.ArgumentParser):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", _HelpFormatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:  # one line, exit 2
        self.exit(2, f"teamlore: error: {message}\n")


ROOT_HELP = "workspace root (default: TEAMLORE_ROOT or the enclosing git repository)"


def _exit_code_epilog() -> str:
    width = max(len(code) for code, _ in EXIT_CODES)
    rows = "\n".join(textwrap.fill(meaning.replace("`", ""), 79, initial_indent=f"  {code:<{width}}  ",
                                   subsequent_indent=" " * (width + 4)) for code, meaning in EXIT_CODES)
    return (examples("teamlore init", "teamlore bugs match --error err.txt", "teamlore run -- pytest -x",
                     "teamlore bugs list --root ../other-repo --json")
            + "\n\nexit codes:\n" + rows
            + "\n\nNO_COLOR=1 (or output to a pipe): no colours. teamlore COMMAND --help: more.")


COMMANDS: tuple[tuple[str, str, str], ...] = (
    # (command, its module in server.cli.commands, its help in `teamlore --help`), in that list's order
    ("allow", "allow", "allow this repository's committed settings that connect, run programs or leave the repository"),
    ("deny", "allow", "withdraw the consent given with `teamlore allow` for this repository"),
    ("bugs", "bugs", "remembered errors and their fixes"),
    ("debt", "debt", "technical-debt markers: scan, history, forecast"),
    ("demo", "demo", "show the whole loop on sample data in a throwaway workspace"),
    ("doctor", "doctor", "check every memory file and setting; list the unusable ones"),
    ("import-empathy", "import_empathy", "import the memory of empathy-framework (its patterns/ directory)"),
    ("init", "init", "set up this repository so git merges memory records without conflicts"),
    ("merge-file", "init", "git merge driver: merge three versions of one memory record"),
    ("merge-resolve", "init", "resolve the conflicted memory files of a merge made without the merge driver"),
    ("lsp", "lsp", "run the language server (stdio; --tcp for debugging)"),
    ("mcp", "mcp", "serve the memory to AI agents over MCP (stdio)"),
    ("run", "run", "run a command transparently and capture its errors for teamlore"),
    ("security", "security", "security findings and the team's triage decisions"),
    ("sync", "sync", "share new records with teammates over Redis (optional)"),
)
"""Every command as its module registers it (a test keeps the two equal)."""


def _subparsers(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    return [p for action in parser._actions if isinstance(action, argparse._SubParsersAction)
            for p in dict.fromkeys(action.choices.values())]


def _accept_root_everywhere(parser: argparse.ArgumentParser,
                            unloaded: Collection[argparse.ArgumentParser] = ()) -> None:
    """``--root DIR`` after any sub-command too (``teamlore bugs list --root X``); an
    ``unloaded`` command keeps taking anything."""
    for child in _subparsers(parser):
        if child in unloaded:
            continue
        child.formatter_class = _HelpFormatter  # one help layout, whatever a command asked for
        if "--root" not in child._option_string_actions:
            child.add_argument("--root", metavar="DIR", default=argparse.SUPPRESS, help=ROOT_HELP)
        _accept_root_everywhere(child)


def _register(sub: argparse._SubParsersAction, module_name: str) -> None:
    importlib.import_module(f"{commands.__name__}.{module_name}").register(sub)


def build_parser(only: Collection[str] | None = None) -> argparse.ArgumentParser:
    """The whole command tree; with ``only``, the modules of those commands are imported and
    the other commands are only named (with their help), taking any arguments."""
    parser = _Parser(prog="teamlore", description="A team's memory of past fixes and triage decisions.",
                     epilog=_exit_code_epilog())
    parser.add_argument("--version", action="version", version=f"teamlore {__version__}")
    parser.add_argument("--root", metavar="DIR", help=ROOT_HELP)
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more logging on stderr")
    parser.add_argument("--log-file", metavar="FILE", help="also write logs to FILE")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    unloaded = []
    if only is None:
        for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
            _register(sub, info.name)
    else:
        wanted = {module for name, module, _ in COMMANDS if name in only}
        for name, module, help_text in COMMANDS:
            if module in wanted:
                if name not in sub.choices:
                    _register(sub, module)
            else:
                unloaded.append(sub.add_parser(name, help=help_text, add_help=False))
    _accept_root_everywhere(parser, unloaded)
    return parser


def _parse(argv: Sequence[str] | None) -> tuple[argparse.ArgumentParser, argparse.Namespace]:
    """Parse with only the chosen command's module imported: a first pass with no command
    module finds which command it is (errors and help of the top level are the same)."""
    light = build_parser(only=())
    first, _ = light.parse_known_args(argv)
    parser = build_parser(only=(first.command,)) if first.command else light
    return parser, parser.parse_args(argv)


def _setup_logging(args: argparse.Namespace) -> None:
    level = logging.WARNING - 10 * min(args.verbose, 2)
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if args.log_file:
        try:
            handlers.append(logging.FileHandler(args.log_file, encoding="utf-8"))
        except OSError as exc:
            raise CliError(f"--log-file: {_os_error_text(exc)}") from None
    formatter = TerminalSafeFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    for handler in handlers:
        handler.setFormatter(formatter)
    logging.basicConfig(level=level, handlers=handlers)


_OWN_CONFIG_REPORT = {"allow", "deny", "lsp", "mcp", "demo", "doctor", "merge-file", "merge-resolve"}
"""Commands that report the project's settings their own way (or work in their own directory)."""


def _report_project_config(workspace: Workspace) -> None:
    """One stderr line per unusable setting, and one for committed settings awaiting consent."""
    config = load_project_config(workspace)
    for problem in config.problems:
        print(f"teamlore: warning: {terminal_text(problem)}", file=sys.stderr)
    notice = config.withheld_notice()
    if notice:
        print(f"teamlore: {notice}", file=sys.stderr)


def _os_error_text(exc: OSError) -> str:
    """``<path>: <reason>`` of a failed file operation (the path shown escaped)."""
    reason = exc.strerror or str(exc)
    names = [str(n) for n in (exc.filename, exc.filename2) if n is not None]
    return terminal_text(": ".join([" -> ".join(names), reason] if names else [reason]))


def main(argv: Sequence[str] | None = None) -> int:
    parser, args = _parse(argv)
    try:
        _setup_logging(args)
    except CliError as exc:
        print(f"teamlore: error: {exc}", file=sys.stderr)
        return exc.exit_code
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help(sys.stderr)
        return 2
    try:
        if args.root:
            from pathlib import Path

            if not Path(args.root).is_dir():
                raise CliError(f"--root: not a directory: {args.root}")
        from memory_store.sync import hooks as sync_hooks

        sync_hooks.install()
        ctx = Context(args=args, workspace=Workspace.find(args.root))
        if args.command not in _OWN_CONFIG_REPORT:
            _report_project_config(ctx.workspace)
        return int(func(ctx) or 0)
    except CliError as exc:
        print(f"teamlore: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except UnsafePathError as exc:
        print(f"teamlore: error: {exc}", file=sys.stderr)
        return 2
    except MemoryFileError as exc:
        print(f"teamlore: error: unreadable memory file: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
    except OSError as exc:  # the memory or a file named on the command line: read-only, full, missing...
        print(f"teamlore: error: {_os_error_text(exc)}", file=sys.stderr)
        return 2
    except RecursionError:  # a parser missed by the input caps; still one line
        print("teamlore: error: input nested too deeply", file=sys.stderr)
        return 2
    except MemoryError:
        print("teamlore: error: out of memory (input too large?)", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
