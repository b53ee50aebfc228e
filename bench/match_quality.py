"""Match quality on real errors, leave-one-out.

The data: ``../shared/data/dev-tracebacks.jsonl`` beside the repository, or ``--data FILE``.

For every record of the development set in turn: the other records form the memory (built
from their full tracebacks, as `teamlore bugs add` would store them), the record is the
query, once as its full traceback and once as its final error line alone (what a
diagnostic forwarded by an editor carries). Measures:

- Recall@1 / MRR over cluster members: is a record of the same root cause ranked first
  (among all candidates, confident or not)?
- answered: cluster members whose top *confident* answer has the right fix.
- no-match precision over singletons: share that get no confident match.
- confident wrong: share of all queries whose top confident answer is another cause.

The seed tool's matcher is measured on the same records when its venv exists (see
bench/README.md). Results: bench/results/match_quality.json.

Usage: python bench/match_quality.py [--data FILE] [--verbose]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from memory_store.bugs.match import DEFAULT_THRESHOLD, BugIndex  # noqa: E402
from memory_store.bugs.records import BugStore  # noqa: E402
from memory_store.workspace import Workspace  # noqa: E402

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "dev-tracebacks.jsonl"
"""The development set of real tracebacks that sits beside the repository (override with --data)."""
SEED_VENV = Path(__file__).resolve().parent / ".seed-venv"
SEED_PYTHON = Path(os.environ.get("TEAMLORE_SEED_PYTHON", str(SEED_VENV / "bin" / "python")))
RESULTS = REPO / "bench" / "results" / "match_quality.json"
THRESHOLDS = (0.5, 0.6, 0.7, 0.8, 0.85, 0.88, 0.9, 0.92, 0.93, 0.94, 0.95, 0.96, 0.98)
MODES = ("full", "line")


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
    """Per mode, per query: ranked candidates as (id, score, confident-ignoring-threshold)."""
    index = BugIndex(records.values(), threshold=0.0)
    out: dict[str, list[dict[str, Any]]] = {m: [] for m in MODES}
    for row in data:
        index.remove(row["id"])
        for mode in MODES:
            text = row["traceback"] if mode == "full" else row["error_line"]
            matches = index.match(text, limit=10, include_weak=True)
            out[mode].append({"id": row["id"], "ranked": [(m.record["id"], m.score, m.confident) for m in matches],
                              "reasons": matches[0].reasons if matches else []})
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
    return {"recall_at_1": hit1 / members, "mrr": rr / members, "answered": answered / members,
            "no_match_precision": no_match / singles if singles else 1.0, "confident_wrong": wrong / total,
            "members": members, "singletons": singles}


def cross_validated(data: list[dict[str, Any]], ours: dict[str, list[dict[str, Any]]], folds: int = 5,
                    grid: tuple[float, ...] = tuple(round(0.5 + 0.01 * i, 2) for i in range(50))) -> dict[str, Any]:
    """How well a threshold chosen on other errors does on unseen ones: queries are split in
    folds (by id), the threshold is picked on the other folds (most answers with no-match
    precision >= 0.85 and confident wrong <= 0.06 in both modes), then applied to the fold."""
    fold_of = {r["id"]: int(r["id"][1:]) % folds for r in data}
    by_fold: dict[str, list[list[dict[str, Any]]]] = {m: [[] for _ in range(folds)] for m in MODES}
    for mode in MODES:
        for res in ours[mode]:
            by_fold[mode][fold_of[res["id"]]].append(res)
    chosen = []
    held: dict[str, list[dict[str, Any]]] = {m: [] for m in MODES}
    for k in range(folds):
        train = {m: [r for j in range(folds) if j != k for r in by_fold[m][j]] for m in MODES}

        def ok(t: float, train: dict[str, list[dict[str, Any]]] = train) -> tuple[bool, float]:
            ms = [evaluate(data, train[m], t) for m in MODES]
            good = all(x["no_match_precision"] >= 0.85 and x["confident_wrong"] <= 0.06 for x in ms)
            return good, sum(x["answered"] for x in ms)

        feasible = [(ok(t)[1], -t, t) for t in grid if ok(t)[0]]
        t_k = max(feasible)[2] if feasible else grid[-1]
        chosen.append(t_k)
        for m in MODES:
            held[m].extend(by_fold[m][k])
            held[m][-len(by_fold[m][k]):] = [
                dict(r, ranked=[(x[0], x[1], bool(x[2]) and x[1] >= t_k) for x in r["ranked"]])
                for r in by_fold[m][k]]
    return {"thresholds": chosen, "modes": {m: evaluate(data, held[m], 0.0) for m in MODES}}


def table(rows: list[list[str]], header: list[str]) -> str:
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows, strict=False)]
    fmt = "  ".join(f"{{:>{w}}}" for w in widths)
    return "\n".join([fmt.format(*header), fmt.format(*["-" * w for w in widths])] + [fmt.format(*r) for r in rows])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--verbose", action="store_true", help="list the queries answered wrongly")
    ap.add_argument("--no-seed", action="store_true")
    ap.add_argument("--out", type=Path, default=RESULTS)
    args = ap.parse_args()
    data = load(args.data)
    records = build_records(data)
    ours = run_ours(data, records)
    seed = None if args.no_seed else run_seed(data, records)

    report: dict[str, Any] = {"data": str(args.data), "records": len(data), "threshold": DEFAULT_THRESHOLD,
                              "modes": {}}
    for mode in MODES:
        sweep = {str(t): evaluate(data, ours[mode], t) for t in THRESHOLDS}
        chosen = evaluate(data, ours[mode], DEFAULT_THRESHOLD)
        entry: dict[str, Any] = {"teamlore": chosen, "sweep": sweep}
        if seed is not None:
            entry["seed"] = evaluate(data, seed[mode], 0.0)
            entry["seed_sweep"] = {str(t): evaluate(data, seed[mode], t) for t in (0.3, 0.4, 0.5, 0.6, 0.7)}
        report["modes"][mode] = entry

    cv = cross_validated(data, ours)
    report["cross_validated"] = cv
    print(f"Leave-one-out on {len(data)} real errors ({args.data.name}); teamlore threshold {DEFAULT_THRESHOLD}\n")
    rows = []
    for mode in MODES:
        e = report["modes"][mode]
        for name in ("teamlore", "seed"):
            if name not in e:
                continue
            m = e[name]
            rows.append([mode, name, f"{m['recall_at_1']:.3f}", f"{m['mrr']:.3f}", f"{m['answered']:.3f}",
                         f"{m['no_match_precision']:.3f}", f"{m['confident_wrong']:.3f}"])
        m = cv["modes"][mode]
        rows.append([mode, "teamlore (threshold cross-validated)", f"{m['recall_at_1']:.3f}", f"{m['mrr']:.3f}",
                     f"{m['answered']:.3f}", f"{m['no_match_precision']:.3f}", f"{m['confident_wrong']:.3f}"])
    print(table(rows, ["query", "matcher", "Recall@1", "MRR", "answered", "no-match prec", "confident wrong"]))
    print("cross-validation thresholds per fold:", ", ".join(f"{t:.2f}" for t in cv["thresholds"]))
    for mode in MODES:
        print(f"\nthreshold sweep, {mode} query")
        rows = [[t, f"{m['recall_at_1']:.3f}", f"{m['mrr']:.3f}", f"{m['answered']:.3f}",
                 f"{m['no_match_precision']:.3f}", f"{m['confident_wrong']:.3f}"]
                for t, m in report["modes"][mode]["sweep"].items()]
        print(table(rows, ["threshold", "Recall@1", "MRR", "answered", "no-match prec", "confident wrong"]))
    if args.verbose:
        cluster = {r["id"]: r["cluster"] for r in data}
        for mode in MODES:
            print(f"\nmisses ({mode}):")
            for res in ours[mode]:
                qc = cluster[res["id"]]
                ranked = res["ranked"]
                top = ranked[0] if ranked else None
                conf = top is not None and top[2] and top[1] >= DEFAULT_THRESHOLD
                bad = (qc is None and conf) or (qc is not None and (top is None or cluster[top[0]] != qc or not conf))
                if bad:
                    desc = f"{top[0]}({cluster[top[0]]}) {top[1]:.3f} conf={top[2]}" if top else "none"
                    print(f"  {res['id']} [{qc}] -> {desc} {res['reasons'][:3]}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    print(f"\nsaved {args.out.relative_to(REPO) if args.out.is_relative_to(REPO) else args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
