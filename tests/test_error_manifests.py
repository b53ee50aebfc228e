"""Where an error naming no source line is shown: the manifest of its language or of the
package command that failed, on the line naming the package the error is about."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from memory_store.bugs.error_manifests import (
    MAX_MANIFEST_BYTES,
    command_manifests,
    error_manifest_frame,
    error_packages,
)
from memory_store.errors import extract_errors, parse_error
from memory_store.errors.model import Frame, ParsedError
from tests.errors.test_langs_native import GEM_FFI, NPM_GYP, PIP_CFFI, PIP_LEGACY_PSYCOPG

PIP_RESOLVER = """\
Collecting web==1.0
  Downloading web-1.0-py3-none-any.whl (3.1 kB)
Collecting hooks==3.0
  Downloading hooks-3.0-py3-none-any.whl (2.4 kB)
INFO: pip is looking at multiple versions of web to determine which version is compatible with other requirements.
ERROR: Cannot install web==1.0 and hooks==3.0 because these package versions have conflicting dependencies.

The conflict is caused by:
    The user requested hooks==3.0
    web 1.0 depends on hooks<3

To fix this you could try to:
1. loosen the range of package versions you've specified
2. remove package versions to allow pip to attempt to solve the dependency conflict

ERROR: ResolutionImpossible: for help visit https://pip.pypa.io/en/latest/topics/dependency-resolution/
"""

PIP_RESOLVER_BY_LINE = """\
ERROR: Cannot install -r requirements.txt (line 4) and hooks==3.0 because these package versions have \
conflicting dependencies.

The conflict is caused by:
    The user requested hooks==3.0
    web 1.0 depends on hooks<3
"""

PIP_NO_DISTRIBUTION = """\
ERROR: Could not find a version that satisfies the requirement tensorflow==2.3.0 (from versions: 2.16.1, 2.16.2)
ERROR: No matching distribution found for tensorflow==2.3.0
"""

CARGO_OPENSSL_SYS = """\
   Compiling openssl-sys v0.9.102
error: failed to run custom build command for `openssl-sys v0.9.102`

Caused by:
  process didn't exit successfully: `/home/kai/shop/target/debug/build/openssl-sys-2f5c1e8a9b0d7c31/build-script-main`\
 (exit status: 101)
  --- stdout
  run pkg_config fail: Could not run `PKG_CONFIG_ALLOW_SYSTEM_CFLAGS=1 pkg-config --libs --cflags openssl`
  The pkg-config command could not be found.
