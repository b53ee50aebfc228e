"""Python's checkers and linters: mypy, pyright, ruff, flake8 and pylint diagnostics, one
error each, their summaries as wrappers, and a crashing checker's traceback as the error."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from memory_store.bugs.match import BugIndex
from memory_store.bugs.records import BugStore
from memory_store.errors import extract_errors, parse_error
from memory_store.errors.langs import pycheck
from memory_store.errors.langs.common import lines_of
from memory_store.errors.langs.detect import find_errors
from memory_store.errors.model import ParsedError
from memory_store.workspace import Workspace

MYPY = """\
$ mypy shop
shop/settings.py:3: error: Module "pydantic" has no attribute "BaseSettings"  [attr-defined]
shop/settings.py:3: note: See https://docs.pydantic.dev/2.7/migration/#basesettings-has-moved-to-pydantic-settings
shop/client.py:27: error: "Response" has no attribute "json"  [attr-defined]
shop/cart.py:41: error: Item "None" of "str | None" has no attribute "lower"  [union-attr]
shop/cart.py:58: error: Incompatible return value type (got "int | None", expected "int")  [return-value]
Found 4 errors in 3 files (checked 9 source files)
"""

MYPY_PRETTY = """\
shop/cart.py: note: In function "total":
shop/cart.py:41:16: error: Item "None" of "str | None" has no
attribute "lower"  [union-attr]
            code = coupon.lower()
                   ^~~~~~~~~~~~
shop/cart.py:58:12: error: Incompatible return value type (got
"int | None", expected "int")  [return-value]
            return subtotal if items else None
                   ^~~~~~~~~~~~~~~~~~~~~~~~~~~
Found 2 errors in 1 file (checked 9 source files)
"""

PYRIGHT = """\
/home/ana/shop/shop/client.py
  /home/ana/shop/shop/client.py:27:21 - error: Cannot access attribute "json" for class "Response"
    Attribute "json" is unknown (reportAttributeAccessIssue)
  /home/ana/shop/shop/client.py:33:9 - warning: Import "yaml" could not be resolved from source (reportMissingModuleSource)
/home/ana/shop/shop/cart.py
  /home/ana/shop/shop/cart.py:41:23 - error: "lower" is not a known attribute of "None" (reportOptionalMemberAccess)
  /home/ana/shop/shop/cart.py:44:5 - information: Code is unreachable
2 errors, 1 warning, 1 information
"""  # noqa: E501

PYRIGHT_OLD = """\
No configuration file found.
/home/ana/shop/shop/cart.py
  41:23 - error: "lower" is not a known attribute of "None" (reportOptionalMemberAccess)
1 error, 0 warnings, 0 infos
"""

RUFF = """\
shop/cart.py:3:8: F401 [*] `os` imported but unused
shop/cart.py:19:5: F841 Local variable `discount` is assigned to but never used
shop/views.py:7:1: E402 Module level import not at top of file
Found 3 errors.
[*] 1 fixable with the `--fix` option (1 hidden fix can be enabled with the `--unsafe-fixes` option).
"""

RUFF_FULL = """\
F401 [*] `os` imported but unused
 --> shop/cart.py:3:8
  |
1 | from decimal import Decimal
2 |
3 | import os
  |        ^^
  |
help: Remove unused import: `os`

invalid-syntax: Expected an expression
 --> shop/views.py:12:14
   |
