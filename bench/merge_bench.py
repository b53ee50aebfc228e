"""Git merges of memory: two branches that recorded the same N bugs (other author, minutes, time).

Three ways to merge branch b into branch a, each in a fresh repository:
1. plain git (no driver): how many add/add conflicts, how many record files are unreadable
   afterwards (what ``teamlore doctor`` reports), how many bugs ``bugs list`` still shows;
2. the same, then ``teamlore merge-resolve``: wall time, unreadable files left;
3. with the merge driver set up by ``teamlore init``: wall time of ``git merge`` (git starts
   ``teamlore merge-file`` once per record changed on both sides), conflicts, unreadable files.

Results: bench/results/merge_bench.json.

Usage: python bench/merge_bench.py [--records 200]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from memory_store.bugs.records import BugStore  # noqa: E402
from memory_store.doctor import check_memory  # noqa: E402
from memory_store.workspace import Workspace  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from machine import finish, machine, save_results  # noqa: E402

AT_START = machine()
"""The machine when the script started (CPUs, load average)."""

RESULTS = REPO / "bench" / "results" / "merge_bench.json"
ENV = dict(os.environ, GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=os.devnull, GIT_AUTHOR_NAME="bench",
           GIT_AUTHOR_EMAIL="b@example.com", GIT_COMMITTER_NAME="bench", GIT_COMMITTER_EMAIL="b@example.com",
           LC_ALL="C")


def git(root: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=root, env=ENV, check=check, capture_output=True, text=True)


def teamlore(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "server", "--root", str(root), *args], env=ENV,
                          capture_output=True, text=True, check=False)


def record(root: Path, records: int, author: str, minutes: float, created: str) -> None:
    store = BugStore(Workspace(root))
    for i in range(records):
        rec = store.build(f"KeyError: 'field_{i}'", f"use dict.get for field_{i}", author=author, minutes=minutes)
        store.save({**rec, "created": created, "updated": created})


def repository(base: Path, records: int, driver: bool) -> Path:
    root = base / ("driver" if driver else "plain")
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    (root / "README").write_text("bench\n")
    if driver:
        teamlore(root, "init").check_returncode()
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "start")
    for branch, author, minutes, created in (("a", "ana", 30, "2024-03-01T10:00:00Z"),
                                             ("b", "ben", 12.5, "2024-03-02T10:00:00Z")):
        git(root, "checkout", "-q", "-b", branch, "main")
        record(root, records, author, minutes, created)
        git(root, "add", "-A")
        git(root, "commit", "-q", "-m", branch)
    git(root, "checkout", "-q", "a")
    return root


def state(root: Path) -> dict[str, Any]:
    report = check_memory(Workspace(root))
    return {"unreadable_files": len(report.problems), "bugs_listed": report.counts.get("bugs", 0),
            "conflicted_paths": len(set(git(root, "diff", "--name-only", "--diff-filter=U").stdout.split()))}


def run(records: int) -> dict[str, Any]:
    out: dict[str, Any] = {"records": records}
    with tempfile.TemporaryDirectory(prefix="teamlore-merge-bench-") as tmp:
        plain = repository(Path(tmp), records, driver=False)
        git(plain, "merge", "--no-edit", "b", check=False)
        out["plain_git"] = state(plain)
        start = time.perf_counter()
        resolved = teamlore(plain, "merge-resolve", "--json")
        out["plain_git_then_merge_resolve"] = {"seconds": round(time.perf_counter() - start, 2),
                                              "exit": resolved.returncode, **state(plain)}
        with_driver = repository(Path(tmp), records, driver=True)
        start = time.perf_counter()
        merged = git(with_driver, "merge", "--no-edit", "b", check=False)
        out["with_driver"] = {"seconds": round(time.perf_counter() - start, 2), "git_exit": merged.returncode,
                              **state(with_driver)}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=200)
    result = run(parser.parse_args().records)
    print(f"{result['records']} bugs recorded on both branches")
    print(f"{'merge':<34}{'seconds':>9}{'conflicted':>12}{'unreadable':>12}{'bugs listed':>13}")
    for name in ("plain_git", "plain_git_then_merge_resolve", "with_driver"):
        row = result[name]
        print(f"{name:<34}{row.get('seconds', ''):>9}{row['conflicted_paths']:>12}{row['unreadable_files']:>12}"
              f"{row['bugs_listed']:>13}")
    save_results(RESULTS, finish({"machine": AT_START, **result}))


if __name__ == "__main__":
    main()
