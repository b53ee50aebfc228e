"""What every results file records about the machine a benchmark ran on.

Wall-clock figures on a shared machine depend on what else runs: each bench script stores
``machine()`` at its start and the load average again at its end, and ``bench/report.py``
prints them beside the figures. Each saves its results with :func:`save_results`.
"""

from __future__ import annotations

import datetime
import json
import os
import platform
from pathlib import Path
from typing import Any

from memory_store.jsonio import atomic_write_text

REPO = Path(__file__).resolve().parent.parent


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


def shown(path: Path) -> str:
    """``path`` relative to the repository, or absolute when outside it."""
    path = path.resolve()
    return str(path.relative_to(REPO)) if path.is_relative_to(REPO) else str(path)


def save_results(path: Path | str, data: Any) -> None:
    """Write ``data`` to ``path`` as UTF-8 JSON (indented, sorted keys, final newline) and print
    ``saved <path>``.

    The text is built before anything is written and replaces the file atomically (a temp file
    in the same folder, renamed over it), so a failed or interrupted run leaves the previous
    results for ``bench/report.py``. NaN stays allowed: a percentile of no samples is NaN and the
    report shows it as missing."""
    target = Path(path).absolute()
    atomic_write_text(target, json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
    print(f"saved {shown(target)}")
