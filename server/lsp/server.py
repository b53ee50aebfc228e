"""The teamlore language server: shared state and plumbing; features live in ``features/``.

Each module in :mod:`server.lsp.features` has ``register(server)`` adding its handlers.
The server holds one :class:`FolderMemory` per workspace folder, the diagnostics store,
the layered settings, a watchdog watcher and the background tasks it started.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import sys
import threading
from collections.abc import Coroutine, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any, BinaryIO, ClassVar

from lsprotocol import types
from pygls.exceptions import JsonRpcException, JsonRpcInvalidParams, JsonRpcInvalidRequest
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol, default_converter
from pygls.protocol.json_rpc import JsonRPCNotification
from pygls.uris import from_fs_path, to_fs_path

from memory_store import __version__, trust
from memory_store.config import ProjectConfig, load_project_config
from memory_store.sync import hooks as sync_hooks
from memory_store.workspace import Workspace
from server.lsp import events
from server.lsp.diagnostics import DiagnosticStore, canonical
from server.lsp.events import Events
from server.lsp.frames import FrameLimitedInput
from server.lsp.memory import FolderMemory, StoreWatcher
from server.lsp.settings import Resolved, Settings, project_layer, resolve
from server.text_safety import TerminalSafeFormatter

log = logging.getLogger(__name__)

ALLOW = "Allow"
"""The action of the consent request that allows a repository's committed settings."""

MAX_BUFFER_CHARS = 5_000_000
"""Larger open documents are treated as their file on disk."""
MAX_PUBLISHED = 1000
LARGE_PUBLISH = 200
"""Diagnostics published per document at most."""
DEBOUNCE_SECONDS = 0.1
"""Quiet time after the last file event of a burst before the memory is re-read."""
MAX_WAIT_SECONDS = 0.25
"""A burst that never goes quiet (steady writes) is re-read at least this often. Under
steady writes this wait is most of the time a new record takes to reach hover (re-reading
the changed files takes a few ms: bench/soak.py)."""
FOLDER_WAIT_SECONDS = 10.0
"""Requests arriving while the workspace folders are being opened wait this long for them."""



def make_converter():
    """pygls' converter, with two changes: custom notifications keep their params as plain
    dicts (pygls would turn them into namedtuples, which lose keys that are not
    identifiers), and publishDiagnostics params may be given already unstructured (large
    ones are converted in a worker thread, see :meth:`TeamloreServer.publish`)."""
    conv = default_converter()
    conv.register_structure_hook(JsonRPCNotification, lambda obj, cls: cls(**obj))
    plain = conv.get_unstructure_hook(types.PublishDiagnosticsParams)
    conv.register_unstructure_hook(types.PublishDiagnosticsParams,
                                   lambda p: p if isinstance(p, dict) else plain(p))
    return conv


class _Ignored:
    """Stands for a message already answered with an error while it was decoded."""

    jsonrpc = "ignored"


class TeamloreProtocol(LanguageServerProtocol):
    """Answers a request whose params cannot be decoded with an error response.

    pygls logs such a message and drops it, which would leave the client waiting forever.
    """

    def structure_message(self, data: dict[str, Any]):
        if isinstance(data, dict) and "id" in data and isinstance(data.get("method"), str) \
                and data.get("jsonrpc") == self.VERSION:
            msg_type = self.get_message_type(data["method"])
            if msg_type is not None and "id" not in getattr(msg_type, "__annotations__", {"id": None}):
                # a request (it has an id) for a notification method: JSON-RPC wants an answer
                error = JsonRpcInvalidRequest(message=f"{data['method']} is a notification; send it without an id")
                self._send_response(data["id"], None, error.to_response_error())
                return _Ignored()
        try:
            return super().structure_message(data)
        except JsonRpcException as exc:
            if isinstance(data, dict) and "id" in data and "method" in data:
                cause = exc.__cause__ or exc
                bad_params = JsonRpcInvalidParams(message=f"invalid params for {data['method']}: {cause}")
                self._send_response(data["id"], None, bad_params.to_response_error())
                return _Ignored()
            raise

    frames: FrameLimitedInput | None = None
    """The bounded input, when reading stdio (see :meth:`TeamloreServer.start_io`)."""

    def handle_message(self, message):
        if isinstance(message, _Ignored):
            return None
        if message is None:  # a refused frame (or a body that is JSON null)
            self._answer_refused()
            return None
        return super().handle_message(message)

    def _answer_refused(self) -> None:
        """A request whose frame was refused for its size gets an error, so its client does
        not wait for an answer forever."""
        while self.frames is not None and self.frames.refused:
            frame = self.frames.refused.popleft()
            if frame.request_id is not None:
                error = JsonRpcInvalidRequest(
                    message=f"message of {frame.length} bytes refused: the limit is {self.frames.limit} bytes")
                self._send_response(frame.request_id, None, error.to_response_error())


