"""Columns in the negotiated position encoding (utf-16 for VS Code, utf-8 for Neovim 0.11).

Memory code works with Python ``str`` offsets; everything sent to the client goes
through these helpers. Reading a file's line is blocking: call from a worker thread.
"""

from __future__ import annotations

from pathlib import Path

from lsprotocol import types
from pygls.workspace import PositionCodec

MAX_LINE_CHARS = 100_000
_PIECE_CHARS = 1 << 16


def line_of_file(path: Path, line: int) -> str:
    """Line ``line`` (0-based) of a file on disk, '' when missing, unreadable or not a regular
    file (a named pipe would block the reader). The file may come with a clone: lines are
    read in bounded pieces, so a huge line costs time, never memory."""
    try:
        if not path.is_file():
            return ""
        with open(path, encoding="utf-8", errors="replace") as fh:
            no = 0
            while no < line:
                piece = fh.readline(_PIECE_CHARS)
                if not piece:
                    return ""
                no += piece.endswith("\n")
            text = fh.readline(MAX_LINE_CHARS + 2)
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
