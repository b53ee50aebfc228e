"""Optional hints on debt-marker lines (TODO, FIXME, HACK, XXX; ``debtHints``, off by default).

Counted from the file on disk when it is opened or saved, in a worker thread, with the
comment-aware counter of the debt memory (markers in strings are not hints). Typing
never triggers any work.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from lsprotocol import types
from pygls.uris import to_fs_path

from memory_store.config import load_project_config
from memory_store.debt.markers import count_bytes
from server.lsp import events
from server.lsp.memory import FolderMemory
from server.lsp.positions import line_of_file, line_range
from server.lsp.server import TeamloreServer
from server.lsp.settings import Settings

log = logging.getLogger(__name__)

SOURCE_KEY = "debt"
MAX_FILE_BYTES = 2_000_000


def hints(ls: TeamloreServer, mem: FolderMemory, path: Path) -> list[types.Diagnostic]:
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            return []
        data = path.read_bytes()
        markers = load_project_config(mem.workspace).debt.markers
    except OSError as exc:
        log.info("no debt hints for %s: %s", path.name, exc)
        return []
    codec = ls.workspace.position_codec
    out = []
    for m in count_bytes(path.name, data, markers):
        line = m.line - 1
        out.append(types.Diagnostic(range=line_range(codec, line, line_of_file(path, line)),
                                    severity=types.DiagnosticSeverity.Hint, source="teamlore", code="debt",
                                    message=f"{m.marker}: {m.text}" if m.text else m.marker))
    return out


def register(server: TeamloreServer) -> None:
    async def refresh(uri: str) -> None:
        mem = server.memory_for(uri)
        path = to_fs_path(uri)
        if mem is None or path is None:
            return
        diags = await asyncio.to_thread(hints, server, mem, Path(path)) if mem.settings.debt_hints else []
        server.store.set(SOURCE_KEY, uri, diags)
        server.publish(uri)

    def opened_or_saved(uri: str) -> None:
        mem = server.memory_for(uri)
        if mem is not None and mem.settings.debt_hints:
            server.spawn(refresh(uri), f"debt hints of {uri}")

    def closed(uri: str) -> None:
        if server.store.get(SOURCE_KEY, uri):
            server.store.set(SOURCE_KEY, uri, [])
            server.publish(uri)

    async def settings_changed(mem: FolderMemory, old: Settings, new: Settings) -> None:
        if old.debt_hints == new.debt_hints:
            return
        for uri in list(server.workspace.text_documents):
            if server.memory_for(uri) is mem:
                await refresh(uri)

    server.events.on(events.OPENED, opened_or_saved)
    server.events.on(events.SAVED, opened_or_saved)
    server.events.on(events.CLOSED, closed)
    server.events.on(events.SETTINGS, settings_changed)
