"""Decisions follow the decided statement through real git history (and without it).

Each test builds a small git repository, runs the real bandit, decides some findings,
changes the code the way a team does (commits, renames, moves, edits) and runs bandit
again: what a decision suppresses must be exactly the statement it was made for.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from memory_store.security.api import SecurityMemory
from memory_store.security.history_cache import clear_memo
from memory_store.security.triage import FindingStatus, TriageResult
from memory_store.workspace import Workspace
from tests.conftest import run_cli
from tests.security.conftest import bandit_report, git

REASON = "not used for security"


def make_repo(root: Path, files: dict[str, str]) -> SecurityMemory:
    root.mkdir(parents=True, exist_ok=True)
    git(root, "init", "-q", "-b", "main")
    write(root, files)
    commit(root, "initial")
    return SecurityMemory(Workspace(root.resolve()))


def write(root: Path, files: dict[str, str | None]) -> None:
    for rel, text in files.items():
        path = root / rel
        if text is None:
            path.unlink()
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def commit(root: Path, message: str) -> None:
    git(root, "add", "-A", "--", ".", ":!.teamlore")
    git(root, "commit", "-q", "-m", message)


def ingest(mem: SecurityMemory) -> TriageResult:
    clear_memo()
    return mem.ingest([bandit_report(mem.workspace.root)])


def lines_with(result: TriageResult, rule: str, status: str) -> list[tuple[str, int]]:
    return sorted((s.finding.path, s.finding.line) for s in result.statuses
                  if s.finding.rule == rule and s.status == status)


def decide_where(mem: SecurityMemory, result: TriageResult, rule: str, path: str, line: int) -> str:
    found: list[FindingStatus] = [s for s in result.statuses
                                  if s.finding.rule == rule and s.finding.path == path and s.finding.line == line]
    assert len(found) == 1, [(s.finding.rule, s.finding.path, s.finding.line) for s in result.statuses]
    return mem.decide([found[0].finding], "false_positive", REASON)[0]


def followed(result: TriageResult, rid: str) -> tuple[str, str]:
    return result.followed[rid]


JITTER = """import random


def backoff(attempt):
    base = 2 ** attempt
    return base + random.random()
