"""Native build failures: compilers, linkers, make, CMake, pkg-config and the tools that
drive them (pip, node-gyp, gem), whose last lines only say that the build failed."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from memory_store.bugs.match import BugIndex
from memory_store.bugs.records import BugStore
from memory_store.errors import extract_errors, parse_error
from memory_store.errors.langs import native
from memory_store.errors.langs.common import Priority, lines_of
from memory_store.errors.langs.detect import find_errors, main_error
from memory_store.errors.langs.detect import parse as ecosystem_error
from memory_store.errors.model import ParsedError
from memory_store.workspace import Workspace

PIP_CFFI = """\
Collecting cffi==1.15.1
  Downloading cffi-1.15.1.tar.gz (508 kB)
  Preparing metadata (setup.py) ... done
Building wheels for collected packages: cffi
  Building wheel for cffi (setup.py) ... error
  error: subprocess-exited-with-error

  × python setup.py bdist_wheel did not run successfully.
  │ exit code: 1
  ╰─> [38 lines of output]
      running bdist_wheel
      running build_ext
      building '_cffi_backend' extension
      creating build/temp.linux-x86_64-cpython-311/c
      gcc -Wsign-compare -DNDEBUG -g -fwrapv -O3 -Wall -fPIC -I/usr/include/ffi -I/usr/local/include/python3.11 \
-c c/_cffi_backend.c -o build/temp.linux-x86_64-cpython-311/c/_cffi_backend.o
      c/_cffi_backend.c:15:10: fatal error: ffi.h: No such file or directory
         15 | #include <ffi.h>
            |          ^~~~~~~
      compilation terminated.
      error: command '/usr/bin/gcc' failed with exit code 1
      [end of output]

  note: This error originates from a subprocess, and is likely not a problem with pip.
  ERROR: Failed building wheel for cffi
  Running setup.py clean for cffi
Failed to build cffi
ERROR: Could not build wheels for cffi, which is required to install pyproject.toml-based projects
"""

PIP_LEGACY_PSYCOPG = """\
Collecting psycopg2==2.8.6
  Using cached psycopg2-2.8.6.tar.gz (383 kB)
Building wheels for collected packages: psycopg2
  Building wheel for psycopg2 (setup.py) ... error
  ERROR: Command errored out with exit status 1:
   command: /home/lee/venv/bin/python3 -u -c 'import sys, setuptools, tokenize; sys.argv[0] = \
'"'"'/tmp/pip-install-8wq2k3lp/psycopg2_6b4fc0d2d3e14b5c9b1ab8fd1e61a6e1/setup.py'"'"'' bdist_wheel
       cwd: /tmp/pip-install-8wq2k3lp/psycopg2_6b4fc0d2d3e14b5c9b1ab8fd1e61a6e1/
  Complete output (27 lines):
  running build_ext
  building 'psycopg2._psycopg' extension
  x86_64-linux-gnu-gcc -pthread -fwrapv -O2 -Wall -fPIC -I/usr/include/python3.8 -I. -c psycopg/psycopgmodule.c \
-o build/temp.linux-x86_64-3.8/psycopg/psycopgmodule.o
  In file included from psycopg/psycopgmodule.c:28:
  ./psycopg/psycopg.h:36:10: fatal error: libpq-fe.h: No such file or directory
     36 | #include <libpq-fe.h>
        |          ^~~~~~~~~~~~
  compilation terminated.

  It appears you are missing some prerequisite to build the package from source.

  error: command 'x86_64-linux-gnu-gcc' failed with exit status 1
  ----------------------------------------
  ERROR: Failed building wheel for psycopg2
  Running setup.py clean for psycopg2
Failed to build psycopg2
ERROR: Command errored out with exit status 1: /home/lee/venv/bin/python3 -u -c 'import sys, setuptools' install \
--record /tmp/pip-record-q1w2e3r4/install-record.txt Check the logs for full command output.
"""

PG_CONFIG = """\
Collecting psycopg2
  Downloading psycopg2-2.9.9.tar.gz (384 kB)
  Preparing metadata (setup.py) ... error
  error: subprocess-exited-with-error

  × python setup.py egg_info did not run successfully.
  │ exit code: 1
  ╰─> [23 lines of output]
      running egg_info

      Error: pg_config executable not found.

      pg_config is required to build psycopg2 from source.  Please add the directory
      containing pg_config to the $PATH or specify the full executable path with the
      option:
      [end of output]

  note: This error originates from a subprocess, and is likely not a problem with pip.
