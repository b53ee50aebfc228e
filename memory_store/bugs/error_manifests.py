"""Where an error naming no source line is shown: on a manifest.

A build tool's error (``go: go.mod file not found``, ``npm ERR! ERESOLVE``, ``NETSDK1045``)
or a failed package install (a C extension that does not build under ``pip install -r
dev.txt``, a resolver conflict, a gem's native extension) names no file of the project.
:func:`error_manifest_frame` puts it on the manifest of its language or of the package
command that failed, on the line naming the package the error is about, else on line 1.
The command is someone else's input (a run log can come with a clone): it is only read as
text, and only manifests that are regular files inside the workspace, reached through no
symbolic link, are read, at most :data:`MAX_MANIFEST_BYTES` of them.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator, Sequence
from pathlib import Path, PurePosixPath

from memory_store.bugs.manifests import GEM_LINE, GO_REQUIRE, TOML_SECTION
from memory_store.bugs.requirements import normalize_package, quoted_requirement, requirement_name
from memory_store.errors.model import Frame, ParsedError
from memory_store.workspace import UnsafePathError, check_relative

_MANIFESTS_OF = {
    "go": ("go.mod",), "rust": ("Cargo.toml",), "javascript": ("package.json",),
    "typescript": ("package.json", "tsconfig.json"), "java": ("pom.xml", "build.gradle", "build.gradle.kts"),
    "kotlin": ("build.gradle.kts", "build.gradle", "pom.xml"), "csharp": ("*.csproj", "*.sln", "global.json"),
    "ruby": ("Gemfile",),
}


MAX_MANIFEST_BYTES = 1024 * 1024
"""A manifest larger than this is not searched for the package's line (shown on line 1)."""
MAX_COMMAND_CHARS = 4096
"""Of a (possibly hostile) command line, only this much is read."""
_PYTHON_MANIFESTS = ("requirements.txt", "pyproject.toml", "setup.py", "setup.cfg", "Pipfile")
_MANIFESTS_OF_TOOL = {
    "npm": ("package.json",), "yarn": ("package.json",), "pnpm": ("package.json",),
    "node-gyp": ("package.json",), "bundle": ("Gemfile", "gems.rb"), "gem": ("Gemfile", "gems.rb"),
    "cargo": ("Cargo.toml",), "go": ("go.mod",), "gradle": ("build.gradle.kts", "build.gradle"),
    "gradlew": ("build.gradle.kts", "build.gradle"), "mvn": ("pom.xml",), "mvnw": ("pom.xml",),
    "dotnet": ("*.csproj", "*.fsproj", "*.sln"), "msbuild": ("*.csproj", "*.fsproj", "*.sln"),
    "pip": _PYTHON_MANIFESTS, "poetry": ("pyproject.toml", *_PYTHON_MANIFESTS),
    "pdm": ("pyproject.toml", *_PYTHON_MANIFESTS), "pipenv": ("Pipfile", *_PYTHON_MANIFESTS),
}
_WRAPPERS = frozenset({"sudo", "env", "time", "nice", "nohup", "command", "exec", "xargs"})
_SEPARATORS = frozenset({"&&", "||", ";", "|", "&"})
_PROGRAM_VERSION = re.compile(r"(?:\.exe|\.cmd|\.bat)$|(?<=[a-z])[\d.]+$", re.IGNORECASE)
_ASSIGNMENT = re.compile(r"^[A-Za-z_]\w*=")
_REQUIREMENT_OPTION = re.compile(r"^(?:-r|--requirement)(?:=|(?=.))(?P<file>.+)$")
_PIP_LINE_REF = re.compile(r"-r (?P<file>\S+) \(line (?P<line>\d+)\)")
"""pip names a requirement by where it was read: ``Cannot install -r requirements.txt (line 3) and ...``."""

