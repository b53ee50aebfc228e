"""``teamlore sync status``: configuration, connection, lag behind the stream, outbox size."""

from __future__ import annotations

from typing import Any

from memory_store.sync.config import SyncConfigError, load_config
from memory_store.sync.outbox import Outbox
from memory_store.sync.stream import (
    Consumer,
    LastId,
    SyncUnavailable,
    connect,
    redis_module,
    translated_errors,
)
from memory_store.workspace import Workspace

LAG_SCAN_LIMIT = 100_000
"""Lag is counted exactly up to this many entries (reported as at least this beyond)."""


def sync_status(workspace: Workspace, url: str | None = None, *, timeout: float = 2.0) -> dict[str, Any]:
    """A JSON-ready report; never raises for an unreachable or misconfigured redis.

    Keys: configured, url (credentials masked), stream, connected, error, outbox,
    last_id, stream_length, last_stream_id, lag (entries not yet applied here; null when
    unknown), trimmed_unread (entries after last_id were trimmed before being read here),
    server_version.
    """
    last_id = LastId(workspace).get()
    report: dict[str, Any] = {
        "configured": False, "url": None, "stream": None, "connected": False, "error": None,
        "outbox": len(Outbox(workspace)), "last_id": last_id, "stream_length": None,
        "last_stream_id": None, "lag": None, "trimmed_unread": None, "server_version": None,
    }
    try:
        config = load_config(workspace, url)
    except SyncConfigError as exc:
        report["error"] = str(exc)
        return report
    if config is None:
        return report
    report.update(configured=True, url=config.display_url(), stream=config.stream)
    try:
        client = connect(config, timeout=timeout, connect_timeout=timeout)
        try:
            with translated_errors(config):
                client.ping()
                report["connected"] = True
                try:  # INFO may be denied to a restricted ACL user
                    report["server_version"] = client.info("server").get("redis_version")
                except redis_module().exceptions.ResponseError:
                    pass
                length = int(client.xlen(config.stream))
                report["stream_length"] = length
                newest = client.xrevrange(config.stream, count=1)
                report["last_stream_id"] = newest[0][0].decode() if newest else None
                if last_id is None:
                    report["lag"] = length
                else:
                    after = client.xrange(config.stream, min=f"({last_id}", count=LAG_SCAN_LIMIT)
                    report["lag"] = len(after)
                report["trimmed_unread"] = Consumer(workspace, config, client).trimmed_unread(last_id)
        finally:
            client.close()
    except SyncUnavailable as exc:
        report["error"] = str(exc)
    return report
