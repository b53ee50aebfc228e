"""Hostile repositories for the "safe on any clone" tests.

Every attack starts the way a victim meets it: somebody commits files (records, settings,
caches, symlinks, source files) to a repository, and the victim runs ``git clone`` and
then teamlore in the clone. :func:`hostile_clone` builds exactly that; :func:`user_env`
gives each test its own user-level config directory (where consent is recorded), and
:class:`FakeRedis` is a loopback listener that records whether any connection, and any
credential, arrives.
"""

from __future__ import annotations

import hashlib
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

GIT_ENV = {"GIT_AUTHOR_NAME": "Mallory", "GIT_AUTHOR_EMAIL": "m@example.com",
           "GIT_COMMITTER_NAME": "Mallory", "GIT_COMMITTER_EMAIL": "m@example.com",
           "GIT_CONFIG_NOSYSTEM": "1"}


@dataclass(frozen=True)
class Symlink:
    """A committed symbolic link (git stores its target as text)."""

    target: str


def _git(cwd: Path, *args: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(GIT_ENV)
    subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, timeout=60)


def hostile_clone(tmp_path: Path, files: Mapping[str, str | bytes | Symlink], name: str = "victim") -> Path:
    """Commit ``files`` (path -> content or :class:`Symlink`) to a fresh repository and
    return a real ``git clone`` of it, as a victim would have it."""
    origin = tmp_path / f"{name}-origin"
    origin.mkdir(parents=True)
    _git(origin, "init", "-q", "-b", "main")
    for rel, content in files.items():
        path = origin / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, Symlink):
            os.symlink(content.target, path)
        elif isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    (origin / "README").write_text("hello\n")
    _git(origin, "add", "-A", "-f")
    _git(origin, "commit", "-q", "-m", "innocent change")
    clone = tmp_path / name
    _git(tmp_path, "clone", "-q", str(origin), str(clone))
    return clone.resolve()


def tree_digest(directory: Path) -> dict[str, str]:
    """Every entry under ``directory`` (symlinks not followed) with its content hash or link
    target: equal before and after proves that nothing there was written, added or removed."""
    out: dict[str, str] = {}
    for path in sorted(directory.rglob("*")):
        rel = path.relative_to(directory).as_posix()
        if path.is_symlink():
            out[rel] = "-> " + os.readlink(path)
        elif path.is_file():
            out[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
        else:
            out[rel] = f"dir {sorted(os.listdir(path))}"
    return out


def user_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """The environment of a victim whose user-level settings live under ``tmp_path``."""
    home = tmp_path / "home"
    (home / ".config").mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TEAMLORE_", "GIT_"))}
    env.update({"HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config"),
                "XDG_STATE_HOME": str(home / ".state"), "XDG_CACHE_HOME": str(home / ".cache")})
    env.update(extra)
    return env


def run_teamlore(*args: str, cwd: Path, env: Mapping[str, str], stdin: str | None = None,
                 timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """The real ``teamlore`` command (``python -m server``) run in ``cwd``."""
    return subprocess.run([sys.executable, "-I", "-m", "server", *args], cwd=cwd, env=dict(env), input=stdin,
                          capture_output=True, text=True, timeout=timeout, check=False)


@dataclass
class FakeRedis:
    """A TCP listener on loopback that answers nothing useful and remembers what it got.

    ``connections`` counts accepted connections; ``received`` holds every byte sent to it
    (a RESP ``AUTH``/``HELLO`` carries the password in clear), so a test can assert that
    no connection was made and no credential left the machine.
    """

    port: int = 0
    connections: int = 0
    received: bytearray = field(default_factory=bytearray)
    _sock: socket.socket | None = None
    _thread: threading.Thread | None = None
    _stop: threading.Event = field(default_factory=threading.Event)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> FakeRedis:
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        sock.settimeout(0.1)
        self._sock, self.port = sock, sock.getsockname()[1]
        self._thread = threading.Thread(target=self._serve, daemon=True, name="fake-redis")
        self._thread.start()
        return self

    def _serve(self) -> None:
        assert self._sock is not None
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except (TimeoutError, OSError):
                continue
            self.connections += 1
            threading.Thread(target=self._read, args=(conn,), daemon=True).start()

    def _read(self, conn: socket.socket) -> None:
        conn.settimeout(0.5)
        with conn:
            for _ in range(40):  # bounded: at most ~20 s per connection
                try:
                    data = conn.recv(65536)
                except TimeoutError:
                    if self._stop.is_set():
                        return
                    continue
                except OSError:
                    return
                if not data:
                    return
                self.received.extend(data)
                conn.sendall(b"-ERR fake server\r\n")

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(2)
        if self._sock is not None:
            self._sock.close()
