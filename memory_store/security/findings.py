"""Scanner findings and the readers for bandit JSON, semgrep JSON and SARIF 2.1.0.

Readers only translate a report into :class:`Finding` objects (tool, rule, path, line,
severity, message); the fingerprint fields are filled in afterwards from the source on
disk by :mod:`memory_store.security.fingerprint`, never from what a scanner chose to
include in its report.
"""

from __future__ import annotations

import functools
import threading
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from memory_store.jsonio import MAX_INPUT_BYTES, JsonInputError, MemoryFileError, loads_input, read_bounded
from memory_store.workspace import UnsafePathError, Workspace


class ReportError(ValueError):
    """A report that is not bandit JSON, semgrep JSON or SARIF 2.1.0 (or is malformed)."""


SEVERITIES = ("critical", "high", "medium", "low", "info")


@dataclass
class Finding:
    """One scanner finding, located in the workspace."""

    tool: str
    rule: str
    path: str
    line: int
    message: str = ""
    severity: str = "medium"
    column: int | None = None
    rule_url: str | None = None
    snippet: str | None = None
    # Filled in by the fingerprinter:
    scope: str = ""
    statement: str = ""
    statement_hash: str = ""
    occurrence: int = 0
    hit: int = 0
    fingerprint: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Finding:
        known = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in data.items() if k in known})


BANDIT_PLUGINS_URL = "https://bandit.readthedocs.io/en/latest/plugins/index.html"
_BANDIT_IMPORT = threading.Lock()


@functools.lru_cache(maxsize=512)
def default_rule_url(tool: str, rule: str) -> str | None:
    """A link to the rule's documentation when the report did not carry one."""
    tool = tool.lower()
    if tool == "semgrep" and rule:
        return f"https://semgrep.dev/r/{rule}"
    if tool == "bandit" and rule[:1] == "B" and rule[1:].isdigit():
        # A link is never worth failing the triage it decorates: bandit missing, or caught
        # half-imported by another thread (its plugin loader imports bandit back), gives the
        # plugin index. The lock keeps this process's threads from importing it at once.
        with _BANDIT_IMPORT, warnings.catch_warnings():  # bandit's plugin loader warns about stevedore
            warnings.simplefilter("ignore", DeprecationWarning)
            try:
                from bandit.core import docs_utils

                url = docs_utils.get_url(rule)
            except Exception:  # any failure inside a third-party import
                return BANDIT_PLUGINS_URL
        return url if isinstance(url, str) else None
    if tool == "ruff" and rule:
        return "https://docs.astral.sh/ruff/rules/"  # per-rule pages are named, not numbered
    return None


def normalize_severity(value: Any) -> str:
    text = str(value or "").strip().lower()
    mapping = {"error": "high", "warning": "medium", "warn": "medium", "note": "low",
               "none": "info", "information": "info", "informational": "info",
               "undefined": "info", "moderate": "medium"}
    text = mapping.get(text, text)
    return text if text in SEVERITIES else "medium"


def _severity_from_score(score: Any) -> str | None:
    """SARIF ``security-severity`` (CVSS-like 0-10) to a level, as GitHub does."""
    try:
        s = float(score)
    except (TypeError, ValueError):
        return None
    if s >= 9.0:
        return "critical"
    if s >= 7.0:
        return "high"
    if s >= 4.0:
        return "medium"
    return "low" if s > 0 else "info"


