"""Python's type checkers and linters: mypy, pyright (and basedpyright), ruff, flake8, pylint.

Each diagnostic is one error: its type is the tool (``mypy``, ``pyright``, ``ruff``,
``flake8``, ``pylint``; ``lint`` for the ``path:line:col: CODE msg`` layout ruff and flake8
share when the output does not say which printed it), its code the rule (``attr-defined``,
``reportAttributeAccessIssue``, ``F401``, ``W0611``), its message the text without path,
line or code, and its location the file and line, so that the diagnostic lands on that line.

- mypy: ``path:12[:5]: error: msg  [code]``; ``note:`` lines after an error are its detail,
  ``--pretty`` wraps a message over lines (the code ends the last) and shows the source
  under it; ``--show-error-context`` names the function (``path: note: In function "f":``).
- pyright: ``  path:12:5 - error: msg (reportRule)`` under a ``path`` header line (older
  versions print ``  12:5 - error:``), the message's further lines indented below it, the
  rule at the end of its last line.
- ruff: the concise layout above, ``[*]`` marking a fixable rule, and the full layout
  (``F401 [*] msg`` then `` --> path:3:8``, a source excerpt, ``help:`` lines).
- pylint: ``path:3:0: W0611: msg (unused-import)`` under ``************* Module x``.

The summaries (``Found 3 errors in 2 files (checked 9 source files)``, ``2 errors, 0
warnings, 0 informations``, ruff's ``Found 2 errors.``) only say *that* the check failed:
wrappers, as :data:`~memory_store.errors.normalize.OUTCOME_ONLY` reads them everywhere. They
are no candidate here: beside a diagnostic they would never be chosen, and alone the main
scanner gives way from such a line to the reason printed with it.
A coded diagnostic ranks as a compiler's coded error does (TypeScript's ``TS2307``); an
uncoded one or a warning as a located line. A crash of the checker itself prints a Python
traceback, which the main scanner reads and which stays the error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from memory_store.errors.frames import make_frame
from memory_store.errors.langs.common import MAX_DETAIL, Candidate, Found, Priority, error, walk
from memory_store.errors.normalize import OUTCOME_ONLY

MARKERS = (".py:", ".pyi:", ".pyw:", " - error: ", " - warning: ", "  [", "mypy: ")
"""Substrings one of which an output holds when this parser can find anything in it."""

_PATH = r"(?P<path>(?:[A-Za-z]:[\\/])?[^\s:][^:]*?\.(?:py|pyi|pyw))"
_MYPY = re.compile(r"^" + _PATH + r":(?P<line>\d+)(?::\d+)?(?::\d+:\d+)?: (?P<sev>error|note|warning): "
                   r"(?P<msg>.*)$")
_MYPY_CONTEXT = re.compile(r"^" + _PATH + r": note: (?:In (?:function|member) \"(?P<func>[^\"]+)\"|At top level)")
_MYPY_BARE = re.compile(r"^error: (?P<msg>.+?)  \[(?P<code>[a-z][a-z0-9-]*)\]$")
"""A mypy error copied without its path (an issue, a chat)."""
_MYPY_CODE = re.compile(r"(?:^|\s)\[(?P<code>[a-z][a-z0-9-]*)\]$")
_MYPY_OWN = re.compile(r"^d?mypy: (?:error: )?(?P<msg>.+)$")
"""mypy's own failure (``mypy: can't read file 'x.py': No such file or directory``)."""

_PYRIGHT = re.compile(r"^(?:" + _PATH + r":)?(?P<line>\d+):\d+ - (?P<sev>error|warning|information): (?P<msg>.*)$")
_PYRIGHT_FILE = re.compile(r"^" + _PATH + r"$")
_PYRIGHT_RULE = re.compile(r"\s*\((?P<rule>report[A-Z]\w*)\)$")

_LINT = re.compile(r"^" + _PATH + r":(?P<line>\d+):(?P<col>\d+): (?P<code>[A-Z]{1,6}\d{1,4})(?P<fix> \[\*\])? "
                   r"(?P<msg>\S.*)$")
_RUFF_SYNTAX = re.compile(r"^" + _PATH + r":(?P<line>\d+):\d+: (?P<code>invalid-syntax|SyntaxError): (?P<msg>.+)$")
_RUFF_HEAD = re.compile(r"^(?P<code>[A-Z]{1,6}\d{1,4}|invalid-syntax)(?P<fix> \[\*\])?:? (?P<msg>\S.*)$")
_RUFF_ARROW = re.compile(r"^\s*--> " + _PATH + r":(?P<line>\d+):\d+$")
_RUFF_NOTE = re.compile(r"^(?:help|note|= help): (?P<msg>.+)$")
_RUFF_SAYS = re.compile(r"\bruff\b|\[\*\]|fixable with (?:the )?`--fix`", re.IGNORECASE)
_FLAKE8_SAYS = re.compile(r"\bflake8\b", re.IGNORECASE)

_PYLINT = re.compile(r"^" + _PATH + r":(?P<line>\d+):\d+: (?P<code>[CRWEFI]\d{4}): (?P<msg>.+?)"
                     r"(?: \((?P<symbol>[a-z][a-z0-9-]*)\))?$")

_KEYS = re.compile(r"\.py|^error: |^d?mypy: |^[A-Z]{1,6}\d{1,4}\b|^invalid-syntax|\d - ")
"""What every line a step below can start on holds: other lines are passed over with one search."""
MAX_WRAPPED = 4
"""Lines a ``--pretty`` mypy message is read over."""
MAX_BLOCK = 80
"""Lines of a ruff full-layout diagnostic (its source excerpt and fix) read for its help."""


@dataclass
class _Output:
    """What the lines read so far said: the file pyright's next diagnostics are in, the
    function mypy's next errors are in, and (read once, when first needed) which linter
    printed the output's ``path:line:col: CODE msg`` lines."""

    lines: list[str]
    root: Path | None
    pyright_file: str | None = None
    mypy_context: tuple[str, str | None] | None = None
    linter: str | None = None

    def lint_tool(self) -> str:
        if self.linter is None:
            ruff = any(_RUFF_SAYS.search(s) for s in self.lines)
            flake8 = any(_FLAKE8_SAYS.search(s) for s in self.lines)
            self.linter = "ruff" if ruff and not flake8 else "flake8" if flake8 and not ruff else "lint"
        return self.linter