class ClientLogHandler(logging.Handler):
    """Forwards teamlore's log records to the editor as ``window/logMessage``."""

    _LEVELS: ClassVar[dict[int, types.MessageType]] = {
        logging.ERROR: types.MessageType.Error, logging.WARNING: types.MessageType.Warning,
        logging.INFO: types.MessageType.Info}

    def __init__(self, server: TeamloreServer):
        super().__init__(logging.INFO)
        self.server = server
        self._local = threading.local()

    def emit(self, record: logging.LogRecord) -> None:
        loop = self.server.loop
        if loop is None or loop.is_closed() or getattr(self._local, "busy", False):
            return
        kind = types.MessageType.Log
        for level, mtype in self._LEVELS.items():
            if record.levelno >= level:
                kind = mtype
                break
        try:
            params = types.LogMessageParams(type=kind, message=self.format(record))
        except Exception:  # a log record that cannot be formatted must not break anything
            return
        if threading.get_ident() == self.server.loop_thread:
            self._send(params)
        else:
            loop.call_soon_threadsafe(self._send, params)

    def _send(self, params: types.LogMessageParams) -> None:
        self._local.busy = True
        try:
            self.server.window_log_message(params)
        except Exception:
            pass
        finally:
            self._local.busy = False


class TeamloreServer(LanguageServer):
    def __init__(self, default_root: Path | None = None):
        # Full sync: a change replaces the text (pygls' incremental sync re-splits the whole
        # document on every keystroke). The buffer is used where positions come from it
        # (forwarded findings); tracebacks refer to files on disk and are read from there.
        self.converter: Any = None
        """The protocol's converter (large payloads are converted with it off the loop)."""

        def converter_factory() -> Any:
            self.converter = make_converter()
            return self.converter

        super().__init__("teamlore", __version__, protocol_cls=TeamloreProtocol,
                         converter_factory=converter_factory, max_workers=4,
                         text_document_sync_kind=types.TextDocumentSyncKind.Full)
        self.default_root = default_root
        self.store = DiagnosticStore()
        self.folders: dict[str, FolderMemory] = {}
        self.ready: dict[str, asyncio.Event] = {}
        self.init_options: dict[str, Any] = {}
        self.restricted = False
        """The editor does not trust the workspace (``initializationOptions.restrictedMode``)."""
        self._consent_asked: set[str] = set()
        self.client_settings: dict[str, dict[str, Any]] = {}
        """``workspace/configuration`` answers per folder uri ("" = pushed for all)."""
        self.watcher: StoreWatcher | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self.loop_thread: int | None = None
        self.events = Events()
        """What features subscribe to (see :mod:`server.lsp.events`)."""
        self.log_handler: logging.Handler | None = None
        self.stderr_handlers: list[logging.Handler] = []
        self.file_handlers: list[logging.Handler] = []
        """The command line's log handlers (levels follow ``logLevel``, see update_log_level)."""
        self._tasks: set[asyncio.Task[Any]] = set()
        self._pending: dict[str, set[Path]] = {}
        self._timers: dict[str, asyncio.TimerHandle] = {}
        self._burst_start: dict[str, float] = {}
        self._opening = 0
        self.folders_settled = asyncio.Event()
        """Set when no workspace folder is being opened (clear until ``initialized`` opened them)."""
        self._reported: set[str] = set()
        self._published: dict[str, int] = {}
        self._publish_seq: dict[str, int] = {}

    def start_io(self, stdin: BinaryIO | None = None, stdout: BinaryIO | None = None) -> None:
        """Serve over stdio, with input frames bounded (see :mod:`server.lsp.frames`)."""
        frames = FrameLimitedInput(stdin or sys.stdin.buffer)
        if isinstance(self.protocol, TeamloreProtocol):
            self.protocol.frames = frames
        super().start_io(frames, stdout)  # type: ignore[arg-type]

    def report_server_error(self, error: Exception, source: Any) -> None:
        """Malformed messages and failing notifications are logged, not shown: the user
        cannot act on them (pygls' default pops up a message for each)."""
        log.warning("%s: %s", getattr(source, "__name__", source), error)

    # -- background work -----------------------------------------------------------------
    def spawn(self, coro: Coroutine[Any, Any, Any], what: str) -> asyncio.Task[Any]:
        """Run ``coro`` in the background; its failure is logged, never lost."""
        task = asyncio.ensure_future(coro)
        task.set_name(what)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if task.cancelled():
            return
        exc = task.exception()
        if exc is not None:
            log.error("%s failed: %s", task.get_name(), exc, exc_info=exc)

    # -- settings ------------------------------------------------------------------------
    def resolve_settings(self, folder_uri: str | None, folder: Path | None) -> Resolved:
        """Settings of one workspace folder: its project config (read in ``folder``'s own
        ``.teamlore/``), then the editor's settings. Runs in a worker thread."""
        project: dict[str, Any] = {}
        if folder is not None:
            config = load_project_config(Workspace(folder), restricted=self.restricted)
            for problem in config.problems:
                self.report_once(f"teamlore setting {problem}")
            if config.withheld and not self.restricted:
                self.ask_consent(folder, config)
            project = project_layer(config)
        client = self.client_settings.get(folder_uri or "") or self.client_settings.get("", {})
        resolved = resolve([("teamlore config", project), ("workspace/configuration", client),
                            ("initializationOptions", self.init_options)])
        for problem in resolved.problems:
            self.report_once(str(problem))
        for name in resolved.unknown:
            log.warning("unknown teamlore setting %s ignored", name)
        if self.restricted:  # the editor does not trust this workspace: nothing runs, nothing connects
            resolved.settings = replace(resolved.settings, scanners_on_save=(), redis_url=None)
        return resolved

    def ask_consent(self, folder: Path, config: ProjectConfig) -> None:
        """Offer once per repository and values to allow the committed settings that are
        withheld (they stay ignored unless the user answers "Allow")."""
        key = f"{folder}\0{trust.digest(config.committed_gated)}"
        if key in self._consent_asked or self.loop is None or self.loop.is_closed():
            return
        self._consent_asked.add(key)
        log.warning("%s: %s", folder, config.withheld_notice())
        values = "; ".join(f"{w.key} = {json.dumps(w.value, ensure_ascii=True)}" for w in config.withheld)
        message = f"teamlore: {folder.name}: {config.withheld_notice('allow')} Values: {values}"

        async def ask() -> None:
            try:
                answer = await self.window_show_message_request_async(types.ShowMessageRequestParams(
                    type=types.MessageType.Warning, message=message,
                    actions=[types.MessageActionItem(title=ALLOW), types.MessageActionItem(title="Not now")]))
            except Exception as exc:  # the client may not support the request
                log.info("consent request not answered: %s", exc)
                return
            if answer is None or answer.title != ALLOW:
                return
            await asyncio.to_thread(trust.allow, folder, config.committed_gated)
            log.info("%s: committed settings allowed by the user", folder)
            await self.apply_settings()

        def start() -> None:
            self.spawn(ask(), f"consent request for {folder}")

        if threading.get_ident() == self.loop_thread:
            start()
        else:
            self.loop.call_soon_threadsafe(start)

    def report_once(self, message: str, kind: types.MessageType = types.MessageType.Warning) -> None:
        """Tell the user about something they can fix (once per message), and log it."""
        log.warning("%s", message)
        if message in self._reported or self.loop is None or self.loop.is_closed():
            return
        self._reported.add(message)
        params = types.ShowMessageParams(type=kind, message=message)
        if threading.get_ident() == self.loop_thread:
            self.window_show_message(params)
        else:  # settings are resolved in worker threads; messages go out from the loop
            self.loop.call_soon_threadsafe(self.window_show_message, params)

    def update_log_level(self) -> None:
        """The editor's log gets the most detailed ``logLevel`` of the open folders; so does
        ``--log-file``. stderr (shown by some editors as errors) gets warnings and errors
        only, unless ``-v`` or ``logLevel: debug`` asks for more."""
        levels = [mem.settings.log_level for mem in self.folders.values()] or \
            [self.resolve_settings(None, None).settings.log_level]
        level = min(logging.getLevelName(name.upper()) for name in levels)
        if self.log_handler is not None:
            self.log_handler.setLevel(level)
        root_level = logging.getLogger().getEffectiveLevel()  # -v / -vv on the command line
        for handler in self.stderr_handlers:
            handler.setLevel(min(root_level, logging.WARNING, level if level < logging.INFO else logging.WARNING))
        for handler in self.file_handlers:
            handler.setLevel(min(root_level, level))
        for name in ("server", "memory_store"):
            logging.getLogger(name).setLevel(min(level, root_level, logging.INFO))

    def settings_for(self, uri: str | None) -> Settings:
        mem = self.memory_for(uri) if uri else None
        if mem is not None:
            return mem.settings
        return self.resolve_settings(None, None).settings

    # -- folders and memories ------------------------------------------------------------
    def folder_uris(self) -> list[str]:
        uris = [f.uri for f in self.workspace.folders.values()]
        if not uris and self.workspace.root_uri:
            uris = [self.workspace.root_uri]
        if not uris and self.default_root is not None:
            uris = [from_fs_path(str(self.default_root))]
        return uris

    def memory_for(self, uri: str | None) -> FolderMemory | None:
        """The memory of the folder holding ``uri`` (innermost folder), or None outside."""
        if not uri:
            return None
        path = to_fs_path(uri)
        if path is None:
            return None
        p = Path(path)
        best: FolderMemory | None = None
        for mem in self.folders.values():
            if (p == mem.folder or mem.folder in p.parents) and \
                    (best is None or len(mem.folder.parts) > len(best.folder.parts)):
                best = mem
        return best

    def memory_for_path(self, path: Path) -> FolderMemory | None:
        return self.memory_for(from_fs_path(str(path)))

    def any_memory(self) -> FolderMemory | None:
        return next(iter(self.folders.values()), None)

    async def wait_ready(self, mem: FolderMemory, timeout: float = 10.0) -> bool:
        event = self.ready.get(mem.folder_uri)
        if event is None:
            return False
        if event.is_set():
            return True
        try:
            await asyncio.wait_for(event.wait(), timeout)
        except asyncio.TimeoutError:
            return False
        return True

    @contextlib.contextmanager
    def opening_folders(self) -> Iterator[None]:
        """While workspace folders are being registered, requests wait for them (see
        :meth:`folder_memory`)."""
        self._opening += 1
        self.folders_settled.clear()
        try:
            yield
        finally:
            self._opening -= 1
            if self._opening == 0:
                self.folders_settled.set()

    async def folder_memory(self, uri: str | None, timeout: float = FOLDER_WAIT_SECONDS) -> FolderMemory | None:
        """Like :meth:`memory_for` (``any_memory`` when ``uri`` is None), but first waits
        (at most ``timeout``) for the workspace folders still being opened at start-up."""
        if not self.folders_settled.is_set():
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self.folders_settled.wait(), timeout)
        return self.memory_for(uri) if uri else self.any_memory()

    async def open_folder(self, folder_uri: str) -> None:
        with self.opening_folders():
            mem = await self.register_folder(folder_uri)
        if mem is not None:
            await self.load_folder(mem)

    async def register_folder(self, folder_uri: str) -> FolderMemory | None:
        """Resolve the folder's settings and register its (not yet loaded) memory."""
        path = to_fs_path(folder_uri)
        if path is None:
            log.warning("workspace folder %s is not a local directory; no memory for it", folder_uri)
            return None
        folder = Path(path).resolve()
        settings = await asyncio.to_thread(
            lambda: self.resolve_settings(folder_uri, folder).settings)
        mem = FolderMemory(folder_uri, folder, settings)
        self.folders[folder_uri] = mem
        self.ready[folder_uri] = asyncio.Event()
        return mem

    async def load_folder(self, mem: FolderMemory) -> None:
        """Read a registered folder's memory; requests waiting for it proceed afterwards."""
        event = self.ready[mem.folder_uri]
        try:
            if self.watcher is not None:  # before loading, so no file written meanwhile is missed
                await asyncio.to_thread(self.watcher.watch, mem.workspace.root)
            await asyncio.to_thread(mem.load)
        except Exception as exc:
            log.error("cannot load the memory of %s: %s", mem.folder, exc, exc_info=exc)
        finally:
            event.set()
        self.update_log_level()
        await self.notify_memory(mem)  # requests that arrived during the load see the memory now
        await self.notify_inbox(mem)

    async def close_folder(self, folder_uri: str) -> None:
        mem = self.folders.pop(folder_uri, None)
        self.ready.pop(folder_uri, None)
        if mem is not None and self.watcher is not None:
            await asyncio.to_thread(self.watcher.unwatch, mem.workspace.root)

    async def apply_settings(self) -> None:
        """Re-resolve every folder's settings and tell the features whose settings changed."""
        for mem in list(self.folders.values()):
            new = (await asyncio.to_thread(self.resolve_settings, mem.folder_uri, mem.folder)).settings
            old = mem.settings
            if new == old:
                continue
            log.info("settings of %s changed", mem.folder)
            if (new.store_root, new.match_threshold) != (old.store_root, old.match_threshold):
                await self.close_folder(mem.folder_uri)
                await self.open_folder(mem.folder_uri)
                fresh = self.folders.get(mem.folder_uri)
                if fresh is not None:
                    await self.notify_memory(fresh)
                    mem = fresh
            else:
                mem.settings = new
            await self.events.emit(events.SETTINGS, mem, old, new)
            self.publish_all({uri for uri in self.store.uris() if self.memory_for(uri) is mem})
        self.update_log_level()

    # -- live memory ---------------------------------------------------------------------
    def start_watching(self) -> None:
        self.watcher = StoreWatcher(self._file_event_threadsafe)
        try:
            self.watcher.start()
        except Exception as exc:  # e.g. inotify limits
            log.warning("cannot start the file watcher (%s); memory changes need a reload", exc)
            self.watcher = None

    def _file_event_threadsafe(self, path: Path) -> None:
        loop = self.loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self.file_changed, path)

    def file_changed(self, path: Path) -> None:
        """A path under some ``.teamlore/`` changed: re-read it after the burst settles, or
        at the latest ``MAX_WAIT_SECONDS`` after the burst's first event."""
        assert self.loop is not None
        for mem in self.folders.values():
            store = mem.workspace.store
            if (path == store or store in path.parents) and not \
                    (path == mem.workspace.cache or mem.workspace.cache in path.parents):
                uri = mem.folder_uri
                self._pending.setdefault(uri, set()).add(path)
                now = self.loop.time()
                start = self._burst_start.setdefault(uri, now)
                timer = self._timers.pop(uri, None)
                if timer is not None:
                    timer.cancel()
                delay = max(0.0, min(DEBOUNCE_SECONDS, start + MAX_WAIT_SECONDS - now))
                self._timers[uri] = self.loop.call_later(delay, self._flush, uri)

    def _flush(self, folder_uri: str) -> None:
        self._timers.pop(folder_uri, None)
        self._burst_start.pop(folder_uri, None)
        paths = self._pending.pop(folder_uri, set())
        mem = self.folders.get(folder_uri)
        if mem is not None and paths:
            self.spawn(self._reload(mem, paths), f"reload memory of {mem.folder}")

    async def _reload(self, mem: FolderMemory, paths: set[Path]) -> None:
        store = mem.workspace.store
        if store in paths or any(p.name == "config.toml" and p.parent == store for p in paths):
            await self.apply_settings()
            mem = self.folders.get(mem.folder_uri, mem)
        if await asyncio.to_thread(mem.apply_changes, paths):
            await self.notify_memory(mem)
        decisions = store / "security"
        if any(p == decisions or decisions in p.parents for p in paths):
            await self.events.emit(events.FINDINGS, mem)
        if any(p == mem.workspace.inbox or mem.workspace.inbox in p.parents for p in paths):
            await self.notify_inbox(mem)

    async def notify_memory(self, mem: FolderMemory) -> None:
        await self.events.emit(events.MEMORY, mem)

    async def notify_inbox(self, mem: FolderMemory) -> None:
        await self.events.emit(events.INBOX, mem)

    def buffer_text(self, uri: str) -> str | None:
        """The editor's text of an open document (may differ from the disk), else None."""
        doc = self.workspace.text_documents.get(uri)
        if doc is None:
            return None
        text = doc.source
        return text if len(text) <= MAX_BUFFER_CHARS else None

    # -- diagnostics ---------------------------------------------------------------------
    def publish(self, uri: str) -> None:
        """Publish the merged diagnostics of ``uri`` when they differ from the last ones sent
        (editors that forward diagnostics would otherwise echo them back and forth)."""
        uri = canonical(uri)
        settings = self.settings_for(uri)
        diags = self.store.merged(uri, show_suppressed=settings.show_suppressed)
        if len(diags) > MAX_PUBLISHED:  # editors show no more (VS Code: 1000 per file); keep the worst
            diags = sorted(diags, key=lambda d: d.severity or types.DiagnosticSeverity.Error)[:MAX_PUBLISHED]
        key = hash(tuple((d.range.start.line, d.range.start.character, d.range.end.line, d.range.end.character,
                          d.message, d.source, str(d.code), str(d.severity), repr(d.data)) for d in diags))
        if self._published.get(uri) == key:
            return
        if diags:
            self._published[uri] = key
        else:
            self._published.pop(uri, None)
        params = types.PublishDiagnosticsParams(uri=uri, diagnostics=diags)
        self._publish_seq[uri] = seq = self._publish_seq.get(uri, 0) + 1
        if len(diags) < LARGE_PUBLISH:
            self.text_document_publish_diagnostics(params)
        else:  # converting thousands of diagnostics takes tens of ms: not on the loop
            self.spawn(self._publish_large(uri, params, seq), f"publish diagnostics of {uri}")

    async def _publish_large(self, uri: str, params: types.PublishDiagnosticsParams, seq: int) -> None:
        data = await asyncio.to_thread(self.converter.unstructure, params)
        if self._publish_seq.get(uri) == seq:  # a newer publication for this uri went out meanwhile
            self.protocol.notify(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS, data)

    def publish_all(self, uris: set[str]) -> None:
        for uri in sorted(uris):
            self.publish(uri)

    # -- shutdown ------------------------------------------------------------------------
    def stop_background(self) -> None:
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()
        for task in list(self._tasks):
            task.cancel()
        if self.watcher is not None:
            self.watcher.stop()
            self.watcher = None


