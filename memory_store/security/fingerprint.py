"""Finding fingerprints that survive line shifts, renames, unrelated edits and reformatting.

A fingerprint is a hash of: tool, rule, path, enclosing scope, the normalized flagged
statement and the occurrence index among identical statements in that scope (plus a hit
index when one statement carries several findings of the same rule). Everything is
computed from the source file at the workspace root:

- Python: the scope is the qualified name of the enclosing classes/functions from
  :mod:`ast`; the statement is the innermost AST statement covering the flagged line,
  normalized with :func:`ast.unparse` (so spacing, line breaks, quotes and comments do not
  matter). For compound statements only the header counts (``if x:``, ``def f(a):``), so
  editing their body does not change them.
- Other languages (and Python that does not parse): the scope is the chain of enclosing
  block headers found by indentation, the statement is the flagged line with whitespace
  normalized.
"""

from __future__ import annotations

import ast
import copy
import hashlib
import os
import re
import subprocess
import threading
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from memory_store.security.findings import Finding
from memory_store.security.safegit import blob_id
from memory_store.workspace import UnsafePathError, Workspace

MODULE_SCOPE = "<module>"
MAX_SOURCE_BYTES = 8 * 1024 * 1024


def statement_hash(normalized: str) -> str:
    return hashlib.sha256(normalized.encode("utf-8")).hexdigest()[:16]


def compute_fingerprint(tool: str, rule: str, path: str, scope: str, stmt_hash: str,
                        occurrence: int, hit: int = 0) -> str:
    payload = "\x1f".join((tool.lower(), rule, path, scope, stmt_hash, str(occurrence), str(hit)))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:24]


@dataclass(frozen=True)
class Located:
    scope: str
    statement: str
    occurrence: int


# --- Python --------------------------------------------------------------------------

_BODY_FIELDS = ("body", "orelse", "finalbody", "handlers", "cases")
_SCOPE_NODES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def _header(node: ast.AST) -> str:
    """Normalized text of a statement; compound statements keep only their header."""
    if not any(getattr(node, f, None) for f in _BODY_FIELDS):
        return ast.unparse(node)
    head = copy.copy(node)
    for name in _BODY_FIELDS:
        if hasattr(head, name):
            setattr(head, name, [])
    if hasattr(head, "decorator_list"):
        head.decorator_list = []
    head.body = [ast.Pass()]  # type: ignore[attr-defined]  # only compound statements get here
    text = ast.unparse(head)
    return text.split("\n", 1)[0]


@dataclass
class _Entry:
    start: int
    end: int
    depth: int
    scope: str
    node: ast.AST
    norm: str | None = None
    occurrence: int = 0