def find(lines: list[str], root: Path | None) -> list[Candidate]:
    out = _Output(lines, root)
    return walk(lines, lambda i, s: _step(out, i, s))


def _step(out: _Output, i: int, s: str) -> Candidate | Found | None:
    if not _KEYS.search(s):
        return None
    raw = out.lines[i]
    if ".py" in s:
        found = _with_path(out, i, s, raw)
        if found is not None:
            return found
    m = _PYRIGHT.match(s)
    if m and out.pyright_file is not None and raw[:1].isspace():
        return _pyright(out, i, m)
    m = _MYPY_BARE.match(s)
    if m:
        return Candidate(Priority.EXCEPTION, i, error("mypy", m.group("msg"), "python", code=m.group("code")))
    m = _MYPY_OWN.match(s)
    if m:
        return Candidate(Priority.TOOL, i, error("mypy", m.group("msg"), "python"))
    m = _RUFF_HEAD.match(s)
    if m and i + 1 < len(out.lines) and out.lines[i + 1].lstrip().startswith("-->"):
        return _ruff_full(out, i, m)
    return None


def _with_path(out: _Output, i: int, s: str, raw: str) -> Candidate | Found | None:
    """A line that starts with a Python file's path, or pyright's header naming one."""
    m = _MYPY.match(s)
    if m:
        return _mypy(out, i, m) if m.group("sev") != "note" else None
    m = _MYPY_CONTEXT.match(s)
    if m:
        out.mypy_context = (m.group("path"), m.group("func"))
        return None
    m = _PYRIGHT.match(s)
    if m:
        out.pyright_file = m.group("path")
        return _pyright(out, i, m)
    m = _PYLINT.match(s)
    if m:
        loc = make_frame(m.group("path"), int(m.group("line")), None, out.root)
        detail = [m.group("symbol")] if m.group("symbol") else []
        return Candidate(Priority.EXCEPTION, i, error("pylint", m.group("msg"), "python", code=m.group("code"),
                                                      location=loc, detail=detail))
    m = _LINT.match(s) or _RUFF_SYNTAX.match(s)
    if m:
        tool = "ruff" if m.group("code") == "invalid-syntax" or ("fix" in m.re.groupindex and m.group("fix")) \
            else out.lint_tool()
        loc = make_frame(m.group("path"), int(m.group("line")), None, out.root)
        return Candidate(Priority.EXCEPTION, i, error(tool, m.group("msg"), "python", code=m.group("code"),
                                                      location=loc))
    if not raw[:1].isspace() and _PYRIGHT_FILE.match(s):
        out.pyright_file = s
    return None


