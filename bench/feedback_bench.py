"""What "Not this fix" / "This fixed it" change in later answers, on real errors, cross-validated.

The data: ``../shared/data/dev-tracebacks.jsonl`` beside the repository (or ``--data FILE``).
Queries are split in k folds by id (as bench/match_quality.py does); for each fold the memory
is a real workspace holding the records of the *other* folds only, so a query's own record is
never in the memory it is asked against, and it is asked through ``LiveBugMemory.match``, the
path every front end takes (feedback filter and counts included).

1. First pass: every query of the fold, as its full output and as its final error line alone
   (``--limit`` candidates, weak ones included, for Recall@1). A simulated developer answers
   every *confident* fix shown: "Not this fix" when it has another cause than the query
   (another cluster), "This fixed it" when it has the same cause. The verdicts are written as
   feedback records through ``FeedbackStore``, exactly as ``teamlore bugs reject|confirm`` does.
2. Second pass, two ways:
   - *same errors again*: the fold's own verdicts are in the memory (the error recurs after
     the team said what they think);
   - *other errors only*: only the verdicts given on the other folds' queries are in the
     memory (does feedback on one error change answers for different errors?).

Measures per query mode and pass: confident-correct (share of recurring errors, i.e. queries
whose cause has another record, answered confidently and rightly), confident-wrong (share of
all queries answered confidently with another cause), no-match precision (share of
singletons answered with no confident fix) and Recall@1 (right cause ranked first, confident
or not). Results: bench/results/feedback_bench.json.

Usage: nice -n 10 python bench/feedback_bench.py [--data FILE] [--folds K]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import zlib
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from machine import finish, machine, save_results  # noqa: E402

from memory_store.bugs.feedback import FeedbackStore, Verdict  # noqa: E402
from memory_store.bugs.live import LiveBugMemory  # noqa: E402
from memory_store.bugs.match import Match  # noqa: E402
from memory_store.bugs.records import BugStore  # noqa: E402
from memory_store.workspace import Workspace  # noqa: E402

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "dev-tracebacks.jsonl"
RESULTS = REPO / "bench" / "results" / "feedback_bench.json"
MODES = ("full", "line")
PASSES = ("first", "again", "others")
LIMIT = 10

Feedback = tuple[Verdict, str, str, str]
"""(verdict, record id, query id, query text)."""


def load(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def fold_of(rid: str, folds: int) -> int:
    """A query's fold: from its id alone (stable across runs and machines)."""
    return zlib.crc32(rid.encode()) % folds


def query_text(row: dict[str, Any], mode: str) -> str:
    return str(row["traceback"] if mode == "full" else row["error_line"])


def memory_for(root: Path, rows: list[dict[str, Any]]) -> Workspace:
    """A workspace at ``root`` whose memory holds ``rows`` as bug records (ids = row ids)."""
    workspace = Workspace(root)
    store = BugStore(workspace)
    workspace.ensure_store()
    for row in rows:
        rec = store.build(row["traceback"], row["fix"], author="bench", source="bench")
        rec["id"] = row["id"]
        store.files.write(rec)
    return workspace


def outcome(matches: list[Match], cluster: dict[str, str | None], qc: str | None) -> dict[str, Any]:
    confident = next((m for m in matches if m.confident), None)
    top = matches[0] if matches else None
    return {"top": top.record["id"] if top else None,
            "confident": confident.record["id"] if confident else None,
            "right_top": bool(top and qc is not None and cluster.get(top.record["id"]) == qc),
            "right_confident": bool(confident and qc is not None and cluster.get(confident.record["id"]) == qc)}


def ask(live: LiveBugMemory, rows: list[dict[str, Any]], cluster: dict[str, str | None]
        ) -> dict[str, dict[str, dict[str, Any]]]:
    """Per mode, per query id: what the memory answers."""
    return {mode: {row["id"]: outcome(live.match(query_text(row, mode), limit=LIMIT, include_weak=True),
                                      cluster, row["cluster"]) for row in rows} for mode in MODES}


def simulated_feedback(rows: list[dict[str, Any]], answers: dict[str, dict[str, dict[str, Any]]]
                       ) -> list[Feedback]:
    """A developer's verdict on every confident fix shown: right cause -> confirmed, else rejected."""
    out: list[Feedback] = []
    for mode in MODES:
        for row in rows:
            shown = answers[mode][row["id"]]["confident"]
            if shown is not None:
                verdict: Verdict = "confirmed" if answers[mode][row["id"]]["right_confident"] else "rejected"
                out.append((verdict, shown, row["id"], query_text(row, mode)))
    return out


def metrics(rows: list[dict[str, Any]], answers: dict[str, dict[str, Any]]) -> dict[str, float]:
    members = [r for r in rows if r["cluster"] is not None]
    singles = [r for r in rows if r["cluster"] is None]
    correct = sum(answers[r["id"]]["right_confident"] for r in members)
    wrong = sum(1 for r in rows
                if answers[r["id"]]["confident"] is not None and not answers[r["id"]]["right_confident"])
    return {"confident_correct": correct / len(members) if members else 0.0,
            "confident_wrong": wrong / len(rows) if rows else 0.0,
            "no_match_precision": sum(answers[r["id"]]["confident"] is None for r in singles) / len(singles)
            if singles else 1.0,
            "recall_at_1": sum(answers[r["id"]]["right_top"] for r in members) / len(members) if members else 0.0,
            "confident_correct_n": correct, "confident_wrong_n": wrong, "members": len(members),
            "singletons": len(singles), "queries": len(rows)}


