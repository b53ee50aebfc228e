"""Where each decided statement is today: followed through git history, then by content identity.

A decision records the commit (HEAD) and the blob of the file it was made against. Mapping
walks it forward in steps, each a diff between two states of the workspace:

1. the decision's blob -> that commit's version of the file (when the file had uncommitted
   edits then and git still has the blob),
2. that commit -> HEAD: ``git diff -U0 -M`` (rename detection, line-level hunks),
3. HEAD -> the working tree: hashed and diffed here (git would run clean filters).

A decided line outside every hunk moves by the hunks before it. A line inside a hunk was
removed; the statement is then looked for (a) inside the same hunk's replacement (same
normalized statement, as many before as after: a reformatting or an edit around it), then
(b) by content identity across every file of the step: a statement whose normalized text is
removed exactly once and added exactly once (or, among several, equally often within
functions of one name, paired in order) moved there. Without usable history (no git, a
shallow clone or rewritten history that lacks the commit, no recorded commit) nothing is
mapped here and triage falls back to fingerprints and content identity over the findings.

Content identity is tried first on whitespace-normalized lines (cheap: the diff holds them),
then on AST-normalized statements of the files whose changed lines hold the statement's
identifiers (reformatted code, ambiguous lines paired by function name).

The result is a :class:`Place` per decision: the flagged line in the working tree and how
it was followed, or the replacement lines of an edited statement (``stale``), or ``gone``.
Triage then checks identity against the findings: only a finding of the decided rule at
that line whose AST-normalized statement is the decided one is suppressed (``carried`` in
the same scope of the same file, ``moved`` into another scope or a renamed file,
``relocated`` by content identity); another statement there makes the decision ``stale``.
A decision never moves onto another statement.
"""

from __future__ import annotations

import difflib
import os
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from memory_store.security.fingerprint import MAX_SOURCE_BYTES, Index, build_index, statement_hash
from memory_store.security.safegit import SafeGit, blob_id

Hunk = tuple[int, int, int, int]
"""``(old_start, old_count, new_start, new_count)`` as in a ``-U0`` hunk header."""

CARRIED, MOVED, RELOCATED, STALE, GONE = "carried", "moved", "relocated", "stale", "gone"
SAME_PLACE, LINE_MAP, RENAME, CONTENT = "same place", "git line map", "git rename", "content identity"
MAX_PARSED_FILES = 80
"""Files parsed for content identity of statements per step, at most (each costs a parse;
a statement whose identifiers are in more changed files than that is left to line identity)."""


@dataclass(frozen=True, slots=True)
class Place:
    """Where a decision's statement is in the working tree, and how it was followed."""

    status: str
    via: str
    path: str
    line: int
    end_line: int
    scope: str = ""
    statement_hash: str = ""
    occurrence: int = 0

    def to_plain(self) -> list[Any]:
        return [self.status, self.via, self.path, self.line, self.end_line, self.scope,
                self.statement_hash, self.occurrence]

    @classmethod
    def from_plain(cls, row: Any) -> Place | None:
        if not isinstance(row, list) or len(row) != 8:
            return None
        status, via, path, line, end, scope, shash, occ = row
        if not (status in (CARRIED, MOVED, RELOCATED, STALE, GONE) and isinstance(via, str)
                and isinstance(path, str) and isinstance(scope, str) and isinstance(shash, str)
                and all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in (line, end, occ))):
            return None
        return cls(status, via, path, line, end, scope, shash, occ)


# --- one step -----------------------------------------------------------------------------

@dataclass(slots=True)
class Removed:
    """A line inside a hunk: gone from its place; ``new_start..new_start+new_count-1`` replaced it."""

    old_start: int
    old_count: int
    new_start: int
    new_count: int


_DEF = re.compile(r"(?:async\s+)?(?:def|class)\s+(\w+)")


def squash(text: str) -> str:
    """A line with its whitespace runs made one space (moved code keeps its text, not its indent)."""
    return " ".join(text.split())


