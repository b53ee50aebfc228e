"""Match quality on real errors, cross-validated: the query's own record is never in the memory.

The data: ``../shared/data/dev-tracebacks.jsonl`` (Python, some Node) and
``../shared/data/dev-errors-polyglot.jsonl`` (JS/TS, Go, Rust, Java/Kotlin, C#, Ruby) beside
the repository, or ``--data FILE`` (repeatable).

For every record in turn the other records of its file form the memory (built from their
full outputs, as `teamlore bugs add` stores them) and the record is the query, once as its
full output and once as its final error line alone (what a diagnostic forwarded by an
editor carries). Measures, per query mode:

- Recall@1 / MRR over cluster members: is a record of the same root cause ranked first
  (among all candidates, confident or not)?
- confident-correct ("answered"): cluster members whose top *confident* answer has the right cause.
- no-match precision over singletons: share that get no confident match.
- confident wrong: share of all queries whose top confident answer is another cause.
- why (saved per file and mode): for each query whose right first candidate was withheld or
  whose wrong one was answered, the rule or evidence that decided it (see why_not_answered).
- fix agreement: how many pairs of distinct fix texts of one root cause the fix comparison
  counts as saying the same thing, and how many pairs of two causes (see fix_agreement); and the
  same between near-equal candidates, where the matcher compares fixes (see near_equal_fixes).
- fold splits: the out-of-sample figures over several assignments of the queries to folds
  (``--splits``), mean and range, and the utility thresholds are chosen by (right answers less
  ten per wrong one): how much of a difference between two matchers is noise (see fold_splits).

Confidence (memory_store.bugs.confidence) is a logistic model over the evidence of the top
candidate. **Out-of-sample figures**: queries are split in k folds by id; for each fold the
model's coefficients and its probability threshold are fitted on the other folds (plus the
other data file, whose records are never in this file's memory) and applied to the held-out
fold. The figure for the shipped coefficients, fitted on all of both files, is *in-sample*
and labelled so. The seed tool's matcher is measured on the same records when its venv
exists (see bench/README.md). Results: bench/results/match_quality.json.

Usage: python bench/match_quality.py [--data FILE ...] [--folds K] [--splits N] [--fit] [--verbose] [--no-seed]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.machine import save_results  # noqa: E402
from memory_store.bugs import confidence  # noqa: E402
from memory_store.bugs.features import normalize_fix  # noqa: E402
from memory_store.bugs.fix_meaning import FixComparer, FixVocabulary  # noqa: E402
from memory_store.bugs.match import TIE_MARGIN, BugIndex, unambiguous  # noqa: E402
from memory_store.bugs.records import BugStore  # noqa: E402
from memory_store.workspace import Workspace  # noqa: E402

DATA_DIR = Path(__file__).resolve().parents[2] / "shared" / "data"
DEFAULT_DATA = DATA_DIR / "dev-tracebacks.jsonl"
"""The development set of real tracebacks that sits beside the repository (override with --data)."""
POLYGLOT_DATA = DATA_DIR / "dev-errors-polyglot.jsonl"
SEED_VENV = Path(__file__).resolve().parent / ".seed-venv"
SEED_PYTHON = Path(os.environ.get("TEAMLORE_SEED_PYTHON", str(SEED_VENV / "bin" / "python")))
RESULTS = REPO / "bench" / "results" / "match_quality.json"
MODES = ("full", "line")
TARGET_WRONG = 0.02
TARGET_NO_MATCH = 0.95
WRONG_COST = 10.0
"""A confidently wrong fix costs as much as ten right answers gain: showing a wrong fix as the
answer sends a developer the wrong way, "no match" only costs a search. (The choice is stable:
15 picks the same thresholds; 6 answers far more on dev-tracebacks, about 0.55, but with 6-7 %
of all queries answered wrongly.)"""
GRID = tuple(round(0.05 + 0.01 * i, 2) for i in range(95))
"""Probability thresholds tried inside each training fold."""


def load(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def build_records(data: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    with tempfile.TemporaryDirectory() as tmp:
        store = BugStore(Workspace(Path(tmp)))
        records = {}
        for row in data:
            rec = store.build(row["traceback"], row["fix"], author="bench", source="bench")
            rec["id"] = row["id"]
            records[row["id"]] = rec
        return records


def run_ours(data: list[dict[str, Any]], records: dict[str, dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Per mode, per query: ranked candidates as (id, score, confident with the shipped model),
    and the top candidate's evidence, confidence and generic-message rule outcome."""
    index = BugIndex(records.values())
    out: dict[str, list[dict[str, Any]]] = {m: [] for m in MODES}
    for row in data:
        index.remove(row["id"])
        for mode in MODES:
            text = row["traceback"] if mode == "full" else row["error_line"]
            matches = index.match(text, limit=10, include_weak=True)
            top = matches[0] if matches else None
            out[mode].append({"id": row["id"], "ranked": [(m.record["id"], m.score, m.confident) for m in matches],
                              "reasons": top.reasons if top else [],
                              "evidence": top.evidence if top else {},
                              "gate": bool(top and top.evidence.get("raiser_agrees")),
                              "p": top.confidence if top else 0.0})
        index.add(records[row["id"]])
    return out