def clusters_with_cause(data: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows whose cluster has a single member are singletons (cluster None) for the measure."""
    sizes: dict[str, int] = {}
    for row in data:
        if row.get("cluster"):
            sizes[row["cluster"]] = sizes.get(row["cluster"], 0) + 1
    return [{**row, "cluster": row["cluster"] if row.get("cluster") and sizes[row["cluster"]] > 1 else None}
            for row in data]


def write_feedback(workspace: Workspace, verdicts: list[Feedback], known: set[str], tag: str) -> int:
    store = FeedbackStore(workspace)
    written = 0
    for n, (verdict, record_id, query_id, text) in enumerate(verdicts):
        if record_id not in known:
            continue  # given on a record this fold's memory does not hold
        rec = store.build(verdict, record_id, text, author=f"dev-{query_id}", source="bench")
        rec["id"] = f"fb-{tag}-{n:05d}"  # ids from content and time would collide within a second
        _, created = store.save(rec)
        written += created
    return written


def run(data: list[dict[str, Any]], folds: int) -> dict[str, Any]:
    rows = clusters_with_cause(data)
    cluster = {r["id"]: r["cluster"] for r in rows}
    by_fold = {k: [r for r in rows if fold_of(r["id"], folds) == k] for k in range(folds)}
    answers: dict[str, dict[str, dict[str, dict[str, Any]]]] = {p: {m: {} for m in MODES} for p in PASSES}
    verdicts: dict[int, list[Feedback]] = {}
    counts = {"again": 0, "others": 0}
    with tempfile.TemporaryDirectory() as tmp:
        workspaces: dict[int, tuple[Workspace, set[str]]] = {}
        for k, fold in by_fold.items():
            memory = [r for r in rows if fold_of(r["id"], folds) != k]
            workspace = memory_for(Path(tmp) / f"fold{k}", memory)
            workspaces[k] = (workspace, {r["id"] for r in memory})
            live = LiveBugMemory(workspace)
            live.load()
            first = ask(live, fold, cluster)
            for mode in MODES:
                answers["first"][mode].update(first[mode])
            verdicts[k] = simulated_feedback(fold, first)
        for k, fold in by_fold.items():
            workspace, known = workspaces[k]
            others = [v for j, vs in verdicts.items() if j != k for v in vs]
            counts["others"] += write_feedback(workspace, others, known, "others")
            live = LiveBugMemory(workspace)
            live.load()
            for mode, got in ask(live, fold, cluster).items():
                answers["others"][mode].update(got)
            counts["again"] += write_feedback(workspace, verdicts[k], known, "own")
            live.load()
            for mode, got in ask(live, fold, cluster).items():
                answers["again"][mode].update(got)
    given = [v for vs in verdicts.values() for v in vs]
    return {"passes": {p: {m: metrics(rows, answers[p][m]) for m in MODES} for p in PASSES},
            "feedback": {"given": len(given), "rejected": sum(v[0] == "rejected" for v in given),
                         "confirmed": sum(v[0] == "confirmed" for v in given),
                         "applied_in_again": counts["again"], "applied_in_others": counts["others"]}}


def table(rows: list[list[str]], header: list[str]) -> str:
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows, strict=True)]
    line = "  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))
    return "\n".join([line, "-" * len(line), *("  ".join(str(x).ljust(w) for x, w in zip(r, widths, strict=True))
                                               for r in rows)])


LABELS = {"first": "first pass (no feedback)", "again": "same errors again (own feedback)",
          "others": "other errors only (feedback on other folds)"}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--folds", type=int, default=5)
    args = parser.parse_args()
    if not args.data.is_file():
        print(f"no data at {args.data}", file=sys.stderr)
        return 2
    data = load(args.data)
    at_start = machine()
    started = time.perf_counter()
    result = run(data, args.folds)
    seconds = time.perf_counter() - started
    rows = []
    for p in PASSES:
        for m in MODES:
            x = result["passes"][p][m]
            rows.append([LABELS[p], m, f"{x['confident_correct']:.3f} ({x['confident_correct_n']}/{x['members']})",
                         f"{x['confident_wrong']:.3f} ({x['confident_wrong_n']}/{x['queries']})",
                         f"{x['no_match_precision']:.3f}", f"{x['recall_at_1']:.3f}"])
    print(f"{args.data.name}: {len(data)} errors, {args.folds} folds (a query's own record never in its memory)")
    print(table(rows, ["pass", "mode", "confident-correct", "confident-wrong", "no-match prec.", "Recall@1"]))
    fb = result["feedback"]
    print(f"simulated feedback after the first pass: {fb['given']} verdicts ({fb['rejected']} not this fix, "
          f"{fb['confirmed']} this fixed it); {seconds:.1f} s")
    out = finish({"data": args.data.name, "errors": len(data), "folds": args.folds, "limit": LIMIT,
                  "seconds": round(seconds, 2), "machine": at_start, **result})
    save_results(RESULTS, out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
