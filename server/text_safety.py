"""Showing untrusted text: record, decision, finding and snapshot text comes from the
repository or from sync, so it is written by someone else.

- :func:`terminal_text` removes what a terminal would act on (escape sequences, other
  C0/C1 controls, bidirectional overrides) and keeps newlines and tabs;
- :func:`markdown_text` makes text render literally in a markdown hover (VS Code, Neovim):
  no links, images, HTML, entities, emphasis or autolinks;
- :func:`markdown_code` is an inline code span the text cannot close;
- :func:`markdown_link` links ``https:`` urls only, percent-encoded so they cannot break out.

Rich markup is handled where the CLI prints (``server.cli.common``): untrusted text is never
parsed as markup there.
"""

from __future__ import annotations

import logging
import re
from urllib.parse import quote, urlsplit

_ESCAPE_SEQUENCE = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]?"          # CSI: colours, cursor moves, screen clearing
    r"|\x1b[\]PX^_][^\x07\x1b\n]*(?:\x07|\x1b\\)?"  # OSC/DCS/SOS/PM/APC up to BEL or ST: titles, clipboard
    r"|\x9b[0-?]*[ -/]*[@-~]?"           # 8-bit CSI
    r"|[\x90\x98\x9d\x9e\x9f][^\x07\x1b\x9c\n]*(?:\x07|\x9c|\x1b\\)?"  # 8-bit OSC/DCS/SOS/PM/APC
    r"|\x1b[ -/]*[0-~]?"                 # any other escape
)
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
"""C0 except tab and newline, DEL, C1, and the bidirectional marks, embeddings, overrides and isolates."""


def terminal_text(text: object) -> str:
    """``text`` without anything a terminal would interpret: escape sequences (colours,
    window title, clipboard), other control characters and bidi overrides. Newlines and
    tabs are kept."""
    s = str(text)
    if not _CONTROLS.search(s):
        return s
    return _CONTROLS.sub("", _ESCAPE_SEQUENCE.sub("", s))


_MARKDOWN_SPECIAL = re.compile(r"[\\`*{}\[\]()<>#+!|~&]|_+")
_LINE_START = re.compile(r"^([ \t]*)(?:([-=])|(\d+)\.)", re.MULTILINE)
_AUTOLINK = re.compile(r"(?<=[A-Za-z0-9])(:)(?=//)|(?<=www)(\.)|(@)", re.IGNORECASE)


def markdown_text(text: object) -> str:
    """``text`` escaped so a markdown renderer shows it literally: every character that can
    start a link, image, HTML tag, entity, emphasis, code span, heading, list, quote or
    table is backslash-escaped, and bare urls (``scheme://``, ``www.``, e-mail addresses)
    cannot become links."""
    s = _MARKDOWN_SPECIAL.sub(_escape_special, terminal_text(text))
    s = _AUTOLINK.sub(lambda m: "\\" + m.group(0), s)
    return _LINE_START.sub(_escape_line_start, s)


def _escape_special(m: re.Match[str]) -> str:
    """A backslash before each special character; underscores inside a word (``snake_case``)
    are left alone, since CommonMark never reads them as emphasis."""
    found, text, start, end = m.group(), m.string, m.start(), m.end()
    if found[0] == "_" and start > 0 and end < len(text) and text[start - 1].isalnum() and text[end].isalnum():
        return found
    return "".join("\\" + c for c in found)


def _escape_line_start(m: re.Match[str]) -> str:
    """A list, heading-underline or ordered-list marker at a line start: ``-`` -> ``\\-``, ``1.`` -> ``1\\.``."""
    indent, mark, digits = m.groups()
    return f"{indent}\\{mark}" if mark else f"{indent}{digits}\\."


def markdown_code(text: object) -> str:
    """``text`` on one line as an inline code span: inside it nothing is interpreted, and the
    fence is longer than any run of backticks in the text, so the text cannot close it."""
    s = " ".join(terminal_text(text).split())
    longest = max((len(run) for run in re.findall(r"`+", s)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if s.startswith("`") or s.endswith("`") or not s else ""
    return f"{fence}{pad}{s}{pad}{fence}"


_URL_SAFE = "/:?#@!$&*+,;=%-._~"
"""Characters kept as they are in a link destination; everything else (spaces, quotes,
brackets, parentheses, backslashes, backticks, non-ASCII) is percent-encoded."""


def safe_https_url(url: object) -> str | None:
    """``url`` percent-encoded for a markdown link destination when it is an ``https:``
    url with a host, else None."""
    if not isinstance(url, str) or _CONTROLS.search(url) or any(c.isspace() for c in url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() != "https" or not parts.hostname:
        return None
    return quote(url, safe=_URL_SAFE)


def markdown_link(label: object, url: object) -> str:
    """A markdown link to ``url`` when it is ``https:``; otherwise the label as plain text."""
    target = safe_https_url(url)
    text = markdown_text(label)
    return f"[{text}]({target})" if target else text


class TerminalSafeFormatter(logging.Formatter):
    """Log lines carry file names and values from the repository: strip their controls too."""

    def format(self, record: logging.LogRecord) -> str:
        return terminal_text(super().format(record))
