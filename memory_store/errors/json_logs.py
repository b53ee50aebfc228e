"""Errors inside structured log records: a traceback or stack kept in a JSON field.

Services that log JSON (python-json-logger, structlog, pino, winston, cloud log viewers) keep an
exception's traceback in one string field, its newlines escaped, so a copied record is one
long line::

    {"level": "ERROR", "message": "Unhandled exception", "exc_info": "Traceback (most recent
    call last):\\n  File \\"/app/shop/api.py\\", line 42, in create_order\\n ...KeyError: 'price'"}

:func:`unescaped` gives the text with every such record followed by the multi-line strings it
holds, which memory_store.errors.parse then reads like any traceback or stack; the text that
is stored and shown is the one pasted. A record that is not valid JSON (cut off by a log
viewer) gives its escaped strings one by one.
"""

from __future__ import annotations

import json
import re
from collections import deque
from collections.abc import Iterator
from typing import Any

_MARK = re.compile(r"Traceback \(most recent call last\):\\r?\\n|\\n\s+at |\\n\s+File \\\"")
"""An escaped newline inside a traceback or stack: the sign that a line holds one."""
_STRING = re.compile(r'"((?:[^"\\]|\\.){20,})"')
MAX_RECORD_CHARS = 1_000_000
MAX_RECORDS = 50
"""Records with an escaped stack that are opened (the last ones of a longer log)."""


def unescaped(text: str) -> str | None:
    """``text`` with the escaped tracebacks of its JSON log records written out after each
    record (None when it holds none). Records are found by one regular-expression search
    over the whole text, so a long log costs no Python step per quiet line."""
    if "\\n" not in text:
        return None
    records: deque[tuple[int, int]] = deque(maxlen=MAX_RECORDS)
    line_end = -1
    for m in _MARK.finditer(text):
        if m.start() < line_end:
            continue  # another mark of the same record
        start = text.rfind("\n", 0, m.start()) + 1
        end = text.find("\n", m.end())
        line_end = len(text) if end < 0 else end
        records.append((start, line_end))
    pieces: list[str] = []
    cur = 0
    for start, end in records:
        line = text[start:end]
        expanded = [s for s in _strings(line) if "\n" in s] if len(line) <= MAX_RECORD_CHARS else []
        if expanded:
            pieces += [text[cur:end], "\n", "\n".join(expanded)]
            cur = end
    if not pieces:
        return None
    pieces.append(text[cur:])
    return "".join(pieces)


def _strings(line: str) -> list[str]:
    """The string values of a JSON record (every level), or its escaped strings when the
    record does not parse."""
    start = line.find("{")
    if start >= 0:
        try:
            return list(_walk(json.loads(line[start:line.rfind("}") + 1])))
        except (ValueError, RecursionError):
            pass
    found = []
    for m in _STRING.finditer(line):
        try:
            found.append(json.loads(f'"{m.group(1)}"'))
        except ValueError:
            continue
    return found


def _walk(value: Any, depth: int = 0) -> Iterator[str]:
    if depth > 20:
        return
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _walk(v, depth + 1)
    elif isinstance(value, list):
        for v in value:
            yield from _walk(v, depth + 1)