# What names the package an error is about, in its message or its text.
_PACKAGE_IN_TEXT = (
    re.compile(r"No matching distribution found for (?P<pkg>[A-Za-z0-9][\w.\-]*)"),
    re.compile(r"Could not find a version that satisfies the requirement (?P<pkg>[A-Za-z0-9][\w.\-]*)"),
    re.compile(r"Failed building wheel for (?P<pkg>[A-Za-z0-9][\w.\-]*)"),
    re.compile(r"Failed to build (?P<pkg>[A-Za-z0-9][\w.\-]*)"),
    re.compile(r"(?:Building wheel for|Running setup\.py install for|Building editable for) "
               r"(?P<pkg>[A-Za-z0-9][\w.\-]*)"),
    re.compile(r"An error occurred while installing (?P<pkg>[A-Za-z0-9][\w.\-]*)"),
    re.compile(r"Error installing (?P<pkg>[A-Za-z0-9][\w.\-]*)"),
    re.compile(r"failed to run custom build command for `(?P<pkg>[A-Za-z0-9][\w\-]*)"),
    re.compile(r"Failed at the (?P<pkg>(?:@[\w.\-~]+/)?[\w.\-~]+)@"),
    re.compile(r"(?:^|/)node_modules/(?P<pkg>(?:@[\w.\-~]+/)?[\w.\-~]+)"),
    re.compile(r"Collecting (?P<pkg>[A-Za-z0-9][\w.\-]*)"),
)
_CONFLICT = re.compile(r"Cannot install (?P<what>.+?) because these package versions have conflicting dependencies")
_CONFLICT_NAME = re.compile(r"(?:^|,|\band\b)\s*(?P<pkg>[A-Za-z0-9][\w.\-]*?)\s*(?:\[[^\]]*\])?\s*(?:[<>=!~]|,|$"
                            r"|\band\b)")
_FRAME_PACKAGE = re.compile(r"^(?:sdist|gems|cargo/registry|cargo/git|node_modules|site-packages"
                            r"|dist-packages)/(?P<pkg>(?:@[\w.\-~]+/)?[\w.\-~]+?)(?:-\d[\w.+\-]*|@[^/]+)?/")
_PACKAGE_JSON_SECTION = re.compile(r"^\s*\"(?:dev|peer|optional|bundle[d]?)?(?:D|d)ependencies\"\s*:\s*\{")
_PACKAGE_JSON_KEY = re.compile(r"^\s*\"(?P<pkg>(?:@[\w.\-~]+/)?[\w.\-~]+)\"\s*:")
_TOML_KEY = re.compile(r"^\s*[\"']?(?P<pkg>[A-Za-z0-9][\w.\-]*)[\"']?\s*=")


