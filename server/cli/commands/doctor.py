"""``teamlore doctor``: list memory files that cannot be read, exit 1 when there are any."""

from __future__ import annotations

import argparse

from memory_store.health import check_memory
from server.cli.common import Context


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("doctor", help="check every memory file; list the unreadable ones")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=run)


def run(ctx: Context) -> int:
    report = check_memory(ctx.workspace)
    if ctx.json:
        ctx.emit_json({"root": str(ctx.workspace.root), "counts": report.counts,
                       "problems": [p.to_json(ctx.workspace.root) for p in report.problems]})
    else:
        ctx.out.print(f"memory: {ctx.workspace.store}")
        ctx.table(None, ["kind", "readable files"], sorted(report.counts.items()))
        if report.problems:
            ctx.table(f"{len(report.problems)} unreadable file(s) (left untouched)", ["file", "line", "reason"],
                      [(p.to_json(ctx.workspace.root)["path"], p.line or "", p.reason) for p in report.problems])
        else:
            ctx.out.print("no problems found")
    return 1 if report.problems else 0