def map_line(hunks: list[Hunk], line: int) -> int | Removed:
    offset = 0
    for s, c, t, n in hunks:
        if c == 0:
            if line <= s:
                return line + offset
        else:
            if line < s:
                return line + offset
            if line < s + c:
                return Removed(s, c, t, n)
        offset += n - c
    return line + offset


def text_hunks(old: list[str], new: list[str]) -> list[Hunk]:
    """Line hunks between two texts, numbered as git's ``-U0`` headers are."""
    out: list[Hunk] = []
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        c, n = i2 - i1, j2 - j1
        out.append((i1 + 1 if c else i1, c, j1 + 1 if n else j1, n))
    return out


@dataclass
class Change:
    old_path: str | None
    new_path: str | None
    hunks: list[Hunk] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)  # raw removed lines (for the token filter)
    added: list[str] = field(default_factory=list)
    old_blob: str | None = None
    new_blob: str | None = None


class Step:
    """A diff between two states; texts are fetched on demand."""

    def __init__(self, changes: list[Change], old_text: Callable[[Change], str | None],
                 new_text: Callable[[Change], str | None], renamed_via: str = RENAME):
        self.changes = changes
        self.by_old = {c.old_path: c for c in changes if c.old_path is not None}
        self._old_text = old_text
        self._new_text = new_text
        self.renamed_via = renamed_via
        self._indexes: dict[tuple[str, str], Index | None] = {}
        self._raw: dict[tuple[int, str], dict[int, str]] = {}
        self._moved: tuple[dict[str, list[tuple[Change, int]]], dict[str, list[tuple[Change, int]]]] | None = None
        self._lines: dict[tuple[int, str], list[str]] = {}

    def follow(self, path: str, line: int) -> tuple[str, int | Removed, bool]:
        """``(new path, new line or Removed, renamed)``; a deleted file's lines are Removed."""
        change = self.by_old.get(path)
        if change is None:
            return path, line, False
        if change.new_path is None:
            return path, Removed(1, 1 << 30, 0, 0), False
        return change.new_path, map_line(change.hunks, line), change.new_path != path

    def raw_line(self, change: Change, side: str, line: int) -> str | None:
        """The text of a removed (``old``) or added (``new``) line, from the diff itself."""
        key = (id(change), side)
        table = self._raw.get(key)
        if table is None:
            texts = change.removed if side == "old" else change.added
            table = self._raw[key] = dict(zip(_lines_in(change.hunks, side), texts, strict=False))
        return table.get(line)

    def moved_lines(self) -> tuple[dict[str, list[tuple[Change, int]]], dict[str, list[tuple[Change, int]]]]:
        """Removed and added lines by their whitespace-normalized text, over every file."""
        if self._moved is None:
            gone: dict[str, list[tuple[Change, int]]] = defaultdict(list)
            came: dict[str, list[tuple[Change, int]]] = defaultdict(list)
            for c in self.changes:
                if c.old_path is not None:
                    for line, text in zip(_lines_in(c.hunks, "old"), c.removed, strict=False):
                        gone[squash(text)].append((c, line))
                if c.new_path is not None:
                    for line, text in zip(_lines_in(c.hunks, "new"), c.added, strict=False):
                        came[squash(text)].append((c, line))
            self._moved = (gone, came)
        return self._moved

    def lines(self, change: Change, side: str) -> list[str]:
        key = (id(change), side)
        if key not in self._lines:
            text = self._old_text(change) if side == "old" else self._new_text(change)
            self._lines[key] = text.splitlines() if text is not None else []
        return self._lines[key]

    def enclosing(self, change: Change, side: str, line: int) -> str:
        """The name of the function or class around a line (by indentation; no parse)."""
        lines = self.lines(change, side)
        if not 1 <= line <= len(lines):
            return ""
        indent = len(lines[line - 1]) - len(lines[line - 1].lstrip())
        for text in reversed(lines[:line - 1]):
            stripped = text.lstrip()
            if stripped and len(text) - len(stripped) < indent:
                m = _DEF.match(stripped)
                if m:
                    return m.group(1)
                indent = len(text) - len(stripped)
        return ""

    def index(self, change: Change, side: str) -> Index | None:
        path = change.old_path if side == "old" else change.new_path
        if path is None:
            return None
        key = (side, path)
        if key not in self._indexes:
            text = self._old_text(change) if side == "old" else self._new_text(change)
            self._indexes[key] = build_index(path, text) if text is not None and len(text) <= MAX_SOURCE_BYTES else None
        return self._indexes[key]


