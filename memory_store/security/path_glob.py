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
from dataclasses import dataclass
from functools import lru_cache

MAX_GLOB_LENGTH = 256
MAX_WILDCARD_GROUPS = 8
"""Runs of ``*`` (``*`` or ``**``) a policy glob may hold."""
_MAX_REMEMBERED_STEPS = 4096

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
    """A compiled glob; :meth:`match` tells whether a whole workspace-relative path matches."""

    __slots__ = ("_accept", "_start", "_steps", "_tokens", "pattern")

    def __init__(self, pattern: str):
        self.pattern = pattern
        body = pattern.strip()
        while body.startswith("./"):
            body = body[2:]
        self._tokens = _tokens(body)
        self._accept = len(self._tokens)
        self._start = self._closure({0})
        self._steps: dict[tuple[frozenset[int], str], frozenset[int]] = {}

    def _closure(self, states: set[int]) -> frozenset[int]:
        """``states`` plus every position reachable by letting repetitions match nothing."""
        todo = list(states)
        while todo:
            i = todo.pop()
            if i < self._accept and self._tokens[i][0] in (_STAR, _ANY, _DIRS) and i + 1 not in states:
                states.add(i + 1)
                todo.append(i + 1)
        return frozenset(states)

    def _step(self, states: frozenset[int], c: str) -> frozenset[int]:
        nxt: set[int] = set()
        for i in states:
            if i == self._accept:
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
            else:  # _DIRS: any characters, then a "/" that ends them
                nxt.add(i)
                if c == "/":
                    nxt.add(i + 1)
        return self._closure(nxt)

    def match(self, path: str) -> bool:
        states, steps = self._start, self._steps
        for c in path:
            key = (states, c)
            nxt = steps.get(key)
            if nxt is None:
                nxt = self._step(states, c)
                if len(steps) < _MAX_REMEMBERED_STEPS:
                    steps[key] = nxt
            if not nxt:
                return False
            states = nxt
        return self._accept in states

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
