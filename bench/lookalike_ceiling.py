"""The look-alike ceiling: the best confident-correct rate any matcher can reach on a labelled error set.

Some records of a set say exactly the same error (type and message template) with different
root causes: a cluster's members and singletons that look like them. A matcher that gives the
same answer to the same error must, for such a *mixed group*, either answer (and be wrong on
the records of the other causes) or withhold (and miss the members). This bench measures what
that costs, per data file and query mode (full output / error line alone), leave-one-out as in
bench/match_quality.py:

1. Records are grouped by the matcher's own identity of an error: the fingerprint of
   ``features_of(parse_error(text))`` (exception type, code and message template), where the
   text is the record's full output or its error line, for query and memory alike (in line
   mode a stored record is identified by its error line too: a query without frames has only
   its type and message to compare).
2. A group is *mixed* when it holds more than one cause (a singleton is its own cause). A query
   sees its group without itself; answering it gives the most common cause among what it sees
   (a tie: withheld). That answer is right for a member of that cause and wrong otherwise.
   The choice is made per group: the error is the same, only the memory differs by one record.
   (A matcher taking the answer from records of other messages could do better only for a
   member whose cause is not the most common one of the rest of its group.)
3. The **ceiling** is the best confident-correct rate over cluster members when the answered
   groups keep confident wrong <= 2 % of all queries and no-match precision >= 0.95 on
   singletons. It is optimistic: every query outside the mixed groups is counted as answered
   rightly (members) or withheld (singletons), whatever a real matcher does there. The choice
   of groups is exact (a knapsack over the integer wrong and singleton budgets, which the
   targets keep small). Answering every mixed group and answering none are reported beside it.
4. Full mode also counts the queries of mixed groups that hold no frame at all (only the error
   line was posted): nothing in their text tells them apart. The others carry frames that
   could in principle separate them; ``if_frames_separate`` is the ceiling if they all did
   (an upper bound, not a claim that frames do).

The table shows teamlore's out-of-sample confident-correct from bench/results/match_quality.json
beside the ceiling. Results: bench/results/lookalike_ceiling.json, every mixed group with its
ids and causes so that each number can be checked.

Usage: python bench/lookalike_ceiling.py [--data FILE ...] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.machine import save_results  # noqa: E402
from bench.match_quality import (  # noqa: E402
    DEFAULT_DATA,
    MODES,
    POLYGLOT_DATA,
    TARGET_NO_MATCH,
    TARGET_WRONG,
    load,
)
from bench.match_quality import RESULTS as MATCH_QUALITY  # noqa: E402
from bench.match_quality import table as text_table  # noqa: E402
from memory_store.bugs.features import features_of  # noqa: E402
from memory_store.errors.parse import parse_error  # noqa: E402

RESULTS = REPO / "bench" / "results" / "lookalike_ceiling.json"
TARGET_CORRECT = 0.85
MODE_LABEL = {"full": "full output", "line": "error line"}


@dataclass(frozen=True)
class Query:
    id: str
    cause: str
    """The cluster, or for a singleton a cause of its own (``single:<id>``)."""
    singleton: bool
    framed: bool
    """The text holds at least one frame (or a SyntaxError's location)."""


@dataclass(frozen=True)
class Cost:
    """What answering one group gains and costs over the queries it constrains."""

    members: int
    """Cluster members among those queries (missed when the group is withheld)."""
    singletons: int
    right: int
    wrong: int
    singletons_answered: int
    """Part of ``wrong``: singletons that get a confident answer."""
    ties: int
    """Queries withheld even when the group is answered (their memory has no single most common cause)."""


def cause_of(row: dict[str, Any]) -> str:
    return str(row["cluster"]) if row.get("cluster") else f"single:{row['id']}"


def query_text(row: dict[str, Any], mode: str) -> str:
    return str(row["traceback"] if mode == "full" else row["error_line"])


def identify(rid: str, text: str) -> tuple[str, bool]:
    """The matcher's identity of the error in ``text`` and whether any frame came with it.

    Text that parses to nothing is an identity of its own."""
    parsed = parse_error(text, None, redact_secrets=False)
    if parsed is None:
        return f"unparsed:{rid}", False
    return features_of(parsed).fingerprint, bool(parsed.frames or parsed.location)


def group(rows: Iterable[dict[str, Any]], mode: str) -> dict[str, list[Query]]:
    """Records by fingerprint of their text in ``mode``, in file order."""
    groups: dict[str, list[Query]] = {}
    for row in rows:
        key, framed = identify(str(row["id"]), query_text(row, mode))
        groups.setdefault(key, []).append(Query(str(row["id"]), cause_of(row), not row.get("cluster"), framed))
    return groups


def is_mixed(queries: Sequence[Query]) -> bool:
    return len({q.cause for q in queries}) > 1


def loo_answer(queries: Sequence[Query], query: Query) -> str | None:
    """The most common cause among the group without ``query``; None on a tie (or nothing seen)."""
    counts = Counter(q.cause for q in queries if q.id != query.id).most_common()
    if not counts or (len(counts) > 1 and counts[0][1] == counts[1][1]):
        return None
    return counts[0][0]


def cost(queries: Sequence[Query], constrained: Sequence[Query] | None = None) -> Cost:
    """Gain and cost of answering the group ``queries`` (the memory), over the ``constrained``
    queries of it (default: all)."""
    asked = list(queries if constrained is None else constrained)
    right = wrong = single_wrong = ties = 0
    for q in asked:
        answer = loo_answer(queries, q)
        if answer is None:
            ties += 1
        elif answer == q.cause:
            right += 1
        else:
            wrong += 1
            single_wrong += q.singleton
    singles = sum(q.singleton for q in asked)
    return Cost(len(asked) - singles, singles, right, wrong, single_wrong, ties)


def budgets(total: int, singletons: int, max_wrong: float, min_no_match: float) -> tuple[int, int]:
    """The most wrong answers and answered singletons the targets allow (exact decimal arithmetic)."""
    wrong = int(Fraction(str(max_wrong)) * total)
    singles = int((1 - Fraction(str(min_no_match))) * singletons)
    return wrong, singles


def best_choice(costs: Sequence[Cost], max_wrong: int, max_singles: int) -> tuple[int, ...]:
    """Indices of the groups to answer for the most right answers within both budgets.

    Exact: a knapsack over (wrong, singletons answered), both small integers. Among equal
    gains the choice with fewer wrong answers, then fewer answered singletons, then the one
    reached first (fewer and earlier groups) wins."""
    states: dict[tuple[int, int], tuple[int, tuple[int, ...]]] = {(0, 0): (0, ())}
    for i, c in enumerate(costs):
        if c.right == 0:
            continue  # answering gains nothing
        for (w, s), (right, chosen) in list(states.items()):
            key = (w + c.wrong, s + c.singletons_answered)
            if key[0] > max_wrong or key[1] > max_singles:
                continue
            gained = right + c.right
            if key not in states or gained > states[key][0]:
                states[key] = (gained, (*chosen, i))
    best = max(states.items(), key=lambda kv: (kv[1][0], -kv[0][0], -kv[0][1]))
    return best[1][1]


def rates(members: int, singletons: int, base_correct: int, answered: Iterable[Cost]) -> dict[str, Any]:
    """Confident-correct, confident wrong and no-match precision when the ``answered`` groups are
    answered and every query outside the mixed groups is decided rightly (``base_correct`` members)."""
    picked = list(answered)
    right = base_correct + sum(c.right for c in picked)
    wrong = sum(c.wrong for c in picked)
    single_wrong = sum(c.singletons_answered for c in picked)
    total = members + singletons
    return {"confident_correct": right / members if members else 0.0, "confident_correct_n": right,
            "confident_wrong": wrong / total if total else 0.0, "confident_wrong_n": wrong,
            "no_match_precision": (singletons - single_wrong) / singletons if singletons else 1.0,
            "singletons_answered_n": single_wrong, "groups_answered": len(picked)}


def ceiling(members: int, singletons: int, costs: Sequence[Cost], max_wrong: float = TARGET_WRONG,
            min_no_match: float = TARGET_NO_MATCH) -> dict[str, Any]:
    """The ceiling under the targets and the unconstrained ends (answer every mixed group / none)."""
    base = members - sum(c.members for c in costs)
    wrong_budget, singles_budget = budgets(members + singletons, singletons, max_wrong, min_no_match)
    chosen = best_choice(costs, wrong_budget, singles_budget)
    return {"ceiling": {**rates(members, singletons, base, (costs[i] for i in chosen)), "answered": list(chosen)},
            "budgets": {"confident_wrong_n_max": wrong_budget, "singletons_answered_n_max": singles_budget},
            "answer_all": rates(members, singletons, base, costs),
            "answer_none": rates(members, singletons, base, ())}


def _cost_json(c: Cost) -> dict[str, int]:
    return {"right": c.right, "wrong": c.wrong, "singletons_answered": c.singletons_answered, "ties_withheld": c.ties}


def analyse(rows: list[dict[str, Any]], mode: str, max_wrong: float = TARGET_WRONG,
            min_no_match: float = TARGET_NO_MATCH) -> dict[str, Any]:
    """Groups, mixed groups with their costs, and the ceiling for one file and mode."""
    groups = group(rows, mode)
    members = sum(1 for r in rows if r.get("cluster"))
    singletons = len(rows) - members
    mixed = [(key, qs) for key, qs in groups.items() if is_mixed(qs)]
    costs = [cost(qs) for _, qs in mixed]
    out: dict[str, Any] = {"members": members, "singletons": singletons, "groups": len(groups),
                           "members_in_mixed": sum(c.members for c in costs),
                           "singletons_in_mixed": sum(c.singletons for c in costs),
                           **ceiling(members, singletons, costs, max_wrong, min_no_match)}
    chosen = set(out["ceiling"]["answered"])
    listed = []
    for i, ((key, qs), c) in enumerate(zip(mixed, costs, strict=True)):
        entry: dict[str, Any] = {
            "fingerprint": key, "size": len(qs), "members": c.members, "singletons": c.singletons,
            "ids": [q.id for q in qs], "causes": {q.id: None if q.singleton else q.cause for q in qs},
            "answer": {q.id: loo_answer(qs, q) for q in qs}, "if_answered": _cost_json(c),
            "answered_at_ceiling": i in chosen}
        if mode == "full":
            entry["frameless_ids"] = [q.id for q in qs if not q.framed]
        listed.append(entry)
    out["mixed_groups"] = listed
    out["ceiling"]["answered"] = [mixed[i][0] for i in out["ceiling"]["answered"]]
    if mode == "full":
        frameless = [[q for q in qs if not q.framed] for _, qs in mixed]
        out["frameless_in_mixed"] = sum(len(f) for f in frameless)
        out["framed_in_mixed"] = sum(len(qs) for _, qs in mixed) - out["frameless_in_mixed"]
        bound = ceiling(members, singletons, [cost(qs, f) for (_, qs), f in zip(mixed, frameless, strict=True)],
                        max_wrong, min_no_match)
        out["if_frames_separate"] = {k: v for k, v in bound["ceiling"].items() if k != "answered"}
    return out


def teamlore_figures(path: Path = MATCH_QUALITY) -> dict[str, Any]:
    """Out-of-sample figures per file and mode from bench/results/match_quality.json ({} when absent)."""
    if not path.is_file():
        return {}
    files = json.loads(path.read_text(encoding="utf-8")).get("files", {})
    return {name: {mode: f["cross_validated"]["modes"][mode] for mode in MODES}
            for name, f in files.items() if "cross_validated" in f}


def _row(name: str, mode: str, m: dict[str, Any], teamlore: dict[str, Any] | None) -> list[str]:
    c = m["ceiling"]
    frames = (f"{m['frameless_in_mixed']} / {m['framed_in_mixed']}, "
              f"{m['if_frames_separate']['confident_correct']:.3f}" if mode == "full" else "-")
    return [name, MODE_LABEL[mode], str(m["members"]), str(m["singletons"]), str(len(m["mixed_groups"])),
            f"{m['members_in_mixed']} / {m['singletons_in_mixed']}",
            f"{c['confident_correct']:.3f} ({c['confident_wrong']:.3f}, {c['no_match_precision']:.3f})",
            f">= {TARGET_CORRECT}", f"{teamlore['answered']:.3f}" if teamlore else "-",
            f"{m['answer_none']['confident_correct']:.3f}",
            f"{m['answer_all']['confident_correct']:.3f} ({m['answer_all']['confident_wrong']:.3f}, "
            f"{m['answer_all']['no_match_precision']:.3f})", frames]


HEADER = ["data", "query", "members", "singletons", "mixed groups", "members / singletons in them",
          "ceiling (wrong, no-match)", "target", "teamlore out-of-sample", "answer none",
          "answer all (wrong, no-match)", "frameless / framed in them, ceiling if frames separate"]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, action="append", help="data file (repeatable); default: both dev sets")
    ap.add_argument("--out", type=Path, default=RESULTS)
    ap.add_argument("--match-quality", type=Path, default=MATCH_QUALITY, help="results of bench/match_quality.py")
    args = ap.parse_args(argv)
    paths = args.data or [p for p in (DEFAULT_DATA, POLYGLOT_DATA) if p.exists()]
    if not paths:
        print("no data file found: pass --data FILE", file=sys.stderr)
        return 2
    teamlore = teamlore_figures(args.match_quality)
    files: dict[str, Any] = {}
    rows = []
    for path in paths:
        data = load(path)
        modes = {mode: analyse(data, mode) for mode in MODES}
        for mode in MODES:
            tl = teamlore.get(path.name, {}).get(mode)
            modes[mode]["teamlore_out_of_sample"] = (
                {k: tl[k] for k in ("answered", "confident_wrong", "no_match_precision")} if tl else None)
            rows.append(_row(path.name.removesuffix(".jsonl"), mode, modes[mode], tl))
        files[path.name] = {"records": len(data), "modes": modes}
    print("Confident-correct a matcher that answers the same error the same way can reach at best, leave-one-out;\n"
          "every query outside the mixed groups counted as decided rightly (optimistic).\n")
    print(text_table(rows, HEADER))
    for name, f in files.items():
        for mode in MODES:
            print(f"\n{name}, {MODE_LABEL[mode]}: mixed groups "
                  "(size: members + singletons; if answered: right / wrong)")
            for g in f["modes"][mode]["mixed_groups"]:
                a = g["if_answered"]
                mark = "answered" if g["answered_at_ceiling"] else "withheld"
                causes = Counter(c or "singleton" for c in g["causes"].values())
                print(f"  {g['size']:2}: {g['members']} + {g['singletons']}  right {a['right']} wrong {a['wrong']} "
                      f"tie {a['ties_withheld']}  at ceiling {mark}  "
                      + ", ".join(f"{c} x{n}" for c, n in sorted(causes.items())))
    report = {"data": [str(p) for p in paths], "files": files,
              "targets": {"confident_correct_min": TARGET_CORRECT, "confident_wrong_max": TARGET_WRONG,
                          "no_match_precision_min": TARGET_NO_MATCH},
              "assumptions": ("A group is one fingerprint (type, code, message template) of the query text; "
                              "a query answered from its group without itself gets the most common cause there "
                              "(a tie: withheld); each mixed group is answered or withheld as a whole; every "
                              "query outside the mixed groups is counted as decided rightly.")}
    save_results(args.out, report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
