"""Hover over an error the server knows about: the team's best past fixes; over a
security finding: its triage state.

Only ranges carrying such a diagnostic (forwarded, from the terminal or a scan) answer;
anywhere else the answer is null after a dictionary lookup, without touching the text.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from lsprotocol import types
from pygls.uris import from_fs_path

from server.lsp.diagnostics import data_of, error_text, is_error_like
from server.lsp.memory import FolderMemory
from server.lsp.render import finding_markdown, hover_markdown
from server.lsp.server import TeamloreServer

log = logging.getLogger(__name__)

MAX_ERRORS_PER_HOVER = 3
LOADING_WAIT = 1.0
"""A hover waits this long for a memory still being read, then says so instead."""
LOADING = "teamlore is still reading the team's memory for this folder; hover again in a moment."


def _markdown_supported(ls: TeamloreServer) -> bool:
    td = ls.client_capabilities.text_document
    formats = td.hover.content_format if td and td.hover else None
    return not formats or types.MarkupKind.Markdown in formats


def _links(mem: FolderMemory, matches: list[Any]) -> dict[str, str]:
    """Record id -> a link to its record file (opens in the editor)."""
    out = {}
    for match in matches:
        record_id = str(match.record.get("id"))
        with contextlib.suppress(ValueError):  # an id that is not a safe file name gets no link
            link = from_fs_path(str(mem.bugs.files.path_for(record_id)))
            if link:
                out[record_id] = link
    return out


def _render(mem: FolderMemory, errors: list[tuple[str, bool]]) -> str | None:
    """Markdown for ``(error text, quiet)`` pairs; a quiet one (a warning) is left out
    unless the memory has something for it. Each record is shown once: an error whose
    fixes were all shown for an earlier one (a terminal error and the same error forwarded
    from a linter) is left out."""
    parts = []
    shown: set[str] = set()
    for text, quiet in errors:
        found = mem.match(text)
        matches = [m for m in found if str(m.record.get("id")) not in shown]
        if found and not matches:
            continue
        shown.update(str(m.record.get("id")) for m in matches)
        stats = mem.fix_time_stats(matches) if matches else None
        weak = [] if matches else mem.match(text, limit=1, include_weak=True)
        if quiet and not matches and not weak:
            continue
        parts.append(hover_markdown(text, matches, stats, weak, _links(mem, matches)))
    return "\n---\n\n".join(parts) if parts else None


def _finding_hover(ls: TeamloreServer, findings: list[types.Diagnostic]) -> types.Hover:
    seen: list[str] = []
    for diag in findings:
        text = finding_markdown(data_of(diag))
        if text not in seen:
            seen.append(text)
    kind = types.MarkupKind.Markdown if _markdown_supported(ls) else types.MarkupKind.PlainText
    return types.Hover(contents=types.MarkupContent(kind=kind, value="\n---\n\n".join(seen)),
                       range=findings[0].range)


def register(server: TeamloreServer) -> None:
    @server.feature(types.TEXT_DOCUMENT_HOVER)
    async def hover(ls: TeamloreServer, params: types.HoverParams) -> types.Hover | None:
        uri = params.text_document.uri
        at = ls.store.at(uri, params.position)
        here = [d for d in at if is_error_like(d)]
        findings = [d for d in at if data_of(d).get("teamlore") == "finding"]
        if not here:
            return _finding_hover(ls, findings) if findings else None
        mem = await ls.folder_memory(uri, timeout=LOADING_WAIT)
        if mem is None:
            return None
        kind = types.MarkupKind.Markdown if _markdown_supported(ls) else types.MarkupKind.PlainText
        if not await ls.wait_ready(mem, timeout=LOADING_WAIT):
            return types.Hover(contents=types.MarkupContent(kind=kind, value=LOADING), range=here[0].range)
        # teamlore's own diagnostic first: it carries the full error text (traceback)
        here.sort(key=lambda d: not data_of(d))
        errors: dict[str, bool] = {}
        for diag in here:
            quiet = not data_of(diag) and diag.severity == types.DiagnosticSeverity.Warning
            text = error_text(diag)
            errors[text] = errors.get(text, True) and quiet
        value = await asyncio.to_thread(_render, mem, list(errors.items())[:MAX_ERRORS_PER_HOVER])
        if value is None:
            return _finding_hover(ls, findings) if findings else None
        return types.Hover(contents=types.MarkupContent(kind=kind, value=value), range=here[0].range)
