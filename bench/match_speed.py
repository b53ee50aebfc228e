"""Match latency and cold start at 1k, 10k and 100k bug records (bench/gen_records.py).

Side by side, on the same records and queries:
- teamlore: ``BugIndex.match`` in-process (query given as text, parsed each time);
- a plain rapidfuzz scan: ``process.extractOne`` of the query headline over all messages;
- the seed tool: ``MemoryEnhancedDebuggingWizard._find_historical_matches`` (empathy-framework
  4.0.1) on the same records written in its JSON format, run in a subprocess with the Python
  of its own virtualenv (see bench/README.md); skipped with a note when that is missing.

Cold start: a new process that loads the records from disk, builds the index and answers
one query, twice: through the library (``load_index`` + ``match``) and through the real
CLI (``teamlore bugs match --json``). The first run after the record files were written
has no cache (``.teamlore/.cache``); the warm figure is the median of three later runs.

Cache figures (``--cache-only``): per size, the real CLI (``teamlore bugs match --json``) and
the in-process ``load_index`` time, each without a cache, with a valid cache and after one
record file changed, and the size of the cache file.

Usage: python bench/match_speed.py [--sizes 1000,10000,100000] [--queries 1000]
       python bench/match_speed.py --cache-only [--sizes 10000] [--out bench/results/bug_cache.json]
Results: bench/results/match_speed.json, bench/results/bug_cache.json
"""

from __future__ import annotations

import argparse
import gc
import json
import os
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
from machine import finish, machine, save_results  # noqa: E402
from rapidfuzz import fuzz, process  # noqa: E402

from memory_store.bugs.cache import CACHE_NAME  # noqa: E402
from memory_store.bugs.match import BugIndex  # noqa: E402
from memory_store.errors import parse_error  # noqa: E402

SEED_VENV = Path(__file__).resolve().parent / ".seed-venv"
SEED_PYTHON = Path(os.environ.get("TEAMLORE_SEED_PYTHON", str(SEED_VENV / "bin" / "python")))
RESULTS = REPO / "bench" / "results" / "match_speed.json"
CACHE_RESULTS = REPO / "bench" / "results" / "bug_cache.json"

SEED_SCRIPT = r"""
import json, sys, time, logging
logging.disable(logging.CRITICAL)
from empathy_software_plugin.wizards.memory_enhanced_debugging_wizard import MemoryEnhancedDebuggingWizard
directory, queries = sys.argv[1], json.load(sys.stdin)
wiz = MemoryEnhancedDebuggingWizard(pattern_storage_path=directory)
out = []
for q in queries:
    t = time.perf_counter()
    etype = wiz._classify_error(q["message"], q["stack"])
    wiz._find_historical_matches(etype, q["message"], q["file"])
    out.append(time.perf_counter() - t)
json.dump(out, sys.stdout)
"""

LIB_COLD = r"""
import sys
from pathlib import Path
from memory_store.bugs.cache import load_index
from memory_store.bugs.records import BugStore
from memory_store.workspace import Workspace
index, _ = load_index(BugStore(Workspace(Path(sys.argv[1]))))
print(len(index.match(sys.stdin.read())))
"""

LIB_LOAD = r"""
import json, sys, time
from pathlib import Path
from memory_store.bugs.cache import load_index
from memory_store.bugs.records import BugStore
from memory_store.workspace import Workspace
t, c = time.perf_counter(), time.process_time()
index, _ = load_index(BugStore(Workspace(Path(sys.argv[1]))))
print(json.dumps({"load_s": time.perf_counter() - t, "load_cpu_s": time.process_time() - c, "records": len(index)}))
"""


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    k = min(len(values) - 1, max(0, round(p / 100 * (len(values) - 1))))
    return values[k]


def ms(x: float) -> str:
    return f"{x * 1000:.2f}"


def time_queries(fn: Any, queries: list[Any], cpu: list[float] | None = None) -> list[float]:
    """Wall-clock seconds per query; CPU seconds of this thread appended to ``cpu`` (on a
    shared machine the wall-clock tail is mostly other jobs preempting this one)."""
    out = []
    for q in queries:
        c = time.thread_time()
        t = time.perf_counter()
        fn(q)
        out.append(time.perf_counter() - t)
        if cpu is not None:
            cpu.append(time.thread_time() - c)
    return out


