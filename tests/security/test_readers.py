"""bandit / semgrep / SARIF readers on realistic hand-written reports."""

from __future__ import annotations

import json
import shutil

import pytest

from memory_store.security.api import SecurityMemory
from memory_store.security.findings import ReportError, detect_format, read_report
from tests.security.conftest import FIXTURES


@pytest.fixture
def web_ws(code_ws):
    shutil.copytree(FIXTURES / "web", code_ws.root / "web")
    return code_ws


def test_semgrep_report(web_ws):
    findings = read_report(FIXTURES / "semgrep.json", web_ws)
    assert [(f.tool, f.path, f.line, f.severity) for f in findings] == [
        ("semgrep", "service.py", 7, "high"), ("semgrep", "web/app.js", 4, "medium")]
    assert findings[0].rule.endswith("subprocess-shell-true")
    assert findings[0].rule_url.startswith("https://semgrep.dev/r/")
    assert findings[0].snippet is None  # "requires login" is not code


def test_codeql_sarif_with_base_ids_rule_index_and_security_severity(web_ws):
    skipped: list[str] = []
    findings = read_report(FIXTURES / "codeql.sarif", web_ws, skipped)
    assert [(f.tool, f.rule, f.path, f.line, f.severity) for f in findings] == [
        ("codeql", "py/command-line-injection", "service.py", 15, "critical"),
        ("codeql", "js/xss", "web/app.js", 4, "medium")]
    assert len(skipped) == 1 and "escapes the workspace" in skipped[0]


def test_ruff_sarif_with_absolute_uris_from_another_machine(code_ws, tmp_path):
    report = {"$schema": "https://json.schemastore.org/sarif-2.1.0.json", "version": "2.1.0", "runs": [{
        "tool": {"driver": {"name": "ruff", "rules": [{"id": "S602", "helpUri": "https://docs.astral.sh/ruff/rules/x"}]}},
        "results": [{"level": "error", "ruleId": "S602", "message": {"text": "`subprocess` call with `shell=True`"},
                     "locations": [{"physicalLocation": {
                         "artifactLocation": {"uri": "file:///home/ci/build/repo/service.py"},
                         "region": {"startLine": 7, "startColumn": 9}}}]}]}]}
    path = tmp_path / "ruff.sarif"
    path.write_text(json.dumps(report))
    [f] = read_report(path, code_ws)
    assert (f.tool, f.rule, f.path, f.line, f.column, f.severity) == ("ruff", "S602", "service.py", 7, 8, "high")


def test_fingerprints_come_from_source_not_from_the_report(web_ws):
    mem = SecurityMemory(web_ws)
    sarif = {s.finding.path: s.finding for s in mem.ingest([FIXTURES / "codeql.sarif"]).statuses}
    semgrep = {s.finding.path: s.finding for s in mem.ingest([FIXTURES / "semgrep.json"]).statuses}
    assert sarif["web/app.js"].statement == "el.innerHTML=html;"
    assert sarif["web/app.js"].scope == "function render(el,html){ > if(el){"
    assert semgrep["service.py"].scope == "Deployer.restart"
    assert semgrep["service.py"].statement == "subprocess.call('systemctl restart ' + name, shell=True)"


@pytest.mark.parametrize("data, fmt", [
    pytest.param({"results": [{"test_id": "B101", "filename": "a.py"}], "metrics": {}}, "bandit", id="bandit"),
    pytest.param({"results": [{"check_id": "x", "path": "a.py"}]}, "semgrep", id="semgrep"),
    pytest.param({"version": "2.1.0", "runs": []}, "sarif", id="sarif"),
    pytest.param({"results": [], "metrics": {}}, "bandit", id="empty-bandit"),
])
def test_detect_format(data, fmt):
    assert detect_format(data) == fmt


def test_unknown_and_broken_reports_name_the_file(workspace, tmp_path):
    bad = tmp_path / "other.json"
    bad.write_text('{"issues": []}')
    with pytest.raises(ReportError, match=r"other\.json: not a bandit"):
        read_report(bad, workspace)
    broken = tmp_path / "broken.json"
    broken.write_text('{"results": [\n')
    with pytest.raises(ReportError, match=r"broken\.json:2: invalid JSON"):
        read_report(broken, workspace)


def test_each_path_of_a_report_is_mapped_once(code_ws, tmp_path, monkeypatch):
    from memory_store.security import findings as findings_mod

    mapped: list[str] = []
    real = findings_mod._PathMapper._map

    def counting(self, raw):
        mapped.append(raw)
        return real(self, raw)

    monkeypatch.setattr(findings_mod._PathMapper, "_map", counting)
    foreign = "/home/runner/work/proj/proj/service.py"  # made on another machine
    results = [{"test_id": "B602", "filename": name, "line_number": n, "issue_text": "shell"}
               for n in range(1, 6) for name in (foreign, "./service.py", "../outside.py")]
    report = tmp_path / "bandit.json"
    report.write_text(json.dumps({"results": results, "metrics": {}}))
    skipped: list[str] = []
    findings = read_report(report, code_ws, skipped)
    assert [f.path for f in findings] == ["service.py"] * 10
    assert len(skipped) == 5 and all("outside.py" in s for s in skipped)
    assert sorted(mapped) == sorted([foreign, "./service.py", "../outside.py"])


def test_a_bandit_rule_link_never_fails_the_triage_it_decorates(monkeypatch: pytest.MonkeyPatch) -> None:
    """bandit's docs module caught half-imported (another thread importing bandit, whose
    plugin loader imports bandit back) raises AttributeError: the link falls back to the
    plugin index instead of failing the finding's triage."""
    import warnings

    from memory_store.security import findings

    with warnings.catch_warnings():  # bandit's plugin loader warns about its own stevedore use
        warnings.simplefilter("ignore", DeprecationWarning)
        from bandit.core import docs_utils

    def get_url(rule: str) -> str:
        raise AttributeError("partially initialized module 'bandit' has no attribute '__version__'")

    monkeypatch.setattr(docs_utils, "get_url", get_url)
    findings.default_rule_url.cache_clear()
    try:
        assert findings.default_rule_url("bandit", "B602") == findings.BANDIT_PLUGINS_URL
    finally:
        findings.default_rule_url.cache_clear()
        monkeypatch.undo()
    assert "b602" in (findings.default_rule_url("bandit", "B602") or "")
