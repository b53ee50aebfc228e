"""``teamlore import-empathy PATTERNS_DIR``: migrate the seed tool's memory."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from memory_store.seed_import.patterns import PARTS, NotAPatternsDir, import_patterns
from server.cli.common import CliError, Context, add_json_flag, examples


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("import-empathy", help="import the memory of empathy-framework (its patterns/ directory)",
                       epilog=examples("teamlore import-empathy ../old-repo/patterns",
                                       "teamlore import-empathy ../old-repo --json"))
    p.add_argument("patterns_dir", metavar="PATTERNS_DIR",
                   help="the seed tool's patterns/ directory, or a directory containing it")
    add_json_flag(p)
    p.set_defaults(func=run)


def run(ctx: Context) -> int:
    source = Path(ctx.args.patterns_dir)
    if not source.is_dir():
        raise CliError(f"not a directory: {ctx.args.patterns_dir}")
    try:
        report = import_patterns(ctx.workspace, source, progress=lambda files: ctx.progress(files, "bugs"))
    except NotAPatternsDir as exc:
        raise CliError(str(exc)) from None
    if ctx.json:
        ctx.emit_json(report)
        return 0
    _print(ctx, report)
    return 0


def _print(ctx: Context, report: dict[str, Any]) -> None:
    bugs = report["bugs"]
    totals = report["totals"]
    still_open = f"{bugs['open']} of them still open (no fix yet)" if bugs["open"] else ""
    rows = [("bug records", bugs["imported"], still_open)]
    for part in PARTS:
        info = report[part.name]
        status = info["status"]
        if status == "imported":
            counts = ", ".join(f"{k}: {v if not isinstance(v, list) else len(v)}" for k, v in info["counts"].items())
            rows.append((part.relpath, "imported", counts))
        elif status == "pending":
            rows.append((part.relpath, "pending", f"kept in {info['kept']} ({info['reason']})"))
        elif status == "skipped":
            rows.append((part.relpath, "skipped", info["reason"]))
        else:
            rows.append((part.relpath, "absent", ""))
    ctx.table(f"import from {report['source']}", ["what", "result", "notes"], rows)
    pending = f", pending: {', '.join(totals['pending'])}" if totals["pending"] else ""
    ctx.out.print(f"imported {totals['imported']}, skipped {totals['skipped']}, "
                  f"needing review {totals['needs_review']}{pending}")
    if bugs["skipped"]:
        ctx.table("skipped", ["file", "reason"], [(s["file"], s["reason"]) for s in bugs["skipped"]])
    if bugs["review"]:
        ctx.table("needs review", ["record", "file", "why"],
                  [(r["id"], r["file"], "; ".join(r["reasons"])) for r in bugs["review"]])
