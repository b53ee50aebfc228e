"""Real bandit runs on fixture code: decisions follow the code as it moves and changes."""

from __future__ import annotations

import shutil

import pytest

from memory_store.security.api import SecurityMemory
from memory_store.workspace import Workspace
from tests.security.conftest import git, only, scan

pytestmark = pytest.mark.e2e

RESTART = '        subprocess.call("systemctl restart " + name, shell=True)\n'


def edit(ws: Workspace, old: str, new: str, path: str = "service.py") -> None:
    file = ws.root / path
    text = file.read_text()
    assert old in text
    file.write_text(text.replace(old, new, 1))


def decide_restart(mem: SecurityMemory) -> str:
    restart = [s for s in only(scan(mem), "B602") if s.finding.scope == "Deployer.restart"]
    assert len(restart) == 1 and restart[0].status == "active"
    [rid] = mem.decide([restart[0].finding.fingerprint], "false_positive", "name comes from our own config")
    return rid


def test_moved_lines_and_unrelated_edits_stay_suppressed(code_ws):
    mem = SecurityMemory(code_ws)
    rid = decide_restart(mem)
    edit(code_ws, "import subprocess\n", "import subprocess\n\nRETRIES = 3\n\n\ndef noop():\n    return None\n")
    edit(code_ws, "    def status(self, name):\n        return name\n",
         "    def status(self, name):\n        return name.upper()\n")
    edit(code_ws, "        return name\n\n", "        log = name\n        return log\n\n")
    statuses = scan(mem)
    [restart] = [s for s in only(statuses, "B602") if s.finding.scope == "Deployer.restart"]
    assert restart.finding.line == 13  # moved down by 6 lines
    assert (restart.status, restart.decision) == ("suppressed", rid)
    assert [s.status for s in only(statuses, "B602") if s.finding.scope == "twice"] == ["active", "active"]


def test_reformatted_statement_stays_suppressed(code_ws):
    mem = SecurityMemory(code_ws)
    rid = decide_restart(mem)
    edit(code_ws, RESTART,
         "        subprocess.call(  # restart the unit\n"
         "            'systemctl restart '+name ,\n"
         "            shell = True ,\n"
         "        )\n")
    [restart] = [s for s in only(scan(mem), "B602") if s.finding.scope == "Deployer.restart"]
    assert (restart.status, restart.decision) == ("suppressed", rid)


def test_git_mv_rename_stays_suppressed(git_ws):
    mem = SecurityMemory(git_ws)
    rid = decide_restart(mem)
    (git_ws.root / "deploy").mkdir()
    git(git_ws.root, "mv", "service.py", "deploy/service.py")
    statuses = scan(mem)
    [restart] = [s for s in only(statuses, "B602") if s.finding.scope == "Deployer.restart"]
    assert restart.finding.path == "deploy/service.py"
    assert (restart.status, restart.decision) == ("suppressed", rid)
    # ... and after the rename is committed, with more edits on top.
    git(git_ws.root, "commit", "-q", "-am", "move")
    edit(git_ws, "import subprocess\n", "import subprocess\nimport os\n", "deploy/service.py")
    [restart] = [s for s in only(scan(mem), "B602") if s.finding.scope == "Deployer.restart"]
    assert (restart.status, restart.decision) == ("suppressed", rid)


def test_rename_outside_git_follows_unique_content(code_ws):
    mem = SecurityMemory(code_ws)
    rid = decide_restart(mem)
    shutil.move(code_ws.root / "service.py", code_ws.root / "deployer.py")
    [restart] = [s for s in only(scan(mem), "B602") if s.finding.scope == "Deployer.restart"]
    assert (restart.finding.path, restart.status, restart.decision) == ("deployer.py", "suppressed", rid)


def test_new_same_rule_finding_in_same_function_stays_active(code_ws):
    mem = SecurityMemory(code_ws)
    rid = decide_restart(mem)
    edit(code_ws, RESTART, RESTART + '        subprocess.call("systemctl reload " + name, shell=True)\n')
    restart = [s for s in only(scan(mem), "B602") if s.finding.scope == "Deployer.restart"]
    assert [(s.status, s.decision) for s in restart] == [("suppressed", rid), ("active", None)]


def test_changed_flagged_line_is_stale_not_suppressed_nor_dropped(code_ws):
    mem = SecurityMemory(code_ws)
    rid = decide_restart(mem)
    edit(code_ws, RESTART, '        subprocess.call("systemctl restart " + name + " --now", shell=True)\n')
    statuses = scan(mem)
    [restart] = [s for s in only(statuses, "B602") if s.finding.scope == "Deployer.restart"]
    assert (restart.status, restart.decision) == ("stale", rid)
    assert "changed" in (restart.suggestion or "")
    report = mem.report()
    assert [d["id"] for d in report["stale"]] == [rid]
    assert report["summary"]["stale"] == 1 and report["summary"]["suppressed"] == 0


def test_two_identical_statements_one_decided_exactly_one_suppressed(code_ws):
    mem = SecurityMemory(code_ws)
    twice = [s for s in only(scan(mem), "B602") if s.finding.scope == "twice"]
    assert len(twice) == 2 and twice[0].finding.fingerprint != twice[1].finding.fingerprint
    [rid] = mem.decide([twice[1].finding], "accepted_risk", "cmd is validated by the caller")
    twice = [s for s in only(scan(mem), "B602") if s.finding.scope == "twice"]
    assert [(s.finding.line, s.status) for s in twice] == [(15, "active"), (16, "suppressed")]
    assert twice[1].decision == rid
    # An identical statement elsewhere is offered the decision, never given it.
    assert twice[0].suggestion and "apply?" in twice[0].suggestion
