"""Native build output: C/C++ compilers (gcc, clang, MSVC), linkers (GNU ld, Apple ld,
link.exe), make, CMake, meson, autoconf and pkg-config, and the tools that drive them (pip
building an extension, node-gyp, gem, cargo build scripts).

Such a build ends in lines that say *that* it failed (``error: command 'gcc' failed with exit
code 1``, ``make: *** [all] Error 2``, ``gyp ERR! build error``, ``collect2: error: ld returned
1 exit status``); the cause is on a line before (``fatal error: ffi.h: No such file or
directory``, ``cannot find -lssl``, ``Package libffi was not found``). Causes are typed by their
kind (``missing header``, ``compile error``, ``missing library``, ``undefined symbol``, ``link
error``, ``missing package``, ``missing tool``, ``cmake``, ``meson``, ``configure``) and name
what is missing in one wording whatever the compiler or linker (``'ffi.h' file not found``,
``library 'ssl' not found``), the line as printed kept in the detail. The finishing lines are
wrappers (type ``error``, as the main scanner types such lines), kept only when nothing
explains the failure; of several, the one naming the package that failed.

A source path inside a package being built (pip's temporary folders, an sdist pip downloaded,
an addon in ``node_modules``, a gem) is the package's, not the team's: a ``library`` frame
(``sdist/<package>/<path>`` for pip's), like other ecosystems' dependency paths; setuptools'
per-platform build folders (``build/temp.linux-x86_64-cpython-311/``) lose their platform.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field
from pathlib import Path

from memory_store.bugs.requirements import normalize_package  # pip prints Psycopg2_Binary and psycopg2-binary
from memory_store.errors.frames import clean_path, make_frame
from memory_store.errors.langs.common import Candidate, Found, Priority, error, walk
from memory_store.errors.model import Frame

MARKERS = ("error", "Error", "ERROR", "ld: ", "undefined reference", "Undefined symbols", "pkg-config", "No package",
           "***", "not found")
"""Substrings one of which an output holds when this parser can find anything in it."""

_KEYS = re.compile(r"error|Error|ERROR|ERR!|not found|No package|undefined reference|Undefined symbols|ld[\w.]*: "
                   r"|×|terminated|build stopped|[Ff]ailed|Collecting|Building (?:wheel|editable)|Running setup|cwd: "
                   r"|directory|No such file|is required|Rust compiler|could be found")
"""What every line a step below can start on holds: other lines are passed over with one search."""
_PREFIX = re.compile(r"^(?:npm (?:ERR!|error) +)?(?:gyp (?:info|verb) +|cargo:warning=)?")
"""npm, node-gyp and cargo print the output of the build they ran after their own tags
(node-gyp's own errors keep theirs: ``gyp ERR! build error``)."""

# Compilers.
_SRC = r"(?i:c|h|cc|cp|cpp|cxx|c\+\+|hpp|hh|hxx|h\+\+|ipp|inl|tcc|m|mm|cu|cuh)"
_CPP = re.compile(r"\.(?i:cc|cp|cpp|cxx|c\+\+|hpp|hh|hxx|h\+\+|ipp|inl|tcc|mm)$")
_GCC = re.compile(r"^(?P<path>(?:[A-Za-z]:)?[^\s:(][^:]*?\." + _SRC + r"):(?P<line>\d+)(?::\d+)?: "
                  r"(?:fatal error|error): (?P<msg>.+)$")
_MSVC = re.compile(r"^(?P<path>(?:[A-Za-z]:)?[^\s:(][^:(]*?\." + _SRC + r")\((?P<line>\d+)(?:,\d+)?\) ?: "
                   r"(?:fatal error|error) (?P<code>C\d{4}): (?P<msg>.+?)(?: \[[^\]]+\])?$")
_MSVC_CL = re.compile(r"^cl : Command line error (?P<code>D\d{4}) ?: (?P<msg>.+)$", re.IGNORECASE)
_DRIVER = re.compile(r"^(?:\S*[/\\])?(?:[\w.+]+-)*(?:gcc|g\+\+|cc|c\+\+|clang(?:\+\+)?|clang-cl|cc1(?:plus|obj)?"
                     r"|nvcc)(?:-\d[\d.]*)?(?:\.exe)?: (?:fatal error|error): (?P<msg>.+)$")
"""The compiler's driver itself: ``gcc: error: unrecognized command-line option '-mavx'``."""
_HEADER_GCC = re.compile(r"^(?P<h>[^\s:'\"]+\.(?:h|hh|hpp|hxx|h\+\+|inc|inl|tcc|ipp)|\w+(?:/\w+)*): No such file "
                         r"or directory$")
_HEADER_CLANG = re.compile(r"^'(?P<h>[^']+)' file not found")
_HEADER_MSVC = re.compile(r"^Cannot open include file: '(?P<h>[^']+)': No such file or directory")

# Linkers.
_LD = re.compile(r"^(?:\S*[/\\])?(?:[\w.+]+-)*(?:ld|ld64|lld|ld\.lld|ld\.gold|ld\.bfd|mold)(?:\.exe)?: (?P<msg>.+)$")
_LD_QUIET = re.compile(r"^(?:warning|note|skipping incompatible|NOTE)\b")
_LIB_MISSING = re.compile(r"^(?:cannot find -l ?(?P<gnu>\S+?)(?:: No such file or directory)?"
                          r"|library not found for -l(?P<apple>\S+)|library '(?P<new>[^']+)' not found)$")
_IN_FUNCTION = re.compile(r"^(?P<obj>.+?): in function [`'‘](?P<func>[^`'’]+)['’]:$")
_UNDEFINED = re.compile(r"^(?:(?P<where>.*?): )?undefined reference to [`'‘](?P<sym>[^`'’]+)['’]")
_WHERE = re.compile(r"^(?P<path>[^\s:(][^:]*?\." + _SRC + r"):(?:(?P<line>\d+)|\([^)]*\))$")
_APPLE_UNDEFINED = re.compile(r"^(?:ld: )?Undefined symbols(?: for architecture \S+)?:$")
_APPLE_SYMBOL = re.compile(r'^"?(?P<sym>[^",\s]+)"?, referenced from:$')
_OBJ_PREFIX = re.compile(r"^\S+\.(?:o|obj|a|so|dylib|lib|dll)(?:\([^)]*\))?: (?=\S)")
_MSVC_LINK = re.compile(r"^(?P<what>\S.*?) : (?:fatal error|error) (?P<code>LNK\d{4}): (?P<msg>.+?)(?: \[[^\]]+\])?$")
_MSVC_UNRESOLVED = re.compile(r"^unresolved external symbol (?P<sym>[A-Za-z_]\w*)(?: referenced in function \S+)?$")

# What configures a build, and the tools it needs.
_PKG_CONFIG = re.compile(r"^(?:Package (?P<a>\S+) was not found in the pkg-config search path\.?"
                         r"|No package '(?P<b>[^']+)' found|Package '(?P<c>[^']+)',? required by '[^']*',? not found)$")
_PKG_CONFIG_MORE = re.compile(r"^(?:Perhaps you should add|to the PKG_CONFIG_PATH|No package '|Package '[^']+',? "
                              r"required by)")
_MESON = re.compile(r"^(?P<path>\S*meson\.build):(?P<line>\d+):\d+: ERROR: (?P<msg>.+)$")
_MESON_DEP = re.compile(r'^Dependency "?(?P<pkg>[^"\s]+)"? not found')
_CMAKE = re.compile(r"^CMake Error(?: (?:at|in) (?P<path>.+?)(?::(?P<line>\d+))?(?: \((?P<cmd>\w+)\))?)?:"
                    r"\s*(?P<msg>.*)$")
_CONFIGURE = re.compile(r"^configure: error: (?P<msg>.+)$")
_TOOL_MISSING = re.compile(
    r"^(?:error: |Error: |ERROR: )?(?P<msg>(?:\w[\w.+-]* executable not found\.?"
    r"|Microsoft Visual C\+\+ [\d.]+(?: or greater)? is required\."
    r"|command '[^']+' failed: No such file or directory|unable to execute '[^']+': No such file or directory"
    r"|can't find Rust compiler|No CMAKE_C(?:XX)?_COMPILER could be found\.))(?P<rest>.*)$")
_SHELL_MISSING = re.compile(r"^(?:/bin/|/usr/bin/)?(?:sh|bash|dash|zsh)(?:: (?:line )?\d+)?: (?P<tool>[\w.+-]+): "
                            r"(?:command )?not found$")

# Wrappers: the build failed, for a reason printed before.
_WRAPPER = re.compile(
    r"^(?:error: command '[^']+' failed with exit (?:code|status) -?\d+"
    r"|error: (?:subprocess-exited-with-error|metadata-generation-failed|failed-wheel-build-for-install"
    r"|legacy-install-failure)$"
    r"|error: Setup script exited with error: .+"
    r"|× .+ did not run successfully\."
    r"|× (?:Encountered error while|Failed to build) .+"
    r"|ERROR: Command errored out with exit status \d+.*"
    r"|compilation terminated\.|\d+ errors? generated\.|\d+ warnings? and \d+ errors? generated\."
    r"|collect2(?:\.exe)?: error: ld returned -?\d+ exit status"
    r"|\S*clang(?:\+\+)?(?:\.exe)?: error: linker command failed with exit code -?\d+.*"
    r"|(?:\S+[/\\])?ld(?:64)?: symbol\(s\) not found for architecture \S+"
    r"|(?:\S*[/\\])?(?:g?make|mingw32-make|nmake)(?:\.exe)?(?:\[\d+\])?: \*\*\* .*(?:Error|error) -?\d+.*"
    r"|NMAKE : fatal error U\d+: .+"
    r"|ninja: build stopped: .+"
    r"|-- Configuring incomplete, errors occurred!"
    r"|gyp ERR! (?:build error|configure error|rebuild error|not ok|stack Error: .*failed with exit code.*)"
    r"|.+ : fatal error LNK1120: \d+ unresolved externals.*"
    r"|ERROR: Failed building wheel for \S+|Failed to build .+|ERROR: Could not build wheels for .+"
    r"|ERROR: Failed to build installable wheels for .+"
    r"|ERROR: (?:Error: )?Failed to build gem native extension\.|Gem::Ext::BuildError: .+"
    r"|ERROR: +Error installing \S+:|make failed, exit code \d+)$")
_NAMES_PACKAGE = re.compile(r"^(?:Failed building wheel for|Failed to build|Could not build wheels for"
                            r"|Failed to build installable wheels|Error installing)\b")
_WRAPPER_TAG = re.compile(r"^(?:error|ERROR|Error): +")
_EXCEPTION_LINE = re.compile(r"^(?:[a-z_]\w*\.)*[A-Z]\w*(?:Error|Exception): \S")
"""A line of an exception a build script raised (``ModuleNotFoundError: No module named 'x'``)."""
_SKIP = re.compile(r"^(?:note|hint|warning|In file included from|from |\d+ \||\|)")

# Where a build runs: pip's package and temporary folders, make's directory.
_COLLECTING = re.compile(r"^Collecting (?P<pkg>[A-Za-z0-9][\w.\-]*)")
_BUILDING = re.compile(r"^(?:Building wheel for|Running setup\.py install for|Building editable for) "
                       r"(?P<pkg>[A-Za-z0-9][\w.\-]*)")
_CWD = re.compile(r"^(?:cwd|current directory): (?P<dir>\S.*?)/?$")
_ENTERING = re.compile(r"^(?:g?make|mingw32-make)(?:\[\d+\])?: (?P<what>Entering|Leaving) directory [`'‘]"
                       r"(?P<dir>[^'’]+)['’]$")
_PIP_TEMP = re.compile(r"(?:^|/)pip-(?:install|req-build|build-env|wheel|download|ephem-wheel-cache)-[^/]+/"
                       r"(?P<pkg>[A-Za-z0-9][\w.\-]*?)(?:_[0-9a-f]{32})?/(?P<rest>.+)$")
_BUILD_DIR = re.compile(r"(?<![\w.-])build/(?P<kind>temp|lib|bdist)\.[\w.-]+/")
"""setuptools' build folders, named after the platform and Python (``build/temp.win-amd64-cpython-311/``)."""
MAX_MESSAGE = 300
MAX_DIRECTORIES = 16


@dataclass
class _Build:
    """Where the lines read so far were printed: the package pip builds and whether pip
    downloaded it, the folders make is in, the function a linker's next error is in."""

    root: Path | None
    collected: set[str] = field(default_factory=set)
    package: str | None = None
    directories: list[str] = field(default_factory=list)
    function: str | None = None

    def follow(self, s: str) -> bool:
        """Take in a line that says where the build runs; True when the line said that."""
        m = _COLLECTING.match(s)
        if m:
            self.package = normalize_package(m.group("pkg"))
            self.collected.add(self.package)
            return True
        m = _BUILDING.match(s)
        if m:
            self.package = normalize_package(m.group("pkg"))
            return True
        m = _ENTERING.match(s)
        if m and m.group("what") == "Leaving":
            if self.directories:
                self.directories.pop()
            return True
        m = m or _CWD.match(s)
        if m:
            self.directories = [*self.directories[-MAX_DIRECTORIES + 1:], clean_path(m.group("dir"))]
            return True
        return False

    def frame(self, raw: str, line: int | None, function: str | None = None) -> Frame:
        """A source path as a frame: inside a package being built it is that package's
        (``sdist/cffi/c/_cffi_backend.c``), else classified as every ecosystem's paths are."""
        path = clean_path(raw)
        absolute = path.startswith(("/", "~")) or re.match(r"^[A-Za-z]:/", path) is not None
        if self.directories and not absolute:
            path = posixpath.normpath(posixpath.join(self.directories[-1], path))
            absolute = True
        path = _BUILD_DIR.sub(r"build/\g<kind>/", path)
        m = _PIP_TEMP.search(path)
        if m:
            pkg = normalize_package(m.group("pkg"))
            return Frame(path=f"sdist/{pkg}/{m.group('rest')}", line=line, function=function, module=pkg,
                         kind="library")
        if not absolute and self.package in self.collected and ".." not in path.split("/"):
            return Frame(path=f"sdist/{self.package}/{path}", line=line, function=function, module=self.package,
                         kind="library")
        return make_frame(path, line, function, self.root)


def find(lines: list[str], root: Path | None) -> list[Candidate]:
    build = _Build(root)
    return _one_wrapper(walk(lines, lambda i, s: _step(lines, i, s, build)), lines)


def _one_wrapper(found: list[Candidate], lines: list[str]) -> list[Candidate]:
    """The causes, and of the wrapper lines only one: the first naming the package that
    failed (``Failed building wheel for cffi``), else the first. None when the build printed
    an exception and nothing here explains the failure: a ``setup.py`` that raised
    ``ModuleNotFoundError`` failed for that reason, which the main scanner reads."""
    wrappers = [c for c in found if c.priority == Priority.WRAPPER]
    if not wrappers:
        return found
    if len(wrappers) == len(found) and any(_EXCEPTION_LINE.match(s) and not _WRAPPER.match(s)
                                           for s in (ln.strip() for ln in lines)):
        return []
    keep = next((c for c in wrappers if _NAMES_PACKAGE.match(c.error.message)), wrappers[0])
    return [c for c in found if c.priority != Priority.WRAPPER or c is keep]


def _step(lines: list[str], i: int, s: str, build: _Build) -> Candidate | Found | None:
    if not _KEYS.search(s):
        return None
    text = _PREFIX.sub("", s, count=1) if s.startswith(("npm ", "gyp ", "cargo:")) else s
    if not text or build.follow(text) or _SKIP.match(text):
        return None
    m = _GCC.match(text)
    if m:
        return _compiler(i, m.group("path"), int(m.group("line")), m.group("msg"), None, build)
    m = _MSVC.match(text)
    if m:
        return _compiler(i, m.group("path"), int(m.group("line")), m.group("msg"), m.group("code"), build)
    if _WRAPPER.match(text):
        return Candidate(Priority.WRAPPER, i, error("error", _WRAPPER_TAG.sub("", text, count=1), "generic"))
    m = _DRIVER.match(text)
    if m:
        return _compiler(i, None, None, m.group("msg"), None, build)
    m = _MSVC_CL.match(text)
    if m:
        return Candidate(Priority.LOCATED, i, error("compile error", m.group("msg"), "c", code=m.group("code")))
    return _linker(lines, i, text, build) or _configuration(lines, i, text, build)


def _compiler(i: int, path: str | None, line: int | None, message: str, code: str | None,
              build: _Build) -> Candidate:
    """A compiler's error: a missing header in one wording for every compiler, any other
    error as printed."""
    loc = build.frame(path, line) if path else None
    lang = "cpp" if path and _CPP.search(path) else "c"
    m = _HEADER_MSVC.match(message) if code else (_HEADER_GCC.match(message) or _HEADER_CLANG.match(message))
    if m:
        return Candidate(Priority.LOCATED, i, error("missing header", f"'{m.group('h')}' file not found", lang,
                                                    code=code, location=loc, detail=[message]))
    return Candidate(Priority.LOCATED, i, error("compile error", _masked(message), lang, code=code, location=loc))


def _linker(lines: list[str], i: int, text: str, build: _Build) -> Candidate | Found | None:
    """A linker's error: GNU or Apple ld (or lld, gold, mold), or Microsoft's link.exe."""
    m = _LD.match(text)
    message = m.group("msg") if m else text
    if m and _LD_QUIET.match(message):
        return None
    if _APPLE_UNDEFINED.match(message):
        return _apple_undefined(lines, i)
    lib = _LIB_MISSING.match(message) if m else None
    if lib:
        name = lib.group("gnu") or lib.group("apple") or lib.group("new")
        return Candidate(Priority.LOCATED, i, error("missing library", f"library '{name}' not found", "c",
                                                    detail=[message]))
    fm = _IN_FUNCTION.match(message) if m else None
    if fm:
        build.function = fm.group("func")
        return None
    rest = _OBJ_PREFIX.sub("", message, count=1)
    um = _UNDEFINED.match(rest)
    if um:
        return _undefined(i, um.group("sym"), um.group("where"), text, build)
    if m:
        return Candidate(Priority.LOCATED, i, error("link error", _masked(rest), "c", detail=[text]))
    mm = _MSVC_LINK.match(text)
    return _msvc_link(i, mm.group("code"), mm.group("msg"), text) if mm else None


def _undefined(i: int, symbol: str, where: str | None, line: str, build: _Build) -> Candidate:
    loc: Frame | None = None
    wm = _WHERE.match(where or "")
    if wm:
        loc = build.frame(wm.group("path"), int(wm.group("line")) if wm.group("line") else None, build.function)
    build.function = None
    return Candidate(Priority.LOCATED, i, error("undefined symbol", f"undefined reference to '{symbol}'", "c",
                                                location=loc, detail=[line]))


def _apple_undefined(lines: list[str], i: int) -> Found:
    """``Undefined symbols for architecture arm64:`` then ``"_sym", referenced from:``: the
    first symbol, without the underscore Mach-O puts before C names."""
    for j in range(i + 1, min(len(lines), i + 4)):
        m = _APPLE_SYMBOL.match(lines[j].strip())
        if m:
            sym = m.group("sym")
            sym = sym[1:] if sym.startswith("_") else sym
            return Candidate(Priority.LOCATED, i, error("undefined symbol", f"undefined reference to '{sym}'", "c",
                                                        detail=[lines[i].strip(), lines[j].strip()]), end=j), j + 1
    return None, i + 1


def _msvc_link(i: int, code: str, message: str, line: str) -> Candidate:
    if code == "LNK1120":  # "N unresolved externals": the count of the errors above it
        return Candidate(Priority.WRAPPER, i, error("error", f"{code}: {message}", "generic"))
    if code == "LNK1181":
        return Candidate(Priority.LOCATED, i, error("missing library", message, "c", code=code, detail=[line]))
    if code in ("LNK2019", "LNK2001"):
        sym = _MSVC_UNRESOLVED.match(message)
        text = f"undefined reference to '{sym.group('sym')}'" if sym else message[:MAX_MESSAGE]
        return Candidate(Priority.LOCATED, i, error("undefined symbol", text, "c", code=code, detail=[line]))
    return Candidate(Priority.LOCATED, i, error("link error", _masked(message), "c", code=code))


def _configuration(lines: list[str], i: int, text: str, build: _Build) -> Candidate | Found | None:
    """What configures a build: pkg-config, CMake, meson, autoconf, and the tools a build
    needs (``pg_config``, Microsoft Visual C++, a compiler)."""
    m = _PKG_CONFIG.match(text)
    if m:
        pkg = m.group("a") or m.group("b") or m.group("c")
        j = i + 1
        while j < len(lines) and j < i + 4 and _PKG_CONFIG_MORE.match(lines[j].strip()):
            j += 1
        return Candidate(Priority.TOOL, i, error("missing package", f"package '{pkg}' not found", "c",
                                                 detail=[ln.strip() for ln in lines[i:j]]), end=j - 1), j
    m = _CMAKE.match(text)
    if m:
        return _cmake(lines, i, m, build)
    m = _MESON.match(text)
    if m:
        loc = build.frame(m.group("path"), int(m.group("line")))
        dep = _MESON_DEP.match(m.group("msg"))
        if dep:
            return Candidate(Priority.TOOL, i, error("missing package", f"package '{dep.group('pkg')}' not found", "c",
                                                     location=loc, detail=[m.group("msg")]))
        return Candidate(Priority.TOOL, i, error("meson", _masked(m.group("msg")), "c", location=loc))
    m = _CONFIGURE.match(text)
    if m:
        return Candidate(Priority.TOOL, i, error("configure", _masked(m.group("msg")), "c"))
    m = _TOOL_MISSING.match(text)
    if m:
        rest = m.group("rest").strip()
        return Candidate(Priority.TOOL, i, error("missing tool", m.group("msg"), "c", detail=[rest] if rest else []))
    m = _SHELL_MISSING.match(text)
    if m:
        return Candidate(Priority.TOOL, i, error("missing tool", f"{m.group('tool')}: command not found", "c"))
    return None


def _cmake(lines: list[str], i: int, m: re.Match[str], build: _Build) -> Found:
    """``CMake Error at CMakeLists.txt:10 (find_package):`` and its indented message: the
    first paragraph is the message, the next ones detail."""
    paragraphs: list[list[str]] = [[m.group("msg").strip()] if m.group("msg").strip() else []]
    j = i + 1
    n = len(lines)
    while j < n and j < i + 60:
        raw = lines[j]
        s = raw.strip()
        if not s:
            if paragraphs[-1]:
                paragraphs.append([])
        elif not raw.startswith(" ") or s.startswith("Call Stack"):
            break
        else:
            paragraphs[-1].append(s)
        j += 1
    parts = [" ".join(p) for p in paragraphs if p]
    loc = build.frame(m.group("path"), int(m.group("line"))) if m.group("path") and m.group("line") else None
    detail = [f"({m.group('cmd')})"] if m.group("cmd") else []
    return Candidate(Priority.TOOL, i, error("cmake", _masked(parts[0] if parts else "CMake Error"), "c", location=loc,
                                             detail=[*detail, *parts[1:4]]), end=j - 1), j


def _masked(message: str) -> str:
    """A message as printed, bounded, without the platform in setuptools' build folders
    (other paths, numbers and temporary folders are masked where messages are compared)."""
    return _BUILD_DIR.sub(r"build/\g<kind>/", message[:MAX_MESSAGE])
