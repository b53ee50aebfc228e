"""``teamlore debt``: scan, backfill, import and report technical-debt markers."""

from __future__ import annotations

import argparse
from datetime import datetime, timezone
from typing import Any

from memory_store.debt.config import DebtConfigError, load_config
from memory_store.debt.files import GitError, head_commit, is_git_repo, scan_tree
from memory_store.debt.snapshots import SnapshotStore, build_snapshot
from server.cli.common import CliError, Context, positive_int

TOP_FILES = 10


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("debt", help="technical-debt markers: scan, history, forecast")
    dsub = p.add_subparsers(dest="debt_command", metavar="ACTION", required=True,
                            parser_class=type(p))

    scan = dsub.add_parser("scan", help="count markers in the working tree now")
    scan.add_argument("--save", action="store_true", help="write a snapshot")
    scan.add_argument("--json", action="store_true", help="machine-readable output")
    scan.add_argument("--top", type=positive_int, default=TOP_FILES, help="files to list")
    scan.set_defaults(func=run_scan)


def _markers(ctx: Context) -> tuple[str, ...]:
    try:
        return load_config(ctx.workspace).markers
    except DebtConfigError as exc:
        raise CliError(str(exc)) from None


def run_scan(ctx: Context) -> int:
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
        rec = build_snapshot(result, date=datetime.now(timezone.utc), commit=commit,
                             source="scan", markers=markers)
        path = SnapshotStore(ctx.workspace).save(rec)
        out["snapshot"] = ctx.workspace.relative(path)
    if ctx.json:
        ctx.emit_json(out)
        return 0
    by = ", ".join(f"{m} {n}" for m, n in out["by_marker"].items())
    ctx.out.print(f"{result.total} markers in {len(result.files)} of {result.considered} files ({by})")
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
