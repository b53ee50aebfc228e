"""The "doubles within a year" warning: a probability from the series' own recent years."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

from memory_store.debt.forecast import DOUBLING_WARN_AT, doubling_probability, forecast
from tests.conftest import run_cli

T0 = datetime(2023, 1, 1, tzinfo=timezone.utc)
MONTH = 30.4375


def monthly(values: list[float]) -> list[tuple[datetime, float]]:
    return [(T0 + timedelta(days=MONTH * i), v) for i, v in enumerate(values)]


def test_probability_is_the_smoothed_share_of_recent_year_windows_that_rose_by_the_current_count() -> None:
    # 25 monthly values, current 10: the 12 complete one-year windows start at months 1..12
    # (window i sees months i+1..i+12). Those starting at 3, 6 and 9 (count 0) see the 10 of
    # month 14, a rise >= 10; the others start at 5 and never see more than 10.
    values = [5.0] * 25
    values[3] = values[6] = values[9] = 0.0
    values[14] = 10.0
    values[-1] = 10.0
    assert doubling_probability(values, MONTH) == round((3 + 0.5) / (12 + 1), 3)
    values[0] = 0.0  # month 0 starts no window of the last year: no change
    assert doubling_probability(values, MONTH) == round((3 + 0.5) / (12 + 1), 3)
    values[11] = 0.0  # one more window with a rise of 10
    assert doubling_probability(values, MONTH) == round((4 + 0.5) / (12 + 1), 3)


def test_no_probability_without_a_count_or_a_full_year_of_windows() -> None:
    assert doubling_probability([4.0] * 30 + [0.0], MONTH) is None
    assert doubling_probability([1.0, 2.0, 3.0] * 4, MONTH) is None  # 12 points: no complete one-year window
    assert doubling_probability([3.0] * 13, MONTH) is not None


def test_a_count_that_regrows_by_more_than_itself_every_year_is_warned_about() -> None:
    values = []
    for _ in range(4):  # cleaned up to 3 every year, then back up to 14 within months
        values += [3.0, 5.0, 8.0, 11.0, 14.0, 14.0, 13.0, 12.0, 10.0, 8.0, 6.0, 4.0]
    values.append(3.0)  # today: 3, after years in which it rose by 11 within months
    fc = forecast(monthly(values))
    assert fc.doubling_probability is not None and fc.doubling_probability >= DOUBLING_WARN_AT
    assert fc.doubling_likely
    assert fc.doubling_note.startswith(f"likely to double within a year (probability {fc.doubling_probability:.0%})")


def test_a_flat_count_gets_a_low_probability_and_no_warning() -> None:
    values = [200.0 + (i % 3) for i in range(40)]
    fc = forecast(monthly(values))
    assert fc.doubling_probability == round(0.5 / 13, 3)
    assert not fc.doubling_likely
    assert "likely to double" not in fc.doubling_note
    assert fc.doubling_note.endswith(f"probability of doubling within a year {fc.doubling_probability:.0%}")


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