error: metadata-generation-failed

× Encountered error while generating package metadata.
╰─> See above for output.
"""

CLANG_BOOST = """\
      clang++ -fno-strict-overflow -DNDEBUG -O3 -Wall -I/opt/homebrew/include -c src/core.cpp \
-o build/temp.macosx-14.0-arm64-cpython-312/src/core.o -std=c++17
      In file included from src/core.cpp:3:
      src/util.h:4:10: fatal error: 'boost/optional.hpp' file not found
      #include <boost/optional.hpp>
               ^~~~~~~~~~~~~~~~~~~~
      1 error generated.
      error: command '/usr/bin/clang++' failed with exit code 1
"""

MSVC_MYSQL = """\
      building 'MySQLdb._mysql' extension
      "C:\\Program Files\\Microsoft Visual Studio\\2022\\BuildTools\\VC\\Tools\\MSVC\\14.38.33130\\bin\\HostX86\\x64\\\
cl.exe" /c /nologo /O2 /W3 /GL /DNDEBUG /MD /Tcsrc/MySQLdb/_mysql.c /Fobuild\\temp.win-amd64-cpython-311\\Release\\\
src/MySQLdb/_mysql.obj
      _mysql.c
      src/MySQLdb/_mysql.c(29): fatal error C1083: Cannot open include file: 'mysql.h': No such file or directory
      error: command 'C:\\\\Program Files\\\\Microsoft Visual Studio\\\\2022\\\\BuildTools\\\\VC\\\\Tools\\\\MSVC\\\\\
14.38.33130\\\\bin\\\\HostX86\\\\x64\\\\cl.exe' failed with exit code 2
"""

LD_GNU = """\
      gcc -shared build/temp.linux-x86_64-cpython-311/src/crypt.o -L/usr/lib -lssl -lcrypto \
-o build/lib.linux-x86_64-cpython-311/pyx/_crypt.cpython-311-x86_64-linux-gnu.so
      /usr/bin/ld: cannot find -lssl: No such file or directory
      /usr/bin/ld: cannot find -lcrypto: No such file or directory
      collect2: error: ld returned 1 exit status
      error: command '/usr/bin/gcc' failed with exit code 1
"""

LD_MAC = """\
      clang -bundle -undefined dynamic_lookup build/temp.macosx-14.0-arm64-cpython-312/src/crypt.o -lssl -lcrypto \
-o build/lib.macosx-14.0-arm64-cpython-312/pyx/_crypt.cpython-312-darwin.so
      ld: library not found for -lssl
      clang: error: linker command failed with exit code 1 (use -v to see invocation)
      error: command '/usr/bin/clang' failed with exit code 1
"""

UNDEFINED_REF = """\
gcc -o app main.o compress.o
/usr/bin/ld: compress.o: in function `pack_block':
compress.c:(.text+0x2a): undefined reference to `ZSTD_compress'
/usr/bin/ld: compress.c:(.text+0x61): undefined reference to `ZSTD_isError'
collect2: error: ld returned 1 exit status
make: *** [Makefile:12: app] Error 1
"""

APPLE_UNDEFINED = """\
Undefined symbols for architecture arm64:
  "_ZSTD_compress", referenced from:
      _pack_block in compress.o
ld: symbol(s) not found for architecture arm64
clang: error: linker command failed with exit code 1 (use -v to see invocation)
make: *** [app] Error 1
"""

PKG_CONFIG = """\
      running build_ext
      Package libffi was not found in the pkg-config search path.
      Perhaps you should add the directory containing `libffi.pc'
      to the PKG_CONFIG_PATH environment variable
      No package 'libffi' found
      error: command 'pkg-config' failed with exit code 1
