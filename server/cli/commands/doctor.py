"""``teamlore doctor``: list memory files and settings that cannot be used; exit 1 when there are any.

It also lists the committed settings that wait for the user's consent (``teamlore allow``):
they are not a fault, so they do not change the exit code.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from memory_store.config import load_project_config
from memory_store.doctor import check_memory
from memory_store.jsonio import MemoryFileError, read_bounded
from server.cli.common import Context, add_json_flag, examples


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("doctor", help="check every memory file and setting; list the unusable ones",
                       epilog=examples("teamlore doctor", "teamlore doctor --json"))
    add_json_flag(p)
    p.set_defaults(func=run)


def _has_conflict_markers(path: Path) -> bool:
    """An unreadable memory file left by a merge made without teamlore's merge driver."""
    try:
        raw = read_bounded(path)
    except (OSError, MemoryFileError):
        return False
    return raw.startswith(b"<<<<<<< ") or b"\n<<<<<<< " in raw


def run(ctx: Context) -> int:
    report = check_memory(ctx.workspace)
    config = load_project_config(ctx.workspace)
    if ctx.json:
        ctx.emit_json({"root": str(ctx.workspace.root), "counts": report.counts,
                       "problems": [p.to_json(ctx.workspace.root) for p in report.problems],
                       "private_paths": [p.to_json(ctx.workspace.root) for p in report.private_paths],
                       "config_problems": [{"source": p.source, "key": p.key, "message": p.message}
                                           for p in config.problems],
                       "withheld_settings": [{"key": w.key, "value": w.value, "why": w.why}
                                             for w in config.withheld]})
    else:
        ctx.out.print(f"memory: {ctx.workspace.store}")
        ctx.table(None, ["kind", "readable files"], sorted(report.counts.items()))
        if report.problems:
            ctx.table(f"problems in the memory: {len(report.problems)} (files left untouched)",
                      ["file", "line", "reason"],
                      [(p.to_json(ctx.workspace.root)["path"], p.line or "", p.reason) for p in report.problems])
        if report.private_paths:
            ctx.table(f"absolute paths in records written before paths were stored relative: "
                      f"{len(report.private_paths)} (not a fault; left as they are)", ["file", "field and path"],
                      [(p.to_json(ctx.workspace.root)["path"], p.reason) for p in report.private_paths])
        if config.problems:
            ctx.table(f"unusable settings: {len(config.problems)} (defaults used)", ["file", "setting", "problem"],
                      [(p.source, p.key, p.message) for p in config.problems])
        if config.withheld:
            ctx.table("committed settings ignored until you run `teamlore allow`", ["setting", "value", "it would"],
                      [(w.key, json.dumps(w.value, ensure_ascii=True), w.why) for w in config.withheld])
        conflicted = [p.path for p in report.problems if _has_conflict_markers(p.path)]
        if conflicted:
            ctx.out.print(f"{len(conflicted)} of these hold git conflict markers: run `teamlore merge-resolve` "
                          "(and `teamlore init` once, so later merges need no help)")
        if not report.problems and not config.problems:
            ctx.out.print("no problems found")
    return 1 if report.problems or config.problems else 0
