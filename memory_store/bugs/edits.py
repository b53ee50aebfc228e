"""Remembered edits: parts of a stored fix diff that can be re-applied elsewhere.

A fix diff is specific to the tree it was made in, but some changes carry over:
a dependency line added to ``requirements*.txt`` or to ``[project] dependencies`` of
``pyproject.toml``, or an import renamed (``from old.mod import x`` -> ``from new.mod import x``).
:func:`remembered_edits` extracts those from a diff when a fix is stored;
:func:`applicable_edits` turns them into text edits for the workspace as it is now,
and returns nothing when they do not apply (for example the line is already there).

Positions are 0-based lines and Python ``str`` character offsets.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path, PurePosixPath
from typing import Any

from memory_store.bugs.diffs import (
    dependency_changes,
    is_requirements_file,
    normalize_package,
    parse_unified_diff,
    quoted_requirement,
    requirement_name,
)
from memory_store.workspace import UnsafePathError, Workspace, check_relative

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

_IMPORT = re.compile(
    r"^(\s*)(from\s+)([A-Za-z_][\w.]*)(\s+import\s+.+?)\s*$"
    r"|^(\s*)(import\s+)([A-Za-z_][\w.]*)(\s+as\s+\w+)?\s*$"
)
MAX_FILE_CHARS = 2_000_000


def _import_parts(line: str) -> tuple[str, str, int] | None:
    """``(module, shape, module start offset)`` of a simple import line; shape is the
    line with the module replaced by ``{}``."""
    m = _IMPORT.match(line)
    if not m:
        return None
    if m.group(3):
        start, end = m.span(3)
    else:
        start, end = m.span(7)
    return line[start:end], (line[:start] + "{}" + line[end:]).strip(), start


def remembered_edits(diff: str) -> list[dict[str, Any]]:
    """Re-applicable edits described by a fix diff (dependency lines, import renames)."""
    edits: list[dict[str, Any]] = []
    for fd in parse_unified_diff(diff):
        name = PurePosixPath(fd.path).name
        if is_requirements_file(fd.path) or name == "pyproject.toml":
            for verb, pkg, req in dependency_changes(fd):
                if verb == "added":
                    edits.append({"kind": "add-dependency", "file": fd.path, "package": pkg,
                                  "requirement": req})
            continue
        if not fd.path.endswith(".py"):
            continue
        for hunk in fd.hunks:
            removed = [p for p in (_import_parts(t) for t in hunk.removed()) if p]
            added = [p for p in (_import_parts(t) for t in hunk.added()) if p]
            for old_mod, old_shape, _ in removed:
                for new_mod, new_shape, _ in added:
                    if old_shape == new_shape and old_mod != new_mod:
                        edit = {"kind": "rename-import", "file": fd.path, "old": old_mod, "new": new_mod}
                        if edit not in edits:
                            edits.append(edit)
    return edits


def _pos(line: int, character: int) -> dict[str, int]:
    return {"line": line, "character": character}


def _end_of_text(text: str) -> dict[str, int]:
    return _pos(text.count("\n"), len(text) - (text.rfind("\n") + 1))


def _read(workspace: Workspace, rel: str) -> str | None:
    try:
        full = workspace.resolve(rel)
    except UnsafePathError:
        return None
    try:
        if not full.is_file() or full.stat().st_size > MAX_FILE_CHARS:
            return None
        return full.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def _requirements_edit(workspace: Workspace, edit: dict[str, Any], target: str) -> dict[str, Any] | None:
    text = _read(workspace, target)
    if text is None:
        return None
    wanted = normalize_package(edit["package"])
    for line in text.splitlines():
        name = requirement_name(line)
        if name and normalize_package(name) == wanted:
            return None
    prefix = "\n" if text and not text.endswith("\n") else ""
    end = _end_of_text(text)
    return {"path": target, "range": {"start": end, "end": end},
            "new_text": f"{prefix}{edit['requirement']}\n",
            "title": f"add {edit['requirement']} to {target}"}


def _closing_bracket(line: str, start: int) -> int:
    """Index of the ``]`` closing the array opened at ``start`` on this line, or -1
    (brackets inside strings, such as extras ``"pkg[extra]"``, do not count)."""
    depth = 0
    quote = ""
    for i in range(start, len(line)):
        ch = line[i]
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "\"'":
            quote = ch
        elif ch == "#":
            return -1
        elif ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
            if depth == 0:
                return i
    return -1


def _pyproject_edit(workspace: Workspace, edit: dict[str, Any], target: str) -> dict[str, Any] | None:
    text = _read(workspace, target)
    if text is None:
        return None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return None
    deps = data.get("project", {}).get("dependencies")
    if not isinstance(deps, list):
        return None
    wanted = normalize_package(edit["package"])
    if any(isinstance(d, str) and normalize_package(requirement_name(d) or "") == wanted for d in deps):
        return None
    lines = text.split("\n")
    section = None
    for i, line in enumerate(lines):
        stripped = line.strip()
        if stripped.startswith("["):
            section = stripped
            continue
        if section != "[project]" or not re.match(r"dependencies\s*=\s*\[", stripped):
            continue
        requirement = f'"{edit["requirement"]}"'
        title = f"add {edit['requirement']} to {target}"
        close = _closing_bracket(line, line.index("["))
        if close >= 0:  # one-line array
            inner = line[line.index("[") + 1: close].strip()
            new_text = f", {requirement}" if inner and not inner.endswith(",") else (
                f" {requirement}" if inner else requirement)
            return {"path": target, "range": {"start": _pos(i, close), "end": _pos(i, close)},
                    "new_text": new_text, "title": title}
        for j in range(i + 1, len(lines)):
            if lines[j].strip().startswith("]"):
                indent = "    "
                for k in range(j - 1, i, -1):
                    if quoted_requirement(lines[k]):
                        indent = lines[k][: len(lines[k]) - len(lines[k].lstrip())]
                        if not lines[k].rstrip().endswith(","):
                            end = len(lines[k].rstrip())
                            return {"path": target, "range": {"start": _pos(k, end), "end": _pos(k, end)},
                                    "new_text": f",\n{indent}{requirement},", "title": title}
                        break
                return {"path": target, "range": {"start": _pos(j, 0), "end": _pos(j, 0)},
                        "new_text": f"{indent}{requirement},\n", "title": title}
        return None
    return None


def _rename_import_edits(workspace: Workspace, edit: dict[str, Any], target: str) -> list[dict[str, Any]]:
    text = _read(workspace, target)
    if text is None:
        return []
    out = []
    for i, line in enumerate(text.split("\n")):
        parts = _import_parts(line)
        if parts and parts[0] == edit["old"]:
            start = parts[2]
            out.append({"path": target,
                        "range": {"start": _pos(i, start), "end": _pos(i, start + len(edit["old"]))},
                        "new_text": edit["new"],
                        "title": f"import {edit['new']} instead of {edit['old']} in {target}"})
    return out


def applicable_edits(record: dict[str, Any], workspace: Workspace, path: str | None = None) -> list[dict[str, Any]]:
    """Text edits re-applying ``record``'s remembered edits to the workspace as it is now.

    ``path``: only edits of this file (workspace-relative or absolute); None: every
    applicable edit (a dependency fix lives in requirements.txt even when the error is
    shown in a .py file). Returns ``[]`` when nothing applies.
    """
    stored = record.get("edits")
    if not isinstance(stored, list):
        diff = record.get("fix_diff")
        stored = remembered_edits(diff) if isinstance(diff, str) and diff else []
    only: str | None = None
    if path is not None:
        try:
            only = workspace.relative(path) if Path(path).is_absolute() else check_relative(path)
        except UnsafePathError:
            return []
    out: list[dict[str, Any]] = []
    for edit in stored:
        if not isinstance(edit, dict) or not isinstance(edit.get("file"), str):
            continue
        try:
            recorded = check_relative(edit["file"])
        except UnsafePathError:
            continue
        kind = edit.get("kind")
        dependency = isinstance(edit.get("package"), str) and isinstance(edit.get("requirement"), str)
        if kind == "add-dependency" and dependency:
            if PurePosixPath(recorded).name == "pyproject.toml":
                targets = [recorded, "pyproject.toml"]
                make = _pyproject_edit
            else:
                targets = [recorded, "requirements.txt"]
                make = _requirements_edit
            for target in dict.fromkeys(targets):
                if only is not None and target != only:
                    continue
                if _read(workspace, target) is not None:
                    result = make(workspace, edit, target)
                    if result:
                        out.append(result)
                    break
        elif kind == "rename-import" and isinstance(edit.get("old"), str) and isinstance(edit.get("new"), str):
            target = only or recorded
            if target.endswith(".py"):
                out.extend(_rename_import_edits(workspace, edit, target))
    return out
