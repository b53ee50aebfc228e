"""pytest-lsp fixtures: the real ``teamlore lsp`` over stdio, driven with the capabilities
of VS Code and of Neovim.

Where the lsprotocol/pytest-lsp client needs help, it is done here (and marked):
- CodeAction results are mis-decoded by lsprotocol 2025.0.0 (see ``fixed_converter``);
- pytest-lsp has no client handlers for ``workspace/applyEdit`` and
  ``window/showMessageRequest``; the server uses both, so they are registered here.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, Union

import pygls.protocol
import pytest
import pytest_lsp
from lsprotocol import types
from pygls.uris import from_fs_path
from pytest_lsp import ClientServerConfig, LanguageClient

REPO = Path(__file__).resolve().parents[2]
PRESETS = ["visual-studio-code", "neovim"]
WAIT = 15.0


def server_command() -> list[str]:
    return [sys.executable, "-m", "server", "lsp"]


def fixed_converter():
    """HELP FOR THE CLIENT: lsprotocol 2025.0.0 decodes any CodeAction that has a command
    as a ``Command`` (its union hook checks ``"command" in obj``). Decide by the type of
    the ``command`` field instead: a string means Command, an object means CodeAction."""
    conv = pygls.protocol.default_converter()

    def hook(obj: Any, _: Any) -> Any:
        cls = types.Command if isinstance(obj.get("command"), str) else types.CodeAction
        return conv.structure(obj, cls)

    # must be typing.Union: that is the key lsprotocol registered its own hook under
    conv.register_structure_hook(Union[types.Command, types.CodeAction], hook)  # noqa: UP007
    return conv


def make_client() -> LanguageClient:
    client = LanguageClient(converter_factory=fixed_converter)
    pytest_lsp.client.register_lsp_features(client)
    client.applied_edits = []  # type: ignore[attr-defined]
    client.message_requests = []  # type: ignore[attr-defined]
    client.answer_title = None  # type: ignore[attr-defined]
    client.registrations = []  # type: ignore[attr-defined]

    # HELP FOR THE CLIENT: pytest-lsp provides no handler for these server->client requests
    # (workspace/applyEdit, client/registerCapability, window/showMessageRequest).
    @client.feature(types.WORKSPACE_APPLY_EDIT)
    def apply_edit(params: types.ApplyWorkspaceEditParams) -> types.ApplyWorkspaceEditResult:
        client.applied_edits.append(params.edit)  # type: ignore[attr-defined]
        return types.ApplyWorkspaceEditResult(applied=True)

    @client.feature(types.CLIENT_REGISTER_CAPABILITY)
    def register_capability(params: types.RegistrationParams) -> None:
        client.registrations.extend(params.registrations)  # type: ignore[attr-defined]

    @client.feature(types.WINDOW_SHOW_MESSAGE_REQUEST)
    def show_message_request(params: types.ShowMessageRequestParams) -> types.MessageActionItem | None:
        client.message_requests.append(params)  # type: ignore[attr-defined]
        wanted = client.answer_title  # type: ignore[attr-defined]
        for action in params.actions or []:
            if action.title == wanted:
                return action
        return None

    return client


CONFIG = ClientServerConfig(server_command=server_command(), client_factory=make_client)


async def start_session(client: LanguageClient, preset: str, root: Path,
                        init_options: dict[str, Any] | None = None) -> types.InitializeResult:
    folder = types.WorkspaceFolder(uri=from_fs_path(str(root)), name=root.name)
    result = await asyncio.wait_for(client.initialize_session(types.InitializeParams(
        capabilities=pytest_lsp.client_capabilities(preset), root_uri=folder.uri,
        workspace_folders=[folder], initialization_options=init_options)), WAIT)
    client.root = root  # type: ignore[attr-defined]
    client.encoding = result.capabilities.position_encoding or "utf-16"  # type: ignore[attr-defined]
    client.preset = preset  # type: ignore[attr-defined]
    # the server answers requests once its memory is loaded; this round-trip waits for it
    await asyncio.wait_for(client.text_document_hover_async(types.HoverParams(
        text_document=types.TextDocumentIdentifier(uri=from_fs_path(str(root / "none.py"))),
        position=types.Position(line=0, character=0))), WAIT)
    return result


def make_workspace(tmp_path_factory: pytest.TempPathFactory, name: str) -> Path:
    root = tmp_path_factory.mktemp(name).resolve()
    (root / ".teamlore" / "bugs").mkdir(parents=True)
    return root


async def wait_until(predicate: Callable[[], Any] | Callable[[], Awaitable[Any]],
                     timeout: float = WAIT, what: str = "condition") -> Any:
    """Poll ``predicate`` (sync or async) until it returns something truthy."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = predicate()
        if asyncio.iscoroutine(last):
            last = await last
        if last:
            return last
        await asyncio.sleep(0.02)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last: {last!r})")


def units(encoding: str, text: str) -> int:
    """Length of ``text`` in the code units of the negotiated encoding."""
    if encoding == "utf-8":
        return len(text.encode("utf-8"))
    if encoding == "utf-32":
        return len(text)
    return len(text.encode("utf-16-le")) // 2
