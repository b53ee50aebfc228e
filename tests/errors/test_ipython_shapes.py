"""IPython and Jupyter tracebacks: every shape IPython has printed gives the error with its frames.

A cell is the user's own code under the stable path ``<cell>`` (its printed name changes every
run); library frames come out as the plain traceback of the same code gives them, so an error met
in a notebook and as a script share their library evidence.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from memory_store.bugs.features import features_of
from memory_store.bugs.match import BugIndex
from memory_store.bugs.records import BugStore
from memory_store.errors import extract_errors, parse_error
from memory_store.errors.frames import CELL_PATH, make_frame
from memory_store.errors.launchers import is_launcher_frame
from memory_store.errors.model import Frame, ParsedError
from memory_store.workspace import Workspace

SITE = "site-packages/pandas/core"
REPO = Path(__file__).resolve().parents[2]
APP = REPO / "bench" / "scenarios" / "shopapp"

# -- the same error: a missing column read in a cell (IPython >= 8.5) and in a script ------------
NOTEBOOK = """\
---------------------------------------------------------------------------
KeyError                                  Traceback (most recent call last)
File ~/venvs/ds/lib/python3.11/site-packages/pandas/core/indexes/base.py:3790, in Index.get_loc(self, key)
   3789 try:
-> 3790     return self._engine.get_loc(casted_key)
   3791 except KeyError as err:

File index.pyx:152, in pandas._libs.index.IndexEngine.get_loc()

File pandas/_libs/hashtable_class_helper.pxi:7088, in pandas._libs.hashtable.PyObjectHashTable.get_item()

KeyError: 'price'

The above exception was the direct cause of the following exception:

KeyError                                  Traceback (most recent call last)
Cell In[7], line 3
      1 orders = pd.read_csv("orders.csv")
      2 orders["qty"] = orders["qty"].fillna(0)
----> 3 orders["total"] = orders["price"] * orders["qty"]

File ~/venvs/ds/lib/python3.11/site-packages/pandas/core/frame.py:3893, in DataFrame.__getitem__(self, key)
   3891 if self.columns.nlevels > 1:
   3892     return self._getitem_multilevel(key)
-> 3893 indexer = self.columns.get_loc(key)
   3894 if is_integer(indexer):
   3895     indexer = [indexer]

