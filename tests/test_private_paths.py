"""No absolute or private path in what is stored: the raw traceback too; doctor lists old records."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from memory_store.bugs.records import BugStore
from memory_store.doctor import check_memory
from memory_store.errors import fingerprint, message_template, parse_error
from memory_store.redact.paths import has_private_path, private_paths_rewritten
from memory_store.workspace import Workspace
from tests.conftest import run_cli

ROOT = Path("/home/dana/src/shop")

CASES = [
    ('File "/home/dana/src/shop/app/stats.py", line 3', 'File "./app/stats.py", line 3'),
    ('File "/home/dana/.venv/lib/python3.11/site-packages/django/db.py"',
     'File "~/.venv/lib/python3.11/site-packages/django/db.py"'),
    ("/Users/kim/proj/x.py:4: in f", "~/proj/x.py:4: in f"),
    ("/root/app/y.py", "~/app/y.py"),
    ('File "/tmp/pytest-of-dana/pytest-3/test_a0/x.py"', 'File "/tmp/.../pytest-3/test_a0/x.py"'),
    ("/private/var/folders/ab/cd12/T/tmpxyz/w.py", "/tmp/.../w.py"),
    ('File "C:\\Users\\Bob Smith\\proj\\y.py", line 1', 'File "~/proj/y.py", line 1'),
    ("C:\\Users\\Bob\\AppData\\Local\\Temp\\tmp1\\z.py", "~/AppData/Local/Temp/tmp1/z.py"),
    ("C:\\Windows\\Temp\\tmp1\\z.py", "/tmp/.../z.py"),
    ("D:\\work\\shop\\z.py", "/work/shop/z.py"),
    ("cd /home/dana/src/shop && pytest", "cd . && pytest"),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_private_prefixes_are_rewritten(text: str, expected: str) -> None:
    assert private_paths_rewritten(text, ROOT) == expected
    assert private_paths_rewritten(expected, ROOT) == expected  # twice changes nothing
    assert has_private_path(text, ROOT) and not has_private_path(expected, ROOT)


def test_other_text_is_left_alone() -> None:
    for text in ("/usr/lib/python3.11/runpy.py", "a/b/c.py", "1/2 of /3", "https://example.com/home/x",
                 "/home/dana/src/shop2/x.py is another project"):
        rewritten = private_paths_rewritten(text, ROOT)
        assert "/home/dana/src/shop/" not in rewritten
        if not text.startswith("/home"):
            assert rewritten == text


TRACEBACK = """\
Traceback (most recent call last):
  File "/usr/lib/python3.11/runpy.py", line 198, in _run_module_as_main
  File "{root}/app/stats.py", line 3, in avg
    return sum(xs) / len(xs)
  File "/home/dana/.venv/lib/python3.11/site-packages/numpy/core/fromnumeric.py", line 9, in mean
  File "/tmp/pytest-of-dana/pytest-3/test_a0/helper.py", line 2, in h
FileNotFoundError: [Errno 2] No such file or directory: '{root}/data/prices.csv'
"""


def test_rewritten_traceback_parses_to_the_same_error() -> None:
    text = TRACEBACK.format(root=ROOT)
    before = parse_error(text, ROOT)
    after = parse_error(private_paths_rewritten(text, ROOT), ROOT)
    assert before and after
    assert after.frames == before.frames
    assert fingerprint(after) == fingerprint(before)
    assert message_template(after.exc_type, after.message) == message_template(before.exc_type, before.message)


def test_stored_record_holds_no_absolute_path(workspace: Workspace) -> None:
    root = workspace.root
    text = TRACEBACK.format(root=root)
    rec, _ = BugStore(workspace).add(text, f"regenerate {root}/data/prices.csv", root_cause="seen in /home/dana/x",
                                     author="dana")
    raw = BugStore(workspace).files.path_for(rec["id"]).read_text(encoding="utf-8")
    assert str(root) not in raw and "/home/dana" not in raw and "pytest-of-dana" not in raw
    stored = json.loads(raw)
    assert './app/stats.py", line 3, in avg' in stored["error"]["traceback"]
    assert stored["error"]["message"].endswith("'./data/prices.csv'")
    assert stored["fix"] == "regenerate ./data/prices.csv"
    assert not check_memory(workspace).private_paths


def test_doctor_lists_records_written_with_absolute_paths(workspace: Workspace) -> None:
    rec, _ = BugStore(workspace).add("KeyError: 'x'", "set x", author="dana")
    path = BugStore(workspace).files.path_for(rec["id"])
    old = json.loads(path.read_text(encoding="utf-8"))
    old["error"]["traceback"] = 'File "/home/dana/src/shop/app/x.py", line 3, in f\nKeyError: \'x\''
    old["error"]["frames"] = [{"path": "C:\\Users\\Dana\\shop\\app\\x.py", "line": 3, "kind": "app"}]
    path.write_text(json.dumps(old), encoding="utf-8")
    report = check_memory(workspace)
    assert not report.problems  # an old record is no fault
    found = {(n.path, n.reason.split("'")[1]) for n in report.private_paths}
    assert found == {(path, "error.traceback"), (path, "error.frames[0].path")}
    assert any("/home/dana/src/shop/app/x.py" in n.reason for n in report.private_paths)
    proc = run_cli("doctor", "--json", root=workspace.root)
    assert proc.returncode == 0, proc.stderr  # listed, not failed
    listed = json.loads(proc.stdout)["private_paths"]
    assert {p["path"] for p in listed} == {f".teamlore/bugs/{rec['id']}.json"}
    assert path.read_text(encoding="utf-8") == json.dumps(old)  # left as it is
    text = run_cli("doctor", root=workspace.root)
    assert "absolute paths" in text.stdout and "error.traceback" in text.stdout
