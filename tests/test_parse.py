"""Parsing error text into ParsedError: formats from real-world tools and libraries."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from memory_store.errors import ParsedError, extract_errors, parse_error
from memory_store.errors.frames import classify_path

DATA = Path(__file__).parent / "data" / "tracebacks"


def sample(name: str) -> str:
    return (DATA / f"{name}.txt").read_text(encoding="utf-8")


@pytest.mark.parametrize("name, exc_type, message_start", [
    pytest.param("requests_connection", "requests.exceptions.ConnectionError", "HTTPSConnectionPool(", id="requests"),
    pytest.param("django_doesnotexist", "orders.models.Order.DoesNotExist", "Order matching query", id="django"),
    pytest.param("sqlalchemy_chained", "sqlalchemy.exc.ProgrammingError", "(psycopg2.errors.UndefinedTable)",
                 id="sqlalchemy"),
    pytest.param("numpy_broadcast", "ValueError", "operands could not be broadcast", id="numpy"),
    pytest.param("pandas_keyerror", "KeyError", "'revenue_eur'", id="pandas"),
    pytest.param("node_typeerror", "TypeError", "Cannot read properties of undefined", id="node"),
    pytest.param("node_esm", "Error", "require() of ES Module", id="node-esm"),
    pytest.param("logging_output", "smtplib.SMTPAuthenticationError", "(535,", id="logging"),
    pytest.param("issue_post", "ModuleNotFoundError", "No module named 'dotenv'", id="markdown-quote"),
    pytest.param("docker_compose", "psycopg2.OperationalError", "could not connect to server", id="compose-prefix"),
    pytest.param("syntax_error", "SyntaxError", "'{' was never closed", id="syntax-error"),
    pytest.param("exception_group", "ConnectionRefusedError", "[Errno 111]", id="exception-group"),
    pytest.param("pytest_run", "AssertionError", "assert 121.00000000000001 == 121", id="pytest"),
])
def test_main_error_of_each_format(name: str, exc_type: str, message_start: str) -> None:
    err = parse_error(sample(name))
    assert err is not None
    assert err.exc_type == exc_type
    assert err.message.startswith(message_start)


def test_frames_are_classified_and_outermost_first() -> None:
    err = parse_error(sample("django_doesnotexist"))
    assert err is not None
    kinds = [(f.kind, f.module, f.function) for f in err.frames]
    assert kinds[0] == ("library", "django.core.handlers.exception", "inner")
    assert ("app", "orders.views", "order_detail") in kinds
    assert kinds[-1] == ("library", "django.db.models.query", "get")
    assert err.innermost_app_frame().function == "order_detail"
    assert all(f.line is not None for f in err.frames)


def test_node_frames_are_reversed_to_outermost_first_and_classified() -> None:
    err = parse_error(sample("node_typeerror"))
    assert err is not None and err.language == "javascript"
    assert err.frames[0].kind == "stdlib" and err.frames[0].path.startswith("node:internal/")
    assert err.frames[-1].function == "getCart" and err.frames[-1].kind == "app"
    express = [f for f in err.frames if f.kind == "library"]
    assert express and all(f.path.startswith("node_modules/express/") for f in express)


def test_node_error_code_is_kept() -> None:
    err = parse_error(sample("node_esm"))
    assert err is not None and err.code == "ERR_REQUIRE_ESM"
    assert err.headline.startswith("Error [ERR_REQUIRE_ESM]: ")
    assert err.innermost_app_frame().path.endswith("src/log.js")


def test_chained_exception_keeps_the_cause() -> None:
    err = parse_error(sample("sqlalchemy_chained"))
    assert err is not None
    assert err.chain == ['psycopg2.errors.UndefinedTable: relation "invoices" does not exist']
    assert "[SQL: SELECT" in err.detail
    assert [e.exc_type for e in extract_errors(sample("sqlalchemy_chained"))] == ["sqlalchemy.exc.ProgrammingError"]


def test_exception_group_reports_the_sub_exception() -> None:
    errors = extract_errors(sample("exception_group"))
    assert [e.exc_type for e in errors] == ["ConnectionRefusedError"]
    assert errors[0].chain[0].startswith("ExceptionGroup: unhandled errors in a TaskGroup")
    assert errors[0].innermost_app_frame().function == "probe"


def test_syntax_error_location_is_the_offending_file() -> None:
    err = parse_error(sample("syntax_error"), Path("/home/li/proj"))
    assert err is not None and err.location is not None
    assert (err.location.path, err.location.line) == ("config/settings_local.py", 14)
    assert err.innermost_app_frame().path == "config/loader.py"


def test_pytest_output_gives_one_error_per_failure() -> None:
    errors = extract_errors(sample("pytest_run"))
    assert [e.headline for e in errors] == [
        "inventory.errors.InsufficientStock: need 5, have 3",
        "AssertionError: assert 121.00000000000001 == 121",
    ]
    assert errors[0].frames[0].path == "tests/test_stock.py"
    assert errors[0].frames[0].function == "test_reserve_more_than_available"
    assert errors[0].innermost_app_frame().path == "inventory/stock.py"
    assert errors[1].frames[0].function == "test_vat"


def test_pytest_short_summary_alone() -> None:
    text = ("=========================== short test summary info ============================\n"
            "FAILED tests/test_api.py::test_login - KeyError: 'session_id'\n"
            "ERROR tests/test_db.py - ModuleNotFoundError: No module named 'asyncpg'\n"
            "========================= 1 failed, 1 error in 0.52s =========================\n")
    errors = extract_errors(text)
    assert [(e.exc_type, e.message) for e in errors] == [
        ("KeyError", "'session_id'"), ("ModuleNotFoundError", "No module named 'asyncpg'")]
    assert errors[0].frames[0].path == "tests/test_api.py" and errors[0].frames[0].function == "test_login"


def test_logging_output_around_a_traceback() -> None:
    err = parse_error(sample("logging_output"))
    assert err is not None
    assert err.innermost_app_frame().function == "send_welcome"
    assert err.detail == ""  # the later log line is not part of the message


@pytest.mark.parametrize("text, exc_type, message", [
    pytest.param("KeyError: 'user_id'", "KeyError", "'user_id'", id="bare"),
    pytest.param("`sqlite3.OperationalError: database is locked`", "sqlite3.OperationalError", "database is locked",
                 id="backticks"),
    pytest.param("> > ValueError: invalid literal for int() with base 10: 'abc'", "ValueError",
                 "invalid literal for int() with base 10: 'abc'", id="nested-quote"),
    pytest.param("Uncaught TypeError: Cannot read properties of null (reading 'addEventListener')", "TypeError",
                 "Cannot read properties of null (reading 'addEventListener')", id="browser-uncaught"),
    pytest.param("UnhandledPromiseRejectionWarning: Error: connect ECONNREFUSED 127.0.0.1:5432", "Error",
                 "connect ECONNREFUSED 127.0.0.1:5432", id="wrapped-node"),
    pytest.param("(sqlite3.OperationalError) no such table: users", "sqlite3.OperationalError",
                 "no such table: users", id="sqlalchemy-wrapped"),
    pytest.param("worker.py: TypeError('Object of type Decimal is not JSON serializable')", "TypeError",
                 "Object of type Decimal is not JSON serializable", id="repr"),
    pytest.param("2024-05-01T10:00:00Z ERROR botocore.exceptions.NoCredentialsError: Unable to locate credentials",
                 "botocore.exceptions.NoCredentialsError", "Unable to locate credentials", id="log-prefix"),
    pytest.param("error: externally-managed-environment", "error", "externally-managed-environment", id="generic"),
    pytest.param("npm ERR! code ERESOLVE", "error", "code ERESOLVE", id="npm"),
])
def test_single_lines(text: str, exc_type: str, message: str) -> None:
    err = parse_error(text)
    assert err is not None
    assert (err.exc_type, err.message) == (exc_type, message)


def test_text_without_error_syntax_falls_back_to_the_errorish_line() -> None:
    err = parse_error("building...\nmaximum recursion depth exceeded\ndone in 3s\n")
    assert err is not None and err.exc_type == "error" and err.message == "maximum recursion depth exceeded"


def test_a_tools_advice_after_its_error_is_not_taken_for_the_error() -> None:
    """A plain-text error followed by the tool's advice paragraph (no error word in either):
    the advice tells what to do, the error is the line before it."""
    text = ("Signing config not specified for variant release.\n\n"
            "If you have set signingConfig in an older file, you can use the migration tool.\n"
            "See https://example.org/docs/signing for more.\n")
    err = parse_error(text)
    assert err is not None and err.message == "Signing config not specified for variant release."


def test_advice_alone_is_still_an_answer() -> None:
    err = parse_error("Please reinstall the package.\n")
    assert err is not None and err.message == "Please reinstall the package."


def test_a_list_of_one_shape_gives_its_first_line() -> None:
    """A tool listing several findings of one shape: the first is the error the list is
    about (and the one other reports of the same problem start with)."""
    text = ("Conflicting entry com.acme.util.Strings found in lib-a-2.1.jar and lib-b-1.0.jar\n"
            "Conflicting entry com.acme.util.Numbers found in lib-a-2.1.jar and lib-b-1.0.jar\n")
    err = parse_error(text)
    assert err is not None and err.message.startswith("Conflicting entry com.acme.util.Strings ")


def test_the_last_of_different_lines_still_wins() -> None:
    """Only lines of one shape give way to the first: of different ones the last wins, as a
    log's last error is the one that stopped it."""
    err = parse_error("cannot reach mirror one\nretrying with mirror two\ncould not resolve artifact foo\n")
    assert err is not None and err.message == "could not resolve artifact foo"


