"""``teamlore sync status|push|pull|run``: live sharing of new records over Redis Streams."""

from __future__ import annotations

import argparse
import threading
import time
from typing import Any

from memory_store.duration import plural
from server.cli.common import CliError, Context, add_json_flag, examples, non_negative_float


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("sync", help="share new records with teammates over Redis (optional)",
                       epilog=examples("teamlore sync status", "TEAMLORE_REDIS_URL=redis://localhost:6379/0 "
                                                               "teamlore sync run"))
    verbs = p.add_subparsers(dest="sync_command", metavar="COMMAND", required=True, parser_class=type(p))

    s = verbs.add_parser("status", help="connection, lag behind the stream, outbox size",
                         epilog=examples("teamlore sync status", "teamlore sync status --json"))
    add_json_flag(s)
    s.set_defaults(func=run_status)

    push = verbs.add_parser("push", help="send the waiting outbox once",
                            epilog=examples("teamlore sync push", "teamlore sync push --all --json"))
    push.add_argument("--all", action="store_true", help="first queue every readable local record")
    add_json_flag(push)
    push.set_defaults(func=run_push)

    pull = verbs.add_parser("pull", help="write records published since the last pull, once",
                            epilog=examples("teamlore sync pull", "teamlore sync pull --json"))
    add_json_flag(pull)
    pull.set_defaults(func=run_pull)

    follow = verbs.add_parser("run", help="keep syncing until interrupted",
                              epilog=examples("teamlore sync run", "teamlore sync run --seconds 60"))
    follow.add_argument("--seconds", type=non_negative_float, default=None, metavar="N",
                        help="stop after this many seconds (default: run until Ctrl-C)")
    follow.set_defaults(func=run_follow)


def _config(ctx: Context) -> Any:
    from memory_store.sync.stream import SyncUnavailable, require_config

    try:
        return require_config(ctx.workspace)
    except SyncUnavailable as exc:
        raise CliError(str(exc)) from None


def run_status(ctx: Context) -> int:
    from memory_store.sync.status import sync_status

    report = sync_status(ctx.workspace)
    if ctx.json:
        ctx.emit_json(report)
    elif not report["configured"] and not report["error"]:
        waiting = f"; {plural(report['outbox'], 'record')} waiting in the outbox" if report["outbox"] else ""
        ctx.out.print(f"sync is not configured (set TEAMLORE_REDIS_URL, or [sync] redis_url in "
                      f".teamlore/config.toml){waiting}")
    else:
        state = "not configured" if not report["configured"] else (
            "connected" if report["connected"] else "disconnected")
        rows = [("state", state), ("redis", report["url"]), ("stream", report["stream"]),
                ("outbox (waiting to send)", report["outbox"]), ("last applied id", report["last_id"]),
                ("stream length", report["stream_length"]), ("lag (entries not applied here)", report["lag"]),
                ("trimmed before read here", _yes_no(report["trimmed_unread"])),
                ("server version", report["server_version"])]
        ctx.table("sync", ["", "value"], [(k, v) for k, v in rows if v is not None])
        if report["error"]:
            ctx.err.print(f"teamlore: {report['error']}")
    failed = (report["configured"] and not report["connected"]) or report["error"]
    return 1 if failed else 0


def _yes_no(value: bool | None) -> str | None:
    return None if value is None else ("yes" if value else "no")


def _queue_all(ctx: Context) -> int:
    from memory_store.sync.outbox import Outbox, local_records

    outbox = Outbox(ctx.workspace)
    events = list(local_records(ctx.workspace))
    for event in ctx.progress(events, "queueing records"):
        outbox.put(event)
    return len(events)


def run_push(ctx: Context) -> int:
    from memory_store.sync.stream import Publisher, SyncUnavailable, open_client

    config = _config(ctx)
    queued = _queue_all(ctx) if ctx.args.all else 0
    try:
        client = open_client(ctx.workspace, config)
        try:
            result = Publisher(ctx.workspace, config, client).drain()
        finally:
            client.close()
    except SyncUnavailable as exc:
        raise CliError(f"{exc} (events stay in the outbox)") from None
    if ctx.json:
        ctx.emit_json({"queued": queued, "sent": result.sent, "duplicates": result.duplicates,
                       "remaining": result.remaining, "stream": config.stream})
    else:
        ctx.out.print(f"sent {plural(result.sent, 'event')} to {config.stream}"
                      + (f" ({result.duplicates} already there)" if result.duplicates else ""))
    return 0


def run_pull(ctx: Context) -> int:
    from memory_store.sync.stream import Consumer, SyncUnavailable, open_client

    config = _config(ctx)
    try:
        client = open_client(ctx.workspace, config)
        try:
            result = Consumer(ctx.workspace, config, client).pull()
        finally:
            client.close()
    except SyncUnavailable as exc:
        raise CliError(str(exc)) from None
    if ctx.json:
        ctx.emit_json({"written": result.written, "existing": result.existing, "rejected": result.rejected,
                       "missed": result.missed, "last_id": result.last_id, "stream": config.stream})
    else:
        ctx.out.print(f"{plural(result.written, 'new record')} written, {result.existing} already present"
                      + (f", {len(result.rejected)} rejected" if result.rejected else ""))
        for line in result.rejected:
            ctx.err.print(f"rejected {line}")
        if result.missed:
            ctx.err.print("teamlore: the stream was trimmed past the last pull; records published meanwhile "
                          "arrive only through git")
    return 0


def run_follow(ctx: Context) -> int:
    from memory_store.sync.events import Event
    from memory_store.sync.stream import Follower

    config = _config(ctx)

    def show(event: Event, written: bool) -> None:
        if written:
            ctx.out.print(f"received {event.kind} {event.record_id}")

    follower = Follower(ctx.workspace, on_record=show).run_in_thread()
    ctx.err.print(f"syncing {ctx.workspace.store} with {config.display_url()} stream {config.stream} "
                  "(Ctrl-C to stop)")
    deadline = None if ctx.args.seconds is None else time.monotonic() + ctx.args.seconds
    stop = threading.Event()
    try:
        while deadline is None or time.monotonic() < deadline:
            stop.wait(0.2 if deadline is None else max(0.0, min(0.2, deadline - time.monotonic())))
    except KeyboardInterrupt:
        pass
    finally:
        follower.stop()
    return 0