def _lines_in(hunks: list[Hunk], side: str) -> Iterable[int]:
    for s, c, t, n in hunks:
        start, count = (s, c) if side == "old" else (t, n)
        yield from range(start, start + count)


def parse_patch(data: bytes, git: SafeGit) -> list[Change]:
    """Changes of a ``git diff -U0 --full-index`` patch (paths made workspace-relative)."""
    changes: list[Change] = []
    lines = data.decode("utf-8", "surrogateescape").split("\n")
    i, n = 0, len(lines)
    header = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")
    cur: Change | None = None
    while i < n:
        line = lines[i]
        i += 1
        if line.startswith("diff --git "):
            cur = Change(None, None)
            changes.append(cur)
            continue
        if cur is None:
            continue
        if line.startswith("rename from "):
            cur.old_path = git.workspace_path(_unquote(line[12:]))
        elif line.startswith("rename to "):
            cur.new_path = git.workspace_path(_unquote(line[10:]))
        elif line.startswith("index "):
            ids = line[6:].split()[0].split("..")
            if len(ids) == 2:
                cur.old_blob, cur.new_blob = (None if set(x) == {"0"} else x for x in ids)
        elif line.startswith("--- "):
            name = _unquote(line[4:].rstrip("\t"))
            cur.old_path = None if name == "/dev/null" else git.workspace_path(name[2:])
        elif line.startswith("+++ "):
            name = _unquote(line[4:].rstrip("\t"))
            cur.new_path = None if name == "/dev/null" else git.workspace_path(name[2:])
        elif (m := header.match(line)) is not None:
            s, c, t, k = (int(m.group(1)), int(m.group(2) or 1) if m.group(2) is not None else 1,
                          int(m.group(3)), int(m.group(4)) if m.group(4) is not None else 1)
            cur.hunks.append((s, c, t, k))
            for _ in range(c):
                if i < n:
                    cur.removed.append(lines[i][1:])
                    i += 1
            for _ in range(k):
                if i < n:
                    cur.added.append(lines[i][1:])
                    i += 1
            while i < n and lines[i].startswith("\\"):
                i += 1
    return [c for c in changes if c.old_path is not None or c.new_path is not None]


_ESCAPES = {"n": "\n", "t": "\t", '"': '"', "\\": "\\", "a": "\a", "b": "\b", "f": "\f", "r": "\r", "v": "\v"}


def _unquote(name: str) -> str:
    """A path as git prints it (C-quoted when it holds special characters)."""
    if not (len(name) >= 2 and name[0] == '"' and name[-1] == '"'):
        return name
    out = bytearray()
    body, j = name[1:-1], 0
    while j < len(body):
        ch = body[j]
        if ch == "\\" and j + 1 < len(body):
            nxt = body[j + 1]
            if nxt in "01234567" and j + 3 < len(body) + 1:
                out.append(int(body[j + 1:j + 4], 8) & 0xFF)
                j += 4
                continue
            out += _ESCAPES.get(nxt, nxt).encode()
            j += 2
            continue
        out += ch.encode("utf-8", "surrogateescape")
        j += 1
    return out.decode("utf-8", "surrogateescape")


# --- the working tree ------------------------------------------------------------------------

def _read_file(root: Path, rel: str) -> bytes | None:
    full = root / rel
    try:
        if full.is_symlink() or not full.is_file() or full.stat().st_size > MAX_SOURCE_BYTES:
            return None
        return full.read_bytes()
    except OSError:
        return None


def _decode(data: bytes | None) -> str | None:
    return data.decode("utf-8", "replace") if data is not None else None


