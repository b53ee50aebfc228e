"""Ruby output: exceptions with backtraces (``file.rb:12:in `method': msg (Type)`` then
``from file.rb:3:in 'other'`` lines; Ruby 3.4 quotes with ``'Class#method'``),
``Type: msg`` lines with bare backtrace lines under them (rake, Rails, irb), Rails
``Type (msg):`` log lines and Bundler errors."""

from __future__ import annotations

import re
from pathlib import Path

from memory_store.errors.frames import make_frame
from memory_store.errors.langs.common import Candidate, Found, Priority, error, walk
from memory_store.errors.model import Frame

MARKERS = (':in `', ":in '", 'Error', 'Bundler', 'Gem::', 'cannot load such file', 'rake aborted',
           'Could not find gem', 'Could not find ', 'while installing', 'Your bundle', 'Gemfile')
"""Substrings one of which an output holds when this parser can find anything in it."""

_TYPE = r"[A-Z]\w*(?:::[A-Z]\w*)*"
_LOC = r"(?P<path>[^\s:]+?|\([a-z]+\)|-e|[A-Za-z]:[^\s:]+?):(?P<line>\d+):in [`'](?P<func>[^'`]+)'"
_HEAD = re.compile(r"^" + _LOC + r":\s+(?P<msg>.*?)\s+\((?P<type>" + _TYPE + r")\)$")
_HEAD_NOTYPE = re.compile(r"^" + _LOC + r":\s+(?P<msg>.+)$")
_FROM = re.compile(r"^\s*(?:from\s+)?" + _LOC + r":?\s*$")
_TYPED = re.compile(r"^(?P<type>" + _TYPE + r"(?:Error|Exception|NotFound|Invalid|Missing|Conflict|"
                    r"NotFoundError|Interrupt)|LoadError|NameError|NoMethodError|SystemExit|Errno::\w+):\s+(?P<msg>.+)$")
_MSG_TYPE = re.compile(r"^(?P<msg>\S.*?)\s+\((?P<type>" + _TYPE + r"(?:Error|Exception)|LoadError)\)$")
_RAILS = re.compile(r"^(?P<type>" + _TYPE + r"(?:Error|Exception|NotFound|Invalid))\s+\((?P<msg>.+)\):?$")
_RAILS_OPEN = re.compile(r"^(?P<type>" + _TYPE + r"(?:Error|Exception|NotFound|Invalid))\s+\($")
"""Rails' log of an exception whose message spans lines: ``ActiveRecord::PendingMigrationError (``,
the message, then ``):``."""
_RAILS_CLOSE = re.compile(r"^\):?$")
MAX_RAILS_LINES = 30
_BUNDLER = re.compile(r"^(?P<msg>(?:Bundler could not find compatible versions for gem|Could not find gem "
                      r"|Could not find [\w.\-]+-\d[\w.\-]* in |An error occurred while installing |Gem::Ext::"
                      r"BuildError|Your bundle is locked to|Bundler found conflicting requirements|You have "
                      r"already activated|Could not locate Gemfile|The gemspec at).+)$")
_STDLIB_HINT = re.compile(r"(?:^|/)(?:rubygems|bundler)/|^<internal:")


def find(lines: list[str], root: Path | None) -> list[Candidate]:
    return walk(lines, lambda i, s: _step(lines, i, s, root))


def _step(lines: list[str], i: int, s: str, root: Path | None) -> Candidate | Found | None:
    m = _HEAD.match(s)
    if m:
        first = _ruby_frame(m.group("path"), m.group("line"), m.group("func"), root)
        frames, j = _backtrace(lines, i + 1, root)
        return _candidate(i, j, m.group("type"), m.group("msg"), [first, *frames]), j
    m = _TYPED.match(s) or _RAILS.match(s) or _MSG_TYPE.match(s)
    if m and _is_ruby(m.group("type"), lines, i):
        frames, j = _backtrace(lines, i + 1, root)
        return _candidate(i, j, m.group("type"), m.group("msg"), frames), j
    m = _RAILS_OPEN.match(s)
    if m:
        body: list[str] = []
        for j in range(i + 1, min(len(lines), i + MAX_RAILS_LINES)):
            line = lines[j].strip()
            if _RAILS_CLOSE.match(line):
                if not body:
                    break
                frames, k = _backtrace(lines, j + 1, root)
                return _candidate(i, k, m.group("type"), " ".join(body), frames), k
            if line:
                body.append(line)
    m = _BUNDLER.match(s)
    if m:
        return Candidate(Priority.TOOL, i, error("bundler", m.group("msg"), "ruby"))
    m = _HEAD_NOTYPE.match(s)
    if m and i + 1 < len(lines) and _FROM.match(lines[i + 1]):
        first = _ruby_frame(m.group("path"), m.group("line"), m.group("func"), root)
        frames, j = _backtrace(lines, i + 1, root)
        return _candidate(i, j, "RuntimeError", m.group("msg"), [first, *frames]), j
    return None


_RUBY_ONLY = frozenset({"LoadError", "NoMethodError", "ArgumentError", "FrozenError", "ScriptError", "SecurityError",
                        "ThreadError", "FiberError", "EncodingError", "LocalJumpError", "UncaughtThrowError",
                        "SystemStackError", "NoMatchingPatternError", "NoMatchingPatternKeyError", "Interrupt"})


def _is_ruby(exc_type: str, lines: list[str], i: int) -> bool:
    """``Type: msg`` is Ruby's when the type is (``Foo::Bar``, ``NoMethodError``) or a Ruby
    backtrace follows; ``NameError: msg`` alone may as well be Python's."""
    if "::" in exc_type or exc_type in _RUBY_ONLY:
        return True
    return i + 1 < len(lines) and _FROM.match(lines[i + 1]) is not None


def _candidate(i: int, j: int, exc_type: str, message: str, frames: list[Frame]) -> Candidate:
    frames = list(reversed(frames))  # Ruby prints the innermost frame first
    return Candidate(Priority.EXCEPTION, i, error(exc_type, message, "ruby", frames=frames), end=j - 1)


def _backtrace(lines: list[str], start: int, root: Path | None) -> tuple[list[Frame], int]:
    frames: list[Frame] = []
    j = start
    n = len(lines)
    while j < n and j < start + 300:
        m = _FROM.match(lines[j])
        if not m:
            if re.match(r"^\s*\.\.\. \d+ levels\.\.\.$", lines[j]):
                j += 1
                continue
            break
        frames.append(_ruby_frame(m.group("path"), m.group("line"), m.group("func"), root))
        j += 1
    return frames, j


def _ruby_frame(path: str, line: str, func: str, root: Path | None) -> Frame:
    name = re.sub(r"^(?:block(?: \(\d+ levels\))? in |rescue in |ensure in )", "", func)
    f = make_frame(path, int(line), name, root)
    if f.kind == "app" and (_STDLIB_HINT.search(f.path) or re.search(r"/lib/ruby/(?:\d|site_ruby|vendor_ruby)",
                                                                      path.replace("\\", "/"))):
        return Frame(path=f.path, line=f.line, function=f.function, module=f.module, kind="stdlib")
    return f