class _PathMapper:
    """Turns the paths a scanner printed into workspace-relative POSIX paths.

    Remembers each answer: a report names the same file for many findings, and mapping
    one costs file-system look-ups (several for a report made on another machine)."""

    def __init__(self, workspace: Workspace, base: Path | None):
        self.workspace = workspace
        self.base = base
        self._seen: dict[str, str | UnsafePathError] = {}

    def __call__(self, raw: str) -> str:
        answer = self._seen.get(raw)
        if answer is None:
            try:
                answer = self._map(raw)
            except UnsafePathError as exc:
                answer = exc
            self._seen[raw] = answer
        if isinstance(answer, UnsafePathError):
            raise UnsafePathError(str(answer))
        return answer

    def _map(self, raw: str) -> str:
        raw = raw.strip()
        if raw.startswith("file:"):
            raw = unquote(urlparse(raw).path)
        if raw.startswith("./"):
            raw = raw[2:]
        p = Path(raw)
        if p.is_absolute():
            try:
                return self.workspace.relative(p)
            except UnsafePathError:
                # A report made on another machine (e.g. CI): the longest tail of the
                # path that exists in this workspace.
                parts = p.parts[1:]
                for i in range(len(parts)):
                    tail = "/".join(parts[i:])
                    if (self.workspace.root / tail).is_file():
                        return self.workspace.relative(tail)
                raise
        if self.base is not None and not (self.workspace.root / raw).exists() \
                and (self.base / raw).exists() and self.workspace.contains(self.base / raw):
            # Relative to where the scanner ran (the report's own directory).
            return self.workspace.relative(self.base / raw)
        return self.workspace.relative(raw)


def _int(value: Any, default: int = 1) -> int:
    try:
        n = int(value)
    except (TypeError, ValueError):
        return default
    return n if n >= 1 else default


def read_bandit(data: dict[str, Any], paths: _PathMapper, skipped: list[str]) -> list[Finding]:
    out: list[Finding] = []
    for i, r in enumerate(data.get("results") or []):
        if not isinstance(r, dict) or "test_id" not in r or "filename" not in r:
            skipped.append(f"bandit result {i}: missing test_id/filename")
            continue
        try:
            path = paths(str(r["filename"]))
        except UnsafePathError as exc:
            skipped.append(f"bandit result {i}: {exc}")
            continue
        out.append(Finding(
            tool="bandit", rule=str(r["test_id"]), path=path, line=_int(r.get("line_number")),
            message=str(r.get("issue_text", "")), severity=normalize_severity(r.get("issue_severity")),
            column=r.get("col_offset") if isinstance(r.get("col_offset"), int) else None,
            rule_url=r.get("more_info"), snippet=r.get("code"),
            extra={"confidence": r.get("issue_confidence"), "test_name": r.get("test_name")},
        ))
    return out


def read_semgrep(data: dict[str, Any], paths: _PathMapper, skipped: list[str]) -> list[Finding]:
    out: list[Finding] = []
    for i, r in enumerate(data.get("results") or []):
        if not isinstance(r, dict) or "check_id" not in r or "path" not in r:
            skipped.append(f"semgrep result {i}: missing check_id/path")
            continue
        try:
            path = paths(str(r["path"]))
        except UnsafePathError as exc:
            skipped.append(f"semgrep result {i}: {exc}")
            continue
        start = r.get("start") or {}
        extra = r.get("extra") or {}
        meta = extra.get("metadata") or {}
        refs = meta.get("references") or []
        out.append(Finding(
            tool="semgrep", rule=str(r["check_id"]), path=path, line=_int(start.get("line")),
            message=str(extra.get("message", "")), severity=normalize_severity(extra.get("severity")),
            column=_int(start.get("col")) - 1 if start.get("col") else None,
            rule_url=meta.get("source") or (refs[0] if refs else None),
            snippet=extra.get("lines") if extra.get("lines") != "requires login" else None,
        ))
    return out


