"""Reading unified diffs: per-file hunks, dependency changes and a one-line summary.

Used by fix capture (the summary pre-filled as the fix text) and by remembered edits.
Everything here is plain text processing: no network, no git.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from memory_store.bugs.manifests import manifest_changes
from memory_store.bugs.requirements import normalize_package, quoted_requirement, requirement_name
from memory_store.duration import plural

_HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")
_PACKAGE_JSON_DEP = re.compile(r"^\s*\"(@?[A-Za-z0-9][\w./-]*)\"\s*:\s*\"[^\"]*\"\s*,?\s*$")


@dataclass
class Hunk:
    old_start: int
    new_start: int
    lines: list[str] = field(default_factory=list)
    """Body lines with their ``' '``/``'+'``/``'-'`` prefix."""

    def added(self) -> list[str]:
        return [line[1:] for line in self.lines if line.startswith("+")]

    def removed(self) -> list[str]:
        return [line[1:] for line in self.lines if line.startswith("-")]

    def blocks(self) -> list[tuple[int, int, list[str], list[str]]]:
        """Runs of consecutive changed lines: ``(first old line, last old line, removed, added)``."""
        out: list[tuple[int, int, list[str], list[str]]] = []
        old = self.old_start
        removed: list[str] = []
        added: list[str] = []
        start = old

        def flush() -> None:
            if removed or added:
                out.append((start, max(start, start + len(removed) - 1), list(removed), list(added)))
            removed.clear()
            added.clear()

        for line in self.lines:
            tag, text = line[:1], line[1:]
            if tag == " ":
                flush()
                old += 1
                start = old
            elif tag == "-":
                removed.append(text)
                old += 1
            elif tag == "+":
                added.append(text)
        flush()
        return out


@dataclass
class FileDiff:
    path: str
    old_path: str | None = None
    hunks: list[Hunk] = field(default_factory=list)
    binary: bool = False
    text: str = ""
    """This file's part of the diff, verbatim."""

    @property
    def added(self) -> int:
        return sum(len(h.added()) for h in self.hunks)

    @property
    def removed(self) -> int:
        return sum(len(h.removed()) for h in self.hunks)


def parse_unified_diff(diff: str) -> list[FileDiff]:
    """Split a ``git diff`` into files and hunks (tolerates truncated input)."""
    files: list[FileDiff] = []
    current: FileDiff | None = None
    hunk: Hunk | None = None
    chunk: list[str] = []

    def close() -> None:
        if current is not None:
            current.text = "".join(chunk)

    for line in diff.splitlines(keepends=True):
        bare = line.rstrip("\n")
        if bare.startswith("diff --git "):
            close()
            chunk = []
            m = re.match(r"diff --git a/(.*) b/(.*)$", bare)
            path = m.group(2) if m else bare.split()[-1]
            current = FileDiff(path=path, old_path=m.group(1) if m else None)
            files.append(current)
            hunk = None
        elif current is None:
            continue
        elif bare.startswith("+++ "):
            target = bare[4:]
            if target.startswith("b/"):
                current.path = target[2:]
        elif bare.startswith("Binary files "):
            current.binary = True
        elif (m := _HUNK.match(bare)) is not None:
            hunk = Hunk(int(m.group(1)), int(m.group(3)))
            current.hunks.append(hunk)
        elif hunk is not None and bare[:1] in (" ", "+", "-"):
            hunk.lines.append(bare)
        chunk.append(line)
    close()
    return files


def is_requirements_file(path: str) -> bool:
    p = PurePosixPath(path)
    return p.suffix in (".txt", ".in") and (p.name.startswith("requirements") or p.parent.name == "requirements")


def dependency_changes(fd: FileDiff) -> list[tuple[str, str, str]]:
    """``(verb, package, requirement text)`` for dependency files: added/removed/changed."""
    other = manifest_changes(fd)  # go.mod, Cargo.toml, Gradle, pom.xml, *.csproj, Gemfile
    if other is not None:
        return other
    name = PurePosixPath(fd.path).name
    added: dict[str, str] = {}
    removed: dict[str, str] = {}
    for hunk in fd.hunks:
        for tag, text in ((t, s) for t, s in ((ln[:1], ln[1:]) for ln in hunk.lines) if t in "+-"):
            req: str | None = None
            pkg: str | None = None
            if is_requirements_file(fd.path) or name in ("constraints.txt", "Pipfile"):
                pkg = requirement_name(text)
                req = text.split(" #", 1)[0].strip()
            elif name in ("pyproject.toml", "setup.cfg", "setup.py"):
                req = quoted_requirement(text) if name != "setup.cfg" else text.strip()
                pkg = requirement_name(req) if req else None
            elif name == "package.json":
                m = _PACKAGE_JSON_DEP.match(text)
                if m and m.group(1) not in ("name", "version", "main", "description", "license", "type"):
                    pkg, req = m.group(1), text.strip().rstrip(",")
            if pkg and req:
                (added if tag == "+" else removed)[normalize_package(pkg)] = req
    out: list[tuple[str, str, str]] = []
    for key, req in added.items():
        out.append(("changed" if key in removed else "added", requirement_name(req) or key, req))
    out.extend(("removed", requirement_name(req) or key, req) for key, req in removed.items() if key not in added)
    return out


