"""Go output: panics with goroutine traces, ``fatal error:`` crashes, compiler and vet
errors (``file.go:12:5: msg``), ``go`` command errors (``go: ...``) and ``go test`` failures."""

from __future__ import annotations

import re
from pathlib import Path

from memory_store.errors.frames import make_frame
from memory_store.errors.langs.common import Candidate, Found, Priority, detail_lines, error, walk, without_log_prefix
from memory_store.errors.model import Frame

MARKERS = ('goroutine ', 'panic: ', 'fatal error: ', '.go:', 'go: ', '--- FAIL', 'FAIL\t', 'undefined: ',
           'imported and not used', 'declared and not used', 'declared but not used', 'no required module provides',
           'x509: ', 'tls: ', 'proto: ', 'dial tcp ', 'dial udp ', 'dial unix ', ': connection refused',
           ': no such file or directory', ': i/o timeout')
"""Substrings one of which an output holds when this parser can find anything in it."""

_PANIC = re.compile(r"^(?:panic|fatal error): (?P<msg>.+?)(?: \[recovered\])?$")
_GOROUTINE = re.compile(r"^goroutine \d+ \[[^\]]*\]:$")
_FUNC = re.compile(r"^(?P<func>(?:created by )?[\w./\-~%*()\[\]{},:<>]+?)(?:\((?P<args>[^()]*)\))?"
                   r"(?: in goroutine \d+)?$")
_FILE = re.compile(r"^\s+(?P<path>.+\.(?:go|s)):(?P<line>\d+)(?: \+0x[0-9a-f]+)?$")
_COMPILE = re.compile(r"^(?P<path>(?:[A-Za-z]:)?[^\s:]*\.go):(?P<line>\d+)(?::(?P<col>\d+))?: (?P<msg>.+)$")
_GO_CMD = re.compile(r"^go: (?P<msg>.+)$")
_GO_CMD_SKIP = re.compile(r"^(?:downloading|finding|extracting|added|upgraded|found|to add|warning:)")
_TEST_FAIL = re.compile(r"^\s*--- FAIL: (?P<test>\S+)")
_TEST_LINE = re.compile(r"^\s+(?P<path>[\w./\-]+\.go):(?P<line>\d+): (?P<msg>.+)$")
_KIND = re.compile(r"^(?P<pre>undefined|syntax error|invalid operation|assignment mismatch|undeclared name"
                   r"|invalid recursive type|invalid composite literal type|cannot infer \w+):"
                   r"|(?P<phrase>imported and not used|declared and not used|declared but not used|redeclared in this"
                   r" block|(?<= )undefined(?= \(type)|does not implement|missing return|cannot use|too many arguments"
                   r"|not enough arguments|no required module provides package|is not in std|is not in GOROOT"
                   r"|cannot find package|import cycle not allowed|missing go\.sum entry|could not import"
                   r"|expected '[^']*', found)")
"""The kind of a compiler error, which is its type: ``undefined: grpc.X`` is an ``undefined``."""
_KIND_ALIASES = {"declared but not used": "declared and not used", "is not in GOROOT": "is not in std",
                 "undeclared name": "undefined"}
_BARE_COMPILE = re.compile(r"^(?:undefined: [\w.]+|(?:\"[\w./\-]+\"|[\w.]+) imported and not used|[\w.]+ declared "
                           r"(?:and|but) not used(?:: \w+)?|declared and not used: \w+|no required module provides "
                           r"package \S+.*)$")
"""Compiler errors that are Go's even without their ``file.go:line:col:`` prefix."""
_CHAIN_START = re.compile(r"^(?:[a-z]|(?:Get|Head|Post|Put|Patch|Delete|Options) \S)")
"""How a wrapped Go error line starts: a lower-case word (Go's error strings are lower case) or
the HTTP method of ``net/http``'s ``Get "url": ...``; never an exception type of another language."""
_GO_CAUSE = re.compile(r"(?:^|: )(?:(?:x509|tls|proto|json|yaml|asn1|pem|http2|gob|xml): "
                       r"|(?:dial|read|write) (?:tcp|udp|unix)[46]? "
                       r"|(?:open|stat|lstat|mkdir|remove|chdir|readlink|rename) [~./\\A-Za-z])")
