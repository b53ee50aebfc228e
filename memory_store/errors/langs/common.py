"""Shared pieces of the ecosystem parsers: line cleaning, candidates, bounded input.

Each parser (``javascript``, ``go``, ``rust``, ``jvm``, ``dotnet``, ``ruby``) reads the
cleaned lines of one output and returns :class:`Candidate` errors; the package picks the
main one by :attr:`Candidate.priority`. Lines are cleaned of what tools, CI systems and
issue posts put around an error: ANSI colours, CI timestamps and step prefixes
(``##[error]``, ``::error ...::``), ``remote:  !`` (git hosting), log timestamps and levels,
docker-compose service bars, markdown quotes, backticks and emphasis.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from memory_store.errors.frames import cap_frames, make_frame
from memory_store.errors.model import Frame, ParsedError

MAX_SCAN_CHARS = 1_000_000
"""The tail of an output that is read: the errors of a build or a crash are at its end."""
MAX_LINES = 20_000
MAX_LINE = 2000
MAX_DETAIL = 6
MAX_CANDIDATES = 200

# Priorities: an exception or panic with its type, or a diagnostic with its code, beats a
# compiler line with a location, which beats a tool's own error line, which beats a wrapper
# ("command failed", "could not compile").
EXCEPTION = 4
LOCATED = 3
TOOL = 2
WRAPPER = 1

_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[()][0-9A-Za-z]")
_CI_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z\s")
_CI_COMMAND = re.compile(r"^(?:##\[(?:error|warning|group|endgroup|debug|notice)\]|::(?:error|warning|notice)"
                         r"(?: [^:]*)?::)")
_BUILDKIT = re.compile(r"^#\d+ \d+(?:\.\d+)? ")
_REMOTE = re.compile(r"^remote:\s*(?:!\s+)?")
_QUOTE = re.compile(r"^\s*(?:>\s?)+(?=\S)(?![>=])")
_FENCE = re.compile(r"^\s*(?:```|~~~)\S*\s*$")
_COMPOSE = re.compile(r"^[\w.\-]+(?:_\d+)?\s+\|\s?")
_LOG_TIME = re.compile(r"^\[?(?:\d{4}[-/]\d{2}[-/]\d{2}[T ]|\d{2}:\d{2}:\d{2})[\d:.,TZ+\-]*\]?\s+")
_LEVEL = re.compile(r"^\[?(?:DEBUG|INFO|WARNING|WARN|ERROR|CRITICAL|FATAL|TRACE|error|warn|warning|info)\]?"
                    r"(?:\s*[:|\-]\s*|\s+)(?=\S)")
_LOGFMT = re.compile(r'(?:^|\s)msg="(?P<msg>(?:[^"\\]|\\.)*)"')
_EMPHASIS = re.compile(r"^([_*]{1,2})(?=\S)(?P<body>.*\S)\1\.?$")


def decorations_removed(raw: str) -> str:
    """The line without colours, CI and git-hosting prefixes, quotes and backticks (the
    tool's own level tag such as Maven's ``[ERROR]`` is kept: parsers recognise it)."""
    line = raw[:MAX_LINE].rstrip("\r\n")
    if "\x1b" in line:
        line = _ANSI.sub("", line)
    line = line.rstrip()
    if _FENCE.match(line):
        return ""
    line = _QUOTE.sub("", line)
    if line.startswith(("remote:", "#")) or line[:1].isdigit():
        line = _CI_TIME.sub("", line, count=1)
        line = _BUILDKIT.sub("", line, count=1)
        line = _REMOTE.sub("", line, count=1)
    line = _CI_COMMAND.sub("", line, count=1)
    if "|" in line:
        m = _COMPOSE.match(line)
        if m:
            line = line[m.end():]
    if "`" in line:
        stripped = line.strip()
        pair = stripped.startswith("`") and stripped.endswith("`")
        if pair or ((stripped.startswith("`") or stripped.endswith("`")) and stripped.count("`") % 2):
            indent = line[: len(line) - len(line.lstrip())]
            line = indent + stripped.replace("```", "").strip("`").rstrip()
    em = _EMPHASIS.match(line.strip())
    if em:
        line = em.group("body")
    return line


def without_log_prefix(line: str) -> str:
    """``2020/05/04 15:40:28 WARNING: x`` and ``time=... level=error msg="x"`` give ``x``."""
    text = line.strip()
    if "msg=\"" in text:
        m = _LOGFMT.search(text)
        if m:
            return m.group("msg").replace('\\"', '"').replace("\\\\", "\\")
    text = _LOG_TIME.sub("", text, count=1)
    return _LEVEL.sub("", text, count=1)


def lines_of(text: str) -> list[str]:
    """The cleaned lines of the bounded tail of ``text``."""
    tail = text[-MAX_SCAN_CHARS:]
    raw = tail.split("\n")
    if len(raw) > MAX_LINES:
        raw = raw[-MAX_LINES:]
    return [decorations_removed(line) for line in raw]


@dataclass
class Candidate:
    """One error found by an ecosystem parser."""

    priority: int
    index: int
    """Line number (in the cleaned lines) where the error starts."""
    error: ParsedError
    end: int = -1
    """Last line of the error's block (for the text kept with it)."""


def frame(path: str, line: int | None, function: str | None, root: Path | None) -> Frame:
    return make_frame(path, line, function, root)


def detail_lines(lines: list[str], start: int, stop: Callable[[str], bool] | None = None) -> list[str]:
    """Up to :data:`MAX_DETAIL` non-empty lines from ``start`` until a blank line or ``stop``."""
    out: list[str] = []
    for line in lines[start:start + 4 * MAX_DETAIL]:
        s = line.strip()
        if not s or (stop is not None and stop(s)):
            break
        out.append(s)
        if len(out) >= MAX_DETAIL:
            break
    return out


def error(exc_type: str, message: str, language: str, *, frames: list[Frame] | None = None,
          code: str | None = None, chain: list[str] | None = None, detail: list[str] | None = None,
          location: Frame | None = None) -> ParsedError:
    """A ParsedError without its text (the package adds the text and redacts)."""
    return ParsedError(exc_type=exc_type, message=message.strip(), frames=cap_frames(frames or []), language=language,
                       code=code, chain=chain or [], detail="\n".join(detail or []), location=location)
