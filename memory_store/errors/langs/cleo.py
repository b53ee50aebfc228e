"""Python command-line tools built on cleo (Poetry): an exception is printed as its class name
alone on a line, its message, and where it was raised::

      SolverProblemError

      Because myproj depends on requests (^3.0) which doesn't match any versions, version solving failed.

      at ~/.poetry/lib/poetry/puzzle/solver.py:241 in _solve
          237│             packages = result.packages

The class is the type, the message lines are the message, the ``at path:line in function``
line is the raising frame. All three must be there: a word alone on a line is often a heading.
"""

from __future__ import annotations

import re
from pathlib import Path

from memory_store.errors.frames import make_frame
from memory_store.errors.langs.common import Candidate, Found, Priority, error, walk

MARKERS = ("  at ",)
"""Substrings one of which an output holds when this parser can find anything in it."""

_NAME = re.compile(r"^(?P<type>[A-Z][A-Za-z0-9]*(?:\.[A-Za-z_]\w*)*)$")
_AT = re.compile(r"^at (?P<path>\S+?):(?P<line>\d+) in (?P<func>[\w.<>]+)$")
_CLASS_WORD = re.compile(r"(?:Error|Exception|Warning|Exit|NotFound|Locked|Failure|Failed|Invalid\w*)$")
MAX_MESSAGE_LINES = 10


def _class_name(name: str) -> bool:
    """An exception class, not a heading: CamelCase (two capitals or more) or a class suffix."""
    short = name.rsplit(".", 1)[-1]
    return sum(ch.isupper() for ch in short) >= 2 or bool(_CLASS_WORD.search(short))


def find(lines: list[str], root: Path | None) -> list[Candidate]:
    return walk(lines, lambda i, s: _step(lines, i, s, root))


def _step(lines: list[str], i: int, s: str, root: Path | None) -> Candidate | Found | None:
    m = _NAME.match(s)
    if m is None or not _class_name(m.group("type")) or (i > 0 and lines[i - 1].strip()):
        return None
    n = len(lines)
    j = i + 1
    while j < n and not lines[j].strip():
        j += 1
    message: list[str] = []
    while j < n and lines[j].strip() and len(message) < MAX_MESSAGE_LINES and not _AT.match(lines[j].strip()):
        message.append(lines[j].strip())
        j += 1
    while j < n and not lines[j].strip():
        j += 1
    at = _AT.match(lines[j].strip()) if j < n else None
    if at is None or not message:
        return None
    frame = make_frame(at.group("path"), int(at.group("line")), at.group("func"), root)
    found = error(m.group("type"), " ".join(message), "python", frames=[frame])
    return Candidate(Priority.EXCEPTION, i, found, end=j), j + 1
