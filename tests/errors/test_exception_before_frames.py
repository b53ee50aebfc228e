"""An exception printed before its frames (Streamlit's error box, error trackers' issue text):
the frames that follow are that exception's."""

from __future__ import annotations

from memory_store.errors import extract_errors, parse_error

STREAMLIT = """KeyError: 'price'
Traceback:
File "/home/u/app/.venv/lib/python3.11/site-packages/streamlit/runtime/script_runner.py", line 552, in _run_script
    exec(code, module.__dict__)
File "/home/u/app/dashboard.py", line 12, in <module>
    st.metric("Total", df["price"].sum())
"""

TRACKER = """KeyError: 'price'
  File "shop/api.py", line 42, in create_order
    total = compute(items)
  File "shop/pricing.py", line 7, in compute
    return sum(i["price"] for i in items)
"""


def test_streamlit_error_box_gives_the_exception_with_its_frames() -> None:
    parsed = parse_error(STREAMLIT)
    assert parsed is not None and (parsed.exc_type, parsed.message) == ("KeyError", "'price'")
    assert [f.function for f in parsed.frames] == ["_run_script", "<module>"]


def test_an_error_tracker_issue_gives_the_exception_with_its_frames() -> None:
    parsed = parse_error(TRACKER)
    assert parsed is not None and (parsed.exc_type, parsed.message) == ("KeyError", "'price'")
    app = parsed.innermost_app_frame()
    assert app is not None and app.function == "compute"


def test_one_error_not_two_in_a_command_output() -> None:
    assert [(e.exc_type, e.message, len(e.frames)) for e in extract_errors(TRACKER)] == [("KeyError", "'price'", 2)]


def test_a_traceback_with_its_own_exception_line_keeps_it() -> None:
    text = "ValueError: earlier\n" + TRACKER.split("\n", 1)[1] + "TypeError: later\n"
    parsed = parse_error(text)
    assert parsed is not None and (parsed.exc_type, parsed.message) == ("TypeError", "later")


def test_frames_long_after_an_exception_line_are_not_its() -> None:
    filler = "\n".join(f"INFO step {i} done" for i in range(20))
    parsed = parse_error("KeyError: 'price'\n" + filler + "\n" + TRACKER.split("\n", 1)[1])
    assert parsed is not None and (parsed.exc_type, parsed.message, len(parsed.frames)) == ("error", "", 2)
