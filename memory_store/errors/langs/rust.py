"""Rust output: panics (``thread 'main' panicked at ...``, old and new layouts) with
``RUST_BACKTRACE`` frames, rustc diagnostics (``error[E0277]: msg`` and its ``-->``
location) and cargo errors (``failed to parse manifest``, ``failed to run custom build
command for``, with their ``Caused by:`` lines)."""

from __future__ import annotations

import re
from pathlib import Path

from memory_store.errors.frames import make_frame
from memory_store.errors.langs.common import Candidate, Found, Priority, error, walk
from memory_store.errors.model import Frame
from memory_store.errors.normalize import OUTCOME_ONLY

MARKERS = ('panicked at', 'error[E', 'error: ', 'Result::unwrap', 'Option::unwrap')
"""Substrings one of which an output holds when this parser can find anything in it."""

_PANIC_OLD = re.compile(r"^thread '(?P<thread>[^']*)' panicked at '(?P<msg>.*)', (?P<path>[^\s,]+?):(?P<line>\d+)"
                        r"(?::\d+)?$")
_PANIC_NEW = re.compile(r"^thread '(?P<thread>[^']*)' panicked at (?P<path>[^\s,']+?):(?P<line>\d+)(?::\d+)?:$")
_PANIC_OLD_NOLOC = re.compile(r"^thread '(?P<thread>[^']*)' panicked at '(?P<msg>.+?)'?$")
_UNWRAP = re.compile(r"^(?P<msg>called `(?:Result|Option)::(?:unwrap|expect)\(\)` on an? `?(?:Err|None)`? value.*)$")
_DIAG = re.compile(r"^error(?:\[(?P<code>E\d{4})\])?: (?P<msg>.+)$")
_ARROW = re.compile(r"^\s*--> (?P<path>.+?):(?P<line>\d+):\d+$")
_BT_FUNC = re.compile(r"^\s*\d+:\s+(?:0x[0-9a-f]+ - )?(?P<func>\S.*?)\s*$")
_BT_AT = re.compile(r"^\s+at (?P<path>.+?):(?P<line>\d+)(?::\d+)?$")
_WRAPPERS = re.compile(r"^(?:aborting due to|could not compile|build failed|Could not compile)")
_CAUSED = re.compile(r"^Caused by:\s*$")
_STD = ("std::", "core::", "alloc::", "rust_begin_unwind", "__rust", "_start", "__libc_start", "main",
        "<unknown>", "backtrace::", "tokio::runtime::", "<core::", "<alloc::", "<std::")


_RUST_CONTEXT = re.compile(r"\bcargo\b|\brustc\b|Cargo\.toml|\bcrates?\b|^\s*Compiling \S+ v\d|^\s*--> |\.rs:\d"
                           r"|RUST_BACKTRACE|could not compile `|aborting due to", re.MULTILINE)


def find(lines: list[str], root: Path | None) -> list[Candidate]:
    """Uncoded ``error: msg`` lines count only in output that shows Rust's tools (many
    tools print ``error:``)."""
    rusty = any(_RUST_CONTEXT.search(line) for line in lines)
    return walk(lines, lambda i, s: _step(lines, i, s, root, rusty))


def _step(lines: list[str], i: int, s: str, root: Path | None, rusty: bool) -> Candidate | Found | None:
    m = _PANIC_NEW.match(s)
    if m:
        msg_lines: list[str] = []
        j = i + 1
        while j < min(len(lines), i + 3) and not lines[j].strip():
            j += 1  # a build script's panic, printed by cargo, has blank lines before its message
        while j < len(lines) and lines[j].strip() and not lines[j].strip().startswith(("note:", "stack backtrace:")) \
                and len(msg_lines) < 4:
            msg_lines.append(lines[j].strip())
            j += 1
        loc = make_frame(m.group("path"), int(m.group("line")), None, root)
        return _panic(lines, i, j, " ".join(msg_lines), loc, root), j
    m = _PANIC_OLD.match(s) or _PANIC_OLD_NOLOC.match(s)
    if m:
        old_loc = make_frame(m.group("path"), int(m.group("line")), None, root) if "path" in m.re.groupindex else None
        return _panic(lines, i, i + 1, m.group("msg"), old_loc, root)
    m = _UNWRAP.match(s)
    if m:
        return Candidate(Priority.TOOL, i, error("panic", m.group("msg"), "rust"))
    m = _DIAG.match(s)
    if m and (m.group("code") or rusty):
        return _diagnostic(lines, i, m.group("code"), m.group("msg"), root)
    return None


