"""Shared pieces of the ecosystem parsers: line cleaning, candidates, bounded input.

Each parser (``javascript``, ``go``, ``rust``, ``jvm``, ``dotnet``, ``ruby``, ``native``) reads the
cleaned lines of one output and returns :class:`Candidate` errors; the package picks the
main one by :attr:`Candidate.priority`. Lines are cleaned of what tools, CI systems and
issue posts put around an error: ANSI colours, CI timestamps and step prefixes
(``##[error]``, ``::error ...::``), ``remote:  !`` (git hosting), log timestamps and levels,
docker-compose service bars, markdown quotes, backticks and emphasis.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum

from memory_store.errors.frames import cap_frames
from memory_store.errors.model import Frame, ParsedError

MAX_SCAN_CHARS = 1_000_000
"""The tail of an output that is read: the errors of a build or a crash are at its end."""
MAX_LINES = 20_000
MAX_LINE = 2000
MAX_DETAIL = 6
MAX_CANDIDATES = 200



class Priority(IntEnum):
    """Which error of an output is *the* error: an exception or panic with its type, or a
    diagnostic with its code, beats a compiler line with a location, which beats a tool's
    own error line, which beats a wrapper ("command failed", "could not compile")."""

    WRAPPER = 1
    TOOL = 2
    LOCATED = 3
    EXCEPTION = 4


_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[()][0-9A-Za-z]")
_CI_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z\s")
_CI_COMMAND = re.compile(r"^(?:##\[(?:error|warning|group|endgroup|debug|notice)\]|::(?:error|warning|notice)"
                         r"(?: [^:]*)?::)")
_BUILDKIT = re.compile(r"^#\d+ \d+(?:\.\d+)? ")
_REMOTE = re.compile(r"^remote:\s*(?:!\s+)?")
_QUOTE = re.compile(r"^\s*(?:>[ \t]?)+(?![>=])")
_FENCE = re.compile(r"^\s*(?:```|~~~)\S*\s*$")
_COMPOSE = re.compile(r"^[\w.\-]+\s+\|\s?")
_EMPHASIS = re.compile(r"^([_*]{1,2})(?=\S)(?P<body>.*\S)\1\.?$")

# Log prefixes: a timestamp (ISO, Go's ``2020/05/04 15:40:28``, a time of day), optionally a
# logger or thread in brackets, then a level (``ERROR``, ``error``, Python's ``ERROR:root:``).
_LOG_TIME = re.compile(r"^\[?(?:\d{4}[-/]\d{2}[-/]\d{2}[T ]\d{1,2}:\d{2}|\d{2}:\d{2}:\d{2})[\d:.,TZ+\-]*\]?"
                       r"(?:\s+\[[\w.\-]+\])?(?:\s*[:|\-](?=\s))?\s+")
LOG_TIME = _LOG_TIME
"""A line that starts with a log timestamp: a new log record, not a continuation."""
_LEVEL = re.compile(r"^(?:\[?(?:DEBUG|INFO|WARNING|WARN|ERROR|CRITICAL|FATAL|TRACE)\]?|\[(?:error|warn|warning|info)\])"
                    r"(?::[\w.]*:|\s*[:|\-]\s*|\s+)(?=\S)")
_LOWER_LEVEL = re.compile(r"^(?:error|warn|warning|info)(?:\s*[:|\-]\s*|\s+)(?=\S)")
"""A lower-case level counts only after a timestamp: ``error: msg`` alone is the error line itself."""
_LOGFMT = re.compile(r'(?:^|[\s,])(?P<key>msg|message|error|err|exception)=(?:"(?P<q>(?:[^"\\]|\\.)*)"'
                     r'|(?P<bare>[^\s"].*?))(?=,?\s+[A-Za-z_][\w.\-]*=|,?\s*$)')
_LOG_ERROR_LEVEL = re.compile(r'(?:^|[\s,{])"?(?:level|lvl|severity)"?\s*[=:]\s*"?(?:error|err|fatal|panic|critical'
                              r'|crit|alert|emerg)\b', re.IGNORECASE)
_ERROR_KEYS = ("error", "err", "exception")
_MESSAGE_KEYS = ("msg", "message")


def decorations_removed(raw: str, limit: int = MAX_LINE) -> str:
    """The line without colours, CI and git-hosting prefixes, markdown quotes, fences,
    backticks and emphasis, and docker-compose service bars. The one line cleaner of the
    Python scanner and the ecosystem parsers; a tool's own level tag (Maven's ``[ERROR]``)
    and log prefixes are kept (:func:`without_log_prefix` removes those where a parser wants)."""
    return _cleaned(raw, limit)[0]


def _unquoted(line: str) -> tuple[str, int]:
    m = _QUOTE.match(line)
    return (line[m.end():], m.end()) if m else (line, 0)


def _cleaned(raw: str, limit: int = MAX_LINE) -> tuple[str, int]:
    """The cleaned line and the width of the ``>`` marks its start had, with the spaces
    around them (markdown quotes, and Gradle's causes, each level indented further),
    before or after a CI prefix; 0 for a line without."""
    line = raw[:limit].rstrip("\r\n")
    if "\x1b" in line:
        line = _ANSI.sub("", line)
    line = line.rstrip()
    if _FENCE.match(line):
        return "", 0
    line, quotes = _unquoted(line)
    if line.startswith(("remote:", "#")) or line[:1].isdigit():
        line = _CI_TIME.sub("", line, count=1)
        line = _BUILDKIT.sub("", line, count=1)
        line = _REMOTE.sub("", line, count=1)
    if line.startswith(("##[", "::")):
        line = _CI_COMMAND.sub("", line, count=1)
    if ">" in line[:8]:
        line, more = _unquoted(line)
        quotes += more
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
    return line, quotes


def without_log_prefix(line: str) -> str:
    """The error a log line carries: ``2020/05/04 15:40:28 WARNING: x``, ``ERROR:root:x``,
    ``time=... level=error msg="x"`` and ``{"level":"error","error":"x"}`` give ``x``."""
    text = line.strip()
    record = log_record(text)
    if record is not None:
        return record[0]
    stamped = _LOG_TIME.sub("", text, count=1)
    level = _LEVEL if stamped == text else _LOWER_LEVEL if _LOWER_LEVEL.match(stamped) else _LEVEL
    return level.sub("", stamped, count=1)


def log_record(text: str) -> tuple[str, bool] | None:
    """(message, is an error) of a structured log line: logfmt (``key=value`` pairs, quoted
    values unescaped) or a JSON object. The value of an ``error`` / ``err`` / ``exception``
    key is the message when there is one (``msg`` says what was being done, the error what
    went wrong), else ``msg`` / ``message``. None for any other line."""
    values: dict[str, str] = {}
    if text.startswith("{") and text.endswith("}"):
        values = _json_values(text)
    elif "=" in text:
        for m in _LOGFMT.finditer(text):
            quoted = m.group("q")
            if quoted is not None:
                val = quoted.replace('\\"', '"').replace("\\\\", "\\")
            else:
                val = _bare_value(m.group("bare"))
            values.setdefault(m.group("key"), val.strip())
    for key in (*_ERROR_KEYS, *_MESSAGE_KEYS):
        if values.get(key):
            is_error = key in _ERROR_KEYS or _LOG_ERROR_LEVEL.search(text) is not None
            return values[key], is_error
    return None


def _bare_value(val: str) -> str:
    """An unquoted value, without the closing quote of an outer quoted field it ended."""
    return val[:-1] if val.endswith('"') and val.count('"') % 2 else val


def _json_values(text: str) -> dict[str, str]:
    """The message and error strings of a JSON log record (an error given as an object
    counts by its ``message``); empty when the line is not a JSON object."""
    try:
        obj = json.loads(text)
    except ValueError:
        return {}
    if not isinstance(obj, dict):
        return {}
    out: dict[str, str] = {}
    for key in (*_ERROR_KEYS, *_MESSAGE_KEYS):
        val = obj.get(key)
        if isinstance(val, dict):
            val = val.get("message") or val.get("msg")
        if isinstance(val, str) and val.strip():
            out[key] = val
    return out


class Lines(list[str]):
    """Cleaned lines, with the width of the ``>`` marks each one started with (:attr:`quotes`)."""

    quotes: list[int]


def lines_of(text: str) -> Lines:
    """The cleaned lines of the bounded tail of ``text``."""
    tail = text[-MAX_SCAN_CHARS:]
    raw = tail.split("\n")
    if len(raw) > MAX_LINES:
        raw = raw[-MAX_LINES:]
    cleaned = [_cleaned(line) for line in raw]
    out = Lines(line for line, _ in cleaned)
    out.quotes = [q for _, q in cleaned]
    return out


def quote_marks(lines: list[str], i: int) -> int:
    """The width of the ``>`` marks line ``i`` started with: deeper for a more nested
    quote or Gradle cause; 0 without marks (or for lines without that record)."""
    return lines.quotes[i] if isinstance(lines, Lines) and i < len(lines.quotes) else 0


@dataclass
class Candidate:
    """One error found by an ecosystem parser."""

    priority: Priority
    index: int
    """Line number (in the cleaned lines) where the error starts."""
    error: ParsedError
    end: int = -1
    """Last line of the error's block (for the text kept with it)."""


Found = tuple[Candidate | None, int]
"""What a parser's step found at a line (or None) and the line to go on from."""
Step = Callable[[int, str], "Candidate | Found | None"]


def walk(lines: list[str], step: Step) -> list[Candidate]:
    """Every parser's loop: ``step(i, stripped)`` on each non-empty line. It returns None
    (nothing starts here), a candidate of this one line, or (candidate or None, the line
    after its block); the walk always moves forward."""
    out: list[Candidate] = []
    n = len(lines)
    i = 0
    while i < n:
        s = lines[i].strip()
        found = step(i, s) if s else None
        if found is None:
            i += 1
            continue
        cand, nxt = (found, i + 1) if isinstance(found, Candidate) else found
        if cand is not None:
            out.append(cand)
        i = max(nxt, i + 1)
    return out


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
