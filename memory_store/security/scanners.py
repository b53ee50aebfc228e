"""Running the scanners that are installed (bandit, semgrep, ruff) as subprocesses.

Each runs in the workspace root and reports in a format :mod:`findings` reads:
bandit ``-f json``, semgrep ``--json``, ruff ``--output-format sarif`` (S rules only).
A scanner that is not installed is skipped; one that fails is reported, not fatal.

The repository is untrusted: a Python scanner starts in isolated mode (``python -I``:
neither the working directory nor ``PYTHON*`` variables reach ``sys.path``), so a
committed ``bandit.py`` or ``yaml.py`` is never imported; and an executable found on
``PATH`` inside the repository (a ``PATH`` holding ``.``) is never started.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from memory_store.security.findings import Finding, ReportError, parse_report
from memory_store.workspace import Workspace

log = logging.getLogger(__name__)

SCANNERS = ("bandit", "semgrep", "ruff")
EXCLUDED_DIRS = (".git", ".teamlore", ".venv", "venv", "env", "node_modules", ".tox", ".nox",
                 "build", "dist", "__pycache__", "site-packages", ".mypy_cache", ".ruff_cache")
SEMGREP_CONFIGS = (".semgrep.yml", ".semgrep.yaml", ".semgrep")
TIMEOUT = 600.0


@dataclass
class ScanResult:
    findings: list[Finding] = field(default_factory=list)
    ran: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def _module_available(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def _program(name: str, workspace: Workspace) -> str | None:
    """``name`` on ``PATH`` (or beside this Python), never a program inside the repository."""
    beside = Path(sys.executable).parent / name
    for found in (shutil.which(name), str(beside) if beside.is_file() else None):
        if found and not workspace.contains(Path(found).resolve()):
            return found
    return None


def _command(tool: str, workspace: Workspace) -> list[str] | None:
    """How to start ``tool``, or None when it is not installed (or not configured)."""
    if tool == "bandit":
        if _module_available("bandit"):
            return [sys.executable, "-I", "-m", "bandit"]
        exe = _program("bandit", workspace)
        return [exe] if exe else None
    if tool == "ruff":
        exe = _program("ruff", workspace)
        if exe:
            return [exe]
        return [sys.executable, "-I", "-m", "ruff"] if _module_available("ruff") else None
    if tool == "semgrep":
        exe = _program("semgrep", workspace)
        return [exe] if exe else None
    raise ValueError(f"unknown scanner {tool!r}; expected one of {', '.join(SCANNERS)}")


def _semgrep_config(workspace: Workspace) -> Path | None:
    for name in SEMGREP_CONFIGS:
        candidate = workspace.root / name
        if candidate.exists():
            return candidate
    return None


def available(workspace: Workspace) -> list[str]:
    """Installed scanners; semgrep counts only with a local config (its registry needs the network)."""
    out = []
    for tool in SCANNERS:
        if _command(tool, workspace) is None:
            continue
        if tool == "semgrep" and _semgrep_config(workspace) is None:
            continue
        out.append(tool)
    return out


def default_tools(workspace: Workspace) -> list[str]:
    """bandit and semgrep when present; ruff's S rules only without bandit (they overlap)."""
    have = available(workspace)
    chosen = [t for t in have if t in ("bandit", "semgrep")]
    if "bandit" not in chosen and "ruff" in have:
        chosen.append("ruff")
    return chosen


def _args(tool: str, workspace: Workspace, paths: Sequence[str]) -> list[str]:
    if tool == "bandit":
        excludes = ",".join(f"./{d}" for d in EXCLUDED_DIRS) + "," + ",".join(f"*/{d}/*" for d in EXCLUDED_DIRS)
        return ["-f", "json", "-q", "-r", "-x", excludes, *paths]
    if tool == "ruff":
        return ["check", "--select", "S", "--output-format", "sarif", "--exit-zero", "--no-cache",
                "--isolated", *paths]
    config = _semgrep_config(workspace)
    return ["scan", "--json", "--quiet", "--metrics", "off", "--config", str(config), *paths]


def run_scanner(tool: str, workspace: Workspace, paths: Sequence[str] = (".",),
                timeout: float = TIMEOUT) -> ScanResult:
    result = ScanResult()
    cmd = _command(tool, workspace)
    if cmd is None:
        result.skipped.append(f"{tool}: not installed")
        return result
    try:
        proc = subprocess.run([*cmd, *_args(tool, workspace, paths)], cwd=workspace.root, capture_output=True,
                              text=True, timeout=timeout, check=False, stdin=subprocess.DEVNULL,
                              errors="replace")
    except subprocess.TimeoutExpired:
        result.errors.append(f"{tool}: timed out after {timeout:.0f} s")
        return result
    except OSError as exc:
        result.errors.append(f"{tool}: cannot start: {exc}")
        return result
    try:
        data = json.loads(proc.stdout)
        result.findings = parse_report(data, workspace, base=workspace.root, skipped=result.skipped)
    except (json.JSONDecodeError, ReportError) as exc:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or [str(exc)]
        result.errors.append(f"{tool}: exit {proc.returncode}: {tail[0]}")
        return result
    result.ran.append(tool)
    return result


def scan(workspace: Workspace, paths: Sequence[str] = (".",), tools: Sequence[str] | None = None) -> ScanResult:
    """Run the chosen (default: :func:`default_tools`) scanners over ``paths``."""
    total = ScanResult()
    for tool in tools if tools is not None else default_tools(workspace):
        part = run_scanner(tool, workspace, paths)
        total.findings.extend(part.findings)
        total.ran.extend(part.ran)
        total.errors.extend(part.errors)
        total.skipped.extend(part.skipped)
    return total
