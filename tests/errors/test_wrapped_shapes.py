"""Errors as teams paste them: inside structured log lines, Gradle's nested causes, compiler
lines with or without their file prefix, IDE error-list rows; each gives the error's own
type or code and message. Parsing never raises on arbitrary text around these shapes."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from memory_store.errors import extract_errors, parse_error
from memory_store.errors.model import ParsedError
from memory_store.errors.normalize import message_template


def _parse(text: str, root: Path | None = None) -> ParsedError:
    err = parse_error(text, root)
    assert err is not None
    return err


# --- structured log lines ----------------------------------------------------------------
X509 = 'Get "https://registry.internal/v2/": x509: certificate signed by unknown authority'


@pytest.mark.parametrize("line", [
    'time="2021-01-01T00:00:00Z" level=error msg="Get \\"https://registry.internal/v2/\\": x509: certificate signed '
    'by unknown authority"',
    'level=error ts=2024-05-02T10:11:12.123Z caller=push.go:88 msg="push failed" error="Get '
    '\\"https://registry.internal/v2/\\": x509: certificate signed by unknown authority"',
    'ts=2024-05-02T10:11:12Z level=warn component=puller response=Failed: FetchURL, error=Get '
    '"https://registry.internal/v2/": x509: certificate signed by unknown authority',
    '{"level":"error","ts":1714644672.1,"caller":"puller/pull.go:41","msg":"pull failed","error":"Get '
    '\\"https://registry.internal/v2/\\": x509: certificate signed by unknown authority"}',
])
def test_structured_log_line_gives_the_errors_own_text(line: str) -> None:
    err = _parse(line)
    assert (err.exc_type, err.message) == ("error", "x509: certificate signed by unknown authority")
    assert err.detail == 'Get "https://registry.internal/v2/"'  # Go's wrapping context, kept apart


def test_unquoted_error_value_loses_the_closing_quote_of_an_outer_field() -> None:
    err = _parse('job=sync status=failed, error=dial tcp "db:5432": connect: connection refused"')
    assert (err.message, err.detail) == ("connect: connection refused", 'dial tcp "db:5432"')


@pytest.mark.parametrize("text, message", [
    ("error: could not open config.toml\ncaused: No such file or directory (os error 2)", "could not open config.toml"),
    ("2020/05/04 15:40:28 error: could not open config.toml", "could not open config.toml"),
    ("[error] could not open config.toml", "could not open config.toml"),
])
def test_lower_case_level_is_a_log_prefix_only_after_a_timestamp_or_in_brackets(text: str, message: str) -> None:
    assert _parse(text).message == message


def test_a_warning_record_outranks_a_later_line_that_only_mentions_panic() -> None:
    text = ("> 2021/03/04 10:00:00 WARNING: grpc: addrConn.createTransport failed to connect\n"
            "> This will panic in a future release.\n> https://example.com/docs/faq")
    assert _parse(text).message == "grpc: addrConn.createTransport failed to connect"


def test_json_log_line_holding_an_exception_gives_its_type() -> None:
    err = _parse('{"level":"error","logger":"billing","message":"KeyError: \'currency\'"}')
    assert (err.exc_type, err.message) == ("KeyError", "'currency'")


def test_an_info_record_without_an_error_is_no_error_line() -> None:
    err = _parse('level=info msg="listening on :8080"\nlevel=error msg="bind: address already in use"')
    assert err.message == "bind: address already in use"


# --- Gradle --------------------------------------------------------------------------------
GRADLE = """FAILURE: Build failed with an exception.

* What went wrong:
A problem occurred configuring root project 'tiles'.
> Could not resolve all files for configuration ':classpath'.
   > Could not resolve com.android.tools.build:gradle:8.2.0.
     Required by:
         project : > com.android.application:com.android.application.gradle.plugin:8.2.0
      > No matching variant of com.android.tools.build:gradle:8.2.0 was found. The consumer needs Java 11, but:
          - Variant 'apiElements' declares a library compatible with Java 17

