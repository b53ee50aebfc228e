"""One facade over the security memory for every front end (CLI, language server, MCP).

Typical use::

    mem = SecurityMemory(workspace)
    findings = [mem.finding_from_diagnostic("bandit", "B602", "app.py", 12, "shell=True")]
    for s in mem.status(findings): ...            # active / suppressed / stale
    mem.decide(findings, "false_positive", "input is a constant")
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from memory_store.clock import now_iso
from memory_store.security.decisions import DecisionError, DecisionStore, FindingCache
from memory_store.security.findings import Finding, default_rule_url, normalize_severity, read_report
from memory_store.security.fingerprint import MODULE_SCOPE, Fingerprinter, dedupe, follow_renames
from memory_store.security.history import Place
from memory_store.security.history_cache import HistoryCache
from memory_store.security.path_glob import path_glob
from memory_store.security.sarif_out import to_sarif
from memory_store.security.scanners import ScanResult, available, default_tools, run_scanner, scan
from memory_store.security.triage import FindingStatus, Triage, TriageResult, suggest_policies
from memory_store.seed_import.security_decisions import SEED_TYPES, seed_pattern_hash
from memory_store.workspace import Workspace


class UnknownFingerprintError(DecisionError):
    """Fingerprints that are not among the findings of the last ingest/scan."""

    def __init__(self, fingerprints: list[str]):
        super().__init__("unknown fingerprint(s) (not in the last ingest or scan): " + ", ".join(fingerprints))
        self.fingerprints = fingerprints


class SecurityMemory:
    """Findings, fingerprints, decisions and policies of one workspace."""

    def __init__(self, workspace: Workspace | str | os.PathLike[str]):
        self.workspace = workspace if isinstance(workspace, Workspace) else Workspace(Path(workspace).resolve())
        self.store = DecisionStore(self.workspace)
        self.cache = FindingCache(self.workspace)

    # --- findings in -------------------------------------------------------------------
    def fingerprint(self, findings: list[Finding], sources: dict[str, str] | None = None,
                    fingerprinter: Fingerprinter | None = None,
                    progress: Callable[[list[Finding]], Iterable[Finding]] | None = None) -> list[Finding]:
        fp = fingerprinter or Fingerprinter(self.workspace)
        return fp.apply(dedupe(findings), sources, progress)

    def finding_from_diagnostic(self, tool: str, rule: str, path: str, line: int, message: str,
                                severity: str | None = None, *, source_text: str | None = None) -> Finding:
        """A finding from an editor diagnostic (path workspace-relative, line 1-based).

        The fingerprint is computed from ``source_text`` (an unsaved buffer) when given,
        else from the file on disk.
        """
        rel = self.workspace.relative(path)
        f = Finding(tool=tool.strip().lower(), rule=str(rule), path=rel, line=max(1, int(line)),
                    message=message, severity=normalize_severity(severity) if severity else "medium")
        f.rule_url = default_rule_url(f.tool, f.rule)
        sources = {rel: source_text} if source_text is not None else None
        Fingerprinter(self.workspace).apply([f], sources)
        return f

    def findings_from_diagnostics(self, items: Iterable[dict[str, Any]],
                                  source_text: str | None = None) -> list[Finding]:
        """Several diagnostics of one or more files at once (so ``hit`` indexes agree)."""
        findings = []
        for d in items:
            rel = self.workspace.relative(d["path"])
            tool, rule = str(d["tool"]).strip().lower(), str(d["rule"])
            findings.append(Finding(tool=tool, rule=rule, path=rel, line=max(1, int(d["line"])),
                                    message=str(d.get("message", "")), rule_url=default_rule_url(tool, rule),
                                    severity=normalize_severity(d.get("severity"))))
        sources = ({f.path: source_text for f in findings} if source_text is not None else None)
        return Fingerprinter(self.workspace).apply(findings, sources)

    def read_reports(self, reports: Sequence[str | os.PathLike[str]],
                     skipped: list[str] | None = None) -> list[Finding]:
        findings: list[Finding] = []
        for report in reports:
            findings.extend(read_report(Path(report), self.workspace, skipped))
        return findings

    def ingest(self, reports: Sequence[str | os.PathLike[str]], skipped: list[str] | None = None,
               progress: Callable[[list[Finding]], Iterable[Finding]] | None = None,
               map_progress: Callable[[list[str]], Iterable[str]] | None = None) -> TriageResult:
        """Read reports, fingerprint, remember as the last findings, and triage."""
        fp = Fingerprinter(self.workspace)
        findings = self.fingerprint(self.read_reports(reports, skipped), fingerprinter=fp, progress=progress)
        self.cache.save(findings)
        return self.triage(findings, fingerprinter=fp, progress=map_progress)

    def scan(self, paths: Sequence[str] | None = None, tools: Sequence[str] | None = None,
             progress: Callable[[list[str]], Iterable[str]] | None = None,
             map_progress: Callable[[list[str]], Iterable[str]] | None = None) -> tuple[TriageResult, ScanResult]:
        """Run scanners (default: :func:`scanners.default_tools`), fingerprint, cache, triage.

        ``progress`` wraps the list of scanners being run (e.g. a progress bar).
        """
        rel = [self.workspace.relative(p) or "." for p in (paths or ["."])]
        chosen = list(tools) if tools is not None else default_tools(self.workspace)
        result = ScanResult()
        for tool in (progress(chosen) if progress else chosen):
            part = scan(self.workspace, rel, [tool])
            result.findings += part.findings
            result.ran += part.ran
            result.errors += part.errors
            result.skipped += part.skipped
        fp = Fingerprinter(self.workspace)
        findings = self.fingerprint(result.findings, fingerprinter=fp)
        self.cache.save(findings)
        return self.triage(findings, fingerprinter=fp, progress=map_progress), result

    def scan_file(self, path: str, source_text: str | None = None) -> list[Finding]:
        """Findings of one file from bandit (else ruff) when installed; [] when neither is."""
        rel = self.workspace.relative(path)
        have = available(self.workspace)
        tool = "bandit" if "bandit" in have else "ruff" if "ruff" in have else None
        if tool is None:
            return []
        result = run_scanner(tool, self.workspace, [rel], timeout=120)
        found = [f for f in result.findings if f.path == rel]
        return self.fingerprint(found, {rel: source_text} if source_text is not None else None)

    def scan_file_with(self, path: str, tools: Sequence[str]) -> list[Finding] | None:
        """Fingerprinted findings of one saved file from those of ``tools`` that are
        installed, in that order; None when none of them is."""
        rel = self.workspace.relative(path)
        have = set(available(self.workspace))
        chosen = [t for t in tools if t in have]
        if not chosen:
            return None
        found: list[Finding] = []
        for tool in chosen:
            result = run_scanner(tool, self.workspace, [rel], timeout=120)
            found += [f for f in result.findings if f.path == rel]
        return self.fingerprint(found)

    # --- triage ------------------------------------------------------------------------
    def places(self, records: list[dict[str, Any]] | None = None,
               progress: Callable[[list[str]], Iterable[str]] | None = None) -> dict[str, Place]:
        """Where each decided statement is now, followed through git history (cached per
        decisions, HEAD and working tree; blocking, seconds on a first run over long history)."""
        records = self.store.records() if records is None else records
        return HistoryCache(self.workspace).places(records, progress)

    def _triage_engine(self, records: list[dict[str, Any]] | None = None,
                       fingerprinter: Fingerprinter | None = None,
                       progress: Callable[[list[str]], Iterable[str]] | None = None) -> Triage:
        root = self.workspace.root
        records = self.store.records() if records is None else records
        fp = fingerprinter or Fingerprinter(self.workspace)

        def holds(path: str, scope: str, shash: str) -> bool:
            index = fp.index_for(path)
            return index is not None and shash in index.hashes_in(scope or MODULE_SCOPE)

        return Triage(records, path_exists=lambda p: (root / p).exists(),
                      renames=lambda missing: follow_renames(self.workspace, missing),
                      places=self.places(records, progress), holds=holds)

    def triage(self, findings: list[Finding], fingerprinter: Fingerprinter | None = None,
               progress: Callable[[list[str]], Iterable[str]] | None = None) -> TriageResult:
        """``progress`` wraps the commits decisions are followed from (a first mapping)."""
        records = self.store.records()
        fp = fingerprinter or Fingerprinter(self.workspace)
        result = self._triage_engine(records, fp, progress).run(findings)
        self._link_legacy(result, records, fp)
        return result

    def status(self, findings: list[Finding]) -> list[FindingStatus]:
        return self.triage(findings).statuses

    def _link_legacy(self, result: TriageResult, records: list[dict[str, Any]], fp: Fingerprinter) -> None:
        """Offer imported seed-tool pattern decisions to findings whose line hashes the same."""
        legacy = {r["finding_hash"]: r for r in records
                  if r.get("type") == "legacy" and r.get("status") == "needs_review"}
        if not legacy:
            return
        for s in result.statuses:
            if s.status != "active" or s.suggestion:
                continue
            text = fp.line_text(s.finding.path, s.finding.line)
            if text is None:
                continue
            for vuln_type in SEED_TYPES:
                rec = legacy.get(seed_pattern_hash(vuln_type, text))
                if rec is not None:
                    s.suggestion = (f"looks like the imported decision {rec['id']} ({rec['decision']}: "
                                    f"{rec.get('reason')}) — apply?")
                    s.suggested_decision = rec["id"]
                    break

    # --- decisions ---------------------------------------------------------------------
    def resolve(self, findings_or_fingerprints: Iterable[Finding | str]) -> list[Finding]:
        """Findings for the given findings or fingerprints (looked up in the last ingest/scan)."""
        items = list(findings_or_fingerprints)
        cached: dict[str, Finding] | None = None
        out: list[Finding] = []
        unknown: list[str] = []
        for item in items:
            if isinstance(item, Finding):
                out.append(item)
                continue
            if cached is None:
                cached = self.cache.load()
            f = cached.get(str(item).strip())
            if f is None:
                unknown.append(str(item))
            else:
                out.append(f)
        if unknown:
            raise UnknownFingerprintError(unknown)
        return out

    def decide(self, findings_or_fingerprints: Iterable[Finding | str], decision: str, reason: str,
               author: str | None = None, expires: str | None = None, proposed: bool = False,
               source: str = "cli") -> list[str]:
        """Record one decision per finding; returns the decision ids (proposals when ``proposed``)."""
        findings = self.resolve(findings_or_fingerprints)
        recs = self.store.decide(findings, decision, reason, author=author, expires=expires,
                                 proposed=proposed, source=source)
        return [r["id"] for r in recs]

    def apply_suggestion(self, findings_or_fingerprints: Iterable[Finding | str], record_id: str,
                         author: str | None = None, proposed: bool = False, source: str = "cli") -> list[str]:
        """A person accepts "looks like the decision made for X — apply?": the same decision and
        reason become new instance decisions for these findings (noting where they came from)."""
        rec = self.store.get(record_id)
        decision = rec.get("decision")
        if rec.get("type") == "policy" or decision is None:
            raise DecisionError(f"{record_id} is not an instance decision")
        findings = self.resolve(findings_or_fingerprints)
        recs = self.store.decide(findings, decision, rec["reason"], author=author, expires=rec.get("expires"),
                                 proposed=proposed, source=source)
        for r in recs:
            self.store.files.update(r["id"], lambda d: {**d, "applied_from": record_id})
        return [r["id"] for r in recs]

    def add_policy(self, rules: list[str] | str, paths: str, reason: str, **kwargs: Any) -> dict[str, Any]:
        return self.store.add_policy([rules] if isinstance(rules, str) else rules, paths, reason, **kwargs)

    def policies(self) -> list[dict[str, Any]]:
        return self.store.policies()

    def suggestions(self) -> list[dict[str, Any]]:
        return suggest_policies(self.store.records())

    def suggestions_for(self, finding: dict[str, Any]) -> list[dict[str, Any]]:
        """Suggested policies (rule x path glob, from several similar decisions) that cover
        ``finding`` (its ``tool``, ``rule`` and workspace-relative ``path``)."""
        if not finding.get("path"):
            return []
        return [s for s in self.suggestions()
                if s.get("rule") == finding.get("rule") and s.get("tool") == finding.get("tool")
                and path_glob(s["paths"]).match(str(finding["path"]))]

    def proposals(self) -> list[dict[str, Any]]:
        return self.store.proposals()

    def confirm(self, record_id: str, author: str | None = None, paths: str | None = None) -> dict[str, Any]:
        return self.store.confirm(record_id, author=author, paths=paths)

    def reject(self, record_id: str, author: str | None = None) -> dict[str, Any]:
        return self.store.reject(record_id, author=author)

    # --- reporting ---------------------------------------------------------------------
    def last_findings(self) -> list[Finding]:
        return list(self.cache.load().values())

    def report(self, findings: list[Finding] | None = None) -> dict[str, Any]:
        """Totals, suppressed by reason, stale / expired / unseen decisions, proposals."""
        result = self.triage(self.last_findings() if findings is None else findings)
        records = self.store.records()
        reasons = Counter(s.reason or "" for s in result.statuses if s.status == "suppressed")
        now = now_iso()
        linked = {s.suggested_decision for s in result.statuses if s.suggested_decision}
        legacy = [r for r in records if r.get("type") == "legacy" and r.get("status") == "needs_review"]
        return {
            "generated": now,
            "summary": result.summary(),
            "suppressed_by_reason": [{"reason": r, "count": n}
                                     for r, n in sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0]))],
            "stale": [_brief(d) | {"finding": d["finding"]} for d in result.stale],
            "expired": [_brief(d) for d in result.expired],
            "unseen": [_brief(d) for d in result.unseen],
            "proposals": [_brief(d) for d in records if d.get("status") == "proposed"],
            "needs_review": [_brief(d) for d in legacy if d["id"] not in linked],
            "policies": [_brief(d) for d in records if d.get("type") == "policy" and d.get("status") == "confirmed"],
            "decision_status": result.decision_counts(),
            "decisions": _followed(result, records),
            "findings": [s.to_json() for s in result.statuses],
        }

    def sarif(self, findings: list[Finding] | None = None) -> dict[str, Any]:
        result = self.triage(self.last_findings() if findings is None else findings)
        return to_sarif(result.statuses)


def _brief(d: dict[str, Any]) -> dict[str, Any]:
    keys = ("id", "type", "status", "decision", "reason", "author", "date", "expires", "tool", "rule",
            "rules", "path", "paths", "scope", "line", "finding_hash", "source")
    return {k: d[k] for k in keys if k in d}


def _followed(result: TriageResult, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each instance decision's status today and how it was followed (for an audit)."""
    by_id = {r["id"]: r for r in records}
    out = []
    for rid, (status, via) in sorted(result.followed.items()):
        rec = by_id.get(rid, {})
        row: dict[str, Any] = {"id": rid, "status": status, "followed_by": via or None,
                               "rule": rec.get("rule"), "was": f"{rec.get('path')}:{rec.get('line')}"}
        place = result.places.get(rid)
        if place is not None and place.status != "gone":
            row["now"] = f"{place.path}:{place.line}"
        out.append(row)
    return out
