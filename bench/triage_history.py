"""Triage decisions over a year of real history: do they follow the code, and only the code?

For each repository (a full-history git mirror, e.g. ``/work/.mirror/OWNER+NAME/repo``):

1. B = the mirror's HEAD, A = the last first-parent commit at least ``--days`` (365) before B.
   A local clone sharing the mirror's objects is checked out at A.
2. bandit runs on the chosen subtrees at A (``--subtree``: the whole tree when none is given;
   each repository's subtrees are stated in the results). teamlore ingests the report and a
   reviewer decides, by a written rule, every finding that is a false positive
   (:func:`false_positive`): asserts (B101) in tests, ``random`` (B311) outside code about
   crypto, secrets, tokens or passwords, subprocess without a shell (B603, B607, B404),
   ``try/except/pass|continue`` (B110, B112) and hard-coded "passwords" (B105-B107) in
   tests. The decisions record commit A and the files' blobs, as ``security decide`` does.
3. The clone is checked out at B. At B, after an uncommitted edit, new risky lines of the
   same rule are injected inside the functions of decided statements that still exist
   (right after them, same indentation): ``assert`` (B101), ``random.random()`` (B311),
   ``subprocess.call([...])`` (B603/B607) where the module already uses them.
4. bandit runs at B; teamlore ingests it (timed: first run with a cold mapping cache, then
   again with the mapping cached).

Ground truth, independent of teamlore's mapper: for each finding at B, ``git blame
--first-parent -M -C --porcelain ^A -- FILE`` (annotates the working tree, so uncommitted
lines are new; first parents, so a merge counts as one change and the boundary is A
itself) attributes each line unchanged since A to A with its path and line number there
(``-w``: a line re-indented, e.g. moved into a new block or a helper method, is unchanged,
as its normalized statement is; ``-M``: moved within the file, ``-C``: moved or copied
from files changed in the same commit). A B finding *is* the A finding whose statement (teamlore's normalized
statement at A) covers the blamed A line of the B finding's flagged line, when the rule
and the normalized statement text are identical; files unchanged since A map line for
line. Blame runs twice per changed file: plain (lines that stayed, shifted by the changes
of each commit) and with ``-M -C``; a line the plain pass placed keeps its A line, and an A
line is given to one B line only, so a copy of an unchanged line is new. When ``-C`` gives
one A line to lines of several files, the one in the A finding's file and function (then
the nearest) is the statement. When blame places a line at one of several identical lines
of a file and one of them (only) is in a function of the B finding's function name, that one
is its origin (``-C`` picks any identical line; a test moved to another class keeps its
name). Decided A findings left unmatched are matched by identical-text moves: a (rule,
statement) that occurs exactly once among the findings at A and exactly once at B, then
exactly once in one file at A and at B.
Identical statements (same rule and normalized text) in one scope of one file at A are
interchangeable when scoring, as they are for teamlore ("N decisions cover at most N
findings"): a suppressed B finding whose A statement is such a twin of its decision's
counts as carried, each decision once; line alignment of identical blocks by the diff
(teamlore) and by blame (here) may legitimately pair them the other way round.

Reported per repository and in total: decided A findings still present at B, of them
suppressed by teamlore (carry-over, target >= 0.99); suppressed B findings whose decision
belongs to another statement ("wrongly carried"); injected findings hidden (target 0);
undecided findings hidden and their distinct (path, statement) count (target 0); times.
Beside it on the same data: bandit's own baseline (``bandit -b``: a result equal to a
baseline issue by text, severity, cwe, confidence, file name and test is not shown; the
baseline is the decided A findings; compared here with bandit's own rule) and the seed tool
(via ``bench/security_bench.py``'s ``run_seed``: file + rule + code line patterns).

    nice -n 10 .venv/bin/python bench/triage_history.py [--repo /work/.mirror/X+Y/repo[:SUB,SUB]] ...
        [--days 365] [--work /tmp/triage-history] [--fresh] [--scale]

``--scale`` also times triage of 100k findings against 10k decisions with the mapping
cached (generated as in ``bench/security_bench.py``).

Resumable: each repository's result is saved in ``bench/results/triage_history.json`` as
soon as it is measured; a repository already there is skipped unless ``--fresh``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

sys.path.insert(0, str(ROOT / "bench"))

from machine import finish, machine, save_results  # noqa: E402
from security_bench import DEFAULT_EMPATHY, run_seed  # noqa: E402

from memory_store.security.api import SecurityMemory  # noqa: E402
from memory_store.security.findings import Finding  # noqa: E402
from memory_store.security.fingerprint import build_index  # noqa: E402
from memory_store.security.history_cache import clear_memo  # noqa: E402
from memory_store.workspace import Workspace  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "triage_history.json"
BANDIT = Path(sys.executable).parent / "bandit"
TESTY = re.compile(r"(^|/)(tests?|testing|test_\w+\.py|\w+_test\.py|conftest\.py|units?|integration)(/|$)")
SENSITIVE = re.compile(r"crypt|secret|token|passw|auth|key|nonce|salt|hmac|session|csrf", re.I)


def sh(args: list[str], cwd: Path, check: bool = True) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update({"GIT_CONFIG_NOSYSTEM": "1", "LC_ALL": "C", "GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "b@x",
                "GIT_COMMITTER_NAME": "bench", "GIT_COMMITTER_EMAIL": "b@x"})
    out = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, errors="replace", check=False)
    if check and out.returncode != 0:
        raise RuntimeError(f"{' '.join(args[:3])}: {out.stderr.strip()[:300]}")
    return out.stdout


def false_positive(f: Finding) -> bool:
    """The written reviewer rule: which findings at A are decided false positives."""
    testy = bool(TESTY.search(f.path))
    if f.rule == "B101":
        return testy
    if f.rule == "B311":
        return not SENSITIVE.search(f.path + " " + f.scope + " " + f.statement)
    if f.rule in ("B603", "B607", "B404"):
        return True
    if f.rule in ("B110", "B112", "B105", "B106", "B107"):
        return testy
    return False


def bandit(ws: Path, subtrees: list[str], out: Path) -> dict[str, Any]:
    targets = [s for s in subtrees if (ws / s).exists()] or ["."]
    proc = subprocess.run([str(BANDIT), "-q", "-f", "json", "-o", str(out), "-r", *targets],
                          cwd=ws, capture_output=True, text=True, check=False)
    if proc.returncode not in (0, 1):
        raise RuntimeError(f"bandit failed: {proc.stderr[-300:]}")
    data: dict[str, Any] = json.loads(out.read_text())
    return data


# --- ground truth ------------------------------------------------------------------------------

def blame_map(ws: Path, a: str, path: str, moves: bool = True) -> dict[int, tuple[str, int]]:
    """Line at HEAD's working tree -> (path, line) at A, for lines unchanged since A
    (``moves``: also lines moved or copied, ``-M -C``)."""
    out = sh(["git", "blame", "-w", "--first-parent", *(["-M", "-C"] if moves else []), "--porcelain", f"^{a}",
              "--", path], ws, check=False)
    result: dict[int, tuple[str, int]] = {}
    boundary: set[str] = set()
    names: dict[str, str] = {}
    header = re.compile(r"^([0-9a-f]{40}) (\d+) (\d+)(?: \d+)?$")
    sha = ""
    orig = final = 0
    for line in out.split("\n"):
        m = header.match(line)
        if m:
            sha, orig, final = m.group(1), int(m.group(2)), int(m.group(3))
            continue
        if line == "boundary":
            boundary.add(sha)
        elif line.startswith("filename "):
            names[sha] = line[9:]
        elif line.startswith("\t") and sha in boundary and sha == a:
            result[final] = (names.get(sha, path), orig)
    return result


def statement_spans(ws: Path, path: str, lines: list[int]) -> dict[int, tuple[int, int]]:
    try:
        text = (ws / path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return {}
    index = build_index(path, text)
    out = {}
    for line in lines:
        found = index.span(line)
        if found is not None:
            out[line] = (found[1], found[2])
    return out


def ground_truth(ws: Path, a: str, changed: set[str], at_a: list[dict[str, Any]],
                 at_b: list[Finding]) -> dict[str, str]:
    """A fingerprint -> B fingerprint of the same statement (see the module docstring)."""
    by_place: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for f in at_a:
        by_place[(f["path"], f["rule"])].append(f)
    claims: dict[str, list[Finding]] = defaultdict(list)
    files = sorted({f.path for f in at_b})
    for i, path in enumerate(files):
        if i % 50 == 0:
            print(f"    ground truth: {i}/{len(files)} files", flush=True)
        here = [f for f in at_b if f.path == path]
        if path in changed:  # lines that stayed (plain blame) first, then moved or copied ones
            passes = [blame_map(ws, a, path, moves=False), blame_map(ws, a, path)]
        else:
            passes = [{f.line: (path, f.line) for f in here}]
        given: set[str] = set()  # several findings of one statement (lines, hits): one A finding each
        placed: set[str] = set()
        for blamed in passes:
            for f in sorted(here, key=lambda f: (f.line, f.hit)):
                origin = blamed.get(f.line)
                if origin is None or f.fingerprint in placed:
                    continue
                blamed_at = [c for c in by_place.get((origin[0], f.rule), ())
                             if c["start"] <= origin[1] <= c["end"] and c["statement"] == f.statement]
                cands = [c for c in blamed_at if c["fingerprint"] not in given]
                if blamed_at and not any(_leaf(c["scope"]) == _leaf(f.scope) for c in cands):
                    # blame placed the line at one of several identical lines: the identical
                    # statement of that file in a function of the B finding's name is its origin
                    twins = [c for c in by_place.get((origin[0], f.rule), ()) if c["statement"] == f.statement
                             and c["fingerprint"] not in given and _leaf(c["scope"]) == _leaf(f.scope)]
                    if len(twins) == 1:
                        cands = twins
                if cands:
                    cand = min(cands, key=lambda c: (c["line"] != origin[1], c["hit"]))
                    given.add(cand["fingerprint"])
                    placed.add(f.fingerprint)
                    claims[cand["fingerprint"]].append(f)
    # blame -C/-M also attributes copies of a line to its source: the B line that stayed in
    # the A finding's file and function is the statement itself, a copy elsewhere is new.
    a_of = {f["fingerprint"]: f for f in at_a}
    mapping: dict[str, str] = {}
    taken: set[str] = set()
    for a_fp, cands in claims.items():
        src = a_of[a_fp]
        free = [f for f in cands if f.fingerprint not in taken]
        best = sorted(free, key=lambda f: (f.path != src["path"], f.scope != src["scope"],
                                           abs(f.line - src["line"])))
        if best:
            mapping[a_fp] = best[0].fingerprint
            taken.add(best[0].fingerprint)
    # identical-text moves: unique in the tree at A and at B, else in one file at A and at B
    for scoped in (False, True):
        count_a = Counter((f["path"] if scoped else "", f["rule"], f["statement"]) for f in at_a)
        count_b = Counter((f.path if scoped else "", f.rule, f.statement) for f in at_b)
        only_b = {(f.path if scoped else "", f.rule, f.statement): f for f in at_b}
        for f in at_a:
            key = (f["path"] if scoped else "", f["rule"], f["statement"])
            if f["fingerprint"] not in mapping and count_a[key] == 1 and count_b[key] == 1 \
                    and only_b[key].fingerprint not in taken:
                mapping[f["fingerprint"]] = only_b[key].fingerprint
                taken.add(only_b[key].fingerprint)
    return mapping


def _leaf(scope: str) -> str:
    return scope.rsplit(".", 1)[-1]


# --- injection --------------------------------------------------------------------------------

def inject(ws: Path, targets: list[Finding], limit: int) -> list[tuple[str, int, str]]:
    """Add a new risky line of the same rule after decided statements; returns (path, line, rule)."""
    plan: dict[str, list[tuple[int, str, str]]] = defaultdict(list)
    for f in targets:
        stmt = f.statement
        if "\n" in stmt:
            continue
        if f.rule == "B101" and stmt.startswith("assert "):
            code = "assert __injected_{k} is not None"
        elif f.rule == "B311" and "random." in stmt:
            code = "__injected_{k} = random.random()"
        elif f.rule in ("B603", "B607") and "subprocess." in stmt:
            code = "subprocess.call(['ls', '__injected_{k}'])"
        else:
            continue
        plan[f.path].append((f.line, code, f.rule))
    injected: list[tuple[str, int, str]] = []
    k = 0
    for path in sorted(plan):
        if len(injected) >= limit:
            break
        full = ws / path
        lines = full.read_text(encoding="utf-8").split("\n")
        index = build_index(path, "\n".join(lines))
        inserts = []
        for line, code, rule in sorted(plan[path]):
            found = index.span(line)
            if found is None or found[1] != found[2] or found[1] != line:
                continue  # multi-line or compound: no safe place right after it
            if len(inserts) >= 2 or len(injected) + len(inserts) >= limit:
                break
            indent = re.match(r"\s*", lines[line - 1]).group(0)  # type: ignore[union-attr]
            inserts.append((line, indent + code.format(k=k), rule))
            k += 1
        for shift, (line, text, rule) in enumerate(sorted(inserts)):
            lines.insert(line + shift, text)
            injected.append((path, line + shift + 1, rule))
        full.write_text("\n".join(lines), encoding="utf-8")
    return injected


# --- one repository ----------------------------------------------------------------------------

def measure(mirror: Path, subtrees: list[str], days: int, work: Path) -> dict[str, Any]:
    name = mirror.parent.name if mirror.name == "repo" else mirror.name
    b = sh(["git", "rev-parse", "HEAD"], mirror).strip()
    b_time = int(sh(["git", "log", "-1", "--format=%ct", b], mirror).strip())
    a = sh(["git", "rev-list", "-1", "--first-parent", f"--before={b_time - days * 86400}", b], mirror).strip()
    ws = work / name
    if ws.exists():
        shutil.rmtree(ws)
    print(f"== {name}: A={a[:10]} B={b[:10]} subtrees={subtrees or ['.']}", flush=True)
    t0 = time.perf_counter()
    sh(["git", "clone", "-q", "--shared", "--no-checkout", str(mirror), str(ws)], work)
    sh(["git", "checkout", "-q", "--detach", a], ws)
    report_a = bandit(ws, subtrees, work / f"{name}-A.json")
    mem = SecurityMemory(Workspace(ws.resolve()))
    clear_memo()
    findings_a = mem.fingerprint(mem.read_reports([work / f"{name}-A.json"]))
    decided = [f for f in findings_a if false_positive(f)]
    print(f"  A: {len(findings_a)} findings, {len(decided)} decided ({time.perf_counter() - t0:.0f} s)", flush=True)
    ids = mem.store.decide(decided, "false_positive", "reviewer rule (bench)", author="bench", source="bench")
    decision_of = {f.fingerprint: r["id"] for f, r in zip(decided, ids, strict=True)}
    at_a = []
    spans: dict[str, dict[int, tuple[int, int]]] = {}
    for f in findings_a:
        if f.path not in spans:
            spans[f.path] = statement_spans(ws, f.path, [g.line for g in findings_a if g.path == f.path])
        start, end = spans[f.path].get(f.line, (f.line, f.line))
        at_a.append({"fingerprint": f.fingerprint, "rule": f.rule, "path": f.path, "statement": f.statement,
                     "start": start, "end": end, "line": f.line, "scope": f.scope, "hit": f.hit})
    decisions_dir = ws / ".teamlore"
    keep = work / f"{name}-teamlore"
    if keep.exists():
        shutil.rmtree(keep)
    shutil.move(str(decisions_dir), keep)
    sh(["git", "checkout", "-q", "--detach", b], ws)
    shutil.move(str(keep), decisions_dir)
    changed = set(sh(["git", "diff", "--name-only", "--no-renames", a, b], ws).split("\n"))

    # ground truth for the decided findings before injecting (injection adds lines)
    bandit(ws, subtrees, work / f"{name}-B0.json")
    findings_b0 = mem.fingerprint(mem.read_reports([work / f"{name}-B0.json"]))
    gt0 = ground_truth(ws, a, changed, [x for x in at_a if x["fingerprint"] in decision_of], findings_b0)
    still = {f.fingerprint: f for f in findings_b0}
    targets = [still[gt0[f.fingerprint]] for f in decided if f.fingerprint in gt0]
    injected = inject(ws, targets, limit=60)
    changed |= {p for p, _, _ in injected}  # uncommitted edits: blamed too, not mapped line for line
    print(f"  B: injected {len(injected)} risky lines", flush=True)

    report_b = bandit(ws, subtrees, work / f"{name}-B.json")
    clear_memo()
    cache_file = ws / ".teamlore" / ".cache" / "security" / "history-map.json"
    if cache_file.exists():
        cache_file.unlink()
    t1 = time.perf_counter()
    findings_b = mem.fingerprint(mem.read_reports([work / f"{name}-B.json"]))
    fp_seconds = time.perf_counter() - t1
    t2 = time.perf_counter()
    result = mem.triage(findings_b)
    first_seconds = time.perf_counter() - t2
    clear_memo()
    t3 = time.perf_counter()
    result = mem.triage(findings_b)
    cached_seconds = time.perf_counter() - t3
    print(f"  B: {len(findings_b)} findings; triage {first_seconds:.2f} s first, {cached_seconds:.2f} s cached",
          flush=True)

    truth = ground_truth(ws, a, changed, at_a, findings_b)
    decided_fps = set(decision_of)
    present = {truth[fp] for fp in decided_fps if fp in truth}
    id_to_a = {rid: fp for fp, rid in decision_of.items()}
    injected_at = {(p, line, rule) for p, line, rule in injected}
    status = {s.finding.fingerprint: s for s in result.statuses}
    suppressed = [s for s in result.statuses if s.status == "suppressed"]
    carried = [fp for fp in present if status[fp].status == "suppressed"]
    # Identical statements in one scope are interchangeable: a decision on either covers the
    # finding of either, one finding per decision (N decisions cover at most N findings).
    same = {x["fingerprint"]: (x["path"], x["scope"], x["rule"], x["statement"]) for x in at_a}
    origin_of = {b_fp: a_fp for a_fp, b_fp in truth.items()}
    wrong_onto, injected_hidden, undecided_hidden = [], [], []
    credited: set[str] = set()
    for s in suppressed:
        f = s.finding
        a_fp = id_to_a.get(s.decision or "")
        origin = origin_of.get(f.fingerprint)
        if a_fp is not None and a_fp not in credited and origin is not None \
                and (origin == a_fp or (origin in decision_of and same[origin] == same[a_fp])):
            credited.add(a_fp)
            continue
        if (f.path, f.line, f.rule) in injected_at:
            injected_hidden.append(f)
        else:
            undecided_hidden.append(f)
        if a_fp is not None:
            wrong_onto.append(f)
    missed = [fp for fp in present if status[fp].status != "suppressed"]
    missed_by = Counter(status[fp].status for fp in missed)

    # bandit's own baseline: the decided A findings as the baseline report
    def sig(r: dict[str, Any]) -> tuple[Any, ...]:
        return (r.get("issue_text"), r.get("issue_severity"), json.dumps(r.get("issue_cwe"), sort_keys=True),
                r.get("issue_confidence"), r.get("filename"), r.get("test_name"), r.get("test_id"))

    decided_keys = {(f.path, f.line, f.rule) for f in decided}
    baseline = {sig(r) for r in report_a["results"] if (r["filename"].lstrip("./"), r["line_number"],
                                                         r["test_id"]) in decided_keys}
    present_keys = {(still_f.path, still_f.line, still_f.rule) for still_f in findings_b
                    if still_f.fingerprint in present}
    b_hidden = [r for r in report_b["results"] if sig(r) in baseline]
    b_keys = {(r["filename"].lstrip("./"), r["line_number"], r["test_id"]) for r in b_hidden}
    bandit_row = {"carried": len(b_keys & present_keys), "injected_hidden": len(b_keys & injected_at),
                  "undecided_hidden": len(b_keys - present_keys - injected_at)}

    seed_row: dict[str, Any] | None = None
    if DEFAULT_EMPATHY.exists():
        seed_decisions = [{"file": f.path, "type": f.rule, "code": f.statement} for f in decided]
        try:
            seed = run_seed(DEFAULT_EMPATHY, findings_b, seed_decisions, present, None, runs=1)
            seed_row = {"carried": seed["decided_suppressed"], "hidden_not_decided": seed["undecided_hidden"],
                        "seconds": round(seed["seconds"], 3)}
        except (RuntimeError, subprocess.SubprocessError, OSError) as exc:
            seed_row = {"error": str(exc)}

    row = {
        "repository": name, "A": a, "B": b, "days": days, "subtrees": subtrees or ["."],
        "files_at_B": len(sh(["git", "ls-files"], ws).splitlines()),
        "findings_A": len(findings_a), "decided_A": len(decided), "findings_B": len(findings_b),
        "decided_still_present_B": len(present), "carried": len(carried),
        "carry_over": round(len(carried) / len(present), 4) if present else None,
        "missed_by_status": dict(missed_by),
        "wrongly_carried_onto_other_statement": len(wrong_onto),
        "injected": len(injected), "injected_hidden": len(injected_hidden),
        "undecided_hidden": len(undecided_hidden),
        "undecided_hidden_distinct_statements": len({(f.path, f.statement) for f in undecided_hidden}),
        "decision_status": result.decision_counts(),
        "seconds_fingerprint_B": round(fp_seconds, 3), "seconds_first_mapping_and_filter": round(first_seconds, 3),
        "seconds_cached_filter": round(cached_seconds, 3),
        "bandit_baseline": bandit_row, "seed_tool": seed_row,
        "missed_examples": [{"a": id_to_a.get(status[fp].decision or ""), "b": f"{status[fp].finding.path}:"
                             f"{status[fp].finding.line}", "status": status[fp].status}
                            for fp in missed[:10]],
        "hidden_examples": [f"{f.path}:{f.line} {f.rule} {f.statement[:80]}" for f in undecided_hidden[:10]],
    }
    print(json.dumps({k: row[k] for k in ("carry_over", "decided_still_present_B", "carried", "injected_hidden",
                                          "undecided_hidden", "wrongly_carried_onto_other_statement")}), flush=True)
    return row


def scale_filter(n_findings: int, n_decisions: int, runs: int = 3) -> dict[str, Any]:
    """Triage of ``n_findings`` against ``n_decisions`` whose places are known (the mapping
    cached): ``bench/security_bench.py``'s generated findings, every decision followed to
    its line; 2 % of the decided statements were edited there (stale)."""
    import statistics

    from security_bench import generate

    from memory_store.security.history import Place
    from memory_store.security.triage import Triage

    findings, records, _, decided, edited = generate(n_findings, n_decisions)
    # One statement per line, as in a real file (the generator draws lines at random).
    next_line: dict[str, int] = defaultdict(int)
    line_of: dict[tuple[Any, ...], int] = {}
    for f in findings:
        next_line[f.path] += 1
        line_of[(f.path, f.line, f.rule, f.scope, f.occurrence, f.hit)] = next_line[f.path]
        f.line = next_line[f.path]
    places = {}
    for rec in records:
        line = line_of[(rec["path"], rec["line"], rec["rule"], rec["scope"], rec["occurrence"], rec["hit"])]
        places[rec["id"]] = Place("carried", "git line map", rec["path"], line, line, "", rec["statement_hash"], 0)
    times = []
    result = None
    for _ in range(runs):
        t0 = time.perf_counter()
        result = Triage(records, places=places).run(findings)
        times.append(time.perf_counter() - t0)
    assert result is not None
    summary = result.summary()
    suppressed = {s.finding.fingerprint for s in result.statuses if s.status == "suppressed"}
    return {"findings": n_findings, "decisions": n_decisions, "seconds": round(statistics.median(times), 3),
            "runs": runs, "suppressed": summary["suppressed"], "stale": summary["stale"], "edited": edited,
            "undecided_hidden": len(suppressed - decided)}


def print_table(rows: list[dict[str, Any]]) -> None:
    head = (f"{'repository':24} {'files':>6} {'decided':>7} {'present':>7} {'carry':>7} {'wrong':>5} "
            f"{'inj.hid':>7} {'undec.hid':>9} {'map 1st s':>9} {'cached s':>8} | {'bandit -b carry':>15} "
            f"{'hid':>4} | {'seed carry':>10} {'hid':>4}")
    print(head)
    print("-" * len(head))
    for r in rows:
        bb, sd = r["bandit_baseline"], r.get("seed_tool") or {}
        present = r["decided_still_present_B"] or 1
        print(f"{r['repository']:24} {r['files_at_B']:>6} {r['decided_A']:>7} {r['decided_still_present_B']:>7} "
              f"{r['carry_over'] or 0:>7.4f} {r['wrongly_carried_onto_other_statement']:>5} "
              f"{r['injected_hidden']:>7} {r['undecided_hidden']:>9} {r['seconds_first_mapping_and_filter']:>9.2f} "
              f"{r['seconds_cached_filter']:>8.2f} | {bb['carried'] / present:>15.4f} "
              f"{bb['injected_hidden'] + bb['undecided_hidden']:>4} | "
              f"{(sd.get('carried', 0) / present):>10.4f} {sd.get('hidden_not_decided', '-'):>4}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repo", action="append", default=[],
                    help="mirror path, optionally ':subtree,subtree' (repeatable)")
    ap.add_argument("--scale", action="store_true",
                    help="also time 100k findings against 10k decisions with the mapping cached")
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--work", default="/tmp/triage-history")
    ap.add_argument("--fresh", action="store_true", help="measure again repositories already in the results")
    args = ap.parse_args()
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    saved: dict[str, Any] = json.loads(RESULTS.read_text()) if RESULTS.exists() else {"repositories": []}
    rows = {r["repository"]: r for r in saved.get("repositories", [])}
    for spec in args.repo:
        path, _, subs = spec.partition(":")
        mirror = Path(path)
        name = mirror.parent.name if mirror.name == "repo" else mirror.name
        if name in rows and not args.fresh:
            print(f"== {name}: already measured (--fresh to redo)")
            continue
        started = machine()
        rows[name] = {**measure(mirror, [s for s in subs.split(",") if s], args.days, work), "machine": started}
        finish(rows[name])
        saved = {"repositories": sorted(rows.values(), key=lambda r: r["repository"])}
        present = sum(r["decided_still_present_B"] for r in rows.values())
        saved["total"] = {
            "decided_still_present_B": present, "carried": sum(r["carried"] for r in rows.values()),
            "carry_over": round(sum(r["carried"] for r in rows.values()) / present, 4) if present else None,
            "wrongly_carried_onto_other_statement": sum(r["wrongly_carried_onto_other_statement"]
                                                        for r in rows.values()),
            "injected": sum(r["injected"] for r in rows.values()),
            "injected_hidden": sum(r["injected_hidden"] for r in rows.values()),
            "undecided_hidden": sum(r["undecided_hidden"] for r in rows.values()),
            "undecided_hidden_distinct_statements": sum(r["undecided_hidden_distinct_statements"]
                                                        for r in rows.values()),
        }
        save_results(RESULTS, saved)
    if args.scale:
        saved["scale_filter"] = {"machine": machine(), **scale_filter(100_000, 10_000)}
        finish(saved["scale_filter"])
        print("cached filter:", json.dumps(saved["scale_filter"]))
        save_results(RESULTS, saved)
    print_table(saved["repositories"])
    print(json.dumps(saved.get("total", {}), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
