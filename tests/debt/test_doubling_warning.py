"""The "doubles within a year" warning: the chance that at least the current count is
added within a year, from the series' own recent rate of additions."""

from __future__ import annotations

import json
import math
import random
from datetime import datetime, timedelta, timezone
from pathlib import Path

from memory_store.debt.forecast import (
    DOUBLING_WARN_AT,
    doubling_probability,
    forecast,
    negative_binomial_tail,
)
from tests.conftest import run_cli

T0 = datetime(2023, 1, 1, tzinfo=timezone.utc)
MONTH = 30.4375


def monthly(values: list[float]) -> list[tuple[datetime, float]]:
    return [(T0 + timedelta(days=MONTH * i), v) for i, v in enumerate(values)]


def geometric_tail(k: int, mean: float) -> float:
    """Shape 1: the year's additions are geometric, P(N >= k) = (m / (1 + m)) ** k."""
    return (mean / (1 + mean)) ** k


def test_probability_is_the_tail_of_the_year_s_additions_at_the_recent_rate() -> None:
    # 37 monthly values, current 4; the last two years (24 steps) hold rises of 3, 2 and 1
    # (6 markers added) and drops that do not count as additions
    values = [10.0] * 13 + [10.0, 13.0, 13.0, 8.0, 10.0, 10.0, 3.0, 4.0] + [4.0] * 16
    added = 3 + 2 + 1
    mean = 365 * (1 + added) / (365 + 24 * MONTH)
    assert doubling_probability(values, MONTH) == round(geometric_tail(4, mean), 3)
    values[5] = 0.0  # a change three years back is outside the window: no effect
    assert doubling_probability(values, MONTH) == round(geometric_tail(4, mean), 3)
    values[-3] = 9.0  # one more rise of 5 inside the window (and the drop back to 4)
    mean = 365 * (1 + added + 5) / (365 + 24 * MONTH)
    assert doubling_probability(values, MONTH) == round(geometric_tail(4, mean), 3)


def test_negative_binomial_tail_matches_its_closed_forms_and_the_poisson_limit() -> None:
    for k, mean in ((1, 0.5), (3, 2.0), (10, 7.5)):
        assert math.isclose(negative_binomial_tail(k, mean, 1.0), geometric_tail(k, mean), rel_tol=1e-9)
    poisson = 1 - sum(math.exp(-3.0) * 3.0 ** n / math.factorial(n) for n in range(5))
    assert math.isclose(negative_binomial_tail(5, 3.0, 1e7), poisson, rel_tol=1e-4)
    assert negative_binomial_tail(0, 0.0, 1.0) == 1.0
    assert negative_binomial_tail(1, 0.0, 1.0) == 0.0
    assert negative_binomial_tail(700, 5.0, 1.0) < 1e-12


def test_probability_is_calibrated_on_counts_from_the_model_it_assumes() -> None:
    # Series with a steady monthly rate of additions (Poisson), cleaned up to 1-3 markers
    # at the origin; the next year's additions are Poisson with a gamma (shape 1) rate of
    # the same mean. Among origins given 0.3-0.6, the share that really gained the current
    # count within the year lies in the same range.
    rng = random.Random(7)
    predicted, happened = [], []
    for _ in range(1500):
        rate = rng.choice((0.05, 0.1, 0.2, 0.4))
        values = [5.0]
        for _ in range(24):
            values.append(values[-1] + _poisson(rng, rate))
        values.append(float(rng.randint(1, 3)))  # the clean-up
        p = doubling_probability(values, MONTH)
        assert p is not None
        if 0.3 <= p < 0.6:
            predicted.append(p)
            happened.append(_poisson(rng, rng.gammavariate(1.0, 12 * rate)) >= values[-1])
    assert len(predicted) >= 150
    observed = sum(happened) / len(happened)
    mean_p = sum(predicted) / len(predicted)
    assert abs(observed - mean_p) < 0.08, (observed, mean_p, len(predicted))


def _poisson(rng: random.Random, lam: float) -> int:
    n, t = 0, rng.expovariate(1.0)
    while t < lam:
        n += 1
        t += rng.expovariate(1.0)
    return n


def test_no_probability_without_a_count_or_a_year_of_history() -> None:
    assert doubling_probability([4.0] * 30 + [0.0], MONTH) is None
    assert doubling_probability([1.0, 2.0, 3.0] * 4, MONTH) is None  # 12 points: 11 months
    assert doubling_probability([3.0] * 13, MONTH) is not None


def test_a_count_that_regrows_by_more_than_itself_every_year_is_warned_about() -> None:
    values = []
    for _ in range(4):  # cleaned up to 3 every year, then back up to 14 within months
        values += [3.0, 5.0, 8.0, 11.0, 14.0, 14.0, 13.0, 12.0, 10.0, 8.0, 6.0, 4.0]
    values.append(3.0)  # today: 3, after years in which 11 were added within months
    fc = forecast(monthly(values))
    assert fc.doubling_probability is not None and fc.doubling_probability >= DOUBLING_WARN_AT
    assert fc.doubling_likely
    assert fc.doubling_note.startswith(f"likely to double within a year (probability {fc.doubling_probability:.0%})")


def test_a_flat_count_gets_a_low_probability_and_no_warning() -> None:
    values = [200.0 + (i % 3) for i in range(40)]
    fc = forecast(monthly(values))
    assert fc.doubling_probability is not None and fc.doubling_probability < 0.01
    assert not fc.doubling_likely
    assert "likely to double" not in fc.doubling_note
    assert fc.doubling_note.endswith(f"probability of doubling within a year {fc.doubling_probability:.0%}")


def test_a_single_marker_that_never_moved_is_below_the_warning() -> None:
    # only the prior's one addition a year: mean 365 / (365 + 730) = 1/3, P(N >= 1) = 0.25
    fc = forecast(monthly([1.0] * 37))
    assert fc.doubling_probability == 0.25
    assert not fc.doubling_likely


def test_small_counts_that_jumped_recently_warn_large_steady_ones_do_not() -> None:
    jumpy = [1.0, 3.0, 1.0, 4.0, 2.0, 5.0] * 5 + [2.0]  # rises of 2-4 on a count of 2
    steady = [v + 1000 for v in jumpy]  # the same rises on a count of 1002
    assert forecast(monthly(jumpy)).doubling_likely
    assert not forecast(monthly(steady)).doubling_likely


def test_debt_report_json_carries_the_probability_and_the_warning(tmp_path: Path) -> None:
    months = [f"{2021 + m // 12}-{m % 12 + 1:02d}-01" for m in range(49)]
    counts = [3, 5, 8, 11, 14, 14, 13, 12, 10, 8, 6, 4] * 4 + [3]  # regrows by far more than itself each year
    csv = tmp_path / "history.csv"
    csv.write_text("date,count\n" + "".join(f"{d},{c}\n" for d, c in zip(months, counts, strict=True)))
    assert run_cli("debt", "import", str(csv), root=tmp_path).returncode == 0
    out = run_cli("debt", "report", "--json", root=tmp_path)
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert report["doubling_likely"] is True and report["doubling_probability"] >= DOUBLING_WARN_AT
    assert report["doubling"].startswith("likely to double within a year")
    text = run_cli("debt", "report", root=tmp_path).stdout
    assert f"probability {report['doubling_probability']:.0%}" in text
