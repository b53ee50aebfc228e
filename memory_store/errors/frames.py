"""Stack-frame paths: classify (app / library / stdlib) and make them machine-independent.

The same bug seen on two machines has frames like ``/home/alice/.venv/lib/python3.11/
site-packages/django/db/base.py`` and ``C:\\Users\\Bob\\envs\\x\\Lib\\site-packages\\django\\
db\\base.py``. Both become ``site-packages/django/db/base.py`` with module ``django.db.base``
and kind ``library``. App frames under the workspace become workspace-relative; other app
paths lose their user-specific prefix (home directory, drive letter, temp directory).
"""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath

from memory_store.errors.langs.paths import classify_dependency
from memory_store.errors.model import Frame, FrameKind

# Markers after which a path names an installed package: the tail is the package path.
_LIBRARY_MARKERS = ("site-packages", "dist-packages", "node_modules", "bower_components",
                    "vendor/bundle", ".eggs", "__pypackages__", "gems")
_PY_STDLIB = re.compile(r"(?:^|/)(?:lib|lib64|Lib)/(?:python|pypy)\d(?:\.\d+)?t?/(?!site-packages|dist-packages)(.+)$")
_WIN_PY_STDLIB = re.compile(r"(?:^|/)(?:python\d*[\w.-]*|pypy\d*[\w.-]*|anaconda\d*|miniconda\d*|miniforge\d*"
                            r"|conda|pyenv/versions/[^/]+)/lib/(?!site-packages|python)(.+)$", re.IGNORECASE)
_ZIPPED = re.compile(r"/[^/]+\.(?:zip|egg|whl|pyz)/(.+)$")
_FROZEN = re.compile(r"^<frozen ([\w.]+)>$")
_CELL = re.compile(r"^<ipython-input-\d+-[0-9a-f]+>$|(?:^|/)ipykernel_\d+/\d+\.py$")
"""A notebook or IPython cell: ``<ipython-input-3-6f2b2ad1c0ff>`` (IPython 7), the file Jupyter's
kernel compiles a cell into (``/tmp/ipykernel_4242/1771823052.py``)."""
CELL_PATH = "<cell>"
"""The path of every cell frame. A cell's name holds its execution count and a hash (or a
process id) that change every run: the same notebook run twice must give the same frames,
and a cell is the user's own code (kind ``app``, module ``<cell>``)."""
_NODE_INTERNAL = re.compile(r"^(?:node:)?(?:internal/[\w/-]+(?:\.[cm]?js)?|[a-z_]+\.js)$")
_NODE_CORE = {"events.js", "fs.js", "net.js", "module.js", "timers.js", "stream.js", "http.js",
              "https.js", "child_process.js", "_stream_readable.js", "_stream_writable.js",
              "bootstrap_node.js", "node.js", "dns.js", "tls.js", "util.js", "vm.js", "zlib.js"}
_HOME = re.compile(r"^(?:/home/[^/]+|/Users/[^/]+|/root|/var/home/[^/]+|[A-Za-z]:/Users/[^/]+|"
                   r"[A-Za-z]:/Documents and Settings/[^/]+|~[^/]*)(?=/|$)")
_TEMP = re.compile(r"^(?:/tmp|/var/tmp|/private/var/folders/[^/]+/[^/]+/T|/var/folders/[^/]+/[^/]+/T|"
                   r"[A-Za-z]:/Windows/Temp|~/AppData/Local/Temp)/[^/]+(?=/|$)")
_DRIVE = re.compile(r"^[A-Za-z]:(?=/)")
_SRC_EXT = re.compile(r"\.(?:py|pyx|pyi|js|mjs|cjs|jsx|ts|tsx|mts|cts|vue|svelte)$")
_PY_EXT = re.compile(r"\.(?:py|pyx|pyi|pyc)$")