class PythonIndex:
    """Statement spans of one parsed Python file, with scopes and occurrence indexes.

    Normalized texts (``ast.unparse``, the costly part) are computed per scope on first
    use: findings usually sit in a few functions of a file.
    """

    def __init__(self, tree: ast.Module):
        self.entries: list[_Entry] = []
        self._walk(tree.body, [], 0)
        self.entries.sort(key=lambda e: (e.start, e.depth))
        self._by_scope: dict[str, list[_Entry]] = defaultdict(list)
        for e in self.entries:
            self._by_scope[e.scope].append(e)
        self._lock = threading.Lock()

    def _walk(self, stmts: Iterable[ast.AST], scope: list[str], depth: int) -> None:
        for node in stmts:
            decorators = getattr(node, "decorator_list", None) or []
            start = min([node.lineno, *(d.lineno for d in decorators)])  # type: ignore[attr-defined]
            end = node.end_lineno or node.lineno  # type: ignore[attr-defined]
            self.entries.append(_Entry(start, end, depth, ".".join(scope) or MODULE_SCOPE, node))
            inner = [*scope, node.name] if isinstance(node, _SCOPE_NODES) else scope
            for name in _BODY_FIELDS:
                children = getattr(node, name, None)
                if not children:
                    continue
                if name == "cases":  # match statement: walk each case body
                    for case in children:
                        self._walk(case.body, inner, depth + 1)
                else:
                    self._walk(children, inner, depth + 1)

    def _normalize_scope(self, scope: str) -> None:
        with self._lock:
            members = self._by_scope[scope]
            if members and members[0].norm is not None:
                return
            counts: dict[str, int] = defaultdict(int)
            for e in members:  # in source order
                norm = _header(e.node)
                e.occurrence = counts[norm]
                counts[norm] += 1
                e.norm = norm

    def hashes_in(self, scope: str) -> set[str]:
        """Statement hashes of the statements (and decorators) directly in ``scope``."""
        self._normalize_scope(scope)
        out = set()
        for e in self._by_scope.get(scope, ()):
            out.add(statement_hash(e.norm or ""))
            for dec in getattr(e.node, "decorator_list", None) or []:
                out.add(statement_hash("@" + ast.unparse(dec)))
        return out

    def locate(self, line: int) -> Located | None:
        found = self.span(line)
        return found[0] if found is not None else None

    def text_at(self, line: int) -> tuple[str, int, int, str] | None:
        """``(normalized statement, first line, last line, scope)`` at ``line``, without the
        occurrence index (so without normalizing the whole scope)."""
        best: _Entry | None = None
        for e in self.entries:
            if e.start > line:
                break
            if line <= e.end and (best is None or e.depth > best.depth):
                best = e
        if best is None:
            return None
        for dec in getattr(best.node, "decorator_list", None) or []:
            dec_end = dec.end_lineno or dec.lineno
            if dec.lineno <= line <= dec_end:
                return "@" + ast.unparse(dec), dec.lineno, dec_end, best.scope
        first = getattr(best.node, "lineno", best.start)
        return (best.norm if best.norm is not None else _header(best.node)), first, best.end, best.scope

    def span(self, line: int) -> tuple[Located, int, int] | None:
        """The statement covering ``line`` (innermost; a decorator on its own) and its
        first and last lines."""
        best: _Entry | None = None
        for e in self.entries:
            if e.start > line:
                break
            if line <= e.end and (best is None or e.depth > best.depth):
                best = e
        if best is None:
            return None
        if best.norm is None:
            self._normalize_scope(best.scope)
        for dec in getattr(best.node, "decorator_list", None) or []:
            dec_end = dec.end_lineno or dec.lineno
            if dec.lineno <= line <= dec_end:
                return Located(best.scope, "@" + ast.unparse(dec), best.occurrence), dec.lineno, dec_end
        first = getattr(best.node, "lineno", best.start)
        end = best.end
        body = getattr(best.node, "body", None)
        if isinstance(body, list) and body and hasattr(body[0], "lineno"):  # a compound statement's header
            end = max(first, body[0].lineno - 1)
        return Located(best.scope, best.norm or "", best.occurrence), first, end


# --- other languages -------------------------------------------------------------------

_WS = re.compile(r"\s+")
_AROUND_PUNCT = re.compile(r"\s*([^\w\s])\s*")
_COMMENT_ONLY = re.compile(r"^\s*(#|//|/\*|\*|--|<!--)")


def normalize_line(text: str) -> str:
    """Whitespace-insensitive form of one source line."""
    return _AROUND_PUNCT.sub(r"\1", _WS.sub(" ", text.strip()))


class TextIndex:
    """Scopes by indentation (nearest enclosing block headers) for any language."""

    def __init__(self, text: str):
        self.lines = text.splitlines()
        self.scopes: list[str] = [""] * len(self.lines)
        self.norms: list[str] = [""] * len(self.lines)
        self.occ: list[int] = [0] * len(self.lines)
        stack: list[tuple[int, str]] = []
        counts: dict[tuple[str, str], int] = defaultdict(int)
        for i, raw in enumerate(self.lines):
            if not raw.strip() or _COMMENT_ONLY.match(raw):
                self.scopes[i] = " > ".join(h for _, h in stack) or MODULE_SCOPE
                self.norms[i] = normalize_line(raw)
                continue
            indent = len(raw) - len(raw.lstrip())
            while stack and stack[-1][0] >= indent:
                stack.pop()
            scope = " > ".join(h for _, h in stack) or MODULE_SCOPE
            norm = normalize_line(raw)
            self.scopes[i], self.norms[i] = scope, norm
            self.occ[i] = counts[(scope, norm)]
            counts[(scope, norm)] += 1
            stack.append((indent, norm[:200]))

    def locate(self, line: int) -> Located | None:
        if not 1 <= line <= len(self.lines):
            return None
        i = line - 1
        return Located(self.scopes[i], self.norms[i], self.occ[i])

    def hashes_in(self, scope: str) -> set[str]:
        return {statement_hash(n) for sc, n in zip(self.scopes, self.norms, strict=True) if sc == scope}

    def span(self, line: int) -> tuple[Located, int, int] | None:
        found = self.locate(line)
        return (found, line, line) if found is not None else None

    def text_at(self, line: int) -> tuple[str, int, int, str] | None:
        found = self.locate(line)
        return (found.statement, line, line, found.scope) if found is not None else None


# --- applying it to findings -----------------------------------------------------------

def _is_python(path: str) -> bool:
    return path.endswith((".py", ".pyi"))


