"""``teamlore security ...``: ingest or scan findings, triage decisions, policies, reports."""

from __future__ import annotations

import argparse
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from memory_store.duration import plural
from memory_store.jsonio import atomic_write_json
from memory_store.security.api import SecurityMemory, UnknownFingerprintError
from memory_store.security.decisions import DecisionError, is_expired
from memory_store.security.findings import ReportError
from memory_store.security.scanners import SCANNERS
from memory_store.security.triage import TriageResult
from server.cli.common import CliError, Context, add_json_flag, examples


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("security", help="security findings and the team's triage decisions",
                       epilog=examples("teamlore security scan", "teamlore security report"))
    ss = p.add_subparsers(dest="security_command", metavar="COMMAND", required=True,
                          parser_class=type(p))

    q = ss.add_parser("ingest", help="read bandit / semgrep JSON or SARIF reports and apply decisions",
                      epilog=examples("bandit -r src -f json -o bandit.json; teamlore security ingest bandit.json",
                                      "teamlore security ingest semgrep.sarif --json"))
    q.add_argument("reports", nargs="+", metavar="REPORT", help="a bandit or semgrep JSON report, or SARIF")
    add_json_flag(q)
    q.set_defaults(func=run_ingest)

    q = ss.add_parser("scan", help="run the installed scanners (bandit, semgrep, ruff) and apply decisions",
                      epilog=examples("teamlore security scan", "teamlore security scan src/ --tool bandit"))
    q.add_argument("paths", nargs="*", metavar="PATHS",
                   help="files or directories to scan (default: the whole workspace)")
    q.add_argument("--tool", action="append", choices=SCANNERS,
                   help="scanner to run (repeatable; default: bandit and semgrep, ruff without bandit)")
    add_json_flag(q)
    q.set_defaults(func=run_scan)

    q = ss.add_parser("decide", help="record a triage decision for findings of the last ingest/scan",
                      epilog=examples("teamlore security decide 0123abcd4567ef890123abcd --fixed --reason "
                                      "'patched'",
                                      "teamlore security decide FP1 FP2 --accepted-risk --reason vendored"))
    q.add_argument("fingerprints", nargs="+", metavar="FINGERPRINT",
                   help="a finding's fingerprint, as shown by scan, ingest or report")
    kind = q.add_mutually_exclusive_group(required=True)
    kind.add_argument("--false-positive", dest="decision", action="store_const", const="false_positive",
                      help="the finding is wrong: suppress it")
    kind.add_argument("--accepted-risk", dest="decision", action="store_const", const="accepted_risk",
                      help="real but accepted: suppress it")
    kind.add_argument("--true-positive", dest="decision", action="store_const", const="true_positive",
                      help="real and to be fixed: keep it visible")
    kind.add_argument("--fixed", dest="decision", action="store_const", const="fixed",
                      help="fixed in the code: record it, keep it visible if it comes back")
    q.add_argument("--reason", required=True, metavar="TEXT", help="why (required)")
    q.add_argument("--expires", metavar="DATE", help="stop suppressing after DATE (YYYY-MM-DD)")
    q.add_argument("--author", metavar="NAME", help="default: git config user.name")
    add_json_flag(q)
    q.set_defaults(func=run_decide)

    pol = ss.add_parser("policy", help="explicit rule x path-glob suppressions",
                        epilog=examples("teamlore security policy add --rule B101 --paths 'tests/**' "
                                        "--reason 'tests'", "teamlore security policy list"))
    ps = pol.add_subparsers(dest="policy_command", metavar="COMMAND", required=True, parser_class=type(p))
    q = ps.add_parser("add", help="add a policy",
                      epilog=examples("teamlore security policy add --rule B101 --paths 'tests/**' "
                                      "--reason 'tests'"))
    q.add_argument("--rule", action="append", required=True, help="rule id (repeatable), e.g. B101")
    q.add_argument("--paths", required=True, metavar="GLOB", help="path glob, e.g. 'tests/**'")
    q.add_argument("--reason", required=True, metavar="TEXT", help="why (required)")
    q.add_argument("--tool", metavar="NAME", help="only this scanner's rule (default: any)")
    q.add_argument("--accepted-risk", dest="decision", action="store_const", const="accepted_risk",
                   default="false_positive", help="record as accepted risk (default: false positive)")
    q.add_argument("--expires", metavar="DATE", help="stop suppressing after DATE (YYYY-MM-DD)")
    q.add_argument("--author", metavar="NAME", help="default: git config user.name")
    add_json_flag(q)
    q.set_defaults(func=run_policy_add)
    q = ps.add_parser("list", help="list policies", epilog=examples("teamlore security policy list --json"))
    add_json_flag(q)
    q.set_defaults(func=run_policy_list)

    q = ss.add_parser("suggest", help="policies suggested by several decisions sharing a rule and directory",
                      epilog=examples("teamlore security suggest"))
    add_json_flag(q)
    q.set_defaults(func=run_suggest)

    q = ss.add_parser("report", help="totals, suppressed by reason, stale and expired decisions",
                      epilog=examples("teamlore security report", "teamlore security report --sarif out.sarif"))
    add_json_flag(q)
    q.add_argument("--sarif", metavar="OUT", help="also write SARIF 2.1.0 with suppressions to OUT")
    q.set_defaults(func=run_report)

    q = ss.add_parser("proposals", help="decisions and policies waiting for a person's confirmation",
                      epilog=examples("teamlore security proposals"))
    add_json_flag(q)
    q.set_defaults(func=run_proposals)
    for name, helptext in (("confirm", "confirm a proposal (it then suppresses)"),
                           ("reject", "reject a proposal (it never suppresses)")):
        q = ss.add_parser(name, help=helptext,
                          epilog=examples(f"teamlore security {name} sd-0123456789abcdef"))
        q.add_argument("id", metavar="ID", help="the proposal's id, from `teamlore security proposals`")
        q.add_argument("--author", metavar="NAME", help="default: git config user.name")
        if name == "confirm":
            q.add_argument("--paths", metavar="GLOB", help="narrow a proposed policy's path glob")
        add_json_flag(q)
        q.set_defaults(func=run_confirm if name == "confirm" else run_reject)