def worktree_state(git: SafeGit, head: str, suffixes: set[str]) -> tuple[dict[str, str], list[str], str]:
    """HEAD's blobs, the untracked/added files, and a digest of (path, size, mtime) of every
    file of these kinds in the working tree (what the mapping cache is keyed on)."""
    import hashlib

    blobs = {p: b for p, b in git.tree_blobs(head).items() if _suffix(p) in suffixes}
    extra = sorted(p for p in set(git.untracked()) | _indexed_new(git, blobs) if _suffix(p) in suffixes)
    digest = hashlib.sha256()
    for rel in sorted(set(blobs) | set(extra)):
        try:
            st = os.lstat(git.root / rel)
            digest.update(f"{rel}\0{st.st_size}\0{st.st_mtime_ns}\0{st.st_mode}\n".encode("utf-8", "surrogateescape"))
        except OSError:
            digest.update(f"{rel}\0-\n".encode("utf-8", "surrogateescape"))
    return blobs, extra, digest.hexdigest()


def _indexed_new(git: SafeGit, head_blobs: dict[str, str]) -> set[str]:
    """Files in the index but not in HEAD (``git add``, ``git mv``)."""
    out = git.run(["ls-files", "-z", "--cached", "--full-name", "--", "."])
    found = set()
    for item in (out or b"").split(b"\0"):
        rel = git.workspace_path(item.decode("utf-8", "surrogateescape")) if item else None
        if rel and rel not in head_blobs:
            found.add(rel)
    return found


def worktree_step(git: SafeGit, blobs: dict[str, str], extra: list[str]) -> Step:
    """HEAD -> working tree for the files of ``blobs`` (HEAD) and ``extra`` (new files)."""
    changes: list[Change] = []
    current: dict[str, bytes] = {}
    deleted: list[Change] = []
    for rel, blob in blobs.items():
        data = _read_file(git.root, rel)
        if data is None:
            if not (git.root / rel).exists():
                deleted.append(Change(rel, None, old_blob=blob))
            continue
        if blob_id(data, git.object_format) != blob:
            current[rel] = data
            changes.append(Change(rel, rel, old_blob=blob))
    added: list[Change] = []
    for rel in extra:
        data = _read_file(git.root, rel)
        if data is not None:
            current[rel] = data
            added.append(Change(None, rel))
    old_texts = {k: _decode(v) for k, v in git.blobs(c.old_blob for c in changes + deleted if c.old_blob).items()}
    # Renames in the working tree (``git mv`` or a plain move): a deleted file and the new
    # file most like it, when they share at least half of their lines.
    for gone in deleted:
        old = (old_texts.get(gone.old_blob or "") or "").splitlines()
        best, best_ratio = None, 0.5
        for cand in added:
            if cand.old_path is None and _suffix(cand.new_path or "") == _suffix(gone.old_path or ""):
                ratio = difflib.SequenceMatcher(None, old, (_decode(current[cand.new_path or ""]) or "").splitlines(),
                                                autojunk=False).quick_ratio()
                if ratio > best_ratio:
                    best, best_ratio = cand, ratio
        if best is not None:
            best.old_path, best.old_blob = gone.old_path, gone.old_blob
        else:
            changes.append(gone)
    changes += added
    for c in changes:
        old = (old_texts.get(c.old_blob or "") or "").splitlines() if c.old_path else []
        new = (_decode(current.get(c.new_path or "")) or "").splitlines() if c.new_path else []
        c.hunks = text_hunks(old, new)
        for s, cnt, t, k in c.hunks:
            c.removed += old[s - 1:s - 1 + cnt] if cnt else []
            c.added += new[t - 1:t - 1 + k] if k else []

    def old_text(c: Change) -> str | None:
        return old_texts.get(c.old_blob or "")

    def new_text(c: Change) -> str | None:
        return _decode(current.get(c.new_path or ""))

    return Step(changes, old_text, new_text, renamed_via=RENAME)


