"""Document notifications, dispatched to the features that care (scans, debt hints).

pygls keeps the open documents' text itself (full sync); these features work from the
files on disk when a document is opened or saved.
"""

from __future__ import annotations

from lsprotocol import types

from server.lsp import events
from server.lsp.server import TeamloreServer


def register(server: TeamloreServer) -> None:
    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: TeamloreServer, params: types.DidOpenTextDocumentParams) -> None:
        ls.events.emit_now(events.OPENED, params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE, types.SaveOptions(include_text=False))
    def did_save(ls: TeamloreServer, params: types.DidSaveTextDocumentParams) -> None:
        ls.events.emit_now(events.SAVED, params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: TeamloreServer, params: types.DidCloseTextDocumentParams) -> None:
        ls.events.emit_now(events.CLOSED, params.text_document.uri)
