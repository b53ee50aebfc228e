"""One store of diagnostics keyed by ``(source, uri)``, merged at publish time.

Sources are strings such as ``forwarded`` (other tools' diagnostics sent by the editor:
kept for hover and code actions, never republished as is), ``known:forwarded`` (what
teamlore adds on top of them), ``findings:forwarded`` / ``findings:scan`` (security
findings with their triage state) and ``terminal:<command>`` (errors of a terminal run).

What a code action needs travels in ``Diagnostic.data`` under ``"teamlore"``: an
:class:`ErrorData` for an error, a :class:`FindingData` for a finding. What comes back from
the editor is read with :func:`data_of`, as a :class:`DiagnosticData` (any subset of the keys).
"""

from __future__ import annotations

import builtins
import functools
from collections.abc import Iterable
from typing import Any, Literal, TypedDict, cast

from lsprotocol import types
from pygls.uris import from_fs_path, to_fs_path

from memory_store.errors.langs.detect import diagnostic_text

FORWARDED = "forwarded"
KNOWN_FORWARDED = "known:forwarded"
FINDINGS_FORWARDED = "findings:forwarded"
FINDINGS_SCAN = "findings:scan"
TERMINAL_PREFIX = "terminal:"
SOURCE = "teamlore"
SECURITY_TOOLS = ("bandit", "semgrep", "ruff", "codeql")


class _ErrorKeys(TypedDict):
    error: str
    """The error text, as it is looked up in the bug memory."""
    matches: list[str]
    """Ids of the bug records shown for it, best first."""


class _ErrorExtras(TypedDict, total=False):
    folder: str
    """Uri of the workspace folder whose memory matched."""
    command: str | None
    """The terminal command whose output held the error."""


class _FindingKeys(TypedDict, total=False):
    tool: str
    rule: str
    path: str
    line: int
    message: str
    severity: str | None
    fingerprint: str | None
    status: str
    """``active``, ``suppressed`` or ``stale``."""
    decision: str | None
    """Id of the decision or policy that applies."""
    reason: str | None
    suggestion: str | None
    suggested_decision: str | None


class ErrorData(_ErrorKeys, _ErrorExtras):
    """``Diagnostic.data`` of an error teamlore knows past fixes for."""

    teamlore: Literal["error"]


class FindingData(_FindingKeys, total=False):
    """``Diagnostic.data`` of a security finding with its triage state."""

    teamlore: Literal["finding"]


class DiagnosticData(_ErrorExtras, _FindingKeys, total=False):
    """``Diagnostic.data`` as sent back by the editor: the keys of :class:`ErrorData` and
    :class:`FindingData`, any of them possibly missing (the editor may drop or alter data)."""

    teamlore: str
    error: str
    matches: list[str]


def data_of(diag: types.Diagnostic) -> DiagnosticData:
    """teamlore's data of ``diag``, or ``{}`` for a diagnostic of another tool."""
    data = diag.data
    if isinstance(data, dict) and isinstance(data.get("teamlore"), str):
        return cast(DiagnosticData, data)  # only the "teamlore" key is certain; readers use .get
    return {}


def is_finding(diag: types.Diagnostic) -> bool:
    """A security finding: teamlore's own, or forwarded from a security scanner."""
    if data_of(diag).get("teamlore") == "finding":
        return True
    source = (diag.source or "").lower()
    if source == "ruff":  # ruff carries style rules too; only its S (bandit) rules are security
        return str(diag.code or "").startswith("S")
    return source in SECURITY_TOOLS


def is_error_like(diag: types.Diagnostic) -> bool:
    """A diagnostic worth looking up in the bug memory."""
    data = data_of(diag)
    if data:
        return data.get("teamlore") == "error"
    if is_finding(diag) or (diag.source or "") == SOURCE:
        return False
    return diag.severity in (None, types.DiagnosticSeverity.Error, types.DiagnosticSeverity.Warning)


