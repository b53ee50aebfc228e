"""Tracebacks and stacks kept in a JSON log record's field, newlines escaped: read as such."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from memory_store.bugs.match import BugIndex
from memory_store.bugs.records import BugStore
from memory_store.errors import extract_errors, parse_error
from memory_store.errors.json_logs import unescaped
from memory_store.workspace import Workspace

TRACEBACK = """Traceback (most recent call last):
  File "/app/shop/api.py", line 42, in create_order
    total = compute(items)
  File "/app/shop/pricing.py", line 7, in compute
    return sum(i["price"] for i in items)
KeyError: 'price'"""

PLAIN = TRACEBACK.replace("/app/", "/home/dana/src/shop/").replace("line 7", "line 9")


def record(**fields: object) -> str:
    return json.dumps({"timestamp": "2024-05-01T10:00:00Z", "level": "ERROR", **fields})


def test_python_json_logger_exc_info_is_the_traceback() -> None:
    parsed = parse_error(record(message="Unhandled exception", exc_info=TRACEBACK))
    assert parsed is not None and (parsed.exc_type, parsed.message) == ("KeyError", "'price'")
    app = parsed.innermost_app_frame()
    assert app is not None and (app.function, app.line) == ("compute", 7)


def test_a_nested_field_and_a_log_prefix_are_read_too() -> None:
    line = "web-1  | " + json.dumps({"event": "request failed", "error": {"kind": "KeyError", "trace": TRACEBACK}})
    parsed = parse_error(line)
    assert parsed is not None and parsed.exc_type == "KeyError"


def test_a_pino_record_gives_the_node_error_and_its_stack() -> None:
    stack = ("TypeError: Cannot read properties of undefined (reading 'id')\n"
             "    at loadUser (/srv/api/src/users.js:14:22)\n    at async handler (/srv/api/src/routes.js:8:5)")
    line = json.dumps({"level": 50, "time": 1714557600000, "err": {"type": "TypeError", "stack": stack}})
    parsed = parse_error(line)
    assert parsed is not None and parsed.exc_type == "TypeError"
    assert [f.function for f in parsed.frames][-1] == "loadUser"


def test_a_record_cut_off_by_the_log_viewer_still_gives_its_traceback() -> None:
    line = record(message="boom", exc_info=TRACEBACK, extra="x" * 50)[:-30]  # no closing brace
    parsed = parse_error(line)
    assert parsed is not None and parsed.exc_type == "KeyError"


def test_the_record_is_the_text_kept() -> None:
    line = record(message="Unhandled exception", exc_info=TRACEBACK)
    parsed = parse_error(line)
    assert parsed is not None and parsed.text == line


def test_text_without_an_escaped_stack_is_left_alone() -> None:
    assert unescaped(TRACEBACK) is None
    assert unescaped(record(message="all good\\nreally")) is None


def test_a_command_output_of_json_records_yields_its_error() -> None:
    output = "\n".join([record(message="started"), record(message="Unhandled exception", exc_info=TRACEBACK),
                        record(message="stopping")])
    errors = extract_errors(output)
    assert [(e.exc_type, e.message) for e in errors] == [("KeyError", "'price'")]


def test_a_logged_record_and_a_plain_traceback_match_as_one_error(workspace: Workspace) -> None:
    store = BugStore(workspace)
    rec = store.build(PLAIN, "compute: skip items without a price (drafts have none)", author="test")
    other = store.build("KeyError: 'sku'", "send the sku field", author="test")
    found = BugIndex([rec, other]).match(record(message="Unhandled exception", exc_info=TRACEBACK))
    assert found and found[0].record["id"] == rec["id"] and found[0].confident


@given(st.text(max_size=300))
def test_any_text_around_an_escaped_stack_parses_without_error(noise: str) -> None:
    text = noise + '{"exc": "Traceback (most recent call last):\\n  File \\"' + noise.replace('"', "") + '\\"}'
    unescaped(text)
    parse_error(text)
