"""Parse error text: Python tracebacks, pytest output, Node/TypeScript stacks, bare lines.

One line-by-line scanner serves both entry points. It keeps only bounded state (the
current block's frames and a capped window of its lines), so a 50 MB command output is
handled in bounded memory. Text copied from issue posts and logs carries decoration
(markdown quote marks, backticks, docker-compose and logging prefixes, exception-group
bars); :func:`_clean` removes it before a line is recognised, with the same cleaner the
other ecosystems' parsers use.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from memory_store.errors.django_page import as_traceback as django_page_traceback
from memory_store.errors.faulthandler import FaultDump, is_dump_headline, may_start
from memory_store.errors.faulthandler import start as start_dump
from memory_store.errors.frames import (
    CELL_PATH,
    MAX_FRAMES,
    cap_frames,
    def_name,
    enclosing_function,
    make_frame,
)
from memory_store.errors.json_logs import unescaped as json_logs_unescaped
from memory_store.errors.langs.common import LOG_TIME, Priority, decorations_removed, log_record, without_log_prefix
from memory_store.errors.langs.detect import extract as ecosystem_errors
from memory_store.errors.langs.detect import parse as ecosystem_error
from memory_store.errors.model import Frame, ParsedError
from memory_store.errors.normalize import OUTCOME_ONLY, fingerprint, short_type
from memory_store.redact import redact

MAX_LINE = 4000
"""Characters of one line that are looked at (minified bundles print megabyte lines)."""
MAX_BLOCK_LINES = 400
MAX_ERRORS = 500
MAX_TEXT = 200_000
MAX_DETAIL_LINES = 6

# --- line recognisers -------------------------------------------------------------------
_TB_HEADER = re.compile(r"Traceback \(most recent call last\):?|Exception Group Traceback \(most recent call last\):?")
_PY_FRAME = re.compile(r'File "(?P<path>[^"]+)", line (?P<line>\d+)(?:, in (?P<func>\S.*?))?\s*$')
_RICH_BARS = ("│", "┃", "|")
_BOX_EDGES = frozenset("│┃╭╰")
_RICH_FRAME = re.compile(r"^(?P<path>(?:[A-Za-z]:)?[^\s:│┃|]+?\.pyx?):(?P<line>\d+) in (?P<func>[\w.<>]+)$")
"""A frame in Rich's traceback box (``rich.traceback``, Typer's default), between its bars:
``/app/cli.py:14 in main``."""
_RICH_FRAME_START = re.compile(r"^(?:[A-Za-z]:)?[/\\~.][^\s:│┃|]*(?:\.pyx?:\d+(?: in)?)?$")
"""The start of such a line that Rich wrapped: a path (or part of one), maybe its line and ``in``."""
_JS_INSPECTED = re.compile(r"^\[(?P<body>[A-Z]\w*(?: \[[A-Z][A-Z0-9_]+\])?: .*)\](?P<props>\s*\{)?$")
_JS_CODE_PROP = re.compile(r"^\s{1,4}code: ['\"](?P<code>[A-Z][A-Z0-9_]{2,})['\"],?\s*$")
MAX_PROPS_LINES = 60
_CHAIN = re.compile(r"^(During handling of the above exception, another exception occurred:"
                    r"|The above exception was the direct cause of the following exception:)")
_PY_EXC = re.compile(r"^(?P<type>[A-Za-z_][\w]*(?:\.[A-Za-z_][\w]*)*)(?::\s?(?P<msg>.*))?$")
_NODE_AT = re.compile(r"^\s*at (?:async )?(?:(?P<func>.+?) \((?P<loc>[^()]*)\)|(?P<bare>\S+))\s*\{?\s*$")
_LOC = re.compile(r"^(?P<path>.*?):(?P<line>\d+)(?::\d+)?$")
_NODE_EXC = re.compile(r"^(?:Uncaught (?:\(in promise\) )?)?(?P<type>[A-Z]\w*(?:Error|Exception)|Error)"
                       r"(?: \[(?P<code>[A-Z][A-Z0-9_]+)\])?(?::\s?(?P<msg>.*))?$")
_EXC_NAME = (r"(?:[a-z_][\w]*\.)*(?:[A-Z][A-Za-z0-9]*(?:Error|Exception|Warning|Exit|Interrupt|Exc|Fault"
             r"|Failure|NotReady|Configured|NotFound|DoesNotExist|Timeout|Refused|Denied|Invalid|Unavailable"
             r"|Iteration|Cancelled|Abort|Aborted)|[a-z_][\w]*\.(?:\w+\.)*exc(?:eptions?)?\.[A-Z]\w*"
             r"|[a-z_][\w]*\.(?:\w+\.)*errors?\.[A-Z]\w*)")
_BARE_EXC = re.compile(r"(?:^|(?<=[\s`'\"(\[>:]))(?P<type>" + _EXC_NAME + r")"
                       r"(?: \[(?P<code>[A-Za-z][A-Za-z0-9_]+)\])?:\s?(?P<msg>.*)$")
_PAREN_EXC = re.compile(r"^\((?P<type>" + _EXC_NAME + r")\)\s*(?P<msg>.+)$")
_ANY_JS_EXC = re.compile(r"(?:^|(?<=\s))(?:Uncaught (?:\(in promise\) )?)?(?P<type>[A-Z]\w*Error|Error)"
                         r"(?: \[(?P<code>[A-Z][A-Z0-9_]+)\])?: (?P<msg>.*)$")
_REPR_EXC = re.compile(r"(?:^|(?<=[\s:(\[]))(?P<type>" + _EXC_NAME + r")\((?P<q>['\"])(?P<msg>.*)(?P=q),?\)")
_RAISE = re.compile(r"^raise (?P<type>[A-Za-z_][\w.]*)\((?:(?P<q>['\"])(?P<msg>.*)(?P=q))?.*\)\s*$")
_GENERIC = re.compile(r"^(?:[\w.\-\[\]/ ]{0,40}?\s)?(?P<type>error|fatal|err|panic|failure|failed)\b\s*[:!\-]\s*"
                      r"(?P<msg>\S.*)$", re.IGNORECASE)
_ERRORISH = re.compile(r"\b(?:error|errno|exception|fail(?:ed|ure)?|fatal|cannot|can't|could not|couldn't"
                       r"|unable|refused|denied|not found|no such|not defined|undefined|invalid|missing"
                       r"|timed? ?out|exceeded|not allowed|unknown|unexpected|panic)\b", re.IGNORECASE)
_PYTEST_E = re.compile(r"^E(?:\s{1,}(?P<body>.*))?$")
_PYTEST_FRAME = re.compile(r"^(?P<path>[^\s:][^:]*\.py):(?P<line>\d+):(?: in (?P<func>\S+)| (?P<exc>[\w.]+))?\s*$")
_PYTEST_SECTION = re.compile(r"^_{3,} (?P<name>.+?) _{3,}$")
_PYTEST_PHASE = re.compile(r"^ERROR (?:at (?:setup|teardown) of|collecting) ")
"""The phase in an error section's title (``ERROR at setup of test_total``): the section is
the test's, as its summary line (``ERROR tests/test_cart.py::test_total``) names it."""
_PYTEST_RULE = re.compile(r"^={3,} (?P<title>.+?) ={3,}$")
_PYTEST_LINE = re.compile(r"^(?P<path>(?:[A-Za-z]:)?[^\s:][^:]*\.py):(?P<line>\d+): (?P<type>" + _EXC_NAME
                          + r")(?:: (?P<msg>.*))?$")
