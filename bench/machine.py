"""What every results file records about the machine a benchmark ran on.

Wall-clock figures on a shared machine depend on what else runs: each bench script stores
``machine()`` at its start and the load average again at its end, and ``bench/report.py``
prints them beside the figures.
"""

from __future__ import annotations

import datetime
import os
import platform
from typing import Any


def load_average() -> list[float]:
    """The 1, 5 and 15 minute load averages, rounded."""
    return [round(x, 2) for x in os.getloadavg()]


def machine() -> dict[str, Any]:
    """CPU count, load average, Python version and date, at the time of the call."""
    return {"cpus": os.cpu_count(), "load_average": load_average(), "python": platform.python_version(),
            "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d")}


def finish(result: dict[str, Any]) -> dict[str, Any]:
    """Add the load average at the end of the run to ``result["machine"]``."""
    result.setdefault("machine", machine())["load_average_at_end"] = load_average()
    return result
