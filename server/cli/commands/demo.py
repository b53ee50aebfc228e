"""``teamlore demo``: the whole loop on realistic sample data, in a throwaway workspace.

The demo is a list of steps (:data:`STEPS`). Each step is a function taking the
:class:`Demo` (workspace, console, shared state) and printing what it shows; to extend
the demo, write another ``step_*`` function and add it to ``STEPS``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console

from memory_store.bugs import capture
from memory_store.bugs.records import BugStore
from memory_store.duration import format_minutes
from memory_store.workspace import Workspace
from server.cli.common import CliError, Context

DEMO_AUTHOR = "Dana Demo"

FIRST_OCCURRENCE = """\
Traceback (most recent call last):
  File "/home/dana/src/shop/.venv/lib/python3.11/site-packages/flask/app.py", line 1484, in full_dispatch_request
    rv = self.dispatch_request()
  File "/home/dana/src/shop/shop/api/orders.py", line 42, in create_order
    customer = db.fetch_customer(payload["customer_id"])
  File "/home/dana/src/shop/shop/db.py", line 88, in fetch_customer
    conn = psycopg2.connect(DATABASE_URL, connect_timeout=3)
  File "/home/dana/src/shop/.venv/lib/python3.11/site-packages/psycopg2/__init__.py", line 122, in connect
    conn = _connect(dsn, connection_factory=connection_factory, **kwasync)
psycopg2.OperationalError: connection to server at "localhost" (127.0.0.1), port 5432 failed: Connection refused
\tIs the server running on that host and accepting TCP/IP connections?
"""

FIX_TEXT = "Start the database first: `docker compose up -d db` (the dev server no longer starts it)"
ROOT_CAUSE = "Postgres container not running after the compose file split"

NEW_OCCURRENCE = """\
Traceback (most recent call last):
  File "/Users/li/work/shop/shop/jobs/nightly_report.py", line 17, in main
    rows = db.sales_since(yesterday)
  File "/Users/li/work/shop/shop/db.py", line 95, in sales_since
    conn = psycopg2.connect(DATABASE_URL, connect_timeout=3)
  File "/Users/li/work/shop/.venv/lib/python3.12/site-packages/psycopg2/__init__.py", line 122, in connect
    conn = _connect(dsn, connection_factory=connection_factory, **kwasync)
psycopg2.OperationalError: connection to server at "127.0.0.1", port 5433 failed: Connection refused
\tIs the server running on that host and accepting TCP/IP connections?
"""

UNRELATED = """\
Traceback (most recent call last):
  File "/home/dana/src/shop/shop/cli.py", line 12, in export
    with open(target, "w") as fh:
PermissionError: [Errno 13] Permission denied: '/var/log/shop/export.csv'
"""

APP = """\
import json
from pathlib import Path

from shop.report import average_basket

orders = json.loads(Path("orders.json").read_text())
print(f"average basket: {average_basket(orders):.2f}")
"""

REPORT_BUGGY = """\
def average_basket(orders):
    totals = [o["total"] for o in orders if o["status"] == "paid"]
    return sum(totals) / len(totals)
"""

LATER_OCCURRENCE = """\
Traceback (most recent call last):
  File "/srv/shop/shop/jobs/weekly.py", line 9, in send_weekly_summary
    body = f"Average basket this week: {average_basket(week_orders):.2f}"
  File "/srv/shop/shop/report.py", line 3, in average_basket
    return sum(totals) / len(totals)
ZeroDivisionError: division by zero
"""

REPORT_FIXED = """\
def average_basket(orders):
    totals = [o["total"] for o in orders if o["status"] == "paid"]
    return sum(totals) / len(totals) if totals else 0.0
"""


@dataclass
class Demo:
    root: Path
    out: Console
    state: dict[str, Any] = field(default_factory=dict)

    @property
    def workspace(self) -> Workspace:
        return Workspace(self.root)

    def heading(self, text: str) -> None:
        self.out.print()
        self.out.rule(f"[bold]{text}")

    def say(self, text: str) -> None:
        self.out.print(text, markup=False)

    def teamlore(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run the real CLI in the demo workspace (as a user would)."""
        return subprocess.run([sys.executable, "-m", "server", "--root", str(self.root), *args], cwd=self.root,
                              capture_output=True, text=True, timeout=60, check=False)

    def git(self, *args: str) -> None:
        subprocess.run(["git", "-c", f"user.name={DEMO_AUTHOR}", "-c", "user.email=dana@example.com", *args],
                       cwd=self.root, check=True, capture_output=True, timeout=30)

    def show_matches(self, error_text: str) -> list[Any]:
        from memory_store.bugs.match import BugIndex, fix_time_stats

        index = BugIndex(list(BugStore(self.workspace).load().records.values()))
        matches = index.match(error_text, limit=3, workspace_root=self.root)
        if not matches:
            self.say("  -> no match: nothing in the memory is confidently the same error")
            return matches
        for m in matches:
            data = m.to_json()
            self.say(f"  -> match {data['score']:.2f}: {data['fix']}")
            self.say(f"     root cause: {data['root_cause'] or '-'}")
            self.say(f"     why: {'; '.join(data['reasons'])}")
        stats = fix_time_stats(matches)
        if stats and stats.get("n"):
            self.say(f"     past fixes of this pattern took {format_minutes(stats['median'])} (median; range "
                     f"{format_minutes(stats['min'])} to {format_minutes(stats['max'])})")
        return matches


Step = Callable[[Demo], None]


