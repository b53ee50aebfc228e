"""What every CLI command shares: the context, errors, JSON output and argument helpers.

Printed text goes through the consoles of :mod:`server.cli.console` (``ctx.out``,
``ctx.err``, ``ctx.table``), which show untrusted text literally; they and rich are imported
when a command first prints text, so JSON output starts without them. JSON output stays
raw data (escaped as JSON).
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from memory_store.jsonio import MAX_INPUT_BYTES, MemoryFileError, read_bounded
from memory_store.workspace import Workspace
from server.text_safety import terminal_text

if TYPE_CHECKING:
    from rich.console import Console

T = TypeVar("T")


class CliError(Exception):
    """A user error: printed as one line on stderr, exit code 2, nothing written."""

    exit_code = 2

    def __str__(self) -> str:  # messages may quote untrusted text (a record's field, a file name)
        return terminal_text(super().__str__())


_JSON_UNSAFE = re.compile("[\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
"""Characters ``json.dumps(ensure_ascii=False)`` leaves raw that a terminal or a viewer acts on."""


@dataclass
class Context:
    args: argparse.Namespace
    workspace: Workspace

    @cached_property
    def out(self) -> Console:
        from server.cli.console import safe_console

        return safe_console()

    @cached_property
    def err(self) -> Console:
        from server.cli.console import safe_console

        return safe_console(stderr=True)

    @property
    def json(self) -> bool:
        return bool(getattr(self.args, "json", False))

    def emit_json(self, obj: Any) -> None:
        """``obj`` as one line of JSON; control and bidi characters in strings are written as
        ``\\uXXXX`` escapes (the same data, nothing a terminal acts on)."""
        text = json.dumps(obj, ensure_ascii=False, sort_keys=False)
        sys.stdout.write(_JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text) + "\n")
        sys.stdout.flush()

    def table(self, title: str | None, columns: Sequence[str], rows: Iterable[Sequence[Any]],
              show_lines: bool = False) -> None:
        """A table of values shown literally (see :func:`server.cli.console.print_table`)."""
        from server.cli.console import print_table

        print_table(self.out, title, columns, rows, show_lines=show_lines)

    def progress(self, items: Sequence[T] | Iterable[T], description: str, total: int | None = None) -> Iterator[T]:
        """Iterate with a progress bar on stderr (hidden when stderr is not a terminal)."""
        from server.cli.console import progress

        if total is None and hasattr(items, "__len__"):
            total = len(items)  # type: ignore[arg-type]
        return progress(self.err, items, description, total)


_CONSOLE_NAMES = {"literal", "print_table", "safe_console", "colour_wanted"}
"""Names this module had before printing moved to :mod:`server.cli.console`."""


def __getattr__(name: str) -> Any:
    """``literal``, ``print_table``, ``safe_console``, ``colour_wanted`` of
    :mod:`server.cli.console`, imported (with rich) on first use."""
    if name in _CONSOLE_NAMES:
        from server.cli import console

        return getattr(console, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def read_text_arg(value: str, what: str = "input", max_bytes: int = MAX_INPUT_BYTES) -> str:
    """Read ``FILE`` or ``-`` (stdin) as UTF-8 text, at most ``max_bytes``, with a clear error."""
    if value == "-":
        data = sys.stdin.buffer.read(max_bytes + 1)
        name = "<stdin>"
        if len(data) > max_bytes:
            raise CliError(f"{what} on stdin is too large (more than {max_bytes} bytes)")
    else:
        path = Path(value)
        if not path.is_file():
            raise CliError(f"{what} file not found: {value}")
        try:
            data = read_bounded(path, max_bytes)
        except MemoryFileError as exc:
            raise CliError(f"{what} file {exc}") from None
        name = value
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CliError(f"{what} {name} is not UTF-8 text (byte {exc.start})") from None


def positive_int(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {value!r}") from None
    if n < 1:
        raise argparse.ArgumentTypeError(f"expected a number >= 1, got {n}")
    return n


def non_negative_float(value: str) -> float:
    try:
        n = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {value!r}") from None
    if not math.isfinite(n) or n < 0:
        raise argparse.ArgumentTypeError(f"expected a finite number >= 0, got {value}")
    return n


MAX_LISTED = 20
"""An error listing shows this many lines, then how many more there were."""


class ProblemList:
    """The problems found in an input: counts them all, keeps the first :data:`MAX_LISTED`."""

    def __init__(self, limit: int = MAX_LISTED):
        self.limit = limit
        self.shown: list[str] = []
        self.count = 0

    def add(self, problem: str) -> None:
        self.count += 1
        if len(self.shown) < self.limit:
            self.shown.append(problem)

    def extend(self, problems: Iterable[str]) -> None:
        for problem in problems:
            self.add(problem)

    def __bool__(self) -> bool:
        return self.count > 0

    def failure(self, err: Console, subject: str, consequence: str) -> CliError:
        """The error to raise. One problem is the error line itself; several are listed on
        ``err`` (the first :data:`MAX_LISTED`, then "... and N more") before a summary line."""
        if self.count == 1:
            return CliError(f"{subject}: {self.shown[0]}; {consequence}")
        for problem in self.shown:
            err.print(f"{subject}: {problem}")
        if self.count > len(self.shown):
            err.print(f"... and {self.count - len(self.shown)} more")
        return CliError(f"{self.count} problems in {subject}; {consequence}")


# --- help conventions ------------------------------------------------------------------

JSON_HELP = "print machine-readable JSON instead of text"

EXIT_CODES: tuple[tuple[str, str], ...] = (
    ("0", "success (`bugs match --exit-code`: a confident match was found)"),
    ("1", "a check answered no: `doctor` found problems, `bugs match --exit-code` found no confident "
          "match, `sync status` cannot reach the configured server or its settings are unusable, "
          "`merge-file`/`merge-resolve` left conflicts, `security scan`: every scanner failed"),
    ("2", "usage error or unusable input (bad arguments, unreadable file, unknown id, no workspace); "
          "one line on stderr, nothing written"),
    ("126, 127", "`teamlore run`: the command cannot be executed / was not found (otherwise `run` "
                 "exits with the command's own code)"),
    ("130", "interrupted (Ctrl-C)"),
)
"""The exit codes of every command: shown by ``teamlore --help`` and in the README."""


def examples(*lines: str) -> str:
    """An argparse epilog: ``examples:`` then one indented command line each."""
    return "examples:\n" + "\n".join(f"  {line}" for line in lines)


def add_json_flag(parser: argparse.ArgumentParser, help: str = JSON_HELP) -> None:
    parser.add_argument("--json", action="store_true", help=help)