"""pytest ``--tb=line``: one line per failure, ``path:line: Exception: message``."""
_PYTEST_SUMMARY = re.compile(r"^(?P<kind>FAILED|ERROR) (?P<nodeid>\S+?)(?: - (?P<msg>.*))?$")
_IPY_HEADER = re.compile(r"^(?P<type>[A-Za-z_][\w.]*)\s+Traceback \(most recent call last\)$")
"""IPython's header: the exception's type, padded, then ``Traceback (most recent call last)``."""
_IPY_CELL = re.compile(r"^(?:Cell In ?\[\d*\], line (?P<line>\d+)|Input In ?\[\d*\])(?:, in (?P<func>\S.*?))?$")
"""A cell frame: ``Cell In[5], line 3, in load(path)`` (IPython >= 8.5), ``Input In [3], in
<cell line: 1>()`` (8.0-8.4, the line only in the source marker)."""
_IPY_FILE = re.compile(r"^File (?P<path>\S.*?):(?P<line>\d+)(?:, in (?P<func>\S.*?))?$")
"""A file frame of IPython >= 8: ``File ~/venv/.../frame.py:3761, in DataFrame.__getitem__(self, key)``."""
_IPY_OLD = re.compile(r"^(?P<path><ipython-input-\d+-[0-9a-f]+>|(?:[A-Za-z]:)?[^:\s][^:]*?\.(?:py|pyx|pxi|pxd))"
                      r" in (?P<func>\S.*?)$")
"""A frame of IPython 7 and older: ``~/venv/.../frame.py in __getitem__(self, key)``, the line
only in the source marker. No colon but a drive's: never an exception line."""
_IPY_SOURCE = re.compile(r"^\s*(?P<arrow>-*>)?\s*(?P<num>\d+)(?:\s(?P<code>.*))?$")
"""A numbered source line under an IPython frame; ``---->``/``-> 3761`` marks the frame's line."""
_IPY_ELIDED = re.compile(r"^\s*(?:\[\.\.\. skipping .*\]|\(\.\.\.\))\s*$")
_SKIP_IN_TB = re.compile(r"^\s*(?:\[Previous line repeated \d+ more times?\]|-+ ?<?snip>? ?-+|\.\.\.|…|\^+|~+)\s*$")

_KEYS = ("err", "Err", "ERR", "xception", "XCEPTION", "arning", "ARNING", "ail", "AIL", "raceback", 'File "',
         "atal", "ATAL", "anic", "efused", "enied", "imeout", "xit", "nterrupt", "NotReady", "onfigured",
         "NotFound", "DoesNotExist", "nvalid", "navailable", "Iteration", "ancel", "bort", "ault", "___", "===",
         "exc", "ell In[", "nput In [", "ipython-input-", "call first):")
"""Substrings of every line a recogniser can start on. Lines without any of them are skipped
while no error block is open (most lines of a long log), found with fast ``str.find``."""
_KEY_RX = re.compile("|".join(re.escape(k) for k in _KEYS))
_DIGITS = re.compile(r"\d+")


def _interesting(line: str) -> bool:
    return any(k in line for k in _KEYS)


# --- decoration --------------------------------------------------------------------------
_GROUP_BAR = re.compile(r"^(\s*[|+](?:-[-+]*(?: \d+ -+| \.\.\. -+)?)?)+ ?")
_ORPHAN_SGR = re.compile(r"\[\d{1,3}(?:;\d{1,3})*m")
"""A colour code whose escape character was lost on the way (``[0;31mKeyError[0m``): a
notebook's coloured traceback copied from a web page or an issue post."""


def _clean(raw: str) -> str:
    """The line as :func:`decorations_removed` gives it, tabs expanded and without the bars
    Python draws around the sub-exceptions of an exception group, or colour codes that lost
    their escape character."""
    line = decorations_removed(raw, MAX_LINE).expandtabs(4)
    if "m" in line and "[" in line:
        line = _ORPHAN_SGR.sub("", line)
    if "|" in line or "+-" in line:
        line = _GROUP_BAR.sub("", line, count=1)
    return line


# --- scanner ---------------------------------------------------------------------------
@dataclass
class _Event:
    exc_type: str
    message: str
    frames: list[Frame]
    language: str
    kind: str
    """traceback | node | pytest | summary | bare | generic"""
    lines: list[str]
    code: str | None = None
    chain: list[str] = field(default_factory=list)
    detail: list[str] = field(default_factory=list)
    location: Frame | None = None
    test: str | None = None
    superseded: bool = False
    """A cause printed before the exception that was raised from it, or an exception group
    whose sub-exceptions follow: reported through the later error's ``chain``."""


def _iter_lines(text: str) -> Iterator[str]:
    start = 0
    n = len(text)
    while start < n:
        end = text.find("\n", start)
        if end < 0:
            end = n
        yield text[start:min(end, start + MAX_LINE)]
        start = end + 1