def git_step(git: SafeGit, old: str, new: str, suffixes: set[str]) -> Step | None:
    patch = git.renames_and_patch(old, new, suffixes)
    if patch is None:
        return None
    changes = parse_patch(patch, git)
    cache: dict[str, str | None] = {}

    def text(blob: str | None) -> str | None:
        if blob is None:
            return None
        if blob not in cache:
            cache.update({k: _decode(v) for k, v in git.blobs([blob]).items()})
            cache.setdefault(blob, None)
        return cache[blob]

    def prefetch(blobs: Iterable[str | None]) -> None:
        wanted = [b for b in blobs if b and b not in cache]
        if wanted:
            got = git.blobs(wanted)
            for b in wanted:
                cache[b] = _decode(got.get(b))

    step = Step(changes, lambda c: text(c.old_blob), lambda c: text(c.new_blob))
    step.prefetch = prefetch  # type: ignore[attr-defined]
    return step


# --- content identity ------------------------------------------------------------------------

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]{2,}")
_KEYWORDS = frozenset({"assert", "import", "from", "return", "def", "class", "None", "True", "False", "not",
                       "and", "for", "with", "while", "yield", "lambda", "async", "await", "else", "elif",
                       "try", "except", "finally", "raise", "pass", "global", "nonlocal", "del", "redacted"})


def probe_tokens(statement: str) -> tuple[str, ...]:
    """The first and the longest identifier of a statement: a raw line holding both may
    hold (the start of) the statement."""
    words = [w for w in _IDENT.findall(statement) if w not in _KEYWORDS]
    if not words:
        return ()
    return tuple(sorted({words[0], max(words, key=lambda w: (len(w), w))}))


class _Probes:
    """Which raw lines may hold one of the wanted statements (all of its probe tokens)."""

    def __init__(self, probes: Iterable[tuple[str, ...]]):
        self.by_first: dict[str, list[frozenset[str]]] = defaultdict(list)
        for p in probes:
            if p:
                self.by_first[p[0]].append(frozenset(p))

    def __bool__(self) -> bool:
        return bool(self.by_first)

    def __call__(self, line: str) -> bool:
        words = set(_IDENT.findall(line))
        return any(need <= words for w in words for need in self.by_first.get(w, ()))


@dataclass(slots=True)
class _Stmt:
    path: str
    start: int
    end: int
    scope: str
    shash: str


def _region_statements(step: Step, change: Change, side: str, lines: Iterable[int],
                       wanted: set[str]) -> list[_Stmt]:
    index = step.index(change, side)
    path = change.old_path if side == "old" else change.new_path
    if index is None or path is None:
        return []
    seen: dict[int, _Stmt] = {}
    for line in lines:
        found = index.text_at(line)
        if found is None:
            continue
        text, start, end, scope = found
        if start in seen:
            continue
        shash = statement_hash(text)
        if shash in wanted:
            seen[start] = _Stmt(path, start, end, scope, shash)
    return sorted(seen.values(), key=lambda s: s.start)


def _leaf(scope: str) -> str:
    return scope.rsplit(".", 1)[-1]


CONTEXT_LINES = 3
"""Lines on either side that tell identical lines of one hunk apart."""


def _context(step: Step, change: Change, side: str, line: int, norm: str) -> set[str]:
    text = step.lines(change, side)
    near = (squash(text[n - 1]) for n in range(line - CONTEXT_LINES, line + CONTEXT_LINES + 1)
            if n != line and 0 < n <= len(text))
    return {t for t in near if t and t != norm}


def _pair_by_context(step: Step, change: Change, norm: str, olds: list[int], news: list[int]) -> dict[int, int]:
    """Identical lines of one hunk, as many or not before as after: old line -> the new line
    that shares strictly the most surrounding lines with it, one to one (ties pair nothing)."""
    around = {n: _context(step, change, "new", n, norm) for n in news}
    best: dict[int, tuple[int, int]] = {}  # old -> (new, score)
    for o in olds:
        mine = _context(step, change, "old", o, norm)
        scores = sorted(((len(mine & around[n]), n) for n in news), reverse=True)
        if scores[0][0] > 0 and (len(scores) == 1 or scores[0][0] > scores[1][0]):
            best[o] = (scores[0][1], scores[0][0])
    claimed = Counter(n for n, _ in best.values())
    return {o: n for o, (n, _) in best.items() if claimed[n] == 1}


