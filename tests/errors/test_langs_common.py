"""Shared behaviour of the ecosystem parsers: decoration stripped, dependency caches
normalized, forwarded diagnostics given their code, and parsing that never raises."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from memory_store.errors import parse_error
from memory_store.errors.frames import classify_path
from memory_store.errors.langs.common import decorations_removed
from memory_store.errors.langs.detect import diagnostic_text, find_errors
from memory_store.errors.normalize import message_template
from memory_store.errors.parse import extract_errors


@pytest.mark.parametrize("raw, clean", [
    ("\x1b[31merror\x1b[0m[E0554]: msg", "error[E0554]: msg"),
    ("2024-03-01T10:00:00.1234567Z ##[error]src/a.ts(1,2): error TS2307: x", "src/a.ts(1,2): error TS2307: x"),
    ("::error file=src/a.ts,line=1::Cannot find module 'x'", "Cannot find module 'x'"),
    ("remote:  !     LoadError: cannot load such file -- net/smtp", "LoadError: cannot load such file -- net/smtp"),
    ("#12 3.456 go: go.mod file not found", "go: go.mod file not found"),
    ("web_1  | panic: boom", "panic: boom"),
    ("`error: linker `cc` not found`", "error: linker `cc` not found"),
])
def test_decorations_removed(raw: str, clean: str) -> None:
    assert decorations_removed(raw) == clean


def test_ci_prefixed_output_parses_like_the_plain_one() -> None:
    plain = "src/api/client.ts(12,24): error TS2307: Cannot find module 'axios'."
    prefixed = f"2024-03-01T10:00:00.1234567Z ##[error]\x1b[91m{plain}\x1b[0m"
    a, b = parse_error(plain), parse_error(prefixed)
    assert a is not None and b is not None
    assert (a.code, a.message) == (b.code, b.message) == ("TS2307", "Cannot find module 'axios'.")


@pytest.mark.parametrize("raw, path, kind, module", [
    ("/home/dana/go/pkg/mod/github.com/lib/pq@v1.10.9/conn.go", "pkg/mod/github.com/lib/pq@v1.10.9/conn.go",
     "library", "github.com/lib/pq"),
    ("C:\\Users\\Bob\\go\\pkg\\mod\\github.com\\lib\\pq@v1.10.9\\conn.go", "pkg/mod/github.com/lib/pq@v1.10.9/conn.go",
     "library", "github.com/lib/pq"),
    ("/usr/local/go/src/net/http/server.go", "<goroot>/net/http/server.go", "stdlib", "net/http"),
    ("/Users/ann/.cargo/registry/src/index.crates.io-6f17d22bba15001f/tokio-1.35.0/src/runtime/park.rs",
     "cargo/registry/tokio-1.35.0/src/runtime/park.rs", "library", "tokio"),
    ("/home/dana/.m2/repository/com/google/guava/guava/32.1.0-jre/guava-32.1.0-jre.jar",
     "m2/com/google/guava/guava/32.1.0-jre/guava-32.1.0-jre.jar", "library", "com/google/guava/guava"),
    ("/home/dana/.gradle/caches/modules-2/files-2.1/org.jetbrains.kotlin/kotlin-stdlib/1.8.0/1a2b3c4d/"
     "kotlin-stdlib-1.8.0.jar", "gradle/org.jetbrains.kotlin/kotlin-stdlib/1.8.0/kotlin-stdlib-1.8.0.jar", "library",
     "org.jetbrains.kotlin/kotlin-stdlib"),
    ("C:\\Users\\Bob\\.nuget\\packages\\newtonsoft.json\\13.0.3\\lib\\net6.0\\Newtonsoft.Json.dll",
     "nuget/newtonsoft.json/13.0.3/lib/net6.0/Newtonsoft.Json.dll", "library", "newtonsoft.json"),
    ("/home/dana/.rbenv/versions/3.2.0/lib/ruby/gems/3.2.0/gems/rack-3.0.8/lib/rack.rb",
     "gems/rack-3.0.8/lib/rack.rb", "library", "rack"),
    ("/home/dana/shop/node_modules/.pnpm/chalk@5.3.0/node_modules/chalk/source/index.js",
     "node_modules/chalk/source/index.js", "library", "chalk/source/index"),
])
def test_dependency_caches_are_machine_independent(raw: str, path: str, kind: str, module: str) -> None:
    assert classify_path(raw) == (path, kind, module)


def test_home_directories_of_every_system_are_masked() -> None:
    for raw in ("/home/dana/src/app/main.go", "/Users/dana/src/app/main.go", "C:\\Users\\dana\\src\\app\\main.go"):
        assert classify_path(raw)[0] == "~/src/app/main.go"


def test_message_paths_and_addresses_masked_names_and_versions_kept() -> None:
    t = message_template("error", "failed to run custom build command for `openssl-sys v0.9.98` in "
                                  "/home/dana/shop/target at 0xc000123000")
    assert "openssl-sys v0.9.98" in t and "/home/dana" not in t and "0xc000123000" not in t


@pytest.mark.parametrize("message, code, source, query", [
    ("Cannot find module 'axios'.", 2307, "ts", "error TS2307: Cannot find module 'axios'."),
    ("`#![feature]` may not be used on the stable release channel", "E0554", "rustc",
     "error[E0554]: `#![feature]` may not be used on the stable release channel"),
    ("The type or namespace name 'Foo' could not be found", "CS0246", "csharp",
     "error CS0246: The type or namespace name 'Foo' could not be found"),
    ("undefined: grpc.SupportPackageIsVersion7", "UndeclaredImportedName", "compiler",
     "undefined: grpc.SupportPackageIsVersion7"),
    ("x is unused", None, "pyright", "x is unused"),
])
def test_diagnostic_text_gives_the_code_in_the_cli_layout(message: str, code: str | int | None, source: str,
                                                          query: str) -> None:
    assert diagnostic_text(message, code, source) == query


def test_forwarded_code_and_terminal_output_parse_alike() -> None:
    forwarded = parse_error(diagnostic_text("Cannot find module 'axios'.", 2307, "typescript"))
    terminal = parse_error("src/api.ts(3,19): error TS2307: Cannot find module 'axios'.")
    assert forwarded is not None and terminal is not None
    assert (forwarded.code, forwarded.message) == (terminal.code, terminal.message)


_SHAPES = st.sampled_from([
    "panic: ", "goroutine 1 [running]:\n", "\t/x/y.go:1 +0x1\n", "thread 'main' panicked at ", "error[E0277]: ",
    "  --> src/a.rs:1:1\n", "Caused by: ", "\tat a.b.C.d(C.java:1)\n", "* What went wrong:\n", "[ERROR] ",
    "npm ERR! code E\n", "error TS2307: ", "Module not found: ", "  ● a › b\n", "---> System.X: ",
    "   at A.B() in f.cs:line 1\n", ":in `x': ", " (LoadError)\n", "\tfrom a.rb:1:in `b'\n", "✘ [ERROR] ",
    "\x1b[31m", "remote:  ! ", "##[error]", "Traceback (most recent call last):\n", "\n", "(", ")", "`", "'",
])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(_SHAPES, st.text(max_size=40)), max_size=40))
def test_parsing_arbitrary_text_never_raises(parts: list[str]) -> None:
    text = "".join(parts)
    parse_error(text)
    extract_errors(text)
    for cand in find_errors(text):
        assert cand.error.exc_type


def test_a_large_output_keeps_its_final_error() -> None:
    block = ("goroutine 7 [running]:\nmain.work(0x1)\n\t/src/app/main.go:12 +0x1d\n" * 2000
             + "x" * 5000 + "\n") * 20
    text = block + "panic: boom\n"
    err = parse_error(text)
    assert err is not None and err.message == "boom"


def test_runtime_frames_of_each_language_are_launchers_not_evidence() -> None:
    from memory_store.errors.launchers import is_launcher_frame

    go = parse_error("panic: boom\n\ngoroutine 1 [running]:\nmain.main()\n\t/src/app/main.go:9 +0x1d\n"
                     "runtime.main()\n\t/usr/local/go/src/runtime/proc.go:267 +0x2bb\n"
                     "net/http.(*conn).serve(0xc000)\n\t/usr/local/go/src/net/http/server.go:2009 +0x5f4\n")
    rust = parse_error("thread 'main' panicked at src/main.rs:2:5:\nboom\nstack backtrace:\n"
                       "   0: std::panicking::begin_panic\n"
                       "             at /rustc/abc123/library/std/src/panicking.rs:1:1\n"
                       "   1: app::main\n             at ./src/main.rs:2:5\n")
    java = parse_error("Exception in thread \"main\" java.lang.IllegalStateException: boom\n"
                       "\tat com.acme.App.start(App.java:5)\n\tat java.lang.Thread.run(Thread.java:833)\n")
    for err in (go, rust, java):
        assert err is not None
        launchers = [f.function for f in err.frames if is_launcher_frame(f, err.language)]
        others = [f.function for f in err.frames if f.kind == "app"]
        assert launchers and others and not set(launchers) & set(others), (err.language, err.frames)
    assert go is not None and {f.module for f in go.frames if f.kind == "stdlib"} == {"runtime", "net/http"}