class _Scanner:
    """Feeds lines, collects error events. All state is bounded."""

    def __init__(self, root: Path | None):
        self.root = root
        self.events: list[_Event] = []
        self.sections: dict[str, _Event] = {}
        self.summary: list[_Event] = []
        self._reset_tb()
        self.node: _Event | None = None
        self.node_gap = 0
        self.props: _Event | None = None
        """The JS error whose properties Node prints after it (``{ code: 'ERR_REQUIRE_ESM' }``)."""
        self.props_lines = 0
        self.pending_chain: list[str] = []
        self.after_exc: _Event | None = None
        self.after_lines = 0
        self._emitted = 0
        self._dup_shapes: set[str] = set()
        self.section: str | None = None
        self.section_frames: list[Frame] = []
        self.section_lines: list[str] = []
        self.section_def: str | None = None
        """The last ``def`` line shown in the current source block of a pytest section."""
        self.section_emitted = 0
        self.line_failures: list[_Event] = []
        self.e_block: list[str] = []
        self.e_last: list[str] = []
        self.in_summary = False
        self.dump: FaultDump | None = None
        self.dump_target: _Event | None = None
        """The traceback a fatal error's dump printed before its thread blocks: the error."""

    def _reset_tb(self) -> None:
        self.tb_active = False
        self.tb_frames: list[Frame] = []
        self.tb_lines: list[str] = []
        self.tb_noise = 0
        self.tb_prefix = ""
        self.tb_expect_code = False
        self.tb_last_code = ""
        self.tb_ipython = False
        """Inside an IPython traceback (frames printed in IPython's shapes)."""
        self.tb_rich_piece = ""
        """The start of a path Rich wrapped onto the next line of its box."""
        self.tb_owner: _Event | None = None
        """The exception line printed just before the frames (Streamlit, error trackers print
        the exception first): the traceback's exception when it ends without its own."""

    # -- helpers
    def _emit(self, ev: _Event) -> None:
        self._emitted += 1
        if len(self.events) >= MAX_ERRORS:
            self.events.pop(0)
        self.events.append(ev)

    def _frame(self, path: str, line: str | None, func: str | None) -> Frame:
        frame = make_frame(path, int(line) if line else None, func, self.root)
        if (frame.function is None and frame.line and self.root is not None and frame.kind == "app"
                and frame.path.endswith(".py")):
            found = enclosing_function(self.root, frame.path, frame.line)
            if found:
                frame = replace(frame, function=found)
        return frame

    @property
    def in_block(self) -> bool:
        """Inside a block whose every line matters (traceback, stack, test section, summary,
        crash dump, a JS error's properties)."""
        return (self.tb_active or self.node is not None or self.section is not None or self.in_summary
                or self.dump is not None or self.props is not None)

    @property
    def busy(self) -> bool:
        """In a block, or just after an exception line whose message may go on."""
        return self.in_block or self.after_exc is not None

    # -- main entry
    def feed(self, raw: str) -> None:
        light = not self.in_block
        if light and self.after_exc is None and not _interesting(raw):
            return
        shape = ""
        if light:
            # A log repeating one error line (numbers aside) is one error: skip the repeats.
            shape = _DIGITS.sub("", raw[:300])
            if shape in self._dup_shapes:
                self.after_exc = None
                self.pending_chain = []
                return
        emitted = self._emitted
        self._feed(raw)
        if shape and self._emitted != emitted and self.events and self.events[-1].kind in ("bare", "generic"):
            if len(self._dup_shapes) >= 20_000:
                self._dup_shapes.clear()
            self._dup_shapes.add(shape)

    def _feed(self, raw: str) -> None:
        line = _clean(raw)
        if self.tb_prefix and line.startswith(self.tb_prefix):
            line = line[len(self.tb_prefix):]
        stripped = line.strip()

        if self.props is not None and self._props_line(line, stripped):
            return
        if (self.dump is not None or may_start(line)) and self._fault_line(line, stripped):
            return

        if self._pytest(line, stripped):
            return

        if _IPY_HEADER.match(stripped):
            self._start_tb("")
            self.tb_ipython = True
            self.tb_lines.append(stripped)
            return
        if self._ipython_line(line, stripped):
            return

        # Python traceback header: remember the decoration in front of it (log prefixes).
        header = _TB_HEADER.search(line)
        if header:
            prefix = line[:header.start()]
            self._start_tb(prefix if prefix.strip() else "")
            self.tb_lines.append(line[header.start():])
            return

        if self.tb_active and stripped[:1] in _RICH_BARS and self._rich_frame(stripped):
            self._tb_line(line)
            return

        frame = _PY_FRAME.search(line)
        if frame and (line.lstrip().startswith("File ") or self.tb_active):
            if not self.tb_active:
                self._start_tb("")
            self._tb_frame(frame.group("path"), frame.group("line"), frame.group("func"))
            self._tb_line(line)
            self.tb_expect_code = True
            return

        if self.node is not None and self._node_line(line, stripped):
            return

        if self.tb_active and self._tb_body(line, stripped):
            return

        if self.after_exc is not None:
            ev = self.after_exc
            if _CHAIN.match(stripped):
                self.pending_chain = ([*ev.chain, _headline(ev)])[-5:]
                ev.superseded = True
                self.after_exc = None
                return
            if not stripped:
                        return
            structural = _looks_structural(stripped)
            if not ev.message and not structural:
                ev.message = stripped
                ev.lines.append(line)
                return
            self.after_lines += 1
            if not structural and self.after_lines <= 12 and not LOG_TIME.match(stripped):
                # message continuation (SQL, hints, carets) until the next structure or log line
                if len(ev.detail) < MAX_DETAIL_LINES and not _SKIP_IN_TB.match(stripped):
                    ev.detail.append(stripped)
                if len(ev.lines) < MAX_BLOCK_LINES:
                    ev.lines.append(line)
                return
            self.after_exc = None
            self.pending_chain = []

        self._bare(line, stripped)

    # -- faulthandler dumps
    def _fault_line(self, line: str, stripped: str) -> bool:
        """A line of a fatal error's dump (memory_store.errors.faulthandler); False when the line
        is someone else's (a dump it ended is emitted first)."""
        dump = self.dump
        if dump is None:
            opened = start_dump(line) if not (self.tb_active and line[:1] == " ") else None
            if opened is None:
                return False
            exc_type, message, thread = opened
            self._flush_incomplete_tb()
            self._reset_tb()
            target = self.after_exc if thread and self.after_exc is not None and self.after_exc.chain \
                and is_dump_headline(self.after_exc.chain[-1]) else None
            self._end_node()
            self.after_exc = None
            self.dump = FaultDump(exc_type, message, self._frame)
            self.dump_target = target
            if thread:
                self.dump.feed(line)
            else:
                self.dump.add_line(line)
            return True
        step = dump.feed(line)
        if step == "taken":
            return True
        if step == "last":
            self._end_dump()
            return True
        if dump.in_head and _TB_HEADER.search(line):  # the exception Py_FatalError met: the error
            self.dump = None
            self.pending_chain = [dump.headline]
            return False
        exc = _PY_EXC.match(stripped) if dump.in_head and is_dump_headline(dump.headline) else None
        if exc and exc.group("msg") is not None and _looks_like_exc_name(exc.group("type")):
            self.pending_chain = [dump.headline]
            dump.exc_type, dump.message = exc.group("type"), exc.group("msg").strip()
            dump.add_line(line)
            return True
        self._end_dump()
        return False

    def _end_dump(self) -> None:
        dump, target = self.dump, self.dump_target
        if dump is None:
            return
        self.dump = None
        self.dump_target = None
        frames = cap_frames(dump.frames())
        if target is not None:  # the thread blocks after a traceback the dump printed
            target.frames = target.frames or frames
            target.detail = [*target.detail, *dump.detail][:MAX_DETAIL_LINES]
            target.lines = [*target.lines, *dump.lines][:MAX_BLOCK_LINES]
            return
        self._emit(_Event(dump.exc_type, dump.message, frames, "python", "traceback", dump.lines,
                          chain=list(self.pending_chain), detail=dump.detail))
        self.pending_chain = []

    # -- Python tracebacks
    def _flush_incomplete_tb(self) -> None:
        """A traceback excerpt that stops before its exception line: keep its frames, and the
        exception when the last source line is ``raise Name("message")``."""
        if not (self.tb_active and self.tb_frames):
            return
        exc_type, message, code = "error", "", None
        m = _RAISE.match(self.tb_last_code)
        owner = self.tb_owner
        if m:
            exc_type, message = m.group("type"), m.group("msg") or ""
        elif owner is not None:
            exc_type, message, code = owner.exc_type, owner.message, owner.code
            owner.superseded = True
        self._finish_tb(exc_type, message, code)

    def _rich_frame(self, stripped: str) -> bool:
        """A frame line of Rich's traceback box (Typer's default): ``│ /app/cli.py:14 in main │``.
        Rich wraps a frame line longer than its box, inside the path or before the function;
        the start is kept and read with what follows it."""
        inner = stripped[1:-1] if len(stripped) > 1 and stripped[-1] in _RICH_BARS else stripped[1:]
        body = inner.strip()
        piece = self.tb_rich_piece
        self.tb_rich_piece = ""
        for text in ((piece + body, piece + " " + body) if piece else (body,)):
            found = _RICH_FRAME.match(text)
            if found:
                self._tb_frame(found.group("path"), found.group("line"), found.group("func"))
                return True
            if body and len(text) < 1000 and _RICH_FRAME_START.match(text):
                self.tb_rich_piece = text
                break
        return False

    def _start_tb(self, prefix: str) -> None:
        before = self.after_exc  # an exception line just printed, frames to follow
        self._flush_incomplete_tb()
        self._reset_tb()
        if before is not None and before.kind == "bare" and not before.frames:
            self.tb_owner = before
        self.tb_active = True
        self.tb_prefix = prefix
        self.node = None

    def _ipython_line(self, line: str, stripped: str) -> bool:
        """A frame, source or elision line of an IPython traceback. A cell frame printed
        without IPython's header (a SyntaxError's, or a paste that starts below it) opens one."""
        if not self.tb_ipython:
            if not ((stripped.startswith(("Cell In", "Input In")) and _IPY_CELL.match(stripped))
                    or (stripped.startswith("<ipython-input-") and _IPY_OLD.match(stripped))):
                return False
            self._start_tb("")
            self.tb_ipython = True
        if not stripped:
            return False
        source = _IPY_SOURCE.match(line)
        if source:
            code = (source.group("code") or "").strip()
            if source.group("arrow"):
                if self.tb_frames and self.tb_frames[-1].line is None:
                    self.tb_frames[-1] = replace(self.tb_frames[-1], line=int(source.group("num")))
                self.tb_last_code = code
            self._tb_line(line)
            return True
        if _IPY_ELIDED.match(stripped):
            self._tb_line(line)
            return True
        cell = _IPY_CELL.match(stripped)
        if cell:
            self._ipython_frame(line, CELL_PATH, cell.group("line"), _ipython_function(cell.group("func")))
            return True
        found = _IPY_FILE.match(stripped) or _IPY_OLD.match(stripped)
        if found:
            path = found.group("path")
            func = found.group("func")
            self._ipython_frame(line, path, found.groupdict().get("line"),
                                _ipython_function(func, qualified=path.endswith(_CYTHON)))
            return True
        return False

    def _tb_frame(self, path: str, number: str | None, func: str | None) -> None:
        """A frame of the open traceback, in any shape (the kept frames bounded)."""
        self.tb_frames.append(self._frame(path, number, func))
        if len(self.tb_frames) > MAX_FRAMES * 2:
            self.tb_frames = cap_frames(self.tb_frames)

    def _ipython_frame(self, line: str, path: str, number: str | None, func: str | None) -> None:
        self._tb_frame(path, number, func)
        self._tb_line(line)
        self.tb_last_code = ""
        self.tb_expect_code = False

    def _tb_line(self, line: str) -> None:
        if len(self.tb_lines) < MAX_BLOCK_LINES:
            self.tb_lines.append(line)

    def _tb_body(self, line: str, stripped: str) -> bool:
        if not stripped:
            return True
        if stripped[0] in _BOX_EDGES:  # inside Rich's traceback box: source and locals of a frame
            self._tb_line(line)
            return True
        if _SKIP_IN_TB.match(line) or _CHAIN.match(stripped):
            self._tb_line(line)
            return True
        indented = line[:1] in (" ", "\t")
        if indented and not _BARE_EXC.match(stripped):
            # source line, caret markers, or a wrapped piece of the previous line
            self._tb_line(line)
            if self.tb_expect_code:
                self.tb_last_code = stripped
            self.tb_expect_code = False
            return True
        candidate = without_log_prefix(stripped) if not _PY_EXC.match(stripped) else stripped
        m = _PY_EXC.match(candidate)
        if m and m.group("type") and (m.group("msg") is not None or _looks_like_exc_name(m.group("type"))):
            exc_type = m.group("type")
            msg = (m.group("msg") or "").strip()
            self._tb_line(line)
            self._finish_tb(exc_type, msg)
            return True
        bare = _BARE_EXC.search(stripped)
        if bare:
            self._tb_line(line)
            self._finish_tb(bare.group("type"), bare.group("msg").strip(), bare.group("code"))
            return True
        if self.tb_expect_code:  # unindented source line of an excerpt
            self.tb_expect_code = False
            self.tb_last_code = stripped
            self._tb_line(line)
            return True
        self.tb_noise += 1
        if self.tb_noise > 30:
            self._flush_incomplete_tb()
            self._reset_tb()
            return False
        self._tb_line(line)
        return True

    def _finish_tb(self, exc_type: str, message: str, code: str | None = None) -> None:
        frames = cap_frames(self.tb_frames)
        location = None
        if exc_type.rsplit(".", 1)[-1] in ("SyntaxError", "IndentationError", "TabError") and frames \
                and (frames[-1].function is None or (self.tb_ipython and frames[-1].path == CELL_PATH
                     and frames[-1].function == "<module>")):
            location = frames[-1]
            frames = frames[:-1]
        ev = _Event(exc_type, message, frames, "python", "traceback", list(self.tb_lines),
                    code=code, chain=list(self.pending_chain), location=location)
        self._emit(ev)
        self.pending_chain = []
        self._reset_tb()
        self.after_exc = ev
        self.after_lines = 0
        if ev.exc_type.rsplit('.', 1)[-1] in ('ExceptionGroup', 'BaseExceptionGroup'):
            ev.superseded = True
            self.pending_chain = [_headline(ev)]
            self.after_exc = None

    # -- Node / TypeScript
    def _node_line(self, line: str, stripped: str) -> bool:
        """Attach ``at ...`` lines to the last JS error; False when the line is not part of it."""
        ev = self.node
        assert ev is not None
        at = _NODE_AT.match(line)
        if at:
            loc = at.group("loc") or at.group("bare") or ""
            lm = _LOC.match(loc)
            if lm and len(ev.frames) < MAX_FRAMES:
                ev.frames.append(self._frame(lm.group("path"), lm.group("line"), at.group("func")))
            ev.kind = "node"
            ev.language = "javascript"
            if len(ev.lines) < MAX_BLOCK_LINES:
                ev.lines.append(line)
            self.after_exc = None
            if stripped.endswith("{"):
                self._start_props(ev)
            return True
        if ev.kind == "node" or self.node_gap >= 12:  # the stack ended, or never came
            self._end_node()
            return False
        self.node_gap += 1  # message continuation between the error line and its stack
        return False

    def _start_props(self, ev: _Event) -> None:
        self.props = ev
        self.props_lines = 0

    def _props_line(self, line: str, stripped: str) -> bool:
        """A line of the properties Node prints after an error (``{``, indented ``key: value``
        lines, ``}``): the error's ``code`` is kept. False, ending the block, for any other line."""
        ev = self.props
        assert ev is not None
        self.props_lines += 1
        if stripped == "}" or self.props_lines > MAX_PROPS_LINES:
            self.props = None
            if stripped != "}":
                return False
            if self.node is ev:  # the error's printout is complete
                self._end_node()
            if self.after_exc is ev:
                self.after_exc = None
            return True
        if stripped and line[:1] not in (" ", "\t"):
            self.props = None
            return False
        prop = _JS_CODE_PROP.match(line)
        if prop and ev.code is None:
            ev.code = prop.group("code")
        if len(ev.lines) < MAX_BLOCK_LINES:
            ev.lines.append(line)
        return True

    def _end_node(self) -> None:
        if self.node is not None and self.node.kind == "node":
            self.node.frames.reverse()  # Node prints innermost first
        self.node = None

    # -- bare lines
    def _bare(self, line: str, stripped: str) -> None:
        if not stripped:
            return
        text = without_log_prefix(stripped)
        inspected = _JS_INSPECTED.match(text)
        if inspected:  # ``[Error: msg] {``: Node's util.inspect of an error without its stack
            text = inspected.group("body")
        pl = _PYTEST_LINE.match(text)
        if pl:
            ev = _Event(pl.group("type"), (pl.group("msg") or "").strip(), [self._frame(pl.group("path"),
                        pl.group("line"), None)], "python", "pytest", [line])
            if len(self.line_failures) < MAX_ERRORS:
                self.line_failures.append(ev)
            self._emit(ev)
            return
        found = match_exception_line(text)
        if found:
            exc_type, code, msg = found
            ev = _Event(exc_type, msg, [], _lang_of(exc_type), "bare", [line], code=code,
                        chain=list(self.pending_chain))
            self.pending_chain = []
            self._emit(ev)
            self._end_node()
            if "." not in exc_type:
                self.node = ev
                self.node_gap = 0
            self.after_exc = ev
            self.after_lines = 0
            if inspected and inspected.group("props"):
                self._start_props(ev)
            return
        gm = _GENERIC.match(text)
        if gm:
            self._emit(_Event("error", gm.group("msg").strip(), [], "generic", "generic", [line]))
            return
        record = log_record(stripped) if text != stripped else None
        if record is not None and record[1]:  # a structured log record of an error: its own text
            self._emit(_Event("error", record[0], [], "generic", "generic", [line]))

    # -- pytest
    def _pytest(self, line: str, stripped: str) -> bool:
        rule = _PYTEST_RULE.match(stripped)
        if rule:
            self._close_section()
            self.in_summary = "short test summary" in rule.group("title")
            return True
        if self.in_summary:
            sm = _PYTEST_SUMMARY.match(stripped)
            if sm:
                self.summary.append(self._summary_event(sm, line))
                return True
            return False
        if self.section is not None or self.sections:
            loose = _PYTEST_SUMMARY.match(stripped)
            if loose and "::" in loose.group("nodeid"):  # a summary line copied without its rule
                self._close_section()
                self.summary.append(self._summary_event(loose, line))
                return True
        sec = _PYTEST_SECTION.match(stripped)
        if sec:
            self._close_section()
            self.section = _PYTEST_PHASE.sub("", sec.group("name"))
            self.section_emitted = self._emitted
            return True
        if self.section is None:
            return False
        if len(self.section_lines) < MAX_BLOCK_LINES:
            self.section_lines.append(line)
        em = _PYTEST_E.match(line)
        if em:
            self.e_block.append((em.group("body") or "").strip())
            return True
        if self.e_block:
            self.e_last = self.e_block
            self.e_block = []
        fm = _PYTEST_FRAME.match(stripped)
        if fm:
            # long output prints ``path:line:`` without the function: the ``def`` line of the
            # source block just shown names it
            func = fm.group("func") or self.section_def
            self.section_def = None
            self.section_frames.append(self._frame(fm.group("path"), fm.group("line"), func))
            if len(self.section_frames) > MAX_FRAMES * 2:
                self.section_frames = cap_frames(self.section_frames)
            return True
        found = def_name(line[1:] if line.startswith(">") else line)
        if found and not self.tb_active:
            self.section_def = found[1]
        return False

    def _close_section(self) -> None:
        if self.section is None:
            return
        if self.e_block:
            self.e_last = self.e_block
        if self.e_last:
            exc_type, message, detail = _from_e_lines(self.e_last)
            frames = list(self.section_frames)
            if frames and frames[0].function is None:
                # the first frame of a failure section is the test function itself
                test_func = self.section.rsplit(".", 1)[-1].split("[")[0]
                frames[0] = replace(frames[0], function=test_func)
            ev = _Event(exc_type, message, cap_frames(frames), "python", "pytest",
                        self.section_lines[:MAX_BLOCK_LINES], detail=detail, test=self.section)
            self.sections[self.section] = ev
        elif self._emitted > self.section_emitted and self.events and self.events[-1].kind == "traceback":
            # --tb=native: the section holds a plain traceback
            self.sections[self.section] = self.events[-1]
        self.section = None
        self.section_def = None
        self.section_frames = []
        self.section_lines = []
        self.e_block = []
        self.e_last = []
        self._reset_tb()
        self.after_exc = None

    def _summary_event(self, sm: re.Match[str], line: str) -> _Event:
        nodeid = sm.group("nodeid")
        path, _, name = nodeid.partition("::")
        test_key = name.replace("::", ".")
        section = self.sections.get(test_key) or self.sections.get(name.split("::")[-1])
        if section is None and not name:
            section = next((s for k, s in self.sections.items() if path in k or k.endswith(path)), None)
        msg = (sm.group("msg") or "").strip()
        exc_type, message = "", ""
        if msg:
            bm = _PY_EXC.match(msg) if ": " in msg or _looks_like_exc_name(msg) else None
            if bm and (_looks_like_exc_name(bm.group("type")) or bm.group("msg") is not None):
                exc_type, message = bm.group("type"), (bm.group("msg") or "").strip()
            else:
                exc_type, message = ("AssertionError", msg) if msg.startswith("assert") else ("error", msg)
        frames: list[Frame] = []
        lines = [line]
        detail: list[str] = []
        if section is not None:
            frames = section.frames
            lines = [*section.lines, line]
            detail = section.detail
            if not exc_type or (message and section.message.startswith(message.rstrip(".")) and
                                len(section.message) > len(message)):
                exc_type, message = section.exc_type, section.message
        if section is None and len(self.summary) < len(self.line_failures):
            # --tb=line: the n-th failure line belongs to the n-th summary line
            failure = self.line_failures[len(self.summary)]
            if not exc_type or failure.exc_type.rsplit(".", 1)[-1] == exc_type.rsplit(".", 1)[-1]:
                exc_type, message = failure.exc_type, failure.message
                frames = list(failure.frames)
                lines = [*failure.lines, line]
        if message.endswith("...") and section is None:
            message = message[:-3].rstrip()  # cut by pytest to fit the terminal
        if path and (not frames or frames[0].path != path):
            func = name.split("::")[-1].split("[")[0] if name else None
            frames = [self._frame(path, None, func), *frames]
        return _Event(exc_type or "error", message, frames, "python", "summary", lines, detail=detail,
                      test=nodeid)

    def finish(self) -> list[_Event]:
        self._end_dump()
        self._close_section()
        self._flush_incomplete_tb()
        self._end_node()
        return self.events


