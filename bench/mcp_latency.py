"""The MCP server through the SDK's own stdio client, with many stored records.

Measures, for a memory of N generated bug records (default 10,000):
- start: process start to the end of ``initialize``;
- first answer: the first ``match_error`` (reads and indexes every record), and again
  after a restart (the index cache in ``.teamlore/.cache/`` is there then);
- ``match_error`` latency p50/p95/p99 over repeated queries (half new occurrences of stored
  errors from other call sites, half errors the memory has never seen);
- ``record_fix`` latency and the ``match_error`` right after it (the index catches up with
  the one new file, not the whole directory).
Results: bench/results/mcp_latency.json.

Usage: python bench/mcp_latency.py [--records N] [--queries Q]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import anyio
import mcp_types as types
from mcp.client import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client
from rich.console import Console
from rich.table import Table

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from machine import finish, machine, save_results  # noqa: E402

from memory_store.bugs.records import BugStore  # noqa: E402
from memory_store.jsonio import dumps  # noqa: E402
from memory_store.workspace import Workspace  # noqa: E402

RESULTS = REPO / "bench" / "results" / "mcp_latency.json"

TYPES = ["KeyError", "ValueError", "TypeError", "AttributeError", "ModuleNotFoundError", "ConnectionError",
         "TimeoutError", "PermissionError", "FileNotFoundError", "IndexError", "ZeroDivisionError",
         "RuntimeError", "sqlalchemy.exc.IntegrityError", "redis.exceptions.ConnectionError",
         "requests.exceptions.HTTPError", "json.decoder.JSONDecodeError"]
WORDS = ["user", "order", "invoice", "session", "token", "cart", "price", "tenant", "report", "export",
         "payload", "config", "cache", "queue", "worker", "profile", "account", "refund", "webhook", "job"]
LIBS = ["sqlalchemy/engine/base.py", "requests/models.py", "redis/connection.py", "django/db/models/query.py",
        "flask/app.py", "celery/app/task.py", "pydantic/main.py", "json/decoder.py"]


def message(rng: random.Random, exc: str, i: int) -> str:
    a, b = rng.choice(WORDS), rng.choice(WORDS)
    if exc == "KeyError":
        return f"'{a}_{b}_{i}'"
    if exc == "ModuleNotFoundError":
        return f"No module named '{a}{b}{i}'"
    if exc == "AttributeError":
        return f"'{a.title()}{i}' object has no attribute '{b}_{i}'"
    return f"{a} {b} failed for {a}_{i}: unexpected {b} value {rng.randint(1, 10**6)}"


def traceback(rng: random.Random, exc: str, msg: str, i: int, module: str | None = None) -> str:
    module = module or f"app/{rng.choice(WORDS)}_{i % 400}.py"
    lines = ["Traceback (most recent call last):",
             f'  File "{module}", line {rng.randint(10, 400)}, in handle_{rng.choice(WORDS)}',
             f"    result = do_{rng.choice(WORDS)}(request)"]
    if rng.random() < 0.6:
        lib = rng.choice(LIBS)
        lines += [f'  File "/home/dev/.venv/lib/python3.11/site-packages/{lib}", line {rng.randint(10, 900)}, '
                  f"in {rng.choice(WORDS)}", "    raise"]
    lines.append(f"{exc}: {msg}")
    return "\n".join(lines) + "\n"


def generate(workspace: Workspace, n: int, seed: int = 7) -> list[tuple[str, str]]:
    """Write n records (plain writes: this is setup, not the measured path); return (type, message) pairs."""
    rng = random.Random(seed)
    store = BugStore(workspace)
    workspace.ensure_store()
    store.files.directory.mkdir(parents=True, exist_ok=True)
    stored = []
    for i in range(n):
        exc = rng.choice(TYPES)
        msg = message(rng, exc, i)
        rec = store.build(traceback(rng, exc, msg, i), f"fix {i}: handle {msg[:30]}", author="bench",
                          minutes=rng.randint(5, 240), source="bench")
        rec["schema"] = store.files.schema
        store.files.path_for(rec["id"]).write_text(dumps(rec), encoding="utf-8")
        stored.append((exc, msg))
    return stored


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def measure(root: Path, stored: list[tuple[str, str]], queries: int) -> dict[str, Any]:
    rng = random.Random(11)
    params = StdioServerParameters(command=sys.executable, args=["-m", "server", "mcp", "--root", str(root)],
                                   cwd=str(REPO))
    t0 = time.perf_counter()
    async with stdio_client(params) as (read, write), \
            ClientSession(read, write, client_info=types.Implementation(name="bench", version="1")) as session:
        await session.initialize()
        started = time.perf_counter() - t0
        exc, msg = stored[0]
        t1 = time.perf_counter()
        first = await session.call_tool("match_error", {"error_text": traceback(rng, exc, msg, 0, "svc/other.py")})
        first_answer = time.perf_counter() - t1
        assert not first.is_error, first.content
        latencies, hits = [], 0
        for q in range(queries):
            if q % 2 == 0:
                exc, msg = rng.choice(stored)
                text = traceback(rng, exc, msg, q, f"svc/caller_{q}.py")
            else:
                text = traceback(rng, "LookupError", f"never seen {q} {rng.random()}", q)
            t = time.perf_counter()
            res = await session.call_tool("match_error", {"error_text": text})
            latencies.append((time.perf_counter() - t) * 1000)
            hits += bool(res.structured_content and res.structured_content["matches"]) and q % 2 == 0
        record_ms, after_ms = [], []
        for k in range(20):
            text = traceback(rng, "RuntimeError", f"bench record {k} {rng.random()}", k)
            t = time.perf_counter()
            res = await session.call_tool("record_fix", {"error_text": text, "fix": f"bench fix {k}"})
            record_ms.append((time.perf_counter() - t) * 1000)
            assert not res.is_error, res.content
            t = time.perf_counter()
            await session.call_tool("match_error", {"error_text": text})
            after_ms.append((time.perf_counter() - t) * 1000)
    return {
        "start_s": round(started, 3), "first_answer_s": round(first_answer, 3),
        "match_ms": {"p50": round(pct(latencies, 0.5), 2), "p95": round(pct(latencies, 0.95), 2),
                     "p99": round(pct(latencies, 0.99), 2), "mean": round(statistics.fmean(latencies), 2)},
        "known_queries_matched": round(hits / max(1, (queries + 1) // 2), 3),
        "record_fix_ms_p50": round(pct(record_ms, 0.5), 2),
        "match_after_record_ms_p50": round(pct(after_ms, 0.5), 2),
    }


async def restart(root: Path, stored: list[tuple[str, str]]) -> float:
    """A new server process on the same memory (the index cache written by the first one is
    there now): seconds to its first ``match_error`` answer."""
    params = StdioServerParameters(command=sys.executable, args=["-m", "server", "mcp", "--root", str(root)],
                                   cwd=str(REPO))
    async with stdio_client(params) as (read, write), \
            ClientSession(read, write, client_info=types.Implementation(name="bench", version="1")) as session:
        await session.initialize()
        exc, msg = stored[0]
        t = time.perf_counter()
        res = await session.call_tool("match_error", {"error_text": traceback(random.Random(5), exc, msg, 0,
                                                                               "svc/again.py")})
        assert not res.is_error, res.content
        return round(time.perf_counter() - t, 3)


SETTLE_S = 2.5


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--queries", type=int, default=1000,
                        help="match_error calls per size (p99 = the 10th slowest of 1,000)")
    args = parser.parse_args()
    rows = []
    at_start = machine()
    for n in args.records:
        with tempfile.TemporaryDirectory() as tmp:
            ws = Workspace(Path(tmp).resolve())
            stored = generate(ws, n)
            # As in a real checkout, the record files are older than the 2 s within which a file
            # time is not trusted; otherwise every query in that window re-lists the directory.
            time.sleep(SETTLE_S)
            result = anyio.run(measure, ws.root, stored, args.queries)
            result["restart_first_answer_s"] = anyio.run(restart, ws.root, stored)
            rows.append({"records": n, "queries": args.queries, **result})
    table = Table(title="teamlore mcp over stdio (SDK client)")
    for col in ["records", "start s", "first answer s", "after restart s", "match p50 ms", "p95 ms", "p99 ms",
                "known matched", "record_fix p50 ms", "match after record p50 ms"]:
        table.add_column(col, justify="right")
    for r in rows:
        table.add_row(str(r["records"]), str(r["start_s"]), str(r["first_answer_s"]),
                      str(r["restart_first_answer_s"]), str(r["match_ms"]["p50"]),
                      str(r["match_ms"]["p95"]), str(r["match_ms"]["p99"]), str(r["known_queries_matched"]),
                      str(r["record_fix_ms_p50"]), str(r["match_after_record_ms_p50"]))
    Console().print(table)
    save_results(RESULTS, finish({"machine": at_start, "results": rows}))


if __name__ == "__main__":
    main()
