"""``workspace/didChangeWatchedFiles``: the editor's own file watcher, next to watchdog.

Both feed the same debounced reload, so a change reported twice costs one re-read.
"""

from __future__ import annotations

from pathlib import Path

from lsprotocol import types
from pygls.uris import to_fs_path

from server.lsp.server import TeamloreServer


def register(server: TeamloreServer) -> None:
    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    def did_change_watched_files(ls: TeamloreServer, params: types.DidChangeWatchedFilesParams) -> None:
        for change in params.changes:
            path = to_fs_path(change.uri)
            if path is not None:
                ls.file_changed(Path(path))
