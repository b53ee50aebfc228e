"""Soak run: mixed hover / record / decide traffic against a real ``teamlore lsp`` server.

Several client threads share one stdio connection to the server (as an editor's features
do) and send, by weight, hovers over known errors, ``teamlore.recordFix`` commands and
``teamlore.markFalsePositive`` decisions on bandit findings; a writer thread adds records
straight to ``.teamlore/`` the way another process (CLI, git pull, sync) would. The server's
resident memory is sampled throughout; each externally written record is then looked up
by hover until it shows ("disk_to_hover": time from the file on disk to the hover, under load).

At the end every operation is checked: each recorded fix and each externally written record
must be on disk and shown by hover, each decision must be on disk. Lost operations must be 0.

Results: bench/results/soak.json (latency percentiles per operation, RSS over time, growth,
lost operations).

Usage: python bench/soak.py [--seconds 600] [--clients 4] [--seed-records 500]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from machine import finish, machine, save_results  # noqa: E402

from memory_store.bugs.records import BugStore  # noqa: E402
from memory_store.security.decisions import DecisionStore  # noqa: E402
from memory_store.workspace import Workspace  # noqa: E402

WEIGHTS = {"hover": 70, "record": 20, "decide": 10}
FUNCTIONS_PER_CLIENT = 4000
VERIFY_CHUNK = 500


class Server:
    """``teamlore lsp`` over stdio; thread-safe requests, answers the server's own requests."""

    def __init__(self, root: Path, log_file: str | None = None):
        self.log = open(log_file, "wb") if log_file else subprocess.DEVNULL  # noqa: SIM115
        self.proc = subprocess.Popen([sys.executable, "-m", "server", "lsp"], cwd=root, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=self.log)
        self.lock = threading.Lock()
        self.cond = threading.Condition()
        self.responses: dict[int, dict[str, Any]] = {}
        self.next_id = 0
        threading.Thread(target=self._read, daemon=True).start()

    def _write(self, msg: dict[str, Any]) -> None:
        body = json.dumps(msg).encode()
        assert self.proc.stdin is not None
        with self.lock:
            self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
            self.proc.stdin.flush()

    def notify(self, method: str, params: Any) -> None:
        self._write({"jsonrpc": "2.0", "method": method, "params": params})

    def request(self, method: str, params: Any, timeout: float = 60.0) -> dict[str, Any]:
        with self.cond:
            self.next_id += 1
            rid = self.next_id
        self._write({"jsonrpc": "2.0", "id": rid, "method": method, "params": params})
        deadline = time.monotonic() + timeout
        with self.cond:
            while rid not in self.responses:
                left = deadline - time.monotonic()
                if left <= 0 or self.proc.poll() is not None:
                    return {"error": {"message": "no response"}}
                self.cond.wait(min(left, 0.5))
            return self.responses.pop(rid)

    def _read(self) -> None:
        out = self.proc.stdout
        assert out is not None
        while True:
            length = None
            while True:
                line = out.readline()
                if not line:
                    return
                if not line.strip():
                    break
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            if length is None:
                continue
            msg = json.loads(out.read(length))
            if "method" in msg and "id" in msg:
                self._write({"jsonrpc": "2.0", "id": msg["id"], "result": None})
            elif "id" in msg:
                with self.cond:
                    self.responses[msg["id"]] = msg
                    self.cond.notify_all()

    def rss_mb(self) -> float:
        try:
            for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        except OSError:
            pass
        return float("nan")

    def stop(self) -> int | None:
        if self.proc.poll() is None:
            self.request("shutdown", None, timeout=10)
            self.notify("exit", None)
            try:
                return self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        return self.proc.wait(timeout=10)


def diag(line: int, error: str, source: str = "pyright") -> dict[str, Any]:
    return {"range": {"start": {"line": line, "character": 0}, "end": {"line": line, "character": 8}},
            "message": error, "source": source, "severity": 1}


