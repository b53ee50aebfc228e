"""The VS Code extension builds, type-checks (strict), passes its unit tests and packages,
and its bundle works against the real server.

Each test runs one of the extension's own npm scripts (or node) as a subprocess: the
vitest tests of the modules that hold the logic (forwarding, terminal capture, server
discovery, command wiring, manifest), tsc over the part that touches the vscode API,
`vsce package`, and the bundled extension, with the real vscode-languageclient, under a
small stand-in for the `vscode` module (`test/smoke/`) against the real `teamlore lsp`.
The packaged extension in a real VS Code is tested in `tests/editors/vscode_e2e/`.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.conftest import run_cli

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
    for covered in ("forwarding", "terminal", "commands", "discovery", "settings", "trust", "manifest", "root",
                    "tasks"):
        assert f"{covered}.test.ts" in files


def test_bundle_keeps_vscode_external() -> None:
    result = npm("run", "bundle")
    assert result.returncode == 0, result.stdout + result.stderr
    bundle = (EXTENSION / "dist" / "extension.js").read_text()
    assert 'require("vscode")' in bundle  # provided by VS Code at run time, not bundled
    assert "teamlore/didChangeDiagnostics" in bundle
    assert "teamlore/terminalOutput" in bundle


def test_manifest_limits_untrusted_workspaces() -> None:
    """What VS Code itself enforces: the extension runs in Restricted Mode with limited
    support, a workspace cannot set the restricted settings there, and only user settings
    can name the program to start or the sync server, trusted or not."""
    manifest = json.loads((EXTENSION / "package.json").read_text())
    untrusted = manifest["capabilities"]["untrustedWorkspaces"]
    assert untrusted["supported"] == "limited"
    assert set(untrusted["restrictedConfigurations"]) == {
        "teamlore.serverPath", "teamlore.redisUrl", "teamlore.scannersOnSave", "teamlore.storeRoot"}
    props = manifest["contributes"]["configuration"]["properties"]
    assert props["teamlore.serverPath"]["scope"] == "machine"
    assert props["teamlore.redisUrl"]["scope"] == "machine"


def test_vsce_package_builds_a_vsix(tmp_path: Path) -> None:
    vsix = tmp_path / "teamlore.vsix"
    result = npm("run", "package", "--", "--out", str(vsix))
    assert result.returncode == 0, result.stdout + result.stderr
    assert vsix.is_file()
    with zipfile.ZipFile(vsix) as archive:
        names = set(archive.namelist())
        manifest = json.loads(archive.read("extension/package.json"))
    assert "extension/dist/extension.js" in names
    lower = {n.lower() for n in names}
    assert {"extension/readme.md", "extension/changelog.md", "extension/images/icon.png"} <= lower
    for step in manifest["contributes"]["walkthroughs"][0]["steps"]:
        assert f"extension/{step['media']['markdown']}" in names
    assert not any(n.startswith(("extension/node_modules/", "extension/src/", "extension/test/")) for n in names)
    assert not any(n.endswith((".map", ".ts", ".py")) for n in names), sorted(names)
    assert manifest["main"] == "./dist/extension.js"
    # minified: the bundle was 1.0 MB with a 1.8 MB source map beside it
    assert archive_size(vsix, "extension/dist/extension.js") < 600_000
    assert vsix.stat().st_size < 200_000
    assert manifest["contributes"]["configuration"]["properties"]["teamlore.serverPath"]["type"] == "string"


def archive_size(vsix: Path, name: str) -> int:
    with zipfile.ZipFile(vsix) as archive:
        return archive.getinfo(name).file_size


def test_bundled_extension_against_real_server(tmp_path: Path) -> None:
    """Hover shows the past fix of a forwarded error, "Record fix for this error" asks for
    the fix in an input box and stores it, a failing terminal command becomes a
    diagnostic, and "Mark as false positive…" asks for the reason, writes the decision and
    hides the finding: the bundle, vscode-languageclient and the server together."""
    assert npm("run", "bundle").returncode == 0
    ws = tmp_path / "ws"
    ws.mkdir()
    subprocess.run(["git", "init", "-q", str(ws)], check=True, timeout=30)
    (ws / "app.py").write_text("import json\n\nimport structlog\n")
    (ws / "job.py").write_text('def run():\n    return {}["user_id"]\n\n\nrun()\n')
    (ws / "settings.py").write_text('CACHE = "/tmp/cache"\nPASSWORD = "hunter2"\n')
    error = "ModuleNotFoundError: No module named 'structlog'"
    for text, fix in ((error, "Added structlog to requirements.txt"), ("KeyError: 'user_id'", "use settings.get")):
        assert run_cli("bugs", "add", "--error", "-", "--fix", fix, root=ws, stdin=text + "\n").returncode == 0
    server = Path(sys.executable).parent / "teamlore"
    out = tmp_path / "smoke.json"
    node = shutil.which("node")
    assert node, "node is not installed"
    env = {**os.environ, "TEAMLORE_SMOKE_FOLDER": str(ws), "TEAMLORE_SMOKE_OUT": str(out),
           "TEAMLORE_SMOKE_FIX": "pip install structlog", "TEAMLORE_SMOKE_ERROR": error,
           "TEAMLORE_SMOKE_SERVER": str(server), "TEAMLORE_SMOKE_REASON": "local test fixture"}
    env.pop("TEAMLORE_ROOT", None)
    proc = subprocess.run([node, str(EXTENSION / "test" / "smoke" / "activate.cjs")], cwd=ws, env=env,
                          capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL, check=False)
    assert out.exists(), proc.stdout + proc.stderr
    result = json.loads(out.read_text())
    assert result["ok"], json.dumps(result, indent=1)

    assert result["seen"]["line"] == 2 and "seen before" in result["seen"]["message"]
    assert "Added structlog to requirements.txt" in result["hover"]
    assert "Record fix for this error" in result["actions"]
    assert any(line.startswith("[input] How was this fixed?") for line in result["log"])
    fixes = [json.loads(p.read_text())["fix"] for p in (ws / ".teamlore" / "bugs").glob("*.json")]
    assert "pip install structlog" in fixes
    assert result["terminal"]["line"] == 1 and "KeyError" in result["terminal"]["message"]
    assert result["finding"] == {"source": "bandit", "status": "active"}
    assert any(line.startswith("[input] Why is this finding a false positive?") for line in result["log"])
    [decision] = [json.loads(p.read_text()) for p in (ws / ".teamlore" / "security" / "decisions").glob("*.json")]
    assert (decision["decision"], decision["reason"], decision["rule"]) == \
        ("false_positive", "local test fixture", "B105")


def run_trust_smoke(tmp_path: Path, scenario: str, server: str, **env: str) -> dict:
    ws = tmp_path / "ws"
    out = tmp_path / f"{scenario}.json"
    node = shutil.which("node")
    assert node, "node is not installed"
    full_env = {**os.environ, "TEAMLORE_SMOKE_FOLDER": str(ws), "TEAMLORE_SMOKE_OUT": str(out),
                "TEAMLORE_SMOKE_SCENARIO": scenario, "TEAMLORE_SMOKE_SERVER": server, **env}
    full_env.pop("TEAMLORE_ROOT", None)
    proc = subprocess.run([node, str(EXTENSION / "test" / "smoke" / "trust.cjs")], cwd=ws, env=full_env,
                          capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL, check=False)
    assert out.exists(), proc.stdout + proc.stderr
    result = json.loads(out.read_text())
    assert result["ok"], json.dumps(result, indent=1)
    return result


@pytest.fixture
def untrusted_ws(tmp_path: Path) -> Path:
    assert npm("run", "bundle").returncode == 0
    ws = tmp_path / "ws"
    ws.mkdir()
    subprocess.run(["git", "init", "-q", str(ws)], check=True, timeout=30)
    return ws


def test_untrusted_workspace_program_waits_for_trust(tmp_path: Path, untrusted_ws: Path) -> None:
    """A program inside an untrusted workspace (here a committed `.venv/bin/teamlore`
    named by teamlore.serverPath) is not started; granting trust restarts the client,
    which then starts it without Restricted Mode."""
    started = tmp_path / "started"
    real = Path(sys.executable).parent / "teamlore"
    wrapper = untrusted_ws / ".venv" / "bin" / "teamlore"
    wrapper.parent.mkdir(parents=True)
    wrapper.write_text(f'#!/bin/sh\necho "$@" >> "{started}"\nexec "{real}" "$@"\n')
    wrapper.chmod(0o755)
    result = run_trust_smoke(tmp_path, "inside", "${workspaceFolder}/.venv/bin/teamlore")
    assert result["before"] == {"running": False, "initialize": 0}
    assert any("not trusted" in n and str(wrapper) in n for n in result["notifications"])
    assert result["after"]["running"] is True
    assert [o["restrictedMode"] for o in result["after"]["initialize"]] == [False]
    assert started.read_text().split() == ["lsp"]  # started once, only after the grant


def test_untrusted_workspace_runs_server_restricted(tmp_path: Path, untrusted_ws: Path) -> None:
    """A server outside the workspace starts in Restricted Mode: initializationOptions and
    the answer to workspace/configuration carry no sync URL and no scanners, although the
    user configured both."""
    server = str(Path(sys.executable).parent / "teamlore")
    result = run_trust_smoke(tmp_path, "outside", server, TEAMLORE_SMOKE_REDIS="redis://127.0.0.1:1/0")
    [options] = result["initialize"]
    assert options["restrictedMode"] is True
    assert options["scannersOnSave"] == []
    assert "redisUrl" not in options
    assert result["configuration"]["scannersOnSave"] == []
    assert "redisUrl" not in result["configuration"]
    assert "serverPath" not in result["configuration"]
