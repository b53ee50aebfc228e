"""Fix capture: an error that goes away becomes a proposal; remembered edits re-apply."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from memory_store import gitinfo
from memory_store.bugs import capture
from memory_store.bugs.diffs import parse_unified_diff, summarize
from memory_store.bugs.edits import applicable_edits, remembered_edits
from memory_store.bugs.records import BugStore
from memory_store.inbox import Inbox
from memory_store.workspace import Workspace
from tests.conftest import run_cli

APP = """\
from pathlib import Path


def main():
    if "structlog" not in Path("requirements.txt").read_text():
        raise ModuleNotFoundError("No module named 'structlog'")
    print("ok")


main()
"""


def git(root: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=root, check=True, capture_output=True, text=True).stdout


@pytest.fixture
def repo(tmp_path: Path) -> Workspace:
    root = (tmp_path / "repo").resolve()
    root.mkdir()
    git(root, "init", "-q")
    git(root, "symbolic-ref", "HEAD", "refs/heads/main")
    git(root, "config", "user.name", "Dana Tester")
    git(root, "config", "user.email", "dana@example.com")
    (root / "requirements.txt").write_text("requests>=2.31\n")
    (root / "app.py").write_text(APP)
    (root / "settings.py").write_text('TIMEOUT = 5\n')
    git(root, "add", "-A")
    git(root, "commit", "-qm", "init")
    return Workspace(root)


def traceback_for(ws: Workspace, exc: str = "ModuleNotFoundError: No module named 'structlog'",
                  line: int = 6) -> str:
    return ("Traceback (most recent call last):\n"
            f'  File "{ws.root}/app.py", line 10, in <module>\n    main()\n'
            f'  File "{ws.root}/app.py", line {line}, in main\n'
            '    raise ModuleNotFoundError("No module named \'structlog\'")\n'
            f"{exc}\n")


def add_structlog(ws: Workspace) -> None:
    with open(ws.root / "requirements.txt", "a") as fh:
        fh.write("structlog>=24.1\n")


def run(ws: Workspace, exit_code: int, output: str, at: float, command: str = "python app.py") -> dict:
    return Inbox(ws).record_run(command, str(ws.root), exit_code, output, started=at, ended=at + 1)


def test_fail_edit_pass_gives_exactly_one_proposal_with_diff_and_time(repo: Workspace) -> None:
    t0 = time.time() - 3600
    first = run(repo, 1, traceback_for(repo), t0)
    assert first["proposals"] == []
    run(repo, 1, traceback_for(repo), t0 + 300)  # still failing: no proposal, first failure kept
    add_structlog(repo)
    passing = run(repo, 0, "ok\n", t0 + 720)
    proposals = capture.pending(repo)
    assert len(proposals) == 1
    p = proposals[0]
    assert passing["proposals"] == [p["id"]]
    assert p["minutes"] == 12.0
    assert "+structlog>=24.1" in p["diff"] and "app.py" not in p["files"]
    assert p["files"] == ["requirements.txt"]
    assert p["summary"] == "added structlog to requirements.txt"
    assert p["headline"] == "ModuleNotFoundError: No module named 'structlog'"
    assert p["author"] == "Dana Tester" and p["branch"] == "main"
    assert p["commit"] == git(repo.root, "rev-parse", "HEAD").strip()
    assert not (repo.store / "bugs").exists(), "nothing is stored before a person accepts"


def test_capture_through_real_teamlore_run_across_processes(repo: Workspace) -> None:
    failing = run_cli("run", "--", sys.executable, "app.py", root=repo.root, cwd=repo.root)
    assert failing.returncode == 1
    assert "No module named 'structlog'" in failing.stderr
    add_structlog(repo)
    passing = run_cli("run", "--", sys.executable, "app.py", root=repo.root, cwd=repo.root)
    assert passing.returncode == 0 and passing.stdout == "ok\n"
    pending = run_cli("bugs", "pending", "--json", root=repo.root)
    proposals = json.loads(pending.stdout)["proposals"]
    assert len(proposals) == 1
    p = proposals[0]
    assert {"id", "error", "summary", "diff", "minutes", "files"} <= set(p)
    assert "+structlog>=24.1" in p["diff"]
    assert p["summary"] == "added structlog to requirements.txt"
    assert 0 <= p["minutes"] < 5


def test_user_index_and_refs_are_untouched(repo: Workspace) -> None:
    (repo.root / "settings.py").write_text("TIMEOUT = 10\n")
    git(repo.root, "add", "settings.py")  # staged change
    (repo.root / "app.py").write_text(APP + "\n# unstaged\n")
    index = (repo.root / ".git" / "index").read_bytes()
    status = git(repo.root, "status", "--porcelain")
    refs = git(repo.root, "for-each-ref")
    tree = gitinfo.snapshot(repo.root)
    assert (repo.root / ".git" / "index").read_bytes() == index
    assert git(repo.root, "status", "--porcelain") == status
    assert git(repo.root, "for-each-ref") == refs
    assert git(repo.root, "stash", "list") == ""
    assert "# unstaged" in git(repo.root, "show", f"{tree}:app.py")


def test_secrets_in_the_diff_are_redacted(repo: Workspace) -> None:
    t0 = time.time() - 60
    run(repo, 1, traceback_for(repo), t0)
    add_structlog(repo)
    token = "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"
    (repo.root / "settings.py").write_text(f'TIMEOUT = 5\nGITHUB_TOKEN = "{token}"\nDB = "postgres://app:hunter22@db/x"\n')
    run(repo, 0, "ok\n", t0 + 30)
    [p] = capture.pending(repo)
    assert token not in p["diff"] and "hunter22" not in p["diff"]
    assert "<redacted:github-token>" in p["diff"]
    assert token not in json.dumps(p)
    rec = capture.accept(repo, p["id"])
    assert token not in json.dumps(rec)


def test_accept_stores_record_with_diff_and_edits_that_later_matches(repo: Workspace) -> None:
    from memory_store.bugs.match import BugIndex

    t0 = time.time() - 600
    run(repo, 1, traceback_for(repo), t0)
    add_structlog(repo)
    run(repo, 0, "ok\n", t0 + 300)
    [p] = capture.pending(repo)
    rec = capture.accept(repo, p["id"])
    assert rec["fix"] == "added structlog to requirements.txt"
    assert rec["minutes"] == 5.0 and rec["source"] == "capture"
    assert "+structlog>=24.1" in rec["fix_diff"]
    assert rec["edits"] == [{"kind": "add-dependency", "file": "requirements.txt", "package": "structlog",
                             "requirement": "structlog>=24.1"}]
    assert capture.pending(repo) == []
    stored = BugStore(repo).get(rec["id"])
    assert stored["fix_diff"] == rec["fix_diff"]
    index = BugIndex(list(BugStore(repo).load().records.values()))
    later = traceback_for(repo, line=6).replace(str(repo.root), "/home/li/checkout")
    matches = index.match(later, workspace_root=repo.root)
    assert matches and matches[0].record["id"] == rec["id"] and matches[0].confident


def test_accept_with_own_fix_text_via_cli(repo: Workspace) -> None:
    t0 = time.time() - 60
    run(repo, 1, traceback_for(repo), t0)
    add_structlog(repo)
    run(repo, 0, "ok\n", t0 + 30)
    [p] = capture.pending(repo)
    out = run_cli("bugs", "accept", p["id"], "--fix", "declare structlog in requirements.txt", "--json", root=repo.root)
    assert out.returncode == 0, out.stderr
    rec_id = json.loads(out.stdout)["id"]
    assert BugStore(repo).get(rec_id)["fix"] == "declare structlog in requirements.txt"
    again = run_cli("bugs", "accept", p["id"], root=repo.root)
    assert again.returncode == 2 and "no pending proposal" in again.stderr


def test_dismiss_writes_nothing(repo: Workspace) -> None:
    t0 = time.time() - 60
    run(repo, 1, traceback_for(repo), t0)
    add_structlog(repo)
    run(repo, 0, "ok\n", t0 + 30)
    [p] = capture.pending(repo)
    out = run_cli("bugs", "dismiss", p["id"], root=repo.root)
    assert out.returncode == 0, out.stderr
    assert capture.pending(repo) == []
    assert not (repo.store / "bugs").exists() or not list((repo.store / "bugs").glob("*.json"))


def test_flaky_error_is_not_proposed_twice(repo: Workspace) -> None:
    t0 = time.time() - 600
    run(repo, 1, traceback_for(repo), t0)
    run(repo, 0, "ok\n", t0 + 10)
    run(repo, 1, traceback_for(repo), t0 + 20)
    run(repo, 0, "ok\n", t0 + 30)
    run(repo, 1, traceback_for(repo), t0 + 40)
    run(repo, 0, "ok\n", t0 + 50)
    proposals = capture.pending(repo)
    assert len(proposals) == 1
    assert proposals[0]["flaky"] is True


def test_two_errors_fixed_in_one_go_give_two_proposals(repo: Workspace) -> None:
    output = (
        "=========================== short test summary info ============================\n"
        "FAILED tests/test_orders.py::test_total - KeyError: 'customer_id'\n"
        "FAILED tests/test_config.py::test_timeout - ValueError: invalid literal for int() with base 10: 'five'\n"
        "========================= 2 failed, 10 passed in 0.31s =========================\n"
    )
    t0 = time.time() - 600
    first = run(repo, 1, output, t0, command="pytest -q")
    assert len(first["errors"]) == 2
    (repo.root / "settings.py").write_text("TIMEOUT = int('5')\n")
    done = run(repo, 0, "12 passed in 0.30s\n", t0 + 120, command="pytest -q")
    assert len(done["proposals"]) == 2
    headlines = sorted(p["headline"] for p in capture.pending(repo))
    assert headlines[0].startswith("KeyError") and headlines[1].startswith("ValueError")


def test_one_of_two_fixed_proposes_only_that_one(repo: Workspace) -> None:
    a = traceback_for(repo)
    b = "Traceback (most recent call last):\n  File \"settings.py\", line 1, in <module>\nKeyError: 'timeout'\n"
    t0 = time.time() - 600
    run(repo, 1, a + b, t0)
    add_structlog(repo)
    partly = run(repo, 1, b, t0 + 60)
    assert len(partly["proposals"]) == 1
    [p] = capture.pending(repo)
    assert p["headline"].startswith("ModuleNotFoundError")


def test_new_error_masking_the_old_one_is_not_taken_as_a_fix(repo: Workspace) -> None:
    t0 = time.time() - 600
    run(repo, 1, traceback_for(repo), t0)
    other = "Traceback (most recent call last):\n  File \"app.py\", line 1, in <module>\nSyntaxError: invalid syntax\n"
    masked = run(repo, 1, other, t0 + 60)
    assert masked["proposals"] == []
    add_structlog(repo)
    done = run(repo, 0, "ok\n", t0 + 120)
    assert len(done["proposals"]) == 2  # both errors went away on a passing run


def test_other_command_does_not_resolve(repo: Workspace) -> None:
    t0 = time.time() - 600
    run(repo, 1, traceback_for(repo), t0, command="python app.py")
    other = run(repo, 0, "fine\n", t0 + 60, command="python other.py")
    assert other["proposals"] == []
    assert capture.pending(repo) == []


def test_without_git_a_proposal_has_no_diff(tmp_path: Path) -> None:
    ws = Workspace((tmp_path / "plain").resolve())
    ws.root.mkdir()
    t0 = time.time() - 120
    Inbox(ws).record_run("make", str(ws.root), 2, "error: missing separator\n", t0, t0 + 1)
    Inbox(ws).record_run("make", str(ws.root), 0, "done\n", t0 + 60, t0 + 61)
    [p] = capture.pending(ws)
    assert p["diff"] == "" and "no diff" in p["summary"] and p["minutes"] == 1.0


def test_diff_puts_frame_files_first_and_is_capped(repo: Workspace) -> None:
    for i in range(30):
        (repo.root / f"aaa_{i:02d}.py").write_text("x = 1\n")
    git(repo.root, "add", "-A")
    git(repo.root, "commit", "-qm", "more files")
    t0 = time.time() - 60
    run(repo, 1, traceback_for(repo), t0)
    for i in range(30):
        (repo.root / f"aaa_{i:02d}.py").write_text("x = 2\n" * 400)
    (repo.root / "app.py").write_text(APP.replace('if "structlog" not in', 'if "structlog" in'))
    run(repo, 0, "ok\n", t0 + 30)
    [p] = capture.pending(repo)
    assert p["files"][0] == "app.py"
    assert len(p["diff"]) <= capture.MAX_DIFF_CHARS + capture.MAX_FILE_DIFF_CHARS
    assert p["diff_truncated"] is True and "more changed files not shown ...]" in p["diff"]
    assert "changed app.py (+1 -1)" in p["summary"]


def test_summary_names_dependencies_and_changed_statement() -> None:
    diff = (
        "diff --git a/pyproject.toml b/pyproject.toml\n--- a/pyproject.toml\n+++ b/pyproject.toml\n"
        "@@ -3,2 +3,3 @@\n dependencies = [\n     \"requests>=2\",\n+    \"structlog>=24.1\",\n"
        "diff --git a/src/app.py b/src/app.py\n--- a/src/app.py\n+++ b/src/app.py\n"
        "@@ -10,3 +10,3 @@ def main():\n     cfg = load()\n-    user = cfg['user_id']\n+    user = cfg.get('user_id')\n"
        "     return user\n"
    )
    files = parse_unified_diff(diff)
    assert summarize(files, {"src/app.py": [11]}) == (
        "added structlog to pyproject.toml; changed src/app.py (+1 -1): `user = cfg.get('user_id')`")


# --- remembered edits -------------------------------------------------------------------

REQ_DIFF = ("diff --git a/requirements.txt b/requirements.txt\n--- a/requirements.txt\n+++ b/requirements.txt\n"
            "@@ -1 +1,2 @@\n requests\n+structlog>=24.1\n")


def test_dependency_edit_applies_once(workspace: Workspace) -> None:
    (workspace.root / "requirements.txt").write_text("flask==3.0\nrequests")  # no trailing newline
    record = {"fix_diff": REQ_DIFF}
    [edit] = applicable_edits(record, workspace)
    assert edit["path"] == "requirements.txt"
    assert edit["range"] == {"start": {"line": 1, "character": 8}, "end": {"line": 1, "character": 8}}
    assert edit["new_text"] == "\nstructlog>=24.1\n"
    (workspace.root / "requirements.txt").write_text("flask==3.0\nrequests\nStructLog==23.0\n")
    assert applicable_edits(record, workspace) == []


def test_dependency_edit_in_pyproject(workspace: Workspace) -> None:
    (workspace.root / "pyproject.toml").write_text(
        '[project]\nname = "x"\ndependencies = [\n    "requests>=2",\n]\n\n[tool.ruff]\nline-length = 100\n')
    record = {"edits": [{"kind": "add-dependency", "file": "pyproject.toml", "package": "structlog",
                         "requirement": "structlog>=24.1"}]}
    [edit] = applicable_edits(record, workspace)
    assert edit["range"]["start"] == {"line": 4, "character": 0}
    assert edit["new_text"] == '    "structlog>=24.1",\n'
    text = (workspace.root / "pyproject.toml").read_text().split("\n")
    text.insert(4, edit["new_text"].rstrip("\n"))
    (workspace.root / "pyproject.toml").write_text("\n".join(text))
    assert applicable_edits(record, workspace) == []


def test_import_rename_edit_and_path_filter(workspace: Workspace) -> None:
    diff = ("diff --git a/src/jobs.py b/src/jobs.py\n--- a/src/jobs.py\n+++ b/src/jobs.py\n"
            "@@ -1,2 +1,2 @@\n-from app.utils.dates import parse_day\n+from app.time import parse_day\n import os\n")
    edits = remembered_edits(diff)
    assert edits == [{"kind": "rename-import", "file": "src/jobs.py", "old": "app.utils.dates", "new": "app.time"}]
    (workspace.root / "src").mkdir()
    (workspace.root / "src" / "report.py").write_text("import os\nfrom app.utils.dates import parse_day, today\n")
    [edit] = applicable_edits({"edits": edits}, workspace, path="src/report.py")
    assert edit["range"] == {"start": {"line": 1, "character": 5}, "end": {"line": 1, "character": 20}}
    assert edit["new_text"] == "app.time"
    assert applicable_edits({"edits": edits}, workspace, path="requirements.txt") == []
    assert applicable_edits({"edits": [{"kind": "rename-import", "file": "../x.py", "old": "a", "new": "b"}]},
                            workspace) == []


def test_logged_traceback_in_a_successful_run_is_not_a_failure(repo: Workspace) -> None:
    t0 = time.time() - 60
    run(repo, 0, traceback_for(repo), t0)  # exit 0: e.g. a handled, logged exception
    run(repo, 0, "ok\n", t0 + 30)
    assert capture.pending(repo) == []


def test_same_error_fixed_under_two_commands_is_proposed_once(repo: Workspace) -> None:
    t0 = time.time() - 600
    run(repo, 1, traceback_for(repo), t0, command="python app.py")
    run(repo, 1, traceback_for(repo), t0 + 10, command="pytest -q")
    add_structlog(repo)
    run(repo, 0, "ok\n", t0 + 60, command="python app.py")
    run(repo, 0, "1 passed\n", t0 + 70, command="pytest -q")
    assert len(capture.pending(repo)) == 1


def test_workspace_in_a_subdirectory_of_the_repository(repo: Workspace) -> None:
    sub = repo.root / "services" / "api"
    sub.mkdir(parents=True)
    (sub / "requirements.txt").write_text("flask\n")
    (repo.root / "requirements.txt").write_text("requests>=2.31\nunrelated\n")
    git(repo.root, "add", "-A")
    git(repo.root, "commit", "-qm", "api service")
    ws = Workspace(sub)
    t0 = time.time() - 60
    Inbox(ws).record_run("python -m api", str(sub), 1, "ModuleNotFoundError: No module named 'structlog'\n", t0, t0)
    (sub / "requirements.txt").write_text("flask\nstructlog\n")
    (repo.root / "requirements.txt").write_text("requests>=2.31\n")  # outside the workspace: not shown
    Inbox(ws).record_run("python -m api", str(sub), 0, "ok\n", t0 + 30, t0 + 31)
    [p] = capture.pending(ws)
    assert p["files"] == ["requirements.txt"]
    assert "+structlog" in p["diff"] and "unrelated" not in p["diff"]


def test_unreadable_capture_state_is_set_aside_not_overwritten(repo: Workspace) -> None:
    t0 = time.time() - 60
    run(repo, 1, traceback_for(repo), t0)
    [state] = list((repo.inbox / "capture" / "commands").glob("*.json"))
    state.write_text("{ truncated")
    run(repo, 1, traceback_for(repo), t0 + 10)
    [aside] = list(state.parent.glob("*.unreadable-*"))
    assert aside.read_text() == "{ truncated"
    add_structlog(repo)
    assert run(repo, 0, "ok\n", t0 + 20)["proposals"], "capture starts over from the next failing run"


@pytest.mark.parametrize("line, expected", [
    pytest.param('dependencies = ["uvicorn[standard]", "requests"]',
                 'dependencies = ["uvicorn[standard]", "requests", "structlog>=24.1"]', id="one-line-with-extras"),
    pytest.param('dependencies = []', 'dependencies = ["structlog>=24.1"]', id="empty"),
])
def test_dependency_edit_in_one_line_pyproject_array(workspace: Workspace, line: str, expected: str) -> None:
    (workspace.root / "pyproject.toml").write_text(f'[project]\nname = "x"\n{line}\n')
    record = {"edits": [{"kind": "add-dependency", "file": "pyproject.toml", "package": "structlog",
                         "requirement": "structlog>=24.1"}]}
    [edit] = applicable_edits(record, workspace)
    col = edit["range"]["start"]["character"]
    assert edit["range"]["start"]["line"] == 2
    assert line[:col] + edit["new_text"] + line[col:] == expected


def test_dependency_edit_multiline_array_opening_with_extras(workspace: Workspace) -> None:
    (workspace.root / "pyproject.toml").write_text(
        '[project]\ndependencies = ["uvicorn[standard]",\n    "requests",\n]\n')
    record = {"edits": [{"kind": "add-dependency", "file": "pyproject.toml", "package": "structlog",
                         "requirement": "structlog>=24.1"}]}
    [edit] = applicable_edits(record, workspace)
    assert edit["range"]["start"] == {"line": 3, "character": 0}
    assert edit["new_text"] == '    "structlog>=24.1",\n'


def test_show_a_proposal_and_the_accepted_record(repo: Workspace) -> None:
    t0 = time.time() - 60
    run(repo, 1, traceback_for(repo), t0)
    add_structlog(repo)
    run(repo, 0, "ok\n", t0 + 30)
    [p] = capture.pending(repo)
    shown = run_cli("bugs", "show", p["id"], root=repo.root)
    assert shown.returncode == 0, shown.stderr
    assert "+structlog>=24.1" in shown.stdout and "pending" in shown.stdout
    assert json.loads(run_cli("bugs", "show", p["id"], "--json", root=repo.root).stdout)["id"] == p["id"]
    rec = capture.accept(repo, p["id"])
    text = " ".join(run_cli("bugs", "show", rec["id"], root=repo.root).stdout.split())
    assert "remembered edits" in text and "+structlog>=24.1" in text
