"""Go output: panics with goroutine traces, compiler and go command errors, go test."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from memory_store.errors import parse_error
from memory_store.errors.langs.go import split_chain
from memory_store.errors.normalize import fingerprint, message_template

PANIC = """\
panic: runtime error: invalid memory address or nil pointer dereference
[signal SIGSEGV: segmentation violation code=0x1 addr=0x18 pc=0x6a3f2e]

goroutine 1 [running]:
github.com/acme/shop/internal/cart.(*Cart).Total(0x0)
\t{root}/internal/cart/cart.go:42 +0x1e
main.main()
\t{root}/cmd/shop/main.go:17 +0x85
exit status 2
"""

LIB_PANIC = """\
panic: proto: file "api.proto" is already registered
\tpreviously from: "github.com/acme/billing/gen"
\tcurrently from:  "github.com/acme/shop/gen"

goroutine 1 [running]:
google.golang.org/protobuf/reflect/protoregistry.(*Files).RegisterFile(0xc0001a2000, {0x9a2b40, 0xc0002c4000})
\t/home/dana/go/pkg/mod/google.golang.org/protobuf@v1.31.0/reflect/protoregistry/registry.go:146 +0x6c5
google.golang.org/protobuf/internal/filedesc.Builder.Build({...})
\t/home/dana/go/pkg/mod/google.golang.org/protobuf@v1.31.0/internal/filedesc/build.go:112 +0x1d6
runtime.doInit(0xd5b540)
\t/usr/local/go/src/runtime/proc.go:6525 +0x126
"""


def test_panic_with_goroutine_trace(tmp_path: Path) -> None:
    err = parse_error(PANIC.format(root=tmp_path), tmp_path)
    assert err is not None
    assert (err.exc_type, err.language) == ("panic", "go")
    assert err.message == "runtime error: invalid memory address or nil pointer dereference"
    assert [(f.path, f.function) for f in err.frames] == [
        ("cmd/shop/main.go", "main.main"),
        ("internal/cart/cart.go", "github.com/acme/shop/internal/cart.(*Cart).Total")]
    assert all(f.kind == "app" for f in err.frames)


def test_module_cache_and_goroot_frames_are_machine_independent() -> None:
    err = parse_error(LIB_PANIC)
    assert err is not None
    kinds = [(f.kind, f.path) for f in err.frames]
    assert kinds[0] == ("stdlib", "<goroot>/runtime/proc.go")
    assert kinds[-1] == ("library", "pkg/mod/google.golang.org/protobuf@v1.31.0/reflect/protoregistry/registry.go")
    assert err.frames[-1].module == "google.golang.org/protobuf"
    assert "previously from" in err.detail


def test_goroutine_ids_and_addresses_do_not_change_the_fingerprint() -> None:
    a = parse_error(LIB_PANIC)
    b = parse_error(LIB_PANIC.replace("0xc0001a2000", "0xc000010000").replace("goroutine 1 ", "goroutine 7 "))
    assert a is not None and b is not None
    assert fingerprint(a) == fingerprint(b)


def test_compiler_error_with_location(tmp_path: Path) -> None:
    text = ("# github.com/acme/shop/api\n"
            "api/server.go:14:11: undefined: grpc.SupportPackageIsVersion7\n"
            "api/server.go:30:2: too many errors\n")
    err = parse_error(text, tmp_path)
    assert err is not None
    assert (err.exc_type, err.language, err.message) == ("undefined", "go", "undefined: grpc.SupportPackageIsVersion7")
    assert err.location is not None and (err.location.path, err.location.line) == ("api/server.go", 14)


def test_go_command_errors() -> None:
    err = parse_error("go: downloading github.com/lib/pq v1.10.9\n"
                      "go: github.com/acme/shop@v0.1.0 requires go >= 1.22 (running go 1.21.5)\n")
    assert err is not None
    assert err.message == "github.com/acme/shop@v0.1.0 requires go >= 1.22 (running go 1.21.5)"
    assert "go.sum" in message_template(
        "error", (parse_error("main.go:5:2: missing go.sum entry for module providing package "
                              "github.com/lib/pq (imported by example.com/app)") or err).message)


def test_go_test_failure_points_at_the_test() -> None:
    text = ("--- FAIL: TestTotal (0.00s)\n"
            "    cart_test.go:21: Total() = 100, want 110\n"
            "FAIL\n"
            "FAIL\tgithub.com/acme/shop/internal/cart\t0.004s\n")
    err = parse_error(text)
    assert err is not None
    assert (err.exc_type, err.message) == ("test failure", "Total() = 100, want 110")
    assert err.frames[0].function == "TestTotal"


def test_log_prefixes_are_stripped() -> None:
    err = parse_error('time="2024-01-02T10:00:00Z" level=error msg="fatal error: all goroutines are asleep - '
                      'deadlock!"')
    assert err is not None
    assert (err.exc_type, err.message) == ("fatal error", "all goroutines are asleep - deadlock!")


# --- wrapped errors (``fmt.Errorf("...: %w", err)``): the innermost cause is the message ---------
@pytest.mark.parametrize("line, cause, context", [
    ('Get "https://api.acme.test/v1/items": x509: certificate signed by unknown authority',
     "x509: certificate signed by unknown authority", 'Get "https://api.acme.test/v1/items"'),
    ("tls: failed to verify certificate: x509: certificate signed by unknown authority",
     "x509: certificate signed by unknown authority", "tls: failed to verify certificate"),
    ("open /etc/shop/app.conf: no such file or directory", "no such file or directory", "open /etc/shop/app.conf"),
    ("dial tcp 10.0.0.7:5432: connect: connection refused", "connect: connection refused", "dial tcp 10.0.0.7:5432"),
])
def test_wrapped_go_error_keeps_the_innermost_cause_and_the_rest_as_context(line: str, cause: str,
                                                                             context: str) -> None:
    err = parse_error(line)
    assert err is not None
    assert (err.language, err.message, err.detail) == ("go", cause, context)


def test_two_occurrences_of_a_wrapped_error_share_a_fingerprint() -> None:
    one = parse_error('Post "https://billing.acme.test/charge": x509: certificate signed by unknown authority')
    two = parse_error("2024/03/01 09:12:44 sync: tls: failed to verify certificate: x509: certificate signed by "
                      "unknown authority")
    assert one is not None and two is not None
    assert fingerprint(one) == fingerprint(two)


@pytest.mark.parametrize("message", [
    'proto: file "billing.proto" is already registered',
    "runtime error: index out of range [3] with length 3",
    "x509: certificate has expired or is not yet valid: current time 2024-05-01T10:00:00Z is after 2024-04-30",
    'Post "https://hooks.acme.test/a:b": EOF',
])
def test_a_package_prefixed_or_short_cause_is_not_cut(message: str) -> None:
    err = parse_error(f"panic: {message}\n\ngoroutine 1 [running]:\nmain.main()\n\t/src/main.go:9 +0x1d\n")
    assert err is not None
    assert (err.exc_type, err.message, err.detail) == ("panic", message, "")


def test_wrapped_panic_message_keeps_its_cause_and_context() -> None:
    err = parse_error('panic: read config: open /srv/shop/app.yaml: permission denied\n\n'
                      'goroutine 1 [running]:\nmain.main()\n\t/src/main.go:9 +0x1d\n')
    assert err is not None
    assert (err.exc_type, err.message) == ("panic", "permission denied")
    assert err.detail.splitlines()[0] == "read config: open /srv/shop/app.yaml"


def test_go_command_keeps_the_module_at_fault_in_its_message() -> None:
    err = parse_error("go: github.com/acme/shop@v0.3.0: reading go.mod: unexpected end of file")
    assert err is not None
    assert err.message == "github.com/acme/shop@v0.3.0: reading go.mod: unexpected end of file"


def test_an_exception_line_of_another_language_is_not_taken_for_a_go_chain() -> None:
    err = parse_error("ValueError: open /srv/app.conf: no such file or directory")
    assert err is not None
    assert (err.language, err.exc_type) != ("go", "error")


def test_a_windows_path_a_url_or_a_quoted_colon_does_not_split() -> None:
    assert split_chain('load config: open C:\\shop\\app.conf: The system cannot find the file specified.') == (
        "The system cannot find the file specified.", ["load config: open C:\\shop\\app.conf"])
    assert split_chain('Get "https://h.test/a: b?x=1": dial tcp [::1]:443: connect: connection refused') == (
        "connect: connection refused", ['Get "https://h.test/a: b?x=1": dial tcp [::1]:443'])


@given(st.lists(st.sampled_from(['open /tmp/a b', 'x509', 'tls', 'Get "https://h.test/a: b"', 'connect', 'C:\\x\\y',
                                 "connection refused", "no such host", "EOF", "", "a", ": ", '"', "m@v1.2.3"]),
                min_size=1, max_size=6))
def test_a_split_chain_loses_nothing(parts: list[str]) -> None:
    message = ": ".join(parts)
    cause, context = split_chain(message)
    assert ": ".join([*context, cause]) == message
    assert cause.strip() or not context