def machine_busy_seconds() -> float | None:
    """CPU seconds the whole machine spent busy (all processes) since boot."""
    try:
        cpu = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    except OSError:
        return None
    values = [int(v) for v in cpu]
    idle = values[3] + (values[4] if len(values) > 4 else 0)
    return (sum(values[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def parse_mix(text: str) -> dict[str, int]:
    mix = {}
    for part in text.split(","):
        name, _, weight = part.partition("=")
        if name.strip() not in WEIGHTS or not weight.strip().isdigit():
            raise argparse.ArgumentTypeError(f"expected e.g. hover=70,record=20,decide=10, got {text!r}")
        mix[name.strip()] = int(weight)
    if not any(mix.values()):
        raise argparse.ArgumentTypeError("at least one weight must be > 0")
    return mix


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


class Soak:
    def __init__(self, root: Path, args: argparse.Namespace):
        self.root = root
        self.ws = Workspace(root)
        self.args = args
        self.server = Server(root, args.server_log)
        self.latency: dict[str, list[float]] = {k: [] for k in (*WEIGHTS, "disk_to_hover")}
        self.failures: dict[str, list[str]] = {k: [] for k in self.latency}
        self.recorded: list[tuple[str, str]] = []  # (error, fix) through the server
        self.external: list[tuple[str, str]] = []  # (error, fix) written by another process
        self.decisions: list[str] = []
        self.hover_misses = 0
        self.rss: list[tuple[float, float]] = []
        self.load: list[float] = []  # 1-minute load average every 2 s
        self.other_cores: float | None = None
        """CPUs' worth of work by other processes during the run."""
        self.disk_to_hover_series: list[tuple[float, float]] = []  # (seconds into the run, ms)
        self.started = time.monotonic()
        self.lock = threading.Lock()
        self.stop = threading.Event()

    # -- set-up ------------------------------------------------------------------------
    def seed(self) -> None:
        store = BugStore(self.ws)
        for i in range(self.args.seed_records):
            store.add(f"KeyError: 'seed_key_{i}'", f"seed fix {i}", author="seed")
        (self.root / "seed.py").write_text("".join(f"value_{i} = data['seed_key_{i}']\n"
                                                   for i in range(self.args.seed_records)))
        for c in range(self.args.clients):
            src = self.root / "src" / f"client_{c}.py"
            src.parent.mkdir(exist_ok=True)
            src.write_text("".join(f"def check_{i}(x):\n    assert x > {i}\n" for i in range(FUNCTIONS_PER_CLIENT)))

    def start(self) -> None:
        init = self.server.request("initialize", {"processId": None, "rootUri": self.root.as_uri(),
                                                  "capabilities": {}})
        assert "result" in init, init
        self.server.notify("initialized", {})
        self.seed_uri = (self.root / "seed.py").as_uri()
        self.server.notify("teamlore/didChangeDiagnostics", {
            "uri": self.seed_uri,
            "diagnostics": [diag(i, f"KeyError: 'seed_key_{i}'") for i in range(self.args.diagnostics)]})
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if "seed fix 0" in self.hover(self.seed_uri, 0):
                return
            time.sleep(0.1)
        raise SystemExit("the server never showed the seeded records")

    def hover(self, uri: str, line: int) -> str:
        res = self.server.request("textDocument/hover", {"textDocument": {"uri": uri},
                                                         "position": {"line": line, "character": 2}})
        result = res.get("result")
        return (result or {}).get("contents", {}).get("value", "") if isinstance(result, dict) else ""

    # -- traffic -----------------------------------------------------------------------
    def client(self, c: int) -> None:
        rng = random.Random(c)
        ops = list(self.args.mix)
        weights = list(self.args.mix.values())
        n = 0
        decided = 0
        while not self.stop.is_set():
            op = rng.choices(ops, weights)[0]
            n += 1
            res: dict[str, Any] = {}
            started = time.perf_counter()
            if op == "hover":
                i = rng.randrange(self.args.diagnostics)
                text = self.hover(self.seed_uri, i)
                ok = bool(text)
                if f"seed fix {i}" not in text:
                    with self.lock:
                        self.hover_misses += 1
            elif op == "record":
                error, fix = f"KeyError: 'soak_c{c}_k{n}'", f"soak fix c{c} n{n}"
                res = self.server.request("workspace/executeCommand", {"command": "teamlore.recordFix", "arguments": [
                    {"error": error, "fix": fix, "author": f"client{c}", "uri": self.seed_uri}]})
                ok = "result" in res
                if ok:
                    with self.lock:
                        self.recorded.append((error, fix))
            else:
                if decided >= FUNCTIONS_PER_CLIENT:
                    continue
                line = 2 + 2 * decided
                decided += 1
                res = self.server.request("workspace/executeCommand", {
                    "command": "teamlore.markFalsePositive", "arguments": [{
                        "findings": [{"tool": "bandit", "rule": "B101", "path": f"src/client_{c}.py", "line": line,
                                      "message": "Use of assert detected.", "severity": "low"}],
                        "reason": "soak: input validated by the caller", "author": f"client{c}",
                        "uri": self.seed_uri}]})
                ok = "result" in res
                if ok:
                    with self.lock:
                        self.decisions.extend(res["result"]["decisions"])
            elapsed = (time.perf_counter() - started) * 1000
            with self.lock:
                self.latency[op].append(elapsed)
                if not ok:
                    self.failures[op].append(json.dumps(res)[:200])

    def writer(self) -> None:
        """Another process's writes (CLI, git pull, sync) arriving on disk; each one is then
        looked up by hover until it shows (time from file on disk to hover, under load)."""
        store = BugStore(self.ws)
        doc = self.root / "external.py"
        doc.write_text("value = data['external']\n")
        uri = doc.as_uri()
        n = 0
        while not self.stop.wait(0.5):
            n += 1
            error, fix = f"KeyError: 'external_k{n}'", f"external fix {n}"
            store.add(error, fix, author="teammate")
            written = time.perf_counter()
            with self.lock:
                self.external.append((error, fix))
            self.server.notify("teamlore/didChangeDiagnostics", {"uri": uri, "diagnostics": [diag(0, error)]})
            while time.perf_counter() - written < 30:
                if fix in self.hover(uri, 0):
                    ms = (time.perf_counter() - written) * 1000
                    with self.lock:
                        self.latency["disk_to_hover"].append(ms)
                        self.disk_to_hover_series.append((time.monotonic() - self.started, ms))
                    break
                time.sleep(0.01)
            else:
                with self.lock:
                    self.failures["disk_to_hover"].append(f"{fix} not shown within 30 s")

    def sampler(self, started: float) -> None:
        while not self.stop.wait(2.0):
            self.rss.append((time.monotonic() - started, self.server.rss_mb()))
            self.load.append(os.getloadavg()[0])

    def run(self) -> None:
        busy0, own0 = machine_busy_seconds(), self.own_cpu_seconds()
        started = self.started = time.monotonic()
        self.rss.append((0.0, self.server.rss_mb()))
        threads = [threading.Thread(target=self.client, args=(c,)) for c in range(self.args.clients)]
        threads += [threading.Thread(target=self.writer), threading.Thread(target=self.sampler, args=(started,))]
        for t in threads:
            t.start()
        self.stop.wait(self.args.seconds)
        self.stop.set()
        for t in threads:
            t.join(120)
        self.rss.append((time.monotonic() - started, self.server.rss_mb()))
        busy1, own1 = machine_busy_seconds(), self.own_cpu_seconds()
        if None not in (busy0, busy1, own0, own1):
            self.other_cores = max(0.0, (busy1 - busy0) - (own1 - own0)) / (time.monotonic() - started)

    def own_cpu_seconds(self) -> float | None:
        """CPU time of this process and of the server."""
        try:
            fields = Path(f"/proc/{self.server.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None
        server = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        mine = os.times()
        return server + mine.user + mine.system

    # -- verification ------------------------------------------------------------------
    def verify(self) -> dict[str, Any]:
        on_disk = {r["fix"] for r in BugStore(self.ws).load().records.values()}
        expected = self.recorded + self.external
        lost_disk = [fix for _, fix in expected if fix not in on_disk]
        decisions_on_disk = set(DecisionStore(self.ws).load().records)
        lost_decisions = [d for d in self.decisions if d not in decisions_on_disk]

        # the server keeps at most a few thousand forwarded diagnostics per file: one file per chunk
        places: list[tuple[str, int]] = []
        for start in range(0, len(expected), VERIFY_CHUNK):
            chunk = expected[start:start + VERIFY_CHUNK]
            doc = self.root / f"verify_{start // VERIFY_CHUNK}.py"
            doc.write_text("".join(f"x{i} = 1\n" for i in range(len(chunk))))
            self.server.notify("teamlore/didChangeDiagnostics", {
                "uri": doc.as_uri(), "diagnostics": [diag(i, error) for i, (error, _) in enumerate(chunk)]})
            places += [(doc.as_uri(), i) for i in range(len(chunk))]
        time.sleep(1.0)  # the last external writes pass the watcher's debounce
        check_started = time.monotonic()
        missing = [i for i, (_, fix) in enumerate(expected) if fix not in self.hover(*places[i])]
        first_missing = len(missing)
        settled_after = 0.0
        while missing and time.monotonic() - check_started < 30:  # late is reported, lost is not shown at all
            time.sleep(2.0)
            missing = [i for i in missing if expected[i][1] not in self.hover(*places[i])]
            settled_after = time.monotonic() - check_started
        return {"records_through_server": len(self.recorded), "records_external": len(self.external),
                "decisions": len(self.decisions), "lost_on_disk": len(lost_disk),
                "lost_decisions": len(lost_decisions), "missing_in_hover_first_check": first_missing,
                "hover_complete_after_s": round(settled_after, 1) if first_missing and not missing else 0.0,
                "lost_in_hover": len(missing),
                "lost_operations": len(lost_disk) + len(lost_decisions) + len(missing),
                "examples_lost": [expected[i][1] for i in missing[:5]] + lost_disk[:5] + lost_decisions[:5]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=600.0, help="length of the traffic phase (default 600)")
    parser.add_argument("--clients", type=int, default=4, help="client threads sending requests (default 4)")
    parser.add_argument("--seed-records", type=int, default=500, help="records in the memory at start")
    parser.add_argument("--diagnostics", type=int, default=100,
                        help="forwarded diagnostics (over seeded errors) that hovers target; the server "
                             "re-matches them after every memory change (default 100)")
    parser.add_argument("--mix", type=parse_mix, default=dict(WEIGHTS),
                        help="operation weights, e.g. hover=100 for a steady-state (no new data) run "
                             "(default hover=70,record=20,decide=10)")
    parser.add_argument("--server-log", metavar="FILE", help="write the server's stderr here")
    parser.add_argument("--out", default=str(REPO / "bench" / "results" / "soak.json"))
    args = parser.parse_args()
    args.diagnostics = max(1, min(args.diagnostics, args.seed_records))

    at_start = machine()
    with tempfile.TemporaryDirectory(prefix="teamlore-soak-") as tmp:
        root = Path(tmp).resolve()
        soak = Soak(root, args)
        soak.seed()
        soak.start()
        soak.run()
        result = soak.verify()
        alive = soak.server.proc.poll() is None
        exit_code = soak.server.stop()

    rss_values = [mb for _, mb in soak.rss]
    warm = [mb for t, mb in soak.rss if t >= min(30.0, args.seconds / 4)] or rss_values
    ops = {}
    for op, values in soak.latency.items():
        if not values:
            ops[op] = {"count": 0, "failed": len(soak.failures[op]), "p50_ms": None, "p95_ms": None,
                       "p99_ms": None, "max_ms": None, "mean_ms": None}
            continue
        ops[op] = {"count": len(values), "failed": len(soak.failures[op]),
                   "p50_ms": round(pct(values, 50), 2), "p95_ms": round(pct(values, 95), 2),
                   "p99_ms": round(pct(values, 99), 2), "max_ms": round(max(values), 2),
                   "mean_ms": round(statistics.fmean(values), 2)}
    total = sum(len(soak.latency[op]) for op in WEIGHTS)
    at_start["load_average_max_during_run"] = round(max(soak.load, default=at_start["load_average"][0]), 2)
    other = soak.other_cores
    at_start["other_work_cores"] = round(other, 2) if other is not None else None
    if other is not None and other > 0.25:
        at_start["busy"] = f"other work used {other:.1f} of the {at_start['cpus']} CPUs meanwhile"
    report = {
        "machine": at_start,
        "seconds": args.seconds, "clients": args.clients, "seed_records": args.seed_records, "mix": args.mix,
        "forwarded_diagnostics": args.diagnostics,
        "operations": total, "ops_per_second": round(total / args.seconds, 1), "latency": ops,
        "hover_answers_without_the_expected_fix": soak.hover_misses,
        "disk_to_hover_series": [(round(t, 1), round(ms)) for t, ms in soak.disk_to_hover_series],
        "rss_mb": {"start": round(rss_values[0], 1), "after_warmup": round(warm[0], 1),
                   "end": round(rss_values[-1], 1), "max": round(max(rss_values), 1),
                   "growth_after_warmup": round(warm[-1] - warm[0], 1),
                   "samples": [(round(t, 1), round(mb, 1)) for t, mb in soak.rss]},
        "server_alive_at_end": alive, "server_exit_code": exit_code, **result,
        "failures_sample": {op: f[:3] for op, f in soak.failures.items() if f},
    }

    print(f"\nsoak: {args.seconds:.0f}s, {args.clients} clients, {total} operations "
          f"({report['ops_per_second']}/s), {args.seed_records} seeded records, "
          f"{args.diagnostics} forwarded diagnostics")
    print(f"{'operation':<14}{'count':>8}{'failed':>8}{'p50 ms':>10}{'p95 ms':>10}{'p99 ms':>10}{'max ms':>10}")
    for op, s in ops.items():
        s = {k: "-" if v is None else v for k, v in s.items()}
        print(f"{op:<14}{s['count']:>8}{s['failed']:>8}{s['p50_ms']:>10}{s['p95_ms']:>10}{s['p99_ms']:>10}"
              f"{s['max_ms']:>10}")
    r = report["rss_mb"]
    print(f"server RSS MB: start {r['start']}, after warm-up {r['after_warmup']}, end {r['end']}, max {r['max']}, "
          f"growth after warm-up {r['growth_after_warmup']}")
    print(f"records through the server {result['records_through_server']}, external {result['records_external']}, "
          f"decisions {result['decisions']}")
    print(f"lost operations: {result['lost_operations']} (disk {result['lost_on_disk']}, decisions "
          f"{result['lost_decisions']}, hover {result['lost_in_hover']}; missing at first hover check "
          f"{result['missing_in_hover_first_check']}); server alive at end: {alive}, exit code {exit_code}")
    save_results(args.out, finish(report))
    return 0 if result["lost_operations"] == 0 and alive else 1


if __name__ == "__main__":
    raise SystemExit(main())