_COMMENT = re.compile(r"^\s*(?:#|//|/\*|\*|<!--|--\s)")
_DOC_START = re.compile(r"^\s*[rRuUbBfF]{0,2}(?:\"\"\"|\'\'\')")
_TRIPLE = re.compile(r"\"\"\"|\'\'\'")


def code_blocks(hunk: Hunk) -> list[tuple[int, int, list[str]]]:
    """Runs of changed lines, as ``(first old line, last old line, statements)``, where the
    statements are the changed *code* lines: the added ones (else ``removed <line>``), without
    blank lines, comments and docstrings. A run that changed only those has no statements.

    Whether a line is inside a triple-quoted string is followed separately for the old side
    (context and removed lines) and the new side (context and added lines) of the hunk."""
    inside = {"-": False, "+": False}
    out: list[tuple[int, int, list[str]]] = []
    old = hunk.old_start
    start = old
    removed: list[str] = []
    added: list[str] = []
    changed = False

    def flush() -> None:
        nonlocal changed
        if changed:
            statements = list(added) or [f"removed {t}" for t in removed]
            out.append((start, max(start, start + n_removed - 1), statements))
        removed.clear()
        added.clear()
        changed = False

    n_removed = 0
    for line in hunk.lines:
        tag, text = line[:1], line[1:]
        prose = False
        for side in (("-", "+") if tag == " " else (tag,)):
            if side not in inside:
                continue
            side_prose = inside[side] or bool(_DOC_START.match(text)) or bool(_COMMENT.match(text))
            if len(_TRIPLE.findall(text)) % 2:
                inside[side] = not inside[side]
            prose = prose or side_prose
        if tag == " ":
            flush()
            n_removed = 0
            old += 1
            start = old
            continue
        if tag not in "+-":
            continue
        changed = True
        if tag == "-":
            n_removed += 1
            old += 1
        if prose or not text.strip():
            continue
        (removed if tag == "-" else added).append(text.strip())
    flush()
    return out


def _short(text: str, width: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def summarize(files: list[FileDiff], frame_lines: dict[str, list[int]] | None = None,
              omitted: int = 0) -> str:
    """One line saying what the fix changed, e.g. ``added structlog to requirements.txt``.

    ``frame_lines``: for each file of the error's frames (outermost first), the lines it
    pointed at; the changed code statement nearest to them is quoted (an edited comment
    or docstring is not the fix).
    """
    frame_lines = frame_lines or {}
    parts: list[str] = []
    rest: list[FileDiff] = []
    for fd in files:
        deps = dependency_changes(fd)
        if deps:
            for verb, pkg, req in deps:
                prep = {"added": "to", "removed": "from", "changed": "in"}[verb]
                what = pkg if verb != "changed" else f"{pkg} ({req})"
                parts.append(f"{verb} {what} {prep} {fd.path}")
            continue
        if fd.path in frame_lines and fd.hunks:
            statement = _nearest_change(fd, frame_lines[fd.path])
            counts = f"(+{fd.added} -{fd.removed})"
            parts.append(f"changed {fd.path} {counts}" + (f": `{_short(statement)}`" if statement else ""))
            continue
        rest.append(fd)
    if rest:
        if len(rest) <= 2:
            for fd in rest:
                parts.append(f"{'binary file' if fd.binary else 'edited'} {fd.path} (+{fd.added} -{fd.removed})")
        else:
            added = sum(f.added for f in rest)
            removed = sum(f.removed for f in rest)
            parts.append(f"edited {len(rest)} files (+{added} -{removed}): "
                         + ", ".join(f.path for f in rest[:3]) + (", …" if len(rest) > 3 else ""))
    if omitted:
        parts.append(f"{plural(omitted, 'more file')} not shown")
    return "; ".join(parts) if parts else "no tracked file changed between the failing and the passing run"


def _nearest_change(fd: FileDiff, lines: list[int]) -> str | None:
    """The first changed code statement of the change block closest to one of ``lines``
    (comments, docstrings and blank lines do not count)."""
    best: tuple[int, str] | None = None
    for hunk in fd.hunks:
        for first, last, statements in code_blocks(hunk):
            if not statements:
                continue
            distance = min((0 if first <= n <= last else min(abs(n - first), abs(n - last)) for n in lines),
                           default=10**6)
            if best is None or distance < best[0]:
                best = (distance, statements[0])
    return best[1] if best else None
