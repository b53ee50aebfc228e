"""The security step of ``teamlore demo``: a decision follows the code, a new finding stays visible."""

from __future__ import annotations

import json
from typing import Any

from memory_store.security.api import SecurityMemory
from memory_store.security.scanners import available
from memory_store.security.triage import TriageResult

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


def _demo_findings(mem: SecurityMemory, demo: Any) -> TriageResult:
    """Scan with bandit when installed; otherwise read the equivalent bandit report."""
    if "bandit" in mem_available(mem):
        return mem.scan(["shop/deploy.py"], ["bandit"])[0]
    text = (demo.root / "shop" / "deploy.py").read_text()
    results = [{"filename": "shop/deploy.py", "line_number": n, "test_id": "B602", "issue_severity": "HIGH",
                "issue_confidence": "HIGH", "issue_text": "subprocess call with shell=True identified, security issue."}
               for n, line in enumerate(text.splitlines(), 1) if line.strip().startswith("subprocess.call(")]
    report = demo.root.parent / f"{demo.root.name}-bandit.json"
    report.write_text(json.dumps({"results": results, "metrics": {}}))
    return mem.ingest([report])


def mem_available(mem: SecurityMemory) -> list[str]:
    return available(mem.workspace)


def demo_step(demo: Any) -> None:
    """Security triage in ``teamlore demo``: a decision follows the code; a new finding shows."""
    demo.heading("Security triage: a decision follows the code, a new finding stays visible")
    mem = SecurityMemory(demo.workspace)
    (demo.root / "shop").mkdir(exist_ok=True)
    (demo.root / "shop" / "deploy.py").write_text(DEMO_CODE)
    tool = "bandit" if "bandit" in mem_available(mem) else "a saved bandit report (bandit not installed)"
    demo.say(f"$ teamlore security scan shop/deploy.py      # using {tool}")
    first = _demo_findings(mem, demo)
    for s in first.statuses:
        demo.say(f"  {s.status:10} {s.finding.rule} {s.finding.path}:{s.finding.line} in {s.finding.scope}"
                 f"  [{s.finding.fingerprint}]")
    target = [s.finding for s in first.statuses if s.finding.rule == "B602"][:1]
    if not target:
        return
    demo.say(f"\n$ teamlore security decide {target[0].fingerprint} --accepted-risk "
             "--reason 'service names come from our own table'")
    ids = mem.decide(target, "accepted_risk", "service names come from our own table", author="Dana Demo")
    demo.say(f"stored .teamlore/security/decisions/{ids[0]}.json")
    demo.say("\n... later: lines move, the call is reformatted, and a new shell=True call lands in the same "
             "function ...")
    (demo.root / "shop" / "deploy.py").write_text(DEMO_CODE_LATER)
    demo.say("$ teamlore security scan shop/deploy.py")
    later = _demo_findings(mem, demo)
    for s in later.statuses:
        note = f"  ({s.reason})" if s.status == "suppressed" else ""
        demo.say(f"  {s.status:10} {s.finding.rule} {s.finding.path}:{s.finding.line} in {s.finding.scope}{note}")
    b602 = [s.status for s in later.statuses if s.finding.rule == "B602"]
    demo.say(f"The decided call moved and was reformatted and is still {b602[0] if b602 else 'gone'}; the new "
             "shell=True call in the same function stays active: a decision covers its finding, not a rule.")
    demo.state["security"] = b602
