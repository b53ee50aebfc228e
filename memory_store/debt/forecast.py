"""Honest forecasts of the marker count.

Several simple forecasters are backtested on the project's own history (rolling origin,
at the horizons asked for) and the one with the lowest error is used; a method has to
beat "no change" (naive) by more than :data:`TIE_MARGIN` to be preferred over it. The 80%
prediction interval comes from that method's own backtest errors at the same horizon
(empirical 10%/90% quantiles, widened when there are few). With too little history no
trend is extrapolated: naive with a wide heuristic interval, and the report says so.

"Doubles within a year" is a probability, :func:`doubling_probability`, from a predictive
distribution of the markers added in the next year: additions arrive at the series' own
recent rate (markers added over the last two years, shrunk towards one a year) with
bursts (gamma-Poisson, i.e. negative binomial counts), and the count doubles when at least
its current value is added. Small counts double easily, large ones only under a steady
stream of additions. A warning is given from :data:`DOUBLING_WARN_AT` on;
bench/debt_bench.py measures its recall, precision and calibration on real histories
beside the seed's straight line.

The seed tool's straight-line rule (latest change rate extrapolated, "days until 2x" =
count / daily rate) is implemented too, as a reference in backtests, never chosen.

Plain Python (``statistics``): series are at most a few hundred points.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Any

DEFAULT_HORIZONS = (30, 90, 180)
TIE_MARGIN = 0.10
"""A method must have a backtest MAE at least 10% below naive's to be chosen over it. On
the histories of twelve real projects (bench/debt_bench.py), trends that beat "no change"
by less in the backtest did worse than it on the months that followed."""
MIN_POINTS = 6
MIN_SPAN_DAYS = 45
MIN_ERRORS = 3
MAX_ORIGINS = 60
MAX_POINTS = 240
FIT_WINDOW = 60
"""Smoothing methods are fitted on the last 60 points (5 years of monthly snapshots)."""
DOUBLING_WARN_AT = 0.4
"""Warn that the count is likely to double within a year from this probability on. Chosen
by bench/debt_bench.py on half of twelve real projects' histories (best F0.5 of "doubles
within a year": a false alarm weighs more than a miss), reported on the other half."""
DOUBLING_WINDOW_DAYS = 730
"""Markers added over the last two years give the rate of additions."""
DOUBLING_PRIOR_ADDED = 1.0
DOUBLING_PRIOR_DAYS = 365.0
"""The rate is shrunk towards one marker added a year (as if one more year had been seen
with one addition): a count that has not moved for two years can still grow."""
DOUBLING_DISPERSION = 1.0
"""Shape of the gamma mixing the Poisson rate (1: geometric-like bursts). Additions come
in batches (a module lands with its TODOs), far more spread than a Poisson count."""
Z80 = 1.2816
DAYS_PER_MONTH = 30.4375

Model = Callable[[float], float]
"""A fitted forecaster: steps ahead (float) -> forecast value."""


# --- forecasters --------------------------------------------------------------------

def naive(y: Sequence[float]) -> Model:
    last = y[-1]
    return lambda h: last


def drift(y: Sequence[float]) -> Model:
    """Long-run average change per step, extrapolated."""
    slope = (y[-1] - y[0]) / (len(y) - 1) if len(y) > 1 else 0.0
    last = y[-1]
    return lambda h: last + slope * h


def median_slope(y: Sequence[float]) -> Model:
    """Median of the last (up to 12) step changes: a trend robust to one-off jumps."""
    tail = y[-13:]
    diffs = [b - a for a, b in pairwise(tail)]
    slope = statistics.median(diffs) if diffs else 0.0
    last = y[-1]
    return lambda h: last + slope * h


def _ses_sse(y: Sequence[float], alpha: float) -> tuple[float, float]:
    level, sse = y[0], 0.0
    for v in y[1:]:
        sse += (v - level) ** 2
        level += alpha * (v - level)
    return sse, level