SEED_SCRIPT = r"""
import json, sys, tempfile, os, logging
logging.disable(logging.CRITICAL)
from empathy_software_plugin.wizards.memory_enhanced_debugging_wizard import MemoryEnhancedDebuggingWizard
payload = json.load(sys.stdin)
with tempfile.TemporaryDirectory() as tmp:
    wiz = MemoryEnhancedDebuggingWizard(pattern_storage_path=tmp)
    for r in payload["records"]:
        etype = wiz._classify_error(r["message"], r["stack"])
        doc = {"bug_id": r["id"], "date": "2025-01-01T00:00:00", "file_path": r["file"], "error_type": etype,
               "error_message": r["message"], "root_cause": "", "fix_applied": r["fix"], "fix_code": None,
               "resolution_time_minutes": 10, "resolved_by": "bench", "status": "resolved"}
        with open(os.path.join(tmp, r["id"] + ".json"), "w", encoding="utf-8") as f:
            json.dump(doc, f)
    out = {}
    for mode, queries in payload["queries"].items():
        res = []
        for q in queries:
            os.rename(os.path.join(tmp, q["id"] + ".json"), os.path.join(tmp, q["id"] + ".hidden"))
            etype = wiz._classify_error(q["message"], q["stack"])
            ms = wiz._find_historical_matches(etype, q["message"], q["file"])
            os.rename(os.path.join(tmp, q["id"] + ".hidden"), os.path.join(tmp, q["id"] + ".json"))
            res.append({"id": q["id"], "ranked": [(m.resolution.bug_id, m.similarity_score, True) for m in ms[:10]]})
        out[mode] = res
    json.dump(out, sys.stdout)
"""


def run_seed(data: list[dict[str, Any]], records: dict[str, dict[str, Any]]) -> dict[str, Any] | None:
    if not SEED_PYTHON.exists():
        print(f"seed column skipped: no seed venv at {SEED_PYTHON} (see bench/README.md to create it)")
        return None

    def file_of(rec: dict[str, Any]) -> str:
        return rec.get("file") or ""

    stored = [{"id": r["id"], "message": r["error_line"], "stack": r["traceback"], "fix": r["fix"],
               "file": file_of(records[r["id"]])} for r in data]
    queries = {
        "full": [{"id": r["id"], "message": r["error_line"], "stack": r["traceback"],
                  "file": file_of(records[r["id"]])} for r in data],
        "line": [{"id": r["id"], "message": r["error_line"], "stack": "", "file": ""} for r in data],
    }
    proc = subprocess.run([str(SEED_PYTHON), "-c", SEED_SCRIPT], input=json.dumps(
        {"records": stored, "queries": queries}), capture_output=True, text=True, timeout=600, check=False)
    if proc.returncode != 0:
        print("seed column skipped: the seed tool failed:\n" + proc.stderr[-2000:])
        return None
    return json.loads(proc.stdout)