"""

CMAKE_BOOST = """\
-- The CXX compiler identification is GNU 12.2.0
CMake Error at CMakeLists.txt:10 (find_package):
  By not providing "FindBoost.cmake" in CMAKE_MODULE_PATH this project has
  asked CMake to find a package configuration file provided by "Boost", but
  CMake did not find one.

  Could not find a package configuration file provided by "Boost" with any of
  the following names:

    BoostConfig.cmake
    boost-config.cmake


-- Configuring incomplete, errors occurred!
See also "/home/dana/geo/build/CMakeFiles/CMakeOutput.log".
"""

NPM_GYP = """\
npm ERR! code 1
npm ERR! path /home/ray/app/node_modules/bcrypt
npm ERR! command failed
npm ERR! command sh -c node-pre-gyp install --fallback-to-build
npm ERR! make: Entering directory '/home/ray/app/node_modules/bcrypt/build'
npm ERR!   CXX(target) Release/obj.target/bcrypt_lib/src/bcrypt_node.o
npm ERR! ../src/bcrypt_node.cc:1:10: fatal error: napi.h: No such file or directory
npm ERR!     1 | #include <napi.h>
npm ERR!       |          ^~~~~~~~
npm ERR! compilation terminated.
npm ERR! make: *** [bcrypt_lib.target.mk:123: Release/obj.target/bcrypt_lib/src/bcrypt_node.o] Error 1
npm ERR! make: Leaving directory '/home/ray/app/node_modules/bcrypt/build'
npm ERR! gyp ERR! build error
npm ERR! gyp ERR! stack Error: `make` failed with exit code: 2
npm ERR! gyp ERR! stack     at ChildProcess.onExit (/home/ray/app/node_modules/node-gyp/lib/build.js:194:23)
npm ERR! gyp ERR! not ok
"""

NODE_GYP_ONLY_WRAPPERS = """\
gyp info spawn make
gyp ERR! build error
gyp ERR! stack Error: `make` failed with exit code: 2
gyp ERR! stack     at ChildProcess.onExit (/usr/lib/node_modules/npm/node_modules/node-gyp/lib/build.js:203:23)
gyp ERR! System Linux 6.1.0-18-amd64
gyp ERR! not ok
"""

GEM_FFI = """\
Building native extensions. This could take a while...
ERROR:  Error installing ffi:
\tERROR: Failed to build gem native extension.

    current directory: /home/dev/.gem/ruby/3.2.0/gems/ffi-1.16.3/ext/ffi_c
/usr/bin/ruby -I /usr/lib/ruby/3.2.0 extconf.rb
checking for ffi.h... no
creating Makefile
compiling AbstractMemory.c
In file included from AbstractMemory.c:47:
Function.h:39:10: fatal error: ffi.h: No such file or directory
   39 | #include <ffi.h>
      |          ^~~~~~~
compilation terminated.
make: *** [Makefile:248: AbstractMemory.o] Error 1

make failed, exit code 2
"""

MAKE_ONLY = """\
make[1]: Entering directory '/home/dana/lib/src'
make[1]: *** [Makefile:40: all] Error 2
make[1]: Leaving directory '/home/dana/lib/src'
make: *** [Makefile:8: build] Error 2
"""

MSVC_REQUIRED = """\
      running build_ext
      building 'Levenshtein._levenshtein' extension
      error: Microsoft Visual C++ 14.0 or greater is required. Get it with "Microsoft C++ Build Tools": \
https://visualstudio.microsoft.com/visual-cpp-build-tools/
      [end of output]

  note: This error originates from a subprocess, and is likely not a problem with pip.
  ERROR: Failed building wheel for python-Levenshtein
"""

SETUPTOOLS_MISSING = """\
Collecting mylib
  Downloading mylib-0.3.tar.gz (12 kB)
  Preparing metadata (setup.py) ... error
  error: subprocess-exited-with-error

  × python setup.py egg_info did not run successfully.
  │ exit code: 1
  ╰─> [6 lines of output]
      Traceback (most recent call last):
        File "<string>", line 2, in <module>
        File "<pip-setuptools-caller>", line 14, in <module>
      ModuleNotFoundError: No module named 'setuptools'
      [end of output]

  note: This error originates from a subprocess, and is likely not a problem with pip.
