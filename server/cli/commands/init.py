"""``teamlore init``, ``teamlore merge-file`` and ``teamlore merge-resolve``: memory that git merges.

``init`` sets up the git merge driver for this repository; git then runs ``merge-file`` for
every memory record both sides changed. ``merge-resolve`` resolves the memory conflicts of a
merge made before the driver was set up (or in a clone where ``init`` was not run).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from memory_store.duration import plural
from memory_store.merge import MergeRefused, merge_files
from memory_store.merge_driver import MergeSetupError, resolve_conflicts, set_up
from memory_store.workspace import UnsafePathError
from server.cli.common import CliError, Context, add_json_flag, examples
from server.cli.editor_setup import editor_snippets, snippet_lines


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "init", help="set up this repository so git merges memory records without conflicts",
        description="Create .teamlore/, add the line `.teamlore/**/*.json merge=teamlore` to the repository's "
                    ".gitattributes (commit it) and configure the teamlore merge driver in the repository's "
                    "local git config (.git/config), then print how Neovim and VS Code start this teamlore's "
                    "language server. Run it once per clone; running it again changes nothing.",
        epilog=examples("teamlore init && git add .gitattributes && git commit -m teamlore",
                        "teamlore init --json"),
        formatter_class=argparse.RawDescriptionHelpFormatter)
    add_json_flag(p)
    p.set_defaults(func=run_init)

    m = sub.add_parser(
        "merge-file", help="git merge driver: merge three versions of one memory record",
        description="Merge BASE (the common version; empty when both sides added the file), OURS and THEIRS "
                    "into OURS. Exit 0 when merged; exit 1, leaving OURS unchanged, when a version cannot be "
                    "read as a teamlore record (git then reports an ordinary conflict). Set up by `teamlore init`.",
        epilog=examples("teamlore merge-file %O %A %B %P   # what git runs (set up by teamlore init)"),
        formatter_class=argparse.RawDescriptionHelpFormatter)
    m.add_argument("base", metavar="BASE", help="the common ancestor's version (git's %%O)")
    m.add_argument("ours", metavar="OURS", help="this branch's version, overwritten with the result (git's %%A)")
    m.add_argument("theirs", metavar="THEIRS", help="the other branch's version (git's %%B)")
    m.add_argument("path", metavar="PATH", nargs="?", help="the file's path in the repository (git's %%P)")
    add_json_flag(m)
    m.set_defaults(func=run_merge_file)

    r = sub.add_parser(
        "merge-resolve", help="resolve the conflicted memory files of a merge made without the merge driver",
        description="For every conflicted .teamlore/**/*.json file, merge the versions git keeps in its index "
                    "with the rules of `teamlore merge-file`, write the result and stage it. Files that cannot be "
                    "merged safely stay conflicted and are listed; exit 1 when there are any.",
        epilog=examples("git merge feature   # CONFLICT (add/add): .teamlore/bugs/...",
                        "teamlore merge-resolve && git commit --no-edit"),
        formatter_class=argparse.RawDescriptionHelpFormatter)
    add_json_flag(r)
    r.set_defaults(func=run_merge_resolve)


def run_init(ctx: Context) -> int:
    try:
        report = set_up(ctx.workspace)
    except (MergeSetupError, UnsafePathError, OSError) as exc:
        raise CliError(str(exc)) from None
    editors = editor_snippets()
    if ctx.json:
        ctx.emit_json({"root": str(ctx.workspace.root), "store": str(ctx.workspace.store),
                       "gitattributes": str(report.gitattributes), "attributes_added": report.attributes_added,
                       "driver": report.driver, "driver_changed": report.driver_changed, "editors": editors})
        return 0
    ctx.out.print(f"memory: {ctx.workspace.store}")
    ctx.out.print(f"{report.gitattributes}: " + ("merge line added (commit it)" if report.attributes_added
                                                 else "already marks the memory files"))
    ctx.out.print("merge driver " + ("configured" if report.driver_changed else "already configured")
                  + f" in .git/config: {report.driver}")
    for line in snippet_lines(editors):
        ctx.out.print(line)
    return 0


def run_merge_file(ctx: Context) -> int:
    args = ctx.args
    label = args.path or args.ours
    try:
        merged = merge_files(Path(args.base), Path(args.ours), Path(args.theirs),
                             Path(args.path) if args.path else None)
    except MergeRefused as exc:
        reason = str(exc)
    except Exception as exc:  # a merge driver must never crash a merge: report a conflict instead
        reason = f"unexpected error ({type(exc).__name__}: {exc})"
    else:
        if ctx.json:
            ctx.emit_json({"path": label, "merged": True, "id": merged.get("id")})
        return 0
    if ctx.json:
        ctx.emit_json({"path": label, "merged": False, "reason": reason})
    else:
        ctx.err.print(f"teamlore merge-file: {label}: {reason}; left as a conflict")
    return 1


def run_merge_resolve(ctx: Context) -> int:
    try:
        report = resolve_conflicts(ctx.workspace)
    except (MergeSetupError, UnsafePathError, OSError) as exc:
        raise CliError(str(exc)) from None
    if ctx.json:
        ctx.emit_json({"root": str(ctx.workspace.root), "resolved": report.resolved,
                       "left": [{"path": p, "reason": why} for p, why in report.left]})
    else:
        for path in report.resolved:
            ctx.out.print(f"merged and staged: {path}")
        if report.left:
            ctx.table(f"{plural(len(report.left), 'conflicted memory file')} left for you", ["file", "reason"],
                      report.left)
        if not report.resolved and not report.left:
            ctx.out.print("no conflicted memory files")
    return 1 if report.left else 0
