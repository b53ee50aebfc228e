"""Where to sync: the redis url, credentials and the stream of this repository.

Sources, later wins: ``[sync]`` in ``.teamlore/config.toml`` (``redis_url``, ``stream``,
``maxlen``), then the environment (``TEAMLORE_REDIS_URL``, ``TEAMLORE_REDIS_USERNAME``,
``TEAMLORE_REDIS_PASSWORD``, ``TEAMLORE_SYNC_STREAM``). ``config.toml`` is committed with
the memory, so a url holding a password is refused there: credentials come from the
environment (or a url given in the environment) and never reach a memory file.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit, urlunsplit

from memory_store.workspace import Workspace

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

URL_ENV = "TEAMLORE_REDIS_URL"
USERNAME_ENV = "TEAMLORE_REDIS_USERNAME"
PASSWORD_ENV = "TEAMLORE_REDIS_PASSWORD"
STREAM_ENV = "TEAMLORE_SYNC_STREAM"
DEFAULT_MAXLEN = 100_000
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
    if parts.port:
        host = f"{host}:{parts.port}"
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


def config_path(workspace: Workspace) -> Path:
    return workspace.store / "config.toml"


def read_sync_table(workspace: Workspace) -> dict[str, Any]:
    """The ``[sync]`` table of ``config.toml`` ({} when absent)."""
    path = config_path(workspace)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise SyncConfigError(f"{path}: cannot read: {exc.strerror}") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise SyncConfigError(f"{path}: {exc}") from None
    table = data.get("sync", {})
    if not isinstance(table, dict):
        raise SyncConfigError(f"{path}: [sync] must be a table")
    return table


def load_config(workspace: Workspace, url: str | None = None) -> SyncConfig | None:
    """The sync settings of ``workspace``, or None when no redis url is configured.

    ``url`` (e.g. from the editor settings) takes the place of the configured url.
    """
    table = read_sync_table(workspace)
    file_url = table.get("redis_url")
    if file_url is not None and not isinstance(file_url, str):
        raise SyncConfigError(f"{config_path(workspace)}: [sync] redis_url must be a string")
    if file_url and urlsplit(file_url).password:
        raise SyncConfigError(
            f"{config_path(workspace)}: [sync] redis_url holds a password; config.toml is shared "
            f"with the repository, so set {PASSWORD_ENV} (or {URL_ENV}) in the environment instead")
    chosen = url or os.environ.get(URL_ENV) or file_url
    if not chosen:
        return None
    clean, username, password = _split_credentials(chosen)
    username = os.environ.get(USERNAME_ENV) or username
    password = os.environ.get(PASSWORD_ENV) or password
    stream = os.environ.get(STREAM_ENV) or table.get("stream")
    if stream is not None and (not isinstance(stream, str) or not stream.strip()):
        raise SyncConfigError(f"{config_path(workspace)}: [sync] stream must be a non-empty string")
    maxlen = table.get("maxlen", DEFAULT_MAXLEN)
    if not isinstance(maxlen, int) or isinstance(maxlen, bool) or maxlen < 1:
        raise SyncConfigError(f"{config_path(workspace)}: [sync] maxlen must be a whole number >= 1")
    return SyncConfig(url=clean, stream=stream or default_stream(workspace), username=username,
                      password=password, maxlen=maxlen)


def is_configured(workspace: Workspace) -> bool:
    """Cheap check used on every record write: is a redis url set at all?"""
    if os.environ.get(URL_ENV):
        return True
    try:
        return bool(read_sync_table(workspace).get("redis_url"))
    except SyncConfigError:
        return True  # misconfigured: queue anyway, the sender reports the problem


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
