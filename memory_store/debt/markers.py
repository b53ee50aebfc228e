"""Debt markers (TODO, FIXME, ...) found in comments only.

Each language is read with one regular expression that consumes code and string literals
and stops at comments, so a marker inside a string is never taken for a comment. For
Python the result equals the COMMENT tokens of :mod:`tokenize` (checked in the tests on
the standard library) at a small fraction of tokenize's cost. Unterminated multi-line
strings and comments run to the end of the text, as compilers read them.

A marker counts as a whole word (``TODOS`` and ``mastodon`` do not count) and, like
``git grep -c``, at most once per line: the first marker on a comment line names the item.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from typing import NamedTuple

from memory_store.redact import redact

MAX_TEXT = 160
"""Marker text is cut to this many characters (it is stored in every snapshot)."""


class Marker(NamedTuple):
    line: int
    """1-based line of the marker."""
    marker: str
    text: str
    """The comment from the marker to the end of its line, e.g. ``TODO(ann): retry``."""


# --- comment syntaxes -------------------------------------------------------------

# String literals as unrolled, possessive loops: the engine runs through them in C.
_DQ = r'"(?:[^"\\\n]++|\\.)*+"'
_SQ = r"'(?:[^'\\\n]++|\\.)*+'"
_BT = r"`(?:[^`\\]++|\\.)*+(?:`|\Z)"
_TRIPLE_DQ = r'"""(?:[^"\\]++|\\.|"(?!""))*+(?:"""|\Z)'
_TRIPLE_SQ = r"'''(?:[^'\\]++|\\.|'(?!''))*+(?:'''|\Z)"
_PY_STR = rf"{_TRIPLE_SQ}|{_TRIPLE_DQ}|{_SQ}|{_DQ}"

# A comment is (opening regex, closing regex); closing None: the comment ends with its line.
Comment = tuple[str, "str | None"]
_BLOCK: Comment = (r"/\*", r"\*/")
_SLASH: Comment = ("//", None)
_HASH: Comment = ("#", None)
_HASH_WORD: Comment = (r"(?:(?<=\s)|^)#", None)  # shell/YAML: '#' starts a comment at a word start

_SYNTAX: dict[str, tuple[list[Comment], list[str], str]] = {
    # name: (comments, string literals, characters that can start either)
    "c": ([_SLASH, _BLOCK], [r'R"(?P<rd>[^(\s"\\]{0,16})\(.*?(?:\)(?P=rd)"|\Z)', _DQ, _SQ], "/\"'R"),
    "java": ([_SLASH, _BLOCK], [_TRIPLE_DQ, _DQ, _SQ], "/\"'"),
    "js": ([_SLASH, _BLOCK], [_BT, _DQ, _SQ], "/\"'`"),
    "go": ([_SLASH, _BLOCK], [r"`[^`]*(?:`|\Z)", _DQ, _SQ], "/\"'`"),
    "rust": ([_SLASH, _BLOCK], [r'r"[^"]*(?:"|\Z)', r'r#".*?(?:"#|\Z)', r'r##".*?(?:"##|\Z)', _DQ,
                                r"'(?:\\(?:u\{[0-9a-fA-F]{1,6}\}|x[0-9a-fA-F]{2}|.)|[^'\\\n])'"], "/\"'r"),
    "swift": ([_SLASH, _BLOCK], [_TRIPLE_DQ, _DQ], "/\""),
    "csharp": ([_SLASH, _BLOCK], [r'@"(?:[^"]|"")*(?:"|\Z)', _DQ, _SQ], "/\"'@"),
    "css": ([_BLOCK], [_DQ, _SQ], "/\"'"),
    "scss": ([_SLASH, _BLOCK], [_DQ, _SQ], "/\"'"),
    "php": ([_SLASH, _HASH, _BLOCK], [_DQ, _SQ], "/#\"'"),
    "python": ([_HASH], [_PY_STR], "#\"'"),
    "shell": ([_HASH_WORD], [r"(?<![\w\\])'[^'\n]*'", r'(?<![\w\\])"(?:[^"\\\n]|\\.)*"'], "#\"'"),
    "yaml": ([_HASH_WORD], [r"(?<![\w])'(?:[^'\n]|'')*'", r'(?<![\w])"(?:[^"\\\n]|\\.)*"'], "#\"'"),
    "toml": ([_HASH], [_TRIPLE_SQ, _TRIPLE_DQ, r"'[^'\n]*'", _DQ], "#\"'"),
    "ruby": ([_HASH, (r"^=begin\b", r"^=end\b")], [_DQ, _SQ], "#=\"'"),
    "hash": ([_HASH_WORD], [_DQ, _SQ], "#\"'"),
    "ini": ([(r"(?<![^\s])[#;]", None)], [], "#;"),
    "sql": ([("--", None), _BLOCK], [r"'(?:[^']|'')*(?:'|\Z)", r'"(?:[^"]|"")*(?:"|\Z)'], "-/\"'"),
    "lua": ([(r"--\[\[", r"\]\]"), (r"--\[=\[", r"\]=\]"), (r"--\[==\[", r"\]==\]"), ("--", None)],
            [r"\[\[.*?(?:\]\]|\Z)", r"\[=\[.*?(?:\]=\]|\Z)", r"\[==\[.*?(?:\]==\]|\Z)", _DQ, _SQ], "-[\"'"),
    "haskell": ([(r"\{-", r"-\}"), (r"--(?![!#$%&*+./<=>?@\\^|~:])", None)], [_DQ], "{-\""),
    "html": ([("<!--", "-->")], [], "<"),
    "lisp": ([(";", None)], [_DQ], ";\""),
    "erlang": ([("%", None)], [_DQ], "%\""),
    "tex": ([(r"(?<!\\)%", None)], [], "%"),
}

_EXTENSIONS: dict[str, str] = {}
for _lang, _exts in {
    "python": "py pyi pyw pyx pxd bzl",
    "c": "c h cc cpp cxx hpp hh hxx ino m mm cu cuh",
    "java": "java kt kts scala groovy gradle",
    "js": "js jsx mjs cjs ts tsx mts cts",
    "go": "go",
    "rust": "rs",
    "swift": "swift",
    "csharp": "cs fs",
    "css": "css",
    "scss": "scss less sass",
    "php": "php",
    "shell": "sh bash zsh ksh fish bats",
    "yaml": "yml yaml",
    "toml": "toml",
    "ruby": "rb rake gemspec",
    "hash": "pl pm r cmake mk nix ex exs ps1 tf hcl dockerfile cfg conf properties",
    "ini": "ini",
    "sql": "sql",
    "lua": "lua",
    "haskell": "hs elm",
    "html": "html htm xhtml xml svg md markdown rst vue svelte jinja j2 jinja2",
    "lisp": "el lisp clj cljs cljc scm rkt asm s",
    "erlang": "erl hrl",
    "tex": "tex sty cls",
}.items():
    for _ext in _exts.split():
        _EXTENSIONS[_ext] = _lang

_FILENAMES: dict[str, str] = {
    "makefile": "hash", "gnumakefile": "hash", "dockerfile": "hash", "containerfile": "hash",
    "cmakelists.txt": "hash", "gemfile": "ruby", "rakefile": "ruby", "vagrantfile": "ruby",
    "jenkinsfile": "java", "build": "python", "workspace": "python", "sconstruct": "python",
    ".bashrc": "shell", ".profile": "shell", ".zshrc": "shell", ".gitignore": "hash",
    ".gitattributes": "hash", ".editorconfig": "ini", "requirements.txt": "hash",
}

_SHEBANG = re.compile(r"#![^\n]*?\b(python[0-9.]*|bash|sh|zsh|ksh|node|ruby|perl|lua)\b")
_SHEBANG_LANG = {"node": "js", "ruby": "ruby", "perl": "hash", "lua": "lua"}


def language_for(path: str, head: str | None = None) -> str | None:
    """Comment syntax for ``path``; ``head`` (start of the file) is used for shebangs.

    Returns None for files without a known comment syntax (those are not counted).
    """
    name = path.rsplit("/", 1)[-1].lower()
    lang = _FILENAMES.get(name)
    if lang:
        return lang
    if "." in name.lstrip("."):
        lang = _EXTENSIONS.get(name.rsplit(".", 1)[-1])
        if lang or name.startswith("dockerfile."):
            return lang or "hash"
        return None
    if head is not None and head.startswith("#!"):
        m = _SHEBANG.match(head)
        if m:
            word = m.group(1)
            return "python" if word.startswith("python") else _SHEBANG_LANG.get(word, "shell")
    return None


def needs_content_sniff(path: str) -> bool:
    """True for extensionless files whose language only a shebang line can tell."""
    name = path.rsplit("/", 1)[-1].lower()
    return name not in _FILENAMES and "." not in name.lstrip(".")


@lru_cache(maxsize=64)
def _lexer(lang: str) -> re.Pattern[str]:
    """One match per comment: code and string literals before it are consumed inside the
    match (possessively, in C), so long stretches of code cost no Python-level work."""
    comments, strings, starts = _SYNTAX[lang]
    starts = re.escape(starts)
    comment = "|".join(f"{o}[^\\n]*" if c is None else f"{o}.*?(?:{c}|\\Z)" for o, c in comments)
    skip = [f"[^{starts}]++", *strings, f"(?!{comment})[{starts}]"]
    return re.compile(f"(?:{'|'.join(skip)})*+(?:(?P<c>{comment})|\\Z)", re.DOTALL | re.MULTILINE)


@lru_cache(maxsize=32)
def _any_marker(markers: tuple[str, ...]) -> re.Pattern[str]:
    """Any marker as a plain substring: a cheap first test for each comment."""
    return re.compile("|".join(re.escape(m) for m in markers))


@lru_cache(maxsize=32)
def marker_pattern(markers: tuple[str, ...]) -> re.Pattern[str]:
    words = "|".join(re.escape(m) for m in sorted(markers, key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{words})(?!\w)")


_CLOSERS = ("*/", "-->", "-}", "]]")


def _clean(text: str) -> str:
    text = text.strip()
    changed = True
    while changed:
        changed = False
        for closer in _CLOSERS:
            if text.endswith(closer):
                text = text[: -len(closer)].rstrip()
                changed = True
    if len(text) > MAX_TEXT:
        text = redact(text)[:MAX_TEXT]  # before cutting: a cut secret no longer looks like one
    return text


def _markers_in_comment(comment: str, first_line: int, pattern: re.Pattern[str],
                        seen: set[int], out: list[Marker]) -> None:
    for m in pattern.finditer(comment):
        line = first_line + comment.count("\n", 0, m.start())
        if line in seen:
            continue
        seen.add(line)
        end = comment.find("\n", m.start())
        out.append(Marker(line, m.group(0), _clean(comment[m.start(): end if end >= 0 else None])))


def _is_word(ch: str) -> bool:
    return ch.isalnum() or ch == "_"  # what ``\\w`` matches


def _last_marker(text: str, markers: Sequence[str]) -> int:
    """Offset of the last whole-word marker in ``text`` (-1: none). ``str.rfind`` is far
    faster than a regular expression with look-behind over a whole file."""
    best = -1
    for word in markers:
        end = len(text)
        while True:
            i = text.rfind(word, 0, end)
            if i <= best:
                break
            after = i + len(word)
            if (i == 0 or not _is_word(text[i - 1])) and (after >= len(text) or not _is_word(text[after])):
                best = i
                break
            end = after - 1
    return best


def count_text(path: str, text: str, markers: Sequence[str]) -> list[Marker]:
    """Markers in the comments of one file's text, in line order."""
    last = _last_marker(text, markers)
    if last < 0:
        return []
    lang = language_for(path, text[:200])
    if lang is None:
        return []
    pattern = marker_pattern(tuple(markers))
    out: list[Marker] = []
    seen: set[int] = set()
    # nothing after the line of the last marker can matter: lex only up to there
    newline = text.find("\n", last)
    endpos = len(text) if newline < 0 else newline
    line, pos = 1, 0
    quick = _any_marker(tuple(markers))
    for m in _lexer(lang).finditer(text, 0, endpos):
        start = m.start("c")
        if start < 0:  # reached endpos
            break
        comment = m.group("c")
        if quick.search(comment):
            line += text.count("\n", pos, start)
            pos = start
            _markers_in_comment(comment, line, pattern, seen, out)
    return out


def count_bytes(path: str, data: bytes, markers: Sequence[str]) -> list[Marker]:
    """:func:`count_text` for raw file content (invalid UTF-8 is replaced, not fatal)."""
    for m in markers:
        if m.encode() in data:
            break
    else:
        return []
    return count_text(path, data.decode("utf-8", "replace"), markers)