* Try:
> Run with --stacktrace option to get the stack trace.
"""
GRADLE_CAUSE = "No matching variant of com.android.tools.build:gradle:8.2.0 was found. The consumer needs Java 11, but:"


def test_gradle_innermost_cause_is_the_message_outer_ones_its_chain() -> None:
    err = _parse(GRADLE)
    assert (err.exc_type, err.message) == ("gradle", GRADLE_CAUSE)
    assert "Could not resolve com.android.tools.build:gradle:8.2.0." in err.chain
    assert "A problem occurred configuring root project 'tiles'." in err.chain


def test_gradle_block_quoted_in_markdown_gives_the_same_cause() -> None:
    quoted = "\n".join(f"> {line}" if line else ">" for line in GRADLE.splitlines())
    assert _parse(quoted).message == GRADLE_CAUSE


@pytest.mark.parametrize("text, message", [
    ("> Could not find androidx.core:core-ktx:1.99.0.", "Could not find androidx.core:core-ktx:1.99.0."),
    ("   > Could not GET 'https://repo.example.com/com/acme/lib/1.0/lib-1.0.pom'. Received status code 401 from "
     "server: Unauthorized", "Could not GET 'https://repo.example.com/com/acme/lib/1.0/lib-1.0.pom'. Received "
     "status code 401 from server: Unauthorized"),
    ("> Could not resolve all files for configuration ':app:debugRuntimeClasspath'.\n"
     "   > Could not find androidx.core:core-ktx:1.99.0.\n     Required by:\n         project :app",
     "Could not find androidx.core:core-ktx:1.99.0."),
])
def test_gradle_cause_posted_alone(text: str, message: str) -> None:
    err = _parse(text)
    assert (err.exc_type, err.language, err.message) == ("gradle", "java", message)


# --- javac / kotlinc -------------------------------------------------------------------------
@pytest.mark.parametrize("text", [
    "src/main/java/com/acme/Config.java:12: error: package javax.xml.bind does not exist\n"
    "import javax.xml.bind.JAXBContext;\n                     ^\n1 error",
    "C:\\work\\shop\\src\\main\\java\\com\\acme\\Config.java:12: error: package javax.xml.bind does not exist",
    "error: package javax.xml.bind does not exist",
])
def test_javac_error_with_or_without_its_file(text: str) -> None:
    err = _parse(text)
    assert (err.exc_type, err.language, err.message) == ("javac", "java", "package javax.xml.bind does not exist")


@pytest.mark.parametrize("text, message", [
    ("package org.junit.jupiter.api does not exist", "package org.junit.jupiter.api does not exist"),
    ("cannot find symbol\n  symbol:   class Cart\n  location: package com.acme", "cannot find symbol"),
])
def test_javac_distinctive_wording_without_error_prefix(text: str, message: str) -> None:
    err = _parse(text)
    assert (err.exc_type, err.message) == ("javac", message)


def test_javac_location_is_the_file_and_line() -> None:
    err = _parse("src/main/java/com/acme/Config.java:12: error: package javax.xml.bind does not exist")
    assert err.location is not None
    assert (err.location.path, err.location.line) == ("src/main/java/com/acme/Config.java", 12)


@pytest.mark.parametrize("text", [
    "e: /home/dev/shop/app/src/main/kotlin/Cart.kt: (10, 5): Unresolved reference: totl",
    "e: Cart.kt: (10, 5): Unresolved reference: totl",
    "e: file:///home/dev/shop/app/src/main/kotlin/Cart.kt:10:5 Unresolved reference: totl",
    "e: Unresolved reference: totl",
])
def test_kotlinc_error_with_or_without_its_file(text: str) -> None:
    err = _parse(text)
    assert (err.exc_type, err.language, err.message) == ("kotlinc", "kotlin", "Unresolved reference: totl")


# --- JVM cause chains ------------------------------------------------------------------------
def test_caused_by_as_the_only_line() -> None:
    err = _parse("Caused by: java.lang.ClassNotFoundException: com.mysql.cj.jdbc.Driver")
    assert (err.exc_type, err.message) == ("java.lang.ClassNotFoundException", "com.mysql.cj.jdbc.Driver")


def test_java_chain_root_cause_is_primary_and_outer_exceptions_are_context() -> None:
    text = """Exception in thread "main" org.springframework.beans.factory.BeanCreationException: No bean 'dataSource'