def seed_files(records: list[dict[str, Any]], directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for rec in records:
        err = rec["error"]
        doc = {"bug_id": rec["id"], "date": rec["created"], "file_path": rec.get("file") or "",
               "error_type": "unknown", "error_message": f"{err['type']}: {err['message']}",
               "root_cause": rec.get("root_cause", ""), "fix_applied": rec["fix"], "fix_code": None,
               "resolution_time_minutes": rec.get("minutes") or 0, "resolved_by": "bench", "status": "resolved"}
        (directory / f"{rec['id']}.json").write_text(json.dumps(doc), encoding="utf-8")


def run_seed(records: list[dict[str, Any]], queries: list[str], tmp: Path) -> list[float] | None:
    if not SEED_PYTHON.exists():
        return None
    directory = tmp / "seed-patterns"
    seed_files(records, directory)
    payload = []
    for q in queries:
        p = parse_error(q)
        inner = p.innermost_app_frame() if p else None
        payload.append({"message": p.headline if p else q, "stack": q, "file": inner.path if inner else ""})
    proc = subprocess.run([str(SEED_PYTHON), "-c", SEED_SCRIPT, str(directory)], input=json.dumps(payload),
                          capture_output=True, text=True, timeout=3600, check=False)
    if proc.returncode != 0:
        print("seed failed:", proc.stderr[-1500:])
        return None
    return json.loads(proc.stdout)


def compile_bytecode() -> None:
    """Bring the package's bytecode up to date first, as an installed package has it: the timed
    processes write none (PYTHONDONTWRITEBYTECODE), so a source file changed since its last
    compilation would otherwise be compiled again in every one of them."""
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(REPO / "memory_store"), str(REPO / "server")],
                   check=True, capture_output=True)


def cold_start(root: Path, query: str) -> dict[str, float]:
    compile_bytecode()
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")

    cpu: dict[str, list[float]] = {}

    def once(cmd: list[str], name: str = "") -> float:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t = time.perf_counter()
        proc = subprocess.run(cmd, input=query, capture_output=True, text=True, env=env, timeout=900, check=False)
        took = time.perf_counter() - t
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if proc.returncode != 0:
            raise RuntimeError(proc.stderr[-2000:])
        if name:
            cpu.setdefault(name, []).append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
        return took

    lib = [sys.executable, "-c", LIB_COLD, str(root)]
    cli = [sys.executable, "-m", "server", "--root", str(root), "bugs", "match", "--error", "-", "--json"]
    out: dict[str, float] = {}
    cache = cache_path(root)

    def warm(cmd: list[str], name: str) -> float:
        """One run with a valid cache. A run that wrote the cache again did not use it (the
        matcher's source changed meanwhile, which changes the cache's code version): not warm,
        so it is run again (at most twice) and counted."""
        for attempt in range(3):
            stamp = cache.stat().st_mtime_ns
            took = once(cmd, name)
            if cache.stat().st_mtime_ns == stamp:
                break
            out[f"{name}_rebuilt_runs"] = out.get(f"{name}_rebuilt_runs", 0) + 1
            if attempt < 2:
                cpu[name].pop()
        return took

    for name, cmd in (("library", lib), ("cli", cli)):
        if cache.exists():
            cache.unlink()
        out[f"{name}_no_cache"] = once(cmd)
        out[f"{name}_warm"] = statistics.median(warm(cmd, name) for _ in range(3))
        out[f"{name}_warm_cpu"] = statistics.median(cpu[name])
    return out


def cache_path(root: Path) -> Path:
    return root / ".teamlore" / ".cache" / CACHE_NAME


