"""Python's fatal-error dumps (faulthandler): a crash in C code (a segfault in an extension, an
abort, a GPU driver), ``Py_FatalError`` and ``faulthandler.dump_traceback_later`` timeouts.

A dump names the fatal error, then prints every thread's Python frames, most recent call
*first* and without the comma of a traceback (``File "x", line 3 in load``)::

    Fatal Python error: Segmentation fault

    Thread 0x00007f3c29ffe6c0 (most recent call first):
      File "/usr/lib/python3.11/threading.py", line 320 in wait

    Current thread 0x00007f3c2a1b8740 (most recent call first):
      File "/venv/lib/python3.11/site-packages/cv2/__init__.py", line 181 in bootstrap
      File "/app/shop/vision.py", line 3 in <module>

    Extension modules: numpy.core._multiarray_umath, cv2 (total: 2)
    Segmentation fault (core dumped)

The current thread's frames are the crash's (a timeout names no current thread: the last
block printed is the main thread's, the oldest). :class:`FaultDump` reads one dump line by
line in bounded memory; the scanner of memory_store.errors.parse feeds it.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from memory_store.errors.frames import MAX_FRAMES
from memory_store.errors.model import Frame

FATAL_TYPE = "Fatal Python error"
TIMEOUT_TYPE = "Timeout"
"""``faulthandler.dump_traceback_later``'s dump, ``Timeout (0:00:05)!``: the message is the delay."""
RUNTIME_TYPES = frozenset({FATAL_TYPE.lower(), "windows fatal exception", TIMEOUT_TYPE.lower()})
"""The dumps' types: their message is the runtime's or the operating system's own wording
(``Segmentation fault``), which says nothing of its cause (see normalize.is_specific)."""

_HEADER = re.compile(r"(?:^|(?<=[\s.]))(?P<type>Fatal Python error|Windows fatal exception): ?(?P<msg>.*?)\s*$")
_TIMEOUT = re.compile(r"^Timeout \((?P<after>\d+:\d{2}:\d{2}(?:\.\d+)?)\)!$")
_THREAD = re.compile(r"^(?:(?P<current>Current thread)|Thread) 0x[0-9a-fA-F]+(?: \[[^\]]*\])?"
                     r" \(most recent call first\):$|^(?P<stack>Stack) \(most recent call first\):$")
"""A thread's block (Python 3.14 adds the thread's name in brackets); ``Stack`` is the only one
printed by ``faulthandler.dump_traceback(all_threads=False)``."""
_FRAME = re.compile(r'^File "(?P<path>[^"]+)", line (?P<line>\d+|\?\?\?) in (?P<func>\S.*?)$')
_SIGNAL = re.compile(r"(?:^|\d\s+|^(?:zsh|bash|sh|fish): )(?P<sig>Segmentation fault|Bus error"
                     r"|Floating point exception|Illegal instruction|Aborted|Killed)"
                     r"(?: \(core dumped\))?(?:\s{2,}\S.*)?$", re.IGNORECASE)
"""The shell's line for the signal that ended the process (``Segmentation fault (core dumped)``,
``bash: line 1: 4242 Aborted (core dumped)   python app.py``)."""
_NOISE = ("<no Python frame>", "...", "<truncated rest of calls>", "Python runtime state:",
          "Current thread's C stack trace", "Binary file ", "<tstate is freed>")
_DETAIL = ("Extension modules:", "Garbage-collecting")
"""Lines kept as the error's detail: the C extensions loaded are evidence of which one crashed."""
MAX_LINES = 400

FrameMaker = Callable[[str, "str | None", "str | None"], Frame]


def may_start(line: str) -> bool:
    """Cheap test before :func:`start`: could ``line`` open a dump?"""
    return "atal " in line or "call first):" in line or line.startswith("Timeout (")


def start(line: str) -> tuple[str, str, bool] | None:
    """(type, message, is a thread header) when ``line`` opens a dump."""
    stripped = line.strip()
    if _THREAD.match(stripped):
        return FATAL_TYPE, "", True
    timeout = _TIMEOUT.match(stripped)
    if timeout:
        return TIMEOUT_TYPE, timeout.group("after"), False
    header = _HEADER.search(stripped)
    if header:
        return header.group("type"), header.group("msg"), False
    return None


def is_dump_headline(headline: str) -> bool:
    return headline.startswith((f"{FATAL_TYPE}:", "Windows fatal exception:")) or headline == FATAL_TYPE


class FaultDump:
    """One dump being read: its header, the current thread's frames, its detail lines."""

    def __init__(self, exc_type: str, message: str, make_frame: FrameMaker) -> None:
        self.exc_type = exc_type
        self.message = message
        self._make_frame = make_frame
        self.lines: list[str] = []
        self.detail: list[str] = []
        self.in_head = True
        """Before the first thread block: where ``Py_FatalError`` prints the exception it met."""
        self._block: list[Frame] | None = None
        self._block_current = False
        self._current: list[Frame] | None = None
        self._last: list[Frame] = []

    @property
    def headline(self) -> str:
        return f"{self.exc_type}: {self.message}" if self.message else self.exc_type

    def add_line(self, line: str) -> None:
        if len(self.lines) < MAX_LINES:
            self.lines.append(line)

    def feed(self, line: str) -> str:
        """``taken`` (a line of the dump), ``last`` (the shell's signal line: the dump is over) or
        ``other`` (not a line of the dump; it is over, the line is someone else's)."""
        stripped = line.strip()
        if not stripped:
            self._end_block()
            self.add_line(line)
            return "taken"
        thread = _THREAD.match(stripped)
        frame = None if thread else _FRAME.match(stripped)
        if thread or frame:
            if thread:
                self._end_block()
            if self._block is None:
                self._block = []
                self._block_current = bool(thread and (thread.group("current") or thread.group("stack")))
                self.in_head = False
            if frame and len(self._block) < MAX_FRAMES * 2:  # the innermost frames come first
                number = frame.group("line")
                self._block.append(self._make_frame(frame.group("path"), None if number == "???" else number,
                                                    frame.group("func")))
            self.add_line(line)
            return "taken"
        if stripped.startswith(_DETAIL):
            if len(self.detail) < 4:
                self.detail.append(stripped)
            self.add_line(line)
            return "taken"
        if stripped.startswith(_NOISE):
            self.add_line(line)
            return "taken"
        signal = _SIGNAL.search(stripped)
        if signal:
            if not self.message and self.exc_type == FATAL_TYPE:
                self.message = signal.group("sig")
            self.add_line(line)
            return "last"
        return "other"

    def _end_block(self) -> None:
        if self._block is None:
            return
        if self._block_current and self._current is None:
            self._current = self._block
        self._last = self._block
        self._block = None

    def frames(self) -> list[Frame]:
        """The current thread's frames (else the last block's) in traceback order, outermost first."""
        self._end_block()
        chosen = self._current if self._current is not None else self._last
        return list(reversed(chosen))
