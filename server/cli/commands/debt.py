"""``teamlore debt``: scan, backfill, import and report technical-debt markers."""

from __future__ import annotations

import argparse
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from memory_store.config import load_project_config
from memory_store.duration import plural
from server.cli.common import CliError, Context, add_json_flag, examples, positive_int, read_text_arg
from server.cli.console import literal

TOP_FILES = 10


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("debt", help="technical-debt markers: scan, history, forecast",
                       epilog=examples("teamlore debt backfill --since 12m", "teamlore debt report"))
    dsub = p.add_subparsers(dest="debt_command", metavar="COMMAND", required=True,
                            parser_class=type(p))

    scan = dsub.add_parser("scan", help="count markers in the working tree now",
                           epilog=examples("teamlore debt scan", "teamlore debt scan --save --json"))
    scan.add_argument("--save", action="store_true", help="write a snapshot")
    add_json_flag(scan)
    scan.add_argument("--top", type=positive_int, default=TOP_FILES, metavar="N",
                      help=f"files to list (default {TOP_FILES})")
    scan.set_defaults(func=run_scan)

    back = dsub.add_parser("backfill", help="snapshots of past commits, straight from git objects",
                           epilog=examples("teamlore debt backfill", "teamlore debt backfill --since 52w --every week"))
    back.add_argument("--since", default="24m", metavar="WHEN",
                      help="how far back: 24m, 52w, 90d, 2y or a date (default 24m)")
    back.add_argument("--every", choices=("month", "week"), default="month", help="snapshot spacing")
    add_json_flag(back)
    back.set_defaults(func=run_backfill)

    imp = dsub.add_parser("import", help="import debt history: the seed's debt_history.json "
                                         "or CSV date,count[,MARKER...]",
                          epilog=examples("teamlore debt import patterns/tech_debt/debt_history.json",
                                          "teamlore debt import history.csv --json"))
    imp.add_argument("file", metavar="FILE", help="debt_history.json, or CSV with a date,count header; - for stdin")
    add_json_flag(imp)
    imp.set_defaults(func=run_import)

    rep = dsub.add_parser("report", help="trajectory, backtested forecast, growing files, oldest markers",
                          epilog=examples("teamlore debt report", "teamlore debt report --horizon 60 --chart debt.svg",
                                          "teamlore debt report --json"))
    rep.add_argument("--horizon", type=positive_int, metavar="DAYS", help="forecast horizon (default 30/90/180)")
    add_json_flag(rep)
    rep.add_argument("--chart", metavar="FILE", help="also draw a chart (.svg or .png; needs teamlore[charts])")
    rep.add_argument("--no-blame", action="store_true", help="date the oldest markers by snapshots only")
    rep.set_defaults(func=run_report)


def _markers(ctx: Context) -> tuple[str, ...]:
    return load_project_config(ctx.workspace).debt.markers


def run_scan(ctx: Context) -> int:
    # The debt modules are imported by the commands that use them: every other command starts without them.
    from memory_store.debt.files import GitError, has_local_changes, head_commit, is_git_repo, scan_tree
    from memory_store.debt.report import marker_counts
    from memory_store.debt.snapshots import SnapshotStore, build_snapshot

    markers = _markers(ctx)
    root = ctx.workspace.root
    try:
        result = scan_tree(root, markers)
        commit = head_commit(root) if is_git_repo(root) else None
    except GitError as exc:
        raise CliError(str(exc)) from None
    top = sorted(result.files.items(), key=lambda kv: (-len(kv[1]), kv[0]))[: ctx.args.top]
    out: dict[str, Any] = {
        "total": result.total,
        "by_marker": {m: 0 for m in markers} | result.by_marker(),
        "files_with_markers": len(result.files),
        "files_considered": result.considered,
        "commit": commit,
        "top_files": [{"path": p, "count": len(items),
                       "by_marker": _count_markers(items)} for p, items in top],
    }
    if ctx.args.save:
        extra = {"dirty": has_local_changes(root)} if commit else None
        rec = build_snapshot(result, date=datetime.now(timezone.utc), commit=commit,
                             source="scan", markers=markers, extra=extra)
        path = SnapshotStore(ctx.workspace).save(rec)
        out["snapshot"] = ctx.workspace.relative(path)
    if ctx.json:
        ctx.emit_json(out)
        return 0
    by = marker_counts(out["by_marker"])
    ctx.out.print(f"{plural(result.total, 'marker')} in {len(result.files)} of {plural(result.considered, 'file')}"
                  + (f" ({by})" if by else ""))
    if top:
        ctx.table("files with most markers", ["file", "markers", *markers],
                  [(r["path"], r["count"], *(r["by_marker"].get(m, 0) for m in markers))
                   for r in out["top_files"]])
    if "snapshot" in out:
        ctx.out.print(f"snapshot saved: {out['snapshot']}")
    return 0


def _count_markers(items: list) -> dict[str, int]:
    counts: dict[str, int] = {}
    for m in items:
        counts[m.marker] = counts.get(m.marker, 0) + 1
    return counts


def run_backfill(ctx: Context) -> int:
    from memory_store.debt.backfill import backfill, parse_since
    from memory_store.debt.files import GitError, is_git_repo

    markers = _markers(ctx)
    now = datetime.now(timezone.utc)
    try:
        since = parse_since(ctx.args.since, now)
    except ValueError as exc:
        raise CliError(str(exc)) from None
    if not is_git_repo(ctx.workspace.root):
        raise CliError(f"backfill needs a git repository: {ctx.workspace.root}")
    try:
        summary = backfill(ctx.workspace, markers, since=since, every=ctx.args.every, now=now,
                           progress=ctx.progress)
    except GitError as exc:
        raise CliError(str(exc)) from None
    if ctx.json:
        ctx.emit_json(summary)
    else:
        ctx.out.print(f"{plural(summary['added'], 'snapshot')} added, {summary['existing']} already there "
                      f"({summary['planned']} planned since {since.date()}, one every {ctx.args.every}; "
                      f"{plural(summary['blobs_read'], 'file version')} read)")
    return 0


