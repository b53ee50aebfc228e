"""``teamlore allow`` / ``teamlore deny``: consent to a repository's committed settings.

The repository's ``.teamlore/config.toml`` is written by whoever can commit; the settings
in it that connect somewhere, run a program or touch files outside the repository are
ignored until the user reviews and allows them here. Consent is stored in the user's
config directory, keyed by the repository and a hash of the values (any change asks again).
"""

from __future__ import annotations

import argparse
import json

from memory_store import trust
from memory_store.config import BY_DOTTED, ProjectConfig, allow_repository, load_project_config
from server.cli.common import Context, add_json_flag, examples


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "allow", help="allow this repository's committed settings that connect, run programs or leave the repository",
        description="Show the settings in .teamlore/config.toml that need your consent (a sync server, the "
                    "scanners to run, a memory directory elsewhere, agents' authority), and allow exactly these "
                    "values for this repository. A later change to any of them is ignored until allowed again.",
        epilog=examples("teamlore allow --show   # review first", "teamlore allow", "teamlore deny"),
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--show", action="store_true", help="only show what would be allowed; change nothing")
    add_json_flag(p)
    p.set_defaults(func=run_allow)
    d = sub.add_parser("deny", help="withdraw the consent given with `teamlore allow` for this repository",
                       epilog=examples("teamlore deny", "teamlore deny --json"))
    add_json_flag(d)
    d.set_defaults(func=run_deny)


def _rows(config: ProjectConfig) -> list[tuple[str, str, str]]:
    return [(key, json.dumps(value, ensure_ascii=False), BY_DOTTED[key].gated or "")
            for key, value in sorted(config.committed_gated.items())]


def run_allow(ctx: Context) -> int:
    before = load_project_config(ctx.workspace)
    if not before.committed_gated:
        if ctx.json:
            ctx.emit_json({"root": str(ctx.workspace.root), "allowed": False, "settings": {}})
        else:
            ctx.out.print("nothing to allow: this repository's .teamlore/config.toml sets no setting that needs "
                          "consent")
        return 0
    if ctx.args.show:
        if ctx.json:
            ctx.emit_json({"root": str(ctx.workspace.root), "allowed": before.allowed,
                           "settings": dict(before.committed_gated), "digest": trust.digest(before.committed_gated)})
        else:
            state = "allowed" if before.allowed else "not allowed"
            ctx.table(f"committed settings that need consent ({state})", ["setting", "value", "what it does"],
                      _rows(before))
        return 0
    after = allow_repository(ctx.workspace)
    if ctx.json:
        ctx.emit_json({"root": str(ctx.workspace.root), "allowed": after.allowed,
                       "settings": dict(after.committed_gated), "digest": trust.digest(after.committed_gated)})
    else:
        ctx.table("allowed for this repository", ["setting", "value", "what it does"], _rows(after))
        ctx.out.print(f"consent recorded in {trust.user_config_dir() / trust.ALLOWED_NAME}; "
                      "`teamlore deny` withdraws it")
    return 0


def run_deny(ctx: Context) -> int:
    found = trust.revoke(ctx.workspace.root)
    if ctx.json:
        ctx.emit_json({"root": str(ctx.workspace.root), "revoked": found})
    else:
        ctx.out.print("consent withdrawn: committed settings that need consent are ignored again" if found
                      else "this repository had no consent to withdraw")
    return 0