def build_server(default_root: Path | None = None) -> TeamloreServer:
    """The server with every feature registered, in the order of ``FEATURES``: the order in
    which their handlers and event listeners run."""
    # imported here: each feature module imports this one for TeamloreServer
    from server.lsp.features import (
        code_actions,
        commands,
        debt_hints,
        documents,
        forwarded,
        hover,
        remembered_fixes,
        scans,
        sync,
        terminal,
        watched_files,
        workspace,
    )

    features = (
        workspace,  # folders, settings and the file watcher
        documents,  # document notifications -> OPENED / SAVED / CLOSED events
        watched_files,  # didChangeWatchedFiles -> the same reload as the watcher
        debt_hints,  # OPENED / SAVED / CLOSED, SETTINGS
        forwarded,  # MEMORY (re-check forwarded errors) before ...
        sync,  # MEMORY (start team sync), SETTINGS
        terminal,  # MEMORY, INBOX
        scans,  # SAVED, FINDINGS
        hover,
        code_actions,
        remembered_fixes,
        commands,
    )
    server = TeamloreServer(default_root)
    for module in features:
        module.register(server)
    return server


def main(tcp: tuple[str, int] | None = None, default_root: Path | None = None) -> int:
    """Run the server over stdio (or TCP for debugging). Logs go to stderr and the editor."""
    # Worker threads (matching, fingerprinting scan results) share the GIL with the event
    # loop; a shorter switch interval keeps hover latency low while they run.
    sys.setswitchinterval(0.001)
    sync_hooks.install()
    server = build_server(default_root)
    handler = ClientLogHandler(server)
    handler.setFormatter(TerminalSafeFormatter("%(name)s: %(message)s"))
    server.log_handler = handler
    for name in ("server", "memory_store"):
        logger = logging.getLogger(name)
        logger.addHandler(handler)
        logger.setLevel(min(logger.getEffectiveLevel(), logging.INFO))
    root = logging.getLogger()
    if not root.handlers:
        logging.basicConfig(stream=sys.stderr, level=logging.WARNING)
    server.file_handlers = [h for h in root.handlers if isinstance(h, logging.FileHandler)]
    server.stderr_handlers = [h for h in root.handlers if h not in server.file_handlers]
    server.update_log_level()
    try:
        if tcp is not None:
            server.start_tcp(*tcp)
        else:
            server.start_io()
    finally:
        server.stop_background()
    return 0