def ses(y: Sequence[float]) -> Model:
    """Simple exponential smoothing (flat forecast at the smoothed level)."""
    y = y[-FIT_WINDOW:]
    best = min((_ses_sse(y, a) for a in (0.1, 0.3, 0.5, 0.7, 0.9)), key=lambda r: r[0])
    level = best[1]
    return lambda h: level


_DAMPED_GRID = [(a, b, p) for a in (0.2, 0.5, 0.8) for b in (0.1, 0.3) for p in (0.85, 0.95)]


def damped_trend(y: Sequence[float]) -> Model:
    """Holt's linear trend with damping (parameters from a small grid, one-step SSE)."""
    y = y[-FIT_WINDOW:]
    if len(y) < 3:
        return naive(y)
    best: tuple[float, float, float, float] | None = None
    for alpha, beta, phi in _DAMPED_GRID:
        level, trend, sse = y[0], y[1] - y[0], 0.0
        for v in y[1:]:
            pred = level + phi * trend
            sse += (v - pred) ** 2
            new_level = alpha * v + (1 - alpha) * pred
            trend = beta * (new_level - level) + (1 - beta) * phi * trend
            level = new_level
        if best is None or sse < best[0]:
            best = (sse, level, trend, phi)
    assert best is not None
    _, level, trend, phi = best
    return lambda h: level + trend * phi * (1 - phi ** h) / (1 - phi)


def seed_straight_line(y: Sequence[float]) -> Model:
    """The seed tool's rule: the latest change per step, extrapolated."""
    slope = y[-1] - y[-2] if len(y) > 1 else 0.0
    last = y[-1]
    return lambda h: last + slope * h


CANDIDATES: dict[str, Callable[[Sequence[float]], Model]] = {
    "naive": naive,
    "drift": drift,
    "median_slope": median_slope,
    "ses": ses,
    "damped_trend": damped_trend,
}
REFERENCES: dict[str, Callable[[Sequence[float]], Model]] = {"seed_straight_line": seed_straight_line}


# --- series -------------------------------------------------------------------------

@dataclass(frozen=True)
class Grid:
    """The history on an even grid (last observation carried forward), ending at the
    latest snapshot."""

    dates: list[datetime]
    values: list[float]
    step_days: float


def _nice_step(gap_days: float) -> float:
    if gap_days <= 1.5:
        return 1.0
    if gap_days <= 10:
        return 7.0
    if gap_days <= 20:
        return 14.0
    return DAYS_PER_MONTH


def regularize(points: Sequence[tuple[datetime, float]]) -> Grid:
    pts = sorted(points)
    if len(pts) < 2:
        return Grid([p[0] for p in pts], [float(p[1]) for p in pts], DAYS_PER_MONTH)
    gaps = [(b[0] - a[0]).total_seconds() / 86400 for a, b in pairwise(pts)]
    step = _nice_step(statistics.median(gaps))
    span = (pts[-1][0] - pts[0][0]).total_seconds() / 86400
    # never more than twice as many grid points as snapshots: long gaps are not invented data
    step = max(step, span / MAX_POINTS, span / (2 * (len(pts) - 1)))
    dates: list[datetime] = []
    t = pts[-1][0]
    while t >= pts[0][0] - timedelta(seconds=1):
        dates.append(t)
        t -= timedelta(days=step)
    dates.reverse()
    values, i = [], 0
    for d in dates:
        while i + 1 < len(pts) and pts[i + 1][0] <= d:
            i += 1
        values.append(float(pts[i][1]))
    return Grid(dates, values, step)


# --- backtest -----------------------------------------------------------------------