def build_index(path: str, text: str) -> PythonIndex | TextIndex:
    if _is_python(path):
        try:
            return PythonIndex(ast.parse(text))
        except (SyntaxError, ValueError, RecursionError):
            pass
    return TextIndex(text)


Index = PythonIndex | TextIndex


def _text_key(path: str, text: str) -> tuple[bool, str]:
    return _is_python(path), hashlib.sha1(text.encode("utf-8", "surrogatepass"), usedforsecurity=False).hexdigest()


class IndexCache:
    """Parsed sources keyed by (kind, sha1 of the text), least recently used dropped first.

    The one place indexes are built: the file on disk and an editor's unsaved text of the
    same content share an entry, and fingerprinting many findings of one text parses it
    once. An index depends only on the text and on whether it is Python, so the path is
    not part of the key. Bounded by entries and by the total size of the texts (an index
    takes about 30 times its text; the newest entry is always kept). Files on disk are
    remembered by (path, mtime, size) -> key, so an unchanged file is not read again.
    """

    def __init__(self, max_entries: int = 64, max_bytes: int = 4 * 1024 * 1024):
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        self._entries: OrderedDict[tuple[bool, str], tuple[Index, list[str], int]] = OrderedDict()
        self._bytes = 0
        self._files: OrderedDict[tuple[str, int, int], tuple[bool, str]] = OrderedDict()

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._files.clear()
            self._bytes = 0

    def for_text(self, path: str, text: str) -> tuple[Index, list[str]]:
        """The index and lines of ``text`` as the content of ``path``."""
        return self._get(_text_key(path, text), path, text)

    def for_file(self, path: str, full: Path) -> tuple[Index, list[str]] | None:
        """The index and lines of a file on disk; None when it is unreadable or too large."""
        st = full.stat()
        if st.st_size > MAX_SOURCE_BYTES:
            return None
        stat_key = (str(full), st.st_mtime_ns, st.st_size)
        with self._lock:
            key = self._files.get(stat_key)
            hit = self._entries.get(key) if key is not None else None
            if hit is not None:
                self._entries.move_to_end(key)  # type: ignore[arg-type]
                return hit[0], hit[1]
        text = full.read_text(encoding="utf-8", errors="replace")
        key = _text_key(path, text)
        index, lines = self._get(key, path, text)
        with self._lock:
            self._files[stat_key] = key
            while len(self._files) > 4 * self.max_entries:
                self._files.popitem(last=False)
        return index, lines

    def _get(self, key: tuple[bool, str], path: str, text: str) -> tuple[Index, list[str]]:
        with self._lock:
            hit = self._entries.get(key)
            if hit is not None:
                self._entries.move_to_end(key)
                return hit[0], hit[1]
        index, lines = build_index(path, text), text.splitlines()  # outside the lock: the costly part
        size = len(text)
        with self._lock:
            if key not in self._entries:
                self._entries[key] = (index, lines, size)
                self._bytes += size
            while len(self._entries) > 1 and (len(self._entries) > self.max_entries or self._bytes > self.max_bytes):
                _, (_, _, dropped) = self._entries.popitem(last=False)
                self._bytes -= dropped
            entry = self._entries.get(key)
        return (entry[0], entry[1]) if entry is not None else (index, lines)


INDEX_CACHE = IndexCache()
"""Shared by every :class:`Fingerprinter`: an editor asks about one file many times."""


def clear_index_cache() -> None:
    INDEX_CACHE.clear()


