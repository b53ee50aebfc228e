"""bench/lookalike_ceiling.py: grouping by the matcher's identity, leave-one-out answers and the
constrained ceiling, on small made-up data whose numbers are worked out by hand."""

from __future__ import annotations

import itertools
import json
import random
from pathlib import Path
from typing import Any

from bench.lookalike_ceiling import (
    Cost,
    Query,
    analyse,
    best_choice,
    budgets,
    ceiling,
    cost,
    group,
    loo_answer,
    main,
)


def row(rid: str, cluster: str | None, line: str, frames: bool = False) -> dict[str, Any]:
    traceback = line
    if frames:
        traceback = ("Traceback (most recent call last):\n"
                     f'  File "/srv/app/{rid.lower()}.py", line 7, in handle_{rid.lower()}\n'
                     "    step()\n" + line)
    return {"id": rid, "cluster": cluster, "traceback": traceback, "error_line": line, "fix": f"fix of {rid}"}


X = "FrobnicatorError: the frobnicator jammed at the gate"
Y = "SplineError: reticulation of splines failed"
Z = "GadgetError: gadget overflowed its bucket"
V = "ZorpError: zorp could not be summoned"


def dataset() -> list[dict[str, Any]]:
    """17 members, 10 singletons.

    X: 4 of cause a + 1 singleton (the singleton's output carries a frame);
    Y: 3 of cause b + 2 singletons; Z: 2 of cause c + 1 of cause d (d's other two members say
    something else); V: 3 singletons only; 5 members of cause f alone with their message;
    4 singletons each with a message of its own."""
    rows = [row(f"A{i}", "a", X) for i in range(1, 5)] + [row("SX", None, X, frames=True)]
    rows += [row(f"B{i}", "b", Y) for i in range(1, 4)] + [row(f"SY{i}", None, Y) for i in range(1, 3)]
    rows += [row("C1", "c", Z), row("C2", "c", Z), row("D1", "d", Z)]
    rows += [row("D2", "d", "DongleError: dongle misaligned"), row("D3", "d", "DongleError: dongle misaligned")]
    rows += [row(f"SV{i}", None, V) for i in range(1, 4)]
    rows += [row(f"F{i}", "f", "FlangeError: flange detached from the manifold") for i in range(1, 6)]
    rows += [row(f"L{i}", None, f"{name}Error: {name.lower()} gave up")
             for i, name in enumerate(("Wibble", "Wobble", "Sprocket", "Gizmo"), 1)]
    return rows


def q(rid: str, cause: str, singleton: bool = False) -> Query:
    return Query(rid, cause, singleton, False)


# -- grouping -----------------------------------------------------------------------------------
def test_records_with_the_same_type_and_message_share_a_group_whatever_else_the_text_holds() -> None:
    for mode in ("full", "line"):
        groups = {tuple(x.id for x in qs) for qs in group(dataset(), mode).values()}
        assert ("A1", "A2", "A3", "A4", "SX") in groups
        assert ("B1", "B2", "B3", "SY1", "SY2") in groups
        assert ("C1", "C2", "D1") in groups and ("D2", "D3") in groups and ("SV1", "SV2", "SV3") in groups
        assert len(groups) == 10  # X, Y, Z, dongle, V, flange and four lone singletons
    framed = {x.id for qs in group(dataset(), "full").values() for x in qs if x.framed}
    assert framed == {"SX"}
    assert not any(x.framed for qs in group(dataset(), "line").values() for x in qs)


def test_a_singleton_is_a_cause_of_its_own() -> None:
    singles = [x for qs in group(dataset(), "line").values() for x in qs if x.singleton]
    assert len(singles) == 10 and len({x.cause for x in singles}) == 10


# -- leave-one-out majority ---------------------------------------------------------------------
def test_a_query_gets_the_most_common_cause_of_its_group_without_itself() -> None:
    g = [q("A1", "a"), q("A2", "a"), q("A3", "a"), q("S", "single:S", True)]
    assert [loo_answer(g, x) for x in g] == ["a", "a", "a", "a"]
    assert cost(g) == Cost(members=3, singletons=1, right=3, wrong=1, singletons_answered=1, ties=0)


