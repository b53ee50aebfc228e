"""Code actions on errors (record and show past fixes, apply their remembered edits: see
:mod:`server.lsp.features.remembered_fixes`) and on security findings
(mark as false positive, accept risk). Built from ``Diagnostic.data`` where teamlore put
the match ids and fingerprints, so no re-matching is needed for its own diagnostics."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import Any

from lsprotocol import types
from pygls.uris import to_fs_path

from server.lsp import security
from server.lsp.diagnostics import data_of, error_text, is_error_like, is_finding
from server.lsp.features.remembered_fixes import remembered_actions
from server.lsp.memory import FolderMemory
from server.lsp.render import _one_line
from server.lsp.server import TeamloreServer

log = logging.getLogger(__name__)

QUICK_REASONS = ("test fixture", "not security relevant")


def _diag_key(d: types.Diagnostic) -> tuple[Any, ...]:
    """Identity of a diagnostic; teamlore's copy of a scanner's finding is kept apart from it."""
    return (d.range.start.line, d.range.start.character, d.range.end.line, d.range.end.character,
            d.source, str(d.code), d.message, bool(data_of(d)))


def _error_actions(ls: TeamloreServer, uri: str, diag: types.Diagnostic, ids: list[str]) -> list[types.CodeAction]:
    text = error_text(diag)
    arg = {"error": text, "uri": uri, "line": diag.range.start.line}
    actions = [types.CodeAction(
        title="Record fix for this error", kind=types.CodeActionKind.QuickFix, diagnostics=[diag],
        command=types.Command(title="Record fix for this error", command="teamlore.recordFix", arguments=[arg]))]
    if ids:
        n = len(ids)
        title = f"Show {n} past fix{'es' if n != 1 else ''}"
        actions.append(types.CodeAction(
            title=title, kind=types.CodeActionKind.QuickFix, diagnostics=[diag],
            command=types.Command(title=title, command="teamlore.showMatches",
                                  arguments=[{"error": text, "uri": uri, "ids": ids}])))
    return actions


FEEDBACK_ACTIONS = (("Not this fix", "teamlore.rejectMatch"), ("This fixed it", "teamlore.confirmMatch"))
MAX_FEEDBACK_RECORDS = 3
"""Feedback is offered on the fixes the hover shows (server.lsp.render.MAX_FIXES_SHOWN)."""


def _feedback_actions(uri: str, diag: types.Diagnostic, ids: list[str]) -> list[types.CodeAction]:
    """"Not this fix" / "This fixed it" on each past fix shown for this error; with several, named
    by their number in the hover ("fix 2"), never by a record's own text."""
    text = error_text(diag)
    shown = ids[:MAX_FEEDBACK_RECORDS]
    actions = []
    for n, record_id in enumerate(shown, 1):
        which = f" (fix {n})" if len(shown) > 1 else ""
        for label, command in FEEDBACK_ACTIONS:
            title = label + which
            actions.append(types.CodeAction(
                title=title, kind=types.CodeActionKind.QuickFix, diagnostics=[diag],
                command=types.Command(title=title, command=command,
                                      arguments=[{"id": record_id, "error": text, "uri": uri}])))
    return actions