def run_import(ctx: Context) -> int:
    from memory_store.seed_import.debt_history import (
        ImportFormatError,
        import_csv,
        import_empathy_history,
        parse_history_json,
    )

    text = read_text_arg(ctx.args.file, "debt history")
    name = ctx.args.file
    try:
        if text.lstrip().startswith(("{", "[")):
            summary = import_empathy_history(ctx.workspace, parse_history_json(text, name))
        else:
            summary = import_csv(ctx.workspace, text, name)
    except ImportFormatError as exc:
        raise CliError(f"{name}: {exc}" if not str(exc).startswith(name) else str(exc)) from None
    if ctx.json:
        ctx.emit_json(summary)
    else:
        ctx.out.print(f"{plural(summary['imported'], 'snapshot')} imported, {summary['existing']} already there, "
                      f"{len(summary['skipped'])} skipped")
        for s in summary["skipped"]:
            ctx.out.print(f"  skipped entry {s['index']}: {s['reason']}")
    return 0


def run_report(ctx: Context) -> int:
    from memory_store.debt.chart import ChartUnavailable, write_chart
    from memory_store.debt.report import NoHistory, build_report

    try:
        report = build_report(ctx.workspace, horizon=ctx.args.horizon, blame=not ctx.args.no_blame)
    except NoHistory as exc:  # nothing to report is not a usage error (like `git log` on no commits)
        if ctx.json:
            ctx.emit_json({"snapshots": 0, "message": str(exc)})
        else:
            ctx.out.print(str(exc))
        return 0
    if ctx.args.chart:
        try:
            report["chart"] = str(write_chart(report, Path(ctx.args.chart)))
        except (ChartUnavailable, ValueError) as exc:
            raise CliError(str(exc)) from None
        except OSError as exc:
            raise CliError(f"cannot write chart {ctx.args.chart}: {exc.strerror or exc}") from None
    if ctx.json:
        ctx.emit_json(report)
        return 0
    _print_report(ctx, report)
    return 0


def _or_na(x: Any) -> Any:
    return "n/a" if x is None else x


def _num(x: float | None) -> str:
    return "n/a" if x is None else f"{x:+.1f}"


def _print_report(ctx: Context, r: dict[str, Any]) -> None:
    from memory_store.debt.report import backtest_error, coverage_text, marker_counts

    by = marker_counts(r["by_marker"])
    ctx.out.print(literal(r["current"], style="bold")
                  + literal(f" {'marker' if r['current'] == 1 else 'markers'} as of {r['as_of'][:10]}"
                            + (f" ({by})" if by else "")))
    ctx.out.print(f"{r['sparkline']}  {plural(r['snapshots'], 'snapshot')} since {r['first'][:10]}")
    ctx.out.print(f"change per month: {_num(r['monthly_change'])} recent (90 days), "
                  f"{_num(r['monthly_change_long_run'])} long-run")
    ctx.out.print(f"method: {r['method']} - {r['note']}")
    if not r["insufficient_history"]:
        ctx.out.print(f"backtest error: {backtest_error(r)}")
    ctx.table("forecast (80% prediction interval)", ["in", "forecast", "low", "high"],
              [(f"{f['days']} days", f"{f['value']:.0f}", f"{f['low']:.0f}", f"{f['high']:.0f}")
               for f in r["forecast"]])
    ctx.out.print(literal(f"doubling: {r['doubling']}", style="bold yellow" if r.get("doubling_likely") else ""))
    cands = r["backtest"].get("candidates") or []
    if cands:
        days = list(cands[0]["mae"])
        ctx.table("backtest (mean absolute error by horizon; relative to no change)",
                  ["method", *[f"MAE {d} d" for d in days], "relative", "80% coverage"],
                  [(c["method"] + (" (chosen)" if c["method"] == r["method"] else "")
                    + ("" if c["selectable"] else " (reference)"),
                    *[_or_na(c["mae"][d]) for d in days], _or_na(c["relative_mae"]),
                    coverage_text(c["coverage_80"])) for c in cands])
    g = r["growing_files"]
    if g["files"]:
        ctx.table(f"growing fastest since {(g['since'] or '')[:10]}", ["file", "before", "now", "change"],
                  [(f["path"], f["before"], f["now"], f"{f['change']:+d}") for f in g["files"]])
    sp = r["since_previous"]
    if sp["previous"]:
        ctx.out.print(f"since the previous snapshot ({sp['previous'][:10]}): "
                      f"{sp['added']} added, {sp['resolved']} resolved")
        rows = [("added", i["path"], i["text"]) for i in sp["added_items"][:10]]
        rows += [("resolved", i["path"], i["text"]) for i in sp["resolved_items"][:10]]
        if rows:
            ctx.table(None, ["", "file", "marker"], rows)
    old = r["oldest"]
    if old["markers"]:
        how = (f"git blame of {old['blamed_files']} of {old['files']} files, first snapshot seen for the rest"
               if old["blamed_files"] else "first snapshot that saw them")
        ctx.table(f"oldest markers (dated by {how})", ["since", "file", "line", "marker", "dated by"],
                  [(o["since"][:10], o["path"], o["line"], o["text"], o["dated_by"]) for o in old["markers"]])
    if r.get("chart"):
        ctx.out.print(f"chart written: {r['chart']}")
