"""The security step of ``teamlore demo``: a decision follows the code, a new finding stays visible."""

from __future__ import annotations

import json
from typing import Any

from memory_store.security.api import SecurityMemory
from memory_store.security.scanners import available
from memory_store.security.triage import FindingStatus

DEMO_CODE = '''\
import subprocess


def restart(service):
    subprocess.call("systemctl restart " + SERVICES[service], shell=True)
'''

DEMO_CODE_LATER = '''\
import subprocess

SERVICES = {"web": "shop-web", "worker": "shop-worker"}


def restart(service):
    unit = SERVICES[service]
    subprocess.call(
        "systemctl restart " + SERVICES[service],
        shell=True,
    )
    subprocess.call("journalctl -u " + unit, shell=True)
'''


def _scan(demo: Any, mem: SecurityMemory) -> list[FindingStatus]:
    """``security scan`` with bandit when installed, else ``security ingest`` of the equivalent
    bandit report (written inside the workspace, so ``demo --clean`` removes it); returns the
    statuses of the findings it reported."""
    if "bandit" in mem_available(mem):
        demo.show("security", "scan", "shop/deploy.py", "--tool", "bandit")
    else:
        text = (demo.root / "shop" / "deploy.py").read_text()
        results = [{"filename": "shop/deploy.py", "line_number": n, "test_id": "B602", "issue_severity": "HIGH",
                    "issue_confidence": "HIGH",
                    "issue_text": "subprocess call with shell=True identified, security issue."}
                   for n, line in enumerate(text.splitlines(), 1) if line.strip().startswith("subprocess.call(")]
        report = demo.write_input("bandit.json", json.dumps({"results": results, "metrics": {}}))
        demo.show("security", "ingest", report)
    return mem.status(mem.last_findings())


def mem_available(mem: SecurityMemory) -> list[str]:
    return available(mem.workspace)


def demo_step(demo: Any) -> None:
    """Security triage in ``teamlore demo``: a decision follows the code; a new finding shows."""
    demo.heading("Security triage: a decision follows the code, a new finding stays visible")
    mem = SecurityMemory(demo.workspace)
    (demo.root / "shop").mkdir(exist_ok=True)
    (demo.root / "shop" / "deploy.py").write_text(DEMO_CODE)
    if "bandit" not in mem_available(mem):
        demo.say("(bandit is not installed: the demo reads the report bandit would write)")
    first = _scan(demo, mem)
    target = [s.finding.fingerprint for s in first if s.finding.rule == "B602"][:1]
    if not target:
        return
    demo.say("")
    demo.show("security", "decide", target[0], "--accepted-risk", "--reason", "service names come from our own table")
    demo.say("\n... later: lines move, the call is reformatted, and a new shell=True call lands in the same "
             "function ...")
    (demo.root / "shop" / "deploy.py").write_text(DEMO_CODE_LATER)
    later = _scan(demo, mem)
    b602 = [s.status for s in sorted(later, key=lambda s: s.finding.line) if s.finding.rule == "B602"]
    demo.say(f"The decided call moved and was reformatted and is still {b602[0] if b602 else 'gone'}; the new "
             "shell=True call in the same function stays active: a decision covers its finding, not a rule.")
    demo.state["security"] = b602