def match_exception_line(text: str) -> tuple[str, str | None, str] | None:
    """(type, code, message) when one line reads like an error; unwraps ``Wrapper: Error: msg``."""
    for _ in range(3):
        found = _match_once(text)
        if found is None:
            return None
        exc_type, code, msg = found
        inner = _match_once(msg, anchored=True)
        if inner is None:
            return exc_type, code, msg
        text = msg
    return found


def _match_once(text: str, anchored: bool = False) -> tuple[str, str | None, str] | None:
    m = _NODE_EXC.match(text)
    if m and m.group("msg") is not None:
        return m.group("type"), m.group("code"), m.group("msg").strip()
    m = _PAREN_EXC.match(text)
    if m:
        return m.group("type"), None, m.group("msg").strip()
    m = _BARE_EXC.search(text)
    if m and (not anchored or m.start() == 0):
        return m.group("type"), m.group("code"), m.group("msg").strip()
    if anchored:
        return None
    m = _ANY_JS_EXC.search(text)
    if m:
        return m.group("type"), m.group("code"), m.group("msg").strip()
    m = _REPR_EXC.search(text)
    if m:
        return m.group("type"), None, m.group("msg").strip()
    return None


_CYTHON = (".pyx", ".pxi", ".pxd")
"""Compiled frames: their printed name is the qualified one in a plain traceback too."""