@dataclass
class Backtest:
    """Rolling-origin forecasts of every method from the last :data:`MAX_ORIGINS` origins."""

    values: list[float]
    step_days: float
    models: dict[str, dict[int, Model]] = field(default_factory=dict)

    @classmethod
    def run(cls, values: Sequence[float], step_days: float,
            methods: dict[str, Callable[[Sequence[float]], Model]] | None = None) -> Backtest:
        bt = cls(list(values), step_days)
        n = len(values)
        origins = list(range(max(2, n - 1 - MAX_ORIGINS), n - 1))
        for name, make in (methods or {**CANDIDATES, **REFERENCES}).items():
            bt.models[name] = {o: make(values[: o + 1]) for o in origins}
        return bt

    def steps(self, days: float) -> int:
        return max(1, round(days / self.step_days))

    def errors(self, method: str, h: int) -> list[float]:
        """Signed errors (actual - forecast) at ``h`` steps, oldest origin first."""
        y = self.values
        return [y[o + h] - m(h) for o, m in self.models[method].items() if o + h < len(y)]

    def scaled_errors(self, method: str, days: float) -> tuple[list[float], int, int]:
        """Errors for a horizon in days; beyond the history, errors of the longest
        backtestable horizon scaled linearly (wider, never narrower)."""
        want = self.steps(days)
        h = want
        while h > 1 and len(self.errors(method, h)) < MIN_ERRORS:
            h -= 1
        scale = want / h
        return [e * scale for e in self.errors(method, h)], want, h

    def mae(self, method: str, days: float) -> float | None:
        errs, _, _ = self.scaled_errors(method, days)
        return statistics.fmean(abs(e) for e in errs) if errs else None

    def scale(self) -> float:
        diffs = [abs(b - a) for a, b in pairwise(self.values)]
        s = statistics.fmean(diffs) if diffs else 0.0
        return s if s > 0 else 1.0

    def coverage(self, method: str, days: float) -> float | None:
        """Out-of-sample coverage of the 80% interval: each interval is built only from
        errors of earlier origins."""
        errs, _, _ = self.scaled_errors(method, days)
        hits = total = 0
        for i in range(5, len(errs)):
            lo, hi = interval_offsets(errs[:i])
            total += 1
            hits += lo <= errs[i] <= hi
        return hits / total if total else None


def interval_offsets(errors: Sequence[float]) -> tuple[float, float]:
    """80% interval around a forecast from past signed errors: empirical 10%/90%
    quantiles (stretched to include 0); with fewer than 20 errors widened to at least
    +-1.28 RMSE and by a factor 1 + 1/sqrt(n)."""
    n = len(errors)
    if n == 0:
        return 0.0, 0.0
    if n == 1:
        q10 = q90 = errors[0]
    else:
        qs = statistics.quantiles(errors, n=10, method="inclusive")
        q10, q90 = qs[0], qs[-1]
    if n >= 20:  # the interval always contains the point forecast (widened, never moved)
        return min(q10, 0.0), max(q90, 0.0)
    rmse = math.sqrt(statistics.fmean(e * e for e in errors))
    widen = 1 + 1 / math.sqrt(n)
    return min(q10, -Z80 * rmse) * widen, max(q90, Z80 * rmse) * widen


# --- the forecast -------------------------------------------------------------------

@dataclass
class Forecast:
    method: str
    insufficient_history: bool
    note: str
    current: float
    step_days: float
    forecast: list[dict[str, float]]
    days_to_double: int | None
    doubling_note: str
    backtest: dict[str, Any]
    doubling_probability: float | None = None
    """Probability that the count doubles within a year (None: too little history)."""

    @property
    def doubling_likely(self) -> bool:
        return self.doubling_probability is not None and self.doubling_probability >= DOUBLING_WARN_AT


def _heuristic_interval(points: Sequence[tuple[datetime, float]], days: float) -> float:
    current = points[-1][1]
    rate = 0.0
    if len(points) > 1:
        span = (points[-1][0] - points[0][0]).total_seconds() / 86400
        rate = (points[-1][1] - points[0][1]) / span if span > 0 else 0.0
    return max(2 * abs(rate) * days, 0.1 * current * math.sqrt(days / 30), 3.0)


