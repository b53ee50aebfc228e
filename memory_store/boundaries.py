"""The memory directory's name, and the errors for paths that would cross the workspace's or
the memory directory's boundaries.

Kept apart from :mod:`memory_store.workspace` so that the layers below it (:mod:`memory_store.confine`,
:mod:`memory_store.jsonio`) raise the same errors without importing it.
"""

from __future__ import annotations

from pathlib import Path

STORE_DIRNAME = ".teamlore"


class UnsafePathError(ValueError):
    """A path or id that would leave the workspace or the memory directory."""


class ConfinementError(UnsafePathError):
    """A path inside ``.teamlore/`` that is a symlink, or not the kind of file expected there,
    so it is neither written nor read through."""

    def __init__(self, path: Path, reason: str):
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason
