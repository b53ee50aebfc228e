"""Other tools' diagnostics, forwarded by the editor with ``teamlore/didChangeDiagnostics``.

LSP gives a server no view of other servers' diagnostics, so the editor extensions send
them: ``{"uri": ..., "diagnostics": [Diagnostic, ...]}`` (the full current list for that
document, in the negotiated position encoding). teamlore keeps them for hover and code
actions, publishes "seen before" diagnostics for the errors its memory knows, and
republishes security findings with their triage state applied. Editors must not forward
teamlore's own diagnostics; any that carry teamlore's ``data`` or source are ignored.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import cattrs
from lsprotocol import types
from lsprotocol.converters import get_converter

from server.lsp import events, security
from server.lsp.diagnostics import (
    FINDINGS_FORWARDED,
    FORWARDED,
    KNOWN_FORWARDED,
    SOURCE,
    ErrorData,
    canonical,
    data_of,
    error_text,
    is_error_like,
    is_finding,
)
from server.lsp.memory import FolderMemory
from server.lsp.render import _one_line
from server.lsp.server import TeamloreServer

log = logging.getLogger(__name__)

METHOD = "teamlore/didChangeDiagnostics"
_CONVERTER = get_converter()
DEBOUNCE_SECONDS = 0.05
MAX_FORWARDED = 2000
"""Per document; more than this is truncated with a warning (a runaway linter)."""


def parse_params(ls: TeamloreServer, params: Any) -> tuple[str, list[types.Diagnostic]]:
    if not isinstance(params, dict):
        raise ValueError(f"expected an object {{uri, diagnostics}}, got {type(params).__name__}")
    uri = params.get("uri")
    raw = params.get("diagnostics")
    if not isinstance(uri, str) or not uri:
        raise ValueError("field 'uri' must be a non-empty string")
    if not isinstance(raw, list):
        raise ValueError("field 'diagnostics' must be a list")
    if len(raw) > MAX_FORWARDED:
        log.warning("%s: %d forwarded diagnostics, keeping the first %d", uri, len(raw), MAX_FORWARDED)
        raw = raw[:MAX_FORWARDED]
    diags: list[types.Diagnostic] = []
    bad = 0
    for item in raw:
        try:
            diag = _CONVERTER.structure(item, types.Diagnostic)
        except (cattrs.BaseValidationError, TypeError, ValueError, KeyError, AttributeError):
            bad += 1
            continue
        if data_of(diag) or diag.source == SOURCE:
            continue  # teamlore's own diagnostics echoed back
        diags.append(diag)
    if bad:
        log.warning("%s: ignored %d malformed forwarded diagnostic(s)", uri, bad)
    return uri, diags


def known_errors(mem: FolderMemory, diags: list[types.Diagnostic]) -> list[types.Diagnostic]:
    """A "seen before" diagnostic for each forwarded error the memory has confident fixes for.
    Each distinct text is matched once (a linter repeats the same message on many lines)."""
    errors = [d for d in diags if is_error_like(d)]
    found = {text: mem.match(text) for text in dict.fromkeys(error_text(d) for d in errors)}
    out = []
    for diag in errors:
        matches = found[error_text(diag)]
        if not matches:
            continue
        best = matches[0].record
        n = len(matches)
        out.append(types.Diagnostic(
            range=diag.range, severity=types.DiagnosticSeverity.Information, source=SOURCE,
            code="seen-before",
            message=f"seen before: {n} fix{'es' if n != 1 else ''} — {_one_line(best.get('fix') or '', 120)}",
            data=ErrorData(teamlore="error", error=error_text(diag), matches=[m.record["id"] for m in matches],
                           folder=mem.folder_uri)))
    return out


class Forwarded:
    """Keeps the derived diagnostics of every forwarded document up to date."""

    def __init__(self, ls: TeamloreServer):
        self.ls = ls
        self._versions: dict[str, int] = {}
        self._refreshing: set[str] = set()
        self._again: set[str] = set()

    def received(self, uri: str, diags: list[types.Diagnostic]) -> None:
        uri = canonical(uri)
        self.ls.store.set(FORWARDED, uri, diags)
        self._versions[uri] = self._versions.get(uri, 0) + 1
        self.ls.spawn(self.refresh(uri, DEBOUNCE_SECONDS), f"diagnostics of {uri}")

    async def refresh(self, uri: str, debounce: float = 0.0, *, errors: bool = True) -> None:
        """Re-derive the diagnostics of ``uri``: "seen before" ones (unless not ``errors``)
        and the triage state of findings."""
        version = self._versions.get(uri, 0)
        if debounce:
            await asyncio.sleep(debounce)  # editors send bursts while the user types
            if self._versions.get(uri, 0) != version:
                return
        forwarded = self.ls.store.get(FORWARDED, uri)
        mem = self.ls.memory_for(uri)
        known: list[types.Diagnostic] = []
        findings: list[types.Diagnostic] = []
        if mem is not None and await self.ls.wait_ready(mem):
            if errors:
                known = await asyncio.to_thread(known_errors, mem, forwarded)
            raw_findings = [d for d in forwarded if is_finding(d)]
            if raw_findings:
                findings = await security.finding_diagnostics(mem, uri, raw_findings, self.ls.buffer_text(uri))
        if self._versions.get(uri, 0) != version:
            return  # a newer list arrived meanwhile; its refresh publishes
        if errors:
            self.ls.store.set(KNOWN_FORWARDED, uri, known)
        self.ls.store.set(FINDINGS_FORWARDED, uri, findings)
        self.ls.publish(uri)

    async def memory_changed(self, mem: FolderMemory) -> None:
        """The bug memory changed: re-derive in the background (the command that changed it
        does not wait), one pass at a time; changes arriving meanwhile make one more pass."""
        key = mem.folder_uri
        if key in self._refreshing:
            self._again.add(key)
            return
        self._refreshing.add(key)
        self.ls.spawn(self._refresh_folder(mem), f"diagnostics after a memory change in {mem.folder}")

    async def _refresh_folder(self, mem: FolderMemory) -> None:
        key = mem.folder_uri
        try:
            while True:
                self._again.discard(key)
                for uri in self.ls.store.uris(FORWARDED):
                    if self.ls.memory_for(uri) is mem:
                        await self.refresh(uri)
                if key not in self._again:
                    break
        finally:
            self._refreshing.discard(key)

    async def findings_changed(self, mem: FolderMemory) -> None:
        """A triage decision: findings leave (or change) at once; known errors are unchanged."""
        for uri in self.ls.store.uris(FORWARDED):
            if self.ls.memory_for(uri) is mem:
                await self.refresh(uri, errors=False)


def register(server: TeamloreServer) -> None:
    forwarded = Forwarded(server)
    server.forwarded = forwarded  # type: ignore[attr-defined]
    server.events.on(events.MEMORY, forwarded.memory_changed)
    server.events.on(events.FINDINGS, forwarded.findings_changed)

    @server.feature(METHOD)
    def did_change_diagnostics(ls: TeamloreServer, params: Any) -> None:
        try:
            uri, diags = parse_params(ls, params)
        except ValueError as exc:
            log.warning("ignored %s: %s", METHOD, exc)
            return
        forwarded.received(uri, diags)
