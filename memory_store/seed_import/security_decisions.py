"""Import of the seed tool's ``patterns/security/team_decisions.json``.

- ``applies_to: "all"`` (a vulnerability type hidden everywhere) and ``"file"`` (every
  finding in a file hidden) were blanket suppressions; they become *proposed* policies
  that suppress nothing until a person confirms them (and can narrow the path glob).
- ``"pattern"`` decisions hold ``md5("<type>:<code line>")[:16]``; the hash is kept as a
  ``legacy`` record flagged for review. When a current finding's line produces the same
  hash, the finding is offered the decision as a suggestion, never applied silently.

Every original field is kept under ``empathy``.
"""

from __future__ import annotations

import hashlib
from typing import Any

from memory_store.authorship import author_name
from memory_store.clock import now_iso, parse_iso
from memory_store.recordfiles import content_id
from memory_store.redact import redact
from memory_store.security.decisions import DecisionStore
from memory_store.workspace import UnsafePathError, Workspace, check_relative

DECISION_MAP = {"accepted": "accepted_risk", "false_positive": "false_positive",
                "deferred": "true_positive", "fixed": "fixed"}

SEED_TYPES = ("sql_injection", "xss", "hardcoded_secret", "insecure_random", "path_traversal",
              "command_injection")

TYPE_RULES: dict[str, list[str]] = {
    "sql_injection": ["B608", "S608"],
    "xss": ["B701", "B702", "B703", "B308", "S701", "S702", "S308"],
    "hardcoded_secret": ["B105", "B106", "B107", "S105", "S106", "S107"],
    "insecure_random": ["B311", "S311"],
    "path_traversal": ["B202", "S202"],
    "command_injection": ["B102", "B307", "B602", "B603", "B604", "B605", "B606", "B607",
                          "S102", "S307", "S602", "S603", "S604", "S605", "S606", "S607"],
}
"""Seed vulnerability types and the bandit / ruff rules that report the same thing."""


def seed_pattern_hash(vuln_type: str, line_text: str) -> str:
    """The seed tool's pattern hash of one flagged line (used only to link legacy records)."""
    return hashlib.md5(f"{vuln_type}:{line_text.strip()}".encode(), usedforsecurity=False).hexdigest()[:16]


def _expires(value: Any) -> str | None:
    if not value:
        return None
    parse_iso(str(value))
    return str(value)


def import_decisions(workspace: Workspace, data: dict[str, Any]) -> dict[str, Any]:
    """Convert the seed's team decisions; returns counts, skipped entries and record ids.

    Result: ``{"imported": N, "skipped": [{"index", "reason"}], "needs_review": N,
    "policies": [ids], "legacy": [ids]}``. Re-importing the same file rewrites the same
    records (ids derive from the original hash and scope).
    """
    store = DecisionStore(workspace)
    out: dict[str, Any] = {"imported": 0, "skipped": [], "needs_review": 0, "policies": [], "legacy": []}
    entries = data.get("decisions") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        out["skipped"].append({"index": None, "reason": "no 'decisions' list"})
        return out
    for i, entry in enumerate(entries):
        def skip(reason: str, i: int = i) -> None:
            out["skipped"].append({"index": i, "reason": reason})

        if not isinstance(entry, dict):
            skip("not an object")
            continue
        fhash, raw_decision = entry.get("finding_hash"), entry.get("decision")
        if not isinstance(fhash, str) or not fhash.strip():
            skip("missing finding_hash")
            continue
        if raw_decision not in DECISION_MAP:
            skip(f"unknown decision {raw_decision!r}")
            continue
        try:
            expires = _expires(entry.get("expiration"))
        except ValueError:
            skip(f"expiration is not a date: {entry.get('expiration')!r}")
            continue
        scope = entry.get("applies_to") or "pattern"
        reason = redact(str(entry.get("reason") or "").strip()) or "(no reason given in the imported decision)"
        author = author_name(str(entry.get("decided_by") or ""), workspace.root)
        original = {k: v for k, v in entry.items()}
        decision = DECISION_MAP[raw_decision]
        base = {"author": author, "date": str(entry.get("decided_at") or now_iso()), "imported_at": now_iso(),
                "source": "empathy-import", "empathy": original, "reason": reason}
        if scope in ("all", "file"):
            if decision not in ("false_positive", "accepted_risk"):
                skip(f"'{raw_decision}' with applies_to {scope!r} suppresses nothing in the seed tool")
                continue
            if scope == "all":
                rules = sorted({fhash, *TYPE_RULES.get(fhash, [])})
                paths = "**"
            else:
                try:
                    paths = check_relative(fhash)
                except UnsafePathError as exc:
                    skip(str(exc))
                    continue
                rules = ["*"]
            rec = store.add_policy(rules, paths, reason, decision=decision, author=author, expires=expires,
                                   proposed=True, source="empathy-import",
                                   extra={"date": base["date"], "imported_at": base["imported_at"],
                                          "empathy": original,
                                          "review_note": f"imported blanket suppression (applies_to={scope}); "
                                                         "confirm, narrow with --paths, or reject"})
            out["policies"].append(rec["id"])
        elif scope == "pattern":
            rec = {"id": content_id("slegacy", fhash), "type": "legacy", "status": "needs_review",
                   "finding_hash": fhash, "decision": decision, "expires": expires,
                   "seed_type": (entry.get("original_finding") or {}).get("type"), **base}
            store.write(rec)
            out["legacy"].append(rec["id"])
        else:
            skip(f"unknown applies_to {scope!r}")
            continue
        out["imported"] += 1
        out["needs_review"] += 1
    return out