@pytest.mark.parametrize("text", ["", "   \n\t\n"])
def test_empty_text_is_none(text: str) -> None:
    assert parse_error(text) is None
    assert extract_errors(text) == []


def test_excerpt_ending_in_raise_line_recovers_the_exception() -> None:
    text = ('  File "/usr/lib/python3/dist-packages/django/apps/registry.py", line 135, in check_apps_ready\n'
            '    raise AppRegistryNotReady("Apps aren\'t loaded yet.")\n')
    err = parse_error(text)
    assert err is not None
    assert (err.exc_type, err.message) == ("AppRegistryNotReady", "Apps aren't loaded yet.")
    assert err.frames[0].module == "django.apps.registry"


def test_secrets_are_redacted_before_parsing() -> None:
    text = ("Traceback (most recent call last):\n"
            '  File "/srv/app/db.py", line 3, in connect\n'
            "    engine = create_engine(url)\n"
            "sqlalchemy.exc.OperationalError: could not connect to postgresql://app:S3cretPass@db:5432/app\n")
    err = parse_error(text)
    assert err is not None
    assert "S3cretPass" not in err.message and "S3cretPass" not in err.text
    assert "<redacted:url-password>" in err.message


def test_exception_names_are_not_mistaken_for_secrets() -> None:
    err = parse_error("botocore.exceptions.NoCredentialsError: Unable to locate credentials")
    assert err is not None and err.message == "Unable to locate credentials"


