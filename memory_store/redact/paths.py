"""Private and machine-specific paths taken out of stored text (raw tracebacks, messages, commands).

Frames are made relative when an error is parsed (:mod:`memory_store.errors.frames`); this
rewrites the *text* the same way, so nothing stored names a home directory, a user's temp
folder or where the checkout lives:

- the workspace root -> ``.`` (``/home/dana/src/shop/app/x.py`` -> ``./app/x.py``);
- a home directory (``/home/<user>``, ``/Users/<user>``, ``/root``, ``C:\\Users\\<user>``) -> ``~``,
  which covers virtualenvs, site-packages and checkouts under it;
- a temp directory (``/tmp/<name>``, macOS ``/var/folders/../T/<name>``, ``C:\\Windows\\Temp\\<name>``)
  -> ``/tmp/...`` (a user's own temp folder is under their home: ``~/AppData/Local/Temp/...``);
- a Windows drive letter is dropped (``D:\\work\\x.py`` -> ``/work/x.py``).

Every replacement is again a path of the same kind, so the rewritten text parses to the same
frames and gives the same message template (and fingerprint) as the original: matching is
not changed by it. Rewriting twice changes nothing.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

_BEFORE = r"(?<![\w.~/\\$%-])"
"""Start of a path: not inside a word or another path."""
_STOP = r"(?=[/\\]|[\s\"'`),;:\]}>]|$)"
"""End of a path prefix: a separator, or the end of the path."""

_HOME = re.compile(_BEFORE + r"(?:/home/[^/\s\"'`<>]+|/Users/[^/\s\"'`<>]+|/var/home/[^/\s\"'`<>]+|/root)" + _STOP)
_TEMP = re.compile(_BEFORE + r"(?:(?:/private)?/var/folders/[^/\s\"'`<>]+/[^/\s\"'`<>]+/T|/tmp|/var/tmp)"
                   r"/(?!\.\.\.(?:[/\\\s\"'`]|$))[^/\s\"'`<>]+" + _STOP)
_WINDOWS = re.compile(r"(?<![\w/\\])[A-Za-z]:[\\/][^\s\"'`<>|*?]*")
_QUOTED_WINDOWS = re.compile(r"(?<=[\"'])[A-Za-z]:[\\/][^\"'<>|*?\n]*(?=[\"'])")
_WIN_HOME = re.compile(r"^[A-Za-z]:/(?:Users|Documents and Settings)/[^/]+(?=/|$)", re.IGNORECASE)
_WIN_TEMP = re.compile(r"^[A-Za-z]:/Windows/Temp/[^/]+(?=/|$)", re.IGNORECASE)
_DRIVE = re.compile(r"^[A-Za-z]:(?=/)")

TEMP_PLACEHOLDER = "/tmp/..."


def private_paths_rewritten(text: str, root: Path | str | None = None) -> str:
    """``text`` with the workspace root made relative and private path prefixes replaced."""
    if not text or ("/" not in text and "\\" not in text):
        return text
    if root is not None:
        for pattern in _root_patterns(str(root)):
            text = pattern.sub(_root_repl, text)
    if ":" in text:
        text = _QUOTED_WINDOWS.sub(_windows_repl, text)
        text = _WINDOWS.sub(_windows_repl, text)
    text = _TEMP.sub(TEMP_PLACEHOLDER, text)
    return _HOME.sub("~", text)


def has_private_path(text: str, root: Path | str | None = None) -> bool:
    """Whether :func:`private_paths_rewritten` would change ``text`` (for ``teamlore doctor``)."""
    return private_paths_rewritten(text, root) != text


def first_private_path(text: str, root: Path | str | None = None, width: int = 60) -> str:
    """The start of the first path :func:`private_paths_rewritten` would change, for messages."""
    new = private_paths_rewritten(text, root)
    start = next((i for i, (a, b) in enumerate(zip(text, new, strict=False)) if a != b), min(len(text), len(new)))
    while start > 0 and not text[start - 1].isspace() and text[start - 1] not in "\"'`(":
        start -= 1
    end = start
    while end < len(text) and end - start < width and not text[end].isspace() and text[end] not in "\"'`,;)":
        end += 1
    return text[start:end]


def _root_repl(m: re.Match[str]) -> str:
    return "./" if m.group(0)[-1:] in ("/", "\\") else "."


@lru_cache(maxsize=64)
def _root_patterns(root: str) -> tuple[re.Pattern[str], ...]:
    """Patterns for the workspace root as text may spell it (as given, resolved; / or \\)."""
    spellings = {root}
    with contextlib.suppress(OSError, ValueError):
        spellings.add(os.path.realpath(root))
    out = []
    for spelling in sorted(spellings, key=len, reverse=True):
        parts = [p for p in re.split(r"[/\\]+", spelling) if p]
        if len(parts) < 2 and not re.match(r"^[A-Za-z]:", spelling):
            continue  # "/" or "/srv": too short to tell the workspace from anything else
        lead = "" if re.match(r"^[A-Za-z]:", parts[0]) else r"[/\\]"
        body = lead + r"[/\\]+".join(re.escape(p) for p in parts)
        flags = re.IGNORECASE if not lead else 0
        out.append(re.compile(_BEFORE + body + r"(?:[/\\]|(?=[\s\"'`),;:\]}>]|$))", flags))
    return tuple(out)


def _windows_repl(m: re.Match[str]) -> str:
    path = m.group(0).replace("\\", "/")
    path = _WIN_TEMP.sub(TEMP_PLACEHOLDER, path)
    path = _WIN_HOME.sub("~", path)
    return _DRIVE.sub("", path)


def string_fields(obj: object, prefix: str = "") -> Iterator[tuple[str, str]]:
    """``(field name, text)`` for every string inside ``obj`` (``error.frames[2].path``)."""
    if isinstance(obj, str):
        yield prefix, obj
    elif isinstance(obj, dict):
        for key, value in obj.items():
            yield from string_fields(value, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(obj, list):
        for n, value in enumerate(obj):
            yield from string_fields(value, f"{prefix}[{n}]")
