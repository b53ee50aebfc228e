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
                 "Error <n> connecting to localhost:<n>. Connection refused", id="numbers"),
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


# Versions: kept where a package, tool or requirement names them; volatile numbers still masked.

@pytest.mark.parametrize("message", [
    pytest.param("npm ERR! Could not resolve dependency: peer react@18.2.0 from react-dom@18.2.0", id="npm-at"),
    pytest.param("Could not resolve dependency: peer @babel/core@^7.0.0-0 from babel-loader@9.1.3",
                 id="npm-scoped-caret"),
    pytest.param("Could not find com.squareup.okhttp3:okhttp:4.12.0.", id="maven-coordinates"),
    pytest.param("Plugin [id: 'com.android.application', version: '8.1.1'] was not found", id="gradle-plugin"),
    pytest.param("Could not resolve com.android.tools.build:gradle:8.2.0.", id="gradle-colon"),
    pytest.param("go: go.mod requires go >= 1.22 (running go 1.21.6; GOTOOLCHAIN=local)", id="go-requires"),
    pytest.param('compile: version "go1.22.0" does not match go tool version "go1.21.4"', id="go-toolchain-word"),
    pytest.param("failed to select a version for 'tokio': tokio v1.35.1 requires rustc 1.63", id="rust-crate-v"),
    pytest.param("Package Serilog.Sinks.Console 5.0.1 is not compatible with net6.0", id="nuget-name-space"),
    pytest.param('Bundler could not find compatible versions for gem "actionpack": rails (7.1.2)', id="gem-parens"),
    pytest.param("Could not find gem 'pg (~> 1.5)' in locally installed gems.", id="gem-pessimistic"),
    pytest.param("ERROR: Package 'acme-tools' requires a different Python: 3.7.17 not in '>=3.8'",
                 id="python-requires"),
    pytest.param("ERROR: No matching distribution found for torch==2.1.2", id="pip-pin"),
    pytest.param("Python 3.12 is not supported by this package", id="tool-name-space"),
    pytest.param("This OpenSSL 3.0 build does not support the legacy provider", id="library-name-space"),
    pytest.param("The current .NET SDK does not support targeting .NET 8.0.", id="dotnet-target"),
    pytest.param("Node.js v16.20.2 is not supported; use v18 or later", id="node-v"),
    pytest.param("compiled against NODE_MODULE_VERSION 108, this Node.js requires NODE_MODULE_VERSION 115",
                 id="version-word-whole-number"),
    pytest.param("Could not load file or assembly 'Dapper, Version=2.0.0.0, Culture=neutral'",
                 id="assembly-version-dotted-quad"),
    pytest.param("Duplicate class found in modules annotation-1.3.0 and annotation-jvm-1.6.0", id="artifact-dash"),
])
def test_versions_are_kept(message: str) -> None:
    template = message_template("Error", message)
    assert "<n>" not in template and "<ip>" not in template
    assert template == message.removesuffix(".")  # a closing period is no part of a template


@pytest.mark.parametrize("message, template", [
    pytest.param("listen tcp 0.0.0.0:8080: bind: address already in use",
                 "listen tcp <ip>:<n>: bind: address already in use", id="ip-and-port"),
    pytest.param("Error 111 connecting to redis:6379.", "Error <n> connecting to redis:<n>", id="host-port"),
    pytest.param("SyntaxError at line 42 column 17", "SyntaxError at line <n> column <n>", id="line-column"),
    pytest.param("process 48213 exited with status 137", "process <n> exited with status <n>", id="pid-status"),
    pytest.param("short read: got 4096 of 8192 bytes", "short read: got <n> of <n> bytes", id="byte-counts"),
    pytest.param("request took 1.25 seconds, limit 2.5s", "request took <n> seconds, limit <n>", id="durations"),
    pytest.param("heap at 1.5 GB of 2.0 GB", "heap at <n> GB of <n> GB", id="sizes"),
    pytest.param("goroutine 17 [running]: main.work(0xc000012345)", "goroutine <n> [running]: main.work(<hex>)",
                 id="goroutine-and-address"),
    pytest.param("lease expired at 1701234567.25", "lease expired at <n>", id="epoch-time"),
    pytest.param("token expired at 2024-03-01 12:30:45", "token expired at <time>", id="timestamp"),
    pytest.param("got value=3.5, retries=2", "got value=<n>, retries=<n>", id="key-value-fields"),
    pytest.param("java.lang.Object@12345678 is closed", "java.lang.Object@<n> is closed", id="object-id"),
])
def test_volatile_numbers_are_still_masked(message: str, template: str) -> None:
    assert message_template("Error", message) == template


def test_a_version_only_difference_changes_the_template_not_the_words() -> None:
    a = message_template("Error", "go: module example.com/app requires go >= 1.21 (running go 1.20.5)")
    b = message_template("Error", "go: module example.com/app requires go >= 1.18 (running go 1.20.5)")
    assert a != b
    assert template_tokens(a) == template_tokens(b)
    c = message_template("Error", "npm ERR! peer 'eslint@8.56.0' required by 'eslint-config-acme@3.1.0'")
    d = message_template("Error", "npm ERR! peer 'eslint@9.0.0' required by 'eslint-config-acme@2.0.4'")
    assert c != d
    assert template_tokens(c) == template_tokens(d)
    assert quoted_values(c) == quoted_values(d) == {"eslint@<n>", "eslint-config-acme@<n>"}


