"""The inbox: errors captured from commands (``teamlore run``, editor terminals).

Every run becomes one *run event*, appended as one JSON line to
``.teamlore/.inbox/runs.jsonl`` under a file lock. Readers (the language server) tail
the log cheaply with :meth:`Inbox.events_since` and a byte-offset cursor. The inbox is
local to the machine (``.inbox/`` is git-ignored) and everything in it is redacted.

Recording a run also feeds fix capture (:mod:`memory_store.bugs.capture`): an error that
stops occurring on a later run of the same command becomes a fix proposal.

A *clear event* (:meth:`Inbox.record_clear`) in the same log says that every error captured
before it is no longer current; the log itself is never rewritten. ``asked.json`` remembers
which fix proposals the editor already offered, so a proposal is offered once.
"""

from __future__ import annotations

import json
import logging
import os
import time
import uuid
from pathlib import Path
from typing import Any, BinaryIO

from memory_store import confine
from memory_store.bugs import capture as fix_capture
from memory_store.clock import timestamp_iso
from memory_store.errors import ParsedError, extract_errors, fingerprint, parse_error
from memory_store.jsonio import MemoryFileError, atomic_write_json, file_lock, read_json
from memory_store.redact import redact
from memory_store.workspace import ConfinementError, UnsafePathError, Workspace

log = logging.getLogger(__name__)

RUN_SCHEMA = "teamlore.run/1"
CLEAR_SCHEMA = "teamlore.clear/1"
ASKED_SCHEMA = "teamlore.asked/1"
MAX_ASKED = 1000
"""Proposal ids kept in ``asked.json`` (the oldest are forgotten first)."""
MAX_OUTPUT_CHARS = 2_000_000
"""Output kept for error extraction: the start and the end of longer outputs."""
HEAD_CHARS = 256_000
MAX_ERRORS = 50
MAX_TRACEBACK_CHARS = 16_000
REDACT_MARGIN_CHARS = 8_192
"""Longer than any secret the redactor knows (a 4096-bit private key block is about 3.3 KB)."""
ERROR_WORDS = ("error", "exception", "traceback", "failed", "fatal", "panic", "warning", "exit", "interrupt",
               "abort", "stopiteration")
"""Cheap pre-check: output without any of these words (any case) holds no error; parsing is skipped."""
ROTATE_BYTES = 8 * 1024 * 1024
"""When the runs log grows past this, it is moved to ``runs.1.jsonl`` and restarted."""


def clip_output(output: str, limit: int = MAX_OUTPUT_CHARS, head: int = HEAD_CHARS) -> str:
    """Keep the start and the end of a long output (errors are usually at the end)."""
    if len(output) <= limit:
        return output
    omitted = len(output) - limit
    return f"{output[:head]}\n[... {omitted} characters omitted ...]\n{output[-(limit - head):]}"


def may_hold_errors(output: str) -> bool:
    low = output.lower()
    return any(word in low for word in ERROR_WORDS)


def error_json(err: ParsedError) -> dict[str, Any]:
    """A captured error as stored in run events and proposals (redacted, capped)."""
    data = err.to_json()
    # Redacted before it is cut, with a margin, so a cut never leaves half a secret behind.
    text = redact((data.get("traceback") or "")[-(MAX_TRACEBACK_CHARS + REDACT_MARGIN_CHARS):])
    data["traceback"] = text[-MAX_TRACEBACK_CHARS:]
    data["message"] = redact(data.get("message") or "")
    data["headline"] = redact(err.headline)
    data["fingerprint"] = fingerprint(err)
    frame = err.innermost_app_frame()
    data["file"] = frame.path if frame else None
    data["line"] = frame.line if frame else None
    return data


def is_clear(event: dict[str, Any]) -> bool:
    """Whether a logged event is a clear event (errors captured before it are not current)."""
    return event.get("schema") == CLEAR_SCHEMA