def _panic(lines: list[str], i: int, j: int, message: str, loc: Frame | None, root: Path | None) -> Candidate:
    """A panic; one whose message only reports a command's exit status (a build script's
    ``failed to execute [cc ...]: exit status: 1``) wraps the tool's own error printed before."""
    frames = _backtrace(lines, j, root)
    pri = Priority.WRAPPER if OUTCOME_ONLY.search(message) else Priority.EXCEPTION
    return Candidate(pri, i, error("panic", message, "rust", frames=frames, location=loc))


def _backtrace(lines: list[str], start: int, root: Path | None) -> list[Frame]:
    """``stack backtrace:`` frames after a panic (innermost first as printed)."""
    n = len(lines)
    j = start
    while j < n and j < start + 4 and not lines[j].strip().startswith("stack backtrace:"):
        j += 1
    if j >= n or not lines[j].strip().startswith("stack backtrace:"):
        return []
    frames: list[Frame] = []
    func: str | None = None
    for raw in lines[j + 1:j + 400]:
        fm = _BT_FUNC.match(raw)
        am = _BT_AT.match(raw)
        if fm and not am:
            if func is not None:
                frames.append(_rust_frame("<unknown>", None, func, root))
            func = fm.group("func")
        elif am and func is not None:
            frames.append(_rust_frame(am.group("path"), int(am.group("line")), func, root))
            func = None
        else:
            break
    if func is not None:
        frames.append(_rust_frame("<unknown>", None, func, root))
    frames.reverse()
    return frames


def _rust_frame(path: str, line: int | None, func: str, root: Path | None) -> Frame:
    name = re.sub(r"::h[0-9a-f]{16}$", "", func)  # the symbol hash differs per build
    f = make_frame(path, line, name, root)
    kind = "stdlib" if name.startswith(_STD) and f.kind == "app" else f.kind
    if kind == "app":
        return f
    # the runtime's and crates' frames by module path (std::panicking, tokio::runtime::park),
    # as the launcher list names them
    module = name.rsplit("::", 1)[0] if "::" in name and not name.startswith("<") else f.module
    return Frame(path=f.path, line=f.line, function=name, module=module, kind=kind)


def _diagnostic(lines: list[str], i: int, code: str | None, message: str, root: Path | None) -> tuple[Candidate, int]:
    """A rustc/cargo ``error:`` with its ``-->`` location and ``Caused by:`` lines."""
    n = len(lines)
    loc: Frame | None = None
    chain: list[str] = []
    detail: list[str] = []
    j = i + 1
    in_caused = False
    while j < n and j < i + 60:
        raw = lines[j]
        s = raw.strip()
        if _DIAG.match(s) or s.startswith(("warning:", "For more information")):
            break
        am = _ARROW.match(raw)
        if am and loc is None:
            loc = make_frame(am.group("path"), int(am.group("line")), None, root)
        elif _CAUSED.match(s):
            in_caused = True
        elif in_caused and (_PANIC_NEW.match(s) or _PANIC_OLD.match(s) or _PANIC_OLD_NOLOC.match(s)):
            break  # a build script's panic: its message is the reason, read as a panic of its own
        elif in_caused and s and raw.startswith("  ") and len(chain) < 6:
            chain.append(s)
        elif s.startswith(("= note:", "= help:", "help:")) and len(detail) < 4:
            detail.append(s.lstrip("= "))
        j += 1
    if _WRAPPERS.match(message):
        pri = Priority.WRAPPER
    elif code:
        pri = Priority.EXCEPTION
    elif loc is not None:
        pri = Priority.LOCATED
    else:
        pri = Priority.TOOL
    if chain:
        # cargo's innermost "Caused by" line is the reason; the headline says what failed.
        detail = [*chain, *detail][:6]
    tool = "rustc" if code or loc is not None else "cargo"  # a diagnostic of the compiler, else cargo's own
    return Candidate(pri, i, error(tool, message, "rust", code=code, location=loc, detail=detail),
                     end=j - 1), max(j, i + 1)
