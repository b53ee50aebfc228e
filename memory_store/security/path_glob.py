"""Path globs of security policies, matched in time linear in the path whatever the pattern.

Policies are committed files, so a glob is untrusted input. Translated into a backtracking
regex, ``**`` repeated a dozen times before a letter that never comes takes minutes on one
path; here the pattern is a small automaton run over the path once, keeping the set of
pattern positions still alive (at most pattern-length of them), with the step from each set
remembered. :func:`check_glob` also caps the pattern's length and wildcard groups, so a
policy stays readable and the automaton small.

Syntax: ``**`` any characters including ``/`` (``**/`` any number of whole directories,
none included), ``*`` any characters within one path segment, ``?`` one character other
than ``/``, ``[abc]``, ``[a-z]``, ``[!abc]`` one character (never ``/``) from, or not from,
the set. A leading ``./`` is ignored; a trailing ``/`` means everything below.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from functools import lru_cache

MAX_GLOB_LENGTH = 256
MAX_WILDCARD_GROUPS = 8
"""Runs of ``*`` (``*`` or ``**``) a policy glob may hold."""
_MAX_STATES = 4096
_MAX_MOVES = 1 << 16
_DEAD, _UNREMEMBERED = -1, -2

# Token kinds: one character each, or a repetition that may also match nothing.
_LIT, _ONE, _SET, _STAR, _ANY, _DIRS = range(6)


class GlobError(ValueError):
    """A glob that is malformed or over the caps."""


@dataclass(frozen=True, slots=True)
class _CharSet:
    chars: frozenset[str]
    ranges: tuple[tuple[str, str], ...]
    negated: bool

    def __contains__(self, c: str) -> bool:
        if c == "/":
            return False
        hit = c in self.chars or any(lo <= c <= hi for lo, hi in self.ranges)
        return hit != self.negated


def _parse_set(body: str, pattern: str) -> _CharSet:
    negated = body[:1] in ("!", "^")
    if negated:
        body = body[1:]
    if not body:
        raise GlobError(f"empty character set in {pattern!r}")
    chars, ranges, i = set(), [], 0
    while i < len(body):
        if i + 2 < len(body) and body[i + 1] == "-":
            lo, hi = body[i], body[i + 2]
            if lo > hi:
                raise GlobError(f"bad character range {lo}-{hi} in {pattern!r}")
            ranges.append((lo, hi))
            i += 3
        else:
            chars.add(body[i])
            i += 1
    return _CharSet(frozenset(chars), tuple(ranges), negated)


def _tokens(pattern: str) -> list[tuple[int, object]]:
    out: list[tuple[int, object]] = []
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if pattern.startswith("**/", i):
            out.append((_DIRS, None))
            i += 3
        elif pattern.startswith("**", i):
            out.append((_ANY, None))
            i += 2
        elif c == "*":
            out.append((_STAR, None))
            i += 1
        elif c == "?":
            out.append((_ONE, None))
            i += 1
        elif c == "[" and "]" in pattern[i + 1:]:
            j = pattern.index("]", i + 1)
            out.append((_SET, _parse_set(pattern[i + 1:j], pattern)))
            i = j + 1
        else:
            out.append((_LIT, c))
            i += 1
    if pattern.endswith("/"):
        out.append((_ANY, None))
    return out


class PathGlob:
    """A compiled glob; :meth:`match` tells whether a whole workspace-relative path matches.

    States of the automaton are numbered sets of pattern positions (``~i``, a negative
    number, stands for "inside the ``**/`` at token ``i``"), built as paths reach them;
    ``_moves[state]`` maps a character to the next state (``_DEAD``: no match possible).
    """

    __slots__ = ("_accepting", "_ids", "_lock", "_moves", "_remembered", "_sets", "_tokens", "pattern")

    def __init__(self, pattern: str):
        self.pattern = pattern
        body = pattern.strip()
        while body.startswith("./"):
            body = body[2:]
        self._tokens = _tokens(body)
        self._ids: dict[frozenset[int], int] = {}
        self._sets: list[frozenset[int]] = []
        self._moves: list[dict[str, int]] = []
        self._accepting: list[bool] = []
        self._remembered = 0
        self._lock = threading.Lock()
        self._state(self._closure({0}))

    def _state(self, positions: frozenset[int]) -> int:
        if not positions:
            return _DEAD
        found = self._ids.get(positions)
        if found is not None:
            return found
        self._ids[positions] = number = len(self._sets)
        self._sets.append(positions)
        self._moves.append({})
        self._accepting.append(len(self._tokens) in positions)
        return number

    def _closure(self, positions: set[int]) -> frozenset[int]:
        """``positions`` plus every position reachable by letting repetitions match nothing."""
        todo = list(positions)
        while todo:
            i = todo.pop()
            if 0 <= i < len(self._tokens) and self._tokens[i][0] in (_STAR, _ANY, _DIRS) and i + 1 not in positions:
                positions.add(i + 1)
                todo.append(i + 1)
        return frozenset(positions)

    def _after(self, positions: frozenset[int], c: str) -> frozenset[int]:
        nxt: set[int] = set()
        for i in positions:
            if i < 0:  # inside ``**/`` (token ~i): only a "/" may end it, it cannot end empty now
                nxt.add(i)
                if c == "/":
                    nxt.add(~i + 1)
                continue
            if i == len(self._tokens):
                continue
            kind, arg = self._tokens[i]
            if kind == _LIT:
                if c == arg:
                    nxt.add(i + 1)
            elif kind == _ONE:
                if c != "/":
                    nxt.add(i + 1)
            elif kind == _SET:
                if c in arg:  # type: ignore[operator]
                    nxt.add(i + 1)
            elif kind == _STAR:
                if c != "/":
                    nxt.add(i)
            elif kind == _ANY:
                nxt.add(i)
            else:  # _DIRS: nothing (the closure), or any characters and then a "/" that ends them
                nxt.add(~i)
                if c == "/":
                    nxt.add(i + 1)
        return self._closure(nxt)

    def _move(self, state: int, c: str) -> int:
        """The state after ``c``, remembered while the tables are small; beyond that
        :data:`_UNREMEMBERED` (the caller goes on without tables)."""
        positions = self._after(self._sets[state], c)
        with self._lock:
            nxt = self._ids.get(positions, _DEAD) if positions else _DEAD
            if positions and nxt == _DEAD:
                if len(self._sets) >= _MAX_STATES:
                    return _UNREMEMBERED
                nxt = self._state(positions)
            if self._remembered < _MAX_MOVES:
                self._moves[state][c] = nxt
                self._remembered += 1
            return nxt

    def match(self, path: str) -> bool:
        moves, state = self._moves, 0
        for i, c in enumerate(path):
            nxt = moves[state].get(c)
            if nxt is None:
                nxt = self._move(state, c)
                if nxt == _UNREMEMBERED:
                    return self._match_slowly(self._after(self._sets[state], c), path[i + 1:])
            if nxt == _DEAD:
                return False
            state = nxt
        return self._accepting[state]

    def _match_slowly(self, positions: frozenset[int], rest: str) -> bool:
        """Position sets without a table: the same automaton, still linear in the path."""
        for c in rest:
            if not positions:
                return False
            positions = self._after(positions, c)
        return len(self._tokens) in positions

    def __repr__(self) -> str:
        return f"PathGlob({self.pattern!r})"


@lru_cache(maxsize=1024)
def path_glob(pattern: str) -> PathGlob:
    """The compiled glob (cached: policies are matched against every finding)."""
    return PathGlob(pattern)


_WILDCARD_GROUP = re.compile(r"\*+")


def check_glob(pattern: str) -> str:
    """``pattern`` stripped, or :class:`GlobError` saying what is wrong with it."""
    body = pattern.strip()
    if not body:
        raise GlobError("empty glob")
    if len(body) > MAX_GLOB_LENGTH:
        raise GlobError(f"glob longer than {MAX_GLOB_LENGTH} characters")
    groups = len(_WILDCARD_GROUP.findall(body))
    if groups > MAX_WILDCARD_GROUPS:
        raise GlobError(f"{groups} wildcard groups (* or **); at most {MAX_WILDCARD_GROUPS} are allowed")
    if any(ord(c) < 32 or ord(c) == 127 for c in body):
        raise GlobError("control character in glob")
    path_glob(body)
    return body