def _memory(ctx: Context) -> SecurityMemory:
    return SecurityMemory(ctx.workspace)


def _print_findings(ctx: Context, result: TriageResult, notes: list[str] | None = None) -> None:
    if ctx.json:
        ctx.emit_json(result.to_json())
        return
    rows = []
    order = {"active": 0, "stale": 1, "suppressed": 2}
    for s in sorted(result.statuses, key=lambda s: (order[s.status], s.finding.path, s.finding.line, s.finding.rule,
                                                    s.finding.fingerprint)):
        f = s.finding
        note = s.reason if s.status != "active" else (s.suggestion or "")
        if s.status == "stale":
            note = f"re-review: {s.reason}"
        rows.append((f.fingerprint, s.status, f.severity, f"{f.tool} {f.rule}", f"{f.path}:{f.line}", f.message,
                     note))
    ctx.table("findings", ["fingerprint", "status", "severity", "rule", "where", "message", "note"], rows)
    summary = result.summary()
    ctx.out.print(f"{plural(summary['total'], 'finding')}: {summary['active']} active, {summary['stale']} stale, "
                  f"{summary['suppressed']} suppressed ({summary['noise_reduction_pct']}% noise reduction)")
    for note in notes or []:
        ctx.err.print(f"note: {note}")


def run_ingest(ctx: Context) -> int:
    mem = _memory(ctx)
    skipped: list[str] = []
    for report in ctx.args.reports:
        if not Path(report).is_file():
            raise CliError(f"report not found: {report}")
    try:
        result = mem.ingest(ctx.args.reports, skipped,
                            progress=lambda findings: ctx.progress(findings, "fingerprinting"),
                            map_progress=lambda commits: ctx.progress(commits, "following decisions"))
    except ReportError as exc:
        raise CliError(str(exc)) from None
    notes = [f"skipped {s}" for s in skipped]
    unlocated = sorted({s.finding.path for s in result.statuses if s.finding.extra.get("located") is False})
    if unlocated:
        notes.append(f"{plural(len(unlocated), 'file')} not found in the workspace (fingerprints there follow line "
                     f"numbers only): {', '.join(unlocated[:5])}{' ...' if len(unlocated) > 5 else ''}")
    _print_findings(ctx, result, notes)
    return 0


