"""JavaScript/TypeScript tool output: npm/yarn/pnpm errors, tsc diagnostics, bundler
errors (webpack, vite, esbuild, rollup) and jest/vitest failure blocks.

Node's own stacks (``Error [ERR_X]: msg`` with ``at fn (file:line:col)`` lines) are read by
the main scanner in :mod:`memory_store.errors.parse`; the shapes here are those it cannot.
"""

from __future__ import annotations

import re
from pathlib import Path

from memory_store.errors.frames import make_frame
from memory_store.errors.langs.common import Candidate, Found, Priority, detail_lines, error, walk
from memory_store.errors.model import Frame

MARKERS = ('npm ERR!', 'npm error', 'ERR_PNPM_', 'YN0', 'error TS', 'Module not found', "Can't resolve", '[vite]',
           '[plugin:', '[ERROR]', '[!]', 'Could not resolve', '●', 'FAIL', '❯', 'error ', 'Invalid options object',
           '[webpack', 'ts-node]', '[jest]', '[vitest]', '[next]', '[nuxt]', '[tsx]')
"""Substrings one of which an output holds when this parser can find anything in it."""

_NPM = re.compile(r"^npm (?:ERR!|error)\s?(?P<body>.*)$")
_NPM_CODE = re.compile(r"^code (?P<code>E[A-Z0-9_]+)$")
_NPM_SKIP = re.compile(r"^(?:errno|syscall|path|dest|signal|command|cwd|\s*$|A complete log of this run"
                       r"|Log files were not written|You can rerun this command|See .*for a full report"
                       r"|this command with --force|to accept an incorrect|\d{4}-\d{2}-\d{2})")
_NPM_WRAPPERS = frozenset({"ELIFECYCLE", "E1", "E2"})
_PNPM = re.compile(r"^\s*(?P<code>ERR_PNPM_[A-Z0-9_]+)\s+(?P<msg>.+)$")
_YARN_BERRY = re.compile(r"^(?:➤\s*)?(?P<code>YN\d{4}):\s*(?:[│|]\s*)?(?P<msg>.*\S)")
_YARN = re.compile(r"^error (?P<msg>(?:An unexpected error occurred|Couldn't find|Command failed|"
                   r"Found incompatible|The engine|Package|Could not|\S).*)$")
_TSC_PAREN = re.compile(r"(?:^|\s)(?P<path>[^\s():]+\.(?:[cm]?tsx?|[cm]?jsx?|vue|svelte))\s?\((?P<line>\d+),\s?"
                        r"(?P<col>\d+)\):?\s*(?:error (?P<code>TS\d+):\s*)?(?P<msg>.+)$")
_TSC_COLON = re.compile(r"^(?P<path>[^\s:]+\.(?:[cm]?tsx?|[cm]?jsx?|vue|svelte)):(?P<line>\d+):(?P<col>\d+)"
                        r"\s+-\s+error\s+(?P<code>TS\d+):\s*(?P<msg>.+)$")
_TSC_BARE = re.compile(r"\berror\s+(?P<code>TS\d{3,5}):?\s+(?P<msg>.+)$")
_WEBPACK_NOT_FOUND = re.compile(r"Module not found: (?:Error: )?(?P<msg>.+)$")
_WEBPACK_ERROR_IN = re.compile(r"^ERROR in (?P<path>\S+?)(?: (?P<line>\d+):\d+(?:-\d+)?)?$")
_VITE = re.compile(r"^(?:\[vite\]:?\s*|\[plugin:(?P<plugin>[\w:\-/]+)\]\s*)(?P<msg>.+)$")
_ESBUILD = re.compile(r"^(?:✘|X) \[ERROR\]\s+(?P<msg>.+)$")
_ESBUILD_LOC = re.compile(r"^\s+(?P<path>[^\s:]+):(?P<line>\d+):(?P<col>\d+):\s*$")
_ROLLUP = re.compile(r"^\[!\]\s+(?:\(plugin (?P<plugin>[^)]+)\)\s+)?(?:(?P<type>[A-Z]\w*Error)|Error):\s*(?P<msg>.+)$")
_ESLINT_FILE = re.compile(r"^(?:[A-Za-z]:)?[^\s:]*[^\s:]\.(?:[cm]?[jt]sx?|vue|svelte|astro)$")
_ESLINT_ROW = re.compile(r"^\s+(?P<line>\d+):(?P<col>\d+)\s+(?P<level>error|warning)\s+(?P<msg>\S.*?)"
                         r"(?:\s{2,}(?P<rule>@?[\w-]+(?:/[\w-]+)*))?\s*$")
