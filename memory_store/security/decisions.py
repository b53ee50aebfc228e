"""Triage decisions and policies: ``.teamlore/security/decisions/<id>.json``.

Three record types share the directory (schema ``teamlore.security/1``, field ``type``):

- ``decision``: one finding, identified by its fingerprint and the parts it was made of
  (tool, rule, path, scope, statement hash, occurrence, hit). It suppresses that finding
  and nothing else.
- ``policy``: an explicit rule x path-glob suppression with a reason.
- ``legacy``: a decision imported from the seed tool whose hash cannot be recomputed;
  kept for review, never suppresses.

Each has a ``status``: ``confirmed`` (in force), ``proposed`` (written by an agent or an
import; waits for a person, never suppresses) or ``rejected``.
"""

from __future__ import annotations

import json
import os
import re
import threading
from collections.abc import Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from memory_store.authorship import author_name
from memory_store.clock import now_iso, parse_iso
from memory_store.jsonio import FileProblem, MemoryFileError, atomic_write_json, read_json
from memory_store.record_types import SecurityRecord
from memory_store.recordfiles import LoadResult, RecordDir, content_id
from memory_store.redact import redact
from memory_store.security.findings import Finding
from memory_store.security.history import Provenance
from memory_store.security.path_glob import GlobError, check_glob
from memory_store.workspace import UnsafePathError, Workspace, check_relative

KIND = "security"
VERSION = 1
DECISIONS = ("false_positive", "accepted_risk", "true_positive", "fixed")
SUPPRESSING = frozenset({"false_positive", "accepted_risk"})
TYPES = ("decision", "policy", "legacy")
STATUSES = ("confirmed", "proposed", "rejected", "needs_review")
MAX_TEXT = 500
_HEX_ID = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")


class DecisionError(ValueError):
    """Bad input for a decision (unknown decision kind, empty reason, bad date, unknown id)."""


def _problem(path: Path, reason: str) -> MemoryFileError:
    return MemoryFileError(FileProblem(path, reason))


def _require_str(path: Path, rec: dict[str, Any], name: str, allow_empty: bool = False) -> None:
    value = rec.get(name)
    if not isinstance(value, str) or (not allow_empty and not value.strip()):
        raise _problem(path, f"field '{name}' must be a non-empty string")


def validate_record(path: Path, rec: dict[str, Any]) -> None:
    """Field checks for every record type (used by load and by ``teamlore doctor``)."""
    rtype = rec.get("type")
    if rtype not in TYPES:
        raise _problem(path, f"field 'type' must be one of {', '.join(TYPES)}, found {rtype!r}")
    status = rec.get("status", "confirmed")
    if status not in STATUSES:
        raise _problem(path, f"field 'status' must be one of {', '.join(STATUSES)}, found {status!r}")
    _require_str(path, rec, "reason")
    if rtype == "legacy":
        return
    if rec.get("decision") not in DECISIONS:
        raise _problem(path, f"field 'decision' must be one of {', '.join(DECISIONS)}")
    expires = rec.get("expires")
    if expires is not None:
        if not isinstance(expires, str):
            raise _problem(path, "field 'expires' must be a date string or null")
        try:
            parse_iso(expires)
        except ValueError:
            raise _problem(path, f"field 'expires' is not a date: {expires!r}") from None
    if rtype == "decision":
        for name in ("fingerprint", "tool", "rule", "path", "statement_hash"):
            _require_str(path, rec, name)
        _require_str(path, rec, "scope", allow_empty=True)
        for name in ("occurrence", "hit", "line"):
            value = rec.get(name, 0)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise _problem(path, f"field '{name}' must be a whole number >= 0")
        try:
            check_relative(rec["path"])
        except UnsafePathError as exc:
            raise _problem(path, f"field 'path': {exc}") from None
        for name in ("commit", "blob"):  # optional: what the decision was made against
            value = rec.get(name)
            if value is not None and not (isinstance(value, str) and _HEX_ID.fullmatch(value)):
                raise _problem(path, f"field '{name}' must be a git object id (40 or 64 hex digits)")
    else:
        rules = rec.get("rules")
        if not isinstance(rules, list) or not rules or not all(isinstance(r, str) and r for r in rules):
            raise _problem(path, "field 'rules' must be a non-empty list of strings")
        _require_str(path, rec, "paths")
        if rec.get("tool") is not None and not isinstance(rec.get("tool"), str):
            raise _problem(path, "field 'tool' must be a string or null")
        try:
            check_glob(rec["paths"])
        except GlobError as exc:
            raise _problem(path, f"field 'paths' is not a valid glob: {exc}") from None


def check_decision(decision: str) -> str:
    value = decision.strip().lower().replace("-", "_")
    aliases = {"fp": "false_positive", "accepted": "accepted_risk", "accept": "accepted_risk",
               "tp": "true_positive"}
    value = aliases.get(value, value)
    if value not in DECISIONS:
        raise DecisionError(f"unknown decision {decision!r}; expected one of {', '.join(DECISIONS)}")
    return value


