"""What every CLI command shares: the context, errors, JSON output, tables and progress.

Text shown by the CLI is mostly untrusted (records, decisions, findings and snapshots come
from the repository or from sync), so the consoles here never read rich markup in what they
print unless a caller passes ``markup=True`` for its own styling, and every printed segment
passes through :func:`server.text_safety.terminal_text`: no command needs to escape anything
itself. JSON output stays raw data (escaped as JSON).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import sys
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, ConsoleRenderable, RenderHook, RenderResult
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.segment import Segment
from rich.table import Table
from rich.text import Text

from memory_store.jsonio import MAX_INPUT_BYTES, MemoryFileError, read_bounded
from memory_store.workspace import Workspace
from server.text_safety import terminal_text

T = TypeVar("T")


class CliError(Exception):
    """A user error: printed as one line on stderr, exit code 2, nothing written."""

    exit_code = 2

    def __str__(self) -> str:  # messages may quote untrusted text (a record's field, a file name)
        return terminal_text(super().__str__())


class _TerminalSafe:
    """Renders its renderable with every text segment passed through :func:`terminal_text`
    (rich's own control segments, such as cursor moves of a progress bar, are kept)."""

    def __init__(self, renderable: ConsoleRenderable):
        self.renderable = renderable

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        for segment in console.render(self.renderable, options):
            if segment.control is None and segment.text:
                yield Segment(terminal_text(segment.text), segment.style)
            else:
                yield segment


class _TerminalSafeHook(RenderHook):
    def process_renderables(self, renderables: list[ConsoleRenderable]) -> list[ConsoleRenderable]:
        return [_TerminalSafe(r) for r in renderables]


class _SafeConsole(Console):
    def render_str(self, text: str, **kwargs: Any) -> Text:
        # before rich turns the string into text (it drops BEL, which ends an OSC sequence)
        return super().render_str(terminal_text(text), **kwargs)


def colour_wanted() -> bool:
    """False when ``NO_COLOR`` is set (https://no-color.org) or the terminal is ``dumb``."""
    return not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "dumb"


def safe_console(stderr: bool = False) -> Console:
    """A console that shows text literally: no rich markup unless ``markup=True`` is passed,
    no terminal control characters whatever is printed (strings, tables, text objects).
    Styles are written only to a terminal, and not at all under ``NO_COLOR``."""
    kwargs: dict[str, Any] = {} if colour_wanted() else {"color_system": None}
    console = _SafeConsole(stderr=stderr, soft_wrap=True, highlight=False, markup=False, **kwargs)
    console.push_render_hook(_TerminalSafeHook())
    return console


_JSON_UNSAFE = re.compile("[\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
"""Characters ``json.dumps(ensure_ascii=False)`` leaves raw that a terminal or a viewer acts on."""


@dataclass
class Context:
    args: argparse.Namespace
    workspace: Workspace
    out: Console = field(default_factory=safe_console)
    err: Console = field(default_factory=lambda: safe_console(stderr=True))

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
        """A table of values shown literally (see :func:`print_table`)."""
        print_table(self.out, title, columns, rows, show_lines=show_lines)

    def progress(self, items: Sequence[T] | Iterable[T], description: str, total: int | None = None) -> Iterator[T]:
        """Iterate with a progress bar on stderr (hidden when stderr is not a terminal)."""
        if total is None and hasattr(items, "__len__"):
            total = len(items)  # type: ignore[arg-type]
        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                      TimeRemainingColumn(), console=self.err, transient=True,
                      disable=not self.err.is_terminal) as bar:
            task = bar.add_task(description, total=total)
            for item in items:
                yield item
                bar.advance(task)


def literal(value: Any, style: str = "") -> Text:
    """``value`` as rich text shown exactly as written (no markup), without control characters."""
    return Text(terminal_text(value), style=style)


def _cell(value: Any) -> Text:
    if isinstance(value, Text):
        return value
    if value is None or value == ():
        return Text("")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return literal(value)


def _longest_word(text: Text) -> int:
    return max((cell_len(word) for word in text.plain.split()), default=0)


def _longest_line(text: Text) -> int:
    return max((cell_len(line) for line in text.plain.splitlines()), default=0)


READABLE_TEXT = 16
"""A column of text squeezed narrower than this (a few words a line) reads worse than a list."""

SHORT_COLUMN = 12
"""A column at most this wide is given its full width when there is room, so numbers, dates
and one-word headers never wrap while long text does."""


def _share_out(mins: list[int], maxs: list[int], room: int) -> list[int]:
    """Column widths from ``mins`` up to ``maxs`` within ``room``. Columns that want little
    (at most their fair share of the spare room, or short ones) get all they want, smallest
    want first; the long ones share what is left in proportion to what they still want."""
    widths = list(mins)
    spare = room - sum(mins)
    wants = [mx - mn for mn, mx in zip(mins, maxs, strict=True)]
    order = sorted(range(len(wants)), key=lambda i: wants[i])
    long_ones: list[int] = []
    for n, i in enumerate(order):
        if wants[i] <= spare and (wants[i] <= spare // (len(order) - n) or maxs[i] <= SHORT_COLUMN):
            widths[i] += wants[i]
            spare -= wants[i]
        else:
            long_ones.append(i)
    total = sum(wants[i] for i in long_ones)
    for i in long_ones:
        widths[i] += min(wants[i], spare * wants[i] // total) if total else 0
    left = room - sum(widths)
    for i in sorted(long_ones, key=lambda i: widths[i] - maxs[i]):  # the rounding's leftover
        give = min(left, maxs[i] - widths[i])
        widths[i] += give
        left -= give
    return widths


def print_table(console: Console, title: str | None, columns: Sequence[str], rows: Iterable[Sequence[Any]],
                show_lines: bool = False) -> None:
    """Print ``rows`` under ``columns`` without ever breaking a word: ids, fingerprints, paths
    and dotted names stay whole, so they can be double-clicked and pasted.

    Every column is at least as wide as its longest word; when the terminal is too narrow for
    that, or a text column would get only a few words a line, the rows are printed as a list
    instead (the first column as a heading, the others as ``name: value`` lines, like ``gh``).
    Columns empty in every row are left out, and ``None`` shows as nothing.
    """
    header = [literal(c) for c in columns]
    cells = [[_cell(v) for v in row] for row in rows]
    keep = [i for i in range(len(header)) if not cells or any(row[i].plain.strip() for row in cells)]
    header = [header[i] for i in keep]
    cells = [[row[i] for i in keep] for row in cells]
    if title is not None:
        console.print(literal(title, style="bold"))
    mins = [max([_longest_word(h)] + [_longest_word(row[i]) for row in cells]) for i, h in enumerate(header)]
    maxs = [max([_longest_line(h)] + [_longest_line(row[i]) for row in cells]) for i, h in enumerate(header)]
    room = console.width - (3 * len(header) + 1)  # borders and one space of padding each side
    widths = _share_out(mins, maxs, room) if sum(mins) <= room else []
    if not widths or any(w < READABLE_TEXT <= mx for w, mx in zip(widths, maxs, strict=True)):
        _print_list(console, header, cells)
        return
    table = Table(show_lines=show_lines, header_style="bold")
    for h, width in zip(header, widths, strict=True):
        table.add_column(h, width=max(1, width), overflow="fold")
    for row in cells:
        table.add_row(*row)
    console.print(table)


def _print_list(console: Console, header: list[Text], cells: list[list[Text]]) -> None:
    for n, row in enumerate(cells):
        if n:
            console.print()
        console.print(row[0] if row[0].plain else Text("-"))
        for name, value in zip(header[1:], row[1:], strict=True):
            if value.plain.strip():
                line = Text("  ") + Text(name.plain, style="bold") + Text(": ") + value
                console.print(Text("\n    ").join(line.split("\n")))


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