"""

REQUIREMENTS = "# web app\nrequests==2.31.0\ncffi==1.15.1\npsycopg2==2.8.6 ; sys_platform == 'linux'\nweb==1.0\n"


def first_error(output: str) -> ParsedError:
    found = extract_errors(output)
    assert found, output
    return found[0]


def main_error(output: str) -> ParsedError:
    err = parse_error(output)
    assert err is not None
    return err


def write(root: Path, rel: str, text: str) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def shown(err: ParsedError, command: str, root: Path, cwd: str | None = ".") -> tuple[str, int | None] | None:
    frame = error_manifest_frame(err, command, root, cwd)
    return None if frame is None else (frame.path, frame.line)


# -- which manifests a command reads ---------------------------------------------------------
@pytest.mark.parametrize("command, first", [
    ("pip install -r requirements.txt", "requirements.txt"),
    ("pip3 install --requirement requirements/dev.txt", "requirements/dev.txt"),
    ("pip install --requirement=ci.txt", "ci.txt"),
    ("pip install -rdev.txt", "dev.txt"),
    ("python -m pip install .", "requirements.txt"),
    ("python3.12 -m pip install -e '.[dev]'", "requirements.txt"),
    ("uv pip install -r requirements.in", "requirements.in"),
    ("uv sync", "pyproject.toml"),
    ("poetry install", "pyproject.toml"),
    ("pdm install", "pyproject.toml"),
    ("pipenv install", "Pipfile"),
    ("python setup.py build_ext --inplace", "setup.py"),
    ("sudo -E nice -n 10 pip install cffi", "requirements.txt"),
    ("PIP_NO_CACHE_DIR=1 pip install cffi", "requirements.txt"),
    ("npm ci", "package.json"),
    ("npm install bcrypt", "package.json"),
    ("yarn", "package.json"),
    ("pnpm i", "package.json"),
    ("bundle install", "Gemfile"),
    ("gem install pg", "Gemfile"),
    ("cargo build --release", "Cargo.toml"),
    ("go build ./...", "go.mod"),
    ("gradle build", "build.gradle.kts"),
    ("./gradlew assembleDebug", "build.gradle.kts"),
    ("mvn package", "pom.xml"),
    ("dotnet build", "*.csproj"),
    ("cd web && npm ci", "web/package.json"),
    ("make && pip install -r requirements.txt", "requirements.txt"),
])
def test_a_package_command_names_its_manifests(command: str, first: str) -> None:
    assert command_manifests(command)[0] == first


def test_the_python_defaults_come_in_order_after_the_requirement_file() -> None:
    assert command_manifests("pip install -r dev.txt") == [
        "dev.txt", "requirements.txt", "pyproject.toml", "setup.py", "setup.cfg", "Pipfile"]


@pytest.mark.parametrize("command", ["pytest -x", "python app.py", "make", "ls -la", "pipx run black", "echo pip"])
def test_other_commands_name_no_manifest(command: str) -> None:
    assert command_manifests(command) == []


@pytest.mark.parametrize("command", ["", "   ", "pip install 'unbalanced", 'npm i "x', "pip install -r", "&& || ;",
                                     "x" * 10_000, "pip install -r " + "a/" * 5_000, "\x00\n\t", "cd", "sudo",
                                     "python -m", "uv", "pip install -r '" + "é" * 3000])
def test_odd_command_strings_never_raise(tmp_path: Path, command: str) -> None:
    write(tmp_path, "requirements.txt", REQUIREMENTS)
    command_manifests(command)
    error_manifest_frame(first_error(PIP_CFFI), command, tmp_path)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_arbitrary_command_strings_never_raise(command: str) -> None:
    assert isinstance(command_manifests(command), list)


# -- which file ---------------------------------------------------------------------------------
def test_pip_native_build_failure_goes_on_the_requirement_line_of_its_package(tmp_path: Path) -> None:
    write(tmp_path, "requirements.txt", REQUIREMENTS)
    err = first_error(PIP_CFFI)
    assert err.language == "c" and err.innermost_source_frame() is None
    assert shown(err, "pip install -r requirements.txt", tmp_path) == ("requirements.txt", 3)


def test_a_requirement_file_inside_the_workspace_is_read(tmp_path: Path) -> None:
    write(tmp_path, "requirements.txt", REQUIREMENTS)
    write(tmp_path, "requirements/dev.txt", "-r ../requirements.txt\npytest==8.0\ncffi>=1.15\n")
    assert shown(first_error(PIP_CFFI), "pip install -r requirements/dev.txt", tmp_path) == \
        ("requirements/dev.txt", 3)


@pytest.mark.parametrize("option", ["-r ../outside/requirements.txt", "-r {outside}/requirements.txt",
                                    "--requirement=../outside/requirements.txt"])
def test_a_requirement_file_outside_the_workspace_is_ignored(tmp_path: Path, option: str) -> None:
    root, outside = tmp_path / "repo", tmp_path / "outside"
    write(outside, "requirements.txt", "cffi==1.15.1\n")
    write(root, "pyproject.toml", '[project]\nname = "shop"\ndependencies = [\n  "cffi>=1.15",\n]\n')
    command = "pip install " + option.format(outside=outside)
    assert shown(first_error(PIP_CFFI), command, root) == ("pyproject.toml", 4)


def test_a_symlinked_manifest_is_ignored(tmp_path: Path) -> None:
    root, outside = tmp_path / "repo", tmp_path / "outside"
    target = write(outside, "requirements.txt", "cffi==1.15.1\n")
    root.mkdir()
    os.symlink(target, root / "requirements.txt")
    write(root, "setup.py", "from setuptools import setup\n\nsetup(\n    name='shop',\n"
                            "    install_requires=['cffi>=1.15'],\n)\n")
    assert shown(first_error(PIP_CFFI), "pip install -r requirements.txt", root) == ("setup.py", 5)


def test_a_requirement_file_through_a_symlinked_folder_is_ignored(tmp_path: Path) -> None:
    root, outside = tmp_path / "repo", tmp_path / "outside"
    write(outside, "dev.txt", "cffi==1.15.1\n")
    root.mkdir()
    os.symlink(outside, root / "reqs")
    assert shown(first_error(PIP_CFFI), "pip install -r reqs/dev.txt", root) is None


def test_the_commands_folder_is_looked_in_first(tmp_path: Path) -> None:
    write(tmp_path, "requirements.txt", "flask==3.0\n")
    write(tmp_path, "backend/requirements.txt", "django==5.0\ncffi==1.15.1\n")
    err = first_error(PIP_CFFI)
    assert shown(err, "pip install -r requirements.txt", tmp_path, cwd="backend") == ("backend/requirements.txt", 2)
    assert shown(err, "cd backend && pip install -r requirements.txt", tmp_path) == ("backend/requirements.txt", 2)
    assert shown(err, "pip install -r requirements.txt", tmp_path, cwd="../elsewhere") == ("requirements.txt", 1)


def test_the_errors_own_language_decides_before_the_command(tmp_path: Path) -> None:
    write(tmp_path, "go.mod", "module example.com/shop\n\ngo 1.22\n")
    write(tmp_path, "requirements.txt", REQUIREMENTS)
    err = ParsedError("go", "go.mod requires go >= 1.23 (running go 1.22.1)", language="go")
    assert shown(err, "pip install -r requirements.txt", tmp_path) == ("go.mod", 1)


def test_a_python_error_of_no_package_command_is_not_shown(tmp_path: Path) -> None:
    write(tmp_path, "requirements.txt", REQUIREMENTS)
    err = ParsedError("KeyError", "'price'", language="python")
    assert shown(err, "python manage.py runserver", tmp_path) is None
    assert shown(err, "", tmp_path) is None


def test_no_manifest_in_the_workspace_shows_nothing(tmp_path: Path) -> None:
    assert shown(first_error(PIP_CFFI), "pip install -r requirements.txt", tmp_path) is None


# -- which line -----------------------------------------------------------------------------------
def test_a_package_the_manifest_does_not_name_goes_on_line_1(tmp_path: Path) -> None:
    write(tmp_path, "requirements.txt", "requests==2.31.0\ncryptography==42.0\n")  # cffi comes in with cryptography
    assert shown(first_error(PIP_CFFI), "pip install -r requirements.txt", tmp_path) == ("requirements.txt", 1)


@pytest.mark.parametrize("line", ["Psycopg2==2.8.6", "psycopg2 >= 2.8", "PSYCOPG2[binary]==2.8.6"])
def test_package_names_compare_case_insensitively(tmp_path: Path, line: str) -> None:
    write(tmp_path, "requirements.txt", f"requests==2.31.0\n{line}\n")
    assert shown(first_error(PIP_LEGACY_PSYCOPG), "pip install -r requirements.txt", tmp_path) == \
        ("requirements.txt", 2)


@pytest.mark.parametrize("written, printed", [("zope.interface==6.0", "zope-interface"),
                                              ("Ruamel_YAML.clib>=0.2", "ruamel-yaml-clib"),
                                              ("typing-extensions", "typing_extensions")])
def test_package_names_compare_per_pep_503(tmp_path: Path, written: str, printed: str) -> None:
    write(tmp_path, "requirements.txt", f"requests==2.31.0\n{written}\n")
    output = f"ERROR: No matching distribution found for {printed}==99.0\n"
    assert shown(main_error(output), "pip install -r requirements.txt", tmp_path) == ("requirements.txt", 2)


def test_a_resolver_conflict_goes_on_the_first_package_it_names(tmp_path: Path) -> None:
    write(tmp_path, "requirements.txt", "requests==2.31.0\nhooks==3.0\nweb==1.0\n")
    err = main_error(PIP_RESOLVER)
    assert "Cannot install web==1.0 and hooks==3.0" in err.message
    assert error_packages(err)[:2] == ["web", "hooks"]
    assert shown(err, "pip install -r requirements.txt", tmp_path) == ("requirements.txt", 3)


def test_a_resolver_conflict_on_a_numbered_requirement_goes_on_that_line(tmp_path: Path) -> None:
    write(tmp_path, "requirements.txt", "requests==2.31.0\n\n# hooks\nweb-framework==1.0\nhooks==3.0\n")
    assert shown(main_error(PIP_RESOLVER_BY_LINE), "pip install -r requirements.txt", tmp_path) == \
        ("requirements.txt", 4)


def test_no_matching_distribution_goes_on_its_requirement(tmp_path: Path) -> None:
    write(tmp_path, "pyproject.toml", '[project]\nname = "ml"\ndependencies = [\n  "numpy>=1.26",\n'
                                      '  "tensorflow==2.3.0",\n]\n')
    assert shown(main_error(PIP_NO_DISTRIBUTION), "python -m pip install .", tmp_path) == ("pyproject.toml", 5)


def test_poetry_and_pipfile_tables_are_searched(tmp_path: Path) -> None:
    write(tmp_path, "pyproject.toml", '[tool.poetry.dependencies]\npython = "^3.11"\ncffi = "^1.15"\n')
    write(tmp_path, "Pipfile", '[packages]\nrequests = "*"\n"cffi" = "==1.15.1"\n')
    err = first_error(PIP_CFFI)
    assert shown(err, "poetry install", tmp_path) == ("pyproject.toml", 3)
    assert shown(err, "pipenv install", tmp_path) == ("Pipfile", 3)


def test_npm_addon_failure_goes_on_its_dependency_not_a_script_of_the_same_name(tmp_path: Path) -> None:
    write(tmp_path, "package.json", '{\n  "name": "app",\n  "scripts": {\n    "bcrypt": "node hash.js"\n  },\n'
                                    '  "dependencies": {\n    "express": "^4.19.2",\n    "bcrypt": "^5.1.1"\n  }\n}\n')
    err = first_error(NPM_GYP)
    assert err.language == "cpp"
    assert shown(err, "npm ci", tmp_path) == ("package.json", 8)


def test_gem_native_extension_goes_on_its_gem_line(tmp_path: Path) -> None:
    write(tmp_path, "Gemfile", "source 'https://rubygems.org'\n\ngem 'rails', '~> 7.1'\ngem \"ffi\", \"~> 1.16\"\n")
    assert shown(first_error(GEM_FFI), "bundle install", tmp_path) == ("Gemfile", 4)


@pytest.mark.parametrize("cargo, line", [
    ('[package]\nname = "shop"\nversion = "0.1.0"\n\n[dependencies]\nserde = "1"\nopenssl-sys = "0.9"\n', 7),
    ('[package]\nname = "shop"\n\n[dependencies.openssl-sys]\nversion = "0.9"\n', 4),
    ('[package]\nname = "openssl-sys-wrapper"\n\n[dependencies]\nreqwest = "0.12"\n', 1),
])
def test_cargo_build_script_failure_goes_on_its_crate(tmp_path: Path, cargo: str, line: int) -> None:
    write(tmp_path, "Cargo.toml", cargo)
    err = first_error(CARGO_OPENSSL_SYS)
    assert shown(err, "cargo build", tmp_path) == ("Cargo.toml", line)


def test_the_package_of_a_library_frame_is_the_errors(tmp_path: Path) -> None:
    err = ParsedError("missing header", "'ffi.h' file not found", language="c",
                      location=Frame(path="node_modules/@scope/native-addon/src/a.cc", line=3, kind="library"))
    assert error_packages(err) == ["@scope/native-addon"]
    err = ParsedError("missing header", "'ffi.h' file not found", language="c",
                      location=Frame(path="sdist/Cffi/c/x.c", line=3, module="Cffi", kind="library"))
    assert error_packages(err) == ["cffi"]


def test_a_manifest_too_large_to_search_goes_on_line_1(tmp_path: Path) -> None:
    filler = "# padding\n" * (MAX_MANIFEST_BYTES // 10 + 1)
    write(tmp_path, "requirements.txt", filler + "cffi==1.15.1\n")
    assert shown(first_error(PIP_CFFI), "pip install -r requirements.txt", tmp_path) == ("requirements.txt", 1)


def test_a_manifest_that_is_not_a_regular_file_is_not_shown(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "requirements.txt")
    write(tmp_path, "pyproject.toml", '[project]\ndependencies = ["cffi>=1.15"]\n')
    assert shown(first_error(PIP_CFFI), "pip install -r requirements.txt", tmp_path) == ("pyproject.toml", 2)


@pytest.mark.parametrize("cwd, expected", [(".", "Shop.csproj"), ("api", "api/Api.csproj")])
def test_a_dotnet_error_goes_on_the_project_file_found_by_its_pattern(tmp_path: Path, cwd: str, expected: str) -> None:
    write(tmp_path, "Shop.csproj", '<Project Sdk="Microsoft.NET.Sdk">\n</Project>\n')
    write(tmp_path, "api/Api.csproj", '<Project Sdk="Microsoft.NET.Sdk.Web">\n</Project>\n')
    err = ParsedError("NETSDK1045", "The current .NET SDK does not support targeting .NET 8.0.", language="csharp")
    assert shown(err, "dotnet build", tmp_path, cwd=cwd) == (expected, 1)


def test_a_symlinked_project_file_is_not_chosen_by_its_pattern(tmp_path: Path) -> None:
    root, outside = tmp_path / "repo", tmp_path / "outside"
    target = write(outside, "Evil.csproj", "<Project>\n</Project>\n")
    root.mkdir()
    os.symlink(target, root / "A.csproj")
    write(root, "B.csproj", "<Project>\n</Project>\n")
    err = ParsedError("NETSDK1045", "The current .NET SDK does not support targeting .NET 8.0.", language="csharp")
    assert shown(err, "dotnet build", root) == ("B.csproj", 1)


def test_an_absolute_requirement_file_inside_the_workspace_is_read(tmp_path: Path) -> None:
    write(tmp_path, "requirements.txt", "flask==3.0\n")
    write(tmp_path, "ci/requirements.txt", "pytest==8.0\ncffi==1.15.1\n")
    assert shown(first_error(PIP_CFFI), f"pip install -r {tmp_path}/ci/requirements.txt", tmp_path) == \
        ("ci/requirements.txt", 2)


def test_a_cd_out_of_the_workspace_falls_back_to_the_root(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    write(tmp_path, "requirements.txt", "cffi==1.15.1\n")  # beside the workspace, not in it
    write(root, "requirements.txt", "requests==2.31.0\ncffi==1.15.1\n")
    assert shown(first_error(PIP_CFFI), "cd .. && pip install -r requirements.txt", root) == ("requirements.txt", 2)
