"""Processes started by the reliability tests: ``python -m tests.reliability.workers VERB ...``.

- ``write ROOT INDEX COUNT``: add COUNT bug records and COUNT/4 policy decisions.
- ``read ROOT STOPFILE``: read every record file over and over until STOPFILE exists;
  print ``{"reads": N, "bad": [...]}`` (a file that does not parse is "bad").
- ``rewrite ROOT``: rewrite one large record forever (to be killed with SIGKILL).
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

from memory_store.bugs.records import BugStore
from memory_store.security.decisions import DecisionStore
from memory_store.workspace import Workspace

BIG_ID = "bug-big"
BIG_CHARS = 2_000_000


def write(root: str, index: int, count: int) -> None:
    ws = Workspace(Path(root))
    bugs, decisions = BugStore(ws), DecisionStore(ws)
    for i in range(count):
        bugs.add(f"KeyError: 'writer{index}_key{i}'", f"use .get('writer{index}_key{i}')", author=f"w{index}")
        if i % 4 == 0:
            decisions.add_policy([f"W{index}R{i}"], f"tests/w{index}/**", "fixture code", author=f"w{index}")


def record_dirs(ws: Workspace) -> list[Path]:
    return [ws.store / "bugs", ws.store / "security" / "decisions"]


def read(root: str, stopfile: str) -> None:
    ws = Workspace(Path(root))
    reads, bad = 0, []
    stop = Path(stopfile)
    while True:
        last_round = stop.exists()
        for directory in record_dirs(ws):
            if not directory.is_dir():
                continue
            for path in directory.glob("*.json"):
                if path.name.startswith("."):
                    continue
                try:
                    json.loads(path.read_bytes().decode("utf-8"))
                    reads += 1
                except (OSError, ValueError) as exc:
                    bad.append(f"{path.name}: {exc}")
        if last_round:
            break
    print(json.dumps({"reads": reads, "bad": bad}))


def big_record(seq: int) -> dict[str, object]:
    payload = (f"{seq:08d}" * (BIG_CHARS // 8 + 1))[:BIG_CHARS]
    return {"id": BIG_ID, "seq": seq, "payload": payload,
            "check": hashlib.sha256(payload.encode()).hexdigest(),
            "error": {"type": "MemoryError", "message": "big"}, "fix": "f"}


def rewrite(root: str) -> None:
    files = BugStore(Workspace(Path(root))).files
    seq = 0
    print("ready", flush=True)
    while True:
        seq += 1
        with files.locked():  # a kill may land while the lock is held
            files.write(big_record(seq))


if __name__ == "__main__":
    verb, *args = sys.argv[1:]
    if verb == "write":
        write(args[0], int(args[1]), int(args[2]))
    elif verb == "read":
        read(args[0], args[1])
    elif verb == "rewrite":
        rewrite(args[0])
    else:
        raise SystemExit(f"unknown verb {verb}")
