"""Where to sync: the redis url, credentials and the stream of this repository.

The url, stream and maxlen come from the one project config reader
(:mod:`memory_store.config`: user config, the repository's ``[sync]`` once allowed, then
``TEAMLORE_REDIS_URL`` / ``TEAMLORE_SYNC_STREAM``). Credentials come only from the user:
``TEAMLORE_REDIS_USERNAME``, ``TEAMLORE_REDIS_PASSWORD`` or a url given by the user; a
committed url holding a password is refused, and credentials never reach a memory file.
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote, urlsplit, urlunsplit

from memory_store.config import DEFAULT_MAXLEN, load_project_config
from memory_store.workspace import Workspace

URL_ENV = "TEAMLORE_REDIS_URL"
USERNAME_ENV = "TEAMLORE_REDIS_USERNAME"
PASSWORD_ENV = "TEAMLORE_REDIS_PASSWORD"
STREAM_ENV = "TEAMLORE_SYNC_STREAM"
STREAM_PREFIX = "teamlore:"


class SyncConfigError(ValueError):
    """The sync settings are present but unusable (message names the field)."""


@dataclass(frozen=True)
class SyncConfig:
    """Resolved sync settings. ``url`` never carries the password (see :attr:`password`)."""

    url: str
    stream: str
    username: str | None = None
    password: str | None = None
    maxlen: int = DEFAULT_MAXLEN

    def display_url(self) -> str:
        """The url with credentials masked, for status output and error messages."""
        return mask_url(self.url, self.username, bool(self.password))

    def client_kwargs(self) -> dict[str, Any]:
        kwargs: dict[str, Any] = {}
        if self.username:
            kwargs["username"] = self.username
        if self.password:
            kwargs["password"] = self.password
        return kwargs


def mask_url(url: str, username: str | None = None, has_password: bool = False) -> str:
    parts = urlsplit(url)
    host = parts.hostname or ""
    port: int | str | None
    try:
        port = parts.port
    except ValueError:  # shown as it was given; only the credentials are masked
        port = parts.netloc.rpartition("@")[2].rpartition(":")[2] or None
    if port:
        host = f"{host}:{port}"
    user = username or (unquote(parts.username) if parts.username else "")
    cred = ""
    if user or has_password:
        cred = f"{quote(user, safe='')}{':***' if has_password else ''}@"
    return urlunsplit((parts.scheme, cred + host, parts.path, parts.query, ""))


def _split_credentials(url: str) -> tuple[str, str | None, str | None]:
    """(url without credentials, username, password) for a redis:// or rediss:// url."""
    parts = urlsplit(url)
    if parts.scheme not in ("redis", "rediss", "unix"):
        raise SyncConfigError(f"redis url must start with redis://, rediss:// or unix://, got {parts.scheme or url!r}")
    username = unquote(parts.username) if parts.username else None
    password = unquote(parts.password) if parts.password is not None else None
    netloc = parts.hostname or ""
    if netloc and ":" in netloc:
        netloc = f"[{netloc}]"
    try:
        port = parts.port
    except ValueError:
        raise SyncConfigError(f"redis url has an invalid port: {mask_url(url)}") from None
    if port:
        netloc = f"{netloc}:{port}"
    clean = urlunsplit((parts.scheme, netloc, parts.path, parts.query, ""))
    return clean, username or None, password or None


def load_config(workspace: Workspace, url: str | None = None) -> SyncConfig | None:
    """The sync settings of ``workspace``, or None when no redis url is in effect.

    ``url`` (e.g. from the editor settings) takes the place of the configured url. The
    url and stream come from :func:`memory_store.config.load_project_config`, so a url
    committed to the repository counts only once the user allowed it (``teamlore allow``).
    """
    settings = load_project_config(workspace).sync
    chosen = url or settings.redis_url
    if not chosen:
        return None
    clean, username, password = _split_credentials(chosen)
    username = os.environ.get(USERNAME_ENV) or username
    password = os.environ.get(PASSWORD_ENV) or password
    return SyncConfig(url=clean, stream=settings.stream or default_stream(workspace), username=username,
                      password=password, maxlen=settings.maxlen)


def is_configured(workspace: Workspace) -> bool:
    """Cheap check used on every record write: is a redis url in effect at all?"""
    return bool(load_project_config(workspace).sync.redis_url)


_SCP_LIKE = re.compile(r"^(?:[^@/]+@)?([^:/]+):(.+)$")


def normalize_remote(remote: str) -> str:
    """``git@host:org/repo.git`` and ``https://user:tok@host/org/repo`` -> ``host/org/repo``."""
    remote = remote.strip()
    if "://" in remote:
        parts = urlsplit(remote)
        host, path = parts.hostname or "", parts.path
    elif m := _SCP_LIKE.match(remote):
        host, path = m.group(1), m.group(2)
    else:
        host, path = "", remote
    path = path.strip("/")
    if path.endswith(".git"):
        path = path[:-4]
    return f"{host.lower()}/{path}".strip("/")


def default_stream(workspace: Workspace) -> str:
    """One stream per repository: from the ``origin`` remote, else the workspace name."""
    try:
        out = subprocess.run(["git", "config", "--get", "remote.origin.url"], cwd=workspace.root,
                             capture_output=True, text=True, timeout=5, check=False)
        remote = out.stdout.strip() if out.returncode == 0 else ""
    except (OSError, subprocess.SubprocessError):
        remote = ""
    if remote:
        return f"{STREAM_PREFIX}{normalize_remote(remote)}"
    return f"{STREAM_PREFIX}workspace:{workspace.root.name}"
