"""Team sync over a real redis-server: delivery latency, throughput and recovery from an outage.

Two workspaces, each with a running sync follower and the publishing hook installed (as a
language server runs them), configured through the user's environment. Records
are written in A at a steady rate; the time from ``BugStore.add`` returning in A to the
record file being written in B is measured. Midway, redis is killed (SIGKILL, no
persistence) and restarted after ``--outage`` seconds while A keeps writing; the report
says how long after the restart B was complete again, and checks that nothing was lost or
added twice to the stream.

Results: bench/results/sync_bench.json.  Usage: python bench/sync_bench.py [--records 300]
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import redis  # noqa: E402

from memory_store.bugs.records import BugStore  # noqa: E402
from memory_store.sync import hooks  # noqa: E402
from memory_store.sync.config import STREAM_ENV, URL_ENV  # noqa: E402
from memory_store.sync.events import Event  # noqa: E402
from memory_store.sync.stream import Follower  # noqa: E402
from memory_store.workspace import Workspace  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from machine import finish, machine, save_results  # noqa: E402

AT_START = machine()
"""The machine when the script started (CPUs, load average)."""

STREAM = "teamlore:bench"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RedisProcess:
    def __init__(self, workdir: Path):
        self.port = free_port()
        self.workdir = workdir
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        exe = shutil.which("redis-server")
        if exe is None:
            raise SystemExit("redis-server is not installed (apt-get install redis-server)")
        self.proc = subprocess.Popen([exe, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                                      "--appendonly", "no", "--dir", str(self.workdir)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(200):
            try:
                if redis.Redis(port=self.port).ping():
                    return
            except redis.exceptions.ConnectionError:
                time.sleep(0.02)
        raise SystemExit("redis-server did not start")

    def kill(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))] if ordered else float("nan")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=300, help="records written in A (default 300)")
    parser.add_argument("--rate", type=float, default=50.0, help="records per second (default 50)")
    parser.add_argument("--outage", type=float, default=3.0, help="seconds redis is down (default 3)")
    parser.add_argument("--out", default=str(REPO / "bench" / "results" / "sync_bench.json"))
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="teamlore-sync-bench-") as tmp:
        base = Path(tmp)
        server = RedisProcess(base)
        server.start()
        # The user's own settings (a committed url would wait for `teamlore allow`); both
        # workspaces run in this process, so both follow the same server and stream.
        os.environ[URL_ENV] = f"redis://127.0.0.1:{server.port}/0"
        os.environ[STREAM_ENV] = STREAM
        spaces = []
        for name in ("a", "b"):
            ws = Workspace((base / name).resolve())
            ws.root.mkdir()
            ws.ensure_store()
            spaces.append(ws)
        a, b = spaces
        written: dict[str, float] = {}
        arrived: dict[str, float] = {}
        lock = threading.Lock()

        def on_record(event: Event, new: bool) -> None:
            if new:
                with lock:
                    arrived.setdefault(event.record_id, time.monotonic())

        hooks.install()  # as every front end does at start-up: local writes are queued for publishing
        followers = [Follower(a, block_ms=200, max_backoff=0.5).run_in_thread(),
                     Follower(b, block_ms=200, max_backoff=0.5, on_record=on_record).run_in_thread()]
        time.sleep(0.5)
        store = BugStore(a)
        outage_at = args.records // 2
        restarted = None
        write_ms: list[float] = []
        for i in range(args.records):
            if i == outage_at:
                server.kill()
                killed = time.monotonic()
            if i > outage_at and restarted is None and time.monotonic() - killed >= args.outage:
                server.start()
                restarted = time.monotonic()
            t0 = time.monotonic()
            rec, _ = store.add(f"KeyError: 'bench_key_{i}'", f"bench fix {i}", author="bench")
            write_ms.append((time.monotonic() - t0) * 1000)
            with lock:
                written[rec["id"]] = time.monotonic()
            time.sleep(max(0.0, 1 / args.rate - (time.monotonic() - t0)))
        if restarted is None:
            while time.monotonic() - killed < args.outage:
                time.sleep(0.05)
            server.start()
            restarted = time.monotonic()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and len(arrived) < len(written):
            time.sleep(0.05)
        complete_at = time.monotonic()
        for f in followers:
            f.stop()
        client = redis.Redis(port=server.port)
        events = [fields[b"event"] for _, fields in client.xrange(STREAM)]
        server.kill()
        files_b = {p.stem for p in (b.store / "bugs").glob("*.json")}

    normal = [(arrived[r] - t) * 1000 for r, t in written.items() if r in arrived and t < killed]
    if not normal:
        raise SystemExit(f"no record reached B before the outage ({len(arrived)} of {len(written)} in all)")
    report: dict[str, Any] = {
        "records": len(written), "rate_per_s": args.rate, "outage_s": args.outage,
        "delivery_ms_outside_outage": {"p50": round(pct(normal, 50), 1), "p95": round(pct(normal, 95), 1),
                                       "p99": round(pct(normal, 99), 1), "max": round(max(normal), 1)},
        "local_write_ms_during_outage": {
            "p50": round(pct(write_ms[outage_at:], 50), 2), "max": round(max(write_ms[outage_at:]), 2)},
        "local_write_ms_connected": {"p50": round(pct(write_ms[:outage_at], 50), 2),
                                     "max": round(max(write_ms[:outage_at]), 2)},
        "complete_after_restart_s": round(complete_at - restarted, 2),
        "lost": len(set(written) - files_b), "duplicate_stream_entries": len(events) - len(set(events)),
    }
    d = report["delivery_ms_outside_outage"]
    print(f"\nsync: {len(written)} records at {args.rate}/s, redis down for {args.outage}s midway")
    print(f"delivery A -> file in B (ms): p50 {d['p50']}, p95 {d['p95']}, p99 {d['p99']}, max {d['max']}")
    print(f"local write (ms) connected p50 {report['local_write_ms_connected']['p50']}, during outage p50 "
          f"{report['local_write_ms_during_outage']['p50']} (max {report['local_write_ms_during_outage']['max']})")
    print(f"B complete {report['complete_after_restart_s']}s after the restart; lost {report['lost']}, "
          f"duplicate stream entries {report['duplicate_stream_entries']}")
    save_results(args.out, finish({"machine": AT_START, **report}))
    return 0 if report["lost"] == 0 and report["duplicate_stream_entries"] == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