def pair_in_hunk(step: Step, change: Change, removed: Removed, old_line: int, shash: str) -> int | None:
    """The new flagged line of a statement one hunk removed and re-added unchanged (the same
    line text, else the same normalized statement, as often before as after: paired in order)."""
    if removed.new_count == 0 or change.new_path is None:
        return None
    mine = step.raw_line(change, "old", old_line)
    if mine is not None and mine.strip():
        norm = squash(mine)
        olds = [n for n in range(removed.old_start, removed.old_start + removed.old_count)
                if squash(step.raw_line(change, "old", n) or "") == norm]
        news = [n for n in range(removed.new_start, removed.new_start + removed.new_count)
                if squash(step.raw_line(change, "new", n) or "") == norm]
        if olds and len(olds) == len(news):
            return news[olds.index(old_line)]
        if olds and news:  # copies added or dropped: the one whose surroundings are its own
            paired = _pair_by_context(step, change, norm, olds, news)
            if old_line in paired:
                return paired[old_line]
    probe = _Probes([probe_tokens(mine or "")])
    new_lines = range(removed.new_start, removed.new_start + removed.new_count)
    if not probe or not any(probe(step.raw_line(change, "new", n) or "") for n in new_lines):
        return None  # its identifiers are not in the replacement: the statement cannot be there
    old = _region_statements(step, change, "old", range(removed.old_start, removed.old_start + removed.old_count),
                             {shash})
    new = _region_statements(step, change, "new", range(removed.new_start, removed.new_start + removed.new_count),
                             {shash})
    if not old or len(old) != len(new):
        return None
    for i, s in enumerate(old):
        if s.start <= old_line <= s.end:
            return new[i].start + (old_line - s.start)
    return None


def pair_across(step: Step, wanted: dict[str, tuple[str, ...]], decided: list[tuple[str, str, int]]
                ) -> dict[tuple[str, int], tuple[str, int]]:
    """Content identity within one step: ``(old path, old line)`` of removed decided
    statements -> ``(new path, first line)`` where the identical statement was added.

    ``wanted``: statement hash -> probe tokens; ``decided``: (hash, old path, old line)."""
    probe = _Probes(wanted.values())
    if not probe:
        return {}
    cand_old = [c for c in step.changes if c.old_path is not None and c.removed
                and any(probe(line) for line in c.removed)]
    cand_new = [c for c in step.changes if c.new_path is not None and c.added
                and any(probe(line) for line in c.added)]
    if len(cand_old) + len(cand_new) > MAX_PARSED_FILES:
        return {}
    prefetch = getattr(step, "prefetch", None)
    if prefetch is not None:
        prefetch([c.old_blob for c in cand_old] + [c.new_blob for c in cand_new])
    hashes = set(wanted)

    def side(changes: list[Change], name: str) -> dict[str, list[_Stmt]]:
        out: dict[str, list[_Stmt]] = defaultdict(list)
        for c in changes:
            texts = c.removed if name == "old" else c.added
            numbers = list(_lines_in(c.hunks, name))
            hits = [numbers[k] for k, text in enumerate(texts) if k < len(numbers) and probe(text)]
            for s in _region_statements(step, c, name, hits, hashes):
                out[s.shash].append(s)
        return out

    gone, came = side(cand_old, "old"), side(cand_new, "new")
    result: dict[tuple[str, int], tuple[str, int]] = {}
    for shash, old_path, old_line in decided:
        olds, news = gone.get(shash, []), came.get(shash, [])
        mine = next((s for s in olds if s.path == old_path and s.start <= old_line <= s.end), None)
        if mine is None or not news:
            continue
        offset = old_line - mine.start
        if len(olds) == 1 and len(news) == 1:
            result[(old_path, old_line)] = (news[0].path, news[0].start + offset)
            continue
        same_o = [s for s in olds if _leaf(s.scope) == _leaf(mine.scope)]
        same_n = [s for s in news if _leaf(s.scope) == _leaf(mine.scope)]
        if same_o and len(same_o) == len(same_n) and len({s.path for s in same_n}) == 1:
            k = same_o.index(mine)
            result[(old_path, old_line)] = (same_n[k].path, same_n[k].start + offset)
    return result


# --- the mapper ------------------------------------------------------------------------------

