"""The user's consent to a repository's committed settings, kept outside every repository.

A committed setting that would make teamlore connect somewhere, run a program or touch
files outside the repository (see ``GATED`` in :mod:`memory_store.config`) takes effect
only once the user has allowed that repository's values, as with direnv's ``allow``. The
consent is recorded in the user's own config directory, keyed by the repository's root
and a hash of exactly those values, so any later change to them asks again.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from memory_store.clock import now_iso
from memory_store.jsonio import PRIVATE_MODE, MemoryFileError, atomic_write_json, file_lock, read_json

CONFIG_HOME_ENV = "TEAMLORE_CONFIG_HOME"
ALLOWED_NAME = "allowed.json"
SCHEMA = "teamlore.allowed/1"


def user_config_dir() -> Path:
    """``$TEAMLORE_CONFIG_HOME``, else ``$XDG_CONFIG_HOME/teamlore``, else ``~/.config/teamlore``."""
    explicit = os.environ.get(CONFIG_HOME_ENV)
    if explicit:
        return Path(explicit).expanduser()
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base).expanduser() / "teamlore"


def digest(values: Mapping[str, Any]) -> str:
    """Hash of the gated committed values (``{"sync.redis_url": ..., ...}``)."""
    canonical = json.dumps(dict(values), sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _repo_key(root: Path) -> str:
    return str(root.resolve())


def _path() -> Path:
    return user_config_dir() / ALLOWED_NAME


def _read() -> dict[str, Any]:
    path = _path()
    if not os.path.lexists(path):
        return {}
    data = read_json(path)
    repos = data.get("repositories") if isinstance(data, dict) else None
    return repos if isinstance(repos, dict) else {}


def allowed_digest(root: Path) -> str | None:
    """The digest of the values the user allowed for this repository, if any."""
    try:
        entry = _read().get(_repo_key(root))
    except MemoryFileError:
        return None  # an unreadable consent file allows nothing
    return entry.get("digest") if isinstance(entry, dict) and isinstance(entry.get("digest"), str) else None


def is_allowed(root: Path, values: Mapping[str, Any]) -> bool:
    return bool(values) and allowed_digest(root) == digest(values)


def _update(change: Any) -> None:
    path = _path()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    with file_lock(path.parent / ".allowed.lock"):
        repos = _read()
        change(repos)
        atomic_write_json(path, {"schema": SCHEMA, "repositories": repos}, PRIVATE_MODE)


def allow(root: Path, values: Mapping[str, Any]) -> str:
    """Record consent to exactly ``values`` for the repository at ``root``; returns the digest."""
    value_digest = digest(values)

    def change(repos: dict[str, Any]) -> None:
        repos[_repo_key(root)] = {"digest": value_digest, "values": dict(values),
                                  "allowed_at": now_iso()}

    _update(change)
    return value_digest


def revoke(root: Path) -> bool:
    """Forget the consent for this repository; True when there was one."""
    found = False

    def change(repos: dict[str, Any]) -> None:
        nonlocal found
        found = repos.pop(_repo_key(root), None) is not None

    _update(change)
    return found