def step_record_fix(demo: Demo) -> None:
    demo.heading("1. Dana fixes an error and records how")
    demo.say(FIRST_OCCURRENCE.rstrip())
    rec, _ = BugStore(demo.workspace).add(FIRST_OCCURRENCE, FIX_TEXT, root_cause=ROOT_CAUSE, minutes=35,
                                          author="dana", source="demo")
    demo.state["recorded"] = rec["id"]
    demo.say(f"\n$ teamlore bugs add --error traceback.txt --fix {FIX_TEXT!r} --minutes 35")
    demo.say(f"stored {rec['id']} in .teamlore/bugs/ (paths made relative, secrets redacted)")


def step_match_new_occurrence(demo: Demo) -> None:
    demo.heading("2. Li meets the same error, worded differently, in another file")
    demo.say(NEW_OCCURRENCE.rstrip())
    demo.say("\n$ teamlore bugs match --error traceback.txt")
    matches = demo.show_matches(NEW_OCCURRENCE)
    demo.state["new_occurrence_matched"] = bool(matches) and matches[0].record["id"] == demo.state.get("recorded")


def step_unrelated_error(demo: Demo) -> None:
    demo.heading("3. An unrelated error gets an honest answer")
    demo.say(UNRELATED.rstrip())
    demo.say("\n$ teamlore bugs match --error traceback.txt")
    demo.state["unrelated_matched"] = bool(demo.show_matches(UNRELATED))


def step_capture_fix(demo: Demo) -> None:
    demo.heading("4. teamlore notices a fix by itself")
    (demo.root / "shop").mkdir(exist_ok=True)
    (demo.root / "shop" / "__init__.py").write_text("")
    (demo.root / "shop" / "report.py").write_text(REPORT_BUGGY)
    (demo.root / "app.py").write_text(APP)
    (demo.root / "orders.json").write_text('[{"total": 12.5, "status": "refunded"}]\n')
    demo.git("add", "-A")
    demo.git("commit", "-qm", "Nightly basket report")
    demo.say("$ teamlore run -- python app.py")
    failing = demo.teamlore("run", "--", sys.executable, "app.py")
    demo.say((failing.stdout + failing.stderr).rstrip() + f"\n(exit code {failing.returncode})")
    demo.say("\n... Dana edits shop/report.py (guards the empty list) ...")
    (demo.root / "shop" / "report.py").write_text(REPORT_FIXED)
    demo.say("$ teamlore run -- python app.py")
    passing = demo.teamlore("run", "--", sys.executable, "app.py")
    demo.say((passing.stdout + passing.stderr).rstrip() + f"\n(exit code {passing.returncode})")
    proposals = capture.pending(demo.workspace)
    demo.say(f"\n$ teamlore bugs pending\n{len(proposals)} proposal(s):")
    for p in proposals:
        took = "under a minute" if p["minutes"] < 1 else f"{p['minutes']:g} min"
        demo.say(f"  {p['id']}: {p['headline']}\n    summary: {p['summary']}\n    took {took} "
                 f"(first failure to first success), by {p['author']} on branch {p['branch']}")
        demo.say("    " + p["diff"].rstrip().replace("\n", "\n    "))
    demo.state["proposals"] = [p["id"] for p in proposals]
    if not proposals:
        return
    demo.say(f"\n$ teamlore bugs accept {proposals[0]['id']}")
    rec = capture.accept(demo.workspace, proposals[0]["id"])
    demo.say(f"stored {rec['id']}: {rec['fix']}")
    demo.state["captured"] = rec["id"]
    demo.say("\nA month later the weekly summary job hits the same error from another caller:")
    demo.say(LATER_OCCURRENCE.rstrip())
    matches = demo.show_matches(LATER_OCCURRENCE)
    demo.state["captured_matched"] = bool(matches) and matches[0].record["id"] == rec["id"]


STEPS: list[Step] = [step_record_fix, step_match_new_occurrence, step_unrelated_error, step_capture_fix]


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo", help="show the whole loop on sample data in a throwaway workspace")
    p.add_argument("--clean", action="store_true", help="delete the throwaway workspace at the end")
    p.set_defaults(func=run)


def run(ctx: Context) -> int:
    root = Path(tempfile.mkdtemp(prefix="teamlore-demo-")).resolve()
    ctx.out.print(f"teamlore demo: throwaway workspace {root}")
    demo = Demo(root=root, out=ctx.out)
    env_root = os.environ.pop("TEAMLORE_ROOT", None)
    started = time.monotonic()
    try:
        subprocess.run(["git", "init", "-q"], cwd=root, check=True, capture_output=True, timeout=30)
        subprocess.run(["git", "symbolic-ref", "HEAD", "refs/heads/main"], cwd=root, check=True,
                       capture_output=True, timeout=30)
        subprocess.run(["git", "config", "user.name", DEMO_AUTHOR], cwd=root, check=True, timeout=30)
        (root / "README.md").write_text("# shop\n")
        (root / ".gitignore").write_text(".teamlore/.inbox/\n.teamlore/.cache/\n__pycache__/\n")
        demo.git("add", "-A")
        demo.git("commit", "-qm", "Initial commit")
        for step in STEPS:
            step(demo)
    except FileNotFoundError as exc:
        if exc.filename == "git":
            raise CliError("the demo needs git on the PATH") from None
        raise
    finally:
        if env_root is not None:
            os.environ["TEAMLORE_ROOT"] = env_root
        if ctx.args.clean:
            shutil.rmtree(root, ignore_errors=True)
    ctx.out.print()
    ctx.out.rule()
    where = "deleted" if ctx.args.clean else f"kept at {root} (look at .teamlore/; remove it with rm -rf)"
    ctx.out.print(f"demo finished in {time.monotonic() - started:.1f} s; workspace {where}", markup=False)
    return 0

from server.cli.demo_steps.security import demo_step as step_security_triage  # noqa: E402

STEPS.append(step_security_triage)
from server.cli.demo_steps.debt import demo_step as step_debt_trajectory  # noqa: E402

STEPS.append(step_debt_trajectory)
