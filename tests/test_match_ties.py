"""Equally scored candidates are ranked the same way in every run (ties broken by id),
whatever order Python's hash seed gives to the sets and dicts the matcher walks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

# A generated memory with many near-duplicate records (equal scores among weak candidates),
# matched with weak candidates included; prints the ordered ids of every answer.
PROBE = """
import json, sys
sys.path.insert(0, sys.argv[1])
from bench.gen_records import build_records, queries
from memory_store.bugs.match import BugIndex
index = BugIndex(build_records(1500))
print(json.dumps([[m.record["id"] for m in index.match(q, limit=5, include_weak=True)] for q in queries(200)]))
"""


def _ranked(hash_seed: str) -> list[list[str]]:
    env = {**os.environ, "PYTHONHASHSEED": hash_seed}
    done = subprocess.run([sys.executable, "-c", PROBE, str(REPO)], env=env, cwd=REPO, capture_output=True,
                          text=True, timeout=300, check=True)
    result: list[list[str]] = json.loads(done.stdout)
    return result


def test_weak_candidate_order_does_not_depend_on_the_hash_seed() -> None:
    first, second = _ranked("1"), _ranked("2")
    assert sum(1 for answer in first if len(answer) > 1) > 50  # the queries do rank several candidates
    assert first == second
