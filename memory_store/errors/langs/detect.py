"""Finding the errors of other ecosystems in a text, and the main one.

:func:`find_errors` reads an output once per ecosystem whose markers it holds (a quick
search over the bounded tail of the text decides) and returns what each parser found;
:func:`main_error` picks the one a developer would call *the* error: the highest priority
(an exception, panic or coded diagnostic before a located compiler line, before a tool's
own error line, before a wrapper such as ``npm ERR! code ELIFECYCLE``), the first of equals
(a build's first error is its cause; the rest often follow from it).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

from memory_store.errors.langs import cleo, dotnet, go, javascript, jvm, native, pycheck, ruby, rust
from memory_store.errors.langs.common import MAX_CANDIDATES, MAX_SCAN_CHARS, Candidate, Priority, lines_of
from memory_store.errors.model import ParsedError
from memory_store.redact import redact

_PARSERS: tuple[ModuleType, ...] = (javascript, go, rust, jvm, dotnet, ruby, native, pycheck, cleo)
MAX_TEXT_LINES = 60
"""Lines of the output kept as an error's text around where it starts."""


def find_errors(text: str, workspace_root: Path | None = None) -> list[Candidate]:
    """Every error of the known ecosystems in ``text``, in order of appearance. Never raises
    on odd input: each parser is bounded by the lines it is given."""
    if not text:
        return []
    tail = text[-MAX_SCAN_CHARS:]
    active = [p for p in _PARSERS if any(marker in tail for marker in p.MARKERS)]  # str.find: fast
    if not active:
        return []
    lines = lines_of(tail)
    found: list[Candidate] = []
    for parser in active:
        finder: Callable[[list[str], Path | None], list[Candidate]] = parser.find
        found.extend(finder(lines, workspace_root))
    found.sort(key=lambda c: c.index)
    for cand in found:
        end = cand.end if cand.end >= cand.index else cand.index
        start = max(0, cand.index - 2)
        cand.error.text = "\n".join(lines[start:min(end + 1, start + MAX_TEXT_LINES)]).strip()
    return found[-MAX_CANDIDATES:]


def main_error(found: list[Candidate]) -> Candidate | None:
    best: Candidate | None = None
    for cand in found:
        if best is None or cand.priority > best.priority:
            best = cand
    return best


def parse(text: str, workspace_root: Path | None = None, *, after_stack: bool = False,
          floor: Priority = Priority.WRAPPER) -> ParsedError | None:
    """The main error of ``text`` (already redacted by the caller), the whole text kept with it.
    ``after_stack``: the text also holds a JavaScript stack, which only an exception or a
    coded diagnostic found here outranks (``npm ERR!`` lines after a stack only wrap it).
    ``floor``: the lowest priority that counts; ``Priority.TOOL`` for a caller holding an
    error that only a cause should replace (a build script's ``CompileError``, which
    another wrapper would not explain better)."""
    best = main_error(find_errors(text, workspace_root))
    if after_stack:
        floor = max(floor, Priority.EXCEPTION)
    if best is None or best.priority < floor:
        return None
    best.error.text = text[-200_000:]
    return best.error


def extract(output: str, workspace_root: Path | None = None, *, after_stack: bool = False) -> list[ParsedError]:
    """Every distinct error of a command's output, secrets redacted. Wrappers (``exit status
    1``, ``npm ERR! code ELIFECYCLE``) count only when nothing else was found, and then not
    at all (the main scanner's line is as good)."""
    found = find_errors(output, workspace_root)
    if not found:
        return []
    top = max(c.priority for c in found)
    floor = Priority.EXCEPTION if after_stack else Priority.TOOL
    if top < floor:
        return []
    out: list[ParsedError] = []
    seen: set[tuple[str, str | None, str]] = set()
    for cand in found:
        err = cand.error
        key = (err.exc_type, err.code, err.message)
        if cand.priority < min(top, floor) or key in seen:
            continue
        seen.add(key)
        err.message = redact(err.message)
        err.detail = redact(err.detail)
        err.chain = [redact(c) for c in err.chain]
        err.text = redact(err.text)
        out.append(err)
    return out


# --- diagnostics forwarded from other language servers --------------------------------
_TS_SOURCES = frozenset({"ts", "typescript", "tsserver", "deno-ts", "vue", "volar", "svelte"})
_RUST_SOURCES = frozenset({"rustc", "rust-analyzer", "clippy", "cargo"})
_DOTNET_CODE = re.compile(r"^(?:CS|NETSDK|MSB|NU|BC|FS|CA|IDE)\d{3,5}$")


def diagnostic_text(message: str, code: str | int | None, source: str | None) -> str:
    """The text to look up for another server's diagnostic: its message with the code the
    server reports separately, in the command-line tool's layout (``error TS2307: msg``,
    ``error[E0277]: msg``, ``error CS0246: msg``), so that it matches errors captured from
    a terminal. Other diagnostics are looked up by their message alone."""
    src = (source or "").strip().lower()
    if code is None or code == "" or isinstance(code, bool):
        return message
    code_s = str(code).strip()
    if src in _TS_SOURCES and code_s.isdigit():
        return f"error TS{code_s}: {message}"
    if src in _RUST_SOURCES and re.fullmatch(r"E\d{4}", code_s):
        return f"error[{code_s}]: {message}"
    if _DOTNET_CODE.match(code_s) and not message.startswith(code_s):
        return f"error {code_s}: {message}"
    return message