def _mypy(out: _Output, i: int, m: re.Match[str]) -> Found:
    """A mypy error or warning: its message (over the lines ``--pretty`` wraps it onto), its
    code, and the notes after it as detail."""
    lines = out.lines
    n = len(lines)
    msg = m.group("msg").strip()
    j = i + 1
    code = _MYPY_CODE.search(msg)
    if code is None:  # ``--pretty``: the message goes on to the line its code ends
        wrapped, k = msg, j
        while code is None and k < min(n, i + 1 + MAX_WRAPPED):
            nxt = lines[k].strip()
            if not nxt or lines[k][:1].isspace() or _MYPY.match(nxt) or OUTCOME_ONLY.search(nxt):
                break
            wrapped = f"{wrapped} {nxt}"
            k += 1
            code = _MYPY_CODE.search(wrapped)
        if code is not None:
            msg, j = wrapped, k
    if code is not None:
        msg = msg[:code.start()].rstrip()
    detail: list[str] = []
    while j < n and j < i + 4 * MAX_DETAIL:
        nxt = lines[j].strip()
        note = _MYPY.match(nxt)
        if note and note.group("sev") == "note":
            if len(detail) < MAX_DETAIL:
                detail.append(note.group("msg").strip())
        elif not (nxt and lines[j][:1].isspace()):  # the source ``--pretty`` shows under it
            break
        j += 1
    path = m.group("path")
    func = out.mypy_context[1] if out.mypy_context and out.mypy_context[0] == path else None
    loc = make_frame(path, int(m.group("line")), func, out.root)
    pri = Priority.EXCEPTION if code is not None and m.group("sev") == "error" else Priority.LOCATED
    err = error("mypy", msg, "python", code=code.group("code") if code else None, location=loc, detail=detail)
    return Candidate(pri, i, err, end=j - 1), j


def _pyright(out: _Output, i: int, m: re.Match[str]) -> Found | None:
    """A pyright error or warning with the further lines of its message; informations are
    not errors."""
    lines = out.lines
    indent = len(lines[i]) - len(lines[i].lstrip())
    parts = [m.group("msg").strip()]
    j = i + 1
    while j < len(lines) and j < i + 4 * MAX_DETAIL:
        nxt = lines[j]
        if not nxt.strip() or len(nxt) - len(nxt.lstrip()) <= indent:
            break
        parts.append(nxt.strip())
        j += 1
    if m.group("sev") == "information":
        return None, j
    rule = _PYRIGHT_RULE.search(parts[-1])
    if rule is not None:
        parts[-1] = parts[-1][:rule.start()]
    parts = [p for p in parts if p]
    path = m.group("path") or out.pyright_file or ""
    loc = make_frame(path, int(m.group("line")), None, out.root)
    code = rule.group("rule") if rule else None
    pri = Priority.EXCEPTION if code and m.group("sev") == "error" else Priority.LOCATED
    err = error("pyright", parts[0] if parts else "", "python", code=code, location=loc,
                detail=parts[1:MAX_DETAIL + 1])
    return Candidate(pri, i, err, end=j - 1), j


def _ruff_full(out: _Output, i: int, m: re.Match[str]) -> Found | None:
    """ruff's full layout: the rule and message, then `` --> path:line:col``, the source
    and ``help:`` / ``note:`` lines up to the blank line that ends it."""
    lines = out.lines
    arrow = _RUFF_ARROW.match(lines[i + 1])
    if arrow is None:
        return None
    detail: list[str] = []
    j = i + 2
    while j < len(lines) and j < i + MAX_BLOCK and not _ruff_block_ends(lines, j):
        note = _RUFF_NOTE.match(lines[j].strip())
        if note and len(detail) < MAX_DETAIL:
            detail.append(note.group("msg"))
        j += 1
    loc = make_frame(arrow.group("path"), int(arrow.group("line")), None, out.root)
    err = error("ruff", m.group("msg"), "python", code=m.group("code"), location=loc, detail=detail)
    return Candidate(Priority.EXCEPTION, i, err, end=j - 1), j


def _ruff_block_ends(lines: list[str], j: int) -> bool:
    """Line ``j`` is past a full-layout diagnostic: two blank lines, the next diagnostic or the
    summary. A single blank line is not enough: the excerpt's ``2 |`` of an empty source line
    reads as blank once a line's ``name |`` bar is cleaned away."""
    s = lines[j].strip()
    if not s:
        return j + 1 >= len(lines) or not lines[j + 1].strip()
    if OUTCOME_ONLY.search(s) or _MYPY.match(s) or _LINT.match(s):
        return True
    return _RUFF_HEAD.match(s) is not None and j + 1 < len(lines) and lines[j + 1].lstrip().startswith("-->")