def check_reason(reason: str | None) -> str:
    text = redact((reason or "").strip())
    if not text:
        raise DecisionError("a reason is required")
    return text


def _checked_paths(paths: str) -> str:
    """A policy's path glob (``--paths``), stripped, or :class:`DecisionError`."""
    try:
        return check_glob(paths)
    except GlobError as exc:
        raise DecisionError(f"--paths: not a valid glob: {exc}") from None


def check_expires(expires: str | None) -> str | None:
    if expires is None or not str(expires).strip():
        return None
    try:
        parse_iso(str(expires))
    except ValueError:
        raise DecisionError(f"--expires: not a date (use YYYY-MM-DD or an ISO timestamp): {expires!r}") from None
    return str(expires).strip()


def is_expired(rec: dict[str, Any], now: datetime) -> bool:
    expires = rec.get("expires")
    if not expires:
        return False
    try:
        return parse_iso(expires) <= now
    except ValueError:
        return True


def _clip(text: str | None) -> str:
    text = redact(text or "")
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1] + "…"


def decision_from_finding(f: Finding, decision: str, reason: str, *, author: str, expires: str | None,
                          proposed: bool, source: str, provenance: Mapping[str, str] | None = None) -> SecurityRecord:
    """The record of one decision; ``provenance``: the ``commit`` and ``blob`` it was made
    against (see :mod:`memory_store.security.history`), when in git."""
    status = "proposed" if proposed else "confirmed"
    rid = content_id("sd", f.fingerprint, "proposed", author) if proposed else content_id("sd", f.fingerprint)
    now = now_iso()
    return {
        "id": rid, "type": "decision", "status": status,
        "fingerprint": f.fingerprint, "tool": f.tool, "rule": f.rule, "path": f.path,
        "scope": f.scope, "statement": _clip(f.statement), "statement_hash": f.statement_hash,
        "occurrence": f.occurrence, "hit": f.hit, "line": f.line, "message": _clip(f.message),
        "severity": f.severity, "decision": decision, "reason": reason, "author": author,
        "date": now, "expires": expires, "source": source, **(provenance or {}),  # type: ignore[typeddict-item]
    }


_LOAD_LOCK = threading.Lock()
_LOAD_CACHE: dict[str, tuple[tuple[int, int, int], dict[str, Any] | FileProblem]] = {}


