"""Columns in the negotiated position encoding (utf-16 for VS Code, utf-8 for Neovim 0.11).

Memory code works with Python ``str`` offsets; everything sent to the client goes
through these helpers. Reading a file's line is blocking: call from a worker thread.
"""

from __future__ import annotations

import itertools
from pathlib import Path

from lsprotocol import types
from pygls.workspace import PositionCodec

MAX_LINE_CHARS = 100_000


def line_of_file(path: Path, line: int) -> str:
    """Line ``line`` (0-based) of a file on disk, '' when missing or unreadable."""
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            text = next(itertools.islice(fh, line, line + 1), "")
    except OSError:
        return ""
    return text.rstrip("\r\n")[:MAX_LINE_CHARS]


def client_column(codec: PositionCodec, line_text: str, character: int) -> int:
    return codec.client_num_units(line_text[:character])


def line_range(codec: PositionCodec, line: int, line_text: str) -> types.Range:
    """The text of a line without its indentation, in client units."""
    stripped = line_text.rstrip()
    start = len(stripped) - len(stripped.lstrip())
    return types.Range(start=types.Position(line=line, character=client_column(codec, stripped, start)),
                       end=types.Position(line=line, character=codec.client_num_units(stripped)))