def test_leaving_the_query_out_can_turn_the_majority_against_it() -> None:
    g = [q("A1", "a"), q("A2", "a"), q("B1", "b"), q("B2", "b")]
    assert [loo_answer(g, x) for x in g] == ["b", "b", "a", "a"]
    assert cost(g) == Cost(members=4, singletons=0, right=0, wrong=4, singletons_answered=0, ties=0)


def test_a_tie_is_withheld() -> None:
    g = [q("A1", "a"), q("A2", "a"), q("S1", "single:S1", True), q("S2", "single:S2", True)]
    # A1 sees a, S1, S2 once each: a tie; S1 sees a twice and S2 once: a
    assert [loo_answer(g, x) for x in g] == [None, None, "a", "a"]
    assert cost(g) == Cost(members=2, singletons=2, right=0, wrong=2, singletons_answered=2, ties=2)


def test_a_group_of_singletons_only_never_gains() -> None:
    three = [q(f"S{i}", f"single:S{i}", True) for i in range(3)]
    assert cost(three) == Cost(members=0, singletons=3, right=0, wrong=0, singletons_answered=0, ties=3)
    two = three[:2]
    assert cost(two) == Cost(members=0, singletons=2, right=0, wrong=2, singletons_answered=2, ties=0)


# -- the constrained search ---------------------------------------------------------------------
def test_budgets_are_exact_decimal_arithmetic() -> None:
    assert budgets(141, 40, 0.02, 0.95) == (2, 2)
    assert budgets(120, 34, 0.02, 0.95) == (2, 1)
    assert budgets(100, 100, 0.29, 0.71) == (29, 29)  # 0.29 * 100 is 28.999... in floating point


def test_a_group_that_breaks_the_wrong_budget_is_skipped() -> None:
    g1 = Cost(members=5, singletons=1, right=5, wrong=1, singletons_answered=1, ties=0)
    g2 = Cost(members=4, singletons=2, right=4, wrong=2, singletons_answered=2, ties=0)
    g3 = Cost(members=4, singletons=0, right=3, wrong=1, singletons_answered=0, ties=0)
    # 2 wrong and 1 answered singleton allowed: g2 alone uses the whole wrong budget and breaks
    # the singleton budget; g1 + g3 gain 8 with 2 wrong
    assert best_choice([g1, g2, g3], max_wrong=2, max_singles=1) == (0, 2)
    assert best_choice([g1, g2, g3], max_wrong=2, max_singles=2) == (0, 2)
    assert best_choice([g1, g2, g3], max_wrong=1, max_singles=1) == (0,)
    assert best_choice([g1, g2, g3], max_wrong=0, max_singles=0) == ()
    assert best_choice([g2], max_wrong=3, max_singles=2) == (0,)


def test_the_search_is_exact_against_every_choice() -> None:
    rng = random.Random(7)
    for _ in range(200):
        costs = []
        for _ in range(rng.randint(1, 7)):
            singles = rng.randint(0, 3)
            wrong = singles + rng.randint(0, 2)
            costs.append(Cost(members=6, singletons=singles, right=rng.randint(0, 6), wrong=wrong,
                              singletons_answered=singles, ties=0))
        max_wrong, max_singles = rng.randint(0, 5), rng.randint(0, 3)
        best = max(sum(costs[i].right for i in pick)
                   for n in range(len(costs) + 1) for pick in itertools.combinations(range(len(costs)), n)
                   if sum(costs[i].wrong for i in pick) <= max_wrong
                   and sum(costs[i].singletons_answered for i in pick) <= max_singles)
        chosen = best_choice(costs, max_wrong, max_singles)
        assert sum(costs[i].right for i in chosen) == best
        assert sum(costs[i].wrong for i in chosen) <= max_wrong
        assert sum(costs[i].singletons_answered for i in chosen) <= max_singles


def test_ceiling_counts_every_query_outside_the_mixed_groups_as_decided_rightly() -> None:
    g = Cost(members=3, singletons=1, right=3, wrong=1, singletons_answered=1, ties=0)
    out = ceiling(10, 20, [g], max_wrong=0.1, min_no_match=0.9)
    assert out["ceiling"]["confident_correct"] == 1.0 and out["ceiling"]["answered"] == [0]
    assert out["answer_none"]["confident_correct"] == 0.7 and out["answer_none"]["no_match_precision"] == 1.0
    assert out["answer_all"]["confident_wrong"] == 1 / 30 and out["answer_all"]["no_match_precision"] == 0.95