12 |     total = (
   |              ^
   |

Found 2 errors.
[*] 1 fixable with `--fix`.
"""

FLAKE8 = """\
shop/cart.py:3:1: F401 'os' imported but unused
shop/cart.py:88:80: E501 line too long (97 > 79 characters)
"""

PYLINT = """\
************* Module shop.cart
shop/cart.py:3:0: W0611: Unused import os (unused-import)
shop/cart.py:27:15: E1101: Instance of 'Response' has no 'json' member (no-member)

------------------------------------------------------------------
Your code has been rated at 6.67/10 (previous run: 7.50/10, -0.83)
"""

MYPY_CRASH = """\
shop/cart.py:41: error: Item "None" of "str | None" has no attribute "lower"  [union-attr]
shop/models.py:12: error: INTERNAL ERROR -- Please try using mypy master on GitHub:
https://mypy.readthedocs.io/en/stable/common_issues.html#using-a-development-mypy-build
Please report a bug at https://github.com/python/mypy/issues
version: 1.10.0
Traceback (most recent call last):
  File "/home/ana/.venvs/shop/bin/mypy", line 8, in <module>
    sys.exit(console_entry())
  File "mypy/semanal.py", line 6712, in accept
  File "mypy/nodes.py", line 1163, in accept
  File "mypy/semanal.py", line 1780, in analyze_class
AssertionError: Internal error: unresolved placeholder type None
shop/models.py:12: : note: use --pdb to drop into pdb
"""


def parsed(text: str, root: Path | None = None) -> ParsedError:
    err = parse_error(text, root)
    assert err is not None
    return err


def summary(err: ParsedError) -> tuple[str, str | None, str, str | None, int | None]:
    loc = err.location
    return err.exc_type, err.code, err.message, loc.path if loc else None, loc.line if loc else None


# -- each tool's layouts ------------------------------------------------------------------
@pytest.mark.parametrize("text, expected", [
    pytest.param(MYPY, ("mypy", "attr-defined", 'Module "pydantic" has no attribute "BaseSettings"',
                        "shop/settings.py", 3), id="mypy"),
    pytest.param('shop/cart.py:58:12: error: Incompatible return value type (got "int | None", expected "int")  '
                 '[return-value]\n', ("mypy", "return-value",
                                      'Incompatible return value type (got "int | None", expected "int")',
                                      "shop/cart.py", 58), id="mypy-columns"),
    pytest.param('error: Cannot find implementation or library stub for module named "yaml"  [import-untyped]\n',
                 ("mypy", "import-untyped", 'Cannot find implementation or library stub for module named "yaml"',
                  None, None), id="mypy-without-path"),
    pytest.param("mypy: can't read file 'shop/cart.py': No such file or directory\n",
                 ("mypy", None, "can't read file 'shop/cart.py': No such file or directory", None, None),
                 id="mypy-own-failure"),
    pytest.param(MYPY_PRETTY, ("mypy", "union-attr", 'Item "None" of "str | None" has no attribute "lower"',
                               "shop/cart.py", 41), id="mypy-pretty"),
    pytest.param(PYRIGHT, ("pyright", "reportAttributeAccessIssue",
                           'Cannot access attribute "json" for class "Response"', "~/shop/shop/client.py", 27),
                 id="pyright"),
    pytest.param(PYRIGHT_OLD, ("pyright", "reportOptionalMemberAccess", '"lower" is not a known attribute of "None"',
                               "~/shop/shop/cart.py", 41), id="pyright-line-without-path"),
    pytest.param(RUFF, ("ruff", "F401", "`os` imported but unused", "shop/cart.py", 3), id="ruff-concise"),
    pytest.param(RUFF_FULL, ("ruff", "F401", "`os` imported but unused", "shop/cart.py", 3), id="ruff-full"),
    pytest.param(FLAKE8, ("lint", "F401", "'os' imported but unused", "shop/cart.py", 3), id="flake8"),
    pytest.param(PYLINT, ("pylint", "W0611", "Unused import os", "shop/cart.py", 3), id="pylint"),
])
def test_the_first_diagnostic_is_the_error_with_tool_code_message_and_line(
        text: str, expected: tuple[str, str | None, str, str | None, int | None]) -> None:
    err = parsed(text)
    assert summary(err) == expected
    assert err.language == "python"


def test_absolute_paths_are_relative_to_the_workspace(tmp_path: Path) -> None:
    text = PYRIGHT.replace("/home/ana/shop", str(tmp_path))
    err = parsed(text, tmp_path)
    assert err.location is not None
    assert (err.location.path, err.location.kind, err.location.module) == ("shop/client.py", "app", "shop.client")


def test_mypy_notes_are_the_errors_detail() -> None:
    first, second = extract_errors(MYPY)[:2]
    assert first.detail.startswith("See https://docs.pydantic.dev/2.7/migration/")
    assert second.detail == ""


def test_mypy_error_context_names_the_function() -> None:
    err = parsed(MYPY_PRETTY)
    assert err.location is not None and err.location.function == "total"


def test_pyright_rule_ends_the_last_line_of_its_message() -> None:
    err = parsed(PYRIGHT)
    assert err.message == 'Cannot access attribute "json" for class "Response"'
    assert err.detail == 'Attribute "json" is unknown'


def test_a_ruff_rule_that_says_ruff_names_the_tool_else_lint() -> None:
    assert parsed(FLAKE8).exc_type == "lint"
    assert parsed("$ flake8 shop\n" + FLAKE8).exc_type == "flake8"
    assert parsed("$ ruff check shop\n" + FLAKE8).exc_type == "ruff"
    assert parsed("shop/cart.py:3:8: F401 [*] `os` imported but unused\n").exc_type == "ruff"


def test_pylint_keeps_its_symbol_as_detail() -> None:
    err = parsed(PYLINT)
    assert err.detail == "unused-import"


def test_ruff_full_layout_keeps_its_help_and_reads_syntax_errors() -> None:
    found = extract_errors(RUFF_FULL)
    assert [summary(e) for e in found] == [
        ("ruff", "F401", "`os` imported but unused", "shop/cart.py", 3),
        ("ruff", "invalid-syntax", "Expected an expression", "shop/views.py", 12),
    ]
    assert found[0].detail == "Remove unused import: `os`"


# -- summaries ----------------------------------------------------------------------------
@pytest.mark.parametrize("text", [MYPY, MYPY_PRETTY, PYRIGHT, PYRIGHT_OLD, RUFF, RUFF_FULL])
def test_a_summary_is_never_chosen_over_a_diagnostic(text: str) -> None:
    summary_first = "\n".join([text.rstrip().splitlines()[-1], *text.splitlines()[:-1]]) + "\n"
    for variant in (text, summary_first):
        err = parsed(variant)
        assert err.location is not None and err.code is not None
        assert not err.message.startswith(("Found ", "2 errors", "1 error"))


@pytest.mark.parametrize("line", [
    "Found 4 errors in 3 files (checked 9 source files)",
    "Found 1 error in 1 file (errors prevented further checking)",
    "2 errors, 1 warning, 0 informations ",
    "Found 2 errors.",
])
def test_a_summary_alone_gives_way_to_the_reason_printed_with_it(line: str) -> None:
    assert pycheck.find(lines_of(line + "\n"), None) == []
    err = parsed(f"ERROR: the stub package for pydantic settings is missing\n{line}\n")
    assert err.message == "the stub package for pydantic settings is missing"


# -- every diagnostic of a run --------------------------------------------------------------
def test_extract_gives_every_mypy_diagnostic_in_order() -> None:
    found = extract_errors(MYPY)
    assert [(e.code, e.location.path if e.location else None, e.location.line if e.location else None)
            for e in found] == [
        ("attr-defined", "shop/settings.py", 3), ("attr-defined", "shop/client.py", 27),
        ("union-attr", "shop/cart.py", 41), ("return-value", "shop/cart.py", 58)]


@pytest.mark.parametrize("text, codes", [
    pytest.param(PYRIGHT, ["reportAttributeAccessIssue", "reportMissingModuleSource", "reportOptionalMemberAccess"],
                 id="pyright-errors-and-warnings-not-informations"),
    pytest.param(MYPY_PRETTY, ["union-attr", "return-value"], id="mypy-pretty"),
    pytest.param(RUFF, ["F401", "F841", "E402"], id="ruff"),
    pytest.param(FLAKE8, ["F401", "E501"], id="flake8"),
    pytest.param(PYLINT, ["W0611", "E1101"], id="pylint"),
])
def test_extract_gives_each_diagnostic_of_a_run(text: str, codes: list[str]) -> None:
    assert [e.code for e in extract_errors(text)] == codes


def test_pyright_errors_outrank_an_earlier_warning() -> None:
    text = PYRIGHT.replace("27:21 - error", "27:21 - warning")
    assert parsed(text).code == "reportOptionalMemberAccess"


# -- Python's own errors in the same output ---------------------------------------------------
def test_the_traceback_of_a_crashing_checker_is_the_error() -> None:
    err = parsed(MYPY_CRASH)
    assert (err.exc_type, err.message) == ("AssertionError", "Internal error: unresolved placeholder type None")
    assert err.frames and err.frames[-1].function == "analyze_class"
    assert [e.exc_type for e in extract_errors(MYPY_CRASH)] == ["AssertionError"]


def test_a_python_traceback_beside_checker_lines_is_the_error() -> None:
    text = MYPY + ("Traceback (most recent call last):\n  File \"/srv/shop/manage.py\", line 9, in <module>\n"
                   "    main()\nModuleNotFoundError: No module named 'pydantic_settings'\n")
    assert parsed(text).exc_type == "ModuleNotFoundError"


@pytest.mark.parametrize("text", [
    "tests/test_cart.py:12: AssertionError\n",
    "shop/cart.py:5: DeprecationWarning: datetime.utcnow() is deprecated\n  now = datetime.utcnow()\n",
    "src/main.c:3:10: fatal error: ffi.h: No such file or directory\n",
    "./cmd/main.go:12:2: undefined: Serve\n",
])
def test_other_located_lines_are_not_checker_diagnostics(text: str) -> None:
    assert pycheck.find(lines_of(text), None) == []
    assert all(c.error.language != "python" for c in find_errors(text))


# -- robustness ---------------------------------------------------------------------------
_SHAPES = st.sampled_from([
    "shop/cart.py", ":12", ":5", ": error: ", ": note: ", "  [attr-defined]", "[", "]", " - error: ",
    " - warning: ", " (reportAttributeAccessIssue)", "  ", "\n", "    ", " F401", " [*] ", "W0611: ",
    " (unused-import)", " --> ", "Found 3 errors in 2 files (checked 9 source files)",
    "1 error, 0 warnings, 0 informations",
    "Found 2 errors.", "************* Module shop.cart", "error: ", "mypy: ", "invalid-syntax: ", "help: ", '"',
    "Traceback (most recent call last):\n", "\x1b[31m", "C:\\shop\\cart.py",
])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(_SHAPES, st.text(max_size=30)), max_size=40))
def test_parsing_arbitrary_text_never_raises(parts: list[str]) -> None:
    text = "".join(parts)
    for cand in pycheck.find(lines_of(text), None):
        assert cand.error.exc_type and cand.index >= 0
    parse_error(text)
    extract_errors(text)


# -- matching -----------------------------------------------------------------------------
def _mypy(path: str, line: int, message: str, code: str) -> str:
    return f"{path}:{line}: error: {message}  [{code}]\nFound 1 error in 1 file (checked 12 source files)\n"


PYDANTIC = 'Module "pydantic" has no attribute "BaseSettings"'
_MEMORY = [
    ("shop/cart.py", 41, 'Item "None" of "str | None" has no attribute "lower"', "union-attr",
     "guard the None case before calling lower()"),
    ("shop/client.py", 8, 'Module "httpx" has no attribute "AsyncClient"', "attr-defined",
     "upgrade httpx: AsyncClient came with 0.18"),
    ("shop/stats.py", 19, 'Module "numpy" has no attribute "float"', "attr-defined",
     "numpy 1.24 removed np.float: use the builtin float"),
    ("shop/cart.py", 58, 'Incompatible return value type (got "int | None", expected "int")', "return-value",
     "return 0 for an empty cart"),
    ("shop/views.py", 5, 'Cannot find implementation or library stub for module named "yaml"', "import-untyped",
     "pip install types-PyYAML"),
]


@pytest.fixture
def index(workspace: Workspace) -> tuple[BugIndex, str]:
    """A team's memory of mypy errors, one of them pydantic 2's moved BaseSettings."""
    store = BugStore(workspace)
    rec = store.build(_mypy("shop/settings.py", 3, PYDANTIC, "attr-defined"),
                      "pydantic 2 moved BaseSettings: pip install pydantic-settings", author="test")
    others = [store.build(_mypy(p, n, m, c), fix, author="test") for p, n, m, c, fix in _MEMORY]
    return BugIndex([rec, *others]), rec["id"]


def test_the_same_mypy_error_in_another_file_is_a_confident_match(index: tuple[BugIndex, str]) -> None:
    idx, rid = index
    found = idx.match(_mypy("billing/config.py", 14, PYDANTIC, "attr-defined"))
    assert found and found[0].record["id"] == rid and found[0].confident


def test_another_attribute_of_the_same_module_is_not_a_confident_match(index: tuple[BugIndex, str]) -> None:
    idx, _ = index
    query = _mypy("billing/config.py", 14, 'Module "pydantic" has no attribute "validator"', "attr-defined")
    assert idx.match(query) == []
    assert all(not m.confident for m in idx.match(query, include_weak=True))


@pytest.mark.parametrize("stored, query", [
    ("Found 4 errors in 3 files (checked 9 source files)\n", "Found 2 errors in 1 file (checked 30 source files)\n"),
    ("3 errors, 0 warnings, 0 informations \n", "1 error, 2 warnings, 0 informations \n"),
])
def test_two_summaries_alone_are_not_a_confident_match(workspace: Workspace, stored: str, query: str) -> None:
    idx = BugIndex([BugStore(workspace).build(stored, "the fix of the stored run", author="test")])
    assert idx.match(query) == []


# -- a real run -----------------------------------------------------------------------------
def test_a_real_mypy_run_is_read_diagnostic_by_diagnostic(tmp_path: Path) -> None:
    pkg = tmp_path / "shop"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "cart.py").write_text(
        "def total(items: list[int], coupon: str | None) -> int:\n"
        "    code = coupon.lower()\n"
        "    return sum(items) if items else None\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("MYPY")}
    run = subprocess.run([sys.executable, "-m", "mypy", "--config-file", "", "--cache-dir", os.devnull,
                          "--no-color-output", "--show-column-numbers", "shop"],
                         cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 1, run.stdout + run.stderr
    found = extract_errors(run.stdout, tmp_path)
    assert [summary(e) for e in found] == [
        ("mypy", "union-attr", 'Item "None" of "str | None" has no attribute "lower"', "shop/cart.py", 2),
        ("mypy", "return-value", 'Incompatible return value type (got "int | None", expected "int")',
         "shop/cart.py", 3),
    ]
    assert summary(parsed(run.stdout, tmp_path)) == summary(found[0])