def _ipython_function(raw: str | None, qualified: bool = False) -> str:
    """A function as IPython names it, as a plain traceback does: ``DataFrame.__getitem__(self,
    key)`` is ``__getitem__`` (a compiled one's name stays ``qualified``, arguments aside); a cell's
    top level (``<cell line: 1>()``, no name) is ``<module>``."""
    name = (raw or "").strip()
    if not name or name.startswith("<cell line"):
        return "<module>"
    name = name.split("(", 1)[0].rstrip()
    return (name if qualified else name.rsplit(".", 1)[-1]) or "<module>"


def _headline(ev: _Event) -> str:
    head = f"{ev.exc_type} [{ev.code}]" if ev.code else ev.exc_type
    return f"{head}: {ev.message}" if ev.message else head


def _looks_like_exc_name(name: str) -> bool:
    return re.fullmatch(_EXC_NAME, name) is not None


def _looks_structural(stripped: str) -> bool:
    return bool(_TB_HEADER.search(stripped) or _PY_FRAME.search(stripped) or _NODE_AT.match(stripped)
                or _BARE_EXC.search(stripped) or _PYTEST_RULE.match(stripped) or _CHAIN.match(stripped))


def _lang_of(exc_type: str) -> str:
    return "python" if "." in exc_type or exc_type.endswith(("Exception", "Warning")) else "generic"


