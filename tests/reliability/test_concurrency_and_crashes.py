"""Many writers, a reader and the server's watcher at once; writers killed mid-write."""

from __future__ import annotations

import hashlib
import json
import random
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from memory_store.bugs.records import BugStore
from memory_store.security.decisions import DecisionStore
from memory_store.workspace import Workspace
from server.lsp.memory import StoreWatcher
from tests.reliability.workers import BIG_ID, big_record

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
WRITERS = 8
PER_WRITER = 60


def worker(*args: str) -> list[str]:
    return [sys.executable, "-m", "tests.reliability.workers", *args]


class ParsingWatcher:
    """The language server's watcher; every record file it reports is parsed at once."""

    def __init__(self, ws: Workspace):
        self.seen: set[str] = set()
        self.bad: list[str] = []
        self._lock = threading.Lock()
        self.watcher = StoreWatcher(self._changed)
        self.watcher.start()
        self.watcher.watch(ws.root)

    def _changed(self, path: Path) -> None:
        if path.suffix != ".json" or path.name.startswith(".") or not path.exists():
            return
        try:
            json.loads(path.read_bytes().decode("utf-8"))
        except (OSError, ValueError) as exc:
            with self._lock:
                self.bad.append(f"{path.name}: {exc}")
            return
        with self._lock:
            self.seen.add(path.name)

    def stop(self) -> None:
        self.watcher.stop()


@dataclass
class Scenario:
    ws: Workspace
    reader: dict[str, Any]
    watcher: ParsingWatcher


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Scenario:
    """8 writer processes, a reader process and the watcher, all at once."""
    ws = Workspace((tmp_path_factory.mktemp("concurrency") / "ws").resolve())
    ws.root.mkdir()
    ws.ensure_store()
    watcher = ParsingWatcher(ws)
    stop = ws.root.parent / "stop"
    try:
        reader = subprocess.Popen(worker("read", str(ws.root), str(stop)), cwd=REPO,
                                  stdout=subprocess.PIPE, text=True)
        writers = [subprocess.Popen(worker("write", str(ws.root), str(i), str(PER_WRITER)), cwd=REPO)
                   for i in range(WRITERS)]
        for w in writers:
            assert w.wait(timeout=240) == 0
        stop.touch()
        out, _ = reader.communicate(timeout=60)
        time.sleep(0.5)  # let the watcher drain its last events
    finally:
        watcher.stop()
    return Scenario(ws, json.loads(out), watcher)


def test_eight_writers_lose_nothing_and_no_one_sees_a_half_written_file(scenario: Scenario) -> None:
    ws = scenario.ws
    assert scenario.reader["bad"] == [], "the reader saw a half-written file"
    assert scenario.reader["reads"] > 0
    assert scenario.watcher.bad == [], "the watcher reported a half-written file"
    assert scenario.watcher.seen, "the watcher reported nothing"

    bugs = BugStore(ws).load()
    decisions = DecisionStore(ws).load()
    assert bugs.problems == [] and decisions.problems == []
    assert len(bugs.records) == WRITERS * PER_WRITER
    assert len(decisions.records) == WRITERS * len(range(0, PER_WRITER, 4))
    expected = {f"use .get('writer{w}_key{i}')" for w in range(WRITERS) for i in range(PER_WRITER)}
    assert {r["fix"] for r in bugs.records.values()} == expected


def test_the_watcher_reports_every_new_record(scenario: Scenario) -> None:
    """Readers opening files must not flood the watcher into losing events (kernel queue)."""
    ws = scenario.ws
    files = {p.name for d in (ws.store / "bugs", ws.store / "security" / "decisions") for p in d.glob("*.json")}
    missing = files - scenario.watcher.seen
    assert not missing, f"the watcher never reported {len(missing)} of {len(files)} file(s)"


def test_a_writer_killed_mid_write_leaves_the_old_or_the_new_record(tmp_path: Path) -> None:
    ws = Workspace((tmp_path / "ws").resolve())
    ws.root.mkdir()
    files = BugStore(ws).files  # the same directory and lock the writers use
    files.write(big_record(0))
    rng = random.Random(8)
    seen_seqs: set[int] = set()
    for _ in range(12):
        proc = subprocess.Popen(worker("rewrite", str(ws.root)), cwd=REPO, stdout=subprocess.PIPE, text=True)
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.0, 0.25))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        rec = files.read(BIG_ID)  # raises if the file is partial, unparsable or of another record
        assert hashlib.sha256(rec["payload"].encode()).hexdigest() == rec["check"]
        assert rec == {**big_record(rec["seq"]), "schema": "teamlore.bug/1"}
        seen_seqs.add(rec["seq"])
    assert len(seen_seqs) > 1, "the kills never landed after a completed write"
    # leftover temp files of killed writers are hidden files: loaders skip them
    assert files.load_all().problems == []
    # and a lock held by a killed process does not block the next writer
    rec, created = BugStore(ws).add("KeyError: 'after_crash'", "it still works", author="ann")
    assert created and BugStore(ws).get(rec["id"])["fix"] == "it still works"
