"""Python tools that print an exception their own way: cleo (Poetry) and Rich (Typer's default)."""

from __future__ import annotations

from memory_store.errors import parse_error

POETRY = """Updating dependencies
Resolving dependencies...

  SolverProblemError

  Because myproj depends on requests (^3.0) which doesn't match any versions, version solving failed.

  at ~/.local/pipx/venvs/poetry/lib/python3.11/site-packages/poetry/puzzle/solver.py:241 in _solve
      237│             packages = result.packages
      238│         except OverrideNeeded as e:
"""

POETRY_INSTALL = """Installing the current project: myproj (0.1.0)

  ModuleOrPackageNotFound

  No file/folder found for package myproj

  at ~/.local/pipx/venvs/poetry/lib/python3.11/site-packages/poetry/core/masonry/package_include.py:64 in check
"""

RICH = """╭───────────────────── Traceback (most recent call last) ──────────────────────╮
│ /app/cli.py:14 in main                                                       │
│                                                                              │
│   11 def main():                                                             │
│ ❱ 14 │   cfg = load(path)                                                    │
│                                                                              │
│ ╭──────── locals ────────╮                                                   │
│ │ path = '/etc/x'        │                                                   │
│ ╰────────────────────────╯                                                   │
│ /app/config.py:5 in load                                                     │
│                                                                              │
│ ❱  5 │   return json.loads(open(p).read())["db"]                             │
╰──────────────────────────────────────────────────────────────────────────────╯
KeyError: 'db'
"""


def test_a_poetry_error_gives_its_class_message_and_raising_frame() -> None:
    parsed = parse_error(POETRY)
    assert parsed is not None and parsed.exc_type == "SolverProblemError"
    assert parsed.message.startswith("Because myproj depends on requests (^3.0)")
    assert [(f.function, f.line) for f in parsed.frames] == [("_solve", 241)]


def test_a_poetry_install_error_too() -> None:
    parsed = parse_error(POETRY_INSTALL)
    assert parsed is not None
    assert (parsed.exc_type, parsed.message) == ("ModuleOrPackageNotFound", "No file/folder found for package myproj")


def test_a_heading_alone_on_a_line_is_no_exception() -> None:
    parsed = parse_error("\n  Summary\n\n  3 packages installed\n\nerror: could not write lock file\n")
    assert parsed is not None and parsed.exc_type != "Summary"
    parsed = parse_error("\n  UpdatingDependencies\n\n  resolving\n")  # no 'at path:line in f' line
    assert parsed is None or parsed.exc_type != "UpdatingDependencies"


def test_a_rich_traceback_gives_its_frames() -> None:
    parsed = parse_error(RICH)
    assert parsed is not None and (parsed.exc_type, parsed.message) == ("KeyError", "'db'")
    assert [(f.function, f.line) for f in parsed.frames] == [("main", 14), ("load", 5)]
    app = parsed.innermost_app_frame()
    assert app is not None and app.function == "load"


def test_a_rich_traceback_matches_the_plain_one() -> None:
    plain = parse_error('Traceback (most recent call last):\n  File "/srv/x/cli.py", line 14, in main\n'
                        '    cfg = load(path)\n  File "/srv/x/config.py", line 5, in load\n'
                        '    return json.loads(open(p).read())["db"]\nKeyError: \'db\'\n')
    rich = parse_error(RICH)
    assert plain is not None and rich is not None
    assert [f.function for f in plain.frames] == [f.function for f in rich.frames]


def test_a_long_rich_box_keeps_every_frame() -> None:
    """Rich prints source lines (and locals) around every frame: far more lines than any plain
    traceback's, none of them noise."""
    frames = []
    for n in range(6):
        frames.append(f"│ /app/shop/step{n}.py:{10 + n} in step{n}".ljust(79) + "│")
        frames += [f"│   {k} x = {k}".ljust(79) + "│" for k in range(9)]
        frames.append("│".ljust(79) + "│")
    box = "\n".join(["╭──── Traceback (most recent call last) ────╮", *frames, "╰" + "─" * 77 + "╯",
                     "ZeroDivisionError: division by zero"])
    parsed = parse_error(box)
    assert parsed is not None and (parsed.exc_type, parsed.message) == ("ZeroDivisionError", "division by zero")
    assert [f.function for f in parsed.frames] == [f"step{n}" for n in range(6)]


WRAPPED = """╭───────────────────── Traceback (most recent call last) ──────────────────────╮
│ /tmp/pytest-of-root/pytest-914x/polyglot-visual-studio-code0-longer-name/rep │
│ ort.py:7 in <module>                                                         │
│                                                                              │
│ ❱ 7 print(avg([]))                                                           │
│                                                                              │
│ /tmp/pytest-of-root/pytest-914x/polyglot-visual-studio-code0-longer-name/too │
│ ls/stats.py:2 in avg                                                         │
│                                                                              │
│ ❱ 2 │   return sum(values) / len(values)                                     │
╰──────────────────────────────────────────────────────────────────────────────╯
ZeroDivisionError: division by zero
"""


def test_a_path_rich_wrapped_onto_the_next_line_is_one_frame() -> None:
    parsed = parse_error(WRAPPED)
    assert parsed is not None and parsed.exc_type == "ZeroDivisionError"
    assert [(f.path.rsplit("/", 2)[-2:], f.function, f.line) for f in parsed.frames] == [
        (["polyglot-visual-studio-code0-longer-name", "report.py"], "<module>", 7), (["tools", "stats.py"], "avg", 2)]


WORD_WRAPPED = """╭───────────────────── Traceback (most recent call last) ──────────────────────╮
│ /tmp/pytest-of-root/pytest-921/polyglot-visual-studio-code0/report.py:7 in   │
│ <module>                                                                     │
│                                                                              │
│ ❱ 7 print(avg([]))                                                           │
│                                                                              │
│ /tmp/pytest-of-root/pytest-921/polyglot-visual-studio-code0/tools/stats.py:2 │
│ in avg                                                                       │
│                                                                              │
│ ❱ 2 │   return sum(values) / len(values)                                     │
╰──────────────────────────────────────────────────────────────────────────────╯
ZeroDivisionError: division by zero
"""


def test_a_frame_line_rich_wrapped_before_its_function_is_one_frame() -> None:
    parsed = parse_error(WORD_WRAPPED)
    assert parsed is not None
    assert [(f.path.rsplit("/", 1)[-1], f.function, f.line) for f in parsed.frames] == [
        ("report.py", "<module>", 7), ("stats.py", "avg", 2)]