class Inbox:
    """Run events of one workspace (``.teamlore/.inbox/``)."""

    def __init__(self, workspace: Workspace):
        self.workspace = workspace
        self.dir = workspace.inbox
        self.runs_log = self.dir / "runs.jsonl"
        self._lock = self.dir / ".runs.lock"
        self.asked_file = self.dir / "asked.json"

    def relative_cwd(self, cwd: str | os.PathLike[str] | None) -> str | None:
        """``cwd`` relative to the workspace root ("." for the root); None when outside."""
        if cwd is None or str(cwd) == "":
            return "."
        try:
            rel = self.workspace.relative(Path(cwd).resolve() if Path(cwd).is_absolute() else cwd)
        except UnsafePathError:
            return None
        return rel or "."

    def record_run(self, command: str, cwd: str, exit_code: int, output: str,
                   started: float | None = None, ended: float | None = None, *,
                   source: str = "terminal", capture: bool = True) -> dict[str, Any]:
        """Extract errors from a finished command's output and append a run event.

        Returns the event (also holding ``proposals``: ids of fix proposals this run
        created, and ``resolved``: fingerprints of errors of this command that stopped
        occurring). ``started``/``ended`` are POSIX timestamps (default: now).
        """
        ended = time.time() if ended is None else ended
        started = ended if started is None else started
        output = clip_output(output or "")
        errorish = may_hold_errors(output)
        parsed = extract_errors(output, self.workspace.root) if errorish else []
        if not parsed and exit_code != 0 and errorish:
            # a failed command whose output holds no error of a known shape (pip's ``ERROR:
            # Cannot install a==1 and b==2 ...``): its most error-looking line is the error
            line = parse_error(output, self.workspace.root)
            parsed = [line] if line is not None else []
        errors = [error_json(e) for e in parsed[:MAX_ERRORS]]
        event: dict[str, Any] = {
            "schema": RUN_SCHEMA,
            "id": f"run-{uuid.uuid4().hex[:16]}",
            "command": redact(command),
            "cwd": self.relative_cwd(cwd),
            "exit_code": int(exit_code),
            "started": timestamp_iso(started),
            "ended": timestamp_iso(ended),
            "duration": round(max(0.0, ended - started), 3),
            "errors": errors,
            "source": source,
            "proposals": [],
            "resolved": [],
        }
        self.workspace.ensure_store()
        confine.make_dirs(self.dir)  # a symlinked inbox is refused here, once, before capture
        if capture:
            try:
                outcome = fix_capture.observe_run(self.workspace, event, started=started, ended=ended)
                event["proposals"] = outcome["proposals"]
                event["resolved"] = outcome["resolved"]
            except ConfinementError as exc:
                log.warning("fix capture skipped: %s", exc)
            except Exception:  # capture is best effort: the run event must still be logged
                log.exception("fix capture failed for %r", command)
        self.append(event)
        return event

    def record_clear(self, ended: float | None = None) -> dict[str, Any]:
        """Append a clear event: the errors captured so far are no longer shown."""
        event = {"schema": CLEAR_SCHEMA, "id": f"clear-{uuid.uuid4().hex[:16]}",
                 "ended": timestamp_iso(time.time() if ended is None else ended)}
        self.workspace.ensure_store()
        confine.make_dirs(self.dir)
        self.append(event)
        return event

    def asked_proposals(self) -> list[str]:
        """Ids of the fix proposals already offered in an editor (oldest first)."""
        if not self.asked_file.exists():
            return []
        try:
            data = read_json(self.asked_file)
        except MemoryFileError as exc:
            log.warning("offered fix proposals not read (they may be offered again): %s", exc)
            return []
        ids = data.get("proposals") if isinstance(data, dict) else None
        return [i for i in ids if isinstance(i, str)] if isinstance(ids, list) else []

    def mark_asked(self, proposal_id: str) -> None:
        """Remember that a fix proposal was offered (answered or not)."""
        self.workspace.ensure_store()
        confine.make_dirs(self.dir)
        with file_lock(self.dir / ".asked.lock"):
            ids = [i for i in self.asked_proposals() if i != proposal_id] + [proposal_id]
            atomic_write_json(self.asked_file, {"schema": ASKED_SCHEMA, "proposals": ids[-MAX_ASKED:]})

    def append(self, event: dict[str, Any]) -> None:
        """Append one event (never through a symlink: see :mod:`memory_store.confine`)."""
        line = (json.dumps(event, ensure_ascii=False, sort_keys=True) + "\n").encode("utf-8")
        with file_lock(self._lock):
            if confine.size(self.runs_log) + len(line) > ROTATE_BYTES:
                confine.replace(self.runs_log, self.dir / "runs.1.jsonl")
            confine.append(self.runs_log, line)

    def events_since(self, cursor: int | str | None = None) -> tuple[list[dict[str, Any]], int]:
        """Run events appended after ``cursor`` (None or 0: from the start) and the new cursor.

        The cursor is a byte offset into the log. If the log was rotated (it is shorter
        than the cursor) reading starts again from its beginning. Lines that cannot be
        parsed are skipped.
        """
        try:
            offset = int(cursor or 0)
        except (TypeError, ValueError):
            offset = 0
        try:
            with confine.open_file(self.runs_log, os.O_RDONLY) as fd, os.fdopen(os.dup(fd), "rb") as fh:
                return self._read_from(fh, offset)
        except FileNotFoundError:
            return [], 0
        except ConfinementError as exc:
            log.warning("run events not read: %s", exc)
            return [], 0

    @staticmethod
    def _read_from(fh: BinaryIO, offset: int) -> tuple[list[dict[str, Any]], int]:
        size = os.fstat(fh.fileno()).st_size
        if offset > size or offset < 0:
            offset = 0
        if offset == size:
            return [], offset
        if offset:
            fh.seek(offset - 1)
            if fh.read(1) != b"\n":  # not at a line start (log rotated): skip to next line
                fh.readline()
        data = fh.read(size - fh.tell())
        end = fh.tell()
        complete = data.rfind(b"\n") + 1
        new_cursor = end - (len(data) - complete)
        events = []
        for raw in data[:complete].splitlines():
            try:
                obj = json.loads(raw)
            except (json.JSONDecodeError, UnicodeDecodeError):
                continue
            if isinstance(obj, dict):
                events.append(obj)
        return events, new_cursor

    def recent(self, limit: int = 20) -> list[dict[str, Any]]:
        events, _ = self.events_since(None)
        return events[-limit:]
