"""The ``teamlore bugs`` CLI contract, through the real entry point in a subprocess."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from memory_store.bugs.records import BugStore
from memory_store.workspace import Workspace
from tests.conftest import run_cli

STRUCTLOG = """\
Traceback (most recent call last):
  File "/home/dana/proj/src/worker/tasks.py", line 3, in <module>
    import structlog
ModuleNotFoundError: No module named 'structlog'
"""

STRUCTLOG_ELSEWHERE = """\
Traceback (most recent call last):
  File "C:\\Users\\li\\code\\proj\\src\\api\\logging_setup.py", line 12, in configure
    import structlog
ModuleNotFoundError: No module named 'structlog'
"""

KEYERROR = """\
Traceback (most recent call last):
  File "/home/dana/proj/src/api/users.py", line 41, in get_user
    return payload["user_id"]
KeyError: 'user_id'
"""

UNRELATED = "PermissionError: [Errno 13] Permission denied: '/var/log/app/export.csv'\n"
MATCH_KEYS = {"id", "score", "fix", "root_cause", "error_type", "message", "reasons"}


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


@pytest.fixture
def seeded(workspace: Workspace) -> tuple[Workspace, dict[str, str]]:
    """Three records written through the library (the CLI's add is tested on its own)."""
    store = BugStore(workspace)
    ids = {
        "structlog": store.add(STRUCTLOG, "add structlog to requirements.txt", minutes=12,
                               root_cause="dependency never declared", author="dana")[0]["id"],
        "structlog2": store.add(STRUCTLOG, "add structlog to requirements.txt and reinstall", minutes=40,
                                author="li")[0]["id"],
        "keyerror": store.add(KEYERROR, "use payload.get('user_id') and return 400", minutes=8,
                              author="li")[0]["id"],
    }
    return workspace, ids


def test_add_prints_the_id_and_stores_the_record(workspace: Workspace) -> None:
    src = write(workspace.root.parent / "e.txt", KEYERROR)
    out = run_cli("bugs", "add", "--error", str(src), "--fix", "use .get", "--file", "src/api/users.py",
                  "--minutes", "8", "--author", "li", root=workspace.root)
    assert out.returncode == 0, out.stderr
    record_id = out.stdout.strip()
    rec = json.loads((workspace.store / "bugs" / f"{record_id}.json").read_text())
    assert rec["fix"] == "use .get" and rec["file"] == "src/api/users.py"
    assert rec["minutes"] == 8 and rec["author"] == "li" and rec["error"]["type"] == "KeyError"


def test_add_reads_stdin_and_prints_json(workspace: Workspace) -> None:
    out = run_cli("bugs", "add", "--error", "-", "--fix", "use .get", "--json", root=workspace.root, stdin=KEYERROR)
    assert out.returncode == 0
    assert set(json.loads(out.stdout)) >= {"id"}


@pytest.mark.parametrize("args, message", [
    pytest.param(["--error", "missing.txt", "--fix", "x"], "error file not found: missing.txt", id="missing-file"),
    pytest.param(["--error", "-", "--fix", "   "], "empty fix text", id="empty-fix"),
    pytest.param(["--error", "-", "--fix", "x", "--minutes", "-3"], "--minutes", id="negative-minutes"),
    pytest.param(["--error", "-", "--fix", "x", "--file", "../outside.py"], "escapes the workspace", id="bad-path"),
    pytest.param(["--fix", "x"], "--error", id="no-error"),
])
def test_add_bad_arguments_exit_2_and_write_nothing(workspace: Workspace, args: list[str], message: str) -> None:
    out = run_cli("bugs", "add", *args, root=workspace.root, stdin=KEYERROR)
    assert out.returncode == 2
    assert message in out.stderr and len(out.stderr.strip().splitlines()) == 1
    assert not (workspace.store / "bugs").exists()


def test_add_empty_error_text_is_rejected(workspace: Workspace) -> None:
    out = run_cli("bugs", "add", "--error", "-", "--fix", "x", root=workspace.root, stdin="  \n")
    assert out.returncode == 2 and "no error text" in out.stderr


def test_match_json_shape_best_first(seeded: tuple[Workspace, dict[str, str]]) -> None:
    ws, ids = seeded
    src = write(ws.root.parent / "q.txt", STRUCTLOG_ELSEWHERE)
    out = run_cli("bugs", "match", "--error", str(src), "--json", root=ws.root)
    assert out.returncode == 0, out.stderr
    matches = json.loads(out.stdout)["matches"]
    assert {m["id"] for m in matches} == {ids["structlog"], ids["structlog2"]}
    for m in matches:
        assert set(m) >= MATCH_KEYS
        assert 0 <= m["score"] <= 1 and m["reasons"] and m["error_type"] == "ModuleNotFoundError"
    assert [m["score"] for m in matches] == sorted((m["score"] for m in matches), reverse=True)


def test_match_limit(seeded: tuple[Workspace, dict[str, str]]) -> None:
    ws, _ = seeded
    out = run_cli("bugs", "match", "--error", "-", "--limit", "1", "--json", root=ws.root, stdin=STRUCTLOG)
    assert len(json.loads(out.stdout)["matches"]) == 1


def test_match_nothing_confident_is_an_empty_list(seeded: tuple[Workspace, dict[str, str]]) -> None:
    ws, _ = seeded
    out = run_cli("bugs", "match", "--error", "-", "--json", root=ws.root, stdin=UNRELATED)
    assert out.returncode == 0
    assert json.loads(out.stdout) == {"matches": []}
    text = run_cli("bugs", "match", "--error", "-", root=ws.root, stdin=UNRELATED)
    assert text.returncode == 0 and "no match" in text.stdout


def test_match_all_marks_weak_candidates(seeded: tuple[Workspace, dict[str, str]]) -> None:
    ws, _ = seeded
    weak = "KeyError: 'order_id'\n"
    strict = json.loads(run_cli("bugs", "match", "--error", "-", "--json", root=ws.root, stdin=weak).stdout)
    loose = json.loads(run_cli("bugs", "match", "--error", "-", "--all", "--json", root=ws.root, stdin=weak).stdout)
    assert all(m.get("confident", True) for m in strict["matches"])
    weak_ones = [m for m in loose["matches"] if m.get("confident") is False]
    assert weak_ones, "--all shows weaker candidates, marked not confident"
    assert len(loose["matches"]) > len(strict["matches"])


def test_match_table_shows_fix_and_fix_time(seeded: tuple[Workspace, dict[str, str]]) -> None:
    ws, _ = seeded
    out = run_cli("bugs", "match", "--error", "-", root=ws.root, stdin=STRUCTLOG_ELSEWHERE)
    assert out.returncode == 0
    flat = " ".join(out.stdout.split())
    words = set(flat.split())
    assert {"add", "structlog", "requirements.txt", "reinstall", "dependency"} <= words
    assert "took 26 min (median of 2; range 12 min to 40 min)" in flat


def test_match_batch_in_order_with_bad_lines(seeded: tuple[Workspace, dict[str, str]]) -> None:
    ws, ids = seeded
    batch = ws.root.parent / "q.jsonl"
    batch.write_text("\n".join([
        json.dumps({"error": KEYERROR}),
        "{not json",
        json.dumps({"error": UNRELATED}),
        json.dumps({"text": "x"}),
        json.dumps({"error": STRUCTLOG_ELSEWHERE}),
    ]) + "\n")
    out = run_cli("bugs", "match", "--batch", str(batch), "--json", root=ws.root)
    assert out.returncode == 0, out.stderr
    results = [json.loads(line) for line in out.stdout.splitlines()]
    assert [r["line"] for r in results] == [1, 2, 3, 4, 5]
    assert results[0]["matches"][0]["id"] == ids["keyerror"]
    assert "line 2" in results[1]["error"] and "invalid JSON" in results[1]["error"]
    assert results[2]["matches"] == []
    assert "line 4" in results[3]["error"] and "'error'" in results[3]["error"]
    assert results[4]["matches"][0]["id"] in (ids["structlog"], ids["structlog2"])
    assert set(results[4]["matches"][0]) >= MATCH_KEYS


def test_match_batch_unreadable_file(workspace: Workspace) -> None:
    out = run_cli("bugs", "match", "--batch", str(workspace.root / "nope.jsonl"), "--json", root=workspace.root)
    assert out.returncode == 2 and len(out.stderr.strip().splitlines()) == 1 and "nope.jsonl" in out.stderr
    assert out.stdout == ""


def test_match_needs_error_or_batch(workspace: Workspace) -> None:
    out = run_cli("bugs", "match", "--json", root=workspace.root)
    assert out.returncode == 2


def test_import_adds_all_lines(workspace: Workspace) -> None:
    lines = [{"error": KEYERROR, "fix": "use .get", "minutes": 8, "author": "li", "file": "src/api/users.py"},
             {"error": STRUCTLOG, "fix": "declare it", "root_cause": "missing dependency"},
             {"error": "TypeError: 'NoneType' object is not subscriptable", "fix": "check for None", "minutes": None}]
    src = write(workspace.root.parent / "in.jsonl", "\n".join(json.dumps(x) for x in lines) + "\n\n")
    out = run_cli("bugs", "import", str(src), "--json", root=workspace.root)
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert report["imported"] == 3 and report["existing"] == 0
    listed = json.loads(run_cli("bugs", "list", "--json", root=workspace.root).stdout)["bugs"]
    assert sorted(b["fix"] for b in listed) == ["check for None", "declare it", "use .get"]
    again = json.loads(run_cli("bugs", "import", str(src), "--json", root=workspace.root).stdout)
    assert again["imported"] == 0 and again["existing"] == 3


def test_import_validates_every_line_first(workspace: Workspace) -> None:
    src = write(workspace.root.parent / "in.jsonl", "\n".join([
        json.dumps({"error": KEYERROR, "fix": "ok"}),
        json.dumps({"error": KEYERROR}),
        json.dumps({"error": KEYERROR, "fix": "x", "minutes": "ten"}),
        "[1, 2]",
        json.dumps({"error": KEYERROR, "fix": "x", "file": "/etc/passwd"}),
        json.dumps({"error": KEYERROR, "fix": "x", "root cause": "typo'd field"}),
    ]) + "\n")
    out = run_cli("bugs", "import", str(src), root=workspace.root)
    assert out.returncode == 2
    err = out.stderr
    assert "line 2: field 'fix' is missing" in err
    assert "line 3: field 'minutes' must be a number" in err
    assert "line 4: expected a JSON object" in err
    assert "line 5: field 'file'" in err
    assert "line 6: field 'root cause' is not known" in err
    assert "line 1" not in err
    assert "nothing imported" in err
    assert not (workspace.store / "bugs").exists()


def test_import_unreadable_file(workspace: Workspace) -> None:
    out = run_cli("bugs", "import", str(workspace.root / "missing.jsonl"), root=workspace.root)
    assert out.returncode == 2 and "cannot read" in out.stderr


def test_import_shows_progress(workspace: Workspace, monkeypatch: pytest.MonkeyPatch,
                               capsys: pytest.CaptureFixture[str]) -> None:
    from server.cli import common
    from server.cli.main import main

    seen: list[tuple[str, int]] = []
    original = common.Context.progress

    def spy(self, items, description, total=None):  # type: ignore[no-untyped-def]
        items = list(items)
        seen.append((description, len(items)))
        yield from original(self, items, description, total)

    monkeypatch.setattr(common.Context, "progress", spy)
    lines = [json.dumps({"error": f"ValueError: bad value {i}x", "fix": f"fix {i}"}) for i in range(5)]
    src = write(workspace.root.parent / "in.jsonl", "\n".join(lines) + "\n")
    assert main(["--root", str(workspace.root), "bugs", "import", str(src)]) == 0
    assert ("importing", 5) in seen
    assert "imported 5 records" in capsys.readouterr().out


def test_list_and_show(seeded: tuple[Workspace, dict[str, str]]) -> None:
    ws, ids = seeded
    listed = run_cli("bugs", "list", "--json", root=ws.root)
    bugs = json.loads(listed.stdout)["bugs"]
    assert {b["id"] for b in bugs} == set(ids.values())
    shown = run_cli("bugs", "show", ids["structlog"], "--json", root=ws.root)
    rec = json.loads(shown.stdout)
    assert rec["id"] == ids["structlog"] and rec["root_cause"] == "dependency never declared"
    text = run_cli("bugs", "show", ids["structlog"], root=ws.root)
    assert "add structlog to requirements.txt" in " ".join(text.stdout.split())
    missing = run_cli("bugs", "show", "bug-0000000000000000", root=ws.root)
    assert missing.returncode == 2 and "no bug record" in missing.stderr
    bad = run_cli("bugs", "show", "../../etc/passwd", root=ws.root)
    assert bad.returncode == 2 and "invalid id" in bad.stderr


def test_pending_accept_dismiss_unknown_ids(workspace: Workspace) -> None:
    pending = run_cli("bugs", "pending", "--json", root=workspace.root)
    assert pending.returncode == 0 and json.loads(pending.stdout) == {"proposals": []}
    for verb in ("accept", "dismiss"):
        out = run_cli("bugs", verb, "fix-0000000000000000", root=workspace.root)
        assert out.returncode == 2 and "no pending proposal" in out.stderr


def test_brackets_in_user_text_are_shown_verbatim(workspace: Workspace) -> None:
    fix = "set [/] in [project] and [bold]x[/bold]"
    BugStore(workspace).add("KeyError: 'user_id'", fix, root_cause="[red]oops")
    for args in (["bugs", "list"], ["bugs", "match", "--error", "-"]):
        out = run_cli(*args, root=workspace.root, stdin="KeyError: 'user_id'\n")
        assert out.returncode == 0, out.stderr
        flat = "".join(out.stdout.split())
        assert "[/]" in flat and "[bold]x" in flat
