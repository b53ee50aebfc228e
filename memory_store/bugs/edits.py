"""Remembered edits: parts of a stored fix diff that can be re-applied elsewhere.

A fix diff is specific to the tree it was made in, but some changes carry over:
a dependency line added to ``requirements*.txt`` or to ``[project] dependencies`` of
``pyproject.toml``, or an import renamed (``from old.mod import x`` -> ``from new.mod import x``).
:func:`remembered_edits` extracts those from a diff when a fix is stored;
:func:`plan_edits` / :func:`applicable_edits` turn them into text edits for the workspace
as it is now, and return nothing when they do not apply (for example the line is already there).

A record's ``edits`` field comes from the repository, so it is untrusted: every entry is
validated on use (:func:`validate_edit`) and only these two kinds, with these shapes, ever
become text edits: a PEP 508 requirement without a direct URL reference, inserted as one
line; a dotted module name replacing the module token of an existing simple import line.
Each text edit is checked after it is built: applying it must change the file by exactly
that. Everything else is dropped with a reason.

Positions are 0-based lines and Python ``str`` character offsets.
"""

from __future__ import annotations

import keyword
import logging
import re
import sys
import unicodedata
from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, ClassVar

from packaging.requirements import InvalidRequirement, Requirement

from memory_store.bugs.diffs import dependency_changes, is_requirements_file, parse_unified_diff
from memory_store.bugs.requirements import normalize_package, quoted_requirement, requirement_name
from memory_store.workspace import UnsafePathError, Workspace, check_relative

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

log = logging.getLogger(__name__)

_IMPORT = re.compile(
    r"^(\s*)(from\s+)([A-Za-z_][\w.]*)(\s+import\s+.+?)\s*$"
    r"|^(\s*)(import\s+)([A-Za-z_][\w.]*)(\s+as\s+\w+)?\s*$"
)
MAX_FILE_CHARS = 2_000_000
MAX_PATH_CHARS = 300
MAX_REQUIREMENT_CHARS = 200
MAX_MODULE_CHARS = 200
MAX_STORED_EDITS = 50
MAX_RENAMED_LINES = 20
"""Import lines one rename may change in a file (each one token)."""

_MODULE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")
_PACKAGE = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$")
_REQUIREMENT_CHARS = re.compile(r"^[A-Za-z0-9 ._\-\[\],<>=!~;()\"'*+]+$")
"""Enough for names, extras, version specifiers and markers; no ``@`` (direct references),
``/`` or ``:`` (URLs, paths), ``#``, ``$``, ``\\``, ``%`` or control characters."""
_REFUSED_DIRS = {".git", ".teamlore"}


class InvalidEdit(ValueError):
    """A stored edit that is not one of the re-applicable shapes; the message says why."""


def _shown(value: Any) -> str:
    """A stored value quoted for a reason: escaped and short."""
    text = value if isinstance(value, str) else type(value).__name__
    return repr(text[:60] + ("…" if len(text) > 60 else ""))


@dataclass(frozen=True)
class AddDependency:
    """Add one requirement line to a requirements file or to ``[project] dependencies``."""

    file: str
    package: str
    requirement: str
    kind: ClassVar[str] = "add-dependency"

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, **asdict(self)}

    def describe(self, target: str | None = None) -> str:
        return f'Add "{self.requirement}" to {target or self.file}'


@dataclass(frozen=True)
class RenameImport:
    """Replace the module of simple import lines (``import a.b`` / ``from a.b import x``)."""

    file: str
    old: str
    new: str
    kind: ClassVar[str] = "rename-import"

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, **asdict(self)}

    def describe(self, target: str | None = None) -> str:
        return f"Rename import {self.old} -> {self.new} in {target or self.file}"


RememberedEdit = AddDependency | RenameImport