def read_sarif(data: dict[str, Any], paths: _PathMapper, skipped: list[str]) -> list[Finding]:
    out: list[Finding] = []
    for run_no, run in enumerate(data.get("runs") or []):
        driver = ((run.get("tool") or {}).get("driver") or {})
        tool = str(driver.get("name") or "sarif").strip().lower() or "sarif"
        rules = [r for r in driver.get("rules") or [] if isinstance(r, dict)]
        rule_by_id = {str(r.get("id")): r for r in rules}
        bases = {k: (v or {}).get("uri", "") for k, v in (run.get("originalUriBaseIds") or {}).items()}
        for i, res in enumerate(run.get("results") or []):
            where = f"SARIF run {run_no} result {i}"
            if not isinstance(res, dict):
                skipped.append(f"{where}: not an object")
                continue
            rule_id = res.get("ruleId") or (res.get("rule") or {}).get("id")
            idx = res.get("ruleIndex", (res.get("rule") or {}).get("index"))
            if rule_id is None and isinstance(idx, int) and 0 <= idx < len(rules):
                rule_id = rules[idx].get("id")
            locs = res.get("locations") or []
            phys = (locs[0].get("physicalLocation") or {}) if locs and isinstance(locs[0], dict) else {}
            art = phys.get("artifactLocation") or {}
            uri = art.get("uri")
            if rule_id is None or not uri:
                skipped.append(f"{where}: missing ruleId or location")
                continue
            base = bases.get(art.get("uriBaseId", ""), "")
            if base and not base.startswith(("file:", "/")) and not uri.startswith(("file:", "/")):
                # A relative base (e.g. "src/") is part of the path; an absolute one is the
                # checkout root of the machine that ran the scan, i.e. our workspace root.
                uri = base.rstrip("/") + "/" + uri
            try:
                path = paths(str(uri))
            except UnsafePathError as exc:
                skipped.append(f"{where}: {exc}")
                continue
            region = phys.get("region") or {}
            rule = rule_by_id.get(str(rule_id)) or {}
            props = {**(rule.get("properties") or {}), **(res.get("properties") or {})}
            level = res.get("level") or (rule.get("defaultConfiguration") or {}).get("level") or "warning"
            severity = _severity_from_score(props.get("security-severity")) or normalize_severity(level)
            message = (res.get("message") or {}).get("text") or (rule.get("shortDescription") or {}).get("text") or ""
            snippet = (region.get("snippet") or {}).get("text")
            out.append(Finding(
                tool=tool, rule=str(rule_id), path=path, line=_int(region.get("startLine")),
                message=str(message), severity=severity,
                column=_int(region.get("startColumn")) - 1 if region.get("startColumn") else None,
                rule_url=rule.get("helpUri"), snippet=snippet,
            ))
    return out


def detect_format(data: Any) -> str:
    if not isinstance(data, dict):
        raise ReportError("expected a JSON object at the top level")
    if isinstance(data.get("runs"), list) and (str(data.get("version", "")).startswith("2.")
                                               or "sarif" in str(data.get("$schema", "")).lower()):
        return "sarif"
    results = data.get("results")
    if isinstance(results, list):
        first = next((r for r in results if isinstance(r, dict)), None)
        if first is None:
            return "bandit" if "metrics" in data else "semgrep"
        if "test_id" in first:
            return "bandit"
        if "check_id" in first:
            return "semgrep"
    raise ReportError("not a bandit JSON, semgrep JSON or SARIF 2.1.0 report")


READERS = {"bandit": read_bandit, "semgrep": read_semgrep, "sarif": read_sarif}


def parse_report(data: Any, workspace: Workspace, base: Path | None = None,
                 skipped: list[str] | None = None) -> list[Finding]:
    """Findings of one already-decoded report (format auto-detected)."""
    fmt = detect_format(data)
    return READERS[fmt](data, _PathMapper(workspace, base), skipped if skipped is not None else [])


def read_report(path: Path, workspace: Workspace, skipped: list[str] | None = None) -> list[Finding]:
    """Findings of one report file; :class:`ReportError` names the file and the problem.

    The report is untrusted input: at most :data:`~memory_store.jsonio.MAX_INPUT_BYTES`,
    strict JSON (no ``NaN``/``Infinity``), nested at most :data:`~memory_store.jsonio.MAX_DEPTH` deep."""
    try:
        text = read_bounded(path, MAX_INPUT_BYTES).decode("utf-8")
    except FileNotFoundError:
        raise ReportError(f"{path}: report not found") from None
    except MemoryFileError as exc:
        raise ReportError(f"{path}: report {exc.problem.reason}") from None
    except UnicodeDecodeError as exc:
        raise ReportError(f"{path}: report is not UTF-8 text (byte {exc.start})") from None
    try:
        data = loads_input(text)
    except JsonInputError as exc:
        raise ReportError(f"{path}:{exc.line}: {exc.reason}" if exc.line else f"{path}: {exc.reason}") from None
    try:
        return parse_report(data, workspace, base=path.resolve().parent, skipped=skipped)
    except ReportError as exc:
        raise ReportError(f"{path}: {exc}") from None