def error_text(diag: types.Diagnostic) -> str:
    """What to look up for a diagnostic: teamlore's own carry the error; another server's
    message gets the code it reports apart (``error TS2307: ...``), as its CLI would print."""
    return str(data_of(diag).get("error") or diagnostic_text(diag.message, diag.code, diag.source))


def _key(p: types.Position) -> tuple[int, int]:
    return (p.line, p.character)


def contains(rng: types.Range, pos: types.Position) -> bool:
    return _key(rng.start) <= _key(pos) <= _key(rng.end)


def overlaps(a: types.Range, b: types.Range) -> bool:
    return _key(a.start) <= _key(b.end) and _key(b.start) <= _key(a.end)


@functools.lru_cache(maxsize=4096)
def canonical(uri: str) -> str:
    """One spelling per file (editors percent-encode ``+``, ``@``, ``:`` ... differently)."""
    if not uri.startswith("file:"):
        return uri
    path = to_fs_path(uri)
    return from_fs_path(path) or uri if path else uri


class DiagnosticStore:
    """All diagnostics the server knows, by source and document; positions in client units.
    Document uris are kept in their :func:`canonical` spelling."""

    def __init__(self) -> None:
        self._entries: dict[tuple[str, str], list[types.Diagnostic]] = {}

    def set(self, source: str, uri: str, diagnostics: Iterable[types.Diagnostic]) -> None:
        uri = canonical(uri)
        diags = list(diagnostics)
        if diags:
            self._entries[(source, uri)] = diags
        else:
            self._entries.pop((source, uri), None)

    def get(self, source: str, uri: str) -> list[types.Diagnostic]:
        return list(self._entries.get((source, canonical(uri)), ()))

    def clear_source(self, source: str) -> builtins.set[str]:  # `set` is a method name here
        """Drop every diagnostic of ``source``; returns the uris that changed."""
        keys = [k for k in self._entries if k[0] == source]
        for k in keys:
            del self._entries[k]
        return {uri for _, uri in keys}

    def clear_uri(self, uri: str, sources: Iterable[str]) -> None:
        uri = canonical(uri)
        for source in sources:
            self._entries.pop((source, uri), None)

    def uris(self, source_prefix: str = "") -> builtins.set[str]:
        return {uri for source, uri in self._entries if source.startswith(source_prefix)}

    def all_for(self, uri: str) -> list[tuple[str, types.Diagnostic]]:
        uri = canonical(uri)
        return [(source, d) for (source, u), diags in self._entries.items() if u == uri for d in diags]

    def at(self, uri: str, position: types.Position) -> list[types.Diagnostic]:
        return [d for _, d in self.all_for(uri) if contains(d.range, position)]

    def overlapping(self, uri: str, rng: types.Range) -> list[types.Diagnostic]:
        return [d for _, d in self.all_for(uri) if overlaps(d.range, rng)]

    def merged(self, uri: str, *, show_suppressed: bool = False) -> list[types.Diagnostic]:
        """What teamlore publishes for ``uri``: everything but the raw forwarded copies,
        suppressed findings dropped (or kept as hints with the reason), duplicates removed."""
        out: list[types.Diagnostic] = []
        seen: set[tuple[Any, ...]] = set()
        for source, diag in sorted(self.all_for(uri), key=lambda e: e[0]):
            if source == FORWARDED:
                continue
            data = data_of(diag)
            if data.get("teamlore") == "finding" and data.get("status") == "suppressed":
                if not show_suppressed:
                    continue
                reason = data.get("reason") or "decision recorded"
                diag = types.Diagnostic(range=diag.range, message=f"{diag.message} (suppressed: {reason})",
                                        severity=types.DiagnosticSeverity.Hint, code=diag.code,
                                        code_description=diag.code_description, source=diag.source,
                                        tags=[types.DiagnosticTag.Unnecessary], data=diag.data)
            key = (_key(diag.range.start), _key(diag.range.end), diag.source, str(diag.code), diag.message)
            if key in seen:
                continue
            seen.add(key)
            out.append(diag)
        return out