# -- the whole analysis on the made-up set ------------------------------------------------------
def test_analysis_of_a_made_up_set_gives_the_numbers_worked_out_by_hand() -> None:
    # 27 queries, 10 singletons: with 10 % wrong and 0.8 no-match precision, 2 wrong answers and
    # 2 answered singletons are allowed. X gains 4 for 1 wrong (its singleton); Y gains 3 for 2
    # wrong: both would make 3 wrong, so only X; Z gains nothing (C1, C2 tie, D1 gets c); V is
    # all ties. Outside the mixed groups: D2, D3 and F1-F5, 7 members.
    for mode in ("full", "line"):
        m = analyse(dataset(), mode, max_wrong=0.1, min_no_match=0.8)
        assert (m["members"], m["singletons"], m["groups"]) == (17, 10, 10)
        assert (m["members_in_mixed"], m["singletons_in_mixed"]) == (10, 6)
        by_ids = {tuple(g["ids"]): g for g in m["mixed_groups"]}
        assert set(by_ids) == {("A1", "A2", "A3", "A4", "SX"), ("B1", "B2", "B3", "SY1", "SY2"),
                               ("C1", "C2", "D1"), ("SV1", "SV2", "SV3")}
        assert by_ids[("C1", "C2", "D1")]["if_answered"] == {"right": 0, "wrong": 1, "singletons_answered": 0,
                                                             "ties_withheld": 2}
        assert by_ids[("C1", "C2", "D1")]["causes"] == {"C1": "c", "C2": "c", "D1": "d"}
        assert by_ids[("SV1", "SV2", "SV3")]["causes"] == {"SV1": None, "SV2": None, "SV3": None}
        assert [g["answered_at_ceiling"] for g in by_ids.values()] == [True, False, False, False]
        assert m["budgets"] == {"confident_wrong_n_max": 2, "singletons_answered_n_max": 2}
        c = m["ceiling"]
        assert (c["confident_correct_n"], c["confident_wrong_n"], c["singletons_answered_n"]) == (11, 1, 1)
        assert c["confident_correct"] == 11 / 17 and c["confident_wrong"] == 1 / 27 and c["no_match_precision"] == 0.9
        assert m["answer_all"]["confident_correct_n"] == 14 and m["answer_all"]["confident_wrong_n"] == 4
        assert m["answer_all"]["no_match_precision"] == 0.7
        assert m["answer_none"]["confident_correct_n"] == 7 and m["answer_none"]["confident_wrong_n"] == 0
    full = analyse(dataset(), "full", max_wrong=0.1, min_no_match=0.8)
    # only SX carries a frame: if frames told it apart, X would cost nothing and Y fit the budget
    assert (full["frameless_in_mixed"], full["framed_in_mixed"]) == (15, 1)
    assert full["if_frames_separate"]["confident_correct_n"] == 14
    assert full["if_frames_separate"]["confident_wrong_n"] == 2
    assert "frameless_in_mixed" not in analyse(dataset(), "line")


def test_the_script_writes_every_group_and_reads_teamlore_figures(tmp_path: Path, capsys: Any) -> None:
    data = tmp_path / "made-up.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in dataset()), encoding="utf-8")
    quality = tmp_path / "match_quality.json"
    cv = {"answered": 0.5, "confident_wrong": 0.01, "no_match_precision": 0.9}
    quality.write_text(json.dumps({"files": {"made-up.jsonl": {"cross_validated": {
        "modes": {"full": cv, "line": {**cv, "answered": 0.25}}}}}}))
    out = tmp_path / "ceiling.json"
    assert main(["--data", str(data), "--out", str(out), "--match-quality", str(quality)]) == 0
    report = json.loads(out.read_text())
    modes = report["files"]["made-up.jsonl"]["modes"]
    assert modes["line"]["teamlore_out_of_sample"]["answered"] == 0.25
    assert len(modes["full"]["mixed_groups"]) == 4
    # the default targets: 0 wrong answers allowed in 27 queries, so no mixed group is answered
    assert modes["full"]["ceiling"]["confident_correct_n"] == 7
    printed = capsys.readouterr().out
    assert "made-up" in printed and "0.250" in printed
    assert main(["--data", str(data), "--out", str(out), "--match-quality", str(tmp_path / "none.json")]) == 0
    assert json.loads(out.read_text())["files"]["made-up.jsonl"]["modes"]["full"]["teamlore_out_of_sample"] is None