@pytest.mark.parametrize("raw, kind, path, module", [
    pytest.param("/home/alice/.venv/lib/python3.11/site-packages/django/db/models/base.py", "library",
                 "site-packages/django/db/models/base.py", "django.db.models.base", id="posix-venv"),
    pytest.param("C:\\Users\\Bob\\envs\\x\\Lib\\site-packages\\django\\db\\models\\base.py", "library",
                 "site-packages/django/db/models/base.py", "django.db.models.base", id="windows-venv"),
    pytest.param("/usr/lib/python3.10/json/encoder.py", "stdlib", "<stdlib>/json/encoder.py", "json.encoder",
                 id="posix-stdlib"),
    pytest.param("C:\\Python311\\Lib\\ssl.py", "stdlib", "<stdlib>/ssl.py", "ssl", id="windows-stdlib"),
    pytest.param("<frozen importlib._bootstrap>", "stdlib", "<frozen importlib._bootstrap>", "importlib._bootstrap",
                 id="frozen"),
    pytest.param("node:internal/modules/cjs/loader", "stdlib", "node:internal/modules/cjs/loader",
                 "node:internal/modules/cjs/loader", id="node-internal"),
    pytest.param("/Users/me/app/node_modules/@aws-sdk/client-s3/dist-cjs/index.js", "library",
                 "node_modules/@aws-sdk/client-s3/dist-cjs/index.js", "@aws-sdk/client-s3/dist-cjs/index",
                 id="node-scoped"),
    pytest.param("/home/dana/proj/src/api/users.py", "app", "~/proj/src/api/users.py", "api.users", id="home"),
    pytest.param("D:\\work\\proj\\src\\api\\users.py", "app", "/work/proj/src/api/users.py", "api.users",
                 id="drive-letter"),
    pytest.param("/tmp/tmpa1b2c3/build/script.py", "app", "<tmp>/build/script.py", "build.script", id="temp"),
])
def test_paths_are_classified_and_machine_independent(raw: str, kind: str, path: str, module: str) -> None:
    assert classify_path(raw) == (path, kind, module)