def _from_e_lines(lines: list[str]) -> tuple[str, str, list[str]]:
    for i, body in enumerate(lines):
        m = _PY_EXC.match(body)
        if m and m.group("msg") is not None and _looks_like_exc_name(m.group("type")):
            return m.group("type"), m.group("msg").strip(), lines[i + 1:i + 1 + MAX_DETAIL_LINES]
    first = lines[0] if lines else ""
    if first.startswith("assert"):
        return "AssertionError", first, lines[1:1 + MAX_DETAIL_LINES]
    m = _PY_EXC.match(first)
    if m and _looks_like_exc_name(m.group("type")):
        return m.group("type"), (m.group("msg") or "").strip(), lines[1:1 + MAX_DETAIL_LINES]
    return "error", first, lines[1:1 + MAX_DETAIL_LINES]


# --- public API --------------------------------------------------------------------------
_STRUCTURED = ("traceback", "node", "summary", "pytest")


_CHECKS_HEAD = re.compile(r"^(?:SystemCheckError: )?System check identified some issues:?$")
_CHECK = re.compile(r"^(?P<obj>\S.*?): \((?P<code>[a-z_]+(?:\.[a-z_]+)*\.[ECW]\d{3})\) (?P<msg>\S.*)$")


def _system_check(ev: _Event) -> tuple[str, str | None, list[str]]:
    """(message, code, detail) of an event. Django's system checks (``SystemCheckError: System
    check identified some issues:``) list their findings after that headline: the first error
    (a ``.E`` check before a warning) is the error, its check id the code (``fields.E130``), the
    object it is about (``shop.Product.price``) detail, as it differs between projects."""
    if ev.code or not _CHECKS_HEAD.match(ev.message):
        return ev.message, ev.code, ev.detail
    checks = [m for m in map(_CHECK.match, ev.detail) if m]
    if not checks:
        return ev.message, ev.code, ev.detail
    first = next((m for m in checks if ".E" in m.group("code") or ".C" in m.group("code")), checks[0])
    return first.group("msg"), first.group("code"), [first.group("obj"), *(d for d in ev.detail if d != first.group(0))]