def evaluate(data: list[dict[str, Any]], results: list[dict[str, Any]], threshold: float) -> dict[str, float]:
    cluster = {r["id"]: r["cluster"] for r in data}
    members = singles = 0
    hit1 = rr = answered = 0.0
    no_match = wrong = 0
    for res in results:
        qc = cluster[res["id"]]
        ranked = res["ranked"]
        confident = [r for r in ranked if r[2] and r[1] >= threshold]
        top_conf = confident[0] if confident else None
        if qc is None:
            singles += 1
            if top_conf is None:
                no_match += 1
            else:
                wrong += 1
            continue
        members += 1
        if ranked and cluster[ranked[0][0]] == qc:
            hit1 += 1
        for rank, r in enumerate(ranked, 1):
            if cluster[r[0]] == qc:
                rr += 1.0 / rank
                break
        if top_conf is not None:
            if cluster[top_conf[0]] == qc:
                answered += 1
            else:
                wrong += 1
    total = members + singles
    return {"recall_at_1": hit1 / members if members else 0.0, "mrr": rr / members if members else 0.0,
            "answered": answered / members if members else 0.0,
            "no_match_precision": no_match / singles if singles else 1.0,
            "confident_wrong": wrong / total if total else 0.0, "members": members, "singletons": singles}


def fold_of(rid: str, folds: int, split: int = 0) -> int:
    """A query's fold: from its id alone (stable across runs and machines); ``split`` > 0 gives
    another assignment of the same ids (see fold_splits)."""
    return zlib.crc32((f"{split}:{rid}" if split else rid).encode()) % folds


def _label(data: list[dict[str, Any]], res: dict[str, Any]) -> int:
    cluster = {r["id"]: r["cluster"] for r in data}
    qc = cluster[res["id"]]
    return int(bool(res["ranked"]) and qc is not None and cluster[res["ranked"][0][0]] == qc)


def _apply(results: list[dict[str, Any]], decide: Callable[[dict[str, Any]], bool]) -> list[dict[str, Any]]:
    """The results with only the top candidate's confidence decided by ``decide`` (with the
    matcher's rules: the generic-message gate and an unambiguous exact match)."""
    out = []
    for r in results:
        ranked = [(x[0], x[1], False) for x in r["ranked"]]
        if ranked and r["gate"] and (decide(r) or unambiguous(r["evidence"])):
            ranked[0] = (ranked[0][0], ranked[0][1], True)
        out.append(dict(r, ranked=ranked))
    return out


def fit_model(train: list[tuple[list[dict[str, Any]], dict[str, list[dict[str, Any]]]]]
              ) -> tuple[float, dict[str, float], float]:
    """(intercept, coefficients, threshold) fitted on ``train`` (pairs of data rows and
    per-mode results): the logistic model on the top candidates' evidence, then the probability
    threshold with the most right answers less WRONG_COST per wrong one (the lowest on a tie)."""
    rows, labels = [], []
    for data, results in train:
        for mode in MODES:
            for res in results[mode]:
                if res["ranked"]:
                    rows.append(res["evidence"])
                    labels.append(_label(data, res))
    intercept, coef = confidence.fit_logistic(rows, labels)
    probs = {id(res): confidence.probability(res["evidence"], coef, intercept)
             for _, results in train for mode in MODES for res in results[mode] if res["ranked"]}
    best: tuple[float, float] | None = None
    for t in GRID:
        total = math.fsum(utility(evaluate(data, _apply(results[mode], lambda r, t=t: probs.get(id(r), 0.0) >= t),
                                           0.0))
                          for data, results in train for mode in MODES)
        if best is None or total > best[0]:
            best = (total, t)
    assert best is not None
    return intercept, coef, best[1]