\tat org.springframework.beans.factory.support.AbstractBeanFactory.getBean(AbstractBeanFactory.java:208)
\tat com.acme.shop.App.main(App.java:14)
Caused by: java.lang.IllegalStateException: Failed to load driver class
\tat com.acme.shop.db.Pool.init(Pool.java:33)
\t... 1 more
Caused by: java.lang.ClassNotFoundException: com.mysql.cj.jdbc.Driver
\tat java.base/jdk.internal.loader.BuiltinClassLoader.loadClass(BuiltinClassLoader.java:641)
\tat com.acme.shop.db.Pool.init(Pool.java:30)
\t... 1 more
"""
    err = _parse(text)
    assert (err.exc_type, err.message) == ("java.lang.ClassNotFoundException", "com.mysql.cj.jdbc.Driver")
    assert err.chain == [
        "org.springframework.beans.factory.BeanCreationException: No bean 'dataSource'",
        "java.lang.IllegalStateException: Failed to load driver class"]
    assert [f.function for f in err.frames] == ["init", "loadClass"]


# --- Go ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("text", [
    "internal/server/grpc.go:14:11: undefined: grpc.SupportPackageIsVersion7",
    "internal\\server\\grpc.go:14:11: undefined: grpc.SupportPackageIsVersion7",
    "# github.com/acme/shop/internal/server\ninternal/server/grpc.go:14:11: undefined: grpc.SupportPackageIsVersion7",
    "undefined: grpc.SupportPackageIsVersion7",
])
def test_go_compile_error_type_is_its_kind_and_message_keeps_the_identifier(text: str) -> None:
    err = _parse(text)
    assert (err.exc_type, err.language, err.message) == ("undefined", "go", "undefined: grpc.SupportPackageIsVersion7")
    if ".go:" in text:
        assert err.location is not None and (err.location.path, err.location.line) == ("internal/server/grpc.go", 14)
        assert err.location.kind == "app"


@pytest.mark.parametrize("message, kind", [
    ('"os" imported and not used', "imported and not used"),
    ("declared and not used: total", "declared and not used"),
    ("cannot use id (variable of type int) as string value in argument to lookup", "cannot use"),
    ("c.Totl undefined (type *Cart has no field or method Totl)", "undefined"),
    ("syntax error: unexpected newline, expected comma or }", "syntax error"),
])
def test_go_compile_error_kinds(message: str, kind: str) -> None:
    err = _parse(f"cart/cart.go:7:2: {message}")
    assert (err.exc_type, err.message) == (kind, message)


def test_go_command_error_keeps_the_module_path_of_its_continuation() -> None:
    err = _parse("go: github.com/acme/shop@v0.0.0 requires\n"
                 "\tgithub.com/lib/pq@v1.10.9: missing go.sum entry for go.mod file; to add it:\n"
                 "\tgo mod download github.com/lib/pq\n")
    assert err.exc_type == "go"
    assert err.message.startswith("github.com/acme/shop@v0.0.0 requires github.com/lib/pq@v1.10.9: missing go.sum")
    assert "github.com/lib/pq@v1.10.9" in message_template(err.exc_type, err.message)


# --- Rust -------------------------------------------------------------------------------------
def test_rust_code_and_message_with_or_without_backticks_give_one_template() -> None:
    ticked = _parse("error[E0554]: `#![feature]` may not be used on the stable release channel\n --> src/lib.rs:1:1")
    plain = _parse("error[E0554]: #![feature] may not be used on the stable release channel")
    assert (ticked.exc_type, ticked.code) == (plain.exc_type, plain.code) == ("rustc", "E0554")
    assert ticked.message == "`#![feature]` may not be used on the stable release channel"
    assert message_template(ticked.exc_type, ticked.message) == message_template(plain.exc_type, plain.message)


def test_ruby_unpaired_backtick_quote_stays_in_the_template() -> None:
    assert "`total'" in message_template("NoMethodError", "undefined method `total' for nil:NilClass")


# --- .NET -------------------------------------------------------------------------------------
NETSDK = "The current .NET SDK does not support targeting .NET 8.0.  Either target .NET 7.0 or lower."
TARGETS = "C:\\Program Files\\dotnet\\sdk\\7.0.100\\Sdks\\Microsoft.NET.Sdk\\targets\\Microsoft.NET.Sdk.targets"


@pytest.mark.parametrize("row", [
    f"Error\tNETSDK1045\t{NETSDK}\tShop.Api\t{TARGETS}\t144\t",
    f"Severity\tCode\tDescription\tProject\tFile\tLine\tSuppression State\nError\tNETSDK1045\t{NETSDK}\tShop.Api\t"
    f"{TARGETS}\t144\tActive",
    f"Error  NETSDK1045  {NETSDK}  Shop.Api  {TARGETS}  144",
    f"{TARGETS}(144,5): error NETSDK1045: {NETSDK} [C:\\src\\Shop.Api\\Shop.Api.csproj]",
])
def test_dotnet_error_list_rows_and_msbuild_lines(row: str) -> None:
    err = _parse(row)
    assert (err.exc_type, err.code, err.message) == ("dotnet", "NETSDK1045", NETSDK)
    assert err.location is not None and err.location.kind == "stdlib" and err.location.line == 144


def test_dotnet_compiler_error_location_in_the_workspace(tmp_path: Path) -> None:
    err = _parse(f"{tmp_path}/Controllers/CartController.cs(3,5): error CS0246: The type or namespace name 'Foo' "
                 "could not be found (are you missing a using directive or an assembly reference?) "
                 f"[{tmp_path}/Shop.Api.csproj]", tmp_path)
    assert (err.code, err.location and err.location.path) == ("CS0246", "Controllers/CartController.cs")
    assert err.message.startswith("The type or namespace name 'Foo' could not be found")


# --- one cleaner for every parser -------------------------------------------------------------
def test_python_traceback_in_colour_and_ci_prefixes_parses_like_the_plain_one() -> None:
    plain = 'Traceback (most recent call last):\n  File "app/cart.py", line 3, in total\nKeyError: \'sku\''
    ci = "\n".join(f"2024-03-01T10:00:00.1234567Z \x1b[31m{line}\x1b[0m" for line in plain.splitlines())
    a, b = _parse(plain), _parse(ci)
    assert (b.exc_type, b.message) == (a.exc_type, a.message) == ("KeyError", "'sku'")
    assert b.frames == a.frames and [f.function for f in a.frames] == ["total"]


# --- never raises -----------------------------------------------------------------------------
_SAMPLES = [GRADLE, X509, "e: Cart.kt: (10, 5): Unresolved reference: totl", "error: package a.b does not exist",
            "Caused by: java.lang.ClassNotFoundException: x", "a/b.go:1:2: undefined: x.Y", "go: x@v1 requires\n\ty",
            "error[E0554]: `x`", f"Error\tNETSDK1045\t{NETSDK}\tP\tF\t1", f"Error  CS0246  {NETSDK}  P  F.cs  2",
            'level=error msg="a \\"b\\"" error=', '{"level":"error","error":{"message":1}}', '{"msg":', "> > >",
            ">    > Could not find a:b:1"]


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(_SAMPLES), st.text(max_size=60), st.text(max_size=60), st.integers(0, 400))
def test_parsing_never_raises_around_each_shape(sample: str, before: str, after: str, cut: int) -> None:
    for text in (before + sample + after, before + "\n" + sample + "\n" + after, sample[:cut] + after):
        parse_error(text)
        for err in extract_errors(text):
            assert err.exc_type


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_parsing_never_raises_on_arbitrary_text(text: str) -> None:
    parse_error(text)
    extract_errors(text)