def _cli_path(ctx: Context, path: str) -> str:
    """A PATHS argument: relative to the current directory when it exists there, else to the root."""
    here = Path(path).resolve()
    if here.exists() and ctx.workspace.contains(here):
        return ctx.workspace.relative(here) or "."
    rel = ctx.workspace.relative(path)
    if not (ctx.workspace.root / rel).exists():
        raise CliError(f"path not found in the workspace: {path}")
    return rel or "."


def run_scan(ctx: Context) -> int:
    mem = _memory(ctx)
    paths = [_cli_path(ctx, p) for p in ctx.args.paths]
    result, scan = mem.scan(paths or None, ctx.args.tool,
                            progress=lambda tools: ctx.progress(tools, "scanning"),
                            map_progress=lambda commits: ctx.progress(commits, "following decisions"))
    if not scan.ran and not scan.errors:
        raise CliError("no scanner installed: install bandit (pip install 'teamlore[security]'), "
                       "ruff, or semgrep with a local .semgrep.yml")
    notes = [f"ran {', '.join(scan.ran) or 'nothing'}", *scan.errors, *scan.skipped]
    _print_findings(ctx, result, notes)
    return 1 if scan.errors and not scan.ran else 0


def run_decide(ctx: Context) -> int:
    mem = _memory(ctx)
    try:
        ids = mem.decide(ctx.args.fingerprints, ctx.args.decision, ctx.args.reason,
                         author=ctx.args.author, expires=ctx.args.expires)
    except UnknownFingerprintError as exc:
        raise CliError(str(exc)) from None
    except DecisionError as exc:
        raise CliError(str(exc)) from None
    if ctx.json:
        ctx.emit_json({"decisions": ids})
    else:
        for fp, rid in zip(ctx.args.fingerprints, ids, strict=True):
            ctx.out.print(f"{fp} -> {rid} ({ctx.args.decision})")
    return 0