File ~/venvs/ds/lib/python3.11/site-packages/pandas/core/indexes/base.py:3797, in Index.get_loc(self, key)
   3792     if isinstance(casted_key, slice) or (
   (...)
   3796         raise InvalidIndexError(key)
-> 3797     raise KeyError(key) from err
   3798 except TypeError:

KeyError: 'price'
"""

SCRIPT = """\
Traceback (most recent call last):
  File "/home/maya/venvs/ds/lib/python3.11/site-packages/pandas/core/indexes/base.py", line 3790, in get_loc
    return self._engine.get_loc(casted_key)
           ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
  File "index.pyx", line 152, in pandas._libs.index.IndexEngine.get_loc
  File "pandas/_libs/hashtable_class_helper.pxi", line 7088, in pandas._libs.hashtable.PyObjectHashTable.get_item
KeyError: 'price'

The above exception was the direct cause of the following exception:

Traceback (most recent call last):
  File "/home/maya/proj/reports/orders.py", line 9, in <module>
    orders["total"] = orders["price"] * orders["qty"]
                      ~~~~~~^^^^^^^^^
  File "/home/maya/venvs/ds/lib/python3.11/site-packages/pandas/core/frame.py", line 3893, in __getitem__
    indexer = self.columns.get_loc(key)
              ^^^^^^^^^^^^^^^^^^^^^^^^^
  File "/home/maya/venvs/ds/lib/python3.11/site-packages/pandas/core/indexes/base.py", line 3797, in get_loc
    raise KeyError(key) from err
KeyError: 'price'
"""

# -- IPython 8.0-8.4: "Input In [n]", the cell's line only in the marker ------------------------
NOTEBOOK_8_0 = """\
---------------------------------------------------------------------------
KeyError                                  Traceback (most recent call last)
Input In [12], in <cell line: 3>()
      1 orders = pd.read_csv("orders.csv")
      2 orders["qty"] = orders["qty"].fillna(0)
----> 3 orders["total"] = orders["price"] * orders["qty"]

File ~/venvs/ds/lib/python3.10/site-packages/pandas/core/frame.py:3505, in DataFrame.__getitem__(self, key)
   3503 if self.columns.nlevels > 1:
   3504     return self._getitem_multilevel(key)
-> 3505 indexer = self.columns.get_loc(key)
   3506 if is_integer(indexer):
   3507     indexer = [indexer]

File ~/venvs/ds/lib/python3.10/site-packages/pandas/core/indexes/base.py:3623, in Index.get_loc(self, key, method)
   3621     return self._engine.get_loc(casted_key)
   3622 except KeyError as err:
-> 3623     raise KeyError(key) from err
   3624 except TypeError:

KeyError: 'price'
"""

# -- IPython 7 and older: "path in func(args)", no line numbers but the marker's --------------
NOTEBOOK_7 = """\
---------------------------------------------------------------------------
KeyError                                  Traceback (most recent call last)
<ipython-input-4-6f2b2ad1c0ff> in <module>
      1 orders = pd.read_csv("orders.csv")
      2 orders["qty"] = orders["qty"].fillna(0)
----> 3 orders["total"] = orders["price"] * orders["qty"]

~/venvs/ds/lib/python3.7/site-packages/pandas/core/frame.py in __getitem__(self, key)
   2925             if self.columns.nlevels > 1:
   2926                 return self._getitem_multilevel(key)
-> 2927             indexer = self.columns.get_loc(key)
   2928             if is_integer(indexer):
   2929                 indexer = [indexer]

~/venvs/ds/lib/python3.7/site-packages/pandas/core/indexes/base.py in get_loc(self, key, method, tolerance)
   2657                 return self._engine.get_loc(key)
   2658             except KeyError:
-> 2659                 return self._engine.get_loc(self._maybe_cast_indexer(key))
   2660         indexer = self.get_indexer([key], method=method, tolerance=tolerance)
   2661         if indexer.ndim > 1 or indexer.size > 1:

pandas/_libs/index.pyx in pandas._libs.index.IndexEngine.get_loc()

pandas/_libs/hashtable_class_helper.pxi in pandas._libs.hashtable.PyObjectHashTable.get_item()

KeyError: 'price'
"""

# -- a cell calling a function defined in another cell -----------------------------------------
CELL_FUNCTION = """\
---------------------------------------------------------------------------
KeyError                                  Traceback (most recent call last)
Cell In[{n}], line 1
----> 1 {caller}(rows)

Cell In[{m}], line 3, in {function}(rows)
      1 def {function}(rows):
      2     out = 0
----> 3     for row in rows: out += row['price']
      4     return out

KeyError: 'price'
"""


def notebook(function: str, n: int = 5, m: int = 3) -> str:
    return CELL_FUNCTION.format(n=n, m=m, caller=function, function=function)


def library(frames: list[Frame]) -> list[Frame]:
    return [f for f in frames if f.kind != "app"]


def parsed(text: str, root: Path | None = None) -> ParsedError:
    found = parse_error(text, root)
    assert found is not None
    return found


# -- each shape: type, message, frames ---------------------------------------------------------
def test_ipython_8_5_cell_and_library_frames() -> None:
    error = parsed(NOTEBOOK)
    assert (error.exc_type, error.message, error.language) == ("KeyError", "'price'", "python")
    assert error.frames == [
        Frame(CELL_PATH, 3, "<module>", CELL_PATH, "app"),
        Frame(f"{SITE}/frame.py", 3893, "__getitem__", "pandas.core.frame", "library"),
        Frame(f"{SITE}/indexes/base.py", 3797, "get_loc", "pandas.core.indexes.base", "library"),
    ]
    assert error.chain == ["KeyError: 'price'"]


def test_notebook_library_frames_equal_the_scripts() -> None:
    notebook_error, script_error = parsed(NOTEBOOK), parsed(SCRIPT)
    assert library(notebook_error.frames) == library(script_error.frames)
    assert features_of(notebook_error).lib_frames == features_of(script_error).lib_frames != frozenset()


def test_ipython_8_0_input_cell_takes_its_line_from_the_marker() -> None:
    error = parsed(NOTEBOOK_8_0)
    assert (error.exc_type, error.message) == ("KeyError", "'price'")
    assert error.frames[0] == Frame(CELL_PATH, 3, "<module>", CELL_PATH, "app")
    assert [(f.path, f.line, f.function) for f in error.frames[1:]] == [
        (f"{SITE}/frame.py", 3505, "__getitem__"), (f"{SITE}/indexes/base.py", 3623, "get_loc")]
    assert features_of(error).lib_frames == features_of(parsed(SCRIPT)).lib_frames


def test_ipython_7_frames_take_their_lines_from_the_markers() -> None:
    error = parsed(NOTEBOOK_7)
    assert (error.exc_type, error.message) == ("KeyError", "'price'")
    assert [(f.path, f.line, f.function, f.kind) for f in error.frames[:3]] == [
        (CELL_PATH, 3, "<module>", "app"),
        (f"{SITE}/frame.py", 2927, "__getitem__", "library"),
        (f"{SITE}/indexes/base.py", 2659, "get_loc", "library"),
    ]
    # compiled frames print no source: no line, and the name a plain traceback prints
    plain = parsed('Traceback (most recent call last):\n'
                   '  File "pandas/_libs/index.pyx", line 1, in pandas._libs.index.IndexEngine.get_loc\n'
                   '  File "pandas/_libs/hashtable_class_helper.pxi", line 1, in '
                   'pandas._libs.hashtable.PyObjectHashTable.get_item\n'
                   "KeyError: 'price'\n")
    assert error.frames[3:] == [replace(f, line=None) for f in plain.frames]


@pytest.mark.parametrize("frame_line", [
    pytest.param("File c:\\Users\\Maya\\anaconda3\\Lib\\site-packages\\pandas\\core\\frame.py:3893, in "
                 "DataFrame.__getitem__(self, key)", id="ipython-8"),
    pytest.param("c:\\users\\maya\\anaconda3\\lib\\site-packages\\pandas\\core\\frame.py in "
                 "__getitem__(self, key)", id="ipython-7"),
])
def test_windows_paths_give_the_same_library_frame(frame_line: str) -> None:
    error = parsed("KeyError                                  Traceback (most recent call last)\n"
                   f"{frame_line}\n-> 3893 indexer = self.columns.get_loc(key)\n\nKeyError: 'price'\n")
    assert error.frames == [Frame(f"{SITE}/frame.py", 3893, "__getitem__", "pandas.core.frame", "library")]


def test_elided_frames_and_source_are_passed_over() -> None:
    text = """\
---------------------------------------------------------------------------
RecursionError                            Traceback (most recent call last)
Cell In[2], line 1
----> 1 depth(tree)

Cell In[1], line 3, in depth(node)
      1 def depth(node):
   (...)
----> 3     return 1 + max(depth(child) for child in node.children)

    [... skipping similar frames: depth at line 3 (2970 times)]

Cell In[1], line 3, in <genexpr>(.0)
----> 3     return 1 + max(depth(child) for child in node.children)

RecursionError: maximum recursion depth exceeded
"""
    error = parsed(text)
    assert (error.exc_type, error.message) == ("RecursionError", "maximum recursion depth exceeded")
    assert [(f.line, f.function) for f in error.frames] == [(1, "<module>"), (3, "depth"), (3, "<genexpr>")]


def test_compiled_frames_keep_the_name_a_plain_traceback_prints() -> None:
    plain = parsed('Traceback (most recent call last):\n  File "index.pyx", line 152, in '
                   'pandas._libs.index.IndexEngine.get_loc\nKeyError: \'price\'\n')
    shown = parsed("KeyError                                  Traceback (most recent call last)\n"
                   "File index.pyx:152, in pandas._libs.index.IndexEngine.get_loc()\n\nKeyError: 'price'\n")
    assert shown.frames == plain.frames


def test_cell_function_frames_name_the_function() -> None:
    error = parsed(notebook("total"))
    assert [(f.path, f.line, f.function, f.kind) for f in error.frames] == [
        (CELL_PATH, 1, "<module>", "app"), (CELL_PATH, 3, "total", "app")]
    assert features_of(error).app_top == f"{CELL_PATH}:total"


def test_two_runs_of_one_notebook_give_the_same_frames() -> None:
    first = parsed(notebook("total", n=5, m=3))
    again = parsed(notebook("total", n=41, m=40))
    assert first.frames == again.frames
    old = parsed(notebook("total").replace("Cell In[5], line 1", "<ipython-input-5-0c1d2e3f4a5b> in <module>")
                 .replace("Cell In[3], line 3, in total(rows)", "<ipython-input-3-9a8b7c6d5e4f> in total(rows)"))
    assert old.frames == first.frames


@pytest.mark.parametrize("path", [
    pytest.param("/tmp/ipykernel_48213/2208177465.py", id="linux"),
    pytest.param("/var/folders/k2/x7_q0z9n1b3c/T/ipykernel_912/16802553.py", id="macos"),
    pytest.param("C:\\Users\\Maya\\AppData\\Local\\Temp\\ipykernel_7304\\3019456782.py", id="windows"),
    pytest.param("<ipython-input-12-1f0e2d3c4b5a>", id="ipython-7"),
])
def test_a_kernel_compiled_cell_is_a_cell(path: str) -> None:
    ipython_7 = parsed(f"KeyError                                  Traceback (most recent call last)\n"
                       f"{path} in total(rows)\n----> 3     for row in rows: out += row['price']\n\n"
                       f"KeyError: 'price'\n")
    plain = parsed(f'Traceback (most recent call last):\n  File "{path}", line 3, in total\n'
                   f"    for row in rows: out += row['price']\nKeyError: 'price'\n")
    assert ipython_7.frames == plain.frames == [Frame(CELL_PATH, 3, "total", CELL_PATH, "app")]


def test_cells_are_in_app_code_never_launcher_frames() -> None:
    error = parsed(notebook("total"))
    assert all(f.kind == "app" and not is_launcher_frame(f) for f in error.frames)
    assert f"{CELL_PATH}:total" in features_of(error).app_frames


def test_a_script_run_with_percent_run_keeps_only_its_own_frames() -> None:
    """Older IPython printed its own ``%run`` machinery above the script's frames."""
    text = """\
---------------------------------------------------------------------------
ZeroDivisionError                         Traceback (most recent call last)
/usr/lib/python2.7/dist-packages/IPython/utils/py3compat.py in execfile(fname, *where)
    202             else:
    203                 filename = fname
--> 204             __builtin__.execfile(filename, *where)

/home/maya/proj/reports/march.py in <module>()
----> 9 print(average([]))

/home/maya/proj/reports/march.py in average(prices)
----> 4     return sum(prices) / len(prices)

ZeroDivisionError: division by zero
"""
    error = parsed(text)
    assert [(f.function, f.line) for f in error.frames] == [("execfile", 204), ("<module>", 9), ("average", 4)]
    assert [is_launcher_frame(f) for f in error.frames] == [True, False, False]
    features = features_of(error)
    assert features.app_top == "reports/march:average" and not features.lib_frames


@pytest.mark.parametrize("path, function", [
    pytest.param("IPython/core/magics/execution.py", "time", id="percent-time"),
    pytest.param("IPython/core/magics/execution.py", "run", id="percent-run"),
    pytest.param("IPython/utils/py3compat.py", "execfile", id="execfile"),
    pytest.param("IPython/core/interactiveshell.py", "run_code", id="run-code"),
])
def test_ipythons_own_runners_are_launchers(path: str, function: str) -> None:
    frame = make_frame(f"/home/maya/venvs/ds/lib/python3.11/site-packages/{path}", 1, function)
    assert frame.kind == "library" and is_launcher_frame(frame)


def test_chained_ipython_blocks_keep_the_cause() -> None:
    text = NOTEBOOK_7.replace("KeyError: 'price'\n", "KeyError: 'price'\n\nDuring handling of the above exception, "
                              "another exception occurred:\n\n") + """\
---------------------------------------------------------------------------
ValueError                                Traceback (most recent call last)
Cell In[9], line 4, in load(path)
      2 try:
      3     return frame["price"]
----> 4 except KeyError:
      5     raise ValueError(f"{path}: no price column")

ValueError: orders.csv: no price column
"""
    error = parsed(text)
    assert (error.exc_type, error.message) == ("ValueError", "orders.csv: no price column")
    assert error.chain == ["KeyError: 'price'"]
    assert error.frames == [Frame(CELL_PATH, 4, "load", CELL_PATH, "app")]


@pytest.mark.parametrize("escape", [pytest.param("\x1b", id="terminal"),
                                    pytest.param("", id="escape-lost-in-a-copy")])
def test_colours_are_read_through(escape: str) -> None:
    coloured = NOTEBOOK.replace("KeyError   ", f"{escape}[0;31mKeyError{escape}[0m   ").replace(
        "-> 3893", f"{escape}[1;32m-> 3893{escape}[0m").replace(
        "File ~/", f"{escape}[0;32mFile {escape}[0m{escape}[38;5;28m~/").replace(
        "KeyError: 'price'", f"{escape}[0;31mKeyError{escape}[0m: 'price'")
    assert coloured != NOTEBOOK
    error = parsed(coloured)
    assert (error.exc_type, error.message, error.frames) == ("KeyError", "'price'", parsed(NOTEBOOK).frames)


@pytest.mark.parametrize("text, line", [
    pytest.param("  Cell In[2], line 1\n    total = price *\n                   ^\nSyntaxError: invalid syntax\n", 1,
                 id="ipython-8.5"),
    pytest.param("  Input In [2]\n    total = price *\n                   ^\nSyntaxError: invalid syntax\n", None,
                 id="ipython-8.0"),
])
def test_a_cells_syntax_error_points_at_the_cell(text: str, line: int | None) -> None:
    error = parsed(text)
    assert (error.exc_type, error.message, error.frames) == ("SyntaxError", "invalid syntax", [])
    assert error.location is not None and (error.location.path, error.location.line) == (CELL_PATH, line)


def test_home_paths_in_a_home_workspace_are_workspace_relative(tmp_path: Path) -> None:
    text = ("ZeroDivisionError                         Traceback (most recent call last)\n"
            "Cell In[2], line 1\n----> 1 stats.avg([])\n\n"
            "File ~/proj/shop/stats.py:5, in avg(values)\n      4 def avg(values):\n"
            "----> 5     return sum(values) / len(values)\n\nZeroDivisionError: division by zero\n")
    inside = parsed(text, Path("/home/maya/proj"))
    assert inside.frames[-1] == Frame("shop/stats.py", 5, "avg", "shop.stats", "app")
    assert features_of(inside).app_top == "shop/stats:avg"
    elsewhere = parsed(text, Path("/srv/checkouts/proj"))
    assert elsewhere.frames[-1].path == "~/proj/shop/stats.py"


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(["NOTEBOOK", "NOTEBOOK_8_0", "NOTEBOOK_7", "CELL_FUNCTION"]), st.integers(0, 3000),
       st.text(max_size=40), st.integers(0, 3000))