"""A cause only Go's packages write: ``x509: ...``, ``dial tcp addr: ...``, ``open /path: ...``."""
_CHAIN_SEP = re.compile(r'"(?:[^"\\]|\\.)*"|: ')
_PACKAGE_PREFIX = re.compile(r"^[a-z][a-z0-9]*(?:/[a-z0-9]+)*$")
"""A segment that names the package or operation of the part after it (``x509``, ``connect``)."""
_CONTEXT = re.compile(r'["\'/\\@]|\d[.:]\d|\w\.\w')
"""What makes a segment one occurrence's context: a quoted value, a path or URL, an address,
a module version, a dotted name."""
_MIN_CAUSE_WORDS = 2
_MODULE_VERSION = re.compile(r"@v\d")
_SIGNAL = re.compile(r"^\[signal [^\]]+\]$")
_RUNTIME = ("runtime.", "runtime/", "testing.", "reflect.", "sync.", "internal/", "syscall.", "os/signal.")


def find(lines: list[str], root: Path | None) -> list[Candidate]:
    return walk(lines, lambda i, s: _step(lines, i, s, root))


def _step(lines: list[str], i: int, s: str, root: Path | None) -> Candidate | Found | None:
    text = without_log_prefix(s)
    m = _PANIC.match(text)
    if m:
        kind = "panic" if text.startswith("panic") else "fatal error"
        return _panic(lines, i, kind, m.group("msg"), root)
    if _CHAIN_START.match(text) and _GO_CAUSE.search(text):
        cause, context = split_chain(text)
        return Candidate(Priority.TOOL, i, error("error", cause, "go", detail=context))
    m = _COMPILE.match(s)
    if m:
        loc = make_frame(m.group("path"), int(m.group("line")), None, root)
        return Candidate(Priority.LOCATED, i, error(compile_kind(m.group("msg")), m.group("msg"), "go", location=loc,
                                           detail=_indented(lines, i + 1)))
    if _BARE_COMPILE.match(text):
        return Candidate(Priority.TOOL, i, error(compile_kind(text), text, "go"))
    m = _GO_CMD.match(text)
    if m and not _GO_CMD_SKIP.match(m.group("msg")):
        detail = _indented(lines, i + 1)
        msg = m.group("msg")
        if detail and msg.endswith((" requires", ":")):
            # ``go: mod@v requires`` / ``\tdep@v: missing go.sum entry``: the reason is on the next line
            msg = f"{msg} {detail.pop(0)}"
        msg, context = split_chain(msg)
        detail = [*context, *detail]
        return Candidate(Priority.TOOL, i, error("go", msg, "go", detail=detail))
    m = _TEST_FAIL.match(lines[i])
    if m:
        return _test_failure(lines, i, m.group("test"), root)
    if s.startswith(("FAIL\t", "exit status ")):
        return Candidate(Priority.WRAPPER, i, error("error", s, "go"))
    return None


def split_chain(message: str) -> tuple[str, list[str]]:
    """(the innermost cause, the context around it) of an error Go wrapped as ``outer: inner``
    (``fmt.Errorf("...: %w", err)``): ``Get "https://h/x": x509: certificate signed by unknown
    authority`` gives ``x509: certificate signed by unknown authority`` and ``Get "https://h/x"``.

    The cause starts after the last outer segment that holds one occurrence's values (a
    quoted string, path, URL, address) or at the last package prefix (``tls: failed to
    verify certificate: x509: ...`` -> ``x509: ...``); it keeps at least two words
    (``Post "u": EOF`` stays whole) and every ``module@version`` it names (the dependency at
    fault). Quoted parts are one unit and a colon not followed by a space (``C:\\x``,
    ``https://``, ``host:443``) does not split. The context is ``[]`` when the message is not
    a chain."""
    segments: list[str] = []
    start = 0
    for m in _CHAIN_SEP.finditer(message):
        if m.group() == ": ":
            segments.append(message[start:m.start()])
            start = m.end()
    segments.append(message[start:])
    if len(segments) < 2 or not all(seg.strip() for seg in segments):
        return message, []
    cut = 0
    for k, seg in enumerate(segments[:-1]):
        if _PACKAGE_PREFIX.match(seg):
            cut = k
        elif _CONTEXT.search(seg):
            cut = k + 1
    modules = [k for k, seg in enumerate(segments[:cut]) if _MODULE_VERSION.search(seg)]
    if modules:  # ``go: mod@v requires dep@v: missing go.sum entry``: the module at fault is the cause
        cut = modules[0]
    while cut > 0 and len(": ".join(segments[cut:]).split()) < _MIN_CAUSE_WORDS:
        cut -= 1
    if cut == 0:
        return message, []
    return ": ".join(segments[cut:]), [": ".join(segments[:cut])]


