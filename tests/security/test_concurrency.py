"""Several processes recording decisions at once lose nothing and never half-write a file."""

from __future__ import annotations

import json
import multiprocessing

from memory_store.security.api import SecurityMemory


def _decide(root: str, worker: int, count: int) -> None:
    mem = SecurityMemory(root)
    for n in range(count):
        f = mem.finding_from_diagnostic("bandit", "B101", "app.py", 1 + (worker * count + n) % 40, "assert")
        f.fingerprint = f"{f.fingerprint}-{worker}-{n}"  # distinct findings, same file
        mem.decide([f], "false_positive", f"worker {worker} item {n}")
    # Everyone also decides the same finding with their own reason: one file, readable.
    shared = mem.finding_from_diagnostic("bandit", "B101", "app.py", 1, "assert")
    mem.decide([shared], "accepted_risk", f"shared by worker {worker}")


def test_parallel_deciders(workspace):
    (workspace.root / "app.py").write_text("".join(f"assert x{i}\n" for i in range(40)))
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_decide, args=(str(workspace.root), w, 25)) for w in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    result = SecurityMemory(workspace).store.load()
    assert result.problems == []
    assert len(result.records) == 4 * 25 + 1
    shared = [r for r in result.records.values() if r["decision"] == "accepted_risk"]
    assert len(shared) == 1 and shared[0]["reason"].startswith("shared by worker")
    for path in (workspace.store / "security" / "decisions").iterdir():
        json.loads(path.read_text())