def clean_path(raw: str) -> str:
    """Forward slashes, no ``file://`` scheme, no surrounding quotes or ``./``."""
    path = raw.strip().strip("'\"`")
    if path.startswith("file://"):
        path = path[len("file://"):]
        if re.match(r"^/[A-Za-z]:/", path):
            path = path[1:]
    path = path.replace("\\", "/")
    path = re.sub(r"/{2,}", "/", path)
    path = re.sub(r"/\./", "/", path)
    while path.startswith("./"):
        path = path[2:]
    return path


def _library_tail(path: str) -> str | None:
    """``site-packages/django/db/base.py`` for any path inside an installed package."""
    padded = "/" + path
    best = -1
    for marker in _LIBRARY_MARKERS:
        idx = padded.rfind(f"/{marker}/")
        best = max(best, idx)
    return padded[best + 1:] if best >= 0 else None


def _strip_user_prefix(path: str) -> str:
    path = _TEMP.sub("<tmp>", path)
    path = _HOME.sub("~", path)
    path = _DRIVE.sub("", path)
    return path


def module_from_path(path: str) -> str | None:
    """Dotted module (Python) or package-relative name (JS) for a normalized path."""
    if not _SRC_EXT.search(path):
        return None
    stem = _SRC_EXT.sub("", path)
    parts = [p for p in stem.split("/") if p and p not in ("~", "<tmp>", "<stdlib>", "..")]
    if parts and parts[0] in _LIBRARY_MARKERS:
        parts = parts[1:]
    if not parts:
        return None
    if _PY_EXT.search(path):
        if parts[-1] == "__init__" and len(parts) > 1:
            parts = parts[:-1]
        return ".".join(parts)
    return "/".join(parts)


def package_of(frame: Frame) -> str | None:
    """Top-level package of a library or stdlib frame (``django``, ``@scope/pkg``, ``ssl``)."""
    if frame.kind == "app" or not frame.module:
        return None
    if frame.module.startswith("node:"):
        return "node"
    if "/" in frame.module:
        parts = frame.module.split("/")
        return "/".join(parts[:2]) if parts[0].startswith("@") and len(parts) > 1 else parts[0]
    return frame.module.split(".")[0]


def classify_path(raw: str, workspace_root: Path | None = None) -> tuple[str, FrameKind, str | None]:
    """(normalized path, kind, module) for a frame path as printed in a traceback."""
    path = clean_path(raw)
    frozen = _FROZEN.match(path)
    if frozen:
        return path, "stdlib", frozen.group(1)
    if path == CELL_PATH or _CELL.search(path):
        return CELL_PATH, "app", CELL_PATH
    if path.startswith("<") and path.endswith(">"):
        return path, "stdlib" if path not in ("<stdin>", "<string>", "<module>") else "app", None
    dep = classify_dependency(path)  # Go, Rust, JVM, .NET and Ruby toolchains and package caches
    if dep is not None:
        return dep
    if path.startswith("node:") or (_NODE_INTERNAL.match(path) and (path.startswith("internal/")
                                                                     or path in _NODE_CORE)):
        name = path if path.startswith("node:") else f"node:{path}"
        return name, "stdlib", _SRC_EXT.sub("", name)
    tail = _library_tail(path)
    if tail is not None:
        return tail, "library", module_from_path(tail)
    zipped = _ZIPPED.search(path)
    if zipped:
        return f"site-packages/{zipped.group(1)}", "library", module_from_path(zipped.group(1))
    std = _PY_STDLIB.search(path) or _WIN_PY_STDLIB.search(path)
    if std and _PY_EXT.search(path):
        rest = std.group(1)
        return f"<stdlib>/{rest}", "stdlib", module_from_path(rest)
    if workspace_root is not None:
        rel = _relative_to(path, workspace_root)
        if rel is not None:
            return rel, "app", module_from_path(rel)
    norm = _strip_user_prefix(path)
    return norm, "app", _app_module(norm)