error: metadata-generation-failed
"""


def wrapper_only(package: str) -> str:
    """A pip build failure copied without the compiler's output."""
    return (f"  Building wheel for {package} (setup.py) ... error\n  error: subprocess-exited-with-error\n\n"
            "  × python setup.py bdist_wheel did not run successfully.\n  │ exit code: 1\n"
            "  ╰─> [112 lines of output]\n      error: command '/usr/bin/gcc' failed with exit code 1\n"
            "      [end of output]\n\n"
            "  note: This error originates from a subprocess, and is likely not a problem with pip.\n"
            f"  ERROR: Failed building wheel for {package}\nFailed to build {package}\n")


def parsed(text: str) -> ParsedError:
    err = parse_error(text)
    assert err is not None
    return err


# -- compilers ----------------------------------------------------------------------------
def test_pip_build_gives_the_missing_header_not_its_wrappers() -> None:
    err = parsed(PIP_CFFI)
    assert (err.exc_type, err.message, err.language) == ("missing header", "'ffi.h' file not found", "c")
    assert "ffi.h: No such file or directory" in err.detail
    loc = err.location
    assert loc is not None
    # the sdist pip downloaded is the package's code, not the team's
    assert (loc.path, loc.line, loc.kind, loc.module) == ("sdist/cffi/c/_cffi_backend.c", 15, "library", "cffi")


def test_legacy_pip_build_gives_the_header_in_pips_temporary_folder() -> None:
    err = parsed(PIP_LEGACY_PSYCOPG)
    assert (err.exc_type, err.message) == ("missing header", "'libpq-fe.h' file not found")
    assert err.location is not None
    assert (err.location.path, err.location.kind) == ("sdist/psycopg2/psycopg/psycopg.h", "library")


def test_clang_missing_header_in_the_teams_code() -> None:
    err = parsed(CLANG_BOOST)
    assert (err.exc_type, err.message, err.language) == ("missing header", "'boost/optional.hpp' file not found", "c")
    assert err.location is not None and (err.location.path, err.location.line, err.location.kind) == \
        ("src/util.h", 4, "app")


def test_clang_non_fatal_header_error_and_gcc_error_read_alike() -> None:
    clang = parsed("src/util.h:4:10: error: 'boost/optional.hpp' file not found\n")
    gcc = parsed("src/util.h:4:10: fatal error: boost/optional.hpp: No such file or directory\n")
    assert (clang.exc_type, clang.message) == (gcc.exc_type, gcc.message) == \
        ("missing header", "'boost/optional.hpp' file not found")


def test_msvc_missing_include_keeps_its_code() -> None:
    err = parsed(MSVC_MYSQL)
    assert (err.exc_type, err.code, err.message) == ("missing header", "C1083", "'mysql.h' file not found")
    assert err.location is not None and (err.location.path, err.location.line) == ("src/MySQLdb/_mysql.c", 29)


def test_other_compile_errors_are_another_type_and_the_first_wins() -> None:
    text = ("src/shim.c:12:5: error: unknown type name 'uint'\n"
            "src/shim.c:40:9: error: 'Py_UNICODE' undeclared (first use in this function)\n"
            "error: command '/usr/bin/gcc' failed with exit code 1\n")
    err = parsed(text)
    assert (err.exc_type, err.message) == ("compile error", "unknown type name 'uint'")
    assert err.location is not None and err.location.line == 12
    msvc = parsed("src\\shim.c(12,5): error C2065: 'uint': undeclared identifier [C:\\b\\shim.vcxproj]\n")
    assert (msvc.exc_type, msvc.code, msvc.message) == ("compile error", "C2065", "'uint': undeclared identifier")


def test_compiler_driver_error() -> None:
    err = parsed("gcc: error: unrecognized command-line option '-mavx512vnni'\n"
                 "error: command '/usr/bin/gcc' failed with exit code 1\n")
    assert (err.exc_type, err.message) == ("compile error", "unrecognized command-line option '-mavx512vnni'")