def _suffix(path: str) -> str:
    name = path.rsplit("/", 1)[-1]
    return name[name.rfind("."):] if "." in name else name


@dataclass(slots=True)
class _Track:
    rec: dict[str, Any]
    path: str
    line: int
    renamed: bool = False
    moved_by_content: bool = False
    line_changed: bool = False
    removed: tuple[str, int, int] | None = None  # (path, first, last) of a replacement, in step coordinates
    done: bool = False


class Mapper:
    """Maps decisions of one workspace to the working tree (blocking: run it in a thread)."""

    def __init__(self, root: Path, git: SafeGit, head: str, suffixes: set[str]):
        self.root = root
        self.git = git
        self.head = head
        self.suffixes = suffixes
        blobs, extra, self.tree_digest = worktree_state(git, head, suffixes)
        self.head_blobs = blobs
        self._extra = extra
        self._wt: Step | None = None

    @property
    def worktree(self) -> Step:
        if self._wt is None:
            self._wt = worktree_step(self.git, self.head_blobs, self._extra)
        return self._wt

    def run(self, decisions: list[dict[str, Any]],
            progress: Callable[[list[str]], Iterable[str]] | None = None) -> dict[str, Place]:
        groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for d in decisions:
            if isinstance(d.get("commit"), str):
                groups[d["commit"]].append(d)
        places: dict[str, Place] = {}
        commits = sorted(groups)
        for commit in (progress(commits) if progress else commits):
            full = self.git.commit(commit)
            if full is None:
                continue  # not here (shallow clone, rewritten history): content identity in triage
            places.update(self._map_commit(full, groups[commit]))
        return places

    def _map_commit(self, commit: str, decisions: list[dict[str, Any]]) -> dict[str, Place]:
        commit_blobs = self.head_blobs if commit == self.head else \
            {p: b for p, b in self.git.tree_blobs(commit).items() if _suffix(p) in self.suffixes}
        tracks: list[_Track] = []
        for d in decisions:
            start = self._start(d, commit_blobs)
            if start is not None:
                tracks.append(_Track(d, d["path"], start, line_changed=start != d.get("line")))
        steps: list[Step] = []
        if commit != self.head:
            step = git_step(self.git, commit, self.head, self.suffixes)
            if step is None:
                return {}
            steps.append(step)
        steps.append(self.worktree)
        for step in steps:
            self._advance(step, [t for t in tracks if not t.done])
        return {t.rec["id"]: self._finish(t) for t in tracks}

    def _start(self, d: dict[str, Any], commit_blobs: dict[str, str]) -> int | None:
        """The decided line in the commit's version of its file (None: cannot tell)."""
        line = d.get("line")
        if not isinstance(line, int) or line < 1:
            return None
        blob, path = d.get("blob"), d["path"]
        if not blob or blob == commit_blobs.get(path):
            return line if path in commit_blobs else None
        texts = self.git.blobs([blob, commit_blobs.get(path) or ""])
        if blob not in texts or commit_blobs.get(path) not in texts:
            return None
        then = (_decode(texts[blob]) or "").splitlines()
        committed = (_decode(texts[commit_blobs[path]]) or "").splitlines()
        mapped = map_line(text_hunks(then, committed), line)
        return mapped if isinstance(mapped, int) else None

    def _advance(self, step: Step, tracks: list[_Track]) -> None:
        removed: list[tuple[_Track, Change, Removed]] = []
        prefetch = getattr(step, "prefetch", None)
        if prefetch is not None:  # both versions of every changed file holding a decided line: one git call
            touched = [step.by_old[t.path] for t in tracks if t.path in step.by_old]
            prefetch([c.old_blob for c in touched] + [c.new_blob for c in touched])
        for t in tracks:
            new_path, where, renamed = step.follow(t.path, t.line)
            if isinstance(where, int):
                t.line_changed |= where != t.line
                t.path, t.line = new_path, where
                t.renamed |= renamed
                continue
            change = step.by_old[t.path]
            again = pair_in_hunk(step, change, where, t.line, t.rec["statement_hash"])
            if again is not None:
                t.path, t.line, t.line_changed = new_path, again, True
                t.renamed |= renamed
                continue
            removed.append((t, change, where))
        if not removed:
            return
        unresolved = []
        for t, change, where in removed:
            target = self._moved_line(step, change, t.line)
            if target is not None:
                t.path, t.line = target
                t.moved_by_content, t.line_changed = True, True
            else:
                unresolved.append((t, change, where))
        removed = unresolved
        if not removed:
            return
        wanted = {t.rec["statement_hash"]: probe_tokens(str(t.rec.get("statement") or "")) for t, _, _ in removed}
        pairs = pair_across(step, wanted, [(t.rec["statement_hash"], t.path, t.line) for t, _, _ in removed])
        for t, change, where in removed:
            target = pairs.get((t.path, t.line))
            if target is not None:
                t.path, t.line = target
                t.moved_by_content, t.line_changed = True, True
            elif where.new_count and change.new_path is not None:
                t.removed = (change.new_path, where.new_start, where.new_start + where.new_count - 1)
                t.path, t.line = change.new_path, where.new_start
                t.done = True  # edited: stale at the replacement (followed no further)
            else:
                t.done, t.removed = True, None
                t.line = 0

    @staticmethod
    def _moved_line(step: Step, change: Change, line: int) -> tuple[str, int] | None:
        """Content identity on lines: the removed line's text was removed once and added once
        in the step (or, among several, equally often inside functions of one name)."""
        text = step.raw_line(change, "old", line)
        if text is None or not text.strip():
            return None
        gone, came = step.moved_lines()
        olds, news = gone.get(squash(text), []), came.get(squash(text), [])
        if not news:
            return None
        if len(olds) == 1 and len(news) == 1:
            return news[0][0].new_path or "", news[0][1]
        if len(olds) > 50 or len(news) > 50:
            return None
        name = step.enclosing(change, "old", line)
        same_o = [(c, n) for c, n in olds if step.enclosing(c, "old", n) == name]
        same_n = [(c, n) for c, n in news if step.enclosing(c, "new", n) == name]
        if name and len(same_o) == len(same_n) and len({c.new_path for c, _ in same_n}) == 1:
            c, n = same_n[same_o.index((change, line))]
            return c.new_path or "", n
        # identical lines rearranged within this file (e.g. split into new helpers, copies
        # added): the one whose surrounding lines are its own
        here_n = [n for c, n in news if c is change]
        if not here_n or change.new_path is None:
            return None
        paired = _pair_by_context(step, change, squash(text), [n for c, n in olds if c is change], here_n)
        return (change.new_path, paired[line]) if line in paired else None

    def _finish(self, t: _Track) -> Place:
        """Where the decided (flagged) line is now. Whether the statement there is still the
        decided one is checked against the findings (their normalized statements)."""
        d = t.rec
        if t.removed is not None:
            path, first, last = t.removed
            return Place(STALE, LINE_MAP, path, first, last)
        if t.line < 1:
            return Place(GONE, "", d["path"], 0, 0)
        if t.moved_by_content:
            status, via = RELOCATED, CONTENT
        elif t.renamed:
            status, via = MOVED, RENAME
        elif t.line_changed or t.path != d["path"]:
            status, via = CARRIED, LINE_MAP
        else:
            status, via = CARRIED, SAME_PLACE
        return Place(status, via, t.path, t.line, t.line, "", d["statement_hash"], 0)


class Provenance:
    """``commit`` (HEAD) and ``blob`` to record with decisions made now in one workspace."""

    def __init__(self, root: Path):
        self.root = root
        self.git = SafeGit.open(root)
        self.head = self.git.head() if self.git is not None else None

    def of(self, path: str, blob: Any = None) -> dict[str, str]:
        """For a decision about ``path`` as it is in the blob ``blob`` (the id of an editor's
        unsaved text), else as it is on disk; empty outside git."""
        if self.git is None or self.head is None:
            return {}
        if isinstance(blob, str) and blob:
            return {"commit": self.head, "blob": blob}
        data = _read_file(self.root, path)
        if data is None:
            return {"commit": self.head}
        return {"commit": self.head, "blob": blob_id(data, self.git.object_format)}