class DecisionStore:
    """Reads and writes the security decisions of one workspace."""

    def __init__(self, workspace: Workspace):
        self.workspace = workspace
        self.files = RecordDir(workspace.store / "security" / "decisions", KIND, VERSION,
                               lock_dir=workspace.cache / "locks", workspace=workspace)

    def load(self) -> LoadResult:
        """Every readable record and every unreadable file (as a problem).

        Files unchanged since the last load (same mtime and size) are not parsed again:
        an editor asks for the status of findings on every diagnostics change.
        """
        result = LoadResult()
        seen: set[str] = set()
        try:
            entries = sorted((e for e in os.scandir(self.files.directory)
                              if e.name.endswith(".json") and not e.name.startswith(".")), key=lambda e: e.name)
        except (FileNotFoundError, NotADirectoryError):
            entries = []
        for entry in entries:
            key = entry.path
            seen.add(key)
            try:
                st = entry.stat()
            except OSError:
                continue
            stamp = (st.st_mtime_ns, st.st_size, st.st_ino)
            with _LOAD_LOCK:
                cached = _LOAD_CACHE.get(key)
            if cached is not None and cached[0] == stamp:
                outcome = cached[1]
            else:
                path = Path(entry.path)
                try:
                    rec = self.files.read_path(path)
                    validate_record(path, rec)
                    outcome = rec
                except MemoryFileError as exc:
                    outcome = exc.problem
                with _LOAD_LOCK:
                    _LOAD_CACHE[key] = (stamp, outcome)
            if isinstance(outcome, FileProblem):
                result.problems.append(outcome)
            else:
                result.records[outcome["id"]] = dict(outcome)
        prefix = str(self.files.directory)
        with _LOAD_LOCK:
            for key in [k for k in _LOAD_CACHE if k.startswith(prefix) and k not in seen]:
                del _LOAD_CACHE[key]
        return result

    def records(self) -> list[dict[str, Any]]:
        return list(self.load().records.values())

    def get(self, record_id: str) -> dict[str, Any]:
        try:
            rec = self.files.read(record_id)
        except MemoryFileError as exc:
            if not self.files.exists(record_id):
                raise DecisionError(f"no decision or policy with id {record_id!r}") from None
            raise exc
        validate_record(self.files.path_for(record_id), rec)
        return rec

    def _author(self, author: str | None) -> str:
        return author_name(author, self.workspace.root)

    def write(self, rec: Mapping[str, Any]) -> dict[str, Any]:
        """Write one record, keeping fields of an existing file it replaces."""
        self.workspace.ensure_store()
        with self.files.locked():
            merged = dict(rec)
            if self.files.exists(rec["id"]):
                old = self.files.read(rec["id"])  # refuses (raises) when unreadable: never clobber
                merged = {**old, **rec}
                if old.get("date") and old.get("date") != rec.get("date"):
                    merged["updated"] = rec.get("date")
                    merged["date"] = old["date"] if old.get("decision") == rec.get("decision") else rec["date"]
            self.files.write(merged)
        return merged

    def decide(self, findings: Iterable[Finding], decision: str, reason: str, *, author: str | None = None,
               expires: str | None = None, proposed: bool = False, source: str = "cli") -> list[dict[str, Any]]:
        decision = check_decision(decision)
        reason = check_reason(reason)
        expires = check_expires(expires)
        who = self._author(author)
        out = []
        made_against = Provenance(self.workspace.root)
        for f in findings:
            if not f.fingerprint:
                raise DecisionError(f"finding {f.tool} {f.rule} at {f.path}:{f.line} has no fingerprint")
            prov = made_against.of(f.path, blob=f.extra.get("text_blob"))
            out.append(self.write(decision_from_finding(f, decision, reason, author=who, expires=expires,
                                                        proposed=proposed, source=source, provenance=prov)))
        return out

    def add_policy(self, rules: list[str], paths: str, reason: str, *, decision: str = "false_positive",
                   tool: str | None = None, author: str | None = None, expires: str | None = None,
                   proposed: bool = False, source: str = "cli",
                   extra: dict[str, Any] | None = None) -> dict[str, Any]:
        rules = sorted({r.strip() for r in rules if r and r.strip()})
        if not rules:
            raise DecisionError("a policy needs at least one rule")
        if not paths or not paths.strip():
            raise DecisionError("a policy needs a path glob")
        paths = _checked_paths(paths)
        decision = check_decision(decision)
        if decision not in SUPPRESSING:
            raise DecisionError("a policy suppresses findings: use false_positive or accepted_risk")
        tool = tool.strip().lower() if tool else None
        rec: SecurityRecord = {
            "id": content_id("spol", rules, paths.strip(), tool), "type": "policy",
            "status": "proposed" if proposed else "confirmed", "rules": rules, "paths": paths.strip(),
            "tool": tool, "decision": decision, "reason": check_reason(reason),
            "author": self._author(author), "date": now_iso(), "expires": check_expires(expires),
            "source": source,
        }
        if extra:
            rec.update(extra)  # type: ignore[typeddict-item]  # a caller's own fields are kept as they are
        return self.write(rec)

    def proposals(self) -> list[dict[str, Any]]:
        return sorted((r for r in self.records() if r.get("status") in ("proposed", "needs_review")),
                      key=lambda r: (r.get("date", ""), r["id"]))

    def policies(self) -> list[dict[str, Any]]:
        return sorted((r for r in self.records() if r.get("type") == "policy"),
                      key=lambda r: (r.get("date", ""), r["id"]))

    def _set_status(self, record_id: str, status: str, author: str | None,
                    change: dict[str, Any] | None = None) -> dict[str, Any]:
        current = self.get(record_id)
        if current.get("type") == "legacy" and status == "confirmed":
            raise DecisionError(f"{record_id} is an imported pattern decision that cannot be matched to "
                                "findings; decide the findings it meant with 'security decide' instead")
        who = self._author(author)
        stamp = now_iso()

        def apply(rec: dict[str, Any]) -> dict[str, Any]:
            rec.update(change or {})
            rec["status"] = status
            rec[f"{status}_by"] = who
            rec[f"{status}_at"] = stamp
            return rec

        self.workspace.ensure_store()
        updated = self.files.update(record_id, apply)
        return updated

    def confirm(self, record_id: str, author: str | None = None, paths: str | None = None) -> dict[str, Any]:
        """A person confirms a proposal (optionally narrowing a proposed policy's path glob)."""
        current = self.get(record_id)
        change = None
        if paths:
            if current.get("type") != "policy":
                raise DecisionError("--paths applies to policies only")
            change = {"paths": _checked_paths(paths), "original_paths": current.get("paths")}
        return self._set_status(record_id, "confirmed", author, change)

    def reject(self, record_id: str, author: str | None = None) -> dict[str, Any]:
        return self._set_status(record_id, "rejected", author)


class FindingCache:
    """The findings of the last ingest/scan (``.teamlore/.cache/security/``), for ``decide``."""

    def __init__(self, workspace: Workspace):
        self.workspace = workspace
        self.path = workspace.cache / "security" / "last_findings.json"

    def save(self, findings: list[Finding]) -> None:
        """Remember the findings (code and messages redacted: the cache is on disk too)."""
        self.workspace.ensure_store()
        rows = []
        for f in findings:
            row = f.to_json()
            for name in ("statement", "snippet", "message"):
                if row.get(name):
                    row[name] = redact(row[name])
            rows.append(row)
        atomic_write_json(self.path, {"generated": now_iso(), "findings": rows})

    def load(self) -> dict[str, Finding]:
        if not self.path.exists():
            return {}
        try:
            data = read_json(self.path, max_bytes=512 * 1024 * 1024)
            return {f.fingerprint: f for f in (Finding.from_json(d) for d in data.get("findings", []))}
        except (MemoryFileError, AttributeError, TypeError, json.JSONDecodeError):
            return {}
