"""``teamlore run`` is transparent; the inbox records runs safely and can be tailed."""

from __future__ import annotations

import json
import multiprocessing
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from memory_store.inbox import Inbox, clip_output
from memory_store.workspace import Workspace
from server.cli.commands.run import BoundedOutput
from tests.conftest import run_cli

SCRIPT = """\
import sys, time
print("starting")
sys.stdout.flush()
print("warning: cache is cold", file=sys.stderr)
data = sys.stdin.read()
print(f"got {len(data)} chars: {data.strip()}")
print("héllo wörld ✓")
sys.exit(int(sys.argv[1]))
"""

FAILING = """\
def load(cfg):
    return cfg["user_id"]

API_TOKEN = "ghp_a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"
print("connecting with token", API_TOKEN)
load({})
"""


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    root = (tmp_path / "ws").resolve()
    (root / "src").mkdir(parents=True)
    (root / "src" / "tool.py").write_text(SCRIPT)
    (root / "src" / "failing.py").write_text(FAILING)
    return Workspace(root)


@pytest.mark.parametrize("code", [0, 3])
def test_run_is_transparent(ws: Workspace, code: int) -> None:
    argv = [sys.executable, "src/tool.py", str(code)]
    direct = subprocess.run(argv, input="some input\n", capture_output=True, text=True, cwd=ws.root, check=False)
    wrapped = run_cli("run", "--", *argv, root=ws.root, stdin="some input\n", cwd=ws.root)
    assert wrapped.returncode == direct.returncode == code
    assert wrapped.stdout == direct.stdout
    assert wrapped.stderr == direct.stderr
    assert "got 11 chars: some input" in wrapped.stdout