class Fingerprinter:
    """Fills in the fingerprint fields of findings from the files at the workspace root
    (or from unsaved texts given for some paths)."""

    def __init__(self, workspace: Workspace, cache: IndexCache | None = None):
        self.workspace = workspace
        self.cache = cache or INDEX_CACHE
        self._indexes: dict[str, Index | None] = {}
        self._lines: dict[str, list[str]] = {}
        self._texts: dict[str, tuple[str, Index]] = {}

    def line_text(self, path: str, line: int) -> str | None:
        """The raw text of one line of a workspace file (None when unavailable)."""
        lines = self._lines.get(path)
        if lines is None:
            self.index_for(path)
            lines = self._lines.get(path, [])
        return lines[line - 1] if 1 <= line <= len(lines) else None

    def index_for(self, path: str, source_text: str | None = None) -> Index | None:
        """The index of ``path`` from ``source_text`` when given, else from the file on disk."""
        if source_text is not None:
            if len(source_text) > MAX_SOURCE_BYTES:  # as for a file that large on disk
                return None
            seen = self._texts.get(path)
            if seen is not None and (seen[0] is source_text or seen[0] == source_text):
                return seen[1]  # the same text again: not even hashed
            index, lines = self.cache.for_text(path, source_text)
            self._texts[path] = (source_text, index)
            self._lines[path] = lines
            return index
        if path not in self._indexes:
            self._indexes[path] = self._load(path)
        return self._indexes[path]

    def _load(self, path: str) -> Index | None:
        try:
            loaded = self.cache.for_file(path, self.workspace.resolve(path))
        except (OSError, UnsafePathError):
            return None
        if loaded is None:
            return None
        self._lines[path] = loaded[1]
        return loaded[0]

    def locate(self, finding: Finding, source_text: str | None = None) -> None:
        index = self.index_for(finding.path, source_text)
        found = index.locate(finding.line) if index is not None else None
        if found is None:  # file missing or line out of range: fall back to the line number
            found = Located("", f"<line {finding.line}>", 0)
            finding.extra["located"] = False
        if source_text is not None:  # lines of an unsaved text: a decision records which text
            finding.extra["text_blob"] = blob_id(source_text.encode("utf-8", "surrogateescape"))
        finding.scope, finding.statement, finding.occurrence = found.scope, found.statement, found.occurrence
        finding.statement_hash = statement_hash(found.statement)

    def apply(self, findings: list[Finding], sources: dict[str, str] | None = None,
              progress: Callable[[list[Finding]], Iterable[Finding]] | None = None) -> list[Finding]:
        """Locate every finding and set ``hit`` and ``fingerprint``; returns the same list.

        ``progress`` wraps the iteration (e.g. a progress bar for a large report)."""
        sources = sources or {}
        for f in (progress(findings) if progress else findings):
            self.locate(f, sources.get(f.path))
        assign_fingerprints(findings)
        return findings


def assign_fingerprints(findings: list[Finding]) -> None:
    """Number findings of one rule on one statement (``hit``) and hash everything."""
    groups: dict[tuple[str, ...], list[Finding]] = defaultdict(list)
    for f in findings:
        groups[(f.tool, f.rule, f.path, f.scope, f.statement_hash, str(f.occurrence))].append(f)
    for group in groups.values():
        group.sort(key=lambda f: (f.line, f.column or 0, f.message))
        for hit, f in enumerate(group):
            f.hit = hit
            f.fingerprint = compute_fingerprint(f.tool, f.rule, f.path, f.scope,
                                                f.statement_hash, f.occurrence, hit)


def dedupe(findings: list[Finding]) -> list[Finding]:
    """Drop the same finding reported twice (e.g. two overlapping reports of one tool)."""
    seen: set[tuple[object, ...]] = set()
    out = []
    for f in findings:
        key = (f.tool, f.rule, f.path, f.line, f.column, f.message)
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out


# --- git renames -----------------------------------------------------------------------

def _git(root: Path, *args: str) -> str | None:
    env = {k: v for k, v in os.environ.items() if k not in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE")}
    try:
        out = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, timeout=30,
                             check=False, env=env, stdin=subprocess.DEVNULL, errors="replace")
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout if out.returncode == 0 else None


def _parse_renames(output: str, into: dict[str, str]) -> None:
    parts = output.split("\0")
    i = 0
    while i < len(parts):
        status = parts[i].strip()
        if status.startswith(("R", "C")) and i + 2 < len(parts):
            old, new = parts[i + 1], parts[i + 2]
            if status.startswith("R"):
                into.setdefault(old, new)
            i += 3
        elif status:
            i += 2
        else:
            i += 1


def follow_renames(workspace: Workspace, missing: Iterable[str]) -> dict[str, str]:
    """Where files that no longer exist went, by git's rename detection.

    Looks at uncommitted renames (``git diff -M HEAD``, covers ``git mv``) and at renames
    in history (``git log -M --diff-filter=R``), following chains. Paths git knows
    nothing about are left out.
    """
    wanted = set(missing)
    if not wanted:
        return {}
    renames: dict[str, str] = {}
    diff = _git(workspace.root, "diff", "-M", "--name-status", "-z", "HEAD")
    if diff is None:
        diff = _git(workspace.root, "diff", "-M", "--cached", "--name-status", "-z")
    if diff:
        _parse_renames(diff, renames)
    log = _git(workspace.root, "log", "-M", "--diff-filter=R", "--name-status", "-z", "--format=", "HEAD")
    if log:
        _parse_renames(log.replace("\n", ""), renames)
    result: dict[str, str] = {}
    for path in wanted:
        current, steps = path, 0
        while current in renames and steps < 50:
            current = renames[current]
            steps += 1
            if (workspace.root / current).exists():
                result[path] = current
                break
    return result
