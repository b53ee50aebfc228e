"""One error, many shapes: a real app's bugs run through many launchers from two checkouts.

The app (bench/scenarios/shopapp) holds a dozen bugs that raise the same few generic
exceptions (``division by zero``, ``list index out of range``, ``'NoneType' object has no
attribute 'get'``, ``not enough values to unpack``) from different functions. The app is
copied into two temporary checkouts at different paths, and every bug is run for real
(subprocess) through each launcher: a plain script, ``python -m``, a thread pool, an asyncio
task, ``logger.exception``, a JSON log record (the traceback in an escaped ``exc_info`` field),
Rich's traceback box (Typer's default), ``unittest``, an IPython cell (the traceback a
notebook shows), and pytest with ``--tb=long|short|native|line``.

Protocol: for every (launcher, checkout) in turn, the memory holds one record per bug made
from that launcher's output in that checkout (as `teamlore bugs add` would store it, paths
relative to that checkout); every output of another launcher or checkout is a query, matched
with its own checkout as the workspace (as the editor knows it).

- confident-correct: queries whose top confident answer is the same bug (target >= 0.95);
- look-alike confident: the same queries against the memory *without* their own bug, where
  only other functions' records of the same exception and message remain: any confident
  answer is wrong (target 0).

Results: bench/results/launcher_scenarios.json.

Usage: python bench/launcher_scenarios.py [--bugs N]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from machine import save_results  # noqa: E402

from memory_store.bugs.match import BugIndex  # noqa: E402
from memory_store.bugs.records import BugStore  # noqa: E402
from memory_store.errors import parse_error  # noqa: E402
from memory_store.errors.model import ParsedError  # noqa: E402
from memory_store.workspace import Workspace  # noqa: E402

APP = REPO / "bench" / "scenarios" / "shopapp"
RESULTS = REPO / "bench" / "results" / "launcher_scenarios.json"
CHECKOUTS = ("alpha/shopapp", "work/beta/checkouts/shop")
"""Where the two copies go (under two different temporary directories)."""

# launcher -> command after the interpreter (NAME: the bug)
PER_BUG = {
    "script": ["run_bug.py", "NAME"],
    "python -m": ["-m", "shop.cli", "NAME"],
    "thread pool": ["-m", "shop.pool", "NAME"],
    "asyncio": ["-m", "shop.aio", "NAME"],
    "logging": ["-m", "shop.logged", "NAME"],
    "JSON log": ["-m", "shop.jsonlog", "NAME"],
    "rich traceback": ["-m", "shop.richtb", "NAME"],
    "unittest": ["-m", "unittest", "tests.test_unit.BugTest.test_NAME"],
    "ipython": ["-m", "IPython", "--colors=NoColor", "--no-banner", "--HistoryManager.enabled=False", "-c",
                "from shop.bugs import trigger; trigger('NAME')"],
}
PYTEST_STYLES = ("long", "short", "native", "line")


def bug_names() -> list[str]:
    text = (APP / "shop" / "bugs.py").read_text(encoding="utf-8")
    return re.findall(r'^\s+"(\w+)": lambda', text, re.MULTILINE)


FIXES = {
    "stats_avg": "avg() returns 0.0 for an empty list instead of dividing by its length",
    "stats_spread": "spread() of no values is None; the report shows a dash",
    "cache_ratio": "ratio() counts a cold cache as 0 hits and reports n/a before the first lookup",
    "invoice_unit_price": "unit_price() rejects a quantity of 0 with a validation message on the order form",
    "cache_newest": "newest() returns None when the cache holds no entries yet",
    "invoice_first_line": "first_line() raises EmptyInvoice, caught by the PDF renderer to print a blank invoice",
    "inventory_top_item": "top_item() falls back to the featured product when the shelf list is empty",
    "invoice_customer_email": "orders created by the import job now always link a customer record",
    "users_region": "profiles without an address get the store's default region",
    "parsing_setting": "setting() reads defaults.toml when the section is missing from the user config",
    "inventory_parse_sku": "legacy SKUs without a dash are migrated with a 0 number suffix",
    "users_split_name": "split_name() keeps single-word names whole and leaves the last name empty",
    "parsing_key_value": "flags without '=' are read as key=true",
}
"""A distinct fix per bug, written as a developer would."""


def fixes() -> dict[str, str]:
    return {name: FIXES.get(name, f"fix for {name}") for name in bug_names()}


def _env(checkout: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "PYTHON"))}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env["NO_COLOR"] = "1"
    env["COLUMNS"] = "120"
    env["IPYTHONDIR"] = str(checkout.parent / ".ipython")  # IPython's profile beside the checkout, not in ~
    return {**env, "PYTHONPATH": str(checkout)}


def run_outputs(checkout: Path, names: list[str]) -> dict[tuple[str, str], str]:
    """(launcher, bug) -> the output the run printed."""
    out: dict[tuple[str, str], str] = {}
    env = _env(checkout)
    for launcher, argv in PER_BUG.items():
        for name in names:
            args = [a.replace("NAME", name) for a in argv]
            done = subprocess.run([sys.executable, *args], cwd=checkout, env=env, capture_output=True, text=True,
                                  timeout=120, check=False)
            out[(launcher, name)] = done.stdout + done.stderr
    for style in PYTEST_STYLES:
        done = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", f"--tb={style}",
                               "tests/test_bugs.py"], cwd=checkout, env=env, capture_output=True, text=True,
                              timeout=300, check=False)
        text = done.stdout + done.stderr
        for name in names:
            out[(f"pytest --tb={style}", name)] = _pytest_part(text, name)
    return out


def _pytest_part(text: str, name: str) -> str:
    """The failure section (and summary line) of one test in a pytest run's output: what a
    developer copies, or a terminal capture splits into one error per test."""
    lines = text.splitlines()
    keep: list[str] = []
    inside = False
    for line in lines:
        header = re.match(r"^_{3,} (.+?) _{3,}$", line)
        if header:
            inside = f"[{name}]" in header.group(1)
        elif re.match(r"^={3,} ", line):
            inside = False
        if inside:
            keep.append(line)
    if not keep:  # --tb=line prints one line per failure, in test order
        failures = [ln for ln in lines if re.match(r"^\S+\.py:\d+: \w+", ln) and "Warning:" not in ln]
        ordered = sorted(bug_names())
        if name in ordered and len(failures) == len(ordered):
            keep.append(failures[ordered.index(name)])
    summary = [ln for ln in lines if ln.startswith("FAILED ") and f"[{name}]" in ln]
    return "\n".join(keep + summary) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bugs", type=int, default=0, help="only the first N bugs (quick runs)")
    ap.add_argument("--out", type=Path, default=RESULTS)
    args = ap.parse_args()
    names = bug_names()[:args.bugs] if args.bugs else bug_names()
    fix_of = fixes()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as t1, tempfile.TemporaryDirectory() as t2:
        roots = [Path(t1) / CHECKOUTS[0], Path(t2) / CHECKOUTS[1]]
        outputs: dict[tuple[str, str, int], str] = {}
        for c, root in enumerate(roots):
            shutil.copytree(APP, root, ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache"))
            for (launcher, name), text in run_outputs(root, names).items():
                outputs[(launcher, name, c)] = text
        run_seconds = time.perf_counter() - started
        launchers = sorted({k[0] for k in outputs})
        records: dict[tuple[str, str, int], dict[str, Any]] = {}
        queries: dict[tuple[str, str, int], ParsedError] = {}
        unparsed = []
        for key, text in outputs.items():
            launcher, name, c = key
            store = BugStore(Workspace(roots[c]))
            parsed = parse_error(text, roots[c])
            if parsed is None or "Error" not in parsed.exc_type:
                unparsed.append(f"{launcher}/{name}/{c}")
                continue
            rec = store.build(text, fix_of[name], author="bench", source="bench")
            rec["id"] = f"{name}@{launcher}@{c}"
            records[key] = rec
            queries[key] = parsed
        assert not any(os.sep + "tmp" in json.dumps(r["error"]["frames"]) for r in records.values()), \
            "stored frames keep a checkout path"

    per_launcher: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    positives = correct = lookalike_queries = lookalike_confident = 0
    lookalike_examples: list[str] = []
    configs = [(launcher, c) for launcher in launchers for c in range(len(roots))]
    for mem_launcher, mem_c in configs:
        memory = {name: records.get((mem_launcher, name, mem_c)) for name in names}
        full = BugIndex([r for r in memory.values() if r is not None])
        for (launcher, name, c), parsed in queries.items():
            if (launcher, c) == (mem_launcher, mem_c) or memory.get(name) is None:
                continue
            positives += 1
            found = full.match(parsed, limit=3)
            ok = bool(found) and found[0].record["id"].split("@")[0] == name
            correct += ok
            stats = per_launcher[launcher]
            stats[0] += 1
            stats[1] += ok
            full.remove(f"{name}@{mem_launcher}@{mem_c}")
            wrong = full.match(parsed, limit=3)
            lookalike_queries += 1
            if wrong:
                lookalike_confident += 1
                stats[2] += 1
                if len(lookalike_examples) < 5:
                    lookalike_examples.append(f"{name} via {launcher} -> {wrong[0].record['id']}")
            full.add(memory[name])  # type: ignore[arg-type]

    report = {
        "app": str(APP.relative_to(REPO)), "bugs": len(names), "launchers": launchers, "checkouts": len(roots),
        "outputs": len(outputs), "unparsed": unparsed, "run_seconds": round(run_seconds, 1),
        "positive_queries": positives, "confident_correct": correct / positives if positives else 0.0,
        "lookalike_queries": lookalike_queries, "lookalike_confident": lookalike_confident,
        "lookalike_examples": lookalike_examples,
        "per_query_launcher": {k: {"queries": v[0], "confident_correct": v[1] / v[0] if v[0] else 0.0,
                                   "lookalike_confident": v[2]} for k, v in sorted(per_launcher.items())},
        "targets": {"confident_correct_min": 0.95, "lookalike_confident_max": 0},
    }
    print(f"{len(names)} bugs x {len(launchers)} launchers x {len(roots)} checkouts = {len(outputs)} real runs "
          f"({run_seconds:.0f} s); memory from one launcher+checkout, queries from every other\n")
    width = max(len(k) for k in per_launcher)
    print(f"{'query launcher':<{width}}  queries  confident-correct  look-alike confident")
    for k, v in report["per_query_launcher"].items():
        print(f"{k:<{width}}  {v['queries']:>7}  {v['confident_correct']:>17.3f}  {v['lookalike_confident']:>20}")
    print(f"\nall: confident-correct {report['confident_correct']:.3f} over {positives} queries; "
          f"confident answers for a look-alike: {lookalike_confident} of {lookalike_queries}")
    if unparsed:
        print("outputs without a parsed error:", ", ".join(unparsed))
    save_results(args.out, report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
