"""How long a fix took, in words, for every front end (CLI tables, demo, hover)."""

from __future__ import annotations

from typing import Any


def format_minutes(value: Any) -> str:
    """``45`` -> "45 min", ``66`` -> "1.1 h", ``0.5`` -> "under a minute"; "" when not a number."""
    try:
        minutes = float(value)
    except (TypeError, ValueError):
        return ""
    if minutes < 1:
        return "under a minute"
    if minutes < 60:
        return f"{minutes:g} min"
    return f"{minutes / 60:.1f} h"
