"""Calibrated confidence: how likely a ranked candidate's fix is the right one, from its evidence.

A candidate is *confident* when this probability reaches the index's threshold, or when it is
an unambiguous exact match (same exception and message template, no near-equal record with
another fix: ``memory_store.bugs.match.unambiguous``); and, for a generic message (a built-in
exception naming nothing particular, see ``memory_store.errors.normalize.is_specific``), only
when the raising function agrees.

The evidence (``memory_store.bugs.match.evidence``) is the candidate's score (message, type and
code, frames), how much particular wording the two messages share, its margin over the best
candidate with a *different* fix, how many near-equal records carry a fix that says the same
thing (memory_store.bugs.fix_meaning) or another one, the same template, and what kind of
message it is (generic; a named exception class without an error code). A tiny logistic
model turns it into a probability; its coefficients below were fitted by
bench/match_quality.py (``--fit``) on the development sets of real errors, and every figure
the bench reports for unseen errors comes from coefficients and thresholds refitted inside
each cross-validation training fold, never on the fold scored. The model is monotone: each
value may move the probability only its own way (:data:`SIGNS`), so more evidence that two
errors agree never lowers the confidence.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

FEATURES = ("score", "information", "margin", "agree_share", "rivals", "same_template", "generic", "typed")
"""Order of the evidence values the coefficients apply to:

- ``score``: the match score (message similarity, the same or a related type, the same code,
  shared frames);
- ``information``: log(1 + the number of particular words both messages hold, each weighed by
  its rarity in the memory, type and code aside). The score is a *share*: a two-word message
  that differs in one name and a forty-word tool message that differs in a path score alike,
  though the second says far more about the cause;
- ``margin`` over the best candidate with a different fix; ``agree_share``, the share of
  near-equal records (the candidate included) whose fix says the same thing; ``rivals``, how
  many near-equal records carry another fix;
- ``same_template``;
- what kind of message it is, whatever the candidate agrees in: ``generic`` (a built-in
  exception naming nothing particular) and ``typed`` (both errors are exceptions of a named
  class, ``TypeError``, ``ImproperlyConfigured``, ``ClassNotFoundException``, and neither
  carries an error code: memory_store.bugs.match._typed). An exception class names a kind of
  failure that many causes raise in the same words (``Requested setting ... but settings are
  not configured``, ``database is locked``); an error code (``NETSDK1045``, ``E0554``,
  ``ERR_REQUIRE_ESM``) or a tool's own diagnostic (``go: go.mod file not found ...``) names one
  catalogued cause.

Agreement of type and code acts through the score only (a type known on both sides adds to it,
an unrelated type or another code takes from it, a type unknown on one side leaves the message
to decide, a shared code is a shared rare word). An own feature for "same type" fitted beside
the score came out *negative* (at an equal score, the same type gave less confidence than a
related one): collinear with the score, it learned the kind of message, which ``typed`` now
carries without ranking agreement below disagreement. ``quoted`` (shared or different quoted
names: already a factor in the score) fitted negative too and is left out, as are ``support``,
``app_agree``, ``frames``, ``frame_sim`` and ``frame_margin`` (shown with a match):
cross-validation found they add nothing the model carries to unseen errors. A raw count of
agreeing records is not used: in the development sets every root cause has at least three
records by construction, so a count would learn the sampling, not the errors."""

SIGNS: dict[str, int] = {
    "score": 1, "information": 1, "margin": 1, "agree_share": 1, "rivals": -1, "same_template": 1, "generic": -1,
    "typed": -1,
}
"""The direction each value may move the confidence (see :func:`fit_logistic`)."""

# Fitted by `python bench/match_quality.py --fit`: L2-regularized logistic regression (penalty 1,
# Newton's method, signs kept) on the top candidate of every query of both development sets
# (full output and error line; the query's own record out of the memory), label "same root
# cause". CONFIDENT_AT is the probability with the most right answers less ten per wrong one on
# the same queries. The bench reports out-of-sample figures from refits inside each
# cross-validation fold.
INTERCEPT = -2.634
COEFFICIENTS: dict[str, float] = {
    "score": 2.200, "information": 0.515, "margin": 0.476, "agree_share": 1.362, "rivals": -0.112,
    "same_template": 1.043, "generic": -2.435, "typed": -0.988,
}
CONFIDENT_AT = 0.81
"""Probability from which a candidate is confident (chosen with the coefficients)."""


def probability(values: Mapping[str, float], coefficients: Mapping[str, float] | None = None,
                intercept: float | None = None) -> float:
    """The model's probability that the candidate with evidence ``values`` has the right fix."""
    coef = COEFFICIENTS if coefficients is None else coefficients
    z = INTERCEPT if intercept is None else intercept
    z += math.fsum(coef.get(name, 0.0) * values.get(name, 0.0) for name in FEATURES)
    return 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, z))))