def test_app_paths_become_workspace_relative(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    text = ("Traceback (most recent call last):\n"
            f'  File "{root}/src/worker/tasks.py", line 3, in <module>\n'
            "    import structlog\n"
            "ModuleNotFoundError: No module named 'structlog'\n")
    err = parse_error(text, root)
    assert err is not None
    assert err.frames[0].path == "src/worker/tasks.py" and err.frames[0].kind == "app"


def test_same_error_on_two_machines_gives_the_same_library_frames() -> None:
    linux = ('Traceback (most recent call last):\n'
             '  File "/home/a/.venv/lib/python3.11/site-packages/redis/connection.py", line 707, in connect\n'
             '    sock = self.retry.call_with_retry(\n'
             'redis.exceptions.ConnectionError: Error 111 connecting to localhost:6379. Connection refused.\n')
    windows = ('Traceback (most recent call last):\n'
               '  File "C:\\Users\\B\\AppData\\Local\\Programs\\Python\\Python311\\Lib\\site-packages\\redis\\'
               'connection.py", line 698, in connect\n'
               '    sock = self._connect()\n'
               'redis.exceptions.ConnectionError: Error 10061 connecting to localhost:6379. '
               'No connection could be made because the target machine actively refused it.\n')
    a, b = parse_error(linux), parse_error(windows)
    assert a is not None and b is not None
    assert (a.frames[0].path, a.frames[0].module) == (b.frames[0].path, b.frames[0].module)


def test_json_round_trip_keeps_every_field() -> None:
    err = parse_error(sample("sqlalchemy_chained"))
    assert err is not None
    again = ParsedError.from_json(err.to_json())
    assert again == err
    syntax = parse_error(sample("syntax_error"))
    assert syntax is not None and ParsedError.from_json(syntax.to_json()) == syntax


def test_from_json_tolerates_odd_fields() -> None:
    err = ParsedError.from_json({"type": "KeyError", "message": "'x'", "frames": [{"path": "a.py", "line": "7",
                                 "kind": "weird"}, "junk"], "chain": "nope"})
    assert err.frames[0].line is None and err.frames[0].kind == "app" and err.chain == []


def test_large_output_is_scanned_in_bounded_memory() -> None:
    failure = sample("pandas_keyerror")
    noise = "".join(f"INFO step {i} ok, processed {i * 7} rows\n" for i in range(2000))
    output = (noise + failure) * 200 + "x" * 5_000_000 + "\n" + sample("numpy_broadcast")
    assert len(output) > 20_000_000
    tracemalloc.start()
    try:
        errors = extract_errors(output)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert [e.exc_type for e in errors] == ["KeyError", "ValueError"]  # the repeats are one distinct error
    assert peak < 8_000_000


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(
    st.text(max_size=80),
    st.sampled_from(["Traceback (most recent call last):", '  File "/x/y.py", line 3, in f', "    y()",
                     "ValueError: bad", "    at f (/a/b.js:1:2)", "E   KeyError: 'k'", "FAILED t.py::x - E: m",
                     "=== short test summary info ===", "___ test_x ___", "During handling of the above exception,"
                     " another exception occurred:", "  | ExceptionGroup: g (1 sub-exception)", "> `x`"])),
    max_size=30))