def compile_kind(message: str) -> str:
    """``undefined``, ``imported and not used``, ``cannot use``, ...: the kind of a compiler
    error, ``go`` when it is none of the known ones."""
    m = _KIND.search(message)
    if m is None:
        return "go"
    kind = m.group("pre") or m.group("phrase")
    if kind.startswith("expected '"):
        return "syntax error"
    return _KIND_ALIASES.get(kind, kind)


def _indented(lines: list[str], start: int) -> list[str]:
    out = []
    for line in lines[start:start + 6]:
        if not line.startswith(("\t", "    ")) or not line.strip():
            break
        out.append(line.strip())
    return out


def _panic(lines: list[str], i: int, kind: str, message: str, root: Path | None) -> tuple[Candidate, int]:
    """The panic line, its continuation lines and the first goroutine's trace (frames are
    printed innermost first, as ``pkg.Func(args)`` then ``\\t/path/file.go:12 +0x1d``)."""
    n = len(lines)
    detail: list[str] = []
    j = i + 1
    while j < n and j < i + 14 and not _GOROUTINE.match(lines[j].strip()):
        s = lines[j].strip()
        if s and not _SIGNAL.match(s) and not s.startswith(("panic:", "[recovered]")) and len(detail) < 6:
            detail.append(s)
        j += 1
    if j >= n or not _GOROUTINE.match(lines[j].strip()):
        j = i + 1  # no trace: keep only the message's own continuation lines
        detail = _indented(lines, i + 1)
    frames: list[Frame] = []
    if j < n and _GOROUTINE.match(lines[j].strip()):
        j += 1
        func: str | None = None
        while j < n:
            raw = lines[j]
            s = raw.strip()
            if not s:
                break
            fm = _FILE.match(raw) if raw.startswith(("\t", " ")) else None
            if fm:
                if func is not None and not func.startswith("created by"):
                    frames.append(_go_frame(fm.group("path"), int(fm.group("line")), func, root))
                func = None
            else:
                m = _FUNC.match(s)
                if m is None:
                    break
                func = m.group("func")
            j += 1
    frames.reverse()
    message, context = split_chain(message)
    cand = Candidate(Priority.EXCEPTION, i, error(kind, message, "go", frames=frames, detail=[*context, *detail]),
                     end=j - 1)
    return cand, max(j, i + 1)


def go_package(func: str) -> str:
    """``net/http.(*conn).serve`` -> ``net/http``: the import path before the first dot
    after the last slash."""
    slash = func.rfind("/")
    dot = func.find(".", slash + 1)
    return func[:dot] if dot > 0 else func


def _go_frame(path: str, line: int, func: str, root: Path | None) -> Frame:
    f = make_frame(path, line, func, root)
    if f.kind == "stdlib" or (f.kind == "app" and func.startswith(_RUNTIME)):
        # the runtime's frames by package, as the launcher list names them (runtime, testing, net/http)
        return Frame(path=f.path, line=f.line, function=f.function, module=go_package(func), kind="stdlib")
    return f


def _test_failure(lines: list[str], i: int, test: str, root: Path | None) -> Candidate:
    for j in range(i + 1, min(len(lines), i + 8)):
        m = _TEST_LINE.match(lines[j])
        if m:
            loc = make_frame(m.group("path"), int(m.group("line")), test, root)
            return Candidate(Priority.LOCATED, i, error("test failure", m.group("msg"), "go", frames=[loc],
                                               detail=detail_lines(lines, j + 1)))
    return Candidate(Priority.WRAPPER, i, error("test failure", test, "go"))
