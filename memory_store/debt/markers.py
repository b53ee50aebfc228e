"""Debt markers (TODO, FIXME, ...) found in comments only.

Python is read with :mod:`tokenize`; other languages with one regular expression per
comment syntax that consumes string literals first, so a marker inside a string is never
taken for a comment. A marker counts as a whole word (``TODOS`` and ``mastodon`` do not
count) and, like ``git grep -c``, at most once per line: the first marker on a comment
line names the item.
"""

from __future__ import annotations

import io
import re
import tokenize
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import NamedTuple

MAX_TEXT = 160
"""Marker text is cut to this many characters (it is stored in every snapshot)."""


class Marker(NamedTuple):
    line: int
    """1-based line of the marker."""
    marker: str
    text: str
    """The comment from the marker to the end of its line, e.g. ``TODO(ann): retry``."""


# --- comment syntaxes -------------------------------------------------------------

_DQ = r'"(?:[^"\\\n]|\\.)*"'
_SQ = r"'(?:[^'\\\n]|\\.)*'"
_BT = r"`(?:[^`\\]|\\.)*`"
_BLOCK = r"/\*.*?(?:\*/|\Z)"
_SLASH = r"//[^\n]*"
_HASH = r"#[^\n]*"
_HASH_WORD = r"(?:(?<=\s)|^)#[^\n]*"  # shell/YAML: '#' starts a comment only at a word start
_PY_STR = (r"(?i:[rbuf]{0,2})(?:'''.*?(?:'''|\Z)|\"\"\".*?(?:\"\"\"|\Z)|"
           r"'(?:[^'\\\n]|\\.)*'|\"(?:[^\"\\\n]|\\.)*\")")

_SYNTAX: dict[str, tuple[list[str], list[str]]] = {
    # name: (comment alternatives, string alternatives)
    "c": ([_SLASH, _BLOCK], [r'R"(?P<rd>[^(\s"\\]{0,16})\(.*?\)(?P=rd)"', _DQ, _SQ]),
    "java": ([_SLASH, _BLOCK], [r'""".*?"""', _DQ, _SQ]),
    "js": ([_SLASH, _BLOCK], [_BT, _DQ, _SQ]),
    "go": ([_SLASH, _BLOCK], [r"`[^`]*`", _DQ, _SQ]),
    "rust": ([_SLASH, _BLOCK], [r'b?r(?P<rh>#*)".*?"(?P=rh)', _DQ,
                                r"b?'(?:\\(?:u\{[0-9a-fA-F]{1,6}\}|x[0-9a-fA-F]{2}|.)|[^'\\\n])'"]),
    "swift": ([_SLASH, _BLOCK], [r'""".*?"""', _DQ]),
    "csharp": ([_SLASH, _BLOCK], [r'@"(?:[^"]|"")*"', _DQ, _SQ]),
    "css": ([_BLOCK], [_DQ, _SQ]),
    "scss": ([_SLASH, _BLOCK], [_DQ, _SQ]),
    "php": ([_SLASH, _HASH, _BLOCK], [_DQ, _SQ]),
    "python": ([_HASH], [_PY_STR]),  # fallback when tokenize cannot read the file
    "shell": ([_HASH_WORD], [r"(?<![\w\\])'[^'\n]*'", r'(?<![\w\\])"(?:[^"\\\n]|\\.)*"']),
    "yaml": ([_HASH_WORD], [r"(?<![\w])'(?:[^'\n]|'')*'", r'(?<![\w])"(?:[^"\\\n]|\\.)*"']),
    "toml": ([_HASH], [r"'''.*?'''", r'""".*?"""', r"'[^'\n]*'", r'"(?:[^"\\\n]|\\.)*"']),
    "ruby": ([_HASH, r"^=begin\b.*?^=end\b"], [_DQ, _SQ]),
    "hash": ([_HASH_WORD], [_DQ, _SQ]),
    "ini": ([r"^[ \t]*[#;][^\n]*"], []),
    "sql": ([r"--[^\n]*", _BLOCK], [r"'(?:[^']|'')*'", r'"(?:[^"]|"")*"']),
    "lua": ([r"--\[(?P<lc>=*)\[.*?\](?P=lc)\]", r"--[^\n]*"],
            [r"\[(?P<ls>=*)\[.*?\](?P=ls)\]", _DQ, _SQ]),
    "haskell": ([r"\{-.*?-\}", r"--(?![!#$%&*+./<=>?@\\^|~:])[^\n]*"], [_DQ]),
    "html": ([r"<!--.*?(?:-->|\Z)"], []),
    "lisp": ([r";[^\n]*"], [_DQ]),
    "erlang": ([r"%[^\n]*"], [_DQ]),
    "tex": ([r"(?<!\\)%[^\n]*"], []),
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
    comments, strings = _SYNTAX[lang]
    alts = [f"(?P<c>{'|'.join(comments)})", *strings]
    return re.compile("|".join(alts), re.DOTALL | re.MULTILINE)


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
    return text[:MAX_TEXT]


def _markers_in_comment(comment: str, first_line: int, pattern: re.Pattern[str],
                        seen: set[int], out: list[Marker]) -> None:
    for m in pattern.finditer(comment):
        line = first_line + comment.count("\n", 0, m.start())
        if line in seen:
            continue
        seen.add(line)
        end = comment.find("\n", m.start())
        out.append(Marker(line, m.group(0), _clean(comment[m.start(): end if end >= 0 else None])))


def _python_comments(text: str) -> Iterable[tuple[int, str]] | None:
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, SyntaxError):
        return None
    return [(tok.start[0], tok.string) for tok in tokens if tok.type == tokenize.COMMENT]


def count_text(path: str, text: str, markers: Sequence[str]) -> list[Marker]:
    """Markers in the comments of one file's text, in line order."""
    pattern = marker_pattern(tuple(markers))
    if not pattern.search(text):
        return []
    lang = language_for(path, text[:200])
    if lang is None:
        return []
    out: list[Marker] = []
    seen: set[int] = set()
    if lang == "python":
        comments = _python_comments(text)
        if comments is not None:
            for line, comment in comments:
                _markers_in_comment(comment, line, pattern, seen, out)
            return out
    line, pos = 1, 0
    for m in _lexer(lang).finditer(text):
        if m.start("c") < 0:
            continue
        line += text.count("\n", pos, m.start())
        pos = m.start()
        _markers_in_comment(m.group("c"), line, pattern, seen, out)
    out.sort()
    return out


def count_bytes(path: str, data: bytes, markers: Sequence[str]) -> list[Marker]:
    """:func:`count_text` for raw file content (invalid UTF-8 is replaced, not fatal)."""
    for m in markers:
        if m.encode() in data:
            break
    else:
        return []
    return count_text(path, data.decode("utf-8", "replace"), markers)
