"""The debt step of ``teamlore demo``: an honest forecast where a straight line would alarm."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

DEMO_HISTORY = """date,count
2025-11-03,212
2025-12-01,215
2026-01-05,214
2026-02-02,219
2026-03-02,217
2026-04-06,223
2026-05-04,221
2026-06-01,226
2026-07-06,224
2026-08-03,231
2026-09-07,229
2026-10-05,245
"""
"""A year of monthly marker counts: slow growth with noise and a jump in the last month."""


def demo_step(demo: Any) -> None:
    """Debt trajectory in ``teamlore demo``: an honest forecast where a straight line would alarm."""
    demo.heading("Debt trajectory: an honest forecast instead of a straight line")
    demo.say("(a year of monthly TODO/FIXME/HACK/XXX counts)")
    demo.show("debt", "import", demo.write_input("debt-history.csv", DEMO_HISTORY))
    demo.say("")
    demo.show("debt", "report", "--no-blame")
    as_json = demo.teamlore("debt", "report", "--no-blame", "--json")
    try:
        data = json.loads(as_json.stdout)
    except json.JSONDecodeError:
        demo.state["debt"] = None
        return
    demo.state["debt"] = {"method": data.get("method"), "days_to_double": data.get("days_to_double")}
    from memory_store.debt.forecast import seed_days_to_double

    points = [(datetime.fromisoformat(d).replace(tzinfo=timezone.utc), float(c))
              for d, c in (line.split(",") for line in DEMO_HISTORY.split()[1:])]
    seed_days = seed_days_to_double(points)
    seed_says = f"announce 2x in {seed_days:.0f} days" if seed_days else "announce no doubling"
    doubling = data.get("days_to_double")
    demo.say(f"A straight line from the last change alone (the seed tool's rule) would {seed_says}. teamlore "
             f"backtested its methods on this history, chose '{data.get('method')}' and "
             + (f"expects 2x in {doubling} days." if doubling else "does not see the count on course to double."))
