"""Bug records on disk: ``.teamlore/bugs/<id>.json`` (schema ``teamlore.bug/1``).

A record holds the parsed, redacted error, its fingerprint and template, the fix and
how it came about. The id is derived from the error fingerprint and the fix text, so
the same fix for the same error recorded twice is one file.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, cast

from memory_store.authorship import author_name
from memory_store.authorship import default_author as default_author  # the CLI asks records for it
from memory_store.clock import now_iso
from memory_store.errors import fingerprint, message_template, parse_error
from memory_store.jsonio import FileProblem, MemoryFileError
from memory_store.record_types import BugError, BugRecord
from memory_store.recordfiles import LoadResult, RecordDir, content_id
from memory_store.redact import redact
from memory_store.redact.paths import private_paths_rewritten
from memory_store.workspace import Workspace

KIND = "bug"
VERSION = 1

_STR_FIELDS = ("fix", "root_cause", "author")


class EmptyErrorText(ValueError):
    """The error text holds nothing that looks like an error."""


def validate_bug(path: Path, rec: dict[str, Any]) -> None:
    """Field-level checks on top of the shared envelope."""
    error = rec.get("error")
    if not isinstance(error, dict):
        raise MemoryFileError(FileProblem(path, "field 'error' must be an object"))
    if not isinstance(error.get("type"), str) or not isinstance(error.get("message", ""), str):
        raise MemoryFileError(FileProblem(path, "field 'error.type'/'error.message' must be strings"))
    for name in _STR_FIELDS:
        if name in rec and rec[name] is not None and not isinstance(rec[name], str):
            raise MemoryFileError(FileProblem(path, f"field '{name}' must be a string"))
    minutes = rec.get("minutes")
    if minutes is not None and (not isinstance(minutes, (int, float)) or isinstance(minutes, bool)):
        raise MemoryFileError(FileProblem(path, "field 'minutes' must be a number"))
    if minutes is not None and not math.isfinite(minutes):
        raise MemoryFileError(FileProblem(path, "field 'minutes' must be a finite number (strict JSON)"))


PATH_TEXT_FIELDS = ("traceback", "message", "detail")
"""Fields of a stored error whose text may quote paths (besides ``chain`` and the frames)."""


def private_error(error: dict[str, Any], root: Path) -> dict[str, Any]:
    """``error`` (as ``ParsedError.to_json`` writes it) with private paths taken out of its
    text: the raw traceback, message, detail and chain (see :mod:`memory_store.redact.paths`;
    the rewritten text parses to the same frames and template)."""
    out = dict(error)
    for name in PATH_TEXT_FIELDS:
        if isinstance(out.get(name), str):
            out[name] = private_paths_rewritten(out[name], root)
    if isinstance(out.get("chain"), list):
        out["chain"] = [private_paths_rewritten(c, root) if isinstance(c, str) else c for c in out["chain"]]
    if isinstance(out.get("frames"), list):
        out["frames"] = [{**f, "path": private_paths_rewritten(f["path"], root)}
                         if isinstance(f, dict) and isinstance(f.get("path"), str) else f for f in out["frames"]]
    location = out.get("location")
    if isinstance(location, dict) and isinstance(location.get("path"), str):
        out["location"] = {**location, "path": private_paths_rewritten(location["path"], root)}
    return out


class BugStore:
    """Reads and writes bug records of one workspace."""

    def __init__(self, workspace: Workspace):
        self.workspace = workspace
        self.files = RecordDir(workspace.store / "bugs", KIND, VERSION, lock_dir=workspace.cache / "locks",
                               workspace=workspace)

    def build(
        self,
        error_text: str,
        fix: str,
        *,
        root_cause: str = "",
        file: str | None = None,
        minutes: float | None = None,
        author: str | None = None,
        source: str = "cli",
        extra: dict[str, Any] | None = None,
    ) -> BugRecord:
        """A new record (not yet written): redacted, parsed, paths made relative."""
        if minutes is not None and not math.isfinite(minutes):
            raise ValueError(f"minutes must be a finite number, got {minutes}")
        parsed = parse_error(error_text, self.workspace.root)
        if parsed is None:
            raise EmptyErrorText("the error text is empty")
        rel_file = self.workspace.relative(file) if file else None
        if rel_file is None and (frame := parsed.innermost_app_frame()) is not None:
            rel_file = frame.path or None
        root = self.workspace.root
        fix = private_paths_rewritten(redact(fix.strip()), root)
        fp = fingerprint(parsed)
        error = cast(BugError, private_error(parsed.to_json(), root))  # the shape ParsedError.to_json writes
        error["template"] = message_template(parsed.exc_type, parsed.message)
        now = now_iso()
        rec: BugRecord = {
            "id": content_id("bug", fp, " ".join(fix.lower().split())),
            "error": error,
            "fingerprint": fp,
            "fix": fix,
            "root_cause": private_paths_rewritten(redact(root_cause.strip()), root),
            "file": rel_file,
            "minutes": minutes,
            "author": author_name(author, self.workspace.root),
            "source": source,
            "status": "resolved" if fix else "open",
            "created": now,
            "updated": now,
            "occurrences": 1,
            "tags": [],
        }
        if extra:
            rec.update(extra)  # type: ignore[typeddict-item]  # a caller's own fields are kept as they are
        return rec

    def save(self, rec: BugRecord) -> tuple[BugRecord, bool]:
        """Write ``rec`` unless a record with its id exists; returns (stored record, created)."""
        self.workspace.ensure_store()
        with self.files.locked():
            if self.files.exists(rec["id"]):
                try:
                    return cast(BugRecord, self.files.read(rec["id"])), False
                except MemoryFileError:
                    raise
            self.files.write(rec)
        return rec, True

    def add(self, error_text: str, fix: str, **kwargs: Any) -> tuple[BugRecord, bool]:
        return self.save(self.build(error_text, fix, **kwargs))

    def get(self, record_id: str) -> BugRecord:
        rec = self.files.read(record_id)
        validate_bug(self.files.path_for(record_id), rec)
        return cast(BugRecord, rec)

    def load(self) -> LoadResult:
        return self.files.load_all(validate_bug)


def summary(rec: dict[str, Any]) -> dict[str, Any]:
    """The short form of a record used by ``bugs list --json`` and the MCP bug-list resource."""
    error = rec.get("error") or {}
    return {"id": rec["id"], "error_type": error.get("type"), "message": error.get("message"),
            "fix": rec.get("fix"), "root_cause": rec.get("root_cause"), "file": rec.get("file"),
            "minutes": rec.get("minutes"), "author": rec.get("author"), "status": rec.get("status"),
            "source": rec.get("source"), "created": rec.get("created")}