def cross_validated(data: list[dict[str, Any]], ours: dict[str, list[dict[str, Any]]], folds: int = 5,
                    extra: list[tuple[list[dict[str, Any]], dict[str, list[dict[str, Any]]]]] | None = None,
                    split: int = 0) -> dict[str, Any]:
    """Out-of-sample confidence: for each fold, model and threshold fitted on the other folds
    (and ``extra`` files), applied to the fold's queries."""
    held: dict[str, list[dict[str, Any]]] = {m: [] for m in MODES}
    chosen = []
    for k in range(folds):
        def in_fold(r: dict[str, Any], k: int = k) -> bool:
            return fold_of(r["id"], folds, split) == k

        train = {m: [r for r in ours[m] if not in_fold(r)] for m in MODES}
        intercept, coef, t = fit_model([(data, train), *(extra or [])])
        chosen.append(t)
        for m in MODES:
            test = [r for r in ours[m] if in_fold(r)]
            held[m].extend(_apply(test, lambda r, c=coef, i=intercept, t=t:
                                  confidence.probability(r["evidence"], c, i) >= t))
    order = {r["id"]: i for i, r in enumerate(data)}
    for m in MODES:
        held[m].sort(key=lambda r: order[r["id"]])
    return {"thresholds": chosen, "modes": {m: evaluate(data, held[m], 0.0) for m in MODES}, "held": held}


def utility(m: dict[str, float]) -> float:
    """Right answers less WRONG_COST per wrong one (the measure thresholds are chosen by)."""
    return m["answered"] * m["members"] - WRONG_COST * m["confident_wrong"] * (m["members"] + m["singletons"])


def fold_splits(runs: list[tuple[str, list[dict[str, Any]], dict[str, list[dict[str, Any]]]]], folds: int,
                splits: int) -> dict[str, Any]:
    """The out-of-sample figures over ``splits`` different assignments of the queries to folds:
    with a few hundred queries, which ones share a fold moves a figure by a query or two, and a
    wrong answer weighs ten right ones; the spread shows how much of a difference is noise.
    Per file and mode: mean, min and max of confident-correct, confident-wrong queries and
    no-match precision; and the utility summed over files and modes."""
    per: dict[str, dict[str, dict[str, list[float]]]] = {}
    totals = []
    for split in range(splits):
        total = 0.0
        for i, (name, data, ours) in enumerate(runs):
            extra = [(d, o) for j, (_, d, o) in enumerate(runs) if j != i]
            cv = cross_validated(data, ours, folds, extra, split)
            for mode, m in cv["modes"].items():
                cell = per.setdefault(name, {}).setdefault(mode, {"answered": [], "wrong": [], "no_match": []})
                cell["answered"].append(m["answered"])
                cell["wrong"].append(m["confident_wrong"] * (m["members"] + m["singletons"]))
                cell["no_match"].append(m["no_match_precision"])
                total += utility(m)
        totals.append(total)

    def spread(xs: list[float]) -> dict[str, float]:
        return {"mean": sum(xs) / len(xs), "min": min(xs), "max": max(xs)}

    return {"splits": splits, "utility": spread(totals),
            "files": {f: {mode: {k: spread(v) for k, v in cell.items()} for mode, cell in modes.items()}
                      for f, modes in per.items()}}