"""ESLint's default (stylish) report: a file's path alone on a line, then one indented row per
problem, ``  3:7  error  'x' is assigned a value but never used  no-unused-vars``."""
MAX_ESLINT_ROWS = 500
_TOOL_PREFIX = re.compile(r"^\[(?P<tool>webpack-cli|webpack-dev-server|webpack|vite|esbuild|rollup|next|nuxt|"
                          r"ts-node|tsx|jest|vitest)\]\s*(?P<msg>.+)$")
_JEST_HEAD = re.compile(r"^\s*● (?P<name>.+?)\s*$")
_VITEST_HEAD = re.compile(r"^\s*(?:FAIL|×|✗)\s+(?P<name>\S+\.[cm]?[jt]sx?\b.*?)\s*$")
_EXC_LINE = re.compile(r"^\s*(?P<type>[A-Z]\w*(?:Error|Exception))(?: \[(?P<code>[A-Z][A-Z0-9_]+)\])?:\s*(?P<msg>.+)$")
_EXPECT = re.compile(r"^\s*expect\((?P<what>.*)$")
_AT = re.compile(r"^\s*at (?:async )?(?:(?P<func>.+?) \((?P<loc>[^()]+)\)|(?P<bare>\S+))\s*$")
_ARROW_LOC = re.compile(r"^\s*❯\s+(?:(?P<func>\S+)\s+)?(?P<path>\S+?):(?P<line>\d+):\d+\s*$")
_LOC = re.compile(r"^(?P<path>.*?):(?P<line>\d+)(?::\d+)?$")


def _lang(path: str) -> str:
    return "typescript" if re.search(r"\.[cm]?tsx?$", path) else "javascript"


def find(lines: list[str], root: Path | None) -> list[Candidate]:
    return walk(lines, lambda i, s: _step(lines, i, s, root))


def _step(lines: list[str], i: int, s: str, root: Path | None) -> Candidate | Found | None:
    if _NPM.match(s):
        return _npm_block(lines, i)
    m = _PNPM.match(s)
    if m:
        return Candidate(Priority.EXCEPTION, i, error("pnpm", m.group("msg"), "javascript", code=m.group("code"),
                                             detail=detail_lines(lines, i + 1)))
    m = _YARN_BERRY.match(s)
    if m and m.group("msg") and not m.group("msg").startswith(("┌", "└", "Done", "Resolution step")):
        return Candidate(Priority.TOOL, i, error("yarn", m.group("msg"), "javascript", code=m.group("code")))
    m = _TSC_COLON.match(s) or _TSC_PAREN.search(s)
    if m and (m.group("code") or re.search(r"\berror\b", s[:m.start("msg")] if m.start("msg") > 0 else "")):
        loc = make_frame(m.group("path"), int(m.group("line")), None, root)
        return Candidate(Priority.EXCEPTION if m.group("code") else Priority.LOCATED, i,
                         error("tsc", m.group("msg"), _lang(m.group("path")), code=m.group("code"), location=loc))
    m = _TSC_BARE.search(s)
    if m:
        return Candidate(Priority.EXCEPTION, i, error("tsc", m.group("msg"), "typescript", code=m.group("code")))
    m = _WEBPACK_NOT_FOUND.search(s)
    if m:
        return Candidate(Priority.EXCEPTION, i, error("ModuleNotFoundError", m.group("msg"), "javascript",
                                             location=_error_in(lines, i, root)))
    m = _ESBUILD.match(s)
    if m:
        return Candidate(Priority.LOCATED, i, error("esbuild", m.group("msg"), "javascript",
                                           location=_esbuild_location(lines, i, root)))
    m = _ROLLUP.match(s)
    if m:
        return Candidate(Priority.LOCATED, i, error(m.group("type") or "Error", m.group("msg"), "javascript"))
    m = _VITE.match(s)
    if m and _errorish(m.group("msg")):
        return Candidate(Priority.LOCATED, i, error("vite", m.group("msg"), "javascript"))
    m = _ESLINT_ROW.match(lines[i])
    if m and m.group("level") == "error":
        return _eslint_row(lines, i, m, root)
    m = _JEST_HEAD.match(lines[i]) or _VITEST_HEAD.match(lines[i])
    if m:
        return _test_block(lines, i, m.group("name"), root)
    m = _TOOL_PREFIX.match(s)
    if m and _errorish(m.group("msg")):
        return Candidate(Priority.TOOL, i, error(m.group("tool"), m.group("msg"), "javascript",
                                        detail=detail_lines(lines, i + 1)))
    ym = _YARN.match(s) if s.startswith("error ") and not re.match(r"error [A-Z]+\d+\b", s) else None
    if ym:
        msg = ym.group("msg")
        pri = Priority.WRAPPER if msg.startswith("Command failed") else Priority.TOOL
        return Candidate(pri, i, error("yarn", msg, "javascript"))
    return None


