"""Fix capture: notice that an error went away and propose how it was fixed.

For each command (same command line, same working directory) the state in
``.teamlore/.inbox/capture/commands/<key>.json`` remembers which errors are *open*:
when each first failed and a snapshot of the tracked files at that moment (a git tree,
see :mod:`memory_store.gitinfo`). When a later run of that command no longer shows an
open error, and the run is comparable (it succeeded, or it failed only with errors that
were already open), a *proposal* is written to ``.teamlore/.inbox/proposals/<id>.json``:
the error, the redacted and size-capped diff between the first failing run and this
run (the frames' files first), the resolution time, author, branch and commit, and a
summary generated from the diff. Nothing reaches the bug memory until a person accepts.

An error that comes back after it was proposed (fail, pass, fail) is marked flaky and
never proposed again for that command.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path, PurePosixPath
from typing import Any

from memory_store import confine, gitinfo
from memory_store.bugs.diffs import FileDiff, dependency_changes, parse_unified_diff, summarize
from memory_store.bugs.edits import remembered_edits
from memory_store.bugs.records import BugStore
from memory_store.clock import now_iso, timestamp_iso
from memory_store.duration import plural
from memory_store.jsonio import MemoryFileError, atomic_write_json, file_lock, read_json
from memory_store.record_types import BugRecord
from memory_store.recordfiles import LoadResult, RecordDir, content_id
from memory_store.redact import redact
from memory_store.redact.paths import private_paths_rewritten
from memory_store.workspace import Workspace, check_id

log = logging.getLogger(__name__)

KIND = "proposal"
VERSION = 1
STATE_SCHEMA = "teamlore.capture-state/1"
MAX_DIFF_CHARS = 20_000
MAX_DIFF_FILES = 12
MAX_FILE_DIFF_CHARS = 8_000


class UnknownProposal(KeyError):
    """No pending proposal with that id."""

    def __str__(self) -> str:
        return f"no pending proposal with id {self.args[0]!r}"


def _proposals(workspace: Workspace) -> RecordDir:
    return RecordDir(workspace.inbox / "proposals", KIND, VERSION, lock_dir=workspace.inbox / "capture",
                     workspace=workspace)


def _state_path(workspace: Workspace, command: str, cwd: str | None) -> Path:
    key = content_id("cmd", " ".join(command.split()), cwd or "")
    return workspace.inbox / "capture" / "commands" / f"{key}.json"


def _load_state(path: Path, command: str, cwd: str | None) -> dict[str, Any]:
    try:
        state = read_json(path, confine_to=path.parent)
        if isinstance(state, dict) and state.get("schema") == STATE_SCHEMA:
            state.setdefault("open", {})
            state.setdefault("proposed", {})
            return state
        reason = "unexpected shape"
    except MemoryFileError as exc:
        if not path.exists():
            return {"schema": STATE_SCHEMA, "command": command, "cwd": cwd, "open": {}, "proposed": {}}
        reason = exc.problem.reason
    aside = path.with_name(f"{path.name}.unreadable-{int(time.time())}")
    confine.replace(path, aside)  # kept for inspection, never overwritten
    log.warning("capture state %s unreadable (%s); moved to %s and starting over", path, reason, aside.name)
    return {"schema": STATE_SCHEMA, "command": command, "cwd": cwd, "open": {}, "proposed": {}}


class _Snapshots:
    """At most one snapshot per run, taken only when needed."""

    def __init__(self, root: Path):
        self.root = root
        self._tree: str | None = None
        self._taken = False

    def tree(self) -> str | None:
        if not self._taken:
            self._taken = True
            if not gitinfo.is_repo(self.root):
                return None
            try:
                self._tree = gitinfo.snapshot(self.root)
            except gitinfo.GitError as exc:
                log.warning("cannot snapshot the working tree: %s", exc)
        return self._tree


def observe_run(workspace: Workspace, event: dict[str, Any], *, started: float | None = None,
                ended: float | None = None) -> dict[str, list[str]]:
    """Update the command's open errors with this run; write proposals for errors that
    went away. Returns ``{"proposals": [ids], "resolved": [fingerprints]}``."""
    command, cwd = event["command"], event.get("cwd")
    ended = time.time() if ended is None else ended
    started = ended if started is None else started
    current = {e["fingerprint"]: e for e in event.get("errors", [])}
    snaps = _Snapshots(workspace.root)
    created: list[str] = []
    resolved: list[str] = []
    path = _state_path(workspace, command, cwd)
    with file_lock(workspace.inbox / "capture" / ".state.lock"):
        state = _load_state(path, command, cwd)
        opened: dict[str, Any] = state["open"]
        proposed: dict[str, Any] = state["proposed"]
        comparable = event["exit_code"] == 0 or (bool(current) and set(current) <= set(opened))
        if comparable:
            for fp in [fp for fp in opened if fp not in current]:
                entry = opened.pop(fp)
                resolved.append(fp)
                if fp in proposed:
                    continue  # proposed before: flaky or already handled, never twice
                if fp in _pending_fingerprints(workspace):
                    proposed[fp] = {"proposal": None, "at": timestamp_iso(ended), "flaky": False}
                    continue  # the same error's fix is already waiting (seen through another command)
                proposal = _make_proposal(workspace, state, entry, snaps.tree(), started)
                _proposals(workspace).write(proposal)
                proposed[fp] = {"proposal": proposal["id"], "at": timestamp_iso(ended), "flaky": False}
                created.append(proposal["id"])
        # Only a failing run opens errors: a traceback logged by a successful run is not a failure.
        for fp, err in (current.items() if event["exit_code"] != 0 else ()):
            if fp in opened:
                opened[fp]["last_failed"] = started
                opened[fp]["runs"] = int(opened[fp].get("runs", 1)) + 1
                continue
            if fp in proposed and not proposed[fp].get("flaky"):
                proposed[fp]["flaky"] = True
                _mark_flaky(workspace, proposed[fp].get("proposal"))
            opened[fp] = {"error": err, "first_failed": started, "last_failed": started, "runs": 1,
                          "tree": snaps.tree()}
        state["last_run"] = {"exit_code": event["exit_code"], "ended": timestamp_iso(ended)}
        atomic_write_json(path, state)
    return {"proposals": created, "resolved": resolved}


def _pending_fingerprints(workspace: Workspace) -> set[str | None]:
    return {p.get("fingerprint") for p in load(workspace).records.values()}


def _mark_flaky(workspace: Workspace, proposal_id: str | None) -> None:
    files = _proposals(workspace)
    if not proposal_id or not files.exists(proposal_id):
        return
    try:
        files.update(proposal_id, lambda p: {**p, "flaky": True})
    except MemoryFileError as exc:
        log.warning("cannot mark proposal flaky: %s", exc)


def _frame_lines(error: dict[str, Any]) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for frame in error.get("frames") or []:
        if frame.get("kind") == "app" and frame.get("path"):
            out.setdefault(frame["path"], [])
            if isinstance(frame.get("line"), int):
                out[frame["path"]].append(frame["line"])
    return out


def _priority(fd: FileDiff, frame_files: dict[str, list[int]]) -> tuple[int, int, str]:
    """Sort key of a changed file: the frames' files first (the innermost frame's first), then
    dependency files, other files, binary files."""
    if fd.path in frame_files:
        return (0, list(reversed(frame_files)).index(fd.path), fd.path)
    if dependency_changes(fd):
        return (1, 0, fd.path)
    if fd.binary:
        return (3, 0, fd.path)
    return (2, 0, fd.path)


def _collect_diff(root: Path, old: str | None, new: str | None,
                  frame_files: dict[str, list[int]]) -> tuple[list[FileDiff], int, bool]:
    """Changed files (frames' files first) within the size caps; (files, omitted, truncated)."""
    if not old or not new or old == new:
        return [], 0, False
    try:
        if not (gitinfo.has_object(root, old) and gitinfo.has_object(root, new)):
            return [], 0, False
        raw = gitinfo.diff(root, old, new)
    except gitinfo.GitError as exc:
        log.warning("cannot diff the working tree: %s", exc)
        return [], 0, False
    files = [fd for fd in parse_unified_diff(redact(raw))
             if PurePosixPath(fd.path).parts[:1] != (".teamlore",)]
    files.sort(key=lambda fd: _priority(fd, frame_files))
    kept: list[FileDiff] = []
    total = 0
    truncated = False
    for fd in files:
        if len(kept) >= MAX_DIFF_FILES or total >= MAX_DIFF_CHARS:
            break
        if len(fd.text) > MAX_FILE_DIFF_CHARS:
            fd.text = fd.text[:MAX_FILE_DIFF_CHARS].rsplit("\n", 1)[0] + "\n[... diff of this file truncated ...]\n"
            truncated = True
        total += len(fd.text)
        kept.append(fd)
    return kept, len(files) - len(kept), truncated or len(kept) < len(files)


def _make_proposal(workspace: Workspace, state: dict[str, Any], entry: dict[str, Any],
                   passing_tree: str | None, passed_at: float) -> dict[str, Any]:
    error = entry["error"]
    root = workspace.root
    frame_files = _frame_lines(error)
    files, omitted, truncated = _collect_diff(root, entry.get("tree"), passing_tree, frame_files)
    diff = "".join(fd.text for fd in files)
    if omitted:
        diff += f"[... {plural(omitted, 'more changed file')} not shown ...]\n"
    first = float(entry["first_failed"])
    minutes = round(max(0.0, passed_at - first) / 60.0, 1)
    summary = summarize(files, frame_files, omitted) if files else (
        "the error stopped occurring; no tracked file changed" if passing_tree
        else "the error stopped occurring (not a git repository: no diff)")
    def private(text: Any) -> Any:
        return private_paths_rewritten(text, root) if isinstance(text, str) else text

    frames = [{**f, "path": private(f.get("path"))} if isinstance(f, dict) else f
              for f in error.get("frames") or []]
    return {
        "id": content_id("fix", state["command"], state.get("cwd"), error["fingerprint"], first),
        "error": private(error.get("traceback") or error.get("headline") or ""),
        "headline": private(error.get("headline")),
        "error_type": error.get("type"),
        "message": private(error.get("message")),
        "fingerprint": error["fingerprint"],
        "frames": frames,
        "summary": summary,
        "diff": diff,
        "diff_truncated": truncated,
        "files": [fd.path for fd in files],
        "changes": [{"path": fd.path, "added": fd.added, "removed": fd.removed, "binary": fd.binary}
                    for fd in files],
        "minutes": minutes,
        "first_failed": timestamp_iso(first),
        "resolved": timestamp_iso(passed_at),
        "command": private(state["command"]),
        "cwd": private(state.get("cwd")),
        "author": gitinfo.author(root),
        "branch": gitinfo.branch(root),
        "commit": gitinfo.commit(root),
        "flaky": False,
        "created": now_iso(),
    }


def load(workspace: Workspace) -> LoadResult:
    return _proposals(workspace).load_all()


def pending(workspace: Workspace) -> list[dict[str, Any]]:
    """Proposals waiting for a person, oldest first."""
    records = load(workspace).records.values()
    return sorted(records, key=lambda p: (p.get("resolved") or "", p["id"]))


def get(workspace: Workspace, proposal_id: str) -> dict[str, Any]:
    files = _proposals(workspace)
    check_id(proposal_id)
    if not files.exists(proposal_id):
        raise UnknownProposal(proposal_id)
    return files.read(proposal_id)


def accept(workspace: Workspace, proposal_id: str, fix: str | None = None,
           marks: dict[str, Any] | None = None) -> BugRecord:
    """Store the proposal as a bug record (fix text: ``fix`` or the summary); return it.

    The record keeps the diff (``fix_diff``) and the re-applicable edits (``edits``), and
    ``marks`` (who accepted it, see :mod:`memory_store.authorship`), all in one write.
    """
    proposal = get(workspace, proposal_id)
    fix_text = (fix if fix is not None and fix.strip() else proposal.get("summary")) or ""
    # The proposal was redacted when captured; redact again with the current rules before committing.
    diff = redact(proposal.get("diff") or "")
    command = proposal.get("command")
    frames = proposal.get("frames") or []
    # A frame path outside the workspace (an absolute path the output showed) is no file of the record.
    app_files = [path for f in frames if f.get("kind") == "app" and (path := f.get("path"))
                 and workspace.contains(path)]
    extra = {
        "fix_diff": diff,
        "edits": remembered_edits(diff),
        "branch": proposal.get("branch"),
        "commit": proposal.get("commit"),
        "command": private_paths_rewritten(redact(command), workspace.root) if isinstance(command, str) else None,
        "files_changed": proposal.get("files") or [],
        "captured": {"proposal": proposal["id"], "first_failed": proposal.get("first_failed"),
                     "resolved": proposal.get("resolved"), "flaky": bool(proposal.get("flaky"))},
        **(marks or {}),
    }
    store = BugStore(workspace)
    record = store.build(proposal.get("error") or proposal.get("headline") or "", fix_text,
                         file=app_files[-1] if app_files else None,
                         minutes=proposal.get("minutes"), author=proposal.get("author") or None,
                         source="capture", extra=extra)
    stored, _ = store.save(record)
    _proposals(workspace).delete(proposal_id)
    return stored


def dismiss(workspace: Workspace, proposal_id: str) -> None:
    """Forget a proposal (its error is not proposed again for that command)."""
    get(workspace, proposal_id)
    _proposals(workspace).delete(proposal_id)
