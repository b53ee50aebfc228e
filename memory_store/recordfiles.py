"""A directory of one-JSON-file-per-record, shared by every kind of memory.

Each file is ``<id>.json`` and carries ``"schema": "teamlore.<kind>/<version>"``.
Ids are content-derived, so the same record arriving twice (git merge, sync) is the
same file. Unknown fields are kept because records are handled as plain dicts and
read-modify-write updates go through :meth:`RecordDir.update` under a lock. Every write
is announced through :mod:`memory_store.events` (sync and live indexes listen there).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from memory_store import confine, events
from memory_store.jsonio import FileProblem, MemoryFileError, atomic_write_json, file_lock, read_json
from memory_store.workspace import ConfinementError, Workspace, check_id


def content_id(prefix: str, *parts: Any) -> str:
    """Stable id from the identifying fields of a record."""
    payload = json.dumps(parts, sort_keys=True, ensure_ascii=False, default=str)
    return f"{prefix}-{hashlib.sha256(payload.encode('utf-8')).hexdigest()[:16]}"


@dataclass
class LoadResult:
    records: dict[str, dict[str, Any]] = field(default_factory=dict)
    problems: list[FileProblem] = field(default_factory=list)


class RecordDir:
    """One kind of record stored under one directory."""

    def __init__(self, directory: Path, kind: str, version: int, lock_dir: Path | None = None,
                 workspace: Workspace | None = None):
        self.directory = directory
        self.kind = kind
        self.version = version
        self.schema = f"teamlore.{kind}/{version}"
        self._lock_dir = lock_dir
        self.workspace = workspace
        """The workspace the records belong to, passed on in write events (None for scratch directories)."""

    def path_for(self, record_id: str) -> Path:
        return self.directory / f"{check_id(record_id)}.json"

    def validate(self, path: Path, obj: Any) -> dict[str, Any]:
        """Check the envelope every record shares; raise MemoryFileError otherwise."""

        def bad(reason: str) -> MemoryFileError:
            return MemoryFileError(FileProblem(path, reason))

        if not isinstance(obj, dict):
            raise bad(f"expected a JSON object, found {type(obj).__name__}")
        schema = obj.get("schema")
        if not isinstance(schema, str):
            raise bad("missing field 'schema'")
        prefix = f"teamlore.{self.kind}/"
        if not schema.startswith(prefix):
            raise bad(f"field 'schema' is {schema!r}, expected {self.schema!r}")
        try:
            version = int(schema[len(prefix):])
        except ValueError:
            raise bad(f"field 'schema' has no version number: {schema!r}") from None
        if version > self.version:
            raise bad(f"schema version {version} is newer than this teamlore understands ({self.version})")
        if obj.get("id") != path.stem:
            raise bad(f"field 'id' ({obj.get('id')!r}) does not match the file name")
        return obj

    def read(self, record_id: str) -> dict[str, Any]:
        path = self.path_for(record_id)
        return self.validate(path, read_json(path, confine_to=self.directory))

    def read_path(self, path: Path) -> dict[str, Any]:
        return self.validate(path, read_json(path, confine_to=self.directory))

    def paths(self) -> Iterator[Path]:
        """The record files, by name; raises ConfinementError when the directory (or one
        above it inside ``.teamlore/``) is a symlink: someone else's records are not loaded."""
        if not confine.check_dir(self.directory):
            return
        names = sorted(n for n in os.listdir(self.directory) if n.endswith(".json") and not n.startswith("."))
        for name in names:
            yield self.directory / name

    def load_all(self, validate: Callable[[Path, dict[str, Any]], None] | None = None) -> LoadResult:
        """Every readable record; every unreadable file as a problem (never touched)."""
        result = LoadResult()
        try:
            paths = list(self.paths())
        except ConfinementError as exc:
            result.problems.append(FileProblem(exc.path, f"{exc.reason}; its records are not loaded"))
            return result
        for path in paths:
            try:
                rec = self.read_path(path)
                if validate is not None:
                    validate(path, rec)
            except MemoryFileError as exc:
                result.problems.append(exc.problem)
                continue
            result.records[rec["id"]] = rec
        return result

    def write(self, record: Mapping[str, Any]) -> Path:
        """Write a whole record atomically (sets ``schema``) and announce it."""
        rec = dict(record)
        rec["schema"] = self.schema
        path = self.path_for(rec["id"])
        atomic_write_json(path, rec)
        events.emit(events.RecordWritten(self.kind, rec, path, events.current_origin(), self.workspace))
        return path

    def exists(self, record_id: str) -> bool:
        return self.path_for(record_id).exists()

    def delete(self, record_id: str) -> bool:
        return confine.unlink(self.path_for(record_id))

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Inter-process lock for read-modify-write of records in this directory."""
        lock_dir = self._lock_dir or self.directory
        with file_lock(lock_dir / f".{self.kind}.lock"):
            yield

    def update(self, record_id: str, change: Callable[[dict[str, Any]], dict[str, Any]]) -> dict[str, Any]:
        """Read, change and rewrite one record under the lock; unknown fields survive.

        Refuses (raises MemoryFileError) when the existing file cannot be parsed.
        """
        with self.locked():
            current = self.read(record_id)
            new = change(dict(current))
            self.write(new)
            return new