def choose(bt: Backtest, horizons: Sequence[float]) -> tuple[str, list[dict[str, Any]]]:
    """Candidate with the lowest MAE relative to naive, averaged over the horizons."""
    rows: list[dict[str, Any]] = []
    naive_mae = {d: bt.mae("naive", d) for d in horizons}
    scale = bt.scale()
    for name in [*CANDIDATES, *REFERENCES]:
        maes = {d: bt.mae(name, d) for d in horizons}
        pairs = [(maes[d], naive_mae[d]) for d in horizons]
        rel = [m / n if n else (1.0 if m == 0 else math.inf) for m, n in pairs if m is not None and n is not None]
        rows.append({
            "method": name,
            "selectable": name in CANDIDATES,
            "mae": {str(int(d)): _round(maes[d]) for d in horizons},
            "mase": {str(int(d)): _round(None if m is None else m / scale) for d, m in maes.items()},
            "relative_mae": _round(statistics.fmean(rel)) if rel else None,
            "coverage_80": {str(int(d)): _round(bt.coverage(name, d)) for d in horizons},
        })
    scores = {r["method"]: r["relative_mae"] for r in rows if r["selectable"] and r["relative_mae"] is not None}
    best = min(scores, key=lambda k: (scores[k], k != "naive")) if scores else "naive"
    if best != "naive" and scores[best] > 1 - TIE_MARGIN:
        best = "naive"
    return best, rows


def _round(x: float | None, nd: int = 3) -> float | None:
    return None if x is None or math.isinf(x) or math.isnan(x) else round(x, nd)


def forecast(points: Sequence[tuple[datetime, float]], horizons: Sequence[float] = DEFAULT_HORIZONS) -> Forecast:
    """Forecast the next values of a dated series (at least one point)."""
    if not points:
        raise ValueError("no history to forecast from")
    points = sorted(points)
    current = float(points[-1][1])
    span = (points[-1][0] - points[0][0]).total_seconds() / 86400
    grid = regularize(points)
    horizons = sorted({float(h) for h in horizons})
    max_h = horizons[-1]
    chance = doubling_probability(grid.values, grid.step_days)
    if len(points) < MIN_POINTS or len(grid.values) < MIN_POINTS or span < MIN_SPAN_DAYS:
        rows = []
        for d in horizons:
            half = _heuristic_interval(points, d)
            rows.append({"days": int(d), "value": round(current, 1), "low": round(max(0.0, current - half), 1),
                         "high": round(current + half, 1)})
        note = (f"too little history ({len(points)} snapshot(s) over {span:.0f} days): no trend is "
                f"extrapolated; the interval is a wide rule of thumb, not measured")
        return Forecast("naive", True, note, current, grid.step_days, rows, None,
                        _doubling_note(None, max_h, chance), {"candidates": [], "origins": 0}, chance)
    bt = Backtest.run(grid.values, grid.step_days)
    method, rows_bt = choose(bt, horizons)
    model = CANDIDATES[method](grid.values)

    def at(days: float) -> dict[str, float]:
        errs, _, used = bt.scaled_errors(method, days)
        lo, hi = interval_offsets(errs)
        value = model(days / grid.step_days)
        return {"days": int(days), "value": round(value, 1), "low": round(max(0.0, value + lo), 1),
                "high": round(max(0.0, value + hi), 1), "backtest_steps": used, "errors": len(errs)}

    rows = [at(d) for d in horizons]
    days_to_double = None
    if current > 0:
        step = max(1, int(grid.step_days))
        for d in range(step, int(max_h) + 1, step):
            if at(d)["low"] >= 2 * current:
                days_to_double = d
                break
    origins = len(next(iter(bt.models.values()))) if bt.models else 0
    note = (f"chose {method} by backtest over {origins} origins of {len(grid.values)} points "
            f"(every {grid.step_days:g} days)")
    return Forecast(method, False, note, current, grid.step_days,
                    [{k: v for k, v in r.items() if k in ("days", "value", "low", "high")} for r in rows],
                    days_to_double, _doubling_note(days_to_double, max_h, chance),
                    {"origins": origins, "points": len(grid.values), "step_days": round(grid.step_days, 2),
                     "tie_margin": TIE_MARGIN, "chosen": method, "candidates": rows_bt,
                     "interval_sources": [{"days": r["days"], "backtest_steps": r["backtest_steps"],
                                           "errors": r["errors"]} for r in rows]}, chance)