def test_cut_or_corrupted_ipython_tracebacks_never_raise(name: str, cut: int, junk: str, at: int) -> None:
    """A paste cut anywhere, or with anything in the middle of a frame or source line."""
    text = globals()[name]
    for variant in (text[:cut], text[cut:], text[:at] + junk + text[at:]):
        parse_error(variant)
        for error in extract_errors(variant):
            assert error.exc_type


# -- matching: the notebook meets the script's record, never a look-alike's --------------------
@pytest.fixture
def store(workspace: Workspace) -> BugStore:
    return BugStore(workspace)


def record(store: BugStore, error: str, fix: str) -> dict[str, Any]:
    return store.build(error, fix, author="test")


def confident_ids(index: BugIndex, query: str) -> list[str]:
    found = index.match(query, include_weak=True)
    return [m.record["id"] for m in found if m.confident]


UNRELATED = "ModuleNotFoundError: No module named 'openpyxl'"


@pytest.mark.parametrize("query", [NOTEBOOK, NOTEBOOK_8_0, NOTEBOOK_7], ids=["ipython-8.5", "ipython-8.0",
                                                                             "ipython-7"])
def test_a_notebook_error_matches_the_scripts_record(store: BugStore, query: str) -> None:
    rec = record(store, SCRIPT, "the export renamed price to unit_price: read unit_price")
    index = BugIndex([rec, record(store, UNRELATED, "pip install openpyxl")])
    assert confident_ids(index, query) == [rec["id"]]