def fit_logistic(rows: Sequence[Mapping[str, float]], labels: Sequence[int], l2: float = 1.0,
                 iterations: int = 60, signs: Mapping[str, int] | None = None) -> tuple[float, dict[str, float]]:
    """(intercept, coefficients) of an L2-regularized logistic regression (Newton's method,
    intercept not penalized). Small and dependency-free: a few hundred rows, a dozen features.
    ``signs`` (default :data:`SIGNS`) keeps the model monotone: a coefficient fitted against its
    evidence's known direction is fixed at 0 and the rest refitted, until none is."""
    signs = SIGNS if signs is None else signs
    active = list(FEATURES)
    while True:
        intercept, coef = _fit(rows, labels, active, l2, iterations)
        wrong = [n for n in active if coef[n] * signs.get(n, 0) < 0]
        if not wrong:
            return intercept, {n: coef.get(n, 0.0) for n in FEATURES}
        active = [n for n in active if n not in wrong]


def _fit(rows: Sequence[Mapping[str, float]], labels: Sequence[int], names: Sequence[str], l2: float,
         iterations: int) -> tuple[float, dict[str, float]]:
    k = len(names) + 1
    xs = [[1.0, *(float(r.get(n, 0.0)) for n in names)] for r in rows]
    w = [0.0] * k
    for _ in range(iterations):
        grad = [0.0] * k
        hess = [[0.0] * k for _ in range(k)]
        for x, y in zip(xs, labels, strict=True):
            z = max(-60.0, min(60.0, sum(wi * xi for wi, xi in zip(w, x, strict=True))))
            p = 1.0 / (1.0 + math.exp(-z))
            d = p * (1.0 - p)
            for i in range(k):
                grad[i] += (p - y) * x[i]
                row = hess[i]
                for j in range(i, k):
                    row[j] += d * x[i] * x[j]
        for i in range(1, k):
            grad[i] += l2 * w[i]
            hess[i][i] += l2
        for i in range(k):
            for j in range(i):
                hess[i][j] = hess[j][i]
        step = _solve(hess, grad)
        w = [wi - si for wi, si in zip(w, step, strict=True)]
        if max(abs(si) for si in step) < 1e-8:
            break
    return w[0], {n: w[i + 1] for i, n in enumerate(names)}


def _solve(a: list[list[float]], b: list[float]) -> list[float]:
    """x with a·x = b (Gaussian elimination with partial pivoting; ``a`` is small and regular)."""
    n = len(b)
    m = [[*row, b[i]] for i, row in enumerate(a)]
    for col in range(n):
        piv = max(range(col, n), key=lambda r: abs(m[r][col]))
        m[col], m[piv] = m[piv], m[col]
        if abs(m[col][col]) < 1e-12:
            continue
        for r in range(n):
            if r != col:
                f = m[r][col] / m[col][col]
                if f:
                    m[r] = [x - f * y for x, y in zip(m[r], m[col], strict=True)]
    return [m[i][n] / m[i][i] if abs(m[i][i]) >= 1e-12 else 0.0 for i in range(n)]