def _app_module(path: str) -> str | None:
    """Module name of an app file outside the workspace: the last two path parts at most,
    so the same project checked out in two places gives the same name."""
    parts = [p for p in PurePosixPath(path).parts if p not in ("/", "~", "<tmp>", "..")]
    return module_from_path("/".join(parts[-2:])) if parts else None


def _relative_to(path: str, root: Path) -> str | None:
    root_s = clean_path(str(root)).rstrip("/")
    if not root_s:
        return None
    cmp_path, cmp_root = path, root_s
    if re.match(r"^[A-Za-z]:/", root_s):
        cmp_path, cmp_root = path.lower(), root_s.lower()
    if cmp_path.startswith(cmp_root + "/"):
        rel = path[len(root_s) + 1:]
        return rel if ".." not in rel.split("/") else None
    if path == "~" or path.startswith("~/"):
        # IPython prints a home-directory path as ``~/...``: relative when the workspace is in a home
        home_root = _HOME.sub("~", root_s)
        if home_root.startswith("~/") and path.startswith(home_root + "/"):
            rel = path[len(home_root) + 1:]
            return rel if ".." not in rel.split("/") else None
        return None
    if not path.startswith("/") and not re.match(r"^[A-Za-z]:/", path) and ".." not in path.split("/"):
        return path  # already relative: printed relative to the working directory
    return None


def make_frame(raw_path: str, line: int | None, function: str | None,
               workspace_root: Path | None = None) -> Frame:
    path, kind, module = classify_path(raw_path, workspace_root)
    func = (function or "").strip() or None
    return Frame(path=path, line=line, function=func, module=module, kind=kind)


_DEF = re.compile(r"^(?P<indent>\s*)(?:async\s+)?def\s+(?P<name>[A-Za-z_]\w*)\s*\(")
MAX_SOURCE_BYTES = 2 << 20
"""A source file larger than this is not read to find a frame's function."""


def def_name(source_line: str) -> tuple[int, str] | None:
    """(indent, name) when ``source_line`` is a ``def``/``async def`` line."""
    m = _DEF.match(source_line.expandtabs(4))
    return (len(m.group("indent")), m.group("name")) if m else None


def enclosing_function(root: Path, rel_path: str, line: int) -> str | None:
    """The function around line ``line`` of the workspace file ``rel_path`` (read, never run),
    for output that prints a frame's file and line but not its function (pytest ``--tb=line``).
    None when the file is outside ``root``, unreadable, too large or the line is at module level."""
    from memory_store.jsonio import MemoryFileError, read_bounded

    if line < 1 or rel_path.startswith(("/", "~", "<")) or ".." in rel_path.split("/"):
        return None
    try:
        base = root.resolve()
        path = (base / rel_path).resolve()
        if not path.is_relative_to(base):
            return None
        lines = read_bounded(path, MAX_SOURCE_BYTES).decode("utf-8", "replace").splitlines()
    except (OSError, MemoryFileError, ValueError):
        return None
    if line > len(lines):
        return None
    target = lines[line - 1].expandtabs(4)
    limit = len(target) - len(target.lstrip())
    for text in reversed(lines[:line]):
        found = def_name(text)
        if found and found[0] < limit:
            return found[1]
        stripped = text.expandtabs(4)
        if stripped.strip() and not stripped.lstrip().startswith(("#", ")", "]", "}", "@")):
            limit = min(limit, len(stripped) - len(stripped.lstrip()))
        if limit == 0 and not found:
            return None
    return None


MAX_FRAMES = 120
"""Frames kept of one error (a recursion prints thousands)."""


def cap_frames(frames: list[Frame]) -> list[Frame]:
    """At most :data:`MAX_FRAMES`: the outermost quarter and the innermost rest, where the
    entry point and the raising code are."""
    if len(frames) <= MAX_FRAMES:
        return frames
    head = MAX_FRAMES // 4
    return frames[:head] + frames[-(MAX_FRAMES - head):]