def why_not_answered(data: list[dict[str, Any]], held: list[dict[str, Any]]) -> dict[str, Any]:
    """Why a right top candidate was withheld, and why a wrong one was answered (out-of-sample
    decisions): counts per cause and the queries with their cause. Causes: the generic-message
    rule (raising function unknown or another one), a near-equal candidate of another root cause,
    a near-equal candidate of the same root cause whose fix is worded differently, or the model's
    probability below the fold's threshold (naming the two pieces of evidence furthest, weighed
    by the shipped coefficients, from their mean over the answers given and right; for a wrong
    answer, the two furthest above it)."""
    cluster = {r["id"]: r["cluster"] for r in data}
    counts: dict[str, dict[str, int]] = {"withheld": {}, "wrong": {}}
    right = [r["evidence"] for r in held if r["ranked"] and r["ranked"][0][2]
             and cluster[r["id"]] is not None and cluster[r["ranked"][0][0]] == cluster[r["id"]]]
    typical = {k: sum(e.get(k, 0.0) for e in right) / len(right) for k in confidence.FEATURES} if right else {}
    queries: list[dict[str, Any]] = []
    for res in held:
        ranked = res["ranked"]
        if not ranked:
            continue
        qc, top = cluster[res["id"]], ranked[0]
        right = qc is not None and cluster[top[0]] == qc
        if right == bool(top[2]):
            continue
        ev = res["evidence"]
        causes = []
        if not res["gate"]:
            causes.append("generic message, raising function not the same")
        if ev.get("rivals"):
            near = [r for r in ranked[1:] if r[1] >= top[1] - TIE_MARGIN]
            causes.append("near-equal candidate of another cause" if any(cluster[r[0]] != cluster[top[0]] for r in near)
                          else "near-equal candidate, same cause, fix worded differently")
        if not causes and top[2] and unambiguous(ev):
            causes.append("exact match, no near-equal record with another fix")
        if not causes:
            # the evidence that differs most, by its weight, from that of the answers given and right
            gaps = sorted(((confidence.COEFFICIENTS.get(k, 0.0) * (typical.get(k, 0.0) - ev.get(k, 0.0)), k)
                           for k in confidence.FEATURES), reverse=True)
            causes.append("model: " + ", ".join(k for v, k in gaps[:2] if v > 0) if not top[2] else
                          "model: answered (" + ", ".join(k for v, k in gaps[-2:] if v < 0) + ")")
        kind = "wrong" if top[2] else "withheld"
        for c in causes:
            key = c.split(":")[0] if c.startswith("model") else c
            counts[kind][key] = counts[kind].get(key, 0) + 1
        queries.append({"id": res["id"], "kind": kind, "top": top[0], "p": round(res["p"], 3), "causes": causes})
    return {"counts": counts, "queries": queries}


def _fix_comparer(data: list[dict[str, Any]]) -> FixComparer:
    """The fix comparison weighed by a vocabulary of the file's fixes, as the bug index keeps it."""
    vocabulary = FixVocabulary()
    for row in data:
        vocabulary.add(normalize_fix(row["fix"]))
    return FixComparer(vocabulary)


def fix_agreement(data: list[dict[str, Any]]) -> dict[str, int]:
    """How the fix comparison (memory_store.bugs.fix_meaning) judges every pair of distinct fix
    texts of a file, weighed by a vocabulary of all of them as the bug index keeps it: pairs of
    one root cause that agree, pairs of two causes that (wrongly) agree."""
    causes: dict[str, set[str]] = {}
    for row in data:
        causes.setdefault(normalize_fix(row["fix"]), set()).add(row["cluster"] or row["id"])
    meaning = _fix_comparer(data)
    fixes = list(causes)
    out = {"same_cause_pairs": 0, "same_cause_agree": 0, "different_cause_pairs": 0, "different_cause_agree": 0}
    for i, a in enumerate(fixes):
        for b in fixes[i + 1:]:
            kind = "same_cause" if causes[a] & causes[b] else "different_cause"
            out[kind + "_pairs"] += 1
            out[kind + "_agree"] += meaning.agree(a, b)
    return out


def near_equal_fixes(data: list[dict[str, Any]], ours: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """The fix comparison where the matcher uses it: between a query's first candidate and each
    near-equal one (within TIE_MARGIN) whose fix is worded differently, over both query modes.
    Per pair of distinct fix texts: the similarity (memory_store.bugs.fix_meaning) and whether
    the two records share a root cause; the lowest same-cause and the highest two-cause
    similarity show how much room FIX_AGREE has."""
    by_id = {r["id"]: r for r in data}
    meaning = _fix_comparer(data)
    pairs: dict[tuple[str, str], tuple[bool, float, bool]] = {}
    for mode in MODES:
        for res in ours[mode]:
            ranked = res["ranked"]
            for other in ranked[1:]:
                if other[1] < ranked[0][1] - TIE_MARGIN:
                    continue
                a, b = by_id[ranked[0][0]], by_id[other[0]]
                fa, fb = normalize_fix(a["fix"]), normalize_fix(b["fix"])
                if fa != fb:
                    same = (a["cluster"] or a["id"]) == (b["cluster"] or b["id"])
                    pairs[(min(fa, fb), max(fa, fb))] = (same, round(meaning.similarity(fa, fb), 3),
                                                          meaning.agree(fa, fb))
    same = [(v, agree) for s_, v, agree in pairs.values() if s_]
    other = [(v, agree) for s_, v, agree in pairs.values() if not s_]
    return {"same_cause_pairs": len(same), "same_cause_agree": sum(a for _, a in same),
            "different_cause_pairs": len(other), "different_cause_agree": sum(a for _, a in other),
            "same_cause_similarities": sorted(v for v, _ in same),
            "different_cause_max": max((v for v, _ in other), default=0.0)}


def table(rows: list[list[str]], header: list[str]) -> str:
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows, strict=False)]
    fmt = "  ".join(f"{{:>{w}}}" for w in widths)
    return "\n".join([fmt.format(*header), fmt.format(*["-" * w for w in widths])] + [fmt.format(*r) for r in rows])