_LIST_ITEM = re.compile(r"^[-*•]\s+(?P<item>\S.*)$")
MAX_LISTED = 3


def _with_listed(message: str, detail: list[str]) -> str:
    """A message ending in a colon names its subject in the list printed under it (conda's
    ``The following packages are not available from current channels:`` then ``- tensorflow-gpu==1.15``):
    the first items join the message, so two such errors about different things differ."""
    if not message.endswith(":"):
        return message
    items: list[str] = []
    for line in detail:
        m = _LIST_ITEM.match(line)
        if m is None or len(items) == MAX_LISTED:
            break
        items.append(m.group("item"))
    return f"{message} {', '.join(items)}" if items else message


def _to_parsed(ev: _Event, text: str | None, redact_secrets: bool = True) -> ParsedError:
    """``redact_secrets=False`` when the text was redacted (or must not be) already."""
    clean = redact if redact_secrets else _same
    message, code, detail = _system_check(ev)
    message = _with_listed(message, detail)
    body = text if text is not None else "\n".join(ev.lines)
    lang = ev.language
    if ev.kind == "node" or any(f.path.endswith((".js", ".ts", ".mjs", ".cjs", ".jsx", ".tsx")) for f in ev.frames):
        lang = "javascript" if lang != "python" or ev.kind == "node" else lang
    elif ev.frames and all(f.path.endswith((".py", ".pyx")) or f.path.startswith("<") for f in ev.frames):
        lang = "python"
    return ParsedError(
        exc_type=ev.exc_type,
        message=clean(message),
        frames=list(ev.frames),
        language=lang,
        text=clean(body[-MAX_TEXT:]),
        code=code,
        chain=[clean(c) for c in ev.chain],
        detail=clean("\n".join(detail)),
        location=ev.location,
    )


def _same(text: str) -> str:
    return text


def _scan(text: str, root: Path | None) -> _Scanner:
    scanner = _Scanner(root)
    for raw in _candidate_lines(text, scanner):
        scanner.feed(raw)
    scanner.finish()
    return scanner


def _candidate_lines(text: str, scanner: _Scanner) -> Iterator[str]:
    """The lines the scanner needs: every line while it is inside a block, otherwise only
    lines holding one of :data:`_KEYS`, found by one regular-expression search in C so that
    the quiet stretches of a 50 MB log cost no Python step per line."""
    n = len(text)
    cur = 0
    while cur < n:
        if not scanner.busy:
            m = _KEY_RX.search(text, cur)
            if m is None:
                return
            cur = text.rfind("\n", cur, m.start()) + 1 or cur
        nl = text.find("\n", cur)
        stop = n if nl < 0 else nl
        yield text[cur:min(stop, cur + MAX_LINE)]
        cur = stop + 1


_ALARM_LEVEL = re.compile(r"\b(?:ERROR|FATAL|CRITICAL|WARN(?:ING)?|PANIC)\b", re.IGNORECASE)
_BUILD_FAILED = frozenset({"CompileError", "LinkError", "DistutilsExecError", "CalledProcessError"})
"""Exceptions a build script raises when the compiler or linker it ran failed: the reason is
the tool's own error printed before the traceback (a missing header), when one is there."""
_ADVICE = re.compile(r"^\W{0,3}(?:if you\b|you (?:can|may|might|should)\b|see\b|refer to\b"
                     r"|for (?:more|further|general)\b|try\b|please\b|hint\b|note\b|help\b|tip\b|consider\b"
                     r"|to fix\b|run with\b|did you mean\b)",
                     re.IGNORECASE)
"""A line that tells the reader what to do or where to read more (``If you've specified ...``,
``See https://...``, ``Try: Run with --stacktrace``): a tool's advice after its error, never
the error itself."""
_HEAD_WORDS = 3
_HEAD_WORD = re.compile(r"[A-Za-z][A-Za-z0-9_]*")


def _fallback_line(text: str) -> str | None:
    """The most error-looking non-empty line: a log record at error or warning level (its
    message), before a line with an error word, before any other, before a line that reports
    only an outcome (``Found 1 error``, ``make: *** [all] Error 2``: the reason is on another
    line), before a line of advice.
    Of equals the last wins (a log's last error), except that a line of the same shape as an
    earlier one (the same first words: a tool listing ``Duplicate class A ...``, ``Duplicate
    class B ...``) gives way to the first of them, the error the list starts with."""
    ranked: list[tuple[float, str]] = []
    for raw in _iter_lines(text):
        cleaned = _clean(raw).strip()
        line = without_log_prefix(cleaned)
        if not line:
            continue
        record = log_record(cleaned)
        prefix = cleaned[:len(cleaned) - len(line)] if cleaned.endswith(line) else ""
        rank: float
        if OUTCOME_ONLY.search(line):
            rank = -0.5
        elif (record is not None and record[1]) or _ALARM_LEVEL.search(prefix):
            rank = 2
        elif _ADVICE.match(line):
            rank = -1
        else:
            rank = 1 if _ERRORISH.search(line) else 0
        ranked.append((rank, line))
    if not ranked:
        return None
    best_rank = max(rank for rank, _ in ranked)
    best = [line for rank, line in ranked if rank == best_rank][-1]
    head = _HEAD_WORD.findall(best)[:_HEAD_WORDS]
    if len(head) == _HEAD_WORDS:
        for rank, line in ranked:
            if rank == best_rank and _HEAD_WORD.findall(line)[:_HEAD_WORDS] == head:
                return line
    return best