def _segments(command: str) -> Iterator[list[str]]:
    """The simple commands of a command line (``cd web && npm ci``), as words; never raises."""
    text = command[:MAX_COMMAND_CHARS]
    try:
        lexer = shlex.shlex(text, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        words = list(lexer)
    except ValueError:  # unbalanced quotes: words as the shell would have refused them
        words = text.split()
    segment: list[str] = []
    for word in words:
        if word in _SEPARATORS:
            if segment:
                yield segment
            segment = []
        else:
            segment.append(word)
    if segment:
        yield segment


def _program(word: str) -> str:
    name = PurePosixPath(word.replace("\\", "/")).name.lower()
    return _PROGRAM_VERSION.sub("", name)


def _tool(words: list[str]) -> tuple[str, list[str]] | None:
    """(package tool, its arguments) of one simple command: ``python -m pip install x``
    is ``pip``, ``uv pip install``/``uv sync`` are ``pip``/``poetry``; None for others."""
    i, wrapped = 0, False
    while i < len(words) and (_ASSIGNMENT.match(words[i]) or _program(words[i]) in _WRAPPERS
                              or (wrapped and (words[i].startswith("-") or words[i].isdigit()))):
        wrapped = wrapped or _program(words[i]) in _WRAPPERS  # sudo -E, nice -n 10
        i += 1
    if i >= len(words):
        return None
    program, args = _program(words[i]), words[i + 1:]
    if program in ("python", "py", "pypy"):
        if len(args) >= 2 and args[0] == "-m":
            program, args = _program(args[1]), args[2:]
        elif args and PurePosixPath(args[0]).name == "setup.py":
            return "setup.py", args[1:]
    if program == "uv" and args:
        if args[0] == "pip":
            return "pip", args[1:]
        if args[0] in ("sync", "add", "lock"):
            return "poetry", args[1:]  # a pyproject.toml project, like poetry's
        return None
    if program == "yarnpkg":
        program = "yarn"
    return (program, args) if program in _MANIFESTS_OF_TOOL else None


def _requirement_files(args: list[str]) -> list[str]:
    files: list[str] = []
    for i, arg in enumerate(args):
        if arg in ("-r", "--requirement") and i + 1 < len(args):
            files.append(args[i + 1])
        else:
            m = _REQUIREMENT_OPTION.match(arg)
            if m:
                files.append(m.group("file"))
    return files


def command_manifests(command: str) -> list[str]:
    """The manifests a package command reads, in the order to try them, relative to the
    folder it ran in: ``pip install -r dev.txt`` gives ``dev.txt`` then the Python defaults;
    ``cd web && npm ci`` gives ``web/package.json`` then ``package.json``. The command is
    only read as text; [] for a command of no known package tool."""
    folder = ""
    for words in _segments(command):
        if len(words) == 2 and words[0] == "cd":
            folder = words[1].replace("\\", "/").rstrip("/")
            continue
        found = _tool(words)
        if found is None:
            continue
        tool, args = found
        if tool == "setup.py":
            names = ["setup.py", *_PYTHON_MANIFESTS]
        else:
            names = [*(_requirement_files(args) if tool == "pip" else []), *_MANIFESTS_OF_TOOL[tool]]
        names = list(dict.fromkeys(names))
        if folder and not folder.startswith(("/", "~")):
            return [*(f"{folder}/{n}" for n in names if not n.startswith("/")), *names]
        return names
    return []


def _confined_file(root: Path, rel: str) -> str | None:
    """``rel`` normalized, when it is a regular file inside the workspace reached through
    no symlink; else None."""
    try:
        rel = check_relative(rel)
    except UnsafePathError:
        return None
    if not rel:
        return None
    here = _without_symlink(root, rel)
    try:
        return rel if here is not None and here.is_file() else None
    except (OSError, ValueError):
        return None


def _without_symlink(root: Path, rel: str) -> Path | None:
    """``root / rel`` when no part of the way there is a symlink; else None."""
    here = root
    try:
        for part in [p for p in rel.split("/") if p]:
            here = here / part
            if here.is_symlink():
                return None
    except (OSError, ValueError):  # a name too long for the file system
        return None
    return here


def _find_manifest(root: Path, cwd: str, names: Sequence[str]) -> str | None:
    """The first of ``names`` (relative to ``cwd``, then to the root; ``*.csproj`` a glob)
    that is a file of the workspace. Absolute names count only inside the workspace."""
    try:
        bases = list(dict.fromkeys((check_relative(cwd), "")))
    except UnsafePathError:
        bases = [""]
    for base in bases:
        for name in names:
            name = name.replace("\\", "/")
            if name.startswith("/"):
                try:
                    rel = _confined_file(root, Path(name).relative_to(root).as_posix())
                except ValueError:
                    rel = None
            elif "*" in name:
                rel = _find_glob(root, base, name)
            else:
                rel = _confined_file(root, f"{base}/{name}" if base else name)
            if rel:
                return rel
    return None


def _find_glob(root: Path, base: str, name: str) -> str | None:
    """The first file matching ``name`` (``web/*.csproj``) in ``base``. Only the last part
    is a pattern, listed in a folder of the workspace reached through no symlink: a
    ``cd link && dotnet build`` or ``cd ../.. && ...`` lists no folder outside."""
    folder, _, pattern = name.rpartition("/")
    try:
        folder = check_relative(f"{base}/{folder}" if base else folder)
    except UnsafePathError:
        return None
    if "*" in folder or not _confined_dir(root, folder):
        return None
    try:
        candidates = sorted(p.name for p in (root / folder).glob(pattern))
    except (OSError, ValueError):
        return None
    return next((r for c in candidates if (r := _confined_file(root, f"{folder}/{c}" if folder else c))), None)


def _confined_dir(root: Path, rel: str) -> bool:
    here = _without_symlink(root, rel)
    try:
        return here is not None and here.is_dir()
    except (OSError, ValueError):
        return False


def error_packages(error: ParsedError) -> list[str]:
    """Names of the packages ``error`` is about, most telling first, PEP 503 normalized:
    those its message names (``No matching distribution found for X``, a resolver
    conflict), the package of its innermost dependency frame (``sdist/cffi/...``), then
    those pip and the other installers print around it (``Failed building wheel for X``)."""
    names: list[str] = []
    message = f"{error.message}\n{error.detail}"
    m = _CONFLICT.search(message)
    if m:
        names += [c.group("pkg") for c in _CONFLICT_NAME.finditer(m.group("what"))]
    frames = [error.location] if error.location is not None else []
    frames += reversed(error.frames)
    for frame in frames:
        if frame.kind != "library":
            continue
        fm = _FRAME_PACKAGE.match(frame.path)
        if frame.module and not frame.path.startswith(("site-packages/", "dist-packages/", "node_modules/")):
            names.append(frame.module)  # sdist/cffi: cffi, gems/ffi-1.16.3: ffi, cargo's openssl-sys
        elif fm:
            names.append(fm.group("pkg"))
    for text in (message, error.text):
        for pattern in _PACKAGE_IN_TEXT:
            found = [pm.group("pkg") for pm in pattern.finditer(text)]
            names += reversed(found)  # the one printed last is nearest the failure
    return list(dict.fromkeys(normalize_package(n.rstrip(".")) for n in names if n and n.rstrip(".")))


def _line_names(manifest: str, lines: list[str]) -> Iterator[tuple[int, str]]:
    """(1-based line, package name) of each dependency a manifest's lines name."""
    name = PurePosixPath(manifest).name
    section = ""
    for no, line in enumerate(lines, 1):
        if name in ("Gemfile", "gems.rb"):
            m = GEM_LINE.match(line)
            if m:
                yield no, m.group("pkg")
        elif name == "go.mod":
            m = GO_REQUIRE.match(line)
            if m:
                yield no, m.group("pkg")
        elif name == "package.json":
            if _PACKAGE_JSON_SECTION.match(line):
                section = "dependencies"
            elif section and line.strip().startswith("}"):
                section = ""
            elif section:
                m = _PACKAGE_JSON_KEY.match(line)
                if m:
                    yield no, m.group("pkg")
        elif name == "Cargo.toml":
            sm = TOML_SECTION.match(line)
            if sm:
                section = sm.group("name").strip()
                head, _, table = section.rpartition(".")
                if head.endswith("dependencies") and table:
                    yield no, table.strip("\"'")  # [dependencies.openssl-sys]
            elif section.endswith("dependencies"):
                m = _TOML_KEY.match(line)
                if m:
                    yield no, m.group("pkg")
        elif name.endswith((".toml", ".py", ".cfg")) or name == "Pipfile":
            quoted = quoted_requirement(line)
            req = requirement_name(quoted) if quoted else None
            m = _TOML_KEY.match(line) if req is None else None
            for found in (req, m.group("pkg") if m else None):
                if found:
                    yield no, found
            for q in re.finditer(r"[\"']([A-Za-z0-9][\w.\-]*)\s*(?:\[[^\]]*\])?\s*[<>=!~;@\"']", line):
                if q.group(1) != req:
                    yield no, q.group(1)  # several on one line: install_requires=["cffi>=1", "x"]
        else:  # a requirements file (-r dev.txt, constraints.in)
            req = requirement_name(line)
            if req:
                yield no, req


def package_line(root: Path, manifest: str, packages: Sequence[str]) -> int | None:
    """The 1-based line of ``manifest`` (workspace-relative, already confined) naming the
    first of ``packages`` it names, or None. A file larger than :data:`MAX_MANIFEST_BYTES`,
    unreadable or not a regular file is not searched."""
    from memory_store.jsonio import MemoryFileError, read_bounded

    if not packages:
        return None
    try:
        text = read_bounded(root / manifest, MAX_MANIFEST_BYTES).decode("utf-8", errors="replace")
    except (OSError, MemoryFileError):
        return None
    found: dict[str, int] = {}
    for no, name in _line_names(manifest, text.splitlines()):
        found.setdefault(normalize_package(name), no)
    for pkg in packages:
        if pkg in found:
            return found[pkg]
    return None


def _pip_line(error: ParsedError, manifest: str, cwd: str) -> int | None:
    """The line pip itself names in ``manifest``: ``Cannot install -r requirements.txt (line 3) and ...``."""
    for m in _PIP_LINE_REF.finditer(f"{error.message}\n{error.detail}"):
        named = m.group("file").replace("\\", "/")
        for base in (cwd, ""):
            try:
                if check_relative(f"{base}/{named}" if base else named) == manifest:
                    return int(m.group("line"))
            except UnsafePathError:
                continue
    return None


def error_manifest_frame(error: ParsedError, command: str, root: Path, cwd: str | None = ".") -> Frame | None:
    """Where an error naming no source line is shown: a manifest of the error's language
    (``go.mod`` for Go) or else of the package command that failed (``pip install -r
    dev.txt`` reads ``dev.txt``; ``npm ci`` reads ``package.json``), looked for in the
    command's folder ``cwd`` (workspace-relative) then at the root, reached through no
    symlink and never outside the workspace. On the line naming the package the error is
    about (``cffi==1.15.1``, ``"bcrypt": "^5.1.0"``, ``gem 'pg'``, ``openssl-sys = ...``)
    when there is one, else line 1. ``command`` is only read as text, never run."""
    base = "" if cwd in (None, ".") else cwd
    names = list(_MANIFESTS_OF.get(error.language, ())) or command_manifests(command)
    manifest = _find_manifest(root, base, names)
    if manifest is None:
        return None
    line = _pip_line(error, manifest, base) or package_line(root, manifest, error_packages(error))
    return Frame(path=manifest, line=line or 1, kind="app")
