"""The ``teamlore security`` command line and its SARIF output."""

from __future__ import annotations

import json

import pytest

from tests.conftest import EMPATHY_FIXTURE, run_cli
from tests.security.conftest import bandit_report

pytestmark = pytest.mark.e2e

FINDING_KEYS = {"fingerprint", "tool", "rule", "path", "line", "severity", "message", "status", "decision"}


def test_ingest_decide_report_sarif_round_trip(code_ws, tmp_path):
    root = code_ws.root
    report = bandit_report(root)
    out = run_cli("security", "ingest", str(report), "--json", root=root)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert set(data) == {"findings", "summary"}
    assert set(data["summary"]) == {"total", "suppressed", "active", "stale", "noise_reduction_pct"}
    assert all(set(f) >= FINDING_KEYS for f in data["findings"])
    assert data["summary"] == {"total": 5, "suppressed": 0, "active": 5, "stale": 0, "noise_reduction_pct": 0.0}
    b602 = [f for f in data["findings"] if f["rule"] == "B602"]

    bad = run_cli("security", "decide", b602[0]["fingerprint"], "nope", "--false-positive", "--reason", "x", root=root)
    assert bad.returncode == 2 and "nope" in bad.stderr
    assert not (root / ".teamlore" / "security" / "decisions").exists()

    ok = run_cli("security", "decide", b602[0]["fingerprint"], b602[1]["fingerprint"], "--accepted-risk",
                 "--reason", "internal tool", "--author", "dana", "--json", root=root)
    assert ok.returncode == 0, ok.stderr
    assert len(json.loads(ok.stdout)["decisions"]) == 2

    again = json.loads(run_cli("security", "ingest", str(report), "--json", root=root).stdout)
    assert again["summary"] == {"total": 5, "suppressed": 2, "active": 3, "stale": 0, "noise_reduction_pct": 40.0}

    sarif_path = tmp_path / "out.sarif"
    rep = run_cli("security", "report", "--json", "--sarif", str(sarif_path), root=root)
    assert rep.returncode == 0, rep.stderr
    assert json.loads(rep.stdout)["suppressed_by_reason"] == [{"reason": "internal tool", "count": 2}]
    sarif = json.loads(sarif_path.read_text())
    assert sarif["version"] == "2.1.0" and sarif["$schema"].endswith("sarif-2.1.0.json")
    [run] = sarif["runs"]
    assert run["tool"]["driver"]["name"] == "bandit"
    rule_ids = [r["id"] for r in run["tool"]["driver"]["rules"]]
    suppressed = []
    for res in run["results"]:
        assert rule_ids[res["ruleIndex"]] == res["ruleId"]
        loc = res["locations"][0]["physicalLocation"]
        assert loc["artifactLocation"]["uri"] == "service.py" and loc["region"]["startLine"] >= 1
        assert res["level"] in ("error", "warning", "note") and res["message"]["text"]
        if "suppressions" in res:
            assert res["suppressions"] == [{"kind": "external", "status": "accepted", "justification": "internal tool",
                                            "properties": res["suppressions"][0]["properties"]}]
            suppressed.append(res["partialFingerprints"]["teamlore/v1"])
    assert sorted(suppressed) == sorted(f["fingerprint"] for f in b602[:2])

    # Our own SARIF reads back with the same fingerprints and statuses.
    back = json.loads(run_cli("security", "ingest", str(sarif_path), "--json", root=root).stdout)
    assert back["summary"]["suppressed"] == 2

    table = run_cli("security", "report", root=root)
    assert table.returncode == 0 and "internal tool" in table.stdout


def test_policy_suggest_proposals_confirm_reject(code_ws):
    root = code_ws.root
    add = run_cli("security", "policy", "add", "--rule", "B101", "--paths", "tests/**", "--reason",
                  "pytest asserts", "--json", root=root)
    assert add.returncode == 0, add.stderr
    pid = json.loads(add.stdout)["id"]
    listed = json.loads(run_cli("security", "policy", "list", "--json", root=root).stdout)
    assert [p["id"] for p in listed["policies"]] == [pid]
    assert json.loads(run_cli("security", "suggest", "--json", root=root).stdout) == {"suggestions": []}

    imp = run_cli("import-empathy", str(EMPATHY_FIXTURE), root=root)
    assert imp.returncode == 0, imp.stderr
    props = json.loads(run_cli("security", "proposals", "--json", root=root).stdout)["proposals"]
    assert len(props) == 3
    policy_ids = [p["id"] for p in props if p["type"] == "policy"]
    conf = run_cli("security", "confirm", policy_ids[0], "--paths", "tests/fixtures/**", "--json", root=root)
    assert json.loads(conf.stdout) == {"id": policy_ids[0], "status": "confirmed"}
    rej = run_cli("security", "reject", policy_ids[1], root=root)
    assert rej.returncode == 0 and "rejected" in rej.stdout
    missing = run_cli("security", "confirm", "spol-0000", root=root)
    assert missing.returncode == 2 and "spol-0000" in missing.stderr
    assert len(json.loads(run_cli("security", "proposals", "--json", root=root).stdout)["proposals"]) == 1


def test_scan_runs_bandit(code_ws):
    out = run_cli("security", "scan", "--json", root=code_ws.root)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert {f["rule"] for f in data["findings"]} == {"B404", "B602", "B101"}
    assert all(f["tool"] == "bandit" and f["path"] == "service.py" for f in data["findings"])


def test_bad_arguments_exit_2(code_ws, tmp_path):
    root = code_ws.root
    assert run_cli("security", "ingest", str(tmp_path / "missing.json"), root=root).returncode == 2
    junk = tmp_path / "junk.json"
    junk.write_text("[1, 2]")
    out = run_cli("security", "ingest", str(junk), root=root)
    assert out.returncode == 2 and "junk.json" in out.stderr
    out = run_cli("security", "decide", "abc", "--false-positive", root=root)
    assert out.returncode == 2 and "--reason" in out.stderr
