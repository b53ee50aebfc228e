"""Policy path globs: the same answers as a regex translation, in time linear in the path
whatever the pattern, and caps on what a policy may hold."""

from __future__ import annotations

import re

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from memory_store.security.path_glob import MAX_WILDCARD_GROUPS, GlobError, check_glob, path_glob


def regex_reference(pattern: str) -> re.Pattern[str]:
    """The plain regex translation (exponential on hostile patterns; fine for tiny ones)."""
    while pattern.startswith("./"):
        pattern = pattern[2:]
    out, i = [], 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        else:
            out.append({"*": "[^/]*", "?": "[^/]"}.get(pattern[i], re.escape(pattern[i])))
            i += 1
    return re.compile("".join(out) + (".*" if pattern.endswith("/") else "") + r"\Z")


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet="ab/*?.", max_size=10), st.text(alphabet="ab/.", max_size=12))
@example("**/?", "aa")  # "**/" may match nothing, but once it has taken characters only a "/" ends it
@example("**/a*", "ba")
def test_same_answers_as_the_regex_translation(pattern, path):
    assert path_glob(pattern).match(path) == bool(regex_reference(pattern).match(path))


@pytest.mark.parametrize("glob, path, hit", [
    ("src/[a-c]pp.py", "src/app.py", True),
    ("src/[a-c]pp.py", "src/dpp.py", False),
    ("src/[!a]pp.py", "src/app.py", False),
    ("src/[!a]pp.py", "src/bpp.py", True),
    ("src[!x]app.py", "src/app.py", False),  # a set never matches "/"
    ("src/[ap", "src/[ap", True),  # an unclosed "[" is a character
    ("tests/", "tests/a/b.py", True),
    ("**", "any/depth/x.py", True),
    ("**/x.py", "x.py", True),
    ("a/**/b.py", "a/b.py", True),
    ("a/**/b.py", "a/x/y/b.py", True),
    ("a/*/b.py", "a/x/y/b.py", False),
])
def test_glob_syntax(glob, path, hit):
    assert path_glob(glob).match(path) is hit


@pytest.mark.timeout(30)
def test_fourteen_double_stars_then_a_letter_answer_at_once():
    """A backtracking regex of this pattern runs for minutes on one path (bench/glob_bench.py)."""
    glob = path_glob("**" * 14 + "Z")
    assert glob.match("src/service/handlers/payments/refund.py") is False
    assert glob.match("a/" * 5000 + "b.py") is False
    assert glob.match("a/" * 5000 + "Z") is True
    assert path_glob("**/" * 14 + "*Z").match("a/" * 5000 + "b.py") is False


@pytest.mark.parametrize("glob, problem", [
    ("/".join(["**"] * (MAX_WILDCARD_GROUPS + 1)), "wildcard groups"),
    ("a" * 300, "longer than"),
    ("src/\x1b[31m/**", "control character"),
    ("src/[z-a].py", "bad character range"),
    ("src/[!].py", "empty character set"),
    ("   ", "empty glob"),
])
def test_check_glob_refuses(glob, problem):
    with pytest.raises(GlobError, match=re.escape(problem)):
        check_glob(glob)


def test_check_glob_accepts_ordinary_globs():
    assert check_glob(" ./tests/** ") == "./tests/**"
    assert check_glob("/".join(["**"] * MAX_WILDCARD_GROUPS)) == "/".join(["**"] * MAX_WILDCARD_GROUPS)
    assert check_glob("**" * 14 + "Z") == "**" * 14 + "Z"  # one group: matched in linear time anyway
