"""Hostile error text in the shapes read since this release: a Django debug page, a JSON log
record with an escaped traceback, Node's printed properties, a Rich box, a cleo block.

Such text arrives from a clone's run events, a pasted error or an agent. It can choose every
character; it cannot make the parser raise, recurse without bound, read a file, or carry
terminal escape sequences into the parsed error (the scanner strips them from every line,
whatever shape the error was read from)."""

from __future__ import annotations

import json

from memory_store.errors import extract_errors, parse_error

ESC = "\x1b"
OSC_LINK = "\x1b]8;;https://evil.example/\x07click\x1b]8;;\x07"


def _no_escapes(*texts: str) -> bool:
    return all(ESC not in t and "\x07" not in t for t in texts)


def test_a_deeply_nested_json_record_is_only_text() -> None:
    deep = "[" * 200_000 + '"Traceback (most recent call last):\\n  File \\"/a.py\\", line 1"' + "]" * 200_000
    for text in (deep, '{"a": ' + deep + "}"):
        assert parse_error(text) is not None
        extract_errors(text)


def test_escapes_inside_an_escaped_traceback_never_reach_the_error() -> None:
    tb = ("Traceback (most recent call last):\n  File \"/app/x.py\", line 3, in f\n    boom()\n"
          f"KeyError: '{OSC_LINK}\x1b[31mred\x1b[0m'")
    parsed = parse_error(json.dumps({"level": "ERROR", "exc_info": tb}))
    assert parsed is not None and parsed.exc_type == "KeyError"
    assert _no_escapes(parsed.message, *(f.path for f in parsed.frames), *(f.function or "" for f in parsed.frames))


def test_escapes_in_a_django_page_never_reach_the_error() -> None:
    page = (f"Exception Type: KeyError at /x{ESC}[2J\nException Value: 'id'{OSC_LINK}\n"
            f"Exception Location: /app/v{ESC}[31m.py, line 3, in view\n")
    parsed = parse_error(page)
    assert parsed is not None and parsed.exc_type == "KeyError"
    assert _no_escapes(parsed.message, *(f.path for f in parsed.frames))


def test_a_page_or_box_of_endless_fields_is_bounded() -> None:
    page = "Exception Type: KeyError\n" + "Exception Value: x\n" * 100_000
    assert parse_error(page) is not None
    box = "╭─ Traceback (most recent call last) ─╮\n" + "│ /app/a.py:1 in f │\n" * 100_000 + "KeyError: 'x'\n"
    parsed = parse_error(box)
    assert parsed is not None and parsed.exc_type == "KeyError" and len(parsed.frames) <= 200


def test_node_properties_give_only_a_plain_code() -> None:
    coloured = parse_error("Error: boom\n    at f (/a/b.js:1:1) {\n  code: 'ERR_X\x1b[31m'\n}\n")
    assert coloured is not None and coloured.code == "ERR_X"  # the colour is stripped with the line's
    for value in ("'ERR_X; rm -rf /'", "'err_lower'", "'E'", "`ERR_X`", "ERR_X"):
        parsed = parse_error(f"Error: boom\n    at f (/a/b.js:1:1) {{\n  code: {value}\n}}\n")
        assert parsed is not None and parsed.code is None, value  # only a quoted upper-case identifier


def test_a_cleo_block_names_only_its_own_frame() -> None:
    text = "\n  PoetryException\n\n  boom\n\n  at ../../../../etc/passwd:1 in <module>\n"
    parsed = parse_error(text)
    assert parsed is not None and parsed.exc_type == "PoetryException"
    assert all(not f.path.startswith("/etc") for f in parsed.frames)
