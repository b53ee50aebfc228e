"""Applying decisions to findings: exact instance matches, explicit policies, stale and
expired decisions, and near-miss suggestions that are offered, never applied.

Rules, in order:

1. An instance decision matches the finding with its exact fingerprint (the path is
   followed through renames) and absorbs at most that one finding.
2. A confirmed, unexpired policy (rule x path glob) suppresses every finding it covers.
3. A remaining finding on the same tool + rule + path + scope as an unused suppressing
   decision whose statement hash differs is ``stale``: the flagged code changed, a person
   must look again. Stale findings are not suppressed.
4. Everything else is ``active``; near misses (same rule and statement elsewhere, an
   expired decision, an agent's proposal) are attached as suggestion text.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from fnmatch import fnmatchcase
from typing import Any

from memory_store.gcpause import gc_paused
from memory_store.security.decisions import SUPPRESSING, is_expired
from memory_store.security.findings import Finding
from memory_store.security.fingerprint import compute_fingerprint
from memory_store.security.history import Place
from memory_store.security.path_glob import path_glob

DECISION_STATUSES = ("carried", "moved", "relocated", "stale", "gone", "expired", "unseen")
FOLLOWED = frozenset({"carried", "moved", "relocated"})
POLICY_SUGGESTION_MIN = 3
"""Instance decisions sharing tool, rule and a directory before a policy is suggested."""


@dataclass(slots=True)
class FindingStatus:
    """A finding and what the memory says about it."""

    finding: Finding
    status: str = "active"  # active | suppressed | stale
    decision: str | None = None
    reason: str | None = None
    suggestion: str | None = None
    via: str | None = None  # decision | policy | rename
    suggested_decision: str | None = None

    @property
    def fingerprint(self) -> str:
        return self.finding.fingerprint

    def to_json(self) -> dict[str, Any]:
        f = self.finding
        return {
            "fingerprint": f.fingerprint, "tool": f.tool, "rule": f.rule, "path": f.path,
            "line": f.line, "severity": f.severity, "message": f.message, "status": self.status,
            "decision": self.decision, "reason": self.reason, "suggestion": self.suggestion,
            "suggested_decision": self.suggested_decision, "scope": f.scope, "rule_url": f.rule_url,
        }


@dataclass
class TriageResult:
    statuses: list[FindingStatus]
    stale: list[dict[str, Any]] = field(default_factory=list)
    expired: list[dict[str, Any]] = field(default_factory=list)
    unseen: list[dict[str, Any]] = field(default_factory=list)
    renamed: dict[str, str] = field(default_factory=dict)
    followed: dict[str, tuple[str, str]] = field(default_factory=dict)
    """Decision id -> (status, how it was followed): carried / moved / relocated (suppressing
    a finding), stale, gone, unseen (not among these findings), expired."""
    places: dict[str, Place] = field(default_factory=dict)

    def decision_counts(self) -> dict[str, int]:
        counts = dict.fromkeys(DECISION_STATUSES, 0)
        for status, _ in self.followed.values():
            counts[status] = counts.get(status, 0) + 1
        return counts

    def summary(self) -> dict[str, Any]:
        total = len(self.statuses)
        counts = {"suppressed": 0, "active": 0, "stale": 0}
        for s in self.statuses:
            counts[s.status] += 1
        pct = round(100.0 * counts["suppressed"] / total, 1) if total else 0.0
        return {"total": total, **counts, "noise_reduction_pct": pct}

    def to_json(self) -> dict[str, Any]:
        return {"findings": [s.to_json() for s in self.statuses], "summary": self.summary()}


def policy_covers(policy: dict[str, Any], finding: Finding) -> bool:
    tool = policy.get("tool")
    if tool and tool != finding.tool.lower():
        return False
    if not any(r == finding.rule or fnmatchcase(finding.rule, r) for r in policy.get("rules", ())):
        return False
    return path_glob(policy["paths"]).match(finding.path)


def _parent_globs(path: str) -> list[str]:
    """``a/b/c.py`` -> ``["a/b/**", "a/**"]`` (deepest first)."""
    parts = path.split("/")[:-1]
    return [("/".join(parts[:n]) + "/**") for n in range(len(parts), 0, -1)]


def _effective_fp(rec: dict[str, Any], path: str) -> str:
    if path == rec["path"]:
        fp: str = rec["fingerprint"]
        return fp
    return compute_fingerprint(rec["tool"], rec["rule"], path, rec.get("scope", ""),
                               rec["statement_hash"], int(rec.get("occurrence", 0)), int(rec.get("hit", 0)))


def _where(rec: dict[str, Any]) -> str:
    scope = rec.get("scope") or ""
    return f"{rec.get('path')}:{rec.get('line', '?')}" + (f" in {scope}" if scope and not scope.startswith("<") else "")


class Triage:
    """Precomputed indexes over one set of records; :meth:`run` applies them to findings."""

    def __init__(self, records: Iterable[dict[str, Any]], *, now: datetime | None = None,
                 path_exists: Callable[[str], bool] | None = None,
                 renames: Callable[[set[str]], dict[str, str]] | None = None,
                 places: Mapping[str, Place] | None = None,
                 holds: Callable[[str, str, str], bool] | None = None):
        """``places``: where decided statements are now (:mod:`memory_store.security.history`);
        decisions without one are matched by fingerprint, then by content identity.
        ``holds(path, scope, statement hash)``: whether that statement is still there."""
        self.now = now or datetime.now(timezone.utc)
        self.places: Mapping[str, Place] = places or {}
        self.holds = holds
        self.path_exists = path_exists
        self.renames = renames
        self.decisions: list[dict[str, Any]] = []
        self.expired: list[dict[str, Any]] = []
        self.proposed: list[dict[str, Any]] = []
        self.policies: list[dict[str, Any]] = []
        self.expired_policies: list[dict[str, Any]] = []
        for rec in records:
            rtype, status = rec.get("type"), rec.get("status", "confirmed")
            if rtype == "decision":
                if status == "proposed":
                    self.proposed.append(rec)
                elif status == "confirmed":
                    (self.expired if is_expired(rec, self.now) else self.decisions).append(rec)
            elif rtype == "policy" and status == "confirmed":
                (self.expired_policies if is_expired(rec, self.now) else self.policies).append(rec)
        # Newest decision first when two exist for one fingerprint; equally new ones by id.
        self.decisions.sort(key=lambda r: str(r.get("id") or ""))
        self.decisions.sort(key=lambda r: r.get("updated") or r.get("date") or "", reverse=True)
        self.policy_by_rule: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.policy_globbed: list[dict[str, Any]] = []
        for p in self.policies:
            for r in p.get("rules", ()):
                if any(ch in r for ch in "*?["):
                    self.policy_globbed.append(p)
                else:
                    self.policy_by_rule[r].append(p)
        self.by_statement: dict[tuple[str, str, str], list[dict[str, Any]]] = defaultdict(list)
        for rec in self.decisions:
            if rec.get("decision") in SUPPRESSING:
                self.by_statement[(rec["tool"], rec["rule"], rec["statement_hash"])].append(rec)

    def _policy_for(self, f: Finding) -> dict[str, Any] | None:
        for p in self.policy_by_rule.get(f.rule, ()):
            if policy_covers(p, f):
                return p
        for p in self.policy_globbed:
            if policy_covers(p, f):
                return p
        return None

    @staticmethod
    def _apply_decision(s: FindingStatus, d: dict[str, Any], via: str) -> None:
        s.decision, s.reason, s.via = d["id"], d.get("reason"), via
        if d.get("decision") in SUPPRESSING:
            s.status = "suppressed"
        elif d.get("decision") == "fixed":
            s.suggestion = f"judged fixed by {d.get('author')} on {d.get('date')}, but still reported"
        else:
            s.suggestion = f"confirmed true positive ({d.get('reason')})"

    def _where_now(self, d: dict[str, Any], renamed: dict[str, str]) -> str:
        """The fingerprint the decision's finding would have in its file today (same scope,
        statement and occurrence; the file followed through renames)."""
        place = self.places.get(d["id"])
        return _effective_fp(d, place.path if place is not None else renamed.get(d["path"], d["path"]))

    def run(self, findings: list[Finding]) -> TriageResult:
        with gc_paused():
            return self._run(findings)

    def _run(self, findings: list[Finding]) -> TriageResult:
        statuses = [FindingStatus(f) for f in findings]
        seen_paths = {f.path for f in findings}
        places = self.places
        outcome: dict[str, tuple[str, str]] = {}
        # Decisions without a mapping (no history) whose file is gone: follow git renames.
        renamed: dict[str, str] = {}
        missing: set[str] = set()
        unmapped = [d for d in self.decisions if d["id"] not in places]
        decided_paths = {d["path"] for d in unmapped}
        # Only a finding in a file no decision names can be a renamed file's finding.
        if self.path_exists is not None and unmapped and not seen_paths <= decided_paths:
            missing = {p for p in decided_paths - seen_paths if not self.path_exists(p)}
            if missing and self.renames is not None:
                renamed = self.renames(missing)
        exact: dict[str, list[dict[str, Any]]] = defaultdict(list)
        # path -> line -> decisions followed there (checked for tool and rule per finding)
        at_line: dict[str, dict[int, list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))
        # An editor's unsaved text: its lines are not the file's, so there followed decisions
        # match by fingerprint (same scope, statement and occurrence) instead.
        unsaved_text = bool(places) and any("text_blob" in f.extra for f in findings)
        for d in self.decisions:
            place = places.get(d["id"])
            if place is None:
                exact[self._where_now(d, renamed)].append(d)
            elif place.status in FOLLOWED and place.statement_hash == d["statement_hash"]:
                at_line[place.path][place.line].append(d)
                if unsaved_text:
                    exact[self._where_now(d, renamed)].append(d)
        for lines in at_line.values():
            for ds in lines.values():
                ds.sort(key=lambda d: (int(d.get("hit", 0)), d["id"]))
        used: set[str] = set()
        pending: list[FindingStatus] = []
        edited_at: dict[int, dict[str, Any]] = {}  # id(status) -> decision whose line holds another statement
        deferred: list[tuple[FindingStatus, dict[str, Any]]] = []

        def followed(d: dict[str, Any], f: Finding) -> tuple[str, str]:
            place = places.get(d["id"])
            if place is None:
                return ("moved", "git rename") if d["path"] in renamed else ("carried", "same place")
            if place.status == "carried" and (f.path != d["path"] or f.scope != d.get("scope", "")):
                return "moved", place.via
            return place.status, place.via

        # 1. the decided statement at its place today (or, without a mapping, by fingerprint),
        # one finding per decision
        exact_get, path_get = exact.get, at_line.get
        for s in statuses:
            f = s.finding
            chosen = None
            if (by_line := path_get(f.path)) is not None and (here := by_line.get(f.line)) is not None:
                for d in here:
                    if d["id"] in used or d["rule"] != f.rule or d["tool"] != f.tool:
                        continue
                    if d["statement_hash"] == f.statement_hash:
                        chosen = d
                        break
                    edited_at.setdefault(id(s), d)
            if chosen is None and (by_fp := exact_get(f.fingerprint)) is not None:
                for d in by_fp:
                    if d["id"] not in used and (d["id"] not in places or "text_blob" in f.extra):
                        chosen = d
                        break
            if chosen is not None and chosen["id"] in places and f.path == chosen["path"] \
                    and f.scope != chosen.get("scope", ""):
                used.add(chosen["id"])
                deferred.append((s, chosen))  # another function now: see 1a
            elif chosen is not None:
                used.add(chosen["id"])
                outcome[chosen["id"]] = followed(chosen, f)
                self._apply_decision(s, chosen, via="rename" if chosen["path"] in renamed else "decision")
            else:
                pending.append(s)

        # 1a. a line map that lands in another function of the same file, while the decided
        # statement is still in its own function (identical blocks aligned the other way by
        # the diff): the one left in its function is the decided statement.
        if deferred:
            same_scope: dict[tuple[str, str, str, str, str], list[FindingStatus]] = defaultdict(list)
            for s in pending:
                f = s.finding
                same_scope[(f.tool, f.rule, f.path, f.scope, f.statement_hash)].append(s)
            for s, d in deferred:
                here_key = (d["tool"], d["rule"], d["path"], d.get("scope", ""), d["statement_hash"])
                alt = [c for c in same_scope.get(here_key, ()) if c.status == "active" and c.decision is None]
                target = alt[0] if len(alt) == 1 else s
                if target is not s:
                    pending.remove(target)
                    pending.append(s)
                    outcome[d["id"]] = ("carried", "git line map")
                else:
                    outcome[d["id"]] = followed(d, s.finding)
                self._apply_decision(target, d, via="decision")

        # 1b. no history to follow: content identity. A decided statement that is not at its
        # place any more, unique among the decisions and among all findings (of its rule),
        # is the same statement wherever it is now. Unless its own scope still holds a finding
        # of its rule with another statement: then it was edited in place (stale, see 3), and
        # an identical line elsewhere is another finding that nobody decided.
        orphans = [d for d in unmapped if d["id"] not in used and not self._still_there(d)]
        if orphans and pending:
            in_scope: dict[tuple[str, str, str, str], set[str]] = defaultdict(set)
            for s in pending:
                f = s.finding
                in_scope[(f.tool, f.rule, f.path, f.scope)].add(f.statement_hash)
            orphans = [d for d in orphans if not in_scope.get(
                (d["tool"], d["rule"], renamed.get(d["path"], d["path"]), d.get("scope", "")),
                set()) - {d["statement_hash"]}]
        if orphans and pending:
            by_key: dict[tuple[str, str, str], list[FindingStatus]] = defaultdict(list)
            for s in statuses:
                f = s.finding
                by_key[(f.tool, f.rule, f.statement_hash)].append(s)
            decided_keys = Counter((d["tool"], d["rule"], d["statement_hash"]) for d in unmapped
                                   if d["id"] not in used)
            taken: set[int] = set()
            for d in orphans:
                key = (d["tool"], d["rule"], d["statement_hash"])
                cands = by_key.get(key, [])
                if decided_keys[key] != 1 or len(cands) != 1 or cands[0].status != "active" \
                        or cands[0].decision is not None or id(cands[0]) in taken:
                    continue
                taken.add(id(cands[0]))
                used.add(d["id"])
                outcome[d["id"]] = ("relocated", "content identity")
                self._apply_decision(cands[0], d, via="decision")
            pending = [s for s in pending if id(s) not in taken]

        # 2. explicit policies
        rest: list[FindingStatus] = pending if not self.policies else []
        if self.policies:
            for s in pending:
                p = self._policy_for(s.finding)
                if p is not None:
                    s.status, s.decision, s.reason, s.via = "suppressed", p["id"], p.get("reason"), "policy"
                else:
                    rest.append(s)

        # 3. stale: the flagged statement of a decided finding changed
        stale_records: list[dict[str, Any]] = []

        def mark_stale(s: FindingStatus, d: dict[str, Any]) -> None:
            used.add(d["id"])
            outcome[d["id"]] = ("stale", "git line map" if d["id"] in places else "same place")
            s.status, s.decision, s.reason, s.via = "stale", d["id"], d.get("reason"), "decision"
            s.suggestion = (f"the flagged code changed since it was judged {d['decision']} "
                            f"({d.get('reason')}); re-review and decide again")
            stale_records.append({**d, "finding": s.finding.fingerprint})

        if rest:
            stale_at: dict[tuple[str, str, str], list[tuple[dict[str, Any], int, int]]] = defaultdict(list)
            by_place: dict[tuple[str, str, str, str], list[dict[str, Any]]] = defaultdict(list)
            for d in self.decisions:
                if d["id"] in used or d.get("decision") not in SUPPRESSING:
                    continue
                place = places.get(d["id"])
                if place is None:
                    path = renamed.get(d["path"], d["path"])
                    by_place[(d["tool"], d["rule"], path, d.get("scope", ""))].append(d)
                elif place.status == "stale":
                    stale_at[(d["tool"], d["rule"], place.path)].append((d, place.line, place.end_line))
            stale_paths = {key[2] for key in stale_at}
            unplaced_paths = {key[2] for key in by_place}
            place_paths = unplaced_paths | stale_paths | {s.finding.path for s in rest if id(s) in edited_at}
            for s in rest:
                f = s.finding
                if f.path not in place_paths:
                    continue
                if edited_at and (d_edit := edited_at.get(id(s))) is not None and d_edit["id"] not in used:
                    mark_stale(s, d_edit)
                    continue
                if f.path in stale_paths:
                    edited = [(d, a) for d, a, b in stale_at.get((f.tool, f.rule, f.path), ())
                              if d["id"] not in used and a <= f.line <= max(a, b)]
                    if edited:
                        mark_stale(s, min(edited, key=lambda c: (abs(c[1] - f.line), c[0]["id"]))[0])
                        continue
                if f.path not in unplaced_paths:
                    continue
                changed = [d for d in by_place.get((f.tool, f.rule, f.path, f.scope), ())
                           if d["id"] not in used and d["statement_hash"] != f.statement_hash]
                if changed:
                    mark_stale(s, min(changed, key=lambda c: (c.get("occurrence", 0) != f.occurrence,
                                                              abs(int(c.get("line") or 0) - f.line), c["id"])))

        # 4. suggestions for what is still active
        expired_by_fp = {d["fingerprint"]: d for d in self.expired}
        proposed_by_fp = {d["fingerprint"]: d for d in self.proposed}
        by_statement = self.by_statement
        near_hashes = {key[2] for key in by_statement}
        near_text: dict[str, str] = {}
        for s in statuses:
            if s.status != "active" or s.suggestion:
                continue
            f = s.finding
            if not (expired_by_fp or proposed_by_fp or f.statement_hash in near_hashes):
                continue
            if expired_by_fp and (ex := expired_by_fp.get(f.fingerprint)) is not None:
                s.suggestion = (f"the decision {ex['id']} ({ex['decision']}: {ex.get('reason')}) "
                                f"expired on {ex.get('expires')}; re-review")
            elif proposed_by_fp and (prop := proposed_by_fp.get(f.fingerprint)) is not None:
                s.suggestion = (f"proposed by {prop.get('author')}: {prop['decision']} ({prop.get('reason')}); "
                                f"awaiting confirmation: teamlore security confirm {prop['id']}")
                s.suggested_decision = prop["id"]
            elif (near := by_statement.get((f.tool, f.rule, f.statement_hash))):
                d = near[0]
                text = near_text.get(d["id"])
                if text is None:
                    text = near_text[d["id"]] = (f"looks like the decision made for {_where(d)} "
                                                 f"({d['decision']}: {d.get('reason')}) — apply?")
                s.suggestion = text
                s.suggested_decision = d["id"]
        unseen = [d for d in self.decisions if d["id"] not in used
                  and renamed.get(d["path"], d["path"]) in seen_paths and d["id"] not in places]
        for d in self.decisions:
            if d["id"] in outcome:
                continue
            place = places.get(d["id"])
            if place is None:
                outcome[d["id"]] = ("unseen", "")
            elif place.status in ("stale", "gone"):
                outcome[d["id"]] = (place.status, place.via)
            else:
                outcome[d["id"]] = ("unseen", place.via)  # still there, not among these findings
                if place.path in seen_paths:
                    unseen.append(d)
        for d in self.expired:
            outcome[d["id"]] = ("expired", "")
        return TriageResult(statuses, stale=stale_records, expired=self.expired + self.expired_policies,
                            unseen=unseen, renamed=renamed, followed=outcome, places=dict(places))

    def _still_there(self, d: dict[str, Any]) -> bool:
        """The decided statement is still in its scope (e.g. only left out of a partial scan)."""
        return self.holds is not None and self.holds(d["path"], d.get("scope", ""), d["statement_hash"])


def triage(findings: list[Finding], records: Iterable[dict[str, Any]], **kwargs: Any) -> TriageResult:
    return Triage(records, **kwargs).run(findings)


def suggest_policies(records: Iterable[dict[str, Any]],
                     minimum: int = POLICY_SUGGESTION_MIN) -> list[dict[str, Any]]:
    """Rule x directory groups of confirmed instance decisions that could become a policy."""
    records = list(records)
    policies = [r for r in records if r.get("type") == "policy" and r.get("status") != "rejected"]
    groups: dict[tuple[str, str, str], list[dict[str, Any]]] = defaultdict(list)
    for d in records:
        if d.get("type") != "decision" or d.get("status") != "confirmed" or d.get("decision") not in SUPPRESSING:
            continue
        for glob in _parent_globs(d["path"]):
            groups[(d["tool"], d["rule"], glob)].append(d)
    out: list[dict[str, Any]] = []
    claimed: set[tuple[str, str, str]] = set()
    # Deepest directory first: suggest the narrowest glob that gathers enough decisions.
    for (tool, rule, glob), members in sorted(groups.items(), key=lambda kv: (-kv[0][2].count("/"), kv[0])):
        if len(members) < minimum:
            continue
        ids = {d["id"] for d in members}
        if any((tool, rule, d["id"]) in claimed for d in members):
            continue
        probe = Finding(tool=tool, rule=rule, path=glob.replace("**", "x.py"), line=1)
        if any(policy_covers(p, probe) for p in policies):
            continue
        reasons: dict[str, int] = defaultdict(int)
        for d in members:
            reasons[d.get("reason", "")] += 1
        reason = min(reasons.items(), key=lambda kv: (-kv[1], kv[0]))[0]  # most common; ties by text
        out.append({"tool": tool, "rule": rule, "paths": glob, "count": len(ids),
                    "decisions": sorted(ids), "reason": reason,
                    "command": f"teamlore security policy add --rule {rule} --paths '{glob}' "
                               f"--reason {reason!r}"})
        claimed.update((tool, rule, i) for i in ids)
    return out