def _policy_rows(policies: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [(p["id"], p.get("status"), ", ".join(p.get("rules", [])), p.get("paths"), p.get("tool") or "any",
             p.get("decision"), p.get("reason"), p.get("author"), p.get("expires") or "") for p in policies]


_POLICY_COLUMNS = ["id", "status", "rules", "paths", "tool", "decision", "reason", "author", "expires"]


def run_policy_add(ctx: Context) -> int:
    try:
        rec = _memory(ctx).add_policy(ctx.args.rule, ctx.args.paths, ctx.args.reason, decision=ctx.args.decision,
                                      tool=ctx.args.tool, author=ctx.args.author, expires=ctx.args.expires)
    except DecisionError as exc:
        raise CliError(str(exc)) from None
    if ctx.json:
        ctx.emit_json({"id": rec["id"], "policy": rec})
    else:
        ctx.out.print(f"policy {rec['id']}: {', '.join(rec['rules'])} in {rec['paths']} ({rec['reason']})")
    return 0


def run_policy_list(ctx: Context) -> int:
    policies = _memory(ctx).policies()
    if ctx.json:
        ctx.emit_json({"policies": policies})
    elif not policies:
        ctx.out.print("no policies yet (add one with `teamlore security policy add`)")
    else:
        ctx.table(plural(len(policies), "policy", "policies"), _POLICY_COLUMNS, _policy_rows(policies))
    return 0


def run_suggest(ctx: Context) -> int:
    suggestions = _memory(ctx).suggestions()
    if ctx.json:
        ctx.emit_json({"suggestions": suggestions})
        return 0
    if not suggestions:
        ctx.out.print("no suggestions: no rule has several decisions in one directory without a policy")
        return 0
    ctx.table("suggested policies (nothing is applied until you add it)",
              ["tool", "rule", "paths", "decisions", "reason", "command"],
              [(s["tool"], s["rule"], s["paths"], s["count"], s["reason"], s["command"]) for s in suggestions])
    return 0


def run_report(ctx: Context) -> int:
    mem = _memory(ctx)
    report = mem.report()
    if ctx.args.sarif:
        out = Path(ctx.args.sarif)
        if out.parent and not out.parent.is_dir():
            raise CliError(f"--sarif: directory does not exist: {out.parent}")
        atomic_write_json(out, mem.sarif())
    if ctx.json:
        ctx.emit_json(report)
        return 0
    s = report["summary"]
    if not mem.cache.path.exists():
        ctx.out.print("no findings yet: run `teamlore security scan` or `teamlore security ingest REPORT`")
    ctx.table("totals", ["total", "active", "stale", "suppressed", "noise reduction"],
              [(s["total"], s["active"], s["stale"], s["suppressed"], f"{s['noise_reduction_pct']}%")])
    if report["suppressed_by_reason"]:
        ctx.table("suppressed by reason", ["reason", "findings"],
                  [(r["reason"], r["count"]) for r in report["suppressed_by_reason"]])
    if report["stale"]:
        ctx.table("stale decisions (flagged code changed: re-review)", ["decision", "rule", "was", "reason", "finding"],
                  [(d["id"], d.get("rule"), f"{d.get('path')}:{d.get('line')}", d.get("reason"), d["finding"])
                   for d in report["stale"]])
    if report["expired"]:
        ctx.table("expired decisions (no longer suppress)", ["id", "type", "rule", "where", "expired", "reason"],
                  [(d["id"], d.get("type"), d.get("rule") or ", ".join(d.get("rules", [])),
                    d.get("path") or d.get("paths"), d.get("expires"), d.get("reason")) for d in report["expired"]])
    counts = report["decision_status"]
    if any(counts.values()):
        ctx.table("decisions today (followed through history)", list(counts), [tuple(counts.values())])
    gone = [d for d in report["decisions"] if d["status"] == "gone"]
    if gone:
        ctx.table("gone decisions (the decided code was deleted; never reused)", ["decision", "rule", "was"],
                  [(d["id"], d.get("rule"), d.get("was")) for d in gone])
    if report["proposals"]:
        ctx.out.print(f"{plural(len(report['proposals']), 'proposal awaits', 'proposals await')} confirmation: "
                      "teamlore security proposals")
    if report["needs_review"]:
        ctx.table("imported decisions needing review (no finding links to them)", ["id", "hash", "reason"],
                  [(d["id"], d.get("finding_hash"), d.get("reason")) for d in report["needs_review"]])
    if ctx.args.sarif:
        ctx.out.print(f"SARIF written to {ctx.args.sarif}")
    return 0


def run_proposals(ctx: Context) -> int:
    proposals = _memory(ctx).proposals()
    if ctx.json:
        ctx.emit_json({"proposals": proposals})
        return 0
    if not proposals:
        ctx.out.print("no proposals")
        return 0
    now = datetime.now(timezone.utc)
    ctx.table("proposals (suppress nothing until confirmed)",
              ["id", "type", "what", "decision", "reason", "author", "expires"],
              [(p["id"], p["type"],
                f"{p.get('rule')} {p.get('path')}:{p.get('line')}" if p["type"] == "decision"
                else f"{', '.join(p.get('rules', []))} in {p.get('paths')}" if p["type"] == "policy"
                else f"seed hash {p.get('finding_hash')}",
                p.get("decision"), p.get("reason"), p.get("author"),
                (p.get("expires") or "") + (" (expired)" if is_expired(p, now) else "")) for p in proposals])
    return 0


def _set_status(ctx: Context, confirm: bool) -> int:
    mem = _memory(ctx)
    try:
        if confirm:
            rec = mem.confirm(ctx.args.id, author=ctx.args.author, paths=ctx.args.paths)
        else:
            rec = mem.reject(ctx.args.id, author=ctx.args.author)
    except DecisionError as exc:
        raise CliError(str(exc)) from None
    if ctx.json:
        ctx.emit_json({"id": rec["id"], "status": rec["status"]})
    else:
        ctx.out.print(f"{rec['id']}: {rec['status']}")
    return 0


def run_confirm(ctx: Context) -> int:
    return _set_status(ctx, True)


def run_reject(ctx: Context) -> int:
    return _set_status(ctx, False)
