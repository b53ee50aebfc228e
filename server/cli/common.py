"""What every CLI command shares: the context, errors, JSON output, tables and progress."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from memory_store.workspace import Workspace

T = TypeVar("T")


class CliError(Exception):
    """A user error: printed as one line on stderr, exit code 2, nothing written."""

    exit_code = 2


@dataclass
class Context:
    args: argparse.Namespace
    workspace: Workspace
    out: Console = field(default_factory=lambda: Console(soft_wrap=True, highlight=False))
    err: Console = field(default_factory=lambda: Console(stderr=True, soft_wrap=True, highlight=False))

    @property
    def json(self) -> bool:
        return bool(getattr(self.args, "json", False))

    def emit_json(self, obj: Any) -> None:
        sys.stdout.write(json.dumps(obj, ensure_ascii=False, sort_keys=False) + "\n")
        sys.stdout.flush()

    def table(self, title: str | None, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
        table = Table(title=title, show_lines=False, header_style="bold")
        for col in columns:
            table.add_column(col, overflow="fold")
        for row in rows:
            table.add_row(*("" if v is None else str(v) for v in row))
        self.out.print(table)

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


def read_text_arg(value: str, what: str = "input") -> str:
    """Read ``FILE`` or ``-`` (stdin) as UTF-8 text, with a clear error."""
    if value == "-":
        data = sys.stdin.buffer.read()
        name = "<stdin>"
    else:
        path = Path(value)
        if not path.is_file():
            raise CliError(f"{what} file not found: {value}")
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CliError(f"cannot read {what} file {value}: {exc.strerror}") from None
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
    if n < 0 or n != n:
        raise argparse.ArgumentTypeError(f"expected a number >= 0, got {value}")
    return n
