"""A real redis-server per test, on a free loopback port, killed in teardown."""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis

from memory_store.config import allow_repository
from memory_store.jsonio import atomic_write_text
from memory_store.sync import hooks
from memory_store.workspace import Workspace

REDIS_SERVER = shutil.which("redis-server")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RedisServer:
    """One redis-server process; ``kill`` and ``start`` again keep the same port."""

    def __init__(self, workdir: Path, password: str | None = None, persistent: bool = False):
        self.port = free_port()
        self.password = password
        self.persistent = persistent
        self.workdir = workdir
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        assert REDIS_SERVER, "redis-server is not installed (bash .ci/test installs it)"
        cmd = [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
               "--daemonize", "no", "--dir", str(self.workdir)]
        # persistent: every write is in the append-only file before redis answers, so a
        # SIGKILL loses nothing (how a team server would run); otherwise a kill loses all.
        cmd += ["--appendonly", "yes", "--appendfsync", "always"] if self.persistent else ["--appendonly", "no"]
        if self.password:
            cmd += ["--requirepass", self.password]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"redis-server exited with {self.proc.returncode}")
            client = redis.Redis(port=self.port, password=self.password, socket_timeout=1)
            try:
                if client.ping():  # not before the append-only file is loaded
                    return
            except (redis.exceptions.ConnectionError, redis.exceptions.BusyLoadingError):
                time.sleep(0.02)
            finally:
                client.close()
        raise RuntimeError("redis-server did not start")

    def kill(self) -> None:
        """SIGKILL: no shutdown, no save (everything in the stream is lost)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)
        self.proc = None


def _running(workdir: Path, **options: object) -> Iterator[RedisServer]:
    """Start a server in its own directory for one test; kill it in teardown."""
    workdir.mkdir()
    server = RedisServer(workdir, **options)
    server.start()
    try:
        yield server
    finally:
        server.kill()


@pytest.fixture(autouse=True)
def _sync_installed() -> Iterator[None]:
    """Record writes in these tests are published, as in a front end (which installs sync at start-up)."""
    hooks.install()
    yield
    hooks.uninstall()


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    yield from _running(tmp_path / "redis")


@pytest.fixture
def persistent_redis(tmp_path: Path) -> Iterator[RedisServer]:
    yield from _running(tmp_path / "redis-aof", persistent=True)


@pytest.fixture
def redis_with_password(tmp_path: Path) -> Iterator[RedisServer]:
    yield from _running(tmp_path / "redis-auth", password="s3cret-pass")


def make_workspace(tmp_path: Path, name: str, url: str | None = None, stream: str = "teamlore:test") -> Workspace:
    """A workspace whose config.toml names the stream (and the url, when given), allowed by
    its user as ``teamlore allow`` would (committed sync settings count only then)."""
    root = tmp_path / name
    root.mkdir()
    ws = Workspace(root.resolve())
    ws.ensure_store()
    lines = ["[sync]", f'stream = "{stream}"'] + ([f'redis_url = "{url}"'] if url else [])
    atomic_write_text(ws.store / "config.toml", "\n".join(lines) + "\n")
    allow_repository(ws)
    return ws


def wait_until(predicate: Callable[[], bool], timeout: float = 15.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")
