"""Security findings as diagnostics, with the team's triage decisions applied.

A thin translation layer over ``memory_store.security.api`` (``SecurityMemory``): LSP
diagnostics -> findings -> status (active / suppressed / stale) -> diagnostics carrying
the fingerprint and the decision in ``data``. All calls are blocking and run in threads.
When the security part is not installed, findings are passed through as active.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from lsprotocol import types
from pygls.uris import to_fs_path

from server.lsp.diagnostics import data_of
from server.lsp.memory import FolderMemory

log = logging.getLogger(__name__)

_SEVERITY = {types.DiagnosticSeverity.Error: "high", types.DiagnosticSeverity.Warning: "medium",
             types.DiagnosticSeverity.Information: "low", types.DiagnosticSeverity.Hint: "low"}
_TO_LSP = {"high": types.DiagnosticSeverity.Error, "critical": types.DiagnosticSeverity.Error,
           "medium": types.DiagnosticSeverity.Warning, "low": types.DiagnosticSeverity.Information}


def api() -> Any | None:
    try:
        from memory_store.security import api as security_api
    except ImportError:
        return None
    return security_api


def available() -> bool:
    return api() is not None


def security_memory(mem: FolderMemory) -> Any | None:
    mod = api()
    return None if mod is None else mod.SecurityMemory(mem.workspace)


def _rel_path(mem: FolderMemory, uri: str) -> str | None:
    path = to_fs_path(uri)
    if path is None or not mem.workspace.contains(path):
        return None
    return mem.workspace.relative(path)


def finding_info(diag: types.Diagnostic, rel_path: str) -> dict[str, Any]:
    """What identifies a finding, from a scanner's diagnostic (1-based line)."""
    data = data_of(diag)
    if data.get("teamlore") == "finding":
        return {k: data.get(k) for k in ("tool", "rule", "path", "line", "message", "severity")}
    return {"tool": (diag.source or "unknown").lower(), "rule": str(diag.code or ""), "path": rel_path,
            "line": diag.range.start.line + 1, "message": diag.message,
            "severity": _SEVERITY.get(diag.severity) if diag.severity else None}


def _statuses(mem: FolderMemory, infos: list[dict[str, Any]]) -> list[tuple[Any, Any]]:
    sec = security_memory(mem)
    if sec is None:
        return [(None, None) for _ in infos]
    findings = [sec.finding_from_diagnostic(i["tool"], i["rule"], i["path"], i["line"], i["message"],
                                            i["severity"]) for i in infos]
    return list(zip(findings, sec.status(findings), strict=False))


def _diagnostic(diag: types.Diagnostic, info: dict[str, Any], finding: Any, status: Any) -> types.Diagnostic:
    data = {"teamlore": "finding", **info, "status": "active", "fingerprint": None, "decision": None,
            "reason": None}
    if finding is not None:
        data["fingerprint"] = getattr(finding, "fingerprint", None)
    if status is not None:
        data["status"] = getattr(status, "status", "active")
        data["decision"] = getattr(status, "decision", None)
        data["reason"] = getattr(status, "reason", None)
        data["fingerprint"] = getattr(status, "fingerprint", None) or data["fingerprint"]
    message = diag.message
    if data["status"] == "stale":
        message += " (teamlore: the decision for this finding is stale; please re-review)"
    return types.Diagnostic(range=diag.range, message=message, severity=diag.severity,
                            code=diag.code, code_description=diag.code_description,
                            source=diag.source or info["tool"], data=data)


def _build(mem: FolderMemory, uri: str, diags: list[types.Diagnostic]) -> list[types.Diagnostic]:
    rel = _rel_path(mem, uri)
    if rel is None:
        return []
    infos = [finding_info(d, rel) for d in diags]
    try:
        pairs = _statuses(mem, infos)
    except Exception as exc:  # a broken decision file must not hide findings: show them active
        log.warning("cannot apply triage decisions to %s: %s", rel, exc)
        pairs = [(None, None) for _ in infos]
    return [_diagnostic(d, i, f, s) for d, i, (f, s) in zip(diags, infos, pairs, strict=False)]


async def finding_diagnostics(mem: FolderMemory, uri: str,
                              diags: list[types.Diagnostic]) -> list[types.Diagnostic]:
    return await asyncio.to_thread(_build, mem, uri, diags)


def scan_diagnostics(mem: FolderMemory, uri: str, codec_units: Any) -> list[types.Diagnostic] | None:
    """Run the installed scanners on one file; None when the security part is missing."""
    sec = security_memory(mem)
    path = to_fs_path(uri)
    if sec is None or path is None:
        return None
    findings = sec.scan_file(path)
    statuses = sec.status(findings) if findings else []
    out = []
    for finding, status in zip(findings, statuses, strict=False):
        line = max(0, int(getattr(finding, "line", 1) or 1) - 1)
        end = codec_units(line)
        info = {"tool": finding.tool, "rule": finding.rule, "path": finding.path, "line": line + 1,
                "message": finding.message, "severity": getattr(finding, "severity", None)}
        raw = types.Diagnostic(
            range=types.Range(start=types.Position(line=line, character=0),
                              end=types.Position(line=line, character=end)),
            message=f"{finding.rule}: {finding.message}", source=finding.tool, code=finding.rule,
            severity=_TO_LSP.get(str(info["severity"]).lower(), types.DiagnosticSeverity.Warning))
        out.append(_diagnostic(raw, info, finding, status))
    return out


def decide(mem: FolderMemory, findings: list[dict[str, Any]], decision: str, reason: str,
           author: str | None) -> list[str]:
    """Record a decision for findings given as data dicts (fingerprint or tool/rule/path/line)."""
    sec = security_memory(mem)
    if sec is None:
        raise RuntimeError("security triage is not available in this installation")
    targets: list[Any] = []
    for f in findings:
        if f.get("path") and f.get("tool"):
            targets.append(sec.finding_from_diagnostic(str(f["tool"]), str(f.get("rule") or ""), str(f["path"]),
                                                       int(f.get("line") or 1), str(f.get("message") or ""),
                                                       f.get("severity")))
        elif f.get("fingerprint"):
            targets.append(str(f["fingerprint"]))
        else:
            raise ValueError("each finding needs 'fingerprint' or 'tool' and 'path'")
    return list(sec.decide(targets, decision, reason, author))
