"""Parse error text (tracebacks, pytest output, Node stacks, bare lines). FIRST CUT: final line only."""

from __future__ import annotations

import re
from pathlib import Path

from memory_store.errors.model import ParsedError
from memory_store.redact import redact

_FINAL = re.compile(r"^\s*([A-Za-z_][\w.]*(?:Error|Exception|Warning|Exit|Interrupt)|error)\s*:\s*(.*)$")


def parse_error(text: str, workspace_root: Path | None = None) -> ParsedError | None:
    text = redact(text)
    for line in reversed(text.splitlines()):
        m = _FINAL.match(line)
        if m:
            return ParsedError(m.group(1), m.group(2).strip(), [], "python", text)
    stripped = text.strip().splitlines()
    if not stripped:
        return None
    return ParsedError("error", stripped[-1].strip(), [], "generic", text)


def extract_errors(output: str, workspace_root: Path | None = None) -> list[ParsedError]:
    err = parse_error(output, workspace_root)
    return [err] if err else []
