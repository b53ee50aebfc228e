"""Start-up, settings and workspace folders: one memory per folder, settings kept live."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Sequence
from typing import Any

from lsprotocol import types

from server.lsp.server import TeamloreServer
from server.lsp.settings import SECTION, section_of

log = logging.getLogger(__name__)

CONFIG_TIMEOUT = 5.0


def _supports_configuration(ls: TeamloreServer) -> bool:
    ws = ls.client_capabilities.workspace
    return bool(ws and ws.configuration)


async def pull_configuration(ls: TeamloreServer) -> None:
    """Ask the client for the ``teamlore`` section, per folder (VS Code) or once (Neovim)."""
    if not _supports_configuration(ls):
        return
    scopes: Sequence[str | None] = ls.folder_uris() or [None]
    items = [types.ConfigurationItem(scope_uri=uri, section=SECTION) for uri in scopes]
    try:
        result = await asyncio.wait_for(
            ls.workspace_configuration_async(types.ConfigurationParams(items=items)), CONFIG_TIMEOUT)
    except Exception as exc:  # the client may not answer; settings then come from elsewhere
        log.warning("workspace/configuration failed: %s", exc)
        return
    for uri, value in zip(scopes, result or [], strict=False):
        if isinstance(value, dict):
            ls.client_settings[uri or ""] = section_of({SECTION: value})


def register(server: TeamloreServer) -> None:
    @server.feature(types.INITIALIZE)
    def initialize(ls: TeamloreServer, params: types.InitializeParams) -> None:
        ls.loop = asyncio.get_running_loop()
        ls.loop_thread = threading.get_ident()
        raw = params.initialization_options
        ls.restricted = isinstance(raw, dict) and (raw.get("restrictedMode") is True or (
            isinstance(raw.get(SECTION), dict) and raw[SECTION].get("restrictedMode") is True))
        ls.init_options = {k: v for k, v in section_of(raw).items() if k != "restrictedMode"}
        if ls.restricted:
            from memory_store.sync.hooks import stop_publishing

            stop_publishing()
            log.info("restricted mode: no scanners, no sync, committed settings that need consent are ignored")
        log.info("teamlore language server starting (position encoding %s)",
                 ls.workspace.position_encoding)

    @server.feature(types.INITIALIZED)
    async def initialized(ls: TeamloreServer, params: types.InitializedParams) -> None:
        with ls.opening_folders():  # requests arriving meanwhile wait for the folders
            ls.start_watching()
            await pull_configuration(ls)
            registered = [await ls.register_folder(uri) for uri in ls.folder_uris()]
        await asyncio.gather(*(ls.load_folder(mem) for mem in registered if mem is not None))
        caps = ls.client_capabilities.workspace
        watched = caps.did_change_watched_files if caps else None
        if watched and watched.dynamic_registration:
            options = types.DidChangeWatchedFilesRegistrationOptions(watchers=[
                types.FileSystemWatcher(glob_pattern="**/.teamlore/**")])
            try:
                await asyncio.wait_for(ls.client_register_capability_async(types.RegistrationParams(
                    registrations=[types.Registration(id="teamlore-watched-files",
                                                      method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                                                      register_options=options)])), CONFIG_TIMEOUT)
            except Exception as exc:
                log.info("client did not register file watchers (%s); watchdog covers it", exc)
        log.info("teamlore ready: %d workspace folder(s)", len(ls.folders))

    @server.feature(types.SHUTDOWN)
    def shutdown(ls: TeamloreServer, params: Any) -> None:
        ls.stop_background()

    @server.feature(types.WORKSPACE_DID_CHANGE_WORKSPACE_FOLDERS)
    async def folders_changed(ls: TeamloreServer, params: types.DidChangeWorkspaceFoldersParams) -> None:
        with ls.opening_folders():
            for folder in params.event.removed:
                await ls.close_folder(folder.uri)
            await pull_configuration(ls)
            registered = [await ls.register_folder(folder.uri) for folder in params.event.added]
        for mem in registered:
            if mem is not None:
                await ls.load_folder(mem)

    @server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    async def configuration_changed(ls: TeamloreServer, params: types.DidChangeConfigurationParams) -> None:
        pushed = section_of(params.settings)
        if pushed or (isinstance(params.settings, dict) and SECTION in params.settings):
            ls.client_settings = {"": pushed}
        await pull_configuration(ls)
        await ls.apply_settings()