def test_run_streams_output_as_it_happens(ws: Workspace) -> None:
    script = "import time\nprint('first', flush=True)\ntime.sleep(3)\nprint('second')\n"
    proc = subprocess.Popen([sys.executable, "-m", "server", "--root", str(ws.root), "run", "--",
                             sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, cwd=ws.root)
    assert proc.stdout is not None
    t0 = time.monotonic()
    first = proc.stdout.readline()
    elapsed = time.monotonic() - t0
    rest = proc.stdout.read()
    assert proc.wait(timeout=30) == 0
    assert first == "first\n" and rest == "second\n"
    assert elapsed < 2.5, "the first line must arrive before the command ends"


def test_exit_code_of_a_signal(ws: Workspace) -> None:
    out = run_cli("run", "--", sys.executable, "-c", "import os, signal; os.kill(os.getpid(), signal.SIGTERM)",
                  root=ws.root)
    assert out.returncode == 128 + 15


def test_missing_command_and_no_command(ws: Workspace) -> None:
    missing = run_cli("run", "--", "no-such-command-xyz", root=ws.root)
    assert missing.returncode == 127 and "command not found: no-such-command-xyz" in missing.stderr
    empty = run_cli("run", root=ws.root)
    assert empty.returncode == 2 and "no command given" in empty.stderr
    assert not (ws.inbox / "runs.jsonl").exists()


def test_run_event_in_inbox(ws: Workspace) -> None:
    out = run_cli("run", "--", sys.executable, "failing.py", root=ws.root, cwd=ws.root / "src")
    assert out.returncode == 1 and "KeyError: 'user_id'" in out.stderr
    lines = (ws.inbox / "runs.jsonl").read_text().splitlines()
    assert len(lines) == 1
    event = json.loads(lines[0])
    assert event["command"] == f"{sys.executable} failing.py"
    assert event["cwd"] == "src"
    assert event["exit_code"] == 1
    assert event["started"] <= event["ended"] and event["duration"] >= 0
    [error] = event["errors"]
    assert error["type"] == "KeyError" and error["message"] == "'user_id'"
    assert len(error["fingerprint"]) >= 8
    assert "ghp_a1B2" not in lines[0], "the inbox holds no secrets"


def test_record_run_library_entry_point(ws: Workspace) -> None:
    inbox = Inbox(ws)
    event = inbox.record_run("pytest -q", str(ws.root / "src"), 1,
                             "E   KeyError: 'user_id'\nFAILED tests/test_a.py::test_x - KeyError: 'user_id'\n",
                             started=1_700_000_000.0, ended=1_700_000_002.5)
    assert event["cwd"] == "src" and event["duration"] == 2.5
    assert event["started"] == "2023-11-14T22:13:20.000Z"
    assert event["errors"] and event["errors"][0]["type"] == "KeyError"
    outside = inbox.record_run("ls", "/", 0, "")
    assert outside["cwd"] is None


def test_events_since_tails_with_a_cursor(ws: Workspace) -> None:
    inbox = Inbox(ws)
    assert inbox.events_since(None) == ([], 0)
    a = inbox.record_run("make", str(ws.root), 2, "error: missing separator\n")
    events, cursor = inbox.events_since(None)
    assert [e["id"] for e in events] == [a["id"]]
    assert inbox.events_since(cursor) == ([], cursor)
    b = inbox.record_run("make", str(ws.root), 0, "ok\n")
    with open(inbox.runs_log, "ab") as fh:  # a writer caught mid-line: not returned yet
        fh.write(b'{"id": "partial"')
    events, cursor2 = inbox.events_since(cursor)
    assert [e["id"] for e in events] == [b["id"]]
    with open(inbox.runs_log, "ab") as fh:
        fh.write(b', "command": "x"}\n')
    events, _ = inbox.events_since(cursor2)
    assert [e["id"] for e in events] == ["partial"]


def test_events_since_after_rotation_starts_over(ws: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    import memory_store.inbox as inbox_mod

    inbox = Inbox(ws)
    for _ in range(3):
        inbox.record_run("make", str(ws.root), 0, "ok\n")
    _, cursor = inbox.events_since(None)
    monkeypatch.setattr(inbox_mod, "ROTATE_BYTES", 1)
    fresh = inbox.record_run("make", str(ws.root), 0, "ok\n")
    assert (ws.inbox / "runs.1.jsonl").exists()
    events, _ = inbox.events_since(cursor)
    assert [e["id"] for e in events] == [fresh["id"]]


def _append_runs(root: str, n: int) -> None:
    inbox = Inbox(Workspace(Path(root)))
    for i in range(n):
        inbox.record_run(f"job {os.getpid()} {i}", root, 0, "ok\n", capture=False)


def test_concurrent_writers_lose_no_event(ws: Workspace) -> None:
    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=_append_runs, args=(str(ws.root), 50)) for _ in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    events, _ = Inbox(ws).events_since(None)
    assert len(events) == 200
    assert len({e["command"] for e in events}) == 200


def test_bounded_output_keeps_head_and_tail() -> None:
    buf = BoundedOutput(head=100, tail=1000)
    buf.add(b"HEAD-LINE\n" * 10)
    for _ in range(5000):
        buf.add(b"x" * 99 + b"\n")
    buf.add(b"ValueError: at the end\n")
    text = buf.text()
    assert text.startswith("HEAD-LINE\n")
    assert text.endswith("ValueError: at the end\n")
    assert "bytes omitted" in text
    assert len(text) < 1200
    assert buf.total == 100 + 5000 * 100 + 23


def test_clip_output_keeps_the_end() -> None:
    text = "a" * 1000 + "\nKeyError: 'x'\n"
    clipped = clip_output(text, limit=200, head=50)
    assert clipped.endswith("KeyError: 'x'\n") and len(clipped) < 300
    assert clip_output("short") == "short"


def test_background_child_holding_the_pipe_does_not_block(ws: Workspace) -> None:
    t0 = time.monotonic()
    out = run_cli("run", "--", "sh", "-c", "echo started; sleep 8 & exit 4",
                  root=ws.root, timeout=25)
    assert out.returncode == 4 and out.stdout == "started\n"
    assert time.monotonic() - t0 < 6


@given(st.lists(st.binary(max_size=300), max_size=60), st.integers(1, 200), st.integers(1, 400))
def test_bounded_output_property(chunks: list[bytes], head: int, tail: int) -> None:
    buf = BoundedOutput(head=head, tail=tail)
    for chunk in chunks:
        buf.add(chunk)
    data = b"".join(chunks)
    text = buf.text()
    assert buf.total == len(data)
    if len(data) <= head + tail:
        assert text == data.decode("utf-8", errors="replace")
    else:
        assert text.startswith(data[:head].decode("utf-8", errors="replace"))
        assert "bytes omitted" in text
        assert len(text.encode("utf-8")) <= 4 * (head + tail) + 64


def test_a_secret_cut_by_the_traceback_cap_is_redacted_whole() -> None:
    from memory_store.errors.parse import parse_error
    from memory_store.inbox import MAX_TRACEBACK_CHARS, error_json

    token = "ghp_" + "A1b2C3d4E5" * 4

    def traceback(filler: int) -> str:
        return (f"Traceback (most recent call last):\n  File \"app.py\", line 1, in <module>\n"
                f"    call('{token}')\n    # {'x' * filler}\nValueError: bad token\n")

    draft = traceback(MAX_TRACEBACK_CHARS)
    # choose the filler so that the cap cuts right through the middle of the token
    filler = MAX_TRACEBACK_CHARS + (MAX_TRACEBACK_CHARS + draft.index(token) + len(token) // 2 - len(draft))
    text = traceback(filler)
    assert len(text) - MAX_TRACEBACK_CHARS == text.index(token) + len(token) // 2
    err = parse_error(text, redact_secrets=False)
    assert err is not None and token in err.text
    stored = error_json(err)["traceback"]
    assert len(stored) <= MAX_TRACEBACK_CHARS
    assert not any(token[i:i + 8] in stored for i in range(len(token) - 8))


PIP_CONFLICT = """\
ERROR: Cannot install web==1.0 and hooks==3.0 because these package versions have conflicting dependencies.

The conflict is caused by:
    web 1.0 depends on hooks<3

ERROR: ResolutionImpossible: for help visit https://pip.example/dependency-resolution
"""


def test_a_failed_command_with_no_error_of_a_known_shape_records_its_error_line(ws: Workspace) -> None:
    """pip's resolver prints only ``ERROR:`` lines: a failed run records the conflict line
    (not the verdict after it); the same output of a run that passed records nothing."""
    inbox = Inbox(ws)
    failed = inbox.record_run("pip install -r requirements.txt", str(ws.root), 1, PIP_CONFLICT)
    assert [e["message"] for e in failed["errors"]] == [
        "Cannot install web==1.0 and hooks==3.0 because these package versions have conflicting dependencies."]
    passed = inbox.record_run("pip install -r requirements.txt", str(ws.root), 0, PIP_CONFLICT)
    assert passed["errors"] == []