def test_the_scripts_error_matches_the_notebooks_record(store: BugStore) -> None:
    rec = record(store, NOTEBOOK, "the export renamed price to unit_price: read unit_price")
    assert confident_ids(BugIndex([rec]), SCRIPT) == [rec["id"]]


# A generic message (the runtime's own words, naming nothing) is the same bug only when the same
# function raised it: inside a library, the same library function; in a cell, the same cell function.
LIBRARY_GENERIC = """---------------------------------------------------------------------------
IndexError                                Traceback (most recent call last)
Cell In[6], line 2
      1 sheet = ledger.open("march.xlsx")
----> 2 sheet.header()

File ~/venvs/ds/lib/python3.11/site-packages/ledgerkit/sheet.py:88, in Sheet.header(self)
     86 def header(self):
     87     rows = self._read_rows(limit=1)
---> 88     return rows[0]

IndexError: list index out of range
"""

LIBRARY_GENERIC_SCRIPT = """Traceback (most recent call last):
  File "/home/maya/proj/reports/march.py", line 4, in <module>
    print(sheet.header())
          ^^^^^^^^^^^^^^
  File "/home/maya/venvs/ds/lib/python3.11/site-packages/ledgerkit/sheet.py", line 88, in header
    return rows[0]
           ~~~~^^^
IndexError: list index out of range
"""