def doubling_probability(values: Sequence[float], step_days: float, *,
                         window_days: float = DOUBLING_WINDOW_DAYS, prior_added: float = DOUBLING_PRIOR_ADDED,
                         prior_days: float = DOUBLING_PRIOR_DAYS,
                         dispersion: float = DOUBLING_DISPERSION) -> float | None:
    """Probability that at least the last value is added within a year (the count doubles
    unless as much is removed meanwhile). Additions (the rises between grid points over
    the last ``window_days``) plus ``prior_added`` over their days plus ``prior_days`` give
    a daily rate; the year's additions are negative binomial with that mean and shape
    ``dispersion``. None when the last value is 0 or the history spans less than a year."""
    current = values[-1] if values else 0.0
    if current <= 0 or (len(values) - 1) * step_days < 365 - step_days / 2:
        return None
    tail = values[-(max(1, round(window_days / step_days)) + 1):]
    added = sum(max(0.0, b - a) for a, b in pairwise(tail))
    rate = (prior_added + added) / (prior_days + (len(tail) - 1) * step_days)
    return round(negative_binomial_tail(math.ceil(current), 365 * rate, dispersion), 3)


def negative_binomial_tail(k: int, mean: float, shape: float) -> float:
    """P(N >= k) for a negative binomial N (a Poisson count whose mean is gamma
    distributed with the given mean and shape)."""
    if k <= 0:
        return 1.0
    if mean <= 0:
        return 0.0
    p = shape / (shape + mean)
    pmf = math.exp(shape * math.log(p))
    below = 0.0
    for n in range(k):
        below += pmf
        pmf *= (n + shape) / (n + 1) * (1 - p)
    return min(1.0, max(0.0, 1.0 - below))


def _doubling_note(days: int | None, horizon: float, chance: float | None = None) -> str:
    if days is not None:
        note = f"even the low end of the 80% interval doubles within {days} days"
    else:
        note = f"not on course to double within {int(horizon)} days (even allowing for the interval)"
    if chance is None:
        return note
    if chance >= DOUBLING_WARN_AT:
        return f"likely to double within a year (probability {chance:.0%}); {note}"
    return f"{note}; probability of doubling within a year {chance:.0%}"


def seed_days_to_double(points: Sequence[tuple[datetime, float]]) -> float | None:
    """The seed's "days until 2x": count / latest daily rate (None when not growing)."""
    if len(points) < 2:
        return None
    (t0, y0), (t1, y1) = sorted(points)[-2:]
    days = (t1 - t0).total_seconds() / 86400
    rate = (y1 - y0) / days if days > 0 else 0.0
    return y1 / rate if rate > 0 else None


def monthly_change(points: Sequence[tuple[datetime, float]],
                   recent_days: float = 90) -> tuple[float | None, float | None]:
    """(recent, long-run) change per month; recent = over the last ``recent_days``."""
    pts = sorted(points)
    if len(pts) < 2:
        return None, None
    last_t, last_y = pts[-1]
    span = (last_t - pts[0][0]).total_seconds() / 86400
    if span <= 0:
        return None, None
    long_run = (last_y - pts[0][1]) / span * DAYS_PER_MONTH
    cut = last_t - timedelta(days=recent_days)
    before = [p for p in pts if p[0] <= cut]
    base_t, base_y = before[-1] if before else pts[0]
    days = (last_t - base_t).total_seconds() / 86400
    recent = (last_y - base_y) / days * DAYS_PER_MONTH if days > 0 else None
    return (round(recent, 2) if recent is not None else None), round(long_run, 2)
