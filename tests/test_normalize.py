"""Message templates and fingerprints: volatile values masked, meaningful identifiers kept."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from memory_store.errors import Frame, ParsedError, fingerprint, message_template
from memory_store.errors.normalize import frame_key, is_specific, quoted_values, template_tokens

identifiers = st.from_regex(r"[a-z][a-z0-9_]{1,14}", fullmatch=True)
numbers = st.integers(min_value=0, max_value=10**12)
hex_addresses = st.integers(min_value=0x1000, max_value=2**64 - 1).map(hex)
uuids = st.uuids().map(str)
users = st.from_regex(r"[a-z][a-z0-9]{2,10}", fullmatch=True)


@given(a=numbers, b=numbers)
def test_numbers_do_not_change_the_template(a: int, b: int) -> None:
    assert message_template("OSError", f"[Errno {a}] Address already in use: port {a}") == \
        message_template("OSError", f"[Errno {b}] Address already in use: port {b}")


@given(a=hex_addresses, b=hex_addresses)
def test_addresses_do_not_change_the_template(a: str, b: str) -> None:
    msg = "<urllib3.connection.HTTPSConnection object at {}>: Failed to establish a new connection"
    assert message_template("NewConnectionError", msg.format(a)) == \
        message_template("NewConnectionError", msg.format(b))


@given(a=uuids, b=uuids)
def test_uuids_do_not_change_the_template(a: str, b: str) -> None:
    assert message_template("DoesNotExist", f"Order {a} does not exist") == \
        message_template("DoesNotExist", f"Order {b} does not exist")


@given(a=st.datetimes(), b=st.datetimes())
def test_timestamps_do_not_change_the_template(a, b) -> None:  # type: ignore[no-untyped-def]
    assert message_template("ValueError", f"token expired at {a.isoformat(sep=' ')}") == \
        message_template("ValueError", f"token expired at {b.isoformat(sep=' ')}")


@given(a=users, b=users)
def test_user_home_paths_do_not_change_the_template(a: str, b: str) -> None:
    posix = f"[Errno 2] No such file or directory: '/home/{a}/proj/config.yaml'"
    windows = f"[Errno 2] No such file or directory: 'C:\\Users\\{b}\\proj\\config.yaml'"
    assert message_template("FileNotFoundError", posix) == message_template("FileNotFoundError", windows)


@given(a=identifiers, b=identifiers)
def test_different_quoted_identifiers_give_different_templates(a: str, b: str) -> None:
    ta = message_template("ModuleNotFoundError", f"No module named '{a}'")
    tb = message_template("ModuleNotFoundError", f"No module named '{b}'")
    assert (ta == tb) == (a == b)
    assert f"'{a}'" in ta


@given(a=identifiers, n=numbers)
def test_template_is_idempotent(a: str, n: int) -> None:
    t = message_template("KeyError", f"'{a}' missing after {n} retries at 0xdeadbeef")
    assert message_template("KeyError", t) == t


@pytest.mark.parametrize("message, template", [
    pytest.param("No module named 'structlog'", "No module named 'structlog'", id="identifier-kept"),
    pytest.param("Error 111 connecting to localhost:6379. Connection refused.",
                 "Error <n> connecting to localhost:<n>. Connection refused.", id="numbers"),
    pytest.param("'utf-8' codec can't decode byte 0xff in position 0: invalid start byte",
                 "'utf-8' codec can't decode byte <hex> in position <n>: invalid start byte", id="codec-name-kept"),
    pytest.param("Cannot find module './homePage.jsx' from '/tmp/dejaVu/_site/src/js'",
                 "Cannot find module './homePage.jsx' from '<path>/js'", id="paths"),
    pytest.param("Must use import to load ES Module: C:\\proj\\node_modules\\node-fetch\\src\\index.js",
                 "Must use import to load ES Module: <path>/node_modules/node-fetch/src/index.js", id="library-path"),
    pytest.param('connection to server at "localhost" (127.0.0.1), port 5432 failed',
                 'connection to server at "localhost" (<ip>), port <n> failed', id="ip"),
    pytest.param("'charmap' codec can't encode character '\\u2764' in position 129",
                 "'charmap' codec can't encode character '<chr>' in position <n>", id="char-escape"),
    pytest.param('"Object of type datetime is not JSON serializable"',
                 "Object of type datetime is not JSON serializable", id="outer-quotes"),
])
def test_known_templates(message: str, template: str) -> None:
    assert message_template("Error", message) == template


def test_tokens_keep_quoted_identifiers_whole() -> None:
    tokens = template_tokens(message_template("Error", "Cannot find module 'node:events'"))
    assert "'node:events'" in tokens and "node" in tokens and "events" in tokens
    assert quoted_values("No module named 'cv2'") == {"cv2"}


def test_fingerprint_ignores_call_site_machine_and_module_path() -> None:
    a = ParsedError("botocore.exceptions.NoCredentialsError", "Unable to locate credentials",
                    [Frame("~/a/app.py", 3, "main", "a.app", "app")])
    b = ParsedError("NoCredentialsError", "Unable to locate credentials",
                    [Frame("/srv/b/worker.py", 90, "run", "b.worker", "app")])
    assert fingerprint(a) == fingerprint(b)
    c = ParsedError("NoCredentialsError", "Partial credentials found in env")
    assert fingerprint(a) != fingerprint(c)


def test_fingerprint_keeps_error_codes_apart() -> None:
    a = ParsedError("Error", "something failed", code="ERR_REQUIRE_ESM")
    b = ParsedError("Error", "something failed", code="ERR_UNKNOWN_FILE_EXTENSION")
    assert fingerprint(a) != fingerprint(b)


@pytest.mark.parametrize("exc_type, message, specific", [
    pytest.param("RecursionError", "maximum recursion depth exceeded", False, id="builtin-plain"),
    pytest.param("OSError", "[Errno 98] Address already in use", True, id="builtin-os-condition"),
    pytest.param("ValueError", "not enough values to unpack (expected 2, got 1)", False, id="builtin-runtime-wording"),
    pytest.param("KeyError", "", False, id="builtin-no-message"),
    pytest.param("RuntimeError", "Working outside of application context.", True, id="builtin-library-wording"),
    pytest.param("ReferenceError", "fetch is not defined", True, id="unquoted-name-not-defined"),
    pytest.param("TypeError", "undefined is not a function", False, id="language-name-not-a-function"),
    pytest.param("ModuleNotFoundError", "No module named 'cv2'", True, id="quoted"),
    pytest.param("ImproperlyConfigured", "The SECRET_KEY setting must not be empty.", True, id="library-type"),
    pytest.param("KeyError", "'user_id'", True, id="key"),
    pytest.param("ValueError", "invalid value for MAX_CONN", True, id="constant"),
    pytest.param("redis.exceptions.ConnectionError", "Error 111 connecting to localhost:6379.", True,
                 id="library-subclass-of-builtin-name"),
])
def test_specific_messages(exc_type: str, message: str, specific: bool) -> None:
    assert is_specific(exc_type, message_template(exc_type, message)) is specific


@pytest.mark.parametrize("exc_type, message, specific", [
    pytest.param("fatal error", "all goroutines are asleep - deadlock!", False, id="go-runtime"),
    pytest.param("panic", "runtime error: invalid memory address or nil pointer dereference", False, id="go-panic"),
    pytest.param("panic", "called `Option::unwrap()` on a `None` value", False, id="rust-unwrap"),
    pytest.param("java.lang.NullPointerException", "", False, id="jvm-runtime"),
    pytest.param("System.NullReferenceException", "Object reference not set to an instance of an object.", False,
                 id="dotnet-runtime"),
    pytest.param("NoMethodError", "undefined method `total' for nil:NilClass", True, id="ruby-names-a-method"),
    pytest.param("java.lang.IllegalStateException", "Kafka producer already closed", True, id="jvm-library-wording"),
    pytest.param("com.acme.OrderException", "", True, id="library-type-without-message"),
])
def test_other_runtimes_own_errors_are_generic(exc_type: str, message: str, specific: bool) -> None:
    assert is_specific(exc_type, message_template(exc_type, message)) is specific


@pytest.mark.parametrize("key, entry", [(":main.main", True), ("app/cli:main", True), ("Shop.Program:Main", True),
                                        ("shop/stats:avg", False), ("cart:(*Cart).Total", False)])
def test_entry_points_are_recognised(key: str, entry: bool) -> None:
    from memory_store.errors.normalize import is_entry_point

    assert is_entry_point(key) is entry


def test_an_error_code_makes_a_message_specific() -> None:
    template = message_template("error", "Cannot read properties of undefined (reading 'map')")
    assert is_specific("error", template) is False
    assert is_specific("error", template, code="TS2532") is True


def test_frame_key_uses_function_and_module_not_line() -> None:
    lib = Frame("site-packages/django/apps/registry.py", 135, "check_apps_ready", "django.apps.registry", "library")
    assert frame_key(lib) == "django.apps.registry:check_apps_ready"
    app1 = Frame("~/x/src/api/users.py", 41, "get_user", "api.users", "app")
    app2 = Frame("src/api/users.py", 97, "get_user", "src.api.users", "app")
    assert frame_key(app1) == frame_key(app2) == "users:get_user"
