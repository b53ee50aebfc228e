"""Rust output: panics in both layouts with backtraces, rustc diagnostics, cargo errors."""

from __future__ import annotations

from pathlib import Path

from memory_store.errors import parse_error

NEW_PANIC = """\
thread 'main' panicked at src/config.rs:27:38:
called `Result::unwrap()` on an `Err` value: Os {{ code: 2, kind: NotFound, message: "No such file or directory" }}
note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace
stack backtrace:
   0: rust_begin_unwind
             at /rustc/90c541806f23a127002de5b4038be731ba1458ca/library/std/src/panicking.rs:645:5
   1: core::result::unwrap_failed
             at /rustc/90c541806f23a127002de5b4038be731ba1458ca/library/core/src/result.rs:1653:5
   2: shopd::config::load
             at {root}/src/config.rs:27:38
   3: serde_json::de::from_str
             at /home/dana/.cargo/registry/src/index.crates.io-6f17d22bba15001f/serde_json-1.0.108/src/de.rs:2676:5
   4: shopd::main
             at {root}/src/main.rs:9:18
"""

RUSTC = """\
   Compiling shopd v0.1.0 (/home/dana/shopd)
error[E0277]: the trait bound `Order: Serialize` is not satisfied
   --> src/api.rs:41:24
    |
41  |     let body = to_string(&order)?;
    |                ^^^^^^^^^ the trait `Serialize` is not implemented for `Order`
    |
    = help: the following other types implement trait `Serialize`:
error: aborting due to 1 previous error

For more information about this error, try `rustc --explain E0277`.
error: could not compile `shopd` (bin "shopd") due to 1 previous error
"""

CARGO_BUILD = """\
   Compiling openssl-sys v0.9.98
error: failed to run custom build command for `openssl-sys v0.9.98`

Caused by:
  process didn't exit successfully: `/home/dana/shopd/target/debug/build/openssl-sys-1b2c/build-script-main` (exit status: 101)
  --- stderr
  Could not find directory of OpenSSL installation, and this `-sys` crate cannot proceed without this knowledge.
"""  # noqa: E501


def test_new_layout_panic_with_backtrace(tmp_path: Path) -> None:
    err = parse_error(NEW_PANIC.format(root=tmp_path), tmp_path)
    assert err is not None
    assert (err.exc_type, err.language) == ("panic", "rust")
    assert err.message.startswith("called `Result::unwrap()` on an `Err` value")
    assert err.location is not None and err.location.path == "src/config.rs"
    funcs = [(f.function, f.kind) for f in err.frames]
    assert funcs[0] == ("shopd::main", "app")
    assert ("serde_json::de::from_str", "library") in funcs
    assert funcs[-1] == ("rust_begin_unwind", "stdlib")
    lib = next(f for f in err.frames if f.kind == "library")
    assert lib.path == "cargo/registry/serde_json-1.0.108/src/de.rs" and lib.module == "serde_json::de"
    std = err.frames[-2]
    assert std.path == "<rust>/core/src/result.rs"


def test_old_layout_panic() -> None:
    err = parse_error("thread 'main' panicked at 'index out of bounds: the len is 3 but the index is 7', "
                      "src/main.rs:12:5")
    assert err is not None
    assert err.message == "index out of bounds: the len is 3 but the index is 7"
    assert err.location is not None and err.location.line == 12


def test_rustc_diagnostic_code_beats_the_wrappers() -> None:
    err = parse_error(RUSTC)
    assert err is not None
    assert (err.exc_type, err.code, err.message) == ("rustc", "E0277",
                                                     "the trait bound `Order: Serialize` is not satisfied")
    assert err.location is not None and (err.location.path, err.location.line) == ("src/api.rs", 41)


def test_cargo_build_script_failure_keeps_the_reason() -> None:
    err = parse_error(CARGO_BUILD)
    assert err is not None
    assert (err.exc_type, err.message) == ("cargo", "failed to run custom build command for `openssl-sys v0.9.98`")
    assert "Could not find directory of OpenSSL installation" in err.detail


CARGO_BUILD_SCRIPT_PANIC = """\
   Compiling libsqlite3-sys v0.26.0
error: failed to run custom build command for `libsqlite3-sys v0.26.0`

Caused by:
  process didn't exit successfully: `/work/app/target/debug/build/libsqlite3-sys-9f8e/build-script-build` (exit status: 101)
  --- stdout
  cargo:rerun-if-env-changed=SQLITE3_LIB_DIR
  --- stderr
  thread 'main' panicked at /home/li/.cargo/registry/src/index.crates.io-6f17d22bba15001f/libsqlite3-sys-0.26.0/build.rs:411:17:


  Could not find a sqlite3 library to link against: pkg-config is not installed.

  note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace
warning: build failed, waiting for other jobs to finish...
"""  # noqa: E501


def test_a_build_scripts_panic_under_cargo_is_the_error() -> None:
    """cargo prints the build script's panic inside its Caused by block, the message after
    blank lines: that message is why the build failed, raised in the crate's build.rs."""
    err = parse_error(CARGO_BUILD_SCRIPT_PANIC)
    assert err is not None and err.exc_type == "panic"
    assert err.message == "Could not find a sqlite3 library to link against: pkg-config is not installed."
    assert err.location is not None and err.location.kind == "library" and err.location.module == "libsqlite3-sys"


def test_a_build_scripts_panic_reporting_only_an_exit_status_gives_way_to_the_compilers_error() -> None:
    text = ("error: failed to run custom build command for `zstd-sys v2.0.9`\n\nCaused by:\n"
            "  process didn't exit successfully: `/app/target/debug/build/zstd-sys-1/build-script-build` "
            "(exit status: 1)\n"
            "  --- stderr\n"
            "  cargo:warning=zstd/lib/common/zstd_deps.h:27:10: fatal error: string.h: No such file or directory\n"
            "  thread 'main' panicked at 'failed to execute [\"cc\" \"-c\" \"zstd.c\"]: exit status: 1', "
            "/root/.cargo/registry/src/github.com-1ecc6299db9ec823/cc-1.0.83/src/lib.rs:1220:5\n")
    err = parse_error(text)
    assert err is not None and (err.exc_type, err.message) == ("missing header", "'string.h' file not found")


def test_cargo_manifest_error() -> None:
    text = ("error: failed to parse manifest at `/home/dana/shopd/Cargo.toml`\n\nCaused by:\n"
            "  feature `edition2024` is required\n")
    err = parse_error(text)
    assert err is not None
    assert err.message.startswith("failed to parse manifest at")
    assert "edition2024" in err.detail
