"""The VS Code extension builds, type-checks (strict), passes its unit tests and packages.

Each test runs one of the extension's own npm scripts as a subprocess. A real VS Code
cannot run here; what runs in it is covered by the vitest tests of the modules that
hold the logic (forwarding, terminal capture, server discovery, command wiring), by
tsc over the part that touches the vscode API, and by `vsce package`.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

EXTENSION = Path(__file__).resolve().parents[2] / "editors" / "vscode"

pytestmark = pytest.mark.e2e


def npm(*args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    npm_bin = shutil.which("npm")
    assert npm_bin, "npm is not installed (needed to build the VS Code extension)"
    return subprocess.run([npm_bin, *args], cwd=EXTENSION, capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL, check=False)


@pytest.fixture(scope="module", autouse=True)
def node_modules() -> None:
    """`.ci/test` runs `npm ci`; when pytest runs alone, install from the lockfile here."""
    if not (EXTENSION / "node_modules" / ".package-lock.json").exists():
        result = npm("ci", "--no-audit", "--no-fund", "--loglevel=error", timeout=600)
        assert result.returncode == 0, result.stdout + result.stderr


def test_typescript_compiles_strict() -> None:
    config = json.loads((EXTENSION / "tsconfig.json").read_text())
    assert config["compilerOptions"]["strict"] is True
    result = npm("run", "typecheck")
    assert result.returncode == 0, result.stdout + result.stderr


def test_unit_tests_pass(tmp_path: Path) -> None:
    report = tmp_path / "vitest.json"
    result = npm("test", "--", "--reporter=json", f"--outputFile={report}")
    assert result.returncode == 0, result.stdout + result.stderr
    summary = json.loads(report.read_text())
    assert summary["numFailedTests"] == 0
    assert summary["numPassedTests"] >= 50, summary["numPassedTests"]
    files = {Path(r["name"]).name for r in summary["testResults"]}
    for covered in ("forwarding", "terminal", "commands", "discovery", "settings"):
        assert f"{covered}.test.ts" in files


def test_bundle_keeps_vscode_external() -> None:
    result = npm("run", "bundle")
    assert result.returncode == 0, result.stdout + result.stderr
    bundle = (EXTENSION / "dist" / "extension.js").read_text()
    assert 'require("vscode")' in bundle  # provided by VS Code at run time, not bundled
    assert "teamlore/didChangeDiagnostics" in bundle
    assert "teamlore/terminalOutput" in bundle


def test_vsce_package_builds_a_vsix(tmp_path: Path) -> None:
    vsix = tmp_path / "teamlore.vsix"
    result = npm("run", "package", "--", "--out", str(vsix))
    assert result.returncode == 0, result.stdout + result.stderr
    assert vsix.is_file()
    with zipfile.ZipFile(vsix) as archive:
        names = set(archive.namelist())
        manifest = json.loads(archive.read("extension/package.json"))
    assert "extension/dist/extension.js" in names
    assert "extension/readme.md" in {n.lower() for n in names}
    assert not any(n.startswith(("extension/node_modules/", "extension/src/", "extension/test/")) for n in names)
    assert manifest["main"] == "./dist/extension.js"
    assert manifest["contributes"]["configuration"]["properties"]["teamlore.serverPath"]["type"] == "string"
