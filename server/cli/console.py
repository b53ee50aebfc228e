"""What the CLI prints with rich: consoles that show untrusted text literally, tables, progress.

Text shown by the CLI is mostly untrusted (records, decisions, findings and snapshots come
from the repository or from sync), so the consoles here never read rich markup in what they
print unless a caller passes ``markup=True`` for its own styling, and every printed segment
passes through :func:`server.text_safety.terminal_text`: no command needs to escape anything
itself. This module (and rich, about 90 modules) is imported only when a command prints
text: JSON output (:meth:`server.cli.common.Context.emit_json`) needs neither.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, TypeVar

from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, ConsoleRenderable, RenderHook, RenderResult
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.segment import Segment
from rich.table import Table
from rich.text import Text

from server.text_safety import terminal_text

T = TypeVar("T")


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


def progress(err: Console, items: Iterable[T], description: str, total: int | None) -> Iterator[T]:
    """Iterate with a progress bar on ``err`` (hidden when it is not a terminal)."""
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeRemainingColumn(), console=err, transient=True, disable=not err.is_terminal) as bar:
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
