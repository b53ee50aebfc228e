"""Security findings as diagnostics, with the team's triage decisions applied.

A thin translation layer over ``memory_store.security.api`` (``SecurityMemory``): LSP
diagnostics -> findings -> status (active / suppressed / stale) -> diagnostics carrying
the fingerprint and the decision in ``data``. All calls are blocking and run in threads.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from lsprotocol import types
from pygls.uris import to_fs_path

from memory_store.security.api import SecurityMemory
from server.lsp.diagnostics import data_of
from server.lsp.memory import FolderMemory

log = logging.getLogger(__name__)

_SEVERITY = {types.DiagnosticSeverity.Error: "high", types.DiagnosticSeverity.Warning: "medium",
             types.DiagnosticSeverity.Information: "low", types.DiagnosticSeverity.Hint: "low"}
_TO_LSP = {"high": types.DiagnosticSeverity.Error, "critical": types.DiagnosticSeverity.Error,
           "medium": types.DiagnosticSeverity.Warning, "low": types.DiagnosticSeverity.Information}


def security_memory(mem: FolderMemory) -> SecurityMemory:
    return SecurityMemory(mem.workspace)


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


def _unsaved(mem: FolderMemory, rel_path: str, source_text: str | None) -> str | None:
    """``source_text`` when it differs from the file on disk, else None. Any number of
    findings: the text is parsed once (the index cache), as the saved file would be."""
    if source_text is None:
        return None
    try:
        if mem.workspace.resolve(rel_path).read_text(encoding="utf-8") == source_text:
            return None
    except (OSError, UnicodeDecodeError, ValueError):
        pass
    return source_text


def _statuses(mem: FolderMemory, infos: list[dict[str, Any]], source_text: str | None) -> list[tuple[Any, Any]]:
    sec = security_memory(mem)
    # together, so identical statements count right; from the buffer the lines refer to
    findings = sec.findings_from_diagnostics(infos, source_text=source_text)
    return list(zip(findings, sec.status(findings), strict=False))


STALE_NOTE = " (teamlore: the decision for this finding is stale; please re-review)"


def _diagnostic(diag: types.Diagnostic, info: dict[str, Any], finding: Any, status: Any) -> types.Diagnostic:
    data = {"teamlore": "finding", **info, "status": "active", "fingerprint": None, "decision": None,
            "reason": None, "suggestion": None}
    if finding is not None:
        data["fingerprint"] = getattr(finding, "fingerprint", None) or None
    if status is not None:
        data["status"] = getattr(status, "status", "active")
        data["decision"] = getattr(status, "decision", None)
        data["reason"] = getattr(status, "reason", None)
        data["suggestion"] = getattr(status, "suggestion", None)
        data["suggested_decision"] = getattr(status, "suggested_decision", None)
        data["fingerprint"] = getattr(status, "fingerprint", None) or data["fingerprint"]
    message = diag.message.replace(STALE_NOTE, "")
    if data["status"] == "stale":
        message += STALE_NOTE
    code_description = diag.code_description
    url = getattr(finding, "rule_url", None)
    if code_description is None and isinstance(url, str) and url.startswith(("http://", "https://")):
        code_description = types.CodeDescription(href=url)
    return types.Diagnostic(range=diag.range, message=message, severity=diag.severity,
                            code=diag.code, code_description=code_description,
                            source=diag.source or info["tool"], data=data)


def build(mem: FolderMemory, uri: str, diags: list[types.Diagnostic],
          source_text: str | None = None) -> list[types.Diagnostic]:
    """Findings of one document with their triage state (blocking). ``source_text``: the
    editor's unsaved text the diagnostics' lines refer to (None: the file on disk)."""
    rel = _rel_path(mem, uri)
    if rel is None or not diags:
        return []
    infos = [finding_info(d, rel) for d in diags]
    try:
        pairs = _statuses(mem, infos, _unsaved(mem, rel, source_text))
    except Exception as exc:  # a broken decision file must not hide findings: show them active
        log.warning("cannot apply triage decisions to %s: %s", rel, exc)
        pairs = [(None, None) for _ in infos]
    return [_diagnostic(d, i, f, s) for d, i, (f, s) in zip(diags, infos, pairs, strict=False)]


async def finding_diagnostics(mem: FolderMemory, uri: str, diags: list[types.Diagnostic],
                              source_text: str | None = None) -> list[types.Diagnostic]:
    return await asyncio.to_thread(build, mem, uri, diags, source_text)


def scan(mem: FolderMemory, uri: str, tools: tuple[str, ...],
         line_end: Callable[[int], int]) -> list[types.Diagnostic] | None:
    """Run the chosen installed scanners on one saved file (blocking); None when every
    chosen scanner is missing. ``line_end(line)``: end column."""
    rel = _rel_path(mem, uri)
    if rel is None:
        return None
    sec = security_memory(mem)
    findings = sec.scan_file_with(rel, tools)
    if findings is None:
        return None
    statuses = sec.status(findings) if findings else []
    out = []
    for finding, status in zip(findings, statuses, strict=False):
        line = max(0, int(finding.line or 1) - 1)
        info = {"tool": finding.tool, "rule": finding.rule, "path": finding.path, "line": line + 1,
                "message": finding.message, "severity": finding.severity}
        raw = types.Diagnostic(
            range=types.Range(start=types.Position(line=line, character=0),
                              end=types.Position(line=line, character=line_end(line))),
            message=f"{finding.rule}: {finding.message}", source=finding.tool, code=finding.rule,
            severity=_TO_LSP.get(str(finding.severity).lower(), types.DiagnosticSeverity.Warning))
        out.append(_diagnostic(raw, info, finding, status))
    return out


def decide(mem: FolderMemory, findings: list[dict[str, Any]], decision: str, reason: str,
           author: str | None, source_text: str | None = None) -> list[str]:
    """Record a decision for findings given as data dicts (tool/rule/path/line, or fingerprint).
    ``source_text``: the unsaved text of their document, which their lines refer to."""
    sec = security_memory(mem)
    located = [f for f in findings if f.get("path") and f.get("tool")]
    targets: list[Any] = [f["fingerprint"] for f in findings
                          if not (f.get("path") and f.get("tool")) and f.get("fingerprint")]
    if len(located) + len(targets) != len(findings):
        raise ValueError("each finding needs 'tool' and 'path' (and 'rule', 'line'), or a 'fingerprint'")
    if located:
        targets += sec.findings_from_diagnostics([
            {"tool": str(f["tool"]), "rule": str(f.get("rule") or ""), "path": str(f["path"]),
             "line": int(f.get("line") or 1), "message": str(f.get("message") or ""),
             "severity": f.get("severity")} for f in located],
            source_text=_unsaved(mem, str(located[0]["path"]), source_text)
            if len({str(f["path"]) for f in located}) == 1 else None)
    return list(sec.decide(targets, decision, reason, author, source="lsp"))


def policy_suggestions(mem: FolderMemory, finding: dict[str, Any]) -> list[dict[str, Any]]:
    """Suggested policies (rule x path glob, from several similar decisions) covering this finding."""
    return security_memory(mem).suggestions_for(finding)


def add_policy(mem: FolderMemory, rules: list[str], paths: str, reason: str, tool: str | None,
               decision: str, author: str | None) -> str:
    sec = security_memory(mem)
    rec = sec.add_policy(rules, paths, reason, tool=tool, decision=decision, author=author, source="lsp")
    return str(rec["id"])


def follow_decisions(mem: FolderMemory) -> int:
    """Map this folder's decisions to the working tree and cache the mapping (blocking, in a
    worker thread: seconds on a first run over long history); returns how many were mapped."""
    return len(security_memory(mem).places())


def earlier_decision(mem: FolderMemory, decision_id: str) -> dict[str, Any]:
    sec = security_memory(mem)
    return sec.store.get(decision_id)