def cache_figures(root: Path, query: str, rounds: int = 5) -> dict[str, Any]:
    """CLI wall and CPU time and in-process ``load_index`` time (wall and CPU) without a cache,
    with a valid cache and after one record file changed (a different file each round);
    medians of ``rounds``. CPU time is what preemption by other jobs does not inflate."""
    compile_bytecode()
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    cli = [sys.executable, "-m", "server", "--root", str(root), "bugs", "match", "--error", "-", "--json"]
    lib = [sys.executable, "-c", LIB_LOAD, str(root)]
    files = sorted((root / ".teamlore" / "bugs").glob("*.json"))
    edits = iter(range(len(files)))

    def run(name: str) -> tuple[float, float]:
        """(wall, CPU) seconds: of the whole CLI process, or of ``load_index`` inside one."""
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t = time.perf_counter()
        proc = subprocess.run(cli if name == "cli" else lib, input=query, capture_output=True, text=True, env=env,
                              timeout=900, check=False)
        took = time.perf_counter() - t
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if proc.returncode != 0:
            raise RuntimeError(proc.stderr[-2000:])
        if name == "load":
            inner = json.loads(proc.stdout)
            return inner["load_s"], inner["load_cpu_s"]
        return took, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime

    def change_one_file() -> None:
        path = files[next(edits) * 7919 % len(files)]
        rec = json.loads(path.read_text(encoding="utf-8"))
        rec["fix"] = f"{rec['fix']} (edited)"
        path.write_text(json.dumps(rec, indent=2), encoding="utf-8")

    def record(key: str, runs: list[tuple[float, float]]) -> None:
        out[f"{key}_s"] = statistics.median(w for w, _ in runs)
        out[f"{key}_cpu_s"] = statistics.median(c for _, c in runs)

    out: dict[str, Any] = {}
    for name in ("cli", "load"):
        cache_path(root).unlink(missing_ok=True)
        record(f"{name}_no_cache", [run(name)])
        record(f"{name}_warm", [run(name) for _ in range(rounds)])
        changed = []
        for _ in range(rounds):
            change_one_file()
            changed.append(run(name))
        record(f"{name}_one_file_changed", changed)
    out["cache_bytes"] = cache_path(root).stat().st_size
    out["cache_file"] = CACHE_NAME
    return out


