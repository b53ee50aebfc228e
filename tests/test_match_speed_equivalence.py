"""The bug index's fast paths give exactly what the plain computations they replace give.

Candidate groups are ranked by summing word weights over posting lists; the index does this
with set operations (``features._best_keys``) and looks weights up in a table filled on first
use (``TokenIndex.idf``). The plain versions below walk every posting entry and compute every
weight afresh; on a generated memory (bench/gen_records.py) the candidates, and the rankings,
scores, confidences and evidence of ``BugIndex.match``, must be the same to the last bit.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable
from typing import Any
from unittest import mock

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from bench.gen_records import build_records, queries
from memory_store.bugs import features as features_mod
from memory_store.bugs.features import (
    POSTING_BUDGET,
    STOPWORDS,
    Entry,
    ErrorFeatures,
    Group,
    TokenIndex,
    _best_keys,
    features_of,
)
from memory_store.bugs.match import MAX_CANDIDATE_GROUPS, BugIndex
from memory_store.errors import ParsedError, parse_error


def plain_idf(tokens: TokenIndex) -> Callable[[str], float]:
    """The weight of a word computed afresh at every call (no table)."""
    n = len(tokens.groups)
    if abs(n - tokens._idf_n) * 10 > tokens._idf_n:
        tokens._idf.clear()
        tokens._idf_n = n

    def idf(token: str) -> float:
        df = len(tokens.postings.get(token, ()))
        value = math.log(1.0 + (tokens._idf_n + 1) / (df + 0.5))
        if token in STOPWORDS or len(token) == 1:
            value *= 0.25
        return value

    return idf


def plain_candidates(tokens: TokenIndex, query: ErrorFeatures, limit: int) -> list[str]:
    """Every posting entry visited, its weight added to a running sum, all sums ranked."""
    scores: dict[str, float] = {}
    budget = POSTING_BUDGET
    for tok in sorted(set(query.tokens), key=lambda t: (len(tokens.postings.get(t, ())), t)):
        posting = tokens.postings.get(tok)
        if not posting:
            continue
        if len(posting) > budget:
            break
        budget -= len(posting)
        w = plain_idf(tokens)(tok)
        for fp in posting:
            scores[fp] = scores.get(fp, 0.0) + w
    typed = tokens.by_type.get(query.stype) if query.stype else None
    if typed and len(typed) <= budget:
        for fp in typed:
            scores[fp] = scores.get(fp, 0.0) + 0.5
    if query.fingerprint in tokens.groups:
        scores[query.fingerprint] = float("inf")
    return sorted(scores, key=lambda fp: (-scores[fp], fp))[:limit]


@pytest.fixture(scope="module")
def memory() -> tuple[BugIndex, list[str]]:
    return BugIndex(build_records(2000)), queries(300)


def test_candidates_equal_the_plain_walk_over_posting_lists(memory: tuple[BugIndex, list[str]]) -> None:
    index, texts = memory
    tokens = index._tokens
    checked = 0
    for text in texts:
        parsed = parse_error(text)
        assert parsed is not None
        query = features_of(parsed)
        for limit in (1, 5, MAX_CANDIDATE_GROUPS, 400):
            assert tokens.candidates(query, limit) == plain_candidates(tokens, query, limit), text
        checked += 1
    assert checked == len(texts)


def test_word_weights_equal_the_formula(memory: tuple[BugIndex, list[str]]) -> None:
    index, _ = memory
    tokens = index._tokens
    fast, plain = tokens.idf, plain_idf(tokens)
    words = sorted(tokens.postings)
    assert len(words) > 100
    for word in [*words, "never-seen-word", "the", "x"]:
        assert fast(word) == plain(word), word


def _results(index: BugIndex, texts: list[str]) -> list[Any]:
    out = []
    for text in texts:
        for kwargs in ({}, {"limit": 10, "include_weak": True}):
            out.append([(m.record["id"], m.score, m.confidence, m.confident, m.reasons, m.evidence)
                        for m in index.match(text, **kwargs)])
    return out


def test_match_results_identical_to_the_plain_computations(memory: tuple[BugIndex, list[str]],
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    index, texts = memory
    fast = _results(index, texts)
    monkeypatch.setattr(TokenIndex, "candidates", plain_candidates)
    monkeypatch.setattr(TokenIndex, "idf", property(plain_idf))
    plain = _results(index, texts)
    assert sum(1 for ms in fast if ms) > len(texts) // 2  # most queries find something to compare
    assert fast == plain


keys = st.sets(st.sampled_from([f"g{i:02d}" for i in range(40)]), max_size=30)
weights = st.sampled_from([0.25, 0.5, 0.75, 1.0, 0.1, 0.2, 0.3, 0.6, 1.7])
"""Few distinct weights: equal sums of different word sets (ties) and sums that differ only in
the last bit by the order of addition (0.1 + 0.2 + 0.3 against 0.6) are common."""


@settings(max_examples=400, deadline=None)
@example([({"x", "b"}, 0.1), ({"x"}, 0.2), ({"x", "c"}, 0.3), ({"b", "c", "a"}, 0.6)], 4, None)
@example([({"a"}, 0.3), ({"a"}, 0.2), ({"a"}, 0.1), ({"b"}, 0.6)], 2, "b")
@given(st.lists(st.tuples(keys, weights), max_size=8), st.integers(min_value=0, max_value=50),
       st.one_of(st.none(), st.sampled_from(["g00", "g07", "zz"])))
def test_best_keys_equal_summing_and_sorting_every_key(weighted: list[tuple[set[str], float]], limit: int,
                                                      first: str | None) -> None:
    weighted = [(k, w) for k, w in weighted if k]
    scores: dict[str, float] = {}
    for group, w in weighted:
        for k in group:
            scores[k] = scores.get(k, 0.0) + w
    if first is not None:
        scores[first] = float("inf")
    expected = heapq.nsmallest(limit, scores, key=lambda k: (-scores[k], k))
    before = [(set(k), w) for k, w in weighted]
    assert _best_keys(weighted, limit, first) == expected
    with mock.patch.object(features_mod, "MAX_PARTS", 1):  # past a few parts, summed key by key
        assert _best_keys(weighted, limit, first) == expected
    assert weighted == before  # the caller's sets (the index's posting lists) are left as they were


def plain_sample(group: Group, n: int) -> list[str]:
    """Round-robin over the distinct fixes, computed afresh."""
    if len(group.ids) <= n:
        return list(group.ids)
    buckets = [list(bucket) for bucket in group.by_fix.values()]
    out = [rid for i in range(max(map(len, buckets))) for bucket in buckets if i < len(bucket)
           for rid in [bucket[i]]]
    return out[:n]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["add", "remove", "sample"]), st.integers(0, 30),
                          st.sampled_from(["fix a", "fix b", "fix c", ""]), st.integers(1, 12))))
@example([("add", 0, "fix a", 1), ("add", 1, "fix a", 1), ("add", 2, "fix a", 2), ("add", 3, "fix b", 2)])
@example([("add", 0, "fix a", 1), ("add", 1, "fix b", 1), ("add", 2, "fix a", 2), ("remove", 1, "", 2)])
def test_group_sample_equals_a_fresh_round_robin(steps: list[tuple[str, int, str, int]]) -> None:
    features = features_of(ParsedError(exc_type="KeyError", message="'x'"))
    group = Group(features)
    fixes: dict[str, str] = {}
    for op, no, fix, n in steps:
        rid = f"r{no:02d}"
        if op == "add" and rid not in group.ids:
            fixes[rid] = fix
            group.add(Entry(rid, None, features, fix))
        elif op == "remove" and rid in group.ids:
            group.remove(Entry(rid, None, features, fixes[rid]))
        assert group.sample(n) == plain_sample(group, n)