LIBRARY_GENERIC_ELSEWHERE = """---------------------------------------------------------------------------
IndexError                                Traceback (most recent call last)
Cell In[8], line 1
----> 1 sheet["B2"].first_value()

File ~/venvs/ds/lib/python3.11/site-packages/ledgerkit/cells.py:31, in Cell.first_value(self)
     29 def first_value(self):
     30     values = self._values()
---> 31     return values[0]

IndexError: list index out of range
"""

CELL_GENERIC = """---------------------------------------------------------------------------
ZeroDivisionError                         Traceback (most recent call last)
Cell In[{n}], line 1
----> 1 {function}([])

Cell In[{m}], line 2, in {function}(prices)
      1 def {function}(prices):
----> 2     return sum(prices) / len(prices)

ZeroDivisionError: division by zero
"""


def cell_generic(function: str, n: int = 5, m: int = 3) -> str:
    return CELL_GENERIC.format(n=n, m=m, function=function)


def test_a_generic_message_from_the_same_library_function_matches(store: BugStore) -> None:
    rec = record(store, LIBRARY_GENERIC_SCRIPT, "march.xlsx has no header row: pass header=None")
    assert not features_of(parsed(LIBRARY_GENERIC)).specific
    assert confident_ids(BugIndex([rec]), LIBRARY_GENERIC) == [rec["id"]]


