"""Dependency and toolchain edits in the manifests of other ecosystems.

A fix of a Go, Rust, JVM, .NET or Ruby error is often one line in a manifest: a module
bumped in ``go.mod``, a crate in ``Cargo.toml``, an artifact in ``build.gradle(.kts)`` or
``pom.xml``, a ``PackageReference`` in a ``*.csproj``, a gem in the ``Gemfile``, or the
toolchain those files pin (``go 1.22``, ``rust-version``, ``<TargetFramework>``,
``maven.compiler.source``, ``namespace``/``compileSdk`` of an Android module, ``ruby "3.2"``).
:func:`manifest_changes` gives them in the shape of :func:`memory_store.bugs.diffs.dependency_changes`
so the captured fix's summary says ``changed github.com/lib/pq (v1.10.9) in go.mod``.
Python requirement files and ``package.json`` are read by :mod:`memory_store.bugs.diffs` itself.
Where an error naming no source line is shown is :mod:`memory_store.bugs.error_manifests`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from pathlib import PurePosixPath
from typing import Protocol


class Hunk(Protocol):
    """A hunk of :mod:`memory_store.bugs.diffs` (which imports this module)."""

    @property
    def lines(self) -> list[str]: ...


class FileDiff(Protocol):
    @property
    def path(self) -> str: ...

    @property
    def hunks(self) -> Sequence[Hunk]: ...

Change = tuple[str, str, str]
"""(verb, package or setting, requirement text): ``("changed", "serde", "1.0.200")``."""

GO_REQUIRE = re.compile(r"^\s*(?:require\s+)?(?P<pkg>[\w.\-~]+(?:/[\w.\-~]+)+)\s+(?P<ver>v\d[\w.+\-]*)"
                         r"(?:\s*//.*)?$")
_GO_DIRECTIVE = re.compile(r"^\s*(?P<key>go|toolchain)\s+(?P<ver>(?:go)?\d[\w.]*)\s*$")
_GO_REPLACE = re.compile(r"^\s*(?:replace\s+)?(?P<pkg>[\w.\-~]+(?:/[\w.\-~]+)+)(?:\s+v\S+)?\s+=>\s+(?P<to>.+?)\s*$")
TOML_SECTION = re.compile(r"^\s*\[(?P<name>[^\]]+)\]\s*$")
_TOML_DEP = re.compile(r"^\s*(?P<pkg>[A-Za-z0-9][\w\-]*)\s*=\s*(?P<spec>\"[^\"]*\"|\{.*\})\s*(?:#.*)?$")
_TOML_VERSION_IN_TABLE = re.compile(r"version\s*=\s*\"(?P<ver>[^\"]+)\"")
_CARGO_PACKAGE_KEYS = frozenset({"name", "version", "edition", "authors", "description", "license", "readme",
                                 "repository", "homepage", "documentation", "keywords", "categories", "build",
                                 "publish", "resolver", "members", "exclude", "include", "default", "path",
                                 "workspace", "links", "autobins", "autoexamples", "autotests", "autobenches",
                                 "license-file", "default-run", "metadata"})
_GRADLE_DEP = re.compile(r"^\s*(?P<conf>[a-z][A-Za-z]*(?:Implementation|Api|Only)|implementation|api|compileOnly"
                         r"|runtimeOnly|kapt|ksp|annotationProcessor|classpath|compile|testCompile|platform)\s*\(?\s*"
                         r"(?:platform\s*\(\s*)?[\"'](?P<group>[^:\"'\s]+):(?P<artifact>[^:\"'\s]+)"
                         r"(?::(?P<ver>[^\"'@\s]+))?(?:@\w+)?[\"']")
_GRADLE_PLUGIN = re.compile(r"^\s*id\s*\(?\s*[\"'](?P<id>[\w.\-]+)[\"']\s*\)?\s*version\s*\(?\s*[\"'](?P<ver>[^\"']+)")
_GRADLE_SETTING = re.compile(r"^\s*(?P<key>namespace|compileSdk(?:Version)?|minSdk(?:Version)?|targetSdk(?:Version)?"
                             r"|sourceCompatibility|targetCompatibility|jvmTarget|kotlinCompilerExtensionVersion"
                             r"|buildToolsVersion|ndkVersion|languageVersion)\s*(?:=|\s)\s*(?P<value>.+?)\s*$")
_XML_TAG = re.compile(r"<(?P<tag>[\w.\-]+)>\s*(?P<value>[^<]*?)\s*</(?P=tag)>")
_POM_SETTINGS = re.compile(r"^(?:maven\.compiler\.(?:source|target|release)|java\.version|kotlin\.version"
                           r"|[\w.\-]+\.version|source|target|release)$")
_CSPROJ_REF = re.compile(r"<(?:PackageReference|PackageVersion|GlobalPackageReference)\s+(?:Include|Update)="
                         r"\"(?P<pkg>[^\"]+)\"(?:\s+Version=\"(?P<ver>[^\"]+)\")?")
_CSPROJ_VERSION = re.compile(r"<Version>(?P<ver>[^<]+)</Version>")
_CSPROJ_SETTINGS = frozenset({"TargetFramework", "TargetFrameworks", "LangVersion", "RuntimeIdentifier",
                              "RuntimeFrameworkVersion", "RollForward"})
GEM_LINE = re.compile(r"^\s*gem\s+[\"'](?P<pkg>[\w.\-]+)[\"'](?P<rest>(?:\s*,\s*[\"'][^\"']*[\"'])*)")
_GEM_RUBY = re.compile(r"^\s*ruby\s+[\"'](?P<ver>[^\"']+)[\"']")
_GLOBAL_JSON_SDK = re.compile(r"^\s*\"version\"\s*:\s*\"(?P<ver>[^\"]+)\"")


def _changed_lines(hunk: Hunk) -> Iterator[tuple[str, str]]:
    for line in hunk.lines:
        if line[:1] in "+-":
            yield line[:1], line[1:]


def _go_mod(hunk: Hunk) -> Iterator[tuple[str, str, str]]:
    for tag, text in _changed_lines(hunk):
        m = _GO_DIRECTIVE.match(text)
        if m:
            yield tag, m.group("key"), m.group("ver")
            continue
        m = _GO_REPLACE.match(text)
        if m:
            yield tag, m.group("pkg"), f"=> {m.group('to')}"
            continue
        m = GO_REQUIRE.match(text)
        if m:
            yield tag, m.group("pkg"), m.group("ver")


def _cargo(hunk: Hunk) -> Iterator[tuple[str, str, str]]:
    section = ""
    for line in hunk.lines:
        tag, text = line[:1], line[1:]
        sm = TOML_SECTION.match(text)
        if sm:
            section = sm.group("name").strip()
            continue
        if tag not in "+-":
            continue
        m = _TOML_DEP.match(text)
        if not m:
            continue
        pkg, spec = m.group("pkg"), m.group("spec")
        if section in ("package", "workspace.package") or (not section and pkg in _CARGO_PACKAGE_KEYS):
            if pkg == "rust-version":
                yield tag, pkg, spec.strip('"')
            continue
        if spec.startswith("{"):
            vm = _TOML_VERSION_IN_TABLE.search(spec)
            yield tag, pkg, vm.group("ver") if vm else spec
        else:
            yield tag, pkg, spec.strip('"')


def _gradle(hunk: Hunk) -> Iterator[tuple[str, str, str]]:
    for tag, text in _changed_lines(hunk):
        m = _GRADLE_DEP.match(text)
        if m:
            yield tag, f"{m.group('group')}:{m.group('artifact')}", m.group("ver") or "(no version)"
            continue
        m = _GRADLE_PLUGIN.match(text)
        if m:
            yield tag, m.group("id"), m.group("ver")
            continue
        m = _GRADLE_SETTING.match(text)
        if m:
            yield tag, m.group("key"), m.group("value").strip("\"'()")


def _pom(hunk: Hunk) -> Iterator[tuple[str, str, str]]:
    """Versions are attributed to the ``<artifactId>`` shown before them in the hunk (a
    context line or a changed one); properties such as ``maven.compiler.source`` by name."""
    artifact = ""
    for line in hunk.lines:
        tag, text = line[:1], line[1:]
        for m in _XML_TAG.finditer(text):
            name, value = m.group("tag"), m.group("value")
            if name == "artifactId":
                artifact = value
                if tag in "+-" and tag != " ":
                    yield tag, value, "(artifact)"
            elif name == "version" and tag in "+-" and artifact:
                yield tag, artifact, value
            elif _POM_SETTINGS.match(name) and tag in "+-":
                yield tag, name, value


def _csproj(hunk: Hunk) -> Iterator[tuple[str, str, str]]:
    ref = ""
    for line in hunk.lines:
        tag, text = line[:1], line[1:]
        m = _CSPROJ_REF.search(text)
        if m:
            ref = m.group("pkg")
            if tag in "+-":
                yield tag, ref, m.group("ver") or "(no version)"
            continue
        vm = _CSPROJ_VERSION.search(text)
        if vm and ref and tag in "+-":
            yield tag, ref, vm.group("ver")
            continue
        for xm in _XML_TAG.finditer(text):
            if xm.group("tag") in _CSPROJ_SETTINGS and tag in "+-":
                yield tag, xm.group("tag"), xm.group("value")


def _gemfile(hunk: Hunk) -> Iterator[tuple[str, str, str]]:
    for tag, text in _changed_lines(hunk):
        m = GEM_LINE.match(text)
        if m:
            rest = ", ".join(re.findall(r"[\"']([^\"']*)[\"']", m.group("rest")))
            yield tag, m.group("pkg"), rest or "(any version)"
            continue
        m = _GEM_RUBY.match(text)
        if m:
            yield tag, "ruby", m.group("ver")


def _global_json(hunk: Hunk) -> Iterator[tuple[str, str, str]]:
    for tag, text in _changed_lines(hunk):
        m = _GLOBAL_JSON_SDK.match(text)
        if m:
            yield tag, ".NET SDK", m.group("ver")


def _reader(path: str) -> Callable[[Hunk], Iterator[tuple[str, str, str]]] | None:
    name = PurePosixPath(path).name
    if name == "go.mod":
        return _go_mod
    if name == "Cargo.toml":
        return _cargo
    if name in ("build.gradle", "build.gradle.kts", "settings.gradle", "settings.gradle.kts"):
        return _gradle
    if name == "pom.xml":
        return _pom
    if name.endswith((".csproj", ".fsproj", ".vbproj")) or name in ("Directory.Packages.props",
                                                                     "Directory.Build.props"):
        return _csproj
    if name in ("Gemfile", "gems.rb"):
        return _gemfile
    if name == "global.json":
        return _global_json
    return None


def is_manifest(path: str) -> bool:
    return _reader(path) is not None


def manifest_changes(fd: FileDiff) -> list[Change] | None:
    """What a diff of a manifest added, removed or changed, or None when ``fd`` is no
    manifest this module reads. A package both removed and added is *changed* (to the
    added requirement)."""
    reader = _reader(fd.path)
    if reader is None:
        return None
    added: dict[str, str] = {}
    removed: dict[str, str] = {}
    for hunk in fd.hunks:
        for tag, pkg, req in reader(hunk):
            (added if tag == "+" else removed)[pkg] = req
    out: list[Change] = []
    for pkg, req in added.items():
        if removed.get(pkg) == req:
            continue  # a line moved or reformatted: nothing changed
        out.append(("changed" if pkg in removed else "added", pkg, req))
    out.extend(("removed", pkg, req) for pkg, req in removed.items() if pkg not in added)
    return out
