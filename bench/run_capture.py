"""Cost of ``teamlore run`` and of fix capture.

- Pass-through: wall time and peak memory (RSS of the ``teamlore run`` process) for a
  command writing N MB to stdout, against running the same command directly.
- Capture: time of one failing + one passing run recorded through ``Inbox.record_run``
  in a git repository of F tracked files (snapshot through a temporary index, diff,
  proposal), and of one run with no error (the common case).

Results: bench/results/run_capture.json.

Usage: python bench/run_capture.py [--mb 50] [--files 2000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from memory_store.bugs import capture  # noqa: E402
from memory_store.inbox import Inbox  # noqa: E402
from memory_store.workspace import Workspace  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from machine import finish, machine, save_results  # noqa: E402

AT_START = machine()
"""The machine when the script started (CPUs, load average)."""

RESULTS = REPO / "bench" / "results" / "run_capture.json"

WRITER = """\
import sys
line = ("x" * 1023 + "\\n").encode()
out = sys.stdout.buffer
for _ in range({mb} * 1024):
    out.write(line)
sys.stderr.write("Traceback (most recent call last):\\n  File \\"big.py\\", line 3, in <module>\\nValueError: boom\\n")
sys.exit(1)
"""


def _timed(cmd: list[str], cwd: Path) -> tuple[float, float]:
    """(wall seconds, peak RSS MB of the direct child) of one run, output discarded."""
    code = ("import resource, subprocess, sys, time; t=time.perf_counter(); "
            f"subprocess.run({cmd!r}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd={str(cwd)!r}); "
            "print(time.perf_counter()-t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    wall, rss = out.stdout.split()
    return float(wall), float(rss)


def bench_passthrough(mb: int, repeat: int, tmp: Path) -> dict[str, float]:
    script = tmp / "big.py"
    script.write_text(WRITER.format(mb=mb))
    direct = [_timed([sys.executable, str(script)], tmp) for _ in range(repeat)]
    wrapped = [_timed([sys.executable, "-m", "server", "--root", str(tmp), "run", "--", sys.executable, str(script)],
                      tmp) for _ in range(repeat)]
    return {"output_mb": mb, "direct_s": statistics.median(w for w, _ in direct),
            "run_s": statistics.median(w for w, _ in wrapped),
            "run_peak_rss_mb": max(r for _, r in wrapped)}


def _git(root: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)


def bench_capture(files: int, repeat: int, tmp: Path) -> dict[str, float]:
    root = tmp / "repo"
    (root / "pkg").mkdir(parents=True)
    _git(root, "init", "-q")
    for i in range(files):
        (root / "pkg" / f"mod_{i:05d}.py").write_text(f"def f{i}(x):\n    return x + {i}\n" * 20)
    (root / "requirements.txt").write_text("requests\n")
    _git(root, "add", "-A")
    _git(root, "-c", "user.name=b", "-c", "user.email=b@x", "commit", "-qm", "init")
    ws = Workspace(root.resolve())
    inbox = Inbox(ws)
    error = ("Traceback (most recent call last):\n  File \"pkg/mod_00001.py\", line 2, in f1\n"
             "ModuleNotFoundError: No module named 'structlog'\n")
    clean, failing, passing = [], [], []
    for i in range(repeat):
        t = time.perf_counter()
        inbox.record_run("python -m pkg", str(root), 0, "ok\n")
        clean.append(time.perf_counter() - t)
        t = time.perf_counter()
        inbox.record_run(f"pytest -k case{i}", str(root), 1, error)
        failing.append(time.perf_counter() - t)
        with open(root / "requirements.txt", "a") as fh:
            fh.write(f"structlog=={i}\n")
        t = time.perf_counter()
        event = inbox.record_run(f"pytest -k case{i}", str(root), 0, "1 passed\n")
        passing.append(time.perf_counter() - t)
        assert event["proposals"], "the passing run must produce a proposal"
        for p in capture.pending(ws):
            capture.dismiss(ws, p["id"])
    return {"tracked_files": files, "clean_run_ms": 1000 * statistics.median(clean),
            "failing_run_ms": 1000 * statistics.median(failing),
            "passing_run_with_proposal_ms": 1000 * statistics.median(passing)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mb", type=int, default=50)
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="teamlore-bench-") as tmp:
        passthrough = bench_passthrough(args.mb, args.repeat, Path(tmp))
        capture_cost = bench_capture(args.files, args.repeat, Path(tmp))
    results = {"passthrough": passthrough, "capture": capture_cost,
               "own_peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}
    print(f"{'measure':<42} {'value':>10}")
    for section, values in (("run", passthrough), ("capture", capture_cost)):
        for key, value in values.items():
            print(f"{section + ': ' + key:<42} {value:>10.1f}")
    save_results(RESULTS, finish({"machine": AT_START, **results}))


if __name__ == "__main__":
    main()
