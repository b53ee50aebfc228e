"""Python's fatal-error dumps (faulthandler): a crash in C code, an abort, a fatal error met while
starting, a timeout's dump. Each gives ``Fatal Python error`` (or the exception the dump printed)
with the current thread's frames in traceback order and the loaded C extensions as detail; a
crash in one library's function matches its record from any app file, a crash elsewhere does
not, and parsing never raises on a cut or corrupted dump."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from memory_store.bugs.features import features_of
from memory_store.bugs.match import BugIndex
from memory_store.bugs.records import BugStore
from memory_store.errors import extract_errors, parse_error
from memory_store.errors.launchers import is_launcher_frame
from memory_store.errors.model import ParsedError
from memory_store.workspace import Workspace

EXTENSIONS = "Extension modules: numpy.core._multiarray_umath, numpy.linalg._umath_linalg, cv2 (total: 3)"


def crash(app: str = "shop/scanner.py", line: int = 7, library: str = "cv2", function: str = "bootstrap",
          signal: str = "Segmentation fault") -> str:
    """A segfault met while importing a C extension, run with ``python -m``."""
    return f"""Fatal Python error: {signal}

Current thread 0x00007f91d4e2c740 (most recent call first):
  File "/srv/venv/lib/python3.11/site-packages/{library}/__init__.py", line 153 in {function}
  File "/srv/venv/lib/python3.11/site-packages/{library}/__init__.py", line 181 in <module>
  File "/srv/{app}", line {line} in <module>
  File "<frozen runpy>", line 88 in _run_code
  File "<frozen runpy>", line 198 in _run_module_as_main

{EXTENSIONS}
{signal} (core dumped)
"""


THREADS = """Fatal Python error: Aborted

Thread 0x00007f2b8effd6c0 (most recent call first):
  File "/usr/lib/python3.12/threading.py", line 355 in wait
  File "/usr/lib/python3.12/queue.py", line 171 in get
  File "/opt/worker/jobs/pool.py", line 40 in drain
  File "/usr/lib/python3.12/threading.py", line 1012 in run

Thread 0x00007f2b8f7fe6c0 (most recent call first):
  <no Python frame>

Current thread 0x00007f2b93c1a740 (most recent call first):
  Garbage-collecting
  File "/opt/worker/.venv/lib/python3.12/site-packages/grpc/_channel.py", line 1160 in _blocking
  File "/opt/worker/jobs/report.py", line 88 in send
  File "/opt/worker/main.py", line 12 in <module>

Extension modules: grpc._cython.cygrpc, google._upb._message (total: 2)
Aborted (core dumped)
"""

TIMEOUT = """Timeout (0:00:05)!
Thread 0x00007fb7b36dc6c0 (most recent call first):
  File "/usr/lib/python3.11/threading.py", line 320 in wait
  File "/srv/ana/shop/tests/helpers.py", line 9 in wait_for_worker

Thread 0x00007fb7b4249b80 (most recent call first):
  File "/srv/ana/shop/shop/locks.py", line 31 in acquire_both
  File "/srv/ana/shop/tests/test_locks.py", line 14 in test_transfer
"""

ENCODINGS = """Fatal Python error: init_fs_encoding: failed to get the Python codec of the filesystem encoding
Python runtime state: core initialized
ModuleNotFoundError: No module named 'encodings'

Current thread 0x00007f4bf0881b80 (most recent call first):
  <no Python frame>
"""

SITE = """Fatal Python error: init_import_site: Failed to import the site module
Python runtime state: initialized
Traceback (most recent call last):
  File "/opt/py/lib/python3.11/site.py", line 73, in <module>
    import os
  File "/opt/py/lib/python3.11/os.py", line 29, in <module>
    from _collections_abc import _check_methods
ModuleNotFoundError: No module named 'encodings'

Current thread 0x00007f5c1e2a9740 (most recent call first):
  <no Python frame>
"""

GIL = """Fatal Python error: _PyInterpreterState_GET: the function must be called with the GIL held, after Python \
initialization and before Python finalization, but the GIL is released (the current Python thread state is NULL)
Python runtime state: initialized