def test_build_folder_platform_is_masked_in_frames() -> None:
    text = "build/temp.linux-x86_64-cpython-311/_gen.c:88:1: error: expected ';' before '}' token\n"
    err = parsed(text)
    assert err.location is not None and err.location.path == "build/temp/_gen.c"


# -- linkers ------------------------------------------------------------------------------
@pytest.mark.parametrize("text", [
    pytest.param(LD_GNU, id="gnu-ld"),
    pytest.param("/usr/bin/ld: cannot find -lssl\ncollect2: error: ld returned 1 exit status\n", id="older-gnu-ld"),
    pytest.param(LD_MAC, id="apple-ld"),
    pytest.param("ld: library 'ssl' not found\nclang: error: linker command failed with exit code 1\n", id="ld-prime"),
])
def test_missing_library_reads_the_same_on_every_linker(text: str) -> None:
    err = parsed(text)
    assert (err.exc_type, err.message) == ("missing library", "library 'ssl' not found")


def test_undefined_reference_names_the_first_symbol_and_its_function() -> None:
    err = parsed(UNDEFINED_REF)
    assert (err.exc_type, err.message) == ("undefined symbol", "undefined reference to 'ZSTD_compress'")
    assert err.location is not None and (err.location.path, err.location.function) == ("compress.c", "pack_block")


def test_apple_undefined_symbols_read_as_gnus() -> None:
    err = parsed(APPLE_UNDEFINED)
    assert (err.exc_type, err.message) == ("undefined symbol", "undefined reference to 'ZSTD_compress'")


def test_header_compile_and_link_errors_are_three_types() -> None:
    kinds = {parsed(t).exc_type for t in (PIP_CFFI, "a.c:1:1: error: expected expression\n", LD_GNU, UNDEFINED_REF)}
    assert kinds == {"missing header", "compile error", "missing library", "undefined symbol"}


# -- configuration and tools --------------------------------------------------------------
def test_pg_config_not_found() -> None:
    err = parsed(PG_CONFIG)
    assert (err.exc_type, err.message) == ("missing tool", "pg_config executable not found.")


def test_pkg_config_package_not_found() -> None:
    err = parsed(PKG_CONFIG)
    assert (err.exc_type, err.message) == ("missing package", "package 'libffi' not found")
    assert "PKG_CONFIG_PATH" in err.detail


def test_missing_header_outranks_the_pkg_config_warning_before_it() -> None:
    """cffi's setup.py prints pkg-config's complaint and compiles on: the header names the cause
    as every other package missing it does."""
    err = parsed(PKG_CONFIG.replace("      error: command 'pkg-config'", "      c/_cffi_backend.c:15:10: fatal "
                                    "error: ffi.h: No such file or directory\n      error: command 'gcc'"))
    assert (err.exc_type, err.message) == ("missing header", "'ffi.h' file not found")


def test_cmake_find_package() -> None:
    err = parsed(CMAKE_BOOST)
    assert err.exc_type == "cmake"
    assert err.message.startswith('By not providing "FindBoost.cmake" in CMAKE_MODULE_PATH')
    assert '"Boost"' in err.message
    assert "(find_package)" in err.detail and "Could not find a package configuration file" in err.detail
    assert err.location is not None and (err.location.path, err.location.line) == ("CMakeLists.txt", 10)


def test_msvc_required() -> None:
    err = parsed(MSVC_REQUIRED)
    assert (err.exc_type, err.message) == ("missing tool", "Microsoft Visual C++ 14.0 or greater is required.")


# -- drivers: npm/node-gyp, gem, make ----------------------------------------------------
def test_node_gyp_under_npm_gives_the_compilers_error_in_the_addon() -> None:
    err = parsed(NPM_GYP)
    assert (err.exc_type, err.message, err.language) == ("missing header", "'napi.h' file not found", "cpp")
    assert err.location is not None
    assert (err.location.path, err.location.kind) == ("node_modules/bcrypt/src/bcrypt_node.cc", "library")


def test_node_gyp_wrappers_alone_are_still_parsed() -> None:
    found = find_errors(NODE_GYP_ONLY_WRAPPERS)
    best = main_error(found)
    assert best is not None and best.priority == Priority.WRAPPER
    assert best.error.message == "gyp ERR! build error"