def _finding_actions(mem: FolderMemory, uri: str, diag: types.Diagnostic,
                     info: Mapping[str, Any]) -> list[types.CodeAction]:
    finding = {k: info.get(k) for k in ("fingerprint", "tool", "rule", "path", "line", "message", "severity")}
    actions = []
    if info.get("suggested_decision"):  # a near match: offered, never applied silently
        title = f"Apply the earlier decision? {_one_line(info.get('suggestion') or '', 100)}"
        actions.append(types.CodeAction(title=title, kind=types.CodeActionKind.QuickFix, diagnostics=[diag],
                                        command=types.Command(title=title, command="teamlore.applyDecision",
                                                              arguments=[{"findings": [finding], "uri": uri,
                                                                          "id": info["suggested_decision"]}])))
    try:
        suggestions = security.policy_suggestions(mem, finding)
    except Exception as exc:
        log.warning("policy suggestions unavailable: %s", exc)
        suggestions = []
    for sug in suggestions:
        title = (f"Apply policy: {sug['rule']} in {sug['paths']} ({sug['count']} similar decisions: "
                 f"{_one_line(sug.get('reason') or '', 60)})")
        actions.append(types.CodeAction(title=title, kind=types.CodeActionKind.QuickFix, diagnostics=[diag],
                                        command=types.Command(title=title, command="teamlore.addPolicy", arguments=[
                                            {"rules": [sug["rule"]], "paths": sug["paths"], "tool": sug.get("tool"),
                                             "reason": sug.get("reason"), "uri": uri}])))
    rule = f" ({info.get('rule')})" if info.get("rule") else ""
    specs: list[tuple[str, str, str | None]] = [
        (f"Mark as false positive: {reason}{rule}", "teamlore.markFalsePositive", reason)
        for reason in QUICK_REASONS]
    specs += [(f"Mark as false positive…{rule}", "teamlore.markFalsePositive", None),
              (f"Accept risk…{rule}", "teamlore.acceptRisk", None)]
    for title, command, reason in specs:
        arg: dict[str, Any] = {"findings": [finding], "uri": uri}
        if reason:
            arg["reason"] = reason
        actions.append(types.CodeAction(title=title, kind=types.CodeActionKind.QuickFix, diagnostics=[diag],
                                        command=types.Command(title=title, command=command, arguments=[arg])))
    return actions


def _build(ls: TeamloreServer, mem: FolderMemory, uri: str,
           diags: list[types.Diagnostic]) -> list[types.CodeAction]:
    actions: list[types.CodeAction] = []
    done_errors: set[str] = set()
    done_findings: set[tuple[Any, ...]] = set()
    rel = None
    path = to_fs_path(uri)
    if path is not None and mem.workspace.contains(path):
        rel = mem.workspace.relative(path)
    # teamlore's own diagnostics first: they carry ids and fingerprints
    for diag in sorted(diags, key=lambda d: not data_of(d)):
        data = data_of(diag)
        if is_error_like(diag):
            text = error_text(diag)
            if text in done_errors:
                continue
            done_errors.add(text)
            ids = data.get("matches")
            if not isinstance(ids, list):
                ids = [m.record["id"] for m in mem.match(text)]
            if not ids and not data and diag.severity == types.DiagnosticSeverity.Warning:
                continue  # a lint warning the memory knows nothing about: no lightbulb noise
            actions += _error_actions(ls, uri, diag, [str(i) for i in ids])
            actions += _feedback_actions(uri, diag, [str(i) for i in ids])
            actions += remembered_actions(mem, uri, diag, [str(i) for i in ids])
        elif is_finding(diag) and rel is not None:
            info = data if data.get("teamlore") == "finding" else security.finding_info(diag, rel)
            key = (info.get("tool"), info.get("rule"), info.get("line"))
            if key in done_findings:
                continue
            done_findings.add(key)  # the scanner's own copy of a decided finding gets no actions either
            if info.get("status") == "suppressed":
                continue
            actions += _finding_actions(mem, uri, diag, info)
    return actions


def register(server: TeamloreServer) -> None:
    @server.feature(types.TEXT_DOCUMENT_CODE_ACTION,
                    types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix]))
    async def code_action(ls: TeamloreServer, params: types.CodeActionParams) -> list[types.CodeAction] | None:
        only = params.context.only
        kinds = [str(getattr(k, "value", k)) for k in only or ()]  # str() of the enum is its name
        if kinds and not any(k == "quickfix" or k.startswith("quickfix.") or k == "" for k in kinds):
            return None
        uri = params.text_document.uri
        mem = await ls.folder_memory(uri, timeout=2.0)
        if mem is None:
            return None
        await ls.wait_ready(mem, timeout=2.0)  # still loading: offer what does not need the memory
        seen: set[tuple[Any, ...]] = set()
        diags = []
        for d in [*params.context.diagnostics, *ls.store.overlapping(uri, params.range)]:
            key = _diag_key(d)
            if key not in seen:
                seen.add(key)
                diags.append(d)
        if not diags:
            return None
        return await asyncio.to_thread(_build, ls, mem, uri, diags) or None
