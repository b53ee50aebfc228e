"""First start: from process start to the first ``teamlore bugs match --json`` answer, at 1k, 10k
and 100k bug records (bench/gen_records.py), as after a fresh clone (no index cache) and on a
later start (cache present).

Per size and code tree, the real CLI runs in a new process with the query on stdin:
- ``cold``: the cache file is deleted before each run (a fresh clone has none);
- ``warm``: the cache written by the previous run is used.
Times per run: ``answer`` (the answer line has arrived on stdout; the process may still be
writing the cache), ``exit`` (the process has ended) and ``CPU`` (user + system time of the
process and its worker processes: what other jobs on a shared machine do not inflate). Each figure is the median of
``--repeat`` runs; code trees alternate run by run, so both see the same machine load.

``--before DIR`` runs the same records and query through the CLI of another checkout too
(e.g. ``git worktree add /tmp/teamlore-before <commit>``), side by side with this one; both
must answer with the same matches in the same order, with the same fixes. ``--after DIR``
measures another checkout as "after": the index cache is valid only for the matcher code that
wrote it, so a checkout edited during the run would turn later starts into first starts.

Usage: python bench/first_start.py [--sizes 1000,10000,100000] [--repeat 3] [--before DIR] [--after DIR]
Results: bench/results/first_start.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

import gen_records  # noqa: E402

from memory_store.bugs.cache import CACHE_NAME  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from machine import finish, machine, save_results  # noqa: E402

AT_START = machine()
"""The machine when the script started (CPUs, load average)."""

RESULTS = REPO / "bench" / "results" / "first_start.json"


def run_once(tree: Path, root: Path, query: str) -> tuple[float, float, float, bytes]:
    """(seconds to the answer line, seconds to exit, CPU seconds of the process and its workers,
    the answer) of one CLI process run from ``tree``."""
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1", PYTHONPATH=str(tree))
    cmd = [sys.executable, "-m", "server", "--root", str(root), "bugs", "match", "--error", "-", "--json"]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=tree, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
    proc.stdin.write(query.encode())
    proc.stdin.close()
    answer = proc.stdout.readline()
    answered = time.perf_counter() - t
    rest = proc.stdout.read()
    err = proc.stderr.read()
    code = proc.wait()
    exited = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    if code != 0 or not answer.strip() or rest.strip():
        raise RuntimeError(f"{tree}: exit {code}: {err.decode(errors='replace')[-2000:]}")
    return answered, exited, cpu, answer


def same_answer(answer: bytes) -> tuple[tuple[str, str], ...]:
    """What two code trees must agree on: the matches in order, with their fixes (a newer CLI
    adds fields to each match, such as its confidence and author)."""
    return tuple((m["id"], m["fix"]) for m in json.loads(answer)["matches"])


def measure(trees: dict[str, Path], root: Path, query: str, repeat: int) -> dict[str, dict[str, float]]:
    cache = root / ".teamlore" / ".cache" / CACHE_NAME
    runs: dict[str, dict[str, list[float]]] = {name: {} for name in trees}
    answers: dict[str, bytes] = {}
    for _ in range(repeat):
        for name, tree in trees.items():
            cache.unlink(missing_ok=True)
            answer_s, exit_s, cpu_s, answer = run_once(tree, root, query)
            runs[name].setdefault("cold_answer_s", []).append(answer_s)
            runs[name].setdefault("cold_exit_s", []).append(exit_s)
            runs[name].setdefault("cold_cpu_s", []).append(cpu_s)
            answer_s, exit_s, cpu_s, warm_answer = run_once(tree, root, query)  # the cache the cold run wrote
            runs[name].setdefault("warm_answer_s", []).append(answer_s)
            runs[name].setdefault("warm_exit_s", []).append(exit_s)
            runs[name].setdefault("warm_cpu_s", []).append(cpu_s)
            if warm_answer != answer:
                raise RuntimeError(f"{name}: the warm answer differs from the cold one")
            answers[name] = answer
    if len({same_answer(a) for a in answers.values()}) > 1:
        raise RuntimeError(f"the code trees answer differently: {answers}")
    return {name: {k: statistics.median(v) for k, v in figures.items()} for name, figures in runs.items()}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="1000,10000,100000")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--before", type=Path, help="another checkout to compare with (e.g. a git worktree)")
    ap.add_argument("--after", type=Path, default=REPO,
                    help="the checkout measured as 'after' (default: this one); a snapshot "
                         "(git archive HEAD | tar -x -C DIR) keeps edits made during the run out of it")
    ap.add_argument("--out", type=Path, default=RESULTS)
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    trees = {"after": args.after.resolve()}
    if args.before:
        trees = {"before": args.before.resolve(), "after": args.after.resolve()}
    t = time.perf_counter()
    records = gen_records.build_records(max(sizes))
    print(f"generated {len(records)} records in {time.perf_counter() - t:.1f} s", flush=True)
    query = gen_records.queries(1)[0]
    results: dict[str, Any] = {"repeat": args.repeat, "cpus": os.cpu_count(), "python": platform.python_version(),
                               "load_average_at_start": os.getloadavg()[0], "sizes": {}}
    for n in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp) / "ws"
            gen_records.write_records(records[:n], root)
            results["sizes"][str(n)] = measure(trees, root, query, args.repeat)
        print(f"  {n}: done", flush=True)
    results["load_average_at_end"] = os.getloadavg()[0]

    header = ["records", "code", "cold: answer", "exit", "CPU", "warm: answer", "exit", "CPU"]
    rows = [[n, name, f"{r['cold_answer_s']:.2f}", f"{r['cold_exit_s']:.2f}", f"{r['cold_cpu_s']:.2f}",
             f"{r['warm_answer_s']:.2f}", f"{r['warm_exit_s']:.2f}", f"{r['warm_cpu_s']:.2f}"]
            for n, per in results["sizes"].items() for name, r in per.items()]
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows, strict=False)]
    fmt = "  ".join(f"{{:>{w}}}" for w in widths)
    print(f"\nFirst start of `teamlore bugs match --json` (seconds from process start, median of {args.repeat};"
          f" CPU: the process and its workers; load average {results['load_average_at_start']:.2f} at start,"
          f" {results['load_average_at_end']:.2f} at end)\n")
    print(fmt.format(*header))
    print(fmt.format(*["-" * w for w in widths]))
    for row in rows:
        print(fmt.format(*row))
    save_results(args.out, finish({"machine": AT_START, **results}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
