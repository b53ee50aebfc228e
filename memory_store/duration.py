"""Durations, periods and counts in words, for every front end (CLI tables, demo, hover).

One place decides how a number of minutes, a period of days or a count of things reads,
so no front end shows ``0.0``, ``30.4375 days`` or ``proposal(s)``.
"""

from __future__ import annotations

from typing import Any

DAYS_PER_MONTH = 365.25 / 12


def plural(count: int, word: str, many: str | None = None) -> str:
    """``plural(1, "record")`` -> "1 record", ``plural(3, "record")`` -> "3 records";
    ``many`` for irregular words (``plural(2, "proposal is", "proposals are")``)."""
    return f"{count} {word if count == 1 else (many or word + 's')}"


def format_minutes(value: Any) -> str:
    """``45`` -> "45 min", ``66`` -> "1.1 h", ``0.5`` -> "under a minute"; "" when not a number."""
    try:
        minutes = float(value)
    except (TypeError, ValueError):
        return ""
    if minutes != minutes:  # NaN
        return ""
    if minutes < 1:
        return "under a minute"
    if minutes < 60:
        return f"{minutes:g} min"
    return f"{minutes / 60:.1f} h"


def format_fix_times(median: Any, low: Any, high: Any, count: int) -> str:
    """How long recorded fixes took: "35 min (1 recorded)", "under a minute (2 recorded)",
    "26 min (median of 3; range 12 min to 40 min)"; the range only when it says something."""
    mid, lo, hi = format_minutes(median), format_minutes(low), format_minutes(high)
    if count < 2 or lo == hi:
        return f"{mid} ({count} recorded)"
    return f"{mid} (median of {count}; range {lo} to {hi})"


def format_period(days: Any) -> str:
    """A spacing of dated points: ``1`` -> "day", ``7`` -> "week", ``30.4375`` -> "month",
    ``14`` -> "2 weeks", ``45.6`` -> "46 days"; "" when not a number."""
    try:
        d = float(days)
    except (TypeError, ValueError):
        return ""
    if d != d or d <= 0:
        return ""
    for unit, size in (("year", 365.25), ("month", DAYS_PER_MONTH), ("week", 7.0), ("day", 1.0)):
        n = d / size
        if abs(n - round(n)) < 0.02 and round(n) >= 1:
            return unit if round(n) == 1 else plural(round(n), unit)
    return plural(round(d), "day") if d >= 1 else "under a day"