def test_any_text_parses_without_crashing(lines: list[str]) -> None:
    text = "\n".join(lines)
    err = parse_error(text)
    assert err is None or isinstance(err, ParsedError)
    errors = extract_errors(text)
    assert all(isinstance(e, ParsedError) and e.exc_type for e in errors)
    if err is not None:
        assert ParsedError.from_json(err.to_json()) == err


def test_the_innermost_source_frame_skips_pseudo_files() -> None:
    """A cell, ``<stdin>`` or ``<string>`` is no file an editor can open: the innermost frame
    in a real project file is where an error can be shown."""
    text = ('Traceback (most recent call last):\n'
            '  File "<stdin>", line 1, in <module>\n'
            '  File "shop/stats.py", line 2, in avg\n'
            '    return sum(xs) / len(xs)\n'
            '  File "<string>", line 1, in helper\n'
            'ZeroDivisionError: division by zero\n')
    err = parse_error(text)
    assert err is not None and err.innermost_app_frame() is not None
    frame = err.innermost_source_frame()
    assert frame is not None and (frame.path, frame.function) == ("shop/stats.py", "avg")
    only_cell = parse_error('Traceback (most recent call last):\n  File "<stdin>", line 1, in <module>\n'
                            "KeyError: 'x'\n")
    assert only_cell is not None and only_cell.innermost_source_frame() is None


@pytest.mark.parametrize("text, message", [
    pytest.param("config/app.yml: unknown key 'timeout_s' in section 'server'\nFound 1 error.\n",
                 "config/app.yml: unknown key 'timeout_s' in section 'server'", id="count-of-errors"),
    pytest.param("deploy: uploading bundle\nbucket 'assets-prod' refused the upload: access denied\n"
                 "make: *** [Makefile:9: deploy] Error 1\n",
                 "bucket 'assets-prod' refused the upload: access denied", id="make-status"),
    pytest.param("ERROR: Cannot install web==1.0 and hooks==3.0 because these package versions have conflicting "
                 "dependencies.\n\nThe conflict is caused by:\n    web 1.0 depends on hooks<3\n\n"
                 "ERROR: ResolutionImpossible: for help visit https://pip.example/dependency-resolution\n",
                 "Cannot install web==1.0 and hooks==3.0 because these package versions have conflicting "
                 "dependencies.", id="pip-resolver"),
    pytest.param("Step 4/9 : RUN ./build.sh\nunable to locate package libgeos-dev\n"
                 "Error: Process completed with exit code 100.\n", "unable to locate package libgeos-dev",
                 id="ci-step"),
])
def test_a_line_reporting_only_an_outcome_gives_way_to_the_reason(text: str, message: str) -> None:
    err = parse_error(text)
    assert err is not None and err.message == message


def test_an_outcome_alone_is_still_the_answer() -> None:
    err = parse_error("make: *** [all] Error 2\n")
    assert err is not None and "Error 2" in err.message


def test_a_pytest_setup_error_gives_its_sections_message() -> None:
    """An error at a test's setup (a missing fixture) is titled ``ERROR at setup of test_total``
    while its summary line names ``test_total``: both are the one test's."""
    text = ("_________________________ ERROR at setup of test_total _________________________\n"
            "file /home/dana/shop/tests/test_cart.py, line 5\n"
            "  def test_total(db):\n"
            "E       fixture 'db' not found\n"
            ">       available fixtures: cache, capsys, monkeypatch, tmp_path\n"
            "\n"
            "/home/dana/shop/tests/test_cart.py:5\n"
            "=========================== short test summary info ============================\n"
            "ERROR tests/test_cart.py::test_total\n")
    err = parse_error(text)
    assert err is not None and err.message == "fixture 'db' not found"
    assert [f.function for f in err.frames] == ["test_total"]