def _row(label: str, mode: str, m: dict[str, float]) -> list[str]:
    return [mode, label, f"{m['recall_at_1']:.3f}", f"{m['mrr']:.3f}", f"{m['answered']:.3f}",
            f"{m['no_match_precision']:.3f}", f"{m['confident_wrong']:.3f}"]


HEADER = ["query", "matcher", "Recall@1", "MRR", "confident-correct", "no-match prec", "confident wrong"]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, action="append", help="data file (repeatable); default: both dev sets")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--fit", action="store_true", help="print the model fitted on all files (for confidence.py)")
    ap.add_argument("--verbose", action="store_true", help="list the queries answered wrongly")
    ap.add_argument("--no-seed", action="store_true")
    ap.add_argument("--splits", type=int, default=6, help="fold assignments the spread is measured over")
    ap.add_argument("--out", type=Path, default=RESULTS)
    args = ap.parse_args()
    paths = args.data or [p for p in (DEFAULT_DATA, POLYGLOT_DATA) if p.exists()]
    runs = []
    for path in paths:
        data = load(path)
        records = build_records(data)
        runs.append((path, data, run_ours(data, records), None if args.no_seed else run_seed(data, records)))

    files: dict[str, Any] = {}
    for i, (path, data, ours, seed) in enumerate(runs):
        extra = [(d, o) for j, (_, d, o, _) in enumerate(runs) if j != i]
        cv = cross_validated(data, ours, args.folds, extra)
        held = cv.pop("held")
        entry: dict[str, Any] = {"data": path.name, "records": len(data), "cross_validated": cv, "modes": {},
                                 "why": {mode: why_not_answered(data, held[mode]) for mode in MODES},
                                 "fix_agreement": fix_agreement(data), "near_equal_fixes": near_equal_fixes(data, ours)}
        for mode in MODES:
            e: dict[str, Any] = {"teamlore_in_sample": evaluate(data, ours[mode], 0.0)}
            if seed is not None:
                e["seed"] = evaluate(data, seed[mode], 0.0)
            entry["modes"][mode] = e
        languages = sorted({str(r.get("language")) for r in data if r.get("language")})
        if len(languages) > 1:
            lang = {r["id"]: str(r.get("language")) for r in data}
            entry["per_language"] = {
                name: {mode: evaluate(data, [r for r in held[mode] if lang[r["id"]] == name], 0.0) for mode in MODES}
                for name in languages}
        files[path.name] = entry

        print(f"\n{path.name}: {len(data)} real errors, the query's own record never in memory; "
              f"{args.folds}-fold cross-validation\n")
        rows = []
        for mode in MODES:
            rows.append(_row("teamlore (out-of-sample)", mode, cv["modes"][mode]))
            rows.append(_row("teamlore (shipped model, in-sample)", mode, entry["modes"][mode]["teamlore_in_sample"]))
            if "seed" in entry["modes"][mode]:
                rows.append(_row("seed tool", mode, entry["modes"][mode]["seed"]))
        print(table(rows, HEADER))
        print("thresholds chosen per fold:", ", ".join(f"{t:.2f}" for t in cv["thresholds"]))
        fa = entry["fix_agreement"]
        print(f"distinct fixes that agree: {fa['same_cause_agree']} of {fa['same_cause_pairs']} pairs of one root "
              f"cause, {fa['different_cause_agree']} of {fa['different_cause_pairs']} pairs of two causes")
        ne = entry["near_equal_fixes"]
        print(f"between near-equal candidates: {ne['same_cause_agree']} of {ne['same_cause_pairs']} same-cause pairs "
              f"agree (similarities {', '.join(f'{v:.2f}' for v in ne['same_cause_similarities']) or '-'}), "
              f"{ne['different_cause_agree']} of {ne['different_cause_pairs']} two-cause pairs "
              f"(highest {ne['different_cause_max']:.2f})")
        if "per_language" in entry:
            rows = [_row(name, mode, m[mode]) for name, m in entry["per_language"].items() for mode in MODES]
            print("\nper language (out-of-sample)")
            print(table(rows, ["query", "language", *HEADER[2:]]))
        print("\nwhy a right first candidate was withheld / a wrong one answered (out-of-sample):")
        for mode in MODES:
            for kind, by_cause in entry["why"][mode]["counts"].items():
                for cause, n in sorted(by_cause.items(), key=lambda x: -x[1]):
                    print(f"  {mode:4}  {kind:8}  {n:3}  {cause}")
        if args.verbose:
            cluster = {r["id"]: r["cluster"] for r in data}
            for mode in MODES:
                print(f"\nmisses ({mode}, out-of-sample):")
                for res in held[mode]:
                    qc = cluster[res["id"]]
                    ranked = res["ranked"]
                    top = ranked[0] if ranked else None
                    conf = top is not None and top[2]
                    bad = (qc is None and conf) or (
                        qc is not None and (top is None or cluster[top[0]] != qc or not conf))
                    if bad:
                        desc = f"{top[0]}({cluster[top[0]]}) {top[1]:.3f} conf={top[2]}" if top else "none"
                        ev = {k: round(v, 2) for k, v in res["evidence"].items()}
                        print(f"  {res['id']} [{qc}] -> {desc} p={res['p']:.2f} {ev}")

    spread = fold_splits([(p.name, d, o) for p, d, o, _ in runs], args.folds, args.splits)
    print(f"\nover {args.splits} assignments of the queries to folds (mean, min-max), out-of-sample:")
    for name, modes in spread["files"].items():
        for mode, cell in modes.items():
            a, w, n = cell["answered"], cell["wrong"], cell["no_match"]
            print(f"  {name} {mode:4}  confident-correct {a['mean']:.3f} ({a['min']:.3f}-{a['max']:.3f})  "
                  f"wrong answers {w['mean']:.1f} ({w['min']:.0f}-{w['max']:.0f})  "
                  f"no-match precision {n['mean']:.3f} ({n['min']:.3f}-{n['max']:.3f})")
    u = spread["utility"]
    print(f"  right answers less {WRONG_COST:g} per wrong one, all files and modes: {u['mean']:.1f} "
          f"({u['min']:.0f}-{u['max']:.0f})")

    intercept, coef, threshold = fit_model([(d, o) for _, d, o, _ in runs])
    model = {"intercept": round(intercept, 3), "coefficients": {k: round(v, 3) for k, v in coef.items()},
             "threshold": threshold, "shipped": {"intercept": confidence.INTERCEPT,
                                                  "coefficients": confidence.COEFFICIENTS,
                                                  "threshold": confidence.CONFIDENT_AT}}
    if args.fit:
        print("\nmodel fitted on all files (paste into memory_store/bugs/confidence.py):")
        print(f"INTERCEPT = {intercept:.3f}")
        print("COEFFICIENTS = {" + ", ".join(f'"{k}": {v:.3f}' for k, v in coef.items()) + "}")
        print(f"CONFIDENT_AT = {threshold}")
    first = files[paths[0].name]
    report: dict[str, Any] = {"data": str(paths[0]), "records": first["records"], "folds": args.folds,
                              "cross_validated": first["cross_validated"], "modes": first["modes"],
                              "files": files, "model": model, "fold_splits": spread,
                              "targets": {"confident_wrong_max": TARGET_WRONG,
                                          "no_match_precision_min": TARGET_NO_MATCH}}
    save_results(args.out, report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
