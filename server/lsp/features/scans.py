"""Security scans of a saved file, in the background, with triage decisions applied.

A save starts the scanners chosen in ``scannersOnSave`` (when installed) in a worker
thread; a newer save of the same file makes the older result obsolete. Hover, code
actions and everything else keep answering while a scan runs.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from pygls.uris import to_fs_path

from server.lsp import events, security
from server.lsp.diagnostics import FINDINGS_SCAN
from server.lsp.memory import FolderMemory
from server.lsp.positions import line_of_file
from server.lsp.server import TeamloreServer

log = logging.getLogger(__name__)

SCANNED_SUFFIXES = (".py", ".pyi")


class Scans:
    def __init__(self, ls: TeamloreServer):
        self.ls = ls
        self._generation: dict[str, int] = {}
        self._following: set[int] = set()

    def follow(self, uri: str) -> None:
        """After an open or a save: bring the folder's decision mapping up to date in a worker
        thread (one at a time per folder), so findings are judged without waiting for it."""
        mem = self.ls.memory_for(uri)
        if mem is None or id(mem) in self._following:
            return
        self._following.add(id(mem))
        self.ls.spawn(self._follow(mem), "following triage decisions")

    async def _follow(self, mem: FolderMemory) -> None:
        try:
            await asyncio.to_thread(security.follow_decisions, mem)
        except Exception as exc:  # only costs time: the next triage maps again
            log.info("cannot follow triage decisions: %s", exc)
        finally:
            self._following.discard(id(mem))

    def saved(self, uri: str) -> None:
        path = to_fs_path(uri)
        if path is None or not path.endswith(SCANNED_SUFFIXES):
            return
        self.ls.spawn(self._scan_saved(uri, Path(path)), f"security scan of {uri}")

    async def _scan_saved(self, uri: str, path: Path) -> None:
        # A save during start-up waits for the workspace folders still being opened instead
        # of finding no folder and being dropped.
        mem = await self.ls.folder_memory(uri)
        if mem is None or not mem.settings.scanners_on_save:
            return
        self._generation[uri] = gen = self._generation.get(uri, 0) + 1
        await self.scan(mem, uri, path, gen)

    async def scan(self, mem: FolderMemory, uri: str, path: Path, gen: int) -> None:
        codec = self.ls.workspace.position_codec

        def line_end(line: int) -> int:
            return codec.client_num_units(line_of_file(path, line).rstrip())

        try:
            diags = await asyncio.to_thread(security.scan, mem, uri, mem.settings.scanners_on_save, line_end)
        except Exception as exc:
            log.warning("security scan of %s failed: %s", path.name, exc)
            return
        if diags is None or self._generation.get(uri) != gen:
            return
        self.ls.store.set(FINDINGS_SCAN, uri, diags)
        self.ls.publish(uri)

    async def findings_changed(self, mem: FolderMemory) -> None:
        """After a decision: re-evaluate the stored scan findings of this folder."""
        for uri in sorted(self.ls.store.uris(FINDINGS_SCAN)):
            if self.ls.memory_for(uri) is not mem:
                continue
            current = self.ls.store.get(FINDINGS_SCAN, uri)
            rebuilt = await asyncio.to_thread(security.build, mem, uri, current)  # lines of the saved file
            self.ls.store.set(FINDINGS_SCAN, uri, rebuilt)
            self.ls.publish(uri)


def register(server: TeamloreServer) -> None:
    scans = Scans(server)
    server.events.on(events.FINDINGS, scans.findings_changed)
    server.events.on(events.SAVED, scans.saved)
    server.events.on(events.SAVED, scans.follow)
    server.events.on(events.OPENED, scans.follow)