def cache_main(sizes: list[int], out: Path) -> int:
    query = gen_records.queries(1)[0]
    results: dict[str, Any] = {"machine": machine(), "sizes": {}}
    records = gen_records.build_records(max(sizes))
    for n in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp) / "ws"
            gen_records.write_records(records[:n], root)
            results["sizes"][str(n)] = row = cache_figures(root, query)
        print(f"{n} records: " + ", ".join(f"{k} {v:.3f}" if isinstance(v, float) else f"{k} {v}"
                                           for k, v in row.items()), flush=True)
    save_results(out, finish(results))
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="1000,10000,100000")
    ap.add_argument("--queries", type=int, default=1000)
    ap.add_argument("--scan-queries", type=int, default=200, help="queries for the plain rapidfuzz scan")
    ap.add_argument("--seed-queries", default="30,20,20",
                    help="seed tool queries per size (it is slow: about 6 s per query at 100k; 20 give a "
                         "median that moves by a few percent between runs)")
    ap.add_argument("--no-seed", action="store_true")
    ap.add_argument("--reuse", type=Path, help="directory to keep the generated records in between runs")
    ap.add_argument("--out", type=Path)
    ap.add_argument("--cache-only", action="store_true", help="only the cache figures (see above)")
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    if args.cache_only:
        return cache_main(sizes, args.out or CACHE_RESULTS)
    args.out = args.out or RESULTS
    seed_q = [int(s) for s in args.seed_queries.split(",")]
    if not args.no_seed and not SEED_PYTHON.exists():
        print(f"seed column skipped: no seed venv at {SEED_PYTHON} (see bench/README.md to create it)")
    t = time.perf_counter()
    reuse = args.reuse / f"records-{max(sizes)}.json" if args.reuse else None
    if reuse is not None and reuse.exists():
        records = json.loads(reuse.read_text(encoding="utf-8"))
    else:
        records = gen_records.build_records(max(sizes))
        if reuse is not None:
            reuse.parent.mkdir(parents=True, exist_ok=True)
            reuse.write_text(json.dumps(records), encoding="utf-8")
    print(f"generated {len(records)} records in {time.perf_counter() - t:.1f} s")
    texts = gen_records.queries(args.queries)
    parsed = [parse_error(q) for q in texts]
    results: dict[str, Any] = {"machine": machine(), "queries": args.queries, "scan_queries": args.scan_queries,
                               "sizes": {}}
    for i, n in enumerate(sizes):
        recs = records[:n]
        t = time.perf_counter()
        index = BugIndex(recs)
        build = time.perf_counter() - t
        gc.freeze()  # as memory_store.bugs.cache.load_index does after loading
        cpu_text: list[float] = []
        lat_text = time_queries(index.match, texts, cpu_text)
        lat_parsed = time_queries(index.match, parsed)
        confident = sum(1 for q in parsed if index.match(q))
        messages = [f"{r['error']['type']}: {r['error']['message']}" for r in recs]
        heads = [p.headline for p in parsed[:args.scan_queries]]
        lat_scan = time_queries(lambda h, msgs=messages: process.extractOne(h, msgs, scorer=fuzz.token_set_ratio),
                                heads)
        row: dict[str, Any] = {
            "index_build_s": build,
            "teamlore_p50_ms": pct(lat_text, 50) * 1000, "teamlore_p99_ms": pct(lat_text, 99) * 1000,
            "teamlore_cpu_p50_ms": pct(cpu_text, 50) * 1000, "teamlore_cpu_p99_ms": pct(cpu_text, 99) * 1000,
            "teamlore_parsed_p50_ms": pct(lat_parsed, 50) * 1000, "teamlore_parsed_p99_ms": pct(lat_parsed, 99) * 1000,
            "confident_answers": confident,
            "scan_p50_ms": pct(lat_scan, 50) * 1000, "scan_p99_ms": pct(lat_scan, 99) * 1000,
        }
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp) / "ws"
            gen_records.write_records(recs, root)
            row.update({f"cold_{k}_s": v for k, v in cold_start(root, texts[0]).items()})
            if not args.no_seed:
                lat_seed = run_seed(recs, texts[:seed_q[min(i, len(seed_q) - 1)]], Path(tmp))
                if lat_seed:
                    row["seed_p50_ms"] = statistics.median(lat_seed) * 1000
                    row["seed_max_ms"] = max(lat_seed) * 1000
                    row["seed_queries"] = len(lat_seed)
                    row["speedup_vs_seed_p50"] = row["seed_p50_ms"] / row["teamlore_p50_ms"]
        results["sizes"][str(n)] = row
        print(f"  {n}: done", flush=True)
        del index
        gc.unfreeze()

    print(f"\nMatch latency ({args.queries} queries given as text; scan over {args.scan_queries}) and cold start\n")
    header = ["records", "teamlore p50", "p99", "CPU p99", "parsed p99", "rapidfuzz scan p50", "p99", "seed p50",
              "x faster", "cold lib", "(CPU)", "cold CLI", "(CPU)", "no cache lib/CLI", "build s"]
    rows = []
    for n, r in results["sizes"].items():
        rows.append([n, ms(r["teamlore_p50_ms"] / 1000), ms(r["teamlore_p99_ms"] / 1000),
                     ms(r["teamlore_cpu_p99_ms"] / 1000),
                     ms(r["teamlore_parsed_p99_ms"] / 1000), ms(r["scan_p50_ms"] / 1000),
                     ms(r["scan_p99_ms"] / 1000),
                     f"{r['seed_p50_ms']:.0f}" if "seed_p50_ms" in r else "-",
                     f"{r['speedup_vs_seed_p50']:.0f}" if "speedup_vs_seed_p50" in r else "-",
                     f"{r['cold_library_warm_s']:.2f}", f"{r['cold_library_warm_cpu_s']:.2f}",
                     f"{r['cold_cli_warm_s']:.2f}", f"{r['cold_cli_warm_cpu_s']:.2f}",
                     f"{r['cold_library_no_cache_s']:.2f}/{r['cold_cli_no_cache_s']:.2f}", f"{r['index_build_s']:.2f}"])
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows, strict=False)]
    fmt = "  ".join(f"{{:>{w}}}" for w in widths)
    print(fmt.format(*header))
    print(fmt.format(*["-" * w for w in widths]))
    for row in rows:
        print(fmt.format(*row))
    print("\n(latencies in ms, cold start in s; 'x faster' = seed p50 / teamlore p50; CPU p99 = thread CPU time,"
          " free of preemption by other jobs)")
    for n, r in results["sizes"].items():
        rebuilt = {k: v for k, v in r.items() if k.endswith("_rebuilt_runs")}
        if rebuilt:
            print(f"{n}: warm runs that found the cache out of date (matcher source changed) and were rerun: {rebuilt}")
    save_results(args.out, finish(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
