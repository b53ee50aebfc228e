"""``teamlore run -- CMD ARGS...``: run a command transparently and capture its errors.

The command's stdout and stderr are passed through to the terminal as they arrive,
stdin is inherited and the exit code is the command's own (128+N when a signal N ended
it). A copy of the output is kept in a bounded buffer (its start and its last few MB),
from which errors are extracted into the inbox (:class:`memory_store.inbox.Inbox`).
"""

from __future__ import annotations

import argparse
import os
import shlex
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from typing import IO, Any

from memory_store.duration import plural
from memory_store.inbox import Inbox
from memory_store.workspace import ROOT_ENV, STORE_DIRNAME
from server.cli.common import CliError, Context, examples

HEAD_BYTES = 256 * 1024
TAIL_BYTES = 1536 * 1024
READ_CHUNK = 64 * 1024
DRAIN_SECONDS = 2.0


class BoundedOutput:
    """The first ``head`` and the last ``tail`` bytes of a stream, thread-safe."""

    def __init__(self, head: int = HEAD_BYTES, tail: int = TAIL_BYTES):
        self._head_limit = head
        self._tail_limit = tail
        self._head = bytearray()
        self._tail: deque[bytes] = deque()
        self._tail_size = 0
        self.total = 0
        self._lock = threading.Lock()

    def add(self, chunk: bytes) -> None:
        with self._lock:
            self.total += len(chunk)
            room = self._head_limit - len(self._head)
            if room > 0:
                self._head += chunk[:room]
                chunk = chunk[room:]
            if not chunk:
                return
            self._tail.append(chunk)
            self._tail_size += len(chunk)
            while self._tail_size - len(self._tail[0]) >= self._tail_limit:
                self._tail_size -= len(self._tail.popleft())

    def text(self) -> str:
        with self._lock:
            tail = b"".join(self._tail)
            if len(tail) > self._tail_limit:
                tail = tail[-self._tail_limit:]
            omitted = self.total - len(self._head) - len(tail)
            parts = [bytes(self._head)]
            if omitted > 0:
                parts.append(f"\n[... {omitted} bytes omitted ...]\n".encode())
                newline = tail.find(b"\n")  # resume at a line start
                if 0 <= newline < 4096:
                    tail = tail[newline + 1:]
            parts.append(tail)
        return b"".join(parts).decode("utf-8", errors="replace")


def _pump(source: IO[bytes], sink: Any, buffer: BoundedOutput) -> None:
    fd = source.fileno()
    while True:
        try:
            chunk = os.read(fd, READ_CHUNK)
        except OSError:
            break
        if not chunk:
            break
        try:
            sink.write(chunk)
            sink.flush()
        except (BrokenPipeError, ValueError, OSError):
            pass  # the terminal went away; keep draining so the command is not blocked
        buffer.add(chunk)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("run", help="run a command transparently and capture its errors for teamlore",
                       description="Run CMD with its output passed through unchanged; errors in the output "
                                   "are recorded in .teamlore/.inbox/ (and feed fix capture). Outside a git "
                                   "repository or a directory with .teamlore/, choose the workspace with --root "
                                   "or TEAMLORE_ROOT: nothing is created in the current directory unasked.",
                       epilog=examples("teamlore run -- pytest -x tests/", "teamlore run --notify -- python app.py",
                                       "teamlore run --root ~/src/shop -- make test"))
    p.add_argument("--notify", action="store_true",
                   help="after the command, print what teamlore captured on stderr "
                        "(default: only when stderr is a terminal)")
    p.add_argument("--quiet", action="store_true", help="never print teamlore notes")
    p.add_argument("cmd", nargs=argparse.REMAINDER, metavar="-- CMD ARGS...",
                   help="the command to run and its arguments (after --)")
    p.set_defaults(func=run)


def execute(cmd: list[str]) -> tuple[int, str, float, float]:
    """Run ``cmd`` with pass-through output; return (exit code, captured output, start, end)."""
    env = dict(os.environ)
    env.setdefault("PYTHONUNBUFFERED", "1")  # stream Python output as it happens, not at exit
    buffer = BoundedOutput()
    started = time.time()
    try:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, bufsize=0)
    except FileNotFoundError:
        raise CliError(f"command not found: {cmd[0]}") from None
    except PermissionError:
        raise CliError(f"command not executable: {cmd[0]}") from None
    assert proc.stdout is not None and proc.stderr is not None
    threads = [threading.Thread(target=_pump, args=(proc.stdout, sys.stdout.buffer, buffer), daemon=True),
               threading.Thread(target=_pump, args=(proc.stderr, sys.stderr.buffer, buffer), daemon=True)]
    for t in threads:
        t.start()
    # Ctrl-C reaches the command through the terminal's process group; we wait for it.
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    forward = signal.signal(signal.SIGTERM, lambda signum, frame: proc.send_signal(signum))
    try:
        rc = proc.wait()
        # A background grandchild may keep the pipes open: drain for a moment, then go on.
        deadline = time.monotonic() + DRAIN_SECONDS
        for t in threads:
            t.join(max(0.0, deadline - time.monotonic()))
    finally:
        signal.signal(signal.SIGINT, previous)
        signal.signal(signal.SIGTERM, forward)
    ended = time.time()
    if rc < 0:
        rc = 128 - rc
    return rc, buffer.text(), started, ended


def run(ctx: Context) -> int:
    cmd = list(ctx.args.cmd)
    if cmd and cmd[0] == "--":
        cmd = cmd[1:]
    if not cmd:
        raise CliError("run: no command given (usage: teamlore run -- CMD ARGS...)")
    _require_workspace(ctx)
    try:
        rc, output, started, ended = execute(cmd)
    except CliError as exc:
        print(f"teamlore: error: {exc}", file=sys.stderr)
        return 127 if "not found" in str(exc) else 126
    try:
        event = Inbox(ctx.workspace).record_run(shlex.join(cmd), os.getcwd(), rc, output, started, ended,
                                                source="teamlore-run")
    except Exception as exc:  # never change the command's outcome because recording failed
        print(f"teamlore: could not record this run: {exc}", file=sys.stderr)
        return rc
    if not ctx.args.quiet and (ctx.args.notify or sys.stderr.isatty()):
        _notes(ctx, event)
    return rc


def _require_workspace(ctx: Context) -> None:
    """Refuse to record into a directory nobody chose: the workspace must come from --root,
    TEAMLORE_ROOT, a git repository or an existing .teamlore/ (else the current directory
    would silently get a .teamlore/ of its own)."""
    root = ctx.workspace.root
    if ctx.args.root or os.environ.get(ROOT_ENV) or (root / ".git").exists() or (root / STORE_DIRNAME).is_dir():
        return
    raise CliError(f"no workspace: {root} is not in a git repository and has no {STORE_DIRNAME}/ "
                   f"(choose one with --root DIR or {ROOT_ENV}=DIR, or run `git init && teamlore init` here)")


def _notes(ctx: Context, event: dict[str, Any]) -> None:
    lines = []
    for err in event["errors"][:3]:
        where = f" ({err['file']}:{err['line']})" if err.get("file") else ""
        lines.append(f"teamlore: captured {err['headline']}{where}")
    if len(event["errors"]) > 3:
        lines.append(f"teamlore: ... and {plural(len(event['errors']) - 3, 'more error')}")
    if event["proposals"]:
        n = len(event["proposals"])
        lines.append(f"teamlore: {plural(n, 'error')} went away; {plural(n, 'fix proposal is', 'fix proposals are')} "
                     "waiting: teamlore bugs pending")
    for line in lines:
        print(line, file=sys.stderr)