_ERRORISH = re.compile(r"\b(?:error|invalid|cannot|can't|could not|failed|not found|unable|missing|unexpected"
                       r"|not supported|does not|doesn't)\b", re.IGNORECASE)


def _errorish(text: str) -> bool:
    return _ERRORISH.search(text) is not None


def _eslint_row(lines: list[str], i: int, m: re.Match[str], root: Path | None) -> Candidate | None:
    """An error row of ESLint's report, located in the file named above its rows."""
    j = i - 1
    while j >= max(0, i - MAX_ESLINT_ROWS) and _ESLINT_ROW.match(lines[j]):
        j -= 1
    path = lines[j].strip() if j >= 0 else ""
    if not _ESLINT_FILE.match(path):
        return None
    loc = make_frame(path, int(m.group("line")), None, root)
    rule = m.group("rule")
    return Candidate(Priority.EXCEPTION if rule else Priority.LOCATED, i,
                     error("eslint", m.group("msg"), _lang(path), code=rule, location=loc))


def _esbuild_location(lines: list[str], i: int, root: Path | None) -> Frame | None:
    """esbuild prints the location indented under its ``✘ [ERROR]`` line."""
    for j in range(i + 1, min(len(lines), i + 4)):
        lm = _ESBUILD_LOC.match(lines[j])
        if lm:
            return make_frame(lm.group("path"), int(lm.group("line")), None, root)
    return None


def _error_in(lines: list[str], i: int, root: Path | None) -> Frame | None:
    """The ``ERROR in ./src/x.js 3:0-20`` line webpack prints before a build error."""
    for j in range(i, max(-1, i - 3), -1):
        m = _WEBPACK_ERROR_IN.match(lines[j].strip())
        if m:
            return make_frame(m.group("path"), int(m.group("line")) if m.group("line") else None, None, root)
    return None


def _npm_block(lines: list[str], i: int) -> Found:
    """An ``npm ERR!`` block: its ``code`` and first message line, the rest as detail."""
    code: str | None = None
    message = ""
    detail: list[str] = []
    start = i
    n = len(lines)
    while i < n:
        m = _NPM.match(lines[i].strip())
        if not m:
            break
        body = m.group("body").strip()
        cm = _NPM_CODE.match(body)
        if cm:
            if code is not None and message:
                break  # the next error's block
            code = cm.group("code")
        elif not _NPM_SKIP.match(body):
            if not message:
                message = body
            elif len(detail) < 6:
                detail.append(body)
        i += 1
    if not (message or code):
        return None, i
    # "code 1": npm 7+ names a failed install script by its exit code, which only wraps the script's error
    wrapper = code in _NPM_WRAPPERS or message.startswith(("Lifecycle script", "Failed at the", "command failed",
                                                           "code "))
    return Candidate(Priority.WRAPPER if wrapper else Priority.EXCEPTION, start,
                     error("error", message or f"code {code}", "javascript", code=code, detail=detail), end=i - 1), i


def _test_block(lines: list[str], i: int, name: str, root: Path | None) -> tuple[Candidate | None, int]:
    """A jest ``● Suite › test`` or vitest ``FAIL file > test`` block: the error line
    (an exception or an ``expect(...)`` assertion) and the stack under it."""
    n = len(lines)
    j = i + 1
    exc_type = msg = ""
    code: str | None = None
    frames: list[Frame] = []
    detail: list[str] = []
    while j < n and j < i + 200:
        s = lines[j].strip()
        if _JEST_HEAD.match(lines[j]) or _VITEST_HEAD.match(lines[j]):
            break
        at = _AT.match(lines[j])
        arrow = _ARROW_LOC.match(lines[j])
        if at:
            loc = at.group("loc") or at.group("bare") or ""
            lm = _LOC.match(loc)
            if lm:
                frames.append(make_frame(lm.group("path"), int(lm.group("line")), at.group("func"), root))
        elif arrow:
            frames.append(make_frame(arrow.group("path"), int(arrow.group("line")), arrow.group("func"), root))
        elif not exc_type and s:
            em = _EXC_LINE.match(s)
            if em:
                exc_type, code, msg = em.group("type"), em.group("code"), em.group("msg")
            elif _EXPECT.match(s):
                exc_type, msg = "AssertionError", s
        elif exc_type and s and not frames and len(detail) < 4 and not s.startswith((">", "|")) \
                and not re.match(r"^\d+ \|", s):
            detail.append(s)
        j += 1
    if not exc_type:
        return None, max(j, i + 1)
    frames.reverse()  # printed innermost first
    lang = _lang(frames[-1].path) if frames else ("typescript" if re.search(r"\.[cm]?tsx?\b", name) else "javascript")
    err = error(exc_type, msg, lang, frames=frames, code=code, detail=detail)
    return Candidate(Priority.EXCEPTION, i, err, end=j - 1), j
