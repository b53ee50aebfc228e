"""Chart of the debt history, forecast and 80% interval band (SVG or PNG, matplotlib).

matplotlib is the optional extra ``charts`` (``pip install 'teamlore[charts]'``).
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from memory_store.clock import parse_iso


class ChartUnavailable(RuntimeError):
    """matplotlib is not installed."""


def write_chart(report: dict[str, Any], path: Path) -> Path:
    """Draw ``report`` (from :func:`memory_store.debt.report.build_report`) to ``path``."""
    suffix = path.suffix.lower()
    if suffix not in (".svg", ".png"):
        raise ValueError(f"chart file must end in .svg or .png: {path}")
    try:
        import matplotlib

        matplotlib.use("Agg", force=True)
        import matplotlib.pyplot as plt
    except ImportError:
        raise ChartUnavailable("charts need matplotlib: pip install 'teamlore[charts]'") from None

    dates = [parse_iso(h["date"]) for h in report["history"]]
    totals = [h["total"] for h in report["history"]]
    last = parse_iso(report["as_of"])
    fc = report["forecast"]
    f_dates = [last] + [last + timedelta(days=f["days"]) for f in fc]
    f_values = [report["current"]] + [f["value"] for f in fc]
    lows = [report["current"]] + [f["low"] for f in fc]
    highs = [report["current"]] + [f["high"] for f in fc]

    fig, ax = plt.subplots(figsize=(8, 4), dpi=100)
    try:
        # matplotlib plots datetimes through its units registry; its stubs list numbers only
        ax.plot(dates, totals, marker="o", markersize=3, color="#1f77b4",  # type: ignore[arg-type]
                label="markers (snapshots)")
        ax.fill_between(f_dates, lows, highs, color="#ff7f0e", alpha=0.25,  # type: ignore[arg-type]
                        label="80% interval")
        ax.plot(f_dates, f_values, linestyle="--", color="#ff7f0e",  # type: ignore[arg-type]
                label=f"forecast ({report['method']})")
        ax.set_ylabel("TODO/FIXME/... markers")
        ax.set_title("Technical debt markers" + (" (too little history)" if report.get("insufficient_history") else ""))
        ax.set_ylim(bottom=0)
        ax.grid(alpha=0.3)
        ax.legend(loc="best", fontsize="small")
        fig.autofmt_xdate()
        fig.tight_layout()
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, format=suffix[1:], metadata={"Date": None} if suffix == ".svg" else None)
    finally:
        plt.close(fig)
    return path
