"""Team sync in the editor: one sync follower per workspace memory when a redis url is set.

The follower (a thread, off the event loop) publishes records written here and writes
records published by teammates into ``.teamlore/``; the watcher then reloads them like
any other file, so hover and diagnostics change within the debounce interval.
The url comes from the ``redisUrl`` setting, ``TEAMLORE_REDIS_URL``, the user's config file
or the repository's ``[sync] redis_url`` once the user allowed it; none in restricted mode.
"""

from __future__ import annotations

import asyncio
import importlib.util
import logging
from typing import Any

from server.lsp import events
from server.lsp.memory import FolderMemory
from server.lsp.server import TeamloreServer
from server.lsp.settings import Settings

log = logging.getLogger(__name__)


def register(server: TeamloreServer) -> None:
    followers: dict[str, tuple[tuple[str, str | None], Any]] = {}
    """folder uri -> ((store root, url), Follower)"""

    async def ensure(mem: FolderMemory) -> None:
        url = mem.settings.redis_url
        key = (str(mem.workspace.root), url)
        current = followers.get(mem.folder_uri)
        if current is not None and current[0] == key:
            return
        if current is not None:
            followers.pop(mem.folder_uri, None)
            await asyncio.to_thread(current[1].stop)
        if not url:  # the settings already hold the project config's url (once allowed) and the env's
            return
        if importlib.util.find_spec("redis") is None:
            server.report_once("teamlore: a redis url is configured but the redis client is missing; "
                               "install teamlore[redis] for team sync")
            return
        from memory_store.sync.stream import Follower

        followers[mem.folder_uri] = (key, Follower(mem.workspace, url).run_in_thread())
        log.info("team sync started for %s", mem.workspace.root)

    async def settings_changed(mem: FolderMemory, old: Settings, new: Settings) -> None:
        if old.redis_url != new.redis_url:
            await ensure(mem)

    server.events.on(events.MEMORY, ensure)
    server.events.on(events.SETTINGS, settings_changed)
