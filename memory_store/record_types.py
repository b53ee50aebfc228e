"""The shapes of the records in ``.teamlore/``, as the type checker sees them.

One place to read what a bug record, a security decision or policy and a debt snapshot
hold. They are ``TypedDict``s, not classes: records stay the plain dicts that are read from
and written to JSON, so fields a newer teamlore (or a teammate's tool) added survive a
rewrite. Only ``id`` (and the fields the store's ``validate_*`` function checks) is certain
on a record read from disk; every other field is optional (``total=False``).

The language server's ``Diagnostic.data`` is wire data of the editor, not a record: its
shapes live next to the code that reads them, in ``server/lsp/diagnostics.py``.
"""

from __future__ import annotations

from typing import Any, Literal, TypedDict

# --- bug records: .teamlore/bugs/<id>.json (schema teamlore.bug/1) ----------------------------


class FrameJson(TypedDict, total=False):
    """One stack frame of a parsed error; ``path`` relative to the workspace."""

    path: str
    line: int | None
    function: str | None
    module: str | None
    kind: Literal["app", "library", "stdlib"]


class _BugErrorRequired(TypedDict):
    type: str


class BugError(_BugErrorRequired, total=False):
    """The redacted, parsed error of a bug record (``ParsedError.to_json`` plus ``template``)."""

    message: str
    language: str
    frames: list[FrameJson]
    traceback: str
    template: str
    code: str
    chain: list[str]
    detail: str
    location: dict[str, object]


class _BugRequired(TypedDict):
    id: str
    error: BugError


class BugRecord(_BugRequired, total=False):
    """A remembered error and its fix (checked by ``bugs.records.validate_bug``)."""

    schema: str
    fingerprint: str
    fix: str
    root_cause: str
    file: str | None
    minutes: float | None
    author: str
    source: str
    status: str
    created: str
    updated: str
    occurrences: int
    tags: list[str]
    also_recorded: list[dict[str, Any]]
    # written by fix capture (``bugs accept``)
    fix_diff: str
    edits: list[dict[str, Any]]
    branch: str | None
    commit: str | None
    command: str | None
    files_changed: list[str]
    captured: dict[str, Any]
    # an agent's part (``authorship``): "agent:<name>"
    accepted_by: str
    fix_by: str
    # imported from the seed tool
    empathy: dict[str, Any]
    empathy_also: list[dict[str, Any]]
    empathy_file: str
    resolved: str
    fix_code: str
    review: list[str]


# --- feedback on shown fixes: .teamlore/feedback/<id>.json (schema teamlore.feedback/1) ---------


class _FeedbackRequired(TypedDict):
    id: str
    verdict: Literal["rejected", "confirmed"]
    record: str
    pattern: str
    created: str


class FeedbackRecord(_FeedbackRequired, total=False):
    """"Not this fix" (``rejected``) or "This fixed it" (``confirmed``) on bug record ``record``
    for errors of ``pattern`` (checked by ``bugs.feedback.validate_feedback``)."""

    schema: str
    error: dict[str, Any]
    """The error it was said for: type, message, template and in-app frames (redacted, relative)."""
    author: str
    source: str


# --- security triage: .teamlore/security/decisions/<id>.json (schema teamlore.security/1) -----

class _SecurityRequired(TypedDict):
    id: str
    type: Literal["decision", "policy", "legacy"]
    reason: str


class SecurityRecord(_SecurityRequired, total=False):
    """A triage decision, a policy or an imported legacy decision (field ``type``), as checked by
    ``security.decisions.validate_record``. Fields of the other types are absent, not null."""

    schema: str
    status: str
    """``confirmed`` (in force), ``proposed``, ``rejected`` or ``needs_review``."""
    decision: str
    """``false_positive``, ``accepted_risk``, ``true_positive`` or ``fixed``."""
    author: str
    date: str
    updated: str
    expires: str | None
    source: str
    # type "decision": one finding
    fingerprint: str
    tool: str | None
    rule: str
    path: str
    scope: str
    statement: str
    statement_hash: str
    occurrence: int
    hit: int
    line: int
    message: str
    severity: str | None
    # type "policy": rules x a path glob
    rules: list[str]
    paths: str
    original_paths: str
    # set when a person confirms or rejects a proposal
    confirmed_by: str
    confirmed_at: str
    rejected_by: str
    rejected_at: str


# --- debt snapshots: .teamlore/debt/snapshots/<date>_<commit>.json (schema teamlore.debt/1) ----


class _SnapshotRequired(TypedDict):
    id: str
    date: str
    total: int


class DebtSnapshot(_SnapshotRequired, total=False):
    """Marker counts at one date (checked by ``debt.snapshots.validate_snapshot``)."""

    schema: str
    commit: str | None
    source: str
    markers: list[str]
    by_marker: dict[str, int]
    files: dict[str, dict[str, int]]
    files_considered: int
    items: dict[str, list[str]]
    """``"<line>: <redacted text>"`` per path; left out of big snapshots."""
    created: str
