"""Policy globs against a hostile pattern: ``**`` repeated N times, then ``Z``.

A committed policy's path glob is untrusted. The matcher used before this change
translated a glob into a backtracking regex (``**`` -> ``.*``), so ``**`` x N followed
by a letter the path does not end with tries every way of splitting the path between the
N ``.*``: the time grows exponentially with N. The current matcher
(``memory_store.security.path_glob``) runs an automaton over the path once.

Each "before" measurement runs in a child process stopped after ``--timeout`` seconds
(reported as "> T"); "after" is the median of 5. Also timed: an ordinary glob
(``**/test_*.py``) on an ordinary path, before and after, in microseconds per match.

    .venv/bin/python bench/glob_bench.py [--timeout 30] [--counts 6 8 10 12 14]
"""

from __future__ import annotations

import argparse
import multiprocessing
import re
import statistics
import sys
import time
import timeit
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from memory_store.security.path_glob import path_glob

sys.path.insert(0, str(Path(__file__).resolve().parent))
from machine import finish, machine, save_results

AT_START = machine()
"""The machine when the script started (CPUs, load average)."""

PATH = "src/service/handlers/payments/refund.py"
ORDINARY = ("**/test_*.py", "tests/unit/db/test_models.py")
RESULTS = Path(__file__).resolve().parent / "results" / "glob.json"


def legacy_regex(pattern: str) -> re.Pattern[str]:
    """The translation the policies used before (kept here only to measure it)."""
    out, i = [], 0
    while i < len(pattern):
        c = pattern[i]
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif c == "*":
            out.append("[^/]*")
            i += 1
        elif c == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(c))
            i += 1
    return re.compile("".join(out) + r"\Z")


def _legacy_once(pattern: str, queue: multiprocessing.Queue) -> None:
    started = time.perf_counter()
    legacy_regex(pattern).match(PATH)
    queue.put(time.perf_counter() - started)


def time_legacy(pattern: str, timeout: float) -> float | None:
    """Seconds for one match with the old regex, or None when it ran past ``timeout``."""
    queue: multiprocessing.Queue = multiprocessing.Queue()
    child = multiprocessing.Process(target=_legacy_once, args=(pattern, queue), daemon=True)
    child.start()
    child.join(timeout)
    if child.is_alive():
        child.terminate()
        child.join()
        return None
    return queue.get()


def time_current(pattern: str) -> float:
    runs = []
    for _ in range(5):
        path_glob.cache_clear()
        started = time.perf_counter()
        path_glob(pattern).match(PATH)
        runs.append(time.perf_counter() - started)
    return statistics.median(runs)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", type=float, default=30.0, help="stop a 'before' run after this many seconds")
    parser.add_argument("--counts", type=int, nargs="+", default=[6, 8, 10, 12, 14])
    args = parser.parse_args()

    rows = []
    print(f"path: {PATH}")
    print(f"{'pattern':<14} {'before (s)':>12} {'after (s)':>12}")
    for n in args.counts:
        pattern = "**" * n + "Z"
        before = time_legacy(pattern, args.timeout)
        after = time_current(pattern)
        shown = f"> {args.timeout:g}" if before is None else f"{before:.4f}"
        print(f"{'** x ' + str(n) + ' + Z':<14} {shown:>12} {after:>12.6f}")
        rows.append({"stars": n, "pattern": pattern, "before_s": before, "before_timed_out": before is None,
                     "after_s": after})

    glob, path = ORDINARY
    old, new = legacy_regex(glob), path_glob(glob)
    assert bool(old.match(path)) == new.match(path)
    number = 20000
    old_us = timeit.timeit(lambda: old.match(path), number=number) / number * 1e6
    new_us = timeit.timeit(lambda: new.match(path), number=number) / number * 1e6
    print(f"ordinary glob {glob!r} on {path!r}: before {old_us:.2f} us, after {new_us:.2f} us per match")

    save_results(RESULTS, finish({"machine": AT_START}) | {
        "path": PATH, "timeout_s": args.timeout, "hostile": rows,
        "ordinary": {"glob": glob, "path": path, "before_us": round(old_us, 3), "after_us": round(new_us, 3)}})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
