"""Errors from the terminal: ``teamlore run`` events in ``.teamlore/.inbox/`` and the
``teamlore/terminalOutput`` notification ``{command, cwd, exitCode, output}``.

Each error of a failed run becomes a diagnostic (source ``teamlore``) on the line of the
innermost in-app frame of its traceback; the message says how many fixes the memory has
for it. An error naming no source line (a failed ``pip install``, ``npm ci``, ``cargo
build``) goes on the manifest of its language or of the command, on the line naming its
package when one does (:func:`memory_store.bugs.error_manifests.error_manifest_frame`). The
latest run of a command decides: a later success (``teamlore run`` or an editor
terminal) clears its diagnostics, and ``teamlore.clearTerminalErrors`` clears them all. An
editor terminal's passing run is recorded only when that command's latest run failed.
A passing run may also leave fix proposals, offered once each with
``window/showMessageRequest`` unless the memory already holds a fix for that error.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import shlex
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.uris import from_fs_path, to_fs_path

from memory_store.bugs import capture
from memory_store.bugs.error_manifests import error_manifest_frame
from memory_store.clock import parse_iso
from memory_store.errors import ParsedError
from memory_store.inbox import Inbox, is_clear
from memory_store.redact import redact
from memory_store.workspace import UnsafePathError
from server.lsp import events
from server.lsp.diagnostics import SOURCE, TERMINAL_PREFIX, ErrorData
from server.lsp.features.commands import memory_of, one_object
from server.lsp.memory import FolderMemory
from server.lsp.positions import line_of_file, line_range
from server.lsp.render import _one_line
from server.lsp.server import TeamloreServer
from server.text_safety import terminal_text

log = logging.getLogger(__name__)

METHOD = "teamlore/terminalOutput"
CLEAR = "teamlore.clearTerminalErrors"
MAX_OUTPUT_CHARS = 50_000_000
REPLAY_WINDOW = timedelta(hours=24)
"""At start-up, runs older than this are not turned into diagnostics."""
CLOCK_SKEW = timedelta(minutes=5)
"""How far in the future a run may have ended (clocks of two machines differ)."""
SAVE = "Save"
DISMISS = "Dismiss"


@functools.lru_cache(maxsize=4096)  # a log repeats the same few commands
def _same_command(command: str) -> str:
    """One spelling per command line, so `:terminal pytest  -x` and `teamlore run -- pytest -x` agree."""
    try:
        return shlex.join(shlex.split(command))
    except ValueError:  # unbalanced quotes
        return " ".join(command.split())


def command_key(event: dict[str, Any]) -> str:
    return f"{TERMINAL_PREFIX}{event.get('cwd') or '.'}:{_same_command(str(event.get('command') or ''))}"


def _recent(event: dict[str, Any]) -> bool:
    try:
        ended = parse_iso(str(event.get("ended") or ""))
    except ValueError:
        return False
    age = datetime.now(timezone.utc) - ended
    return -CLOCK_SKEW <= age < REPLAY_WINDOW  # an end in the future is no recent run, just a forged one


def _message(parsed: ParsedError, n_matches: int) -> str:
    """The diagnostic's text; a replayed run event may come from a cloned repository, so
    escape sequences, other controls and bidi overrides are removed."""
    text = _one_line(terminal_text(parsed.headline), 300)
    if n_matches:
        text += f"\nseen before: {n_matches} fix{'es' if n_matches != 1 else ''} (hover for details)"
    return text


class Terminal:
    def __init__(self, ls: TeamloreServer):
        self.ls = ls
        self.cursors: dict[str, int] = {}
        self.latest: dict[str, dict[str, dict[str, Any]]] = {}
        """folder uri -> command key -> latest run event (since the last clear)."""
        self.failing: dict[str, set[str]] = {}
        """folder uri -> keys of the commands whose latest run failed (whatever its age)."""
        self.asked: set[str] = set()
        self._lock = asyncio.Lock()
        self._offering = asyncio.Lock()
        """One offer at a time, in the proposals' order (start-up may ask for two)."""

    # -- building diagnostics (worker thread) --------------------------------------------
    def _diagnostics(self, mem: FolderMemory, event: dict[str, Any]) -> dict[str, list[types.Diagnostic]]:
        """uri -> diagnostics for one failed run."""
        codec = self.ls.workspace.position_codec
        out: dict[str, list[types.Diagnostic]] = {}
        for raw in event.get("errors") or []:
            if not isinstance(raw, dict):
                continue
            parsed = ParsedError.from_json(raw)
            frame = parsed.innermost_source_frame()
            if frame is None or not frame.path or not isinstance(frame.line, int) or frame.line < 1:
                # an error naming no source line (a build tool's, a failed install): on the manifest
                frame = error_manifest_frame(parsed, str(event.get("command") or ""), mem.workspace.root,
                                             event.get("cwd") if isinstance(event.get("cwd"), str) else None)
                if frame is None or frame.line is None:
                    continue
            try:
                path = mem.workspace.resolve(frame.path)
            except UnsafePathError:
                continue
            if path.exists() and not path.is_file():
                continue  # a FIFO or device (a replayed event may name one) would block the read of its line
            uri = from_fs_path(str(path))
            line = frame.line - 1
            text = line_of_file(path, line)  # the file the traceback's line numbers refer to
            error = parsed.text or parsed.headline
            matches = mem.match(error)
            out.setdefault(uri, []).append(types.Diagnostic(
                range=line_range(codec, line, text), severity=types.DiagnosticSeverity.Error,
                source=SOURCE, code="terminal", message=_message(parsed, len(matches)),
                data=ErrorData(teamlore="error", error=error, matches=[m.record["id"] for m in matches],
                               folder=mem.folder_uri, command=event.get("command"))))
        return out

    # -- applying events -----------------------------------------------------------------
    async def apply(self, mem: FolderMemory, events: list[dict[str, Any]]) -> None:
        """Take the latest event per command and (re)publish their diagnostics."""
        latest = self.latest.setdefault(mem.folder_uri, {})
        changed: dict[str, dict[str, Any]] = {}
        for event in events:
            if isinstance(event, dict) and is_clear(event):
                changed.update({key: {"cleared": True} for key in latest})
                latest.clear()
            elif isinstance(event, dict) and isinstance(event.get("command"), str):
                key = command_key(event)
                latest[key] = changed[key] = event
        if not changed:
            return
        await self.rebuild(mem, changed)
        if any(e.get("exit_code") == 0 or e.get("proposals") for e in changed.values()):
            self.ls.spawn(self.offer_proposals(mem), "offer fix proposals")

    async def rebuild(self, mem: FolderMemory, events: dict[str, dict[str, Any]]) -> None:
        built = {}
        for key, event in events.items():
            failed = event.get("exit_code") not in (0, None)
            built[key] = await asyncio.to_thread(self._diagnostics, mem, event) if failed else {}
        touched: set[str] = set()
        for key, by_uri in built.items():
            touched |= self.ls.store.clear_source(key)
            for uri, diags in by_uri.items():
                self.ls.store.set(key, uri, diags)
                touched.add(uri)
        self.ls.publish_all(touched)

    @staticmethod
    def _outcomes(events: list[dict[str, Any]]) -> dict[str, bool]:
        """Command key -> whether its latest run in ``events`` failed."""
        return {command_key(e): e.get("exit_code") not in (0, None) for e in events
                if isinstance(e, dict) and isinstance(e.get("command"), str)}

    def _note_outcomes(self, mem: FolderMemory, outcomes: dict[str, bool]) -> None:
        failing = self.failing.setdefault(mem.folder_uri, set())
        for key, failed in outcomes.items():
            if failed:
                failing.add(key)
            else:
                failing.discard(key)

    async def inbox_changed(self, mem: FolderMemory) -> None:
        async with self._lock:
            inbox = Inbox(mem.workspace)
            cursor = self.cursors.get(mem.folder_uri)
            events, new_cursor = await asyncio.to_thread(inbox.events_since, cursor)
            self.cursors[mem.folder_uri] = new_cursor
        self._note_outcomes(mem, await asyncio.to_thread(self._outcomes, events))
        if cursor is None:  # start-up replay: old failures are history, not current errors
            events = [e for e in events if isinstance(e, dict) and _recent(e)]
            self.ls.spawn(self.offer_proposals(mem), "offer fix proposals")  # waiting from earlier sessions
        await self.apply(mem, events)

    async def memory_changed(self, mem: FolderMemory) -> None:
        """Recount "seen before" for the terminal errors of this folder."""
        events = self.latest.get(mem.folder_uri, {})
        if events:
            await self.rebuild(mem, dict(events))

    async def terminal_output(self, params: dict[str, Any]) -> None:
        command, cwd, code, output = (params.get("command"), params.get("cwd"), params.get("exitCode"),
                                      params.get("output"))
        if not isinstance(command, str) or not isinstance(output, str) or \
                isinstance(code, bool) or not isinstance(code, int):
            log.warning("ignored %s: needs command (string), exitCode (integer) and output (string)", METHOD)
            return
        if cwd is not None and not isinstance(cwd, str):
            log.warning("ignored %s: cwd must be a string", METHOD)
            return
        if cwd and cwd.startswith("file:"):  # a uri instead of a path
            cwd = to_fs_path(cwd) or None
        if len(output) > MAX_OUTPUT_CHARS:
            output = output[-MAX_OUTPUT_CHARS:]
        mem = self.ls.memory_for_path(Path(cwd)) if cwd else None
        mem = mem or self.ls.any_memory()
        if mem is None:
            log.info("%s outside any workspace folder ignored", METHOD)
            return
        inbox = Inbox(mem.workspace)
        cwd = cwd or str(mem.workspace.root)
        if code == 0:
            key = await asyncio.to_thread(
                lambda: command_key({"cwd": inbox.relative_cwd(cwd), "command": redact(command)}))
            if key not in self.failing.get(mem.folder_uri, set()):
                return  # nothing of this command to clear or to propose: not logged
        try:
            event = await asyncio.to_thread(inbox.record_run, command, cwd, code, output)
        except (OSError, ValueError) as exc:
            log.warning("cannot record the output of %r: %s", _one_line(command, 80), exc)
            return
        self._note_outcomes(mem, self._outcomes([event]))
        await self.apply(mem, [event])

    async def clear(self, mem: FolderMemory) -> int:
        """Clear the folder's terminal errors, now and after a restart; returns how many
        commands had errors shown. The run log is appended to, never rewritten."""
        event = await asyncio.to_thread(Inbox(mem.workspace).record_clear)
        shown = sum(1 for e in self.latest.get(mem.folder_uri, {}).values() if e.get("exit_code") not in (0, None))
        await self.apply(mem, [event])
        return shown

    # -- fix proposals -------------------------------------------------------------------
    async def offer_proposals(self, mem: FolderMemory) -> None:
        window = self.ls.client_capabilities.window
        if window is None or window.show_message is None:
            return
        async with self._offering:
            await self._offer(mem)

    async def _offer(self, mem: FolderMemory) -> None:
        inbox = Inbox(mem.workspace)
        proposals, asked = await asyncio.to_thread(lambda: (capture.pending(mem.workspace), inbox.asked_proposals()))
        self.asked.update(asked)
        for proposal in proposals:
            pid = proposal["id"]
            if pid in self.asked:
                continue
            self.asked.add(pid)
            if await asyncio.to_thread(self._remembered, mem, proposal):
                continue  # kept in the pending list; asking would only repeat the memory
            try:  # before asking: a prompt left unanswered (editor closed) is not asked again
                await asyncio.to_thread(inbox.mark_asked, pid)
            except (OSError, ValueError) as exc:
                log.warning("cannot remember that fix proposal %s was offered: %s", pid, exc)
            error = _one_line(proposal.get("headline") or proposal.get("error") or pid, 120)
            summary = _one_line(proposal.get("summary") or "", 160)
            message = f"Save how you fixed `{error}`?" + (f" ({summary})" if summary else "")
            answer = await self.ls.window_show_message_request_async(types.ShowMessageRequestParams(
                type=types.MessageType.Info, message=message,
                actions=[types.MessageActionItem(title=SAVE), types.MessageActionItem(title=DISMISS)]))
            title = getattr(answer, "title", None)
            try:
                if title == SAVE:
                    rec = await asyncio.to_thread(capture.accept, mem.workspace, pid)
                    await asyncio.to_thread(mem.add_record, rec)
                    await self.ls.notify_memory(mem)
                    log.info("saved fix %s from proposal %s", rec["id"], pid)
                elif title == DISMISS:
                    await asyncio.to_thread(capture.dismiss, mem.workspace, pid)
            except Exception as exc:
                log.warning("fix proposal %s: %s", pid, exc)

    @staticmethod
    def _remembered(mem: FolderMemory, proposal: dict[str, Any]) -> bool:
        """Whether the memory already holds a fix for the proposal's error: a record of the
        same error (fingerprint), or a confident match. Blocking (scans the records)."""
        fp = proposal.get("fingerprint")
        if fp and any(rec.get("fingerprint") == fp for rec in list(mem.records.values())):
            return True
        error = proposal.get("error") or proposal.get("headline")
        return isinstance(error, str) and bool(error.strip()) and bool(mem.match(error, limit=1))


def register(server: TeamloreServer) -> None:
    terminal = Terminal(server)
    server.terminal = terminal  # type: ignore[attr-defined]
    server.events.on(events.INBOX, terminal.inbox_changed)
    server.events.on(events.MEMORY, terminal.memory_changed)

    @server.feature(METHOD)
    async def terminal_output(ls: TeamloreServer, params: Any) -> None:
        if not isinstance(params, dict):
            log.warning("ignored %s: expected an object", METHOD)
            return
        await terminal.terminal_output(params)

    @server.command(CLEAR)
    async def clear_terminal_errors(ls: TeamloreServer, *args: Any) -> dict[str, Any]:
        """Argument ``{uri?}``: the folder holding it (default: the first)."""
        mem = await memory_of(ls, CLEAR, one_object(CLEAR, args))
        return {"cleared": await terminal.clear(mem)}