def _has_control(text: str) -> bool:
    """Control, format (such as bidirectional overrides) or line/paragraph separator characters."""
    return any(unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") for ch in text)


def _check_file(value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise InvalidEdit(f"'file' must be a non-empty string, got {_shown(value)}")
    if len(value) > MAX_PATH_CHARS:
        raise InvalidEdit(f"'file' is longer than {MAX_PATH_CHARS} characters")
    if _has_control(value):
        raise InvalidEdit(f"'file' contains control characters: {_shown(value)}")
    try:
        rel = check_relative(value)
    except UnsafePathError as exc:
        raise InvalidEdit(str(exc)) from None
    if not rel:
        raise InvalidEdit("'file' names the workspace root")
    if any(part in _REFUSED_DIRS for part in PurePosixPath(rel).parts):
        raise InvalidEdit(f"'file' is inside .git or .teamlore: {_shown(rel)}")
    return rel


def _check_requirement(value: Any, package: Any) -> tuple[str, str]:
    if not isinstance(value, str) or not value.strip():
        raise InvalidEdit(f"'requirement' must be a non-empty string, got {_shown(value)}")
    text = value.strip()
    if len(text) > MAX_REQUIREMENT_CHARS:
        raise InvalidEdit(f"'requirement' is longer than {MAX_REQUIREMENT_CHARS} characters")
    if _has_control(text):
        raise InvalidEdit(f"'requirement' is not one plain requirement line: {_shown(text)}")
    if "@" in text or "://" in text:
        raise InvalidEdit(f"'requirement' is a direct reference (URL or file), refused: {_shown(text)}")
    if not _REQUIREMENT_CHARS.match(text):
        raise InvalidEdit(f"'requirement' is not one plain requirement line: {_shown(text)}")
    if '"' in text and "'" in text:
        raise InvalidEdit(f"'requirement' mixes quote characters: {_shown(text)}")
    try:
        req = Requirement(text)
    except InvalidRequirement:
        raise InvalidEdit(f"'requirement' is not a PEP 508 requirement: {_shown(text)}") from None
    if req.url is not None:
        raise InvalidEdit(f"'requirement' is a direct reference (URL or file), refused: {_shown(text)}")
    if not isinstance(package, str) or not _PACKAGE.match(package):
        raise InvalidEdit(f"'package' is not a distribution name: {_shown(package)}")
    if normalize_package(package) != normalize_package(req.name):
        raise InvalidEdit(f"'package' {_shown(package)} is not the requirement's name {_shown(req.name)}")
    return package, text


def _check_module(value: Any, name: str) -> str:
    if not isinstance(value, str) or len(value) > MAX_MODULE_CHARS or not _MODULE.match(value):
        raise InvalidEdit(f"'{name}' is not a dotted module name: {_shown(value)}")
    if any(keyword.iskeyword(part) for part in value.split(".")):
        raise InvalidEdit(f"'{name}' contains a Python keyword: {_shown(value)}")
    return value


def validate_edit(raw: Any) -> RememberedEdit:
    """The remembered edit a stored entry describes; :class:`InvalidEdit` unless it is one
    of the shapes fix capture produces, with every value checked."""
    if not isinstance(raw, dict):
        raise InvalidEdit(f"an edit must be an object, got {_shown(raw)}")
    kind = raw.get("kind")
    if kind == AddDependency.kind:
        rel = _check_file(raw.get("file"))
        if not (is_requirements_file(rel) or PurePosixPath(rel).name == "pyproject.toml"):
            raise InvalidEdit(f"a dependency goes to requirements*.txt or pyproject.toml, not {_shown(rel)}")
        package, requirement = _check_requirement(raw.get("requirement"), raw.get("package"))
        return AddDependency(file=rel, package=package, requirement=requirement)
    if kind == RenameImport.kind:
        rel = _check_file(raw.get("file"))
        if not rel.endswith(".py"):
            raise InvalidEdit(f"an import rename applies to a .py file, not {_shown(rel)}")
        old = _check_module(raw.get("old"), "old")
        new = _check_module(raw.get("new"), "new")
        if old == new:
            raise InvalidEdit("'old' and 'new' are the same module")
        return RenameImport(file=rel, old=old, new=new)
    raise InvalidEdit(f"unknown edit kind {_shown(kind)} (only add-dependency and rename-import are applied)")


def stored_edits(record: dict[str, Any]) -> list[Any]:
    """The raw edit entries of a record: its ``edits``, else those its ``fix_diff`` describes."""
    stored = record.get("edits")
    if stored is not None:
        return stored if isinstance(stored, list) else []  # not a list: refused by checked_edits
    diff = record.get("fix_diff")
    return remembered_edits(diff) if isinstance(diff, str) and diff else []


def checked_edits(record: dict[str, Any]) -> tuple[list[RememberedEdit], list[str]]:
    """A record's valid remembered edits, and a ``not applied: <reason>`` line per invalid one."""
    valid: list[RememberedEdit] = []
    refused: list[str] = []
    if record.get("edits") is not None and not isinstance(record.get("edits"), list):
        refused.append("not applied: 'edits' is not a list")
    entries = stored_edits(record)
    if len(entries) > MAX_STORED_EDITS:
        refused.append(f"not applied: {len(entries) - MAX_STORED_EDITS} edits beyond the first {MAX_STORED_EDITS}")
        entries = entries[:MAX_STORED_EDITS]
    for raw in entries:
        try:
            edit = validate_edit(raw)
        except InvalidEdit as exc:
            refused.append(f"not applied: {exc}")
            continue
        if edit not in valid:
            valid.append(edit)
    if refused:
        log.debug("record %s: %d remembered edit(s) refused: %s", _shown(record.get("id")), len(refused),
                  "; ".join(refused))
    return valid, refused


def edit_listing(record: dict[str, Any]) -> list[str]:
    """One line per remembered edit of a record, for listings: what it does, or why not."""
    valid, refused = checked_edits(record)
    return [e.describe() for e in valid] + refused


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


def _extracted(diff: str) -> list[dict[str, Any]]:
    edits: list[dict[str, Any]] = []
    for fd in parse_unified_diff(diff):
        name = PurePosixPath(fd.path).name
        if is_requirements_file(fd.path) or name == "pyproject.toml":
            for verb, pkg, req in dependency_changes(fd):
                if verb == "added":
                    edits.append({"kind": "add-dependency", "file": fd.path, "package": pkg, "requirement": req})
            continue
        if not fd.path.endswith(".py"):
            continue
        for hunk in fd.hunks:
            removed = [p for p in (_import_parts(t) for t in hunk.removed()) if p]
            added = [p for p in (_import_parts(t) for t in hunk.added()) if p]
            for old_mod, old_shape, _ in removed:
                for new_mod, new_shape, _ in added:
                    if old_shape == new_shape and old_mod != new_mod:
                        edits.append({"kind": "rename-import", "file": fd.path, "old": old_mod, "new": new_mod})
    return edits


def remembered_edits(diff: str) -> list[dict[str, Any]]:
    """Re-applicable edits described by a fix diff (dependency lines, import renames);
    only valid ones (see :func:`validate_edit`), each once."""
    out: list[dict[str, Any]] = []
    for raw in _extracted(diff):
        try:
            edit = validate_edit(raw).to_json()
        except InvalidEdit as exc:
            log.info("fix diff edit not remembered: %s", exc)
            continue
        if edit not in out:
            out.append(edit)
    return out


# -- text edits for the workspace as it is now ---------------------------------------------

@dataclass(frozen=True)
class PlannedEdit:
    """A validated remembered edit and the text edits applying it to ``target`` now."""

    edit: RememberedEdit
    target: str
    changes: list[dict[str, Any]] = field(default_factory=list)
    """``{"range": {"start": pos, "end": pos}, "new_text": str}``, positions as documented above."""

    @property
    def title(self) -> str:
        return self.edit.describe(self.target)


def _pos(line: int, character: int) -> dict[str, int]:
    return {"line": line, "character": character}


def _change(line: int, start: int, end: int, new_text: str) -> dict[str, Any]:
    return {"range": {"start": _pos(line, start), "end": _pos(line, end)}, "new_text": new_text}


def _end_of_text(text: str) -> dict[str, int]:
    return _pos(text.count("\n"), len(text) - (text.rfind("\n") + 1))


def _applied(text: str, change: dict[str, Any]) -> str:
    """``text`` with one change applied (lines split on ``\\n``)."""
    lines = text.split("\n")

    def offset(p: dict[str, int]) -> int:
        return sum(len(x) + 1 for x in lines[: p["line"]]) + p["character"]

    rng = change["range"]
    new_text: str = change["new_text"]
    return text[: offset(rng["start"])] + new_text + text[offset(rng["end"]):]


def _through_symlink(workspace: Workspace, rel: str) -> bool:
    """Whether an existing component of ``rel`` is a symbolic link."""
    path = workspace.root
    for part in PurePosixPath(rel).parts:
        path = path / part
        if path.is_symlink():
            return True
        if not path.exists():
            return False
    return False


def _read(workspace: Workspace, rel: str) -> str | None:
    """A regular file of the workspace reached without symbolic links, else None."""
    try:
        full = workspace.resolve(rel)
    except UnsafePathError:
        return None
    if full != workspace.root / rel:
        return None  # a symlink on the way: the edit would land elsewhere
    try:
        if not full.is_file() or full.stat().st_size > MAX_FILE_CHARS:
            return None
        return full.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def _requirements_change(text: str, edit: AddDependency) -> dict[str, Any] | None:
    wanted = normalize_package(edit.package)
    for line in text.splitlines():
        name = requirement_name(line)
        if name and normalize_package(name) == wanted:
            return None  # already there
    prefix = "\n" if text and not text.endswith("\n") else ""
    end = _end_of_text(text)
    change = {"range": {"start": end, "end": end}, "new_text": f"{prefix}{edit.requirement}\n"}
    if _applied(text, change).splitlines() != [*text.splitlines(), edit.requirement]:
        return None  # not exactly one added line (a stray carriage return, say)
    return change


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


def _dependencies(text: str) -> tuple[dict[str, Any], list[Any]] | None:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return None
    project = data.get("project")
    deps = project.get("dependencies") if isinstance(project, dict) else None
    return (data, deps) if isinstance(deps, list) else None


def _pyproject_insertion(text: str, quoted: str) -> dict[str, Any] | None:
    """Where ``quoted`` goes in the ``[project] dependencies`` array."""
    lines = text.split("\n")
    section = None
    for i, line in enumerate(lines):
        stripped = line.strip()
        if stripped.startswith("["):
            section = stripped
            continue
        if section != "[project]" or not re.match(r"dependencies\s*=\s*\[", stripped):
            continue
        close = _closing_bracket(line, line.index("["))
        if close >= 0:  # one-line array
            inner = line[line.index("[") + 1: close].strip()
            new_text = f", {quoted}" if inner and not inner.endswith(",") else (f" {quoted}" if inner else quoted)
            return _change(i, close, close, new_text)
        for j in range(i + 1, len(lines)):
            if lines[j].strip().startswith("]"):
                indent = "    "
                for k in range(j - 1, i, -1):
                    if quoted_requirement(lines[k]):
                        indent = lines[k][: len(lines[k]) - len(lines[k].lstrip())]
                        if not lines[k].rstrip().endswith(","):
                            end = len(lines[k].rstrip())
                            return _change(k, end, end, f",\n{indent}{quoted},")
                        break
                return _change(j, 0, 0, f"{indent}{quoted},\n")
        return None
    return None


def _pyproject_change(text: str, edit: AddDependency) -> dict[str, Any] | None:
    before = _dependencies(text)
    if before is None:
        return None
    data, deps = before
    wanted = normalize_package(edit.package)
    if any(isinstance(d, str) and normalize_package(requirement_name(d) or "") == wanted for d in deps):
        return None
    quote = "'" if '"' in edit.requirement else '"'  # validation refuses requirements holding both
    change = _pyproject_insertion(text, f"{quote}{edit.requirement}{quote}")
    if change is None:
        return None
    new_text = _applied(text, change)
    after = _dependencies(new_text)
    # exactly one dependency added, nothing else in the file changed meaning, at most one new line
    if after is None or after[1] != [*deps, edit.requirement] or new_text.count("\n") > text.count("\n") + 1:
        return None
    after[0]["project"]["dependencies"] = deps
    return change if after[0] == data else None


def _rename_changes(text: str, edit: RenameImport) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for i, line in enumerate(text.split("\n")):
        parts = _import_parts(line)
        if not parts or parts[0] != edit.old:
            continue
        start = parts[2]
        renamed = line[:start] + edit.new + line[start + len(edit.old):]
        after = _import_parts(renamed)
        if after is None or after[0] != edit.new or after[1] != parts[1]:
            continue  # the result must be the same import line with only the module replaced
        out.append(_change(i, start, start + len(edit.old), edit.new))
        if len(out) >= MAX_RENAMED_LINES:
            break
    return out


def plan_edit(edit: RememberedEdit, workspace: Workspace, only: str | None = None) -> PlannedEdit | None:
    """The text edits applying a validated ``edit`` to the workspace now (``only``: to this
    workspace-relative file), or None when it does not apply."""
    if isinstance(edit, AddDependency):
        pyproject = PurePosixPath(edit.file).name == "pyproject.toml"
        default = "pyproject.toml" if pyproject else "requirements.txt"
        for target in dict.fromkeys([edit.file, default]):
            if only is not None and target != only:
                continue
            if _through_symlink(workspace, target):
                return None  # the recorded file is elsewhere: no edit, and no fallback either
            text = _read(workspace, target)
            if text is None:
                continue
            change = (_pyproject_change if pyproject else _requirements_change)(text, edit)
            return PlannedEdit(edit, target, [change]) if change else None
        return None
    target = only or edit.file
    if not target.endswith(".py"):
        return None
    text = _read(workspace, target)
    changes = _rename_changes(text, edit) if text is not None else []
    return PlannedEdit(edit, target, changes) if changes else None


def plan_edits(record: dict[str, Any], workspace: Workspace,
               path: str | None = None) -> tuple[list[PlannedEdit], list[str]]:
    """The record's remembered edits that apply now, and why any stored edit was refused.

    ``path``: only edits of this file (workspace-relative or absolute); None: every
    applicable edit (a dependency fix lives in requirements.txt even when the error is
    shown in a .py file).
    """
    valid, refused = checked_edits(record)
    only: str | None = None
    if path is not None:
        try:
            only = _check_file(workspace.relative(path) if Path(path).is_absolute() else path)
        except (InvalidEdit, UnsafePathError):
            return [], refused
    planned = [p for p in (plan_edit(e, workspace, only) for e in valid) if p is not None]
    return planned, refused


def applicable_edits(record: dict[str, Any], workspace: Workspace, path: str | None = None) -> list[dict[str, Any]]:
    """Text edits re-applying ``record``'s valid remembered edits, flattened:
    ``{"path", "range", "new_text", "title", "edit"}``; ``[]`` when nothing applies."""
    planned, _ = plan_edits(record, workspace, path)
    return [{"path": p.target, **change, "title": p.title, "edit": p.edit.to_json()}
            for p in planned for change in p.changes]