"""


def test_decision_records_commit_and_blob(tmp_path):
    mem = make_repo(tmp_path / "ws", {"svc/jitter.py": JITTER})
    first = ingest(mem)
    rid = decide_where(mem, first, "B311", "svc/jitter.py", 6)
    rec = mem.store.get(rid)
    head = git(mem.workspace.root, "rev-parse", "HEAD").strip()
    blob = git(mem.workspace.root, "rev-parse", "HEAD:svc/jitter.py").strip()
    assert rec["commit"] == head and rec["blob"] == blob


def test_cross_file_relocation_without_git_rename(tmp_path):
    root = tmp_path / "ws"
    mem = make_repo(root, {"svc/jitter.py": JITTER + "\n\ndef other():\n    return 1\n" + "\n" * 3,
                           "svc/retry.py": "def retry(fn):\n    return fn()\n"})
    rid = decide_where(mem, ingest(mem), "B311", "svc/jitter.py", 6)
    # The function moves to another module (whose own content dominates: no git rename).
    write(root, {"svc/jitter.py": "def other():\n    return 1\n",
                 "svc/retry.py": "import random\n\n\ndef retry(fn):\n    return fn()\n\n\n"
                                 "def backoff_delay(attempt):\n    base = 2 ** attempt\n"
                                 "    return base + random.random()\n"})
    commit(root, "move backoff into retry")
    after = ingest(mem)
    assert lines_with(after, "B311", "suppressed") == [("svc/retry.py", 10)]
    assert followed(after, rid) == ("relocated", "content identity")


def test_in_file_move_across_scopes(tmp_path):
    root = tmp_path / "ws"
    src = ("import random\n\n\nclass Jitter:\n    def pick(self):\n        return random.random()\n\n\n"
           "def unrelated():\n    return 2\n")
    mem = make_repo(root, {"app.py": src})
    rid = decide_where(mem, ingest(mem), "B311", "app.py", 6)
    write(root, {"app.py": "import random\n\n\ndef unrelated():\n    return 2\n\n\n"
                           "def pick_free():\n    value = 1\n    return random.random()\n"})
    commit(root, "flatten the class")
    after = ingest(mem)
    assert lines_with(after, "B311", "suppressed") == [("app.py", 10)]
    assert followed(after, rid)[0] in ("moved", "relocated")


def test_shifted_identical_statements_keep_their_own_decision(tmp_path):
    root = tmp_path / "ws"
    mem = make_repo(root, {"tests/test_x.py": "def test_x(v):\n    assert v\n    v = v + 1\n    assert v\n"})
    rid = decide_where(mem, ingest(mem), "B101", "tests/test_x.py", 4)  # the second of two identical asserts
    # A new identical assert is added above both: the decided one is now the third.
    write(root, {"tests/test_x.py": "def test_x(v):\n    assert v\n    assert v\n    v = v + 1\n    assert v\n"})
    commit(root, "one more check")
    after = ingest(mem)
    assert lines_with(after, "B101", "suppressed") == [("tests/test_x.py", 5)]
    assert lines_with(after, "B101", "active") == [("tests/test_x.py", 2), ("tests/test_x.py", 3)]
    assert followed(after, rid) == ("carried", "git line map")


def test_git_mv_and_rename_with_edit(tmp_path):
    root = tmp_path / "ws"
    body = "".join(f"def helper_{i}():\n    return {i}\n\n\n" for i in range(8))
    mem = make_repo(root, {"old_name.py": JITTER + "\n\n" + body})
    rid = decide_where(mem, ingest(mem), "B311", "old_name.py", 6)
    git(root, "mv", "old_name.py", "new_name.py")
    commit(root, "rename")
    after = ingest(mem)
    assert lines_with(after, "B311", "suppressed") == [("new_name.py", 6)]
    assert followed(after, rid) == ("moved", "git rename")
    # renamed again, this time with an edit above the decided line, left uncommitted
    git(root, "mv", "new_name.py", "newest.py")
    text = (root / "newest.py").read_text()
    (root / "newest.py").write_text("# header\n# more\n" + text)
    after = ingest(mem)
    assert lines_with(after, "B311", "suppressed") == [("newest.py", 8)]
    assert followed(after, rid)[0] == "moved"


def test_edited_statement_is_stale_not_suppressed(tmp_path):
    root = tmp_path / "ws"
    mem = make_repo(root, {"svc/jitter.py": JITTER})
    rid = decide_where(mem, ingest(mem), "B311", "svc/jitter.py", 6)
    write(root, {"svc/jitter.py": JITTER.replace("base + random.random()", "base + random.random() * 3")})
    commit(root, "more jitter")
    after = ingest(mem)
    assert lines_with(after, "B311", "stale") == [("svc/jitter.py", 6)]
    assert lines_with(after, "B311", "suppressed") == []
    assert followed(after, rid)[0] == "stale"


def test_deleted_statement_is_gone_and_never_reused(tmp_path):
    root = tmp_path / "ws"
    other = "import random\n\n\ndef shuffle_rows(rows):\n    return rows[int(random.random() * 3)]\n"
    mem = make_repo(root, {"svc/jitter.py": JITTER + "\n\ndef keep():\n    return 0\n", "svc/rows.py": other})
    rid = decide_where(mem, ingest(mem), "B311", "svc/jitter.py", 6)
    write(root, {"svc/jitter.py": "import random\n\n\ndef keep():\n    return 0\n"})
    commit(root, "no more jitter")
    after = ingest(mem)
    assert lines_with(after, "B311", "active") == [("svc/rows.py", 5)]
    assert followed(after, rid) == ("gone", "")
    report = mem.report()
    assert report["decision_status"]["gone"] == 1
    assert [d["id"] for d in report["decisions"] if d["status"] == "gone"] == [rid]


def test_n_decisions_cover_at_most_n_identical_statements(tmp_path):
    root = tmp_path / "ws"
    mem = make_repo(root, {"t.py": "def test_a(v):\n    assert v\n    assert v\n"})
    first = ingest(mem)
    decide_where(mem, first, "B101", "t.py", 2)
    decide_where(mem, first, "B101", "t.py", 3)
    write(root, {"t.py": "def test_a(v):\n    assert v\n    assert v\n    assert v\n"})
    commit(root, "third")
    after = ingest(mem)
    assert len(lines_with(after, "B101", "suppressed")) == 2
    assert len(lines_with(after, "B101", "active")) == 1


def test_new_finding_of_same_rule_in_same_function_stays_active(tmp_path):
    root = tmp_path / "ws"
    mem = make_repo(root, {"svc/jitter.py": JITTER})
    decide_where(mem, ingest(mem), "B311", "svc/jitter.py", 6)
    write(root, {"svc/jitter.py": JITTER.replace("    base = 2 ** attempt\n",
                                                   "    base = 2 ** attempt\n    token = random.getrandbits(64)\n")})
    commit(root, "a token")
    after = ingest(mem)
    assert lines_with(after, "B311", "suppressed") == [("svc/jitter.py", 7)]
    assert lines_with(after, "B311", "active") == [("svc/jitter.py", 6)]


def test_without_git_a_unique_statement_is_followed_by_content(tmp_path):
    root = tmp_path / "plain"
    root.mkdir()
    write(root, {"a.py": JITTER, "b.py": "def b():\n    return 1\n"})
    mem = SecurityMemory(Workspace(root.resolve()))
    rid = decide_where(mem, ingest(mem), "B311", "a.py", 6)
    assert "commit" not in mem.store.get(rid)
    write(root, {"a.py": "def a():\n    return 0\n",
                 "b.py": "import random\n\n\ndef b():\n    return 1\n\n\ndef delay(attempt):\n"
                         "    base = 2 ** attempt\n    return base + random.random()\n"})
    after = ingest(mem)
    assert lines_with(after, "B311", "suppressed") == [("b.py", 10)]
    assert followed(after, rid) == ("relocated", "content identity")


def test_without_git_an_edited_statement_is_stale_not_relocated_to_its_copy(tmp_path):
    root = tmp_path / "plain"
    root.mkdir()
    copy = "import random\n\n\ndef delay(attempt):\n    base = 2 ** attempt\n    return base + random.random()\n"
    write(root, {"a.py": JITTER, "b.py": copy})
    mem = SecurityMemory(Workspace(root.resolve()))
    rid = decide_where(mem, ingest(mem), "B311", "a.py", 6)
    # The decided statement is edited in place; its identical copy in b.py, never decided,
    # is now the only finding with the decided text.
    write(root, {"a.py": JITTER.replace("base + random.random()", "base + random.random() * 3")})
    after = ingest(mem)
    assert lines_with(after, "B311", "suppressed") == []
    assert lines_with(after, "B311", "stale") == [("a.py", 6)]
    assert lines_with(after, "B311", "active") == [("b.py", 6)]
    assert followed(after, rid)[0] == "stale"


def test_shallow_clone_falls_back_to_content_identity(tmp_path):
    origin = tmp_path / "origin"
    mem = make_repo(origin, {"a.py": JITTER, "b.py": "def b():\n    return 1\n"})
    rid = decide_where(mem, ingest(mem), "B311", "a.py", 6)
    git(origin, "add", "-f", ".teamlore/security")
    git(origin, "commit", "-q", "-m", "decisions")
    write(origin, {"a.py": "def a():\n    return 0\n",
                   "b.py": "import random\n\n\ndef b():\n    return 1\n\n\ndef delay(attempt):\n"
                           "    base = 2 ** attempt\n    return base + random.random()\n"})
    commit(origin, "move")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", "--depth", "1", f"file://{origin}", str(clone))
    assert git(clone, "rev-parse", "--is-shallow-repository").strip() == "true"
    cloned = SecurityMemory(Workspace(clone.resolve()))
    after = ingest(cloned)
    assert lines_with(after, "B311", "suppressed") == [("b.py", 10)]
    assert followed(after, rid) == ("relocated", "content identity")


def test_hostile_repository_config_runs_nothing_and_redirects_no_write(tmp_path):
    root = tmp_path / "ws"
    marker = tmp_path / "MARKER"
    outside = tmp_path / "outside"
    outside.mkdir()
    mem = make_repo(root, {"svc/jitter.py": JITTER, ".gitattributes": "*.py diff=evil filter=evil\n"})
    rid = decide_where(mem, ingest(mem), "B311", "svc/jitter.py", 6)
    touch = f"touch {marker}"
    for key, value in (("diff.external", touch), ("diff.evil.command", touch), ("diff.evil.textconv", touch),
                       ("filter.evil.clean", touch), ("filter.evil.smudge", touch), ("core.fsmonitor", touch),
                       ("core.pager", touch), ("core.hooksPath", str(tmp_path))):
        git(root, "config", key, value)
    (tmp_path / "post-commit").write_text(f"#!/bin/sh\n{touch}\n")
    (tmp_path / "post-commit").chmod(0o755)
    write(root, {"svc/jitter.py": "# moved down\n\n" + JITTER})
    git(root, "-c", "core.hooksPath=/dev/null", "-c", "filter.evil.clean=cat", "-c", "core.fsmonitor=false",
        "commit", "-q", "-am", "shift")
    write(root, {"svc/jitter.py": "# and again\n" + (root / "svc/jitter.py").read_text()})
    cache_dir = root / ".teamlore" / ".cache" / "security"
    shutil.rmtree(cache_dir, ignore_errors=True)
    cache_dir.parent.mkdir(parents=True, exist_ok=True)
    cache_dir.symlink_to(outside, target_is_directory=True)
    clear_memo()
    result = mem.triage(mem.fingerprint(mem.read_reports([bandit_report(root)])))
    assert lines_with(result, "B311", "suppressed") == [("svc/jitter.py", 9)]
    assert followed(result, rid)[0] == "carried"
    assert not marker.exists()
    assert list(outside.iterdir()) == []


def test_forged_mapping_cache_is_ignored(tmp_path):
    from memory_store import cache_key
    from memory_store.security.history_cache import HistoryCache

    root = tmp_path / "ws"
    mem = make_repo(root, {"a.py": JITTER, "b.py": "def b():\n    return 1\n"})
    rid = decide_where(mem, ingest(mem), "B311", "a.py", 6)
    write(root, {"a.py": "\n" + JITTER, "b.py": JITTER.replace("backoff", "other_backoff")})
    commit(root, "shift and a copy")
    first = ingest(mem)
    assert lines_with(first, "B311", "suppressed") == [("a.py", 7)]
    cache = HistoryCache(mem.workspace)
    assert cache.path.is_file()
    real_key = cache_key.user_key()
    assert real_key is not None
    body = json.loads(bytes(cache_key.unseal(real_key, cache._context(), cache.path.read_bytes()) or b""))
    place = body["places"][rid]
    body["places"][rid] = ["carried", "same place", "b.py", 6, 6, "other_backoff", place[6], 0]
    forged = cache_key.seal(b"k" * 32, cache._context(), json.dumps(body).encode())
    cache.path.write_bytes(forged)
    again = ingest(mem)
    assert lines_with(again, "B311", "suppressed") == [("a.py", 7)]
    assert lines_with(again, "B311", "active") == [("b.py", 6)]
    assert cache.path.read_bytes() != forged  # rewritten by this user


def test_report_json_counts_statuses_and_how_followed(tmp_path):
    root = tmp_path / "ws"
    mem = make_repo(root, {"a.py": JITTER + "\n\ndef gone():\n    return random.choice([1, 2])\n",
                           "t.py": "def test_a(v):\n    assert v\n"})
    first = ingest(mem)
    carried = decide_where(mem, first, "B311", "a.py", 6)
    gone = decide_where(mem, first, "B311", "a.py", 10)
    edited = decide_where(mem, first, "B101", "t.py", 2)
    write(root, {"a.py": "# top\n" + JITTER, "t.py": "def test_a(v):\n    assert v, 'v must be set'\n"})
    commit(root, "changes")
    report_path = bandit_report(root)
    assert run_cli("security", "ingest", str(report_path), "--json", root=root).returncode == 0
    out = run_cli("security", "report", "--json", root=root)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["decision_status"] == {"carried": 1, "moved": 0, "relocated": 0, "stale": 1, "gone": 1,
                                       "expired": 0, "unseen": 0}
    rows = {d["id"]: d for d in data["decisions"]}
    assert (rows[carried]["status"], rows[carried]["followed_by"], rows[carried]["now"]) == \
        ("carried", "git line map", "a.py:7")
    assert rows[gone]["status"] == "gone" and rows[edited]["status"] == "stale"
    human = run_cli("security", "report", root=root)
    assert human.returncode == 0 and "carried" in human.stdout and "gone" in human.stdout


def test_unsaved_editor_text_keeps_a_followed_decision(tmp_path):
    root = tmp_path / "ws"
    mem = make_repo(root, {"svc/jitter.py": JITTER})
    decide_where(mem, ingest(mem), "B311", "svc/jitter.py", 6)
    write(root, {"svc/jitter.py": "# moved\n" + JITTER})
    commit(root, "shift")
    clear_memo()
    buffer = "# moved\n# typing above it\n\n" + JITTER  # not saved: two more lines than on disk
    found = mem.findings_from_diagnostics([{"tool": "bandit", "rule": "B311", "path": "svc/jitter.py",
                                            "line": 9, "message": "random"}], source_text=buffer)
    assert [s.status for s in mem.status(found)] == ["suppressed"]
    other = buffer.replace("base + random.random()", "base + random.random() * 3")
    changed = mem.findings_from_diagnostics([{"tool": "bandit", "rule": "B311", "path": "svc/jitter.py",
                                              "line": 9, "message": "random"}], source_text=other)
    assert [s.status for s in mem.status(changed)] != ["suppressed"]


KEYRING_A = '''import subprocess


class FakeRun:
    def __call__(self, cmd, *, env, stdin=None, input=None):
        if cmd[1] == "get":
            assert stdin == -3
            assert env["ENCODING"] == "utf-8"
            self.out = "secret"

        if cmd[1] == "set":
            assert stdin is None
            assert env["ENCODING"] == "utf-8"
            assert input is not None
            self.saved = input
        return self


def test_get(url, expect):
    actual = lookup(url)
    assert actual == expect
'''

KEYRING_B = '''import subprocess


class FakeRun:
    def __call__(self, cmd, *, env, stdin=None, input=None):
        handler = {"get": self._get, "set": self._set, "erase": self._erase}[cmd[1]]
        return handler(cmd, env, stdin, input)

    def _get(self, cmd, env, stdin, input):
        assert stdin == -3
        assert env["ENCODING"] == "utf-8"
        self.out = "secret"
        return self

    def _set(self, cmd, env, stdin, input):
        assert stdin is None
        assert env["ENCODING"] == "utf-8"
        assert input is not None
        self.saved = input
        return self

    def _erase(self, cmd, env, stdin, input):
        assert env["ENCODING"] == "utf-8"
        self.saved = None
        return self


def test_get(url, expect):
    with configured():
        actual = lookup(url)
        assert actual == expect
'''


def test_identical_statements_split_into_helpers_keep_their_decisions_and_no_more(tmp_path):
    """Two identical asserts of one function are re-indented into two new helper methods
    and a third identical one appears in another new helper: each decision follows its own
    statement (the one whose surroundings match), and the new one stays active."""
    root = tmp_path / "ws"
    mem = make_repo(root, {"tests/test_keyring.py": KEYRING_A})
    first = ingest(mem)
    get_id = decide_where(mem, first, "B101", "tests/test_keyring.py", 8)
    set_id = decide_where(mem, first, "B101", "tests/test_keyring.py", 13)
    cmp_id = decide_where(mem, first, "B101", "tests/test_keyring.py", 21)
    write(root, {"tests/test_keyring.py": KEYRING_B})
    commit(root, "one handler per subcommand")
    after = ingest(mem)
    suppressed = {s.finding.line: s.decision for s in after.statuses if s.status == "suppressed"}
    assert suppressed == {11: get_id, 17: set_id, 31: cmp_id}
    assert ("tests/test_keyring.py", 23) in lines_with(after, "B101", "active")  # the new one in _erase
    assert all(followed(after, rid)[0] in ("moved", "relocated") for rid in (get_id, set_id))
    assert followed(after, cmp_id)[0] == "carried"