def parse_error(text: str, workspace_root: Path | None = None, *, redact_secrets: bool = True) -> ParsedError | None:
    """The main error in ``text`` (the last one of a chain or log), or None for empty text.

    Secrets are redacted first. ``redact_secrets=False`` is for callers that neither store
    nor show the result (a match query), where redaction would only cost time."""
    if not text or text.isspace():
        return None
    if redact_secrets:
        text = redact(text)
    # A Django debug page or a JSON log record is read as the traceback it holds; the text
    # pasted is the one kept.
    readable = django_page_traceback(text) or json_logs_unescaped(text)
    scanner = _scan(readable if readable is not None else text, workspace_root)
    events = scanner.summary or scanner.events
    pick = _pick_main(events) if events else None
    if pick is None and scanner.sections:
        pick = list(scanner.sections.values())[-1]
    build_failed = pick is not None and pick.kind == "traceback" and short_type(pick.exc_type) in _BUILD_FAILED
    if pick is None or build_failed or pick.kind in ("bare", "generic", "node"):  # Go, Rust, JVM, .NET, Ruby, JS
        other = ecosystem_error(text, workspace_root, after_stack=pick is not None and pick.kind == "node",
                                floor=Priority.TOOL if build_failed else Priority.WRAPPER)
        if other is not None:
            if pick is None and OUTCOME_ONLY.search(other.message):  # a wrapper alone: ``make: *** [all] Error 1``
                return _reason_line(text) or other
            return other
    if pick is not None and pick.kind in ("bare", "generic") and not pick.frames \
            and OUTCOME_ONLY.search(pick.message):
        reason = _reason_line(text)  # ``Error: Process completed with exit code 1``: the reason is elsewhere
        if reason is not None:
            return reason
    if pick is not None:
        if not pick.frames and pick.kind == "bare":
            pick = _adopt_dangling_frames(pick, scanner)
        return _with_js_source_location(_to_parsed(pick, text, redact_secrets=False), text, len(text), workspace_root)
    line = _fallback_line(text)
    return _line_error(line, text) if line else None


_JS_SOURCE_HEAD = re.compile(r"^(?P<path>(?:file://)?(?:[A-Za-z]:)?[^\s:]*?\.(?:[cm]?[jt]sx?|vue|svelte)):(?P<line>\d+)"
                             r"\r?\n[^\n]*\n[ \t]*\^+[ \t]*\r?$", re.MULTILINE)


def _with_js_source_location(parsed: ParsedError, text: str, end: int, root: Path | None) -> ParsedError:
    """A JavaScript syntax error located where Node says: the ``file:line`` it prints above the
    source line and its carets (``/app/index.js:1``, ``import express from 'express';``,
    ``^^^^^^``), the last such head in ``text`` before ``end`` (where the error was printed)."""
    if parsed.location is not None or parsed.language == "python" or short_type(parsed.exc_type) != "SyntaxError":
        return parsed
    heads = list(_JS_SOURCE_HEAD.finditer(text, max(0, end - 200_000), end))
    if heads:
        parsed.location = make_frame(heads[-1].group("path"), int(heads[-1].group("line")), None, root)
    return parsed


def _line_error(line: str, text: str) -> ParsedError:
    """An error known only by its line (no type, no frames)."""
    return ParsedError("error", line, [], "generic", text[-MAX_TEXT:])


def _reason_line(text: str) -> ParsedError | None:
    """The most error-looking line when it states a reason: an error word, and not itself an
    outcome (``access denied``, not ``Error 2`` or ``Entering directory``). What stands in
    for a line that only says a command failed."""
    line = _fallback_line(text)
    if line and _ERRORISH.search(line) and not OUTCOME_ONLY.search(line):
        return _line_error(line, text)
    return None


def _adopt_dangling_frames(ev: _Event, scanner: _Scanner) -> _Event:
    """An excerpt whose frames are followed by a decorated exception line."""
    if scanner.tb_frames:
        ev.frames = cap_frames(scanner.tb_frames)
    return ev


def _pick_main(events: list[_Event]) -> _Event | None:
    for kinds in (_STRUCTURED, ("bare",), ("generic",)):
        for ev in reversed(events):
            if ev.kind in kinds:
                return ev
    return None


def extract_errors(output: str, workspace_root: Path | None = None) -> list[ParsedError]:
    """Every distinct error in a command's output, in order of appearance.

    pytest output gives one error per failing test; a traceback (with its chained causes)
    gives one; bare error lines count only when the output holds nothing more structured.
    """
    if not output or output.isspace():
        return []
    scanner = _scan(json_logs_unescaped(output) or output, workspace_root)
    if scanner.summary:
        events = scanner.summary
    elif scanner.sections:
        events = list(scanner.sections.values())
    else:
        structured = [e for e in scanner.events if e.kind in _STRUCTURED]
        if all(e.kind == "node" for e in structured):  # Go, Rust, JVM, .NET, Ruby, JS tools
            others = ecosystem_errors(output, workspace_root, after_stack=bool(structured))
            if others:
                return others
        events = structured or [e for e in scanner.events if e.kind in ("bare",)] \
            or [e for e in scanner.events if e.kind == "generic"]
    chained = {c for e in events for c in e.chain}
    out: list[ParsedError] = []
    seen: set[tuple[str, str]] = set()
    cursor = 0  # where the previous error's first line was found: the next one's text starts after it
    for ev in events:
        if ev.superseded or (ev.kind in ("bare", "generic") and _headline(ev) in chained):
            continue
        found = output.find(ev.lines[0], cursor) if ev.lines else -1
        if found >= 0:
            cursor = found + len(ev.lines[0])
        parsed = _with_js_source_location(_to_parsed(ev, None), output, cursor if found >= 0 else 0, workspace_root)
        inner = parsed.innermost_app_frame()
        key = (fingerprint(parsed), f"{inner.path}:{inner.function}" if inner else (ev.test or ""))
        if key in seen:
            continue
        seen.add(key)
        out.append(parsed)
    return out