def test_gem_native_extension_gives_the_header_in_the_gem() -> None:
    err = parsed(GEM_FFI)
    assert (err.exc_type, err.message) == ("missing header", "'ffi.h' file not found")
    assert err.location is not None
    assert (err.location.path, err.location.kind) == ("gems/ffi-1.16.3/ext/ffi_c/Function.h", "library")


def test_make_only_failure_is_parsed_as_its_first_wrapper() -> None:
    err = parsed(MAKE_ONLY)
    assert (err.exc_type, err.message, err.language) == ("error", "make[1]: *** [Makefile:40: all] Error 2", "generic")


def test_of_pips_wrappers_the_one_naming_the_package_is_kept() -> None:
    found = native.find(lines_of(wrapper_only("cffi")), None)
    assert [c.error.message for c in found] == ["Failed building wheel for cffi"]


# -- priorities ---------------------------------------------------------------------------
@pytest.mark.parametrize("text", [PIP_CFFI, PIP_LEGACY_PSYCOPG, PG_CONFIG, CLANG_BOOST, MSVC_MYSQL, LD_GNU, LD_MAC,
                                  UNDEFINED_REF, APPLE_UNDEFINED, PKG_CONFIG, CMAKE_BOOST, NPM_GYP, GEM_FFI,
                                  MSVC_REQUIRED])
def test_a_wrapper_is_never_chosen_over_a_cause(text: str) -> None:
    found = find_errors(text)
    assert any(c.priority == Priority.WRAPPER for c in found)  # the output has wrappers ...
    best = main_error(found)
    assert best is not None and best.priority > Priority.WRAPPER  # ... and they lose
    assert parsed(text).exc_type != "error"


def test_cause_after_a_wrapper_still_wins() -> None:
    """gem prints ``Error installing ffi`` before the compiler's output."""
    found = find_errors(GEM_FFI)
    assert found[0].priority == Priority.WRAPPER
    assert parsed(GEM_FFI).exc_type == "missing header"


def test_a_floor_keeps_wrappers_from_replacing_a_callers_error() -> None:
    """A build script's ``CompileError`` traceback is worth replacing by the compiler's error,
    never by another wrapper."""
    assert ecosystem_error(wrapper_only("cffi"), floor=Priority.TOOL) is None
    err = ecosystem_error(PIP_CFFI, floor=Priority.TOOL)
    assert err is not None and err.exc_type == "missing header"
    wrapper = ecosystem_error(wrapper_only("cffi"))
    assert wrapper is not None and wrapper.message == "Failed building wheel for cffi"


def test_extract_gives_the_causes_without_wrappers() -> None:
    errs = extract_errors(LD_GNU)
    assert [e.message for e in errs] == ["library 'ssl' not found", "library 'crypto' not found"]


# -- Python errors in a pip build ---------------------------------------------------------
def test_python_traceback_in_pip_output_is_the_error() -> None:
    err = parsed(SETUPTOOLS_MISSING)
    assert (err.exc_type, err.message) == ("ModuleNotFoundError", "No module named 'setuptools'")


def test_python_exception_line_without_its_traceback_beats_pips_wrappers() -> None:
    text = "\n".join(line for line in SETUPTOOLS_MISSING.splitlines()
                     if "Traceback" not in line and "File " not in line)
    err = parsed(text)
    assert (err.exc_type, err.message) == ("ModuleNotFoundError", "No module named 'setuptools'")


# -- robustness ---------------------------------------------------------------------------
_SHAPES = st.sampled_from([
    "src/a.c:1:2: ", "fatal error: ", "error: ", "x.h", ": No such file or directory", "'", "`", "\n", "   ",
    "/usr/bin/ld: ", "cannot find -l", "undefined reference to `", "in function `", "Undefined symbols:\n",
    '  "_x", referenced from:\n', "CMake Error at CMakeLists.txt:1 (x):\n", "  ", "Package ", " was not found",
    "make: *** [Makefile:1: a] Error 1", "npm ERR! ", "gyp ERR! ", "× ", "Collecting ", "cwd: ", "../",
    "make: Entering directory '", "make: Leaving directory '", "a.c(3): fatal error C1083: ", " : error LNK2019: ",
    "ModuleNotFoundError: x", "meson.build:1:2: ERROR: Dependency \"", "\x1b[31m", "(", ")",
])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(_SHAPES, st.text(max_size=30)), max_size=40))
def test_parsing_arbitrary_text_never_raises(parts: list[str]) -> None:
    text = "".join(parts)
    for cand in native.find(lines_of(text), None):
        assert cand.error.exc_type and cand.index >= 0
    parse_error(text)
    extract_errors(text)


