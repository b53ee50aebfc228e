"""Publishing the outbox to the repository's stream and consuming it into local files.

* :class:`Publisher` sends outbox events with XADD (``MAXLEN ~``). A small Lua script
  records each event id under a short-lived key first, so an event re-sent after a lost
  reply is not added twice.
* :class:`Consumer` reads the stream with XREAD from the last id it applied (kept in
  ``.teamlore/.cache/sync/last_id``), so a consumer that was offline catches up.
* :class:`Follower` does both in a loop, reconnecting with backoff; servers start it
  with :meth:`Follower.run_in_thread`.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from memory_store import confine
from memory_store.jsonio import MemoryFileError, atomic_write_text, file_lock, read_bounded
from memory_store.sync.apply import apply_event
from memory_store.sync.config import PASSWORD_ENV, SyncConfig, SyncConfigError, load_config
from memory_store.sync.events import BadEvent, Event, event_from_fields
from memory_store.sync.outbox import Outbox, local_records, sync_dir
from memory_store.sync.wakers import add_waker, remove_waker
from memory_store.workspace import Workspace

log = logging.getLogger(__name__)

PUBLISH_POLL_SECONDS = 1.0
"""A follower also looks at the outbox this often (entries queued by other processes)."""

SENT_TTL_SECONDS = 30 * 24 * 3600
"""How long an event id is remembered on the server to drop a second send."""

_PUBLISH_SCRIPT = """
if redis.call('SET', KEYS[2], '1', 'NX', 'EX', ARGV[2]) then
  return redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', unpack(ARGV, 3))
