"""A per-user secret that tells this user's own cache files from anyone else's.

Cache files live in ``.teamlore/.cache/`` inside the repository, so a clone may carry a
well-formed cache written by someone else (a contributor, a hostile repository) that claims
records the record files do not hold. Each cache file is sealed with an HMAC under a key kept
outside every repository (``$XDG_CACHE_HOME/teamlore/cache-key``, else
``~/.cache/teamlore/cache-key``; 32 random bytes, mode 0600, created on first use): a file
whose seal does not verify was not written by this user's teamlore and is not used. Losing
the key only costs speed (every cache is rebuilt).
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import logging
import os
import secrets
import stat
import tempfile
from pathlib import Path

log = logging.getLogger(__name__)

KEY_BYTES = 32
MAC_BYTES = hashlib.sha256().digest_size


def key_path() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "teamlore" / "cache-key"


def user_key() -> bytes | None:
    """The user's cache key, created on first use; None when it cannot be read or made
    private to this user (then no cache is trusted or written)."""
    path = key_path()
    try:
        return _read_key(path)
    except FileNotFoundError:
        pass
    except OSError as exc:
        log.info("cache key %s not usable: %s", path, exc)
        return None
    try:
        return _create_key(path)
    except OSError as exc:
        log.info("cannot create cache key %s: %s", path, exc)
        return None


def _read_key(path: Path) -> bytes:
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
                 | getattr(os, "O_CLOEXEC", 0))
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size != KEY_BYTES:
            raise OSError("not a key file")
        if hasattr(os, "getuid") and (info.st_uid != os.getuid() or info.st_mode & 0o077):
            raise OSError("not private to this user")
        key = os.read(fd, KEY_BYTES + 1)
    finally:
        os.close(fd)
    if len(key) != KEY_BYTES:
        raise OSError("not a key file")
    return key


def _create_key(path: Path) -> bytes:
    """Written to a private temp file, then linked into place: a concurrent first use sees
    either no key or a whole one, and the first link wins."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".cache-key.", dir=path.parent)  # mode 0600
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(secrets.token_bytes(KEY_BYTES))
        with contextlib.suppress(FileExistsError):
            os.link(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
    return _read_key(path)


def seal(key: bytes, context: bytes, body: bytes) -> bytes:
    """``body`` prefixed with its MAC. ``context`` (what the file is and where it lives) is
    authenticated too, so a sealed file copied elsewhere does not verify."""
    return _mac(key, context, body) + body


def unseal(key: bytes, context: bytes, blob: bytes) -> memoryview | None:
    """The body of a file made by :func:`seal` with the same key and context (a view into
    ``blob``, not a copy), else None."""
    mac, body = blob[:MAC_BYTES], memoryview(blob)[MAC_BYTES:]
    if len(mac) != MAC_BYTES or not hmac.compare_digest(mac, _mac(key, context, body)):
        return None
    return body


def _mac(key: bytes, context: bytes, body: bytes | memoryview) -> bytes:
    digest = hmac.new(key, len(context).to_bytes(4, "big") + context, hashlib.sha256)
    digest.update(body)
    return digest.digest()
