"""``teamlore demo``: the whole loop on realistic sample data, in a throwaway workspace.

The demo is a list of steps (:data:`STEPS`). Each step is a function taking the
:class:`Demo` (workspace, console, shared state) and printing what it shows; to extend
the demo, write another ``step_*`` function and add it to ``STEPS``.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import re
import shlex
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
from memory_store.workspace import Workspace
from server.cli.common import CliError, Context, examples
from server.cli.console import literal

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
psycopg2.OperationalError: connection to server at "localhost" (::1), port 5432 failed: Connection refused
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


INPUTS = ".demo"
"""Where the demo writes the error texts it passes to the commands (git-ignored in the workspace)."""


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
        self.out.rule(literal(text, style="bold"))

    def say(self, text: str) -> None:
        self.out.print(text, markup=False)

    def teamlore(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run the real CLI (its entry point, :func:`server.cli.main.main`) in the demo workspace,
        as wide as this console, and collect what it prints. In this process, to save a
        start-up per step; ``run`` hands the terminal's byte streams to its command, so it gets
        a process of its own."""
        argv = ["--root", str(self.root), *args]
        if args and args[0] == "run":
            env = {**os.environ, "COLUMNS": str(self.out.width)}
            env.pop("TEAMLORE_ROOT", None)
            return subprocess.run([sys.executable, "-m", "server", *argv], cwd=self.root, capture_output=True,
                                  text=True, timeout=120, check=False, env=env)
        from server.cli.main import main

        out, err = io.StringIO(), io.StringIO()
        cwd, columns = os.getcwd(), os.environ.get("COLUMNS")
        os.environ["COLUMNS"] = str(self.out.width)
        try:
            os.chdir(self.root)
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                try:
                    code = main(argv)
                except SystemExit as exc:  # argparse's own exits
                    code = exc.code if isinstance(exc.code, int) else int(exc.code is not None)
        finally:
            os.chdir(cwd)
            if columns is None:
                os.environ.pop("COLUMNS", None)
            else:
                os.environ["COLUMNS"] = columns
        return subprocess.CompletedProcess(["teamlore", *argv], code, out.getvalue(), err.getvalue())

    def show(self, *args: str, shown: str | None = None) -> subprocess.CompletedProcess[str]:
        """Print ``$ teamlore ARGS``, run it and print what it really printed (and a non-zero exit code)."""
        self.say(f"$ teamlore {shown or shlex.join(args)}")
        result = self.teamlore(*args)
        output = (result.stdout + result.stderr).rstrip()
        if output:
            self.say(output)
        if result.returncode:
            self.say(f"(exit code {result.returncode})")
        return result

    def write_input(self, name: str, text: str) -> str:
        """Write an input file under :data:`INPUTS`; returns its workspace-relative path."""
        path = self.root / INPUTS / name
        path.parent.mkdir(exist_ok=True)
        path.write_text(text)
        return f"{INPUTS}/{name}"

    def git(self, *args: str) -> None:
        subprocess.run(["git", "-c", f"user.name={DEMO_AUTHOR}", "-c", "user.email=dana@example.com", *args],
                       cwd=self.root, check=True, capture_output=True, timeout=30)

    def match(self, name: str, error_text: str) -> tuple[bool, str]:
        """``bugs match --exit-code`` on ``error_text``: (a confident match was found, what it printed)."""
        result = self.show("bugs", "match", "--error", self.write_input(name, error_text), "--exit-code")
        return result.returncode == 0, result.stdout


Step = Callable[[Demo], None]


def step_record_fix(demo: Demo) -> None:
    demo.heading("1. Dana fixes an error and records how")
    demo.say(FIRST_OCCURRENCE.rstrip())
    demo.say("")
    error = demo.write_input("first.txt", FIRST_OCCURRENCE)
    added = demo.show("bugs", "add", "--error", error, "--fix", FIX_TEXT, "--root-cause", ROOT_CAUSE,
                      "--minutes", "35")
    demo.state["recorded"] = added.stdout.strip()
    demo.say("(stored in .teamlore/bugs/: paths made relative, secrets redacted)")


def step_match_new_occurrence(demo: Demo) -> None:
    demo.heading("2. Li meets the same error, worded differently, in another file")
    demo.say(NEW_OCCURRENCE.rstrip())
    demo.say("")
    found, output = demo.match("new.txt", NEW_OCCURRENCE)
    demo.state["new_occurrence_matched"] = found and bool(demo.state.get("recorded")) and \
        demo.state["recorded"] in output


def step_unrelated_error(demo: Demo) -> None:
    demo.heading("3. An unrelated error gets an honest answer")
    demo.say(UNRELATED.rstrip())
    demo.say("")
    demo.state["unrelated_matched"] = demo.match("unrelated.txt", UNRELATED)[0]


def step_capture_fix(demo: Demo) -> None:
    demo.heading("4. teamlore notices a fix by itself")
    (demo.root / "shop").mkdir(exist_ok=True)
    (demo.root / "shop" / "__init__.py").write_text("")
    (demo.root / "shop" / "report.py").write_text(REPORT_BUGGY)
    (demo.root / "app.py").write_text(APP)
    (demo.root / "orders.json").write_text('[{"total": 12.5, "status": "refunded"}]\n')
    demo.git("add", "-A")
    demo.git("commit", "-qm", "Nightly basket report")
    demo.show("run", "--notify", "--", sys.executable, "app.py", shown="run --notify -- python app.py")
    demo.say("\n... Dana edits shop/report.py (guards the empty list) ...")
    (demo.root / "shop" / "report.py").write_text(REPORT_FIXED)
    demo.show("run", "--notify", "--", sys.executable, "app.py", shown="run --notify -- python app.py")
    demo.say("")
    demo.show("bugs", "pending")
    proposals = [p["id"] for p in capture.pending(demo.workspace)]
    demo.state["proposals"] = proposals
    if not proposals:
        return
    demo.say("")
    demo.show("bugs", "show", proposals[0])
    demo.say("")
    accepted = demo.show("bugs", "accept", proposals[0])
    stored = re.search(r"\bstored (bug-[0-9a-f]+)", accepted.stdout)
    demo.state["captured"] = stored.group(1) if stored else None
    demo.say("\nA month later the weekly summary job hits the same error from another caller:")
    demo.say(LATER_OCCURRENCE.rstrip())
    demo.say("")
    found, output = demo.match("later.txt", LATER_OCCURRENCE)
    demo.state["captured_matched"] = found and stored is not None and stored.group(1) in output


STEPS: list[Step] = [step_record_fix, step_match_new_occurrence, step_unrelated_error, step_capture_fix]


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo", help="show the whole loop on sample data in a throwaway workspace",
                       description="Run the real teamlore commands on sample data in a throwaway git "
                                   "workspace and show what they print.",
                       epilog=examples("teamlore demo", "teamlore demo --clean"))
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
        (root / ".gitignore").write_text(f".teamlore/.inbox/\n.teamlore/.cache/\n__pycache__/\n{INPUTS}/\n")
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