end
return false
"""


class SyncUnavailable(Exception):
    """Redis cannot be used right now; the message says why in one line."""


class SyncNotConfigured(SyncUnavailable):
    pass


def redis_module() -> Any:
    try:
        import redis
    except ImportError:
        raise SyncUnavailable("the redis client is not installed: pip install 'teamlore[redis]'") from None
    return redis


def describe_error(exc: BaseException, config: SyncConfig) -> str:
    """A one-line, credential-free explanation of a redis failure."""
    redis = redis_module()
    where = config.display_url()
    text = str(exc).split("\n")[0]
    if isinstance(exc, redis.exceptions.AuthenticationError) or any(
            word in text for word in ("WRONGPASS", "NOAUTH", "invalid password", "invalid username")):
        return (f"redis at {where} refused the credentials ({text}); check the ACL user and "
                f"{PASSWORD_ENV}")
    if isinstance(exc, redis.exceptions.NoPermissionError) or text.startswith("NOPERM"):
        return f"redis at {where}: the ACL user may not use the stream ({text})"
    if isinstance(exc, (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, OSError)):
        return f"cannot reach redis at {where}: {text}"
    return f"redis at {where}: {text}"


def connect(config: SyncConfig, *, timeout: float = 5.0, connect_timeout: float = 2.0) -> Any:
    """A client for ``config`` (lazy: nothing is sent until the first command)."""
    redis = redis_module()
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    # No silent reconnects: a lost connection surfaces, so the next session checks the epoch.
    return redis.Redis.from_url(config.url, socket_timeout=timeout, socket_connect_timeout=connect_timeout,
                                retry=Retry(NoBackoff(), 0), **config.client_kwargs())


@contextlib.contextmanager
def translated_errors(config: SyncConfig) -> Iterator[None]:
    redis = redis_module()
    try:
        yield
    except (redis.exceptions.RedisError, OSError) as exc:
        raise SyncUnavailable(describe_error(exc, config)) from None


def require_config(workspace: Workspace, url: str | None = None) -> SyncConfig:
    try:
        config = load_config(workspace, url)
    except SyncConfigError as exc:
        raise SyncUnavailable(str(exc)) from None
    if config is None:
        raise SyncNotConfigured("sync is not configured: set [sync] redis_url in .teamlore/config.toml "
                                "or TEAMLORE_REDIS_URL")
    return config


def _stream_id_key(stream_id: str) -> tuple[int, int]:
    ms, _, seq = stream_id.partition("-")
    return int(ms), int(seq or 0)


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


class LastId:
    """The id of the last stream entry applied locally; only ever moves forward."""

    def __init__(self, workspace: Workspace):
        self.path = sync_dir(workspace) / "last_id"

    def get(self) -> str | None:
        try:
            value = read_bounded(self.path, 256).decode("utf-8").strip()
            _stream_id_key(value)
        except (OSError, ValueError, MemoryFileError):
            return None
        return value or None

    def reset(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            confine.unlink(self.path)

    def advance(self, stream_id: str) -> None:
        with file_lock(self.path.parent / ".last_id.lock"):
            current = self.get()
            if current is None or _stream_id_key(stream_id) > _stream_id_key(current):
                atomic_write_text(self.path, stream_id + "\n")


def check_epoch(workspace: Workspace, config: SyncConfig, client: Any) -> bool:
    """Detect a server that lost the stream (restart without persistence, flush, new server).

    The stream has an epoch key set once by the first client. When it differs from the
    one this workspace saw last, every local record is queued again and the consumer
    starts over from the beginning: the files are the source of truth, content-derived
    event ids keep the re-publish free of duplicates. Returns True when that happened.
    """
    key = f"{config.stream}:epoch"
    with translated_errors(config):
        client.set(key, uuid.uuid4().hex, nx=True)
        current = _text(client.get(key))
    path = sync_dir(workspace) / "epoch"
    try:
        seen: str | None = path.read_text(encoding="utf-8").strip()
    except OSError:
        seen = None
    if seen == current:
        return False
    reset = seen is not None
    if reset:
        log.warning("sync: %s lost stream %s since the last connection; re-publishing local records",
                    config.display_url(), config.stream)
        outbox = Outbox(workspace)
        for event in local_records(workspace):
            outbox.put(event)
        LastId(workspace).reset()
    atomic_write_text(path, current + "\n")
    return reset


def open_client(workspace: Workspace, config: SyncConfig, *, timeout: float = 5.0,
                connect_timeout: float = 2.0) -> Any:
    """A connected client whose epoch has been checked; raises :class:`SyncUnavailable`."""
    client = connect(config, timeout=timeout, connect_timeout=connect_timeout)
    try:
        with translated_errors(config):
            client.ping()
        check_epoch(workspace, config, client)
    except BaseException:
        client.close()
        raise
    return client


@dataclass
class DrainResult:
    sent: int = 0
    duplicates: int = 0
    remaining: int = 0


@dataclass
class PullResult:
    written: int = 0
    existing: int = 0
    rejected: list[str] = field(default_factory=list)
    last_id: str | None = None
    missed: bool = False
    """Entries were trimmed from the stream before this workspace read them."""


class Publisher:
    def __init__(self, workspace: Workspace, config: SyncConfig, client: Any = None):
        self.workspace = workspace
        self.config = config
        self.client = client if client is not None else connect(config)
        self.outbox = Outbox(workspace)

    def send(self, event: Event) -> str | None:
        """Add ``event`` to the stream; the new stream id, or None when it was already sent."""
        fields = event.to_fields()
        args: list[Any] = [self.config.maxlen, SENT_TTL_SECONDS]
        for key, value in fields.items():
            args += [key, value]
        sent_key = f"{self.config.stream}:sent:{event.event_id}"
        with translated_errors(self.config):
            # plain EVAL (not EVALSHA + SCRIPT LOAD): fewer ACL permissions; the script is tiny
            result = self.client.eval(_PUBLISH_SCRIPT, 2, self.config.stream, sent_key, *args)
        return _text(result) if result else None

    def drain(self) -> DrainResult:
        """Send every waiting event, oldest first; stops (keeping the rest) when redis fails."""
        result = DrainResult()
        pending = list(self.outbox.pending())
        for i, item in enumerate(pending):
            try:
                stream_id = self.send(item.event)
            except SyncUnavailable:
                result.remaining = len(pending) - i
                raise
            if stream_id is None:
                result.duplicates += 1
            else:
                result.sent += 1
            self.outbox.done(item)
        return result


class Consumer:
    def __init__(self, workspace: Workspace, config: SyncConfig, client: Any = None):
        self.workspace = workspace
        self.config = config
        self.client = client if client is not None else connect(config)
        self.last_id = LastId(workspace)

    def trimmed_unread(self, last_id: str | None) -> bool:
        """True when entries after ``last_id`` may have been trimmed (MAXLEN) before being
        read here: everything up to ``last_id`` is gone and the stream lost entries."""
        if last_id is None:
            return False
        with translated_errors(self.config):
            try:
                info = self.client.xinfo_stream(self.config.stream)
            except redis_module().exceptions.ResponseError:  # no stream yet
                return False
        first, added = info.get("first-entry"), info.get("entries-added")  # entries-added: redis >= 7
        if not first or added is None or int(info.get("length", 0)) >= int(added):
            return False
        return _stream_id_key(_text(first[0])) > _stream_id_key(last_id)

    def pull(self, *, block_ms: int | None = None, count: int = 200, once: bool = False,
             on_record: Callable[[Event, bool], None] | None = None) -> PullResult:
        """Apply stream entries after the last applied id.

        Without ``once`` it reads until the stream is exhausted (catch-up); with
        ``block_ms`` the first read waits that long for new entries.
        """
        result = PullResult(last_id=self.last_id.get())
        if not once and self.trimmed_unread(result.last_id):
            result.missed = True
            log.warning("sync: %s was trimmed past the last entry read here; records published meanwhile "
                        "arrive only through git (raise [sync] maxlen)", self.config.stream)
        while True:
            start = result.last_id or "0-0"
            with translated_errors(self.config):
                reply = self.client.xread({self.config.stream: start}, count=count, block=block_ms)
            entries = reply[0][1] if reply else []
            for raw_id, fields in entries:
                stream_id = _text(raw_id)
                try:
                    event = event_from_fields(fields)
                    written = apply_event(self.workspace, event)
                except BadEvent as exc:
                    log.warning("sync: skipped stream entry %s: %s", stream_id, exc)
                    result.rejected.append(f"{stream_id}: {exc}")
                else:
                    if written:
                        result.written += 1
                    else:
                        result.existing += 1
                    if on_record is not None:
                        on_record(event, written)
                result.last_id = stream_id
            if entries:
                self.last_id.advance(result.last_id)  # type: ignore[arg-type]
            if once or len(entries) < count:
                return result
            block_ms = None


def flush_outbox(workspace: Workspace, *, connect_timeout: float = 2.0) -> DrainResult:
    """Send what the outbox holds (used by short-lived processes after a write)."""
    config = require_config(workspace)
    if not len(Outbox(workspace)):
        return DrainResult()
    client = open_client(workspace, config, timeout=connect_timeout * 2, connect_timeout=connect_timeout)
    try:
        return Publisher(workspace, config, client).drain()
    finally:
        client.close()


class Follower:
    """Keeps a workspace in sync: sends the outbox, applies new entries, reconnects.

    ``on_record(event, written)`` is called for each applied entry (from the follower's
    thread). ``status`` holds the last connection state for display.
    """

    def __init__(self, workspace: Workspace, url: str | None = None, *, block_ms: int = 500,
                 on_record: Callable[[Event, bool], None] | None = None,
                 max_backoff: float = 5.0):
        self.workspace = workspace
        self.url = url
        self.block_ms = block_ms
        self.on_record = on_record
        self.max_backoff = max_backoff
        self.connected = False
        self.error: str | None = None
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    def wake(self) -> None:
        self._wake.set()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def run_in_thread(self) -> Follower:
        self._thread = threading.Thread(target=self.run, name="teamlore-sync-follower", daemon=True)
        self._thread.start()
        return self

    def run(self) -> None:
        """Publish (woken by local writes) and consume (blocking reads) on two connections,
        so a new local record is sent at once even while a read is waiting."""
        add_waker(self.wake)
        publisher = threading.Thread(target=self._loop, args=(self._publish_session,), daemon=True,
                                     name="teamlore-sync-publisher")
        publisher.start()
        try:
            self._loop(self._consume_session)
        finally:
            remove_waker(self.wake)
            self._stop.set()
            self._wake.set()
            publisher.join(10)

    def _loop(self, session: Callable[[], None]) -> None:
        backoff = 0.2
        while not self._stop.is_set():
            try:
                session()
                backoff = 0.2
            except SyncUnavailable as exc:
                if self.error != str(exc):
                    log.warning("sync: %s (local memory keeps working; retrying)", exc)
                self.connected = False
                self.error = str(exc)
                self._stop.wait(backoff)
                backoff = min(backoff * 2, self.max_backoff)
            except Exception:  # never let the thread die silently
                log.exception("sync: unexpected error; retrying")
                self._stop.wait(self.max_backoff)

    def _publish_session(self) -> None:
        config = require_config(self.workspace, self.url)
        client = open_client(self.workspace, config)
        try:
            publisher = Publisher(self.workspace, config, client)
            while not self._stop.is_set():
                self._wake.clear()
                publisher.drain()
                self._wake.wait(PUBLISH_POLL_SECONDS)  # also picks up other processes' outbox entries
        finally:
            client.close()

    def _consume_session(self) -> None:
        config = require_config(self.workspace, self.url)
        client = open_client(self.workspace, config, timeout=max(5.0, self.block_ms / 1000 + 2))
        try:
            consumer = Consumer(self.workspace, config, client)
            if not self.connected:
                log.info("sync: connected to %s, stream %s", config.display_url(), config.stream)
            self.connected, self.error = True, None
            while not self._stop.is_set():
                consumer.pull(block_ms=self.block_ms, once=True, on_record=self.on_record)
        finally:
            client.close()
