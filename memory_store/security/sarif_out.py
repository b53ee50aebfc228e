"""SARIF 2.1.0 export in which the team's decisions travel as ``suppressions``.

Suppressed findings carry ``suppressions: [{"kind": "external", "status": "accepted",
"justification": reason}]`` so GitHub code scanning (and any SARIF consumer) honours
them; stale and active findings carry none. Each result keeps teamlore's fingerprint in
``partialFingerprints`` so uploads of later runs line up.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from memory_store import __version__
from memory_store.security.triage import FindingStatus

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
LEVELS = {"critical": "error", "high": "error", "medium": "warning", "low": "note", "info": "note"}


def to_sarif(statuses: list[FindingStatus]) -> dict[str, Any]:
    by_tool: dict[str, list[FindingStatus]] = defaultdict(list)
    for s in statuses:
        by_tool[s.finding.tool].append(s)
    runs = []
    for tool in sorted(by_tool):
        rules: dict[str, dict[str, Any]] = {}
        results = []
        for s in by_tool[tool]:
            f = s.finding
            if f.rule not in rules:
                rule: dict[str, Any] = {"id": f.rule, "shortDescription": {"text": f.message or f.rule}}
                if f.rule_url:
                    rule["helpUri"] = f.rule_url
                rules[f.rule] = rule
            region: dict[str, Any] = {"startLine": f.line}
            if f.column is not None:
                region["startColumn"] = f.column + 1
            result: dict[str, Any] = {
                "ruleId": f.rule,
                "ruleIndex": list(rules).index(f.rule),
                "level": LEVELS.get(f.severity, "warning"),
                "message": {"text": f.message or f.rule},
                "locations": [{"physicalLocation": {
                    "artifactLocation": {"uri": f.path, "uriBaseId": "%SRCROOT%"},
                    "region": region,
                }}],
                "partialFingerprints": {"teamlore/v1": f.fingerprint},
                "properties": {"teamlore": {"status": s.status, "decision": s.decision,
                                            "scope": f.scope, "severity": f.severity}},
            }
            if s.status == "suppressed":
                result["suppressions"] = [{
                    "kind": "external",
                    "status": "accepted",
                    "justification": s.reason or "",
                    "properties": {"teamlore": {"decision": s.decision, "via": s.via}},
                }]
            results.append(result)
        runs.append({
            "tool": {"driver": {"name": tool, "rules": list(rules.values()),
                                "properties": {"exportedBy": f"teamlore {__version__}"}}},
            "originalUriBaseIds": {"%SRCROOT%": {"description": {"text": "the workspace root"}}},
            "columnKind": "unicodeCodePoints",
            "results": results,
        })
    return {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": runs}
