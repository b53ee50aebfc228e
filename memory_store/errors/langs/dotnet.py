"""C#/.NET output: exceptions (``System.X: msg``, `` ---> `` inner exceptions, ``at
Ns.Type.Method() in File.cs:line 12`` frames) and MSBuild/compiler diagnostics with their
codes (``error CS0246``, ``NETSDK1045``, ``MSB4018``, ``NU1101``), in the command-line and
the IDE error-list layouts."""

from __future__ import annotations

import re
from pathlib import Path

from memory_store.errors.frames import make_frame
from memory_store.errors.langs.common import Candidate, Found, Priority, error, walk
from memory_store.errors.model import Frame

_CODE = r"(?:CS|NETSDK|MSB|NU|BC|FS|CA|IDE|RZ|BL|AD|NETSDK|SYSLIB|ASP|MC|XA|XC|APT)\d{3,5}"
MARKERS = ("CS", "NETSDK", "MSB", "NU1", "BC", "FS", "CA", "IDE", "RZ", "SYSLIB", "Exception", ".cs:line", "---> ")
"""Substrings one of which an output holds when this parser can find anything in it."""

_EXC = re.compile(r"^(?:Unhandled [Ee]xception(?:\.|:)\s*|Unhandled exception\. |fail: [\w.\[\]]+\s*)?"
                  r"(?P<type>(?:[A-Z]\w*\.)+[A-Z]\w*(?:Exception|Error))(?: \((?P<hr>0x[0-9A-Fa-f]+)\))?"
                  r"(?::\s*(?P<msg>.*))?$")
_INNER = re.compile(r"^\s*---> (?P<type>(?:[A-Z]\w*\.)+[A-Z]\w*(?:Exception|Error))(?::\s*(?P<msg>.*))?$")
_AT = re.compile(r"^\s*at (?P<func>[^(]+?)\s*\((?P<args>[^)]*)\)(?: in (?P<path>.+?):line (?P<line>\d+))?\s*$")
_MSBUILD = re.compile(r"^(?:(?P<path>.+?)(?:\((?P<line>\d+)(?:,\d+)?(?:,\d+,\d+)?\))?\s*:\s*)?"
                      r"(?:error|fatal error)\s+(?P<code>" + _CODE + r")\s*:\s*(?P<msg>.+?)(?:\s+\[[^\]]+\])?$",
                      re.IGNORECASE)
_ERROR_LIST = re.compile(r"^(?:Error|Severity\S*)?\s*(?P<code>" + _CODE + r")\b[\s:]+(?P<msg>\S.+?)"
                         r"(?:\t.*)?$")
_LIST_TAIL = re.compile(r"(?:\s{2,}(?P<project>[\w.\-]+))?\s{2,}(?P<file>(?:[A-Za-z]:[\\/]|[\\/]|\.{1,2}[\\/])\S.*?"
                        r"|[\w.\-\\/]+\.\w+)\s{2,}(?P<line>\d+)(?:\s{2,}\w+)?\s*$")
"""The error list's Project, File, Line (and Suppression State) columns copied with spaces."""
_RUNTIME = ("System.", "Microsoft.", "Internal.", "Mono.", "Xunit.", "NUnit.", "MSTest.")
_LIBRARY = ("Microsoft.AspNetCore.", "Microsoft.EntityFrameworkCore.", "Microsoft.Extensions.", "Newtonsoft.",
            "Npgsql.", "Dapper.", "AutoMapper.", "Serilog.", "Polly.", "MediatR.", "StackExchange.", "Grpc.")


def find(lines: list[str], root: Path | None) -> list[Candidate]:
    return walk(lines, lambda i, s: _step(lines, i, s, root))


def _step(lines: list[str], i: int, s: str, root: Path | None) -> Candidate | Found | None:
    m = _MSBUILD.match(s)
    if m:
        loc = make_frame(m.group("path"), int(m.group("line")), None, root) if m.group("path") and m.group("line") \
            else None
        return Candidate(Priority.EXCEPTION, i, error("dotnet", _tidy(m.group("msg")), "csharp", code=m.group("code"),
                                             location=loc))
    m = _ERROR_LIST.match(s)
    if m:
        message, loc = _error_list_row(lines[i].strip(), m, root)
        return Candidate(Priority.EXCEPTION, i, error("dotnet", message, "csharp", code=m.group("code"), location=loc))
    m = _EXC.match(s)
    if m:
        return _exception(lines, i, m, root)
    return None


def _error_list_row(row: str, m: re.Match[str], root: Path | None) -> tuple[str, Frame | None]:
    """A Visual Studio error-list row (Severity, Code, Description, Project, File, Line),
    tab-separated or copied with spaces: the description, and the file and line as location."""
    cols = [c.strip() for c in row.split("\t")] if "\t" in row else []
    if len(cols) >= 6 and cols[1] == m.group("code") and cols[5].isdecimal():
        return cols[2], make_frame(cols[4], int(cols[5]), None, root) if cols[4] else None
    message = m.group("msg").strip()
    tail = _LIST_TAIL.search(message) if not cols else None
    if tail is not None and tail.start() > 0:
        return message[:tail.start()].strip(), make_frame(tail.group("file"), int(tail.group("line")), None, root)
    return _tidy(message), None


def _tidy(msg: str) -> str:
    """The message without the IDE error list's trailing columns (project, file, line)."""
    return re.split(r"\t|\s{3,}(?=\S+\s*$)", msg.strip(), maxsplit=1)[0].strip()


def _exception(lines: list[str], i: int, head: re.Match[str], root: Path | None) -> tuple[Candidate, int]:
    """An exception with its inner exceptions (`` ---> ``): the innermost is the error."""
    chain = []
    exc_type, message = head.group("type"), (head.group("msg") or "").strip()
    inner_in_head = re.search(r" ---> (?P<type>(?:[A-Z]\w*\.)+[A-Z]\w*(?:Exception|Error)): (?P<msg>.*)$", message)
    if inner_in_head:
        chain.append(f"{exc_type}: {message[:inner_in_head.start()].strip()}")
        exc_type, message = inner_in_head.group("type"), inner_in_head.group("msg").strip()
    frames: list[Frame] = []
    n = len(lines)
    j = i + 1
    while j < n and j < i + 300:
        raw = lines[j]
        im = _INNER.match(raw)
        am = _AT.match(raw)
        if im:
            chain.append(f"{exc_type}: {message}" if message else exc_type)
            exc_type, message = im.group("type"), (im.group("msg") or "").strip()
            frames = []
        elif am:
            if len(frames) < 200:
                frames.append(_dotnet_frame(am.group("func"), am.group("path"), am.group("line"), root))
        elif raw.strip().startswith(("--- End of", "--- End of inner exception")) or not raw.strip():
            if not raw.strip() and frames:
                break
        else:
            break
        j += 1
    frames.reverse()  # printed innermost first
    return Candidate(Priority.EXCEPTION, i, error(exc_type, message, "csharp", frames=frames, chain=chain[-3:],
                                         code=head.group("hr")), end=j - 1), max(j, i + 1)


def _dotnet_frame(func: str, path: str | None, line: str | None, root: Path | None) -> Frame:
    cls, _, method = func.strip().rpartition(".")
    if path:
        f = make_frame(path, int(line) if line else None, method or func, root)
        kind = f.kind
        norm = f.path
    else:
        kind, norm = "app", cls.replace(".", "/") or func
    if func.startswith(_LIBRARY):
        kind = "library"
    elif func.startswith(_RUNTIME):
        kind = "stdlib"
    return Frame(path=norm, line=int(line) if line else None, function=method or func, module=cls or None, kind=kind)