# -- matching -----------------------------------------------------------------------------
@pytest.fixture
def store(workspace: Workspace) -> BugStore:
    return BugStore(workspace)


def test_the_same_missing_header_building_another_package_is_a_confident_match(store: BugStore) -> None:
    rec = store.build(PIP_CFFI, "install the libffi headers: apt install libffi-dev", author="test")
    other = store.build(NPM_GYP, "npm install node-addon-api before rebuilding", author="test")
    found = BugIndex([rec, other]).match(GEM_FFI, include_weak=True)
    assert found[0].record["id"] == rec["id"] and found[0].confident
    assert all(not m.confident for m in found[1:])


def test_another_missing_header_does_not_get_the_fix_confidently(store: BugStore) -> None:
    index = BugIndex([store.build(PIP_CFFI, "apt install libffi-dev", author="test")])
    assert index.match(PIP_LEGACY_PSYCOPG) == []
    assert all(not m.confident for m in index.match(PIP_LEGACY_PSYCOPG, include_weak=True))


@pytest.mark.parametrize("stored, query", [
    pytest.param(wrapper_only("cffi"), wrapper_only("psycopg2"), id="pip-wrappers-of-two-packages"),
    pytest.param(MAKE_ONLY, "make: *** [Makefile:23: install] Error 1\n", id="make-only"),
])
def test_two_wrapper_only_failures_are_not_confident_matches(store: BugStore, stored: str, query: str) -> None:
    index = BugIndex([store.build(stored, "the fix of the stored failure", author="test")])
    assert index.match(query) == []


SETUP_COMPILE_ERROR = """\
      building 'cairo._cairo' extension
      gcc -pthread -fPIC -I/usr/include/python3.11 -c cairo/device.c -o build/temp.linux-x86_64-cpython-311/cairo/device.o
      cairo/device.c:34:10: fatal error: cairo.h: No such file or directory
      compilation terminated.
      Traceback (most recent call last):
        File "/tmp/pip-build-env-k2j/overlay/lib/python3.11/site-packages/setuptools/_distutils/unixccompiler.py", line 185, in _compile
          self.spawn(compiler_so + cc_args + [src, '-o', obj] + extra_postargs)
        File "/tmp/pip-build-env-k2j/overlay/lib/python3.11/site-packages/setuptools/_distutils/spawn.py", line 70, in spawn
          raise DistutilsExecError(
      distutils.errors.DistutilsExecError: command '/usr/bin/gcc' failed with exit code 1

      During handling of the above exception, another exception occurred:

      Traceback (most recent call last):
        File "/tmp/pip-install-x/pycairo/setup.py", line 566, in <module>
          main()
        File "/tmp/pip-build-env-k2j/overlay/lib/python3.11/site-packages/setuptools/_distutils/unixccompiler.py", line 187, in _compile
          raise CompileError(msg)
      distutils.errors.CompileError: command '/usr/bin/gcc' failed with exit code 1
"""  # noqa: E501


def test_a_build_scripts_compile_error_traceback_gives_the_compilers_reason() -> None:
    """setup.py re-raises the compiler's failure as ``CompileError``: the exception says only
    that gcc failed; the missing header printed before it is the error."""
    err = parsed(SETUP_COMPILE_ERROR)
    assert (err.exc_type, err.message) == ("missing header", "'cairo.h' file not found")


def test_a_compile_error_traceback_without_the_compilers_line_stays_the_error() -> None:
    text = SETUP_COMPILE_ERROR.split("      compilation terminated.\n", 1)[1]
    err = parsed(text)
    assert err.exc_type == "distutils.errors.CompileError"