Current thread 0x00007f0e4d3ff6c0 (most recent call first):
  File "/srv/venv/lib/python3.11/site-packages/pyaudio/__init__.py", line 440 in read
  File "/srv/app/recorder.py", line 22 in capture
"""

PYTEST = """============================= test session starts ==============================
collected 3 items

tests/test_vision.py ..Fatal Python error: Segmentation fault

Current thread 0x00007f1683c34b80 (most recent call first):
  File "/srv/venv/lib/python3.11/site-packages/cv2/__init__.py", line 153 in bootstrap
  File "/srv/shop/tests/test_vision.py", line 11 in test_detect
  File "/srv/venv/lib/python3.11/site-packages/_pytest/python.py", line 187 in pytest_pyfunc_call
  File "/srv/venv/lib/python3.11/site-packages/pluggy/_callers.py", line 80 in _multicall
  File "/srv/venv/lib/python3.11/site-packages/_pytest/runner.py", line 169 in pytest_runtest_call
  File "/srv/venv/lib/python3.11/site-packages/pytest/__main__.py", line 5 in <module>
  File "<frozen runpy>", line 88 in _run_code
  File "<frozen runpy>", line 198 in _run_module_as_main
Segmentation fault (core dumped)
"""


def parsed(text: str, root: Path | None = None) -> ParsedError:
    err = parse_error(text, root)
    assert err is not None
    return err


def where(err: ParsedError) -> list[tuple[str, str | None]]:
    return [(f.path, f.function) for f in err.frames]


# --- shapes --------------------------------------------------------------------------------
def test_a_segfault_gives_the_fatal_error_and_the_current_threads_frames_outermost_first() -> None:
    err = parsed(crash())
    assert (err.exc_type, err.message, err.language) == ("Fatal Python error", "Segmentation fault", "python")
    assert where(err) == [("<frozen runpy>", "_run_module_as_main"), ("<frozen runpy>", "_run_code"),
                          ("/srv/shop/scanner.py", "<module>"), ("site-packages/cv2/__init__.py", "<module>"),
                          ("site-packages/cv2/__init__.py", "bootstrap")]
    assert [f.kind for f in err.frames] == ["stdlib", "stdlib", "app", "library", "library"]
    assert [f.line for f in err.frames] == [198, 88, 7, 181, 153]
    assert is_launcher_frame(err.frames[0], "python") and not is_launcher_frame(err.frames[-1], "python")


def test_the_extension_modules_are_detail_not_message() -> None:
    err = parsed(crash())
    assert err.detail == EXTENSIONS
    assert "cv2" not in err.message


@pytest.mark.parametrize("signal", ["Aborted", "Bus error", "Floating point exception", "Illegal instruction"])
def test_other_fatal_signals_keep_their_name_as_the_message(signal: str) -> None:
    err = parsed(crash(signal=signal))
    assert (err.exc_type, err.message) == ("Fatal Python error", signal)
    assert err.frames[-1].function == "bootstrap"


def test_the_current_thread_is_the_crashs_among_several_threads() -> None:
    err = parsed(THREADS)
    assert (err.exc_type, err.message) == ("Fatal Python error", "Aborted")
    assert where(err) == [("/opt/worker/main.py", "<module>"), ("/opt/worker/jobs/report.py", "send"),
                          ("site-packages/grpc/_channel.py", "_blocking")]
    assert err.detail.splitlines() == ["Garbage-collecting",
                                       "Extension modules: grpc._cython.cygrpc, google._upb._message (total: 2)"]


def test_a_timeouts_dump_takes_the_main_threads_frames() -> None:
    err = parsed(TIMEOUT)
    assert (err.exc_type, err.message) == ("Timeout", "0:00:05")
    assert where(err) == [("/srv/ana/shop/tests/test_locks.py", "test_transfer"),
                          ("/srv/ana/shop/shop/locks.py", "acquire_both")]


def test_an_exception_printed_by_the_fatal_error_is_the_error() -> None:
    err = parsed(ENCODINGS)
    assert (err.exc_type, err.message, err.frames) == ("ModuleNotFoundError", "No module named 'encodings'", [])
    assert err.chain == ["Fatal Python error: init_fs_encoding: failed to get the Python codec of the filesystem "
                         "encoding"]


def test_a_traceback_printed_by_the_fatal_error_is_the_error() -> None:
    err = parsed(SITE)
    assert (err.exc_type, err.message) == ("ModuleNotFoundError", "No module named 'encodings'")
    assert where(err) == [("<stdlib>/site.py", "<module>"), ("<stdlib>/os.py", "<module>")]
    assert err.chain == ["Fatal Python error: init_import_site: Failed to import the site module"]
    assert len(extract_errors(SITE)) == 1


def test_a_fatal_error_naming_a_runtime_function_keeps_its_whole_message() -> None:
    err = parsed(GIL)
    assert err.exc_type == "Fatal Python error"
    assert err.message.startswith("_PyInterpreterState_GET: the function must be called with the GIL held")
    assert err.message.endswith("(the current Python thread state is NULL)")
    assert where(err) == [("/srv/app/recorder.py", "capture"), ("site-packages/pyaudio/__init__.py", "read")]


def test_a_crash_inside_pytests_output_gives_the_tests_frames() -> None:
    err = parsed(PYTEST)
    assert (err.exc_type, err.message) == ("Fatal Python error", "Segmentation fault")
    assert where(err)[-2:] == [("/srv/shop/tests/test_vision.py", "test_detect"),
                               ("site-packages/cv2/__init__.py", "bootstrap")]
    assert any(f.function == "pytest_pyfunc_call" and is_launcher_frame(f, "python") for f in err.frames)


def test_a_dump_without_its_header_takes_the_signal_from_the_shells_line() -> None:
    text = crash().split("\n", 2)[2]  # pasted from the thread block on
    err = parsed(text)
    assert (err.exc_type, err.message) == ("Fatal Python error", "Segmentation fault")
    assert err.frames[-1].function == "bootstrap"


def test_a_thread_without_python_frames_gives_no_frames() -> None:
    err = parsed("Fatal Python error: Segmentation fault\n\nCurrent thread 0x00007f00 (most recent call first):\n"
                 "  <no Python frame>\n")
    assert (err.exc_type, err.message, err.frames) == ("Fatal Python error", "Segmentation fault", [])


def test_a_python_3_14_thread_name_and_c_stack_are_read_through() -> None:
    text = ("Fatal Python error: Segmentation fault\n\n"
            "Current thread 0x00007f3c2a1b8740 [python3] (most recent call first):\n"
            '  File "/srv/app/vision.py", line 5 in detect\n\n'
            "Current thread's C stack trace (most recent call first):\n"
            '  Binary file "/usr/bin/python3.14", at _Py_DumpStack+0x31 [0x5b3d1c]\n\n'
            f"{EXTENSIONS}\n")
    err = parsed(text)
    assert where(err) == [("/srv/app/vision.py", "detect")]
    assert err.detail == EXTENSIONS


def test_a_windows_fatal_exception_is_a_dump_too() -> None:
    text = ("Windows fatal exception: access violation\n\n"
            "Current thread 0x000022ac (most recent call first):\n"
            '  File "C:\\shop\\.venv\\Lib\\site-packages\\cv2\\__init__.py", line 153 in bootstrap\n'
            '  File "C:\\shop\\scan.py", line 3 in <module>\n')
    err = parsed(text)
    assert (err.exc_type, err.message) == ("Windows fatal exception", "access violation")
    assert [f.function for f in err.frames] == ["<module>", "bootstrap"]
    assert err.frames[-1].kind == "library"


@pytest.mark.parametrize("line", ["Segmentation fault (core dumped)", "Killed", "Aborted (core dumped)"])
def test_a_shells_signal_line_alone_stays_a_generic_line(line: str) -> None:
    err = parsed(line)
    assert (err.exc_type, err.message, err.frames) == ("error", line, [])
    assert not features_of(err).specific


def test_the_fatal_errors_wording_names_nothing_particular_but_a_runtime_function_does() -> None:
    assert not features_of(parsed(crash())).specific
    assert not features_of(parsed(TIMEOUT)).specific
    assert features_of(parsed(GIL)).specific


def test_a_real_crash_is_read_from_its_stderr() -> None:
    run = subprocess.run([sys.executable, "-X", "faulthandler", "-c", "import ctypes; ctypes.string_at(0)"],
                         capture_output=True, text=True, timeout=60, check=False)
    assert run.returncode != 0
    err = parsed(run.stderr)
    assert (err.exc_type, err.message) == ("Fatal Python error", "Segmentation fault")
    assert [(f.path, f.function, f.kind) for f in err.frames] == [
        ("<string>", "<module>", "app"), ("<stdlib>/ctypes/__init__.py", "string_at", "stdlib")]


# --- robustness ----------------------------------------------------------------------------
_SAMPLES = [crash(), THREADS, TIMEOUT, ENCODINGS, SITE, GIL, PYTEST]


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(_SAMPLES), st.integers(0, 1500), st.text(max_size=80), st.integers(0, 1500))
def test_cut_or_corrupted_dumps_never_raise(text: str, cut: int, junk: str, at: int) -> None:
    broken = text[:cut] + junk + text[cut:at] if at > cut else text[:cut] + junk
    err = parse_error(broken)
    assert err is None or isinstance(err, ParsedError)
    assert isinstance(extract_errors(broken), list)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(["Fatal Python error: Aborted", "Current thread 0x7f (most recent call first):",
                                 "Thread 0x7e (most recent call first):", '  File "/a/b.py", line 3 in f',
                                 '  File "x", line ??? in g', "  <no Python frame>", "Timeout (0:00:01)!",
                                 "Traceback (most recent call last):", "ValueError: bad", "", "Killed",
                                 "Extension modules: cv2 (total: 1)", "Python runtime state: initialized"]),
                max_size=30))
def test_any_sequence_of_dump_lines_parses(lines: list[str]) -> None:
    err = parse_error("\n".join(lines))
    assert err is None or all(f.path for f in err.frames)


# --- matching ------------------------------------------------------------------------------
@pytest.fixture
def store(workspace: Workspace) -> BugStore:
    return BugStore(workspace)


def record(store: BugStore, error: str, fix: str) -> dict[str, Any]:
    return store.build(error, fix, author="test")


def test_the_same_crash_met_from_another_app_file_is_a_confident_match(store: BugStore) -> None:
    rec = record(store, crash(app="shop/scanner.py", line=7), "install opencv-python-headless: the GUI build "
                                                               "needs libGL, missing in the slim image")
    other = record(store, crash(library="torch", function="_load_global_deps"), "match torch's CUDA build")
    found = BugIndex([rec, other]).match(crash(app="billing/receipts.py", line=41), include_weak=True)
    assert found and found[0].record["id"] == rec["id"] and found[0].confident
    assert all(not m.confident for m in found[1:])


def test_a_segfault_in_another_library_is_not_confident(store: BugStore) -> None:
    index = BugIndex([record(store, crash(), "install opencv-python-headless")])
    query = crash(app="billing/receipts.py", library="torch", function="_load_global_deps")
    assert index.match(query) == []
    assert all(not m.confident for m in index.match(query, include_weak=True))


@pytest.mark.parametrize("stored", [pytest.param(crash(), id="dump"),
                                    pytest.param("Segmentation fault (core dumped)", id="bare-line"),
                                    pytest.param("Fatal Python error: Segmentation fault", id="header-only")])
def test_a_bare_segfault_line_is_never_a_confident_match(store: BugStore, stored: str) -> None:
    index = BugIndex([record(store, stored, "the fix of another crash")])
    assert index.match("Segmentation fault (core dumped)") == []
    assert all(not m.confident for m in index.match("Segmentation fault (core dumped)", include_weak=True))


def test_a_cut_traceback_printed_by_the_fatal_error_keeps_its_frames_and_the_dumps_headline() -> None:
    cut = SITE.replace("ModuleNotFoundError: No module named 'encodings'\n", "")
    err = parsed(cut)
    assert err.exc_type == "error"
    assert where(err) == [("<stdlib>/site.py", "<module>"), ("<stdlib>/os.py", "<module>")]
    assert err.chain == ["Fatal Python error: init_import_site: Failed to import the site module"]