def test_a_name_ending_in_a_version_is_one_name_for_words() -> None:
    a = message_template("Error", "duplicate classes in 'kotlin-stdlib-1.8.21'")
    b = message_template("Error", "duplicate classes in 'kotlin-stdlib-1.9.0'")
    assert a != b and template_tokens(a) == template_tokens(b)
    assert "kotlin" in template_tokens(a) and "stdlib" in template_tokens(a)


def test_a_name_ending_in_the_word_version_and_a_number_is_one_name_for_words() -> None:
    """Generated code naming the runtime version it needs (``ProtoPackageIsVersion4``):
    another number is the same name at another version; a word that merely ends in
    "version" (``conversion2``) keeps its number."""
    a = message_template("undefined", "undefined: proto.ProtoPackageIsVersion4")
    b = message_template("undefined", "undefined: proto.ProtoPackageIsVersion3")
    assert a != b and template_tokens(a) == template_tokens(b) == ("undefined", "proto", "protopackageisversion")
    assert template_tokens(message_template("Error", "SCHEMA_VERSION12 missing")) == ("schema_version", "missing")
    assert "conversion2" in template_tokens(message_template("Error", "conversion2 failed"))


@pytest.mark.parametrize("message", [
    "command '/usr/bin/gcc' failed with exit code 1", "make: *** [Makefile:12: all] Error 2",
    "collect2: error: ld returned 1 exit status", "Found 3 errors in 2 files (checked 9 source files)",
    "1 error generated.", "Failed building wheel for cffi", "Process completed with exit code 1.",
])
def test_a_line_reporting_only_an_outcome_is_not_specific(message: str) -> None:
    """Two such lines say nothing about whether two failures share a cause, whatever command
    or package they name: like ``division by zero``, they need more evidence to be answered."""
    assert not is_specific("error", message_template("error", message))


def test_a_tools_error_with_its_reason_stays_specific() -> None:
    for message in ("externally-managed-environment", "Could not find a version that satisfies the requirement x",
                    "exit status of the hook was ignored: config 'hooks.strict' is off"):
        assert is_specific("error", message_template("error", message)), message


def test_quoted_versions_are_not_names() -> None:
    template = message_template("Error", 'The engine "node" is incompatible. Expected ">=18". Got "16.3.0"')
    assert '">=18"' in template and '"16.3.0"' in template
    assert quoted_values(template) == {"node", ">=<n>"}


versions = st.tuples(*[st.integers(min_value=0, max_value=40)] * 3).map(lambda v: ".".join(map(str, v)))
ports = st.integers(min_value=1, max_value=65535)


@given(version=versions, line_a=numbers, line_b=numbers, port_a=ports, port_b=ports, pid_a=numbers, pid_b=numbers,
       addr_a=hex_addresses, addr_b=hex_addresses, user_a=users, user_b=users)
def test_the_same_error_on_two_machines_gives_one_template(  # type: ignore[no-untyped-def]
        version, line_a, line_b, port_a, port_b, pid_a, pid_b, addr_a, addr_b, user_a, user_b) -> None:
    message = ("worker {pid} at {addr}: serde_json v{version} failed reading /home/{user}/app/config.json "
               "line {line}; listener on 127.0.0.1:{port} closed")
    a = message_template("Error", message.format(pid=pid_a, addr=addr_a, version=version, user=user_a,
                                                  line=line_a, port=port_a))
    b = message_template("Error", message.format(pid=pid_b, addr=addr_b, version=version, user=user_b,
                                                  line=line_b, port=port_b))
    assert a == b
    assert f"v{version}" in a


@given(a=versions, b=versions)
def test_different_versions_give_different_templates(a: str, b: str) -> None:
    ta = message_template("Error", f"Could not find org.acme:acme-core:{a}.")
    tb = message_template("Error", f"Could not find org.acme:acme-core:{b}.")
    assert (ta == tb) == (a == b)
    assert template_tokens(ta) == template_tokens(tb)


@given(a=versions, n=numbers)
def test_template_with_versions_is_idempotent(a: str, n: int) -> None:
    t = message_template("Error", f"requires rustc {a} or newer, build {n} failed at 0xdeadbeef, pkg@{a}")
    assert message_template("Error", t) == t


# --- JVM class names: one dotted form whatever form the JVM printed ----------------------------
@pytest.mark.parametrize("exc_type, message", [
    ("java.lang.NoClassDefFoundError", "Could not initialize class org/acme/billing/TaxTable"),
    ("java.lang.ClassNotFoundException", "Could not initialize class org.acme.billing.TaxTable"),
    ("java.lang.NoClassDefFoundError", "Could not initialize class Lorg/acme/billing/TaxTable;"),
])
def test_jvm_class_name_forms_give_one_template(exc_type: str, message: str) -> None:
    assert message_template(exc_type, message).endswith("class org.acme.billing.TaxTable")


def test_jvm_descriptor_parameters_are_dotted_and_kept_apart() -> None:
    template = message_template("java.lang.NoSuchMethodError",
                                "com.acme.Cart.total(Ljava/util/List;Ljava/lang/String;)Ljava/math/BigDecimal;")
    assert template == "com.acme.Cart.total(java.util.List, java.lang.String)java.math.BigDecimal"


@pytest.mark.parametrize("exc_type, message", [
    ("java.io.FileNotFoundException", "src/main/resources/Config (No such file or directory)"),
    ("Error", "Can't resolve 'src/components/Button'"),
])
def test_a_relative_path_outside_a_class_error_is_not_read_as_a_class(exc_type: str, message: str) -> None:
    assert "/" in message_template(exc_type, message)
