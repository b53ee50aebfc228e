"""What the team said about a shown fix: "Not this fix" and "This fixed it".

Each verdict is a record of its own, ``.teamlore/feedback/<id>.json`` (schema
``teamlore.feedback/1``), committed and synced like a bug record. One file per verdict, so
teammates giving feedback at the same time never overwrite each other. A verdict names the
bug record it is about and the *pattern* of the error it was shown for
(:func:`error_pattern`): the exception type, error code and message template, plus the
innermost in-app frame (module file and function). The same error met again, from another
checkout or launcher, has the same pattern.

- ``rejected``: that record is never offered again for that pattern (it still is for other
  errors). A later ``confirmed`` for the same pair lifts the block.
- ``confirmed``: the record fixed it; confirmations are counted per record and shown
  ("fixed it 4 times"), and exposed on matches (:class:`RatedMatch`) for confidence.

Feedback arrives from clones and sync like any record: every field is checked on read
(:func:`validate_feedback`, naming file and field), a verdict can affect one (pattern,
record) pair only, and nothing of its text is ever shown unescaped.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import re
import threading
import time
from collections import Counter
from collections.abc import Container, Iterable
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Literal, cast

from memory_store.authorship import MAX_AUTHOR_CHARS, author_name
from memory_store.bugs.match import Match
from memory_store.bugs.records import BugStore
from memory_store.clock import now_iso
from memory_store.errors import ParsedError, fingerprint, message_template, parse_error
from memory_store.errors.normalize import frame_key
from memory_store.jsonio import FileProblem, MemoryFileError
from memory_store.record_types import FeedbackRecord
from memory_store.recordfiles import RecordDir, content_id
from memory_store.redact import redact
from memory_store.redact.paths import private_paths_rewritten
from memory_store.workspace import UnsafePathError, Workspace, check_id

log = logging.getLogger(__name__)

KIND = "feedback"
VERSION = 1
DIRNAME = "feedback"

Verdict = Literal["rejected", "confirmed"]
VERDICTS: tuple[Verdict, ...] = ("rejected", "confirmed")

MAX_MESSAGE_CHARS = 2_000
MAX_FRAMES_KEPT = 20
MAX_SOURCE_CHARS = 40
_PATTERN = re.compile(r"^[0-9a-f]{16,64}$")
_STAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?Z$")


class EmptyErrorText(ValueError):
    """The error text holds nothing that looks like an error."""


class UnknownRecord(LookupError):
    """No bug record with that id: feedback is only given on a record that exists."""

    def __str__(self) -> str:
        return f"no bug record with id {self.args[0]!r}"


# --- the pattern ------------------------------------------------------------------------

def error_pattern(parsed: ParsedError) -> str:
    """Stable key of an error's kind *and* place: type, code and message template (the
    error's :func:`~memory_store.errors.fingerprint`) plus the innermost in-app frame as
    ``module-file:function``. Line numbers, checkout folders, machines and launcher frames
    do not change it; the same message raised in another function does."""
    frame = parsed.innermost_app_frame()
    where = (frame_key(frame) or "") if frame is not None else ""
    key = f"{fingerprint(parsed)}|{where}"
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:24]


def _parse(workspace: Workspace, error: str | ParsedError) -> ParsedError:
    if isinstance(error, ParsedError):
        return error
    parsed = parse_error(error, workspace.root, redact_secrets=False)
    if parsed is None:
        raise EmptyErrorText("the error text is empty")
    return parsed


# --- the records ------------------------------------------------------------------------

def _bad(path: Path, reason: str) -> MemoryFileError:
    return MemoryFileError(FileProblem(path, reason))


def validate_feedback(path: Path, rec: dict[str, Any]) -> None:
    """Field-level checks on top of the shared envelope (raises MemoryFileError naming the field)."""
    if rec.get("verdict") not in VERDICTS:
        raise _bad(path, f"field 'verdict' must be one of {', '.join(VERDICTS)}")
    record = rec.get("record")
    if not isinstance(record, str):
        raise _bad(path, "field 'record' must be a bug record id")
    try:
        check_id(record)
    except UnsafePathError:
        raise _bad(path, "field 'record' is not a valid record id") from None
    pattern = rec.get("pattern")
    if not isinstance(pattern, str) or not _PATTERN.match(pattern):
        raise _bad(path, "field 'pattern' must be a lower-case hex key (16 to 64 digits)")
    created = rec.get("created")
    if not isinstance(created, str) or not _STAMP.match(created):
        raise _bad(path, "field 'created' must be a UTC time like 2026-01-31T12:00:00Z")
    author = rec.get("author")
    if author is not None and (not isinstance(author, str) or len(author) > MAX_AUTHOR_CHARS):
        raise _bad(path, f"field 'author' must be a string of at most {MAX_AUTHOR_CHARS} characters")
    source = rec.get("source")
    if source is not None and (not isinstance(source, str) or len(source) > MAX_SOURCE_CHARS):
        raise _bad(path, f"field 'source' must be a string of at most {MAX_SOURCE_CHARS} characters")
    error = rec.get("error")
    if error is not None:
        if not isinstance(error, dict):
            raise _bad(path, "field 'error' must be an object")
        if not isinstance(error.get("type", ""), str) or not isinstance(error.get("message", ""), str):
            raise _bad(path, "field 'error.type'/'error.message' must be strings")
        if len(error.get("message", "")) > MAX_MESSAGE_CHARS:
            raise _bad(path, f"field 'error.message' is longer than {MAX_MESSAGE_CHARS} characters")
        frames = error.get("frames", [])
        if not isinstance(frames, list) or len(frames) > MAX_FRAMES_KEPT \
                or not all(isinstance(f, dict) for f in frames):
            raise _bad(path, f"field 'error.frames' must be a list of at most {MAX_FRAMES_KEPT} objects")


class FeedbackStore:
    """Reads and writes the feedback records of one workspace."""

    def __init__(self, workspace: Workspace):
        self.workspace = workspace
        self.files = RecordDir(workspace.store / DIRNAME, KIND, VERSION, lock_dir=workspace.cache / "locks",
                               workspace=workspace)

    def build(self, verdict: Verdict, record_id: str, error: str | ParsedError, *, author: str | None = None,
              source: str = "cli") -> FeedbackRecord:
        """A new verdict (not yet written) on bug record ``record_id`` for ``error``."""
        if verdict not in VERDICTS:
            raise ValueError(f"verdict must be one of {', '.join(VERDICTS)}, got {verdict!r}")
        check_id(record_id)
        parsed = _parse(self.workspace, error)
        pattern = error_pattern(parsed)
        root = self.workspace.root
        message = private_paths_rewritten(redact(parsed.message), root)[:MAX_MESSAGE_CHARS]
        frames = [f.to_json() for f in parsed.frames if f.kind == "app"][-MAX_FRAMES_KEPT:]
        for frame in frames:
            frame["path"] = private_paths_rewritten(str(frame.get("path") or ""), root)
        who = author_name(author, root)
        created = now_iso()
        rec: FeedbackRecord = {
            "id": content_id("fb", verdict, record_id, pattern, who, created),
            "verdict": verdict,
            "record": record_id,
            "pattern": pattern,
            "error": {"type": redact(parsed.exc_type)[:200], "message": message, "frames": frames,
                      "template": message_template(parsed.exc_type, redact(parsed.message))[:MAX_MESSAGE_CHARS]},
            "author": who,
            "source": source[:MAX_SOURCE_CHARS],
            "created": created,
        }
        return rec

    def save(self, rec: FeedbackRecord) -> tuple[FeedbackRecord, bool]:
        """Write ``rec`` unless it exists (ids are content-derived); (stored record, created)."""
        self.workspace.ensure_store()
        path = self.files.path_for(rec["id"])
        validate_feedback(path, dict(rec))
        with self.files.locked():
            if self.files.exists(rec["id"]):
                return cast(FeedbackRecord, self.files.read(rec["id"])), False
            self.files.write(rec)
        return rec, True

    def add(self, verdict: Verdict, record_id: str, error: str | ParsedError, **kwargs: Any
            ) -> tuple[FeedbackRecord, bool]:
        return self.save(self.build(verdict, record_id, error, **kwargs))

    def load(self) -> tuple[dict[str, FeedbackRecord], list[FileProblem]]:
        result = self.files.load_all(validate_feedback)
        return cast(dict[str, FeedbackRecord], result.records), result.problems


def give_feedback(workspace: Workspace, verdict: Verdict, record_id: str, error: str, *,
                  author: str | None = None, source: str = "cli",
                  known: Container[str] | None = None) -> tuple[FeedbackRecord, bool]:
    """Record ``verdict`` on bug record ``record_id`` for ``error``: the one entry point of the
    CLI, MCP and editor commands. Raises :class:`UnknownRecord` for an id with no record
    (``known``: the ids already loaded, else the record file is looked for) and
    :class:`EmptyErrorText` for text holding no error."""
    check_id(record_id)
    exists = known is not None and record_id in known
    if not exists:
        exists = BugStore(workspace).files.exists(record_id)
    if not exists:
        raise UnknownRecord(record_id)
    return FeedbackStore(workspace).add(verdict, record_id, error, author=author, source=source)


# --- feedback applied to matches --------------------------------------------------------

@dataclass
class RatedMatch(Match):
    """A match with what the team said about its record: ``confirmations`` ("This fixed it",
    for any error) and ``rejections`` ("Not this fix", for other errors: a record rejected for
    this error is not returned at all)."""

    confirmations: int = 0
    rejections: int = 0

    @classmethod
    def of(cls, match: Match, confirmations: int, rejections: int) -> RatedMatch:
        values = {f.name: getattr(match, f.name) for f in fields(match)}
        values.update(confirmations=confirmations, rejections=rejections)
        return cls(**values)

    def to_json(self) -> dict[str, Any]:
        out = super().to_json()
        out["confirmations"] = self.confirmations
        out["rejections"] = self.rejections
        return out


def counts_text(confirmations: int, rejections: int) -> str:
    """``fixed it 4 times · not this fix: 1`` (empty when nobody said anything)."""
    parts = []
    if confirmations:
        parts.append(f"fixed it {confirmations} time{'s' if confirmations != 1 else ''}")
    if rejections:
        parts.append(f"not this fix: {rejections}")
    return " · ".join(parts)


class FeedbackMemory:
    """The loaded verdicts of one workspace: which (pattern, record) pairs are blocked and the
    counts per record. Thread-safe; follows ``.teamlore/feedback/`` like the bug memory does."""

    SETTLED_NS = 2_000_000_000

    def __init__(self, workspace: Workspace):
        self.store = FeedbackStore(workspace)
        self.records: dict[str, FeedbackRecord] = {}
        self.problems: dict[Path, FileProblem] = {}
        self._blocked: dict[str, set[str]] = {}
        self._confirmations: Counter[str] = Counter()
        self._rejections: Counter[str] = Counter()
        self._lock = threading.RLock()
        self._dir_key: tuple[int, int] | None = None
        self._files: dict[str, tuple[int, int]] = {}

    @property
    def directory(self) -> Path:
        return self.store.files.directory

    def is_feedback_file(self, path: Path) -> bool:
        return path.parent == self.directory and path.suffix == ".json" and not path.name.startswith(".")

    def load(self) -> list[FileProblem]:
        records, problems = self.store.load()
        with self._lock:
            self.records = dict(records)
            self.problems = {p.path: p for p in problems}
            self._files = self._listing()
            self._rebuild()
        return problems

    def apply_one(self, path: Path) -> bool:
        """Re-read one feedback file (added, changed or deleted); returns whether anything changed."""
        rec: dict[str, Any] | None = None
        problem: FileProblem | None = None
        if path.exists():
            try:
                rec = self.store.files.read_path(path)
                validate_feedback(path, rec)
            except MemoryFileError as exc:
                problem, rec = exc.problem, None
        with self._lock:
            if problem is not None:
                if self.problems.get(path) != problem:
                    log.warning("skipped unreadable memory file %s", problem)
                self.problems[path] = problem
            else:
                self.problems.pop(path, None)
            old = self.records.get(path.stem)
            if (rec is None and old is None) or (rec is not None and rec == old):
                return False
            if rec is None:
                del self.records[path.stem]
            else:
                self.records[path.stem] = cast(FeedbackRecord, rec)
            self._rebuild()
            return True

    def refresh_paths(self, paths: Iterable[Path]) -> bool:
        """Re-read the changed paths a watcher reported; the directory itself: everything."""
        paths = set(paths)
        if self.directory in paths:
            with self._lock:
                before = dict(self.records)
                self.load()
                return self.records != before
        changed = False
        for path in sorted(paths):
            if self.is_feedback_file(path):
                changed |= self.apply_one(path)
        return changed

    def refresh(self) -> bool:
        """Follow the directory by timestamps (as :meth:`LiveBugMemory.refresh` does)."""
        with self._lock:
            key = self._dir_signature()
            if key is not None and key == self._dir_key:
                return False
            seen = self._listing()
            changed = False
            for name in (self._files.keys() | seen.keys()):
                if self._files.get(name) != seen.get(name):
                    changed |= self.apply_one(self.directory / name)
            self._files, self._dir_key = seen, key
            return changed

    def _dir_signature(self) -> tuple[int, int] | None:
        try:
            st = self.directory.stat()
        except FileNotFoundError:
            return (0, 0)
        return (st.st_mtime_ns, st.st_ino) if time.time_ns() - st.st_mtime_ns >= self.SETTLED_NS else None

    def _listing(self) -> dict[str, tuple[int, int]]:
        seen: dict[str, tuple[int, int]] = {}
        try:
            with os.scandir(self.directory) as entries:
                for entry in entries:
                    if entry.name.endswith(".json") and not entry.name.startswith("."):
                        try:
                            st = entry.stat()
                        except OSError:
                            continue
                        settled = time.time_ns() - st.st_mtime_ns >= self.SETTLED_NS
                        seen[entry.name] = (st.st_mtime_ns if settled else -1, st.st_size)
        except (FileNotFoundError, NotADirectoryError):
            pass
        return seen

    def _rebuild(self) -> None:
        """Blocked pairs (the latest verdict on a pair wins; a reject wins a tie) and counts."""
        latest: dict[tuple[str, str], tuple[str, int, str]] = {}
        confirmations: Counter[str] = Counter()
        rejections: Counter[str] = Counter()
        for rec in self.records.values():
            record_id, verdict = rec["record"], rec["verdict"]
            (confirmations if verdict == "confirmed" else rejections)[record_id] += 1
            for pattern in self._patterns(rec):
                stamp = (rec.get("created") or "", 1 if verdict == "rejected" else 0, rec["id"])
                pair = (pattern, record_id)
                if pair not in latest or stamp > latest[pair]:
                    latest[pair] = stamp
        blocked: dict[str, set[str]] = {}
        for (pattern, record_id), (_, rejected, _) in latest.items():
            if rejected:
                blocked.setdefault(pattern, set()).add(record_id)
        self._blocked, self._confirmations, self._rejections = blocked, confirmations, rejections

    @staticmethod
    def _patterns(rec: FeedbackRecord) -> set[str]:
        """The stored pattern, plus the pattern of the stored error as computed today (the
        same unless the error's normalization changed since the verdict was given)."""
        out = {rec["pattern"]}
        error = rec.get("error")
        if isinstance(error, dict) and error.get("type"):
            with contextlib.suppress(ValueError, TypeError):
                out.add(error_pattern(ParsedError.from_json(dict(error))))
        return out

    # -- answering -------------------------------------------------------------------------
    def blocked_for(self, parsed: ParsedError) -> frozenset[str]:
        """Record ids rejected for ``parsed``'s pattern."""
        with self._lock:
            if not self._blocked:
                return frozenset()
            return frozenset(self._blocked.get(error_pattern(parsed), ()))

    def counts(self, record_id: str) -> tuple[int, int]:
        """(confirmations, rejections) of one bug record."""
        with self._lock:
            return self._confirmations[record_id], self._rejections[record_id]

    def rate(self, matches: Iterable[Match], blocked: frozenset[str], limit: int) -> list[Match]:
        """``matches`` without the blocked records, each carrying its counts, at most ``limit``."""
        out: list[Match] = []
        for match in matches:
            record_id = str(match.record.get("id"))
            if record_id in blocked:
                continue
            out.append(RatedMatch.of(match, *self.counts(record_id)))
            if len(out) >= limit:
                break
        return out


def apply_synced(workspace: Workspace, record: dict[str, Any]) -> bool:
    """Write a verdict that arrived from a teammate (sync); True when a new file was written.
    Checked exactly as a read checks it; raises MemoryFileError naming the field otherwise."""
    store = FeedbackStore(workspace)
    path = store.files.path_for(record["id"])
    store.files.validate(path, record)
    validate_feedback(path, record)
    _, created = store.save(cast(FeedbackRecord, record))
    return created