def test_a_generic_message_from_another_library_function_is_not_confident(store: BugStore) -> None:
    index = BugIndex([record(store, LIBRARY_GENERIC_SCRIPT, "march.xlsx has no header row: pass header=None")])
    assert index.match(LIBRARY_GENERIC_ELSEWHERE, include_weak=True), "the look-alike is a candidate"
    assert confident_ids(index, LIBRARY_GENERIC_ELSEWHERE) == []


def test_a_generic_message_from_another_cell_function_is_not_confident(store: BugStore) -> None:
    index = BugIndex([record(store, cell_generic("average"), "average of no prices is 0")])
    assert index.match(cell_generic("spread"), include_weak=True), "the look-alike is a candidate"
    assert confident_ids(index, cell_generic("spread")) == []


def test_a_generic_message_from_the_same_cell_function_run_again_matches(store: BugStore) -> None:
    rec = record(store, cell_generic("average", n=5, m=3), "average of no prices is 0")
    assert confident_ids(BugIndex([rec]), cell_generic("average", n=17, m=16)) == [rec["id"]]


# -- real IPython, the bench app's bugs (bench/scenarios/shopapp) from two checkouts -----------
def run_in(checkout: Path, *argv: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "PYTHON"))}
    env.update(PYTHONPATH=str(checkout), PYTHONDONTWRITEBYTECODE="1", NO_COLOR="1",
               IPYTHONDIR=str(checkout.parent / ".ipython"))
    done = subprocess.run([sys.executable, *argv], cwd=checkout, env=env, capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode != 0, done.stdout + done.stderr
    return done.stdout + done.stderr


def in_ipython(checkout: Path, bug: str) -> str:
    return run_in(checkout, "-m", "IPython", "--colors=NoColor", "--no-banner", "--HistoryManager.enabled=False",
                  "-c", f"from shop.bugs import trigger; trigger({bug!r})")


@pytest.fixture(scope="module")
def checkouts(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    out = []
    for where in ("maya/notebooks/shop", "ci/runs/7/shop"):
        root = tmp_path_factory.mktemp("checkout") / where
        shutil.copytree(APP, root, ignore=shutil.ignore_patterns("__pycache__"))
        out.append(root)
    return out


def test_a_real_ipython_cell_names_the_raising_function(checkouts: list[Path]) -> None:
    output = in_ipython(checkouts[0], "stats_avg")
    assert "Cell In[1], line 1" in output
    error = parsed(output, checkouts[0])
    assert (error.exc_type, error.message) == ("ZeroDivisionError", "division by zero")
    assert error.frames[0] == Frame(CELL_PATH, 1, "<module>", CELL_PATH, "app")
    assert error.frames[-1] == Frame("shop/stats.py", 3, "avg", "shop.stats", "app")
    features = features_of(error)
    assert features.app_top == "shop/stats:avg" and not features.lib_frames


def test_a_real_ipython_error_matches_the_scripts_record_from_another_checkout(checkouts: list[Path]) -> None:
    store = BugStore(Workspace(checkouts[1]))
    rec = store.build(run_in(checkouts[1], "run_bug.py", "stats_avg"), "avg() of no values is 0.0", author="test")
    index = BugIndex([rec])
    found = index.match(in_ipython(checkouts[0], "stats_avg"), workspace_root=checkouts[0])
    assert [m.record["id"] for m in found if m.confident] == [rec["id"]]
    look_alike = in_ipython(checkouts[0], "stats_spread")  # division by zero too, raised by spread()
    assert parsed(look_alike).message == "division by zero"
    assert not [m for m in index.match(look_alike, workspace_root=checkouts[0], include_weak=True) if m.confident]
