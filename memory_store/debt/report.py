"""The debt report: where the count stands, where it is going, and where it grows.

Built from the stored snapshots only (``debt scan --save``, ``debt backfill``,
``debt import``); the oldest markers are dated with ``git blame`` when the repository is
at hand, else by the first snapshot that saw them.
"""

from __future__ import annotations

import time
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from memory_store.clock import format_iso, parse_iso
from memory_store.debt.files import GitError, git, is_git_repo
from memory_store.debt.forecast import (
    DEFAULT_HORIZONS,
    forecast,
    monthly_change,
    seed_days_to_double,
)
from memory_store.debt.snapshots import SnapshotStore, parse_item
from memory_store.duration import format_period, plural
from memory_store.record_types import DebtSnapshot
from memory_store.workspace import Workspace

SPARKS = "▁▂▃▄▅▆▇█"
GROWTH_WINDOW_DAYS = 90
TOP = 5
BLAME_FILES = 20
BLAME_SECONDS = 5.0


class NoHistory(LookupError):
    """There is no readable snapshot to report on."""


def sparkline(values: list[float], width: int = 40) -> str:
    if not values:
        return ""
    if len(values) > width:  # keep the last value, sample the rest evenly
        values = [values[round(i * (len(values) - 1) / (width - 1))] for i in range(width)]
    lo, hi = min(values), max(values)
    if hi == lo:
        return SPARKS[3] * len(values)
    return "".join(SPARKS[min(7, int((v - lo) / (hi - lo) * 8))] for v in values)


def _file_totals(snap: DebtSnapshot) -> dict[str, int]:
    return {p: sum(c.values()) for p, c in snap.get("files", {}).items()}


def growing_files(snaps: list[DebtSnapshot], window_days: int = GROWTH_WINDOW_DAYS) -> dict[str, Any]:
    """Files whose marker count grew most since the snapshot ``window_days`` ago."""
    latest = snaps[-1]
    cut = parse_iso(latest["date"]) - timedelta(days=window_days)
    older = [s for s in snaps[:-1] if parse_iso(s["date"]) <= cut] or snaps[:1]
    base = older[-1] if older[-1] is not latest else None
    now = _file_totals(latest)
    before = _file_totals(base) if base else {}
    rows: list[dict[str, Any]] = [{"path": p, "before": before.get(p, 0), "now": now.get(p, 0),
                                   "change": now.get(p, 0) - before.get(p, 0)} for p in set(now) | set(before)]
    rows = sorted((r for r in rows if r["change"] > 0), key=lambda r: (-r["change"], r["path"]))[:TOP]
    return {"since": base["date"] if base else None, "files": rows}


def _items(snap: DebtSnapshot) -> Counter[tuple[str, str]] | None:
    items = snap.get("items")
    if items is None:
        return None
    return Counter((path, parse_item(item)[1]) for path, lst in items.items() for item in lst)


def since_previous(snaps: list[DebtSnapshot]) -> dict[str, Any]:
    """Markers added and resolved between the last two snapshots."""
    if len(snaps) < 2:
        return {"previous": None, "added": 0, "resolved": 0, "added_items": [], "resolved_items": []}
    prev, latest = snaps[-2], snaps[-1]
    a, b = _items(prev), _items(latest)
    out: dict[str, Any] = {"previous": prev["date"]}
    if a is not None and b is not None:
        added, resolved = b - a, a - b
        out["added"], out["resolved"] = sum(added.values()), sum(resolved.values())
        out["added_items"] = [{"path": p, "text": t} for (p, t) in sorted(added.elements())][:20]
        out["resolved_items"] = [{"path": p, "text": t} for (p, t) in sorted(resolved.elements())][:20]
        return out
    before, now = _file_totals(prev), _file_totals(latest)
    if before or now:  # per-file counts: a net change per file, not individual markers
        diffs = [now.get(p, 0) - before.get(p, 0) for p in set(now) | set(before)]
        out["added"], out["resolved"] = sum(d for d in diffs if d > 0), -sum(d for d in diffs if d < 0)
    else:
        change = latest["total"] - prev["total"]
        out["added"], out["resolved"] = max(0, change), max(0, -change)
    out["added_items"], out["resolved_items"] = [], []
    out["net_only"] = True
    return out


def _blame_lines(root: Path, path: str, lines: list[int], rev: str | None) -> dict[int, tuple[datetime, str, str]]:
    """line -> (author time, author, line text) via ``git blame --porcelain``."""
    args = ["blame", "--porcelain"]
    for n in lines:
        args += ["-L", f"{n},{n}"]
    if rev:
        args.append(rev)
    args += ["--", path]
    try:
        out = git(root, *args).decode("utf-8", "replace")
    except GitError:
        return {}
    result: dict[int, tuple[datetime, str, str]] = {}
    commits: dict[str, dict[str, str]] = {}
    current: dict[str, str] = {}
    final_line = 0
    for row in out.splitlines():
        if row.startswith("\t"):
            result[final_line] = (datetime.fromtimestamp(int(current.get("author-time", "0")), timezone.utc),
                                  current.get("author", ""), row[1:])
            continue
        parts = row.split(" ")
        if len(parts) >= 3 and len(parts[0]) == 40 and parts[1].isdigit():
            current = commits.setdefault(parts[0], {})
            final_line = int(parts[2])
        elif parts[0] in ("author", "author-time"):
            current[parts[0]] = row.split(" ", 1)[1] if " " in row else ""
    return result


def oldest_markers(workspace: Workspace, snaps: list[DebtSnapshot], blame: bool = True) -> dict[str, Any]:
    """The oldest markers still present. Each is dated by the first snapshot that saw it,
    and by ``git blame`` for the files seen earliest (at most :data:`BLAME_FILES` files or
    :data:`BLAME_SECONDS`), so the answer stays quick on large repositories."""
    latest = snaps[-1]
    items = latest.get("items")
    if not items:
        return {"markers": [], "files": 0, "blamed_files": 0}
    first_seen: dict[tuple[str, str], str] = {}
    for snap in snaps:
        for key in _items(snap) or ():
            first_seen.setdefault(key, snap["date"])
    rows: list[dict[str, Any]] = []
    for path, lst in items.items():
        for item in lst:
            line, text = parse_item(item)
            rows.append({"path": path, "line": line, "text": text,
                         "since": first_seen.get((path, text), latest["date"]), "dated_by": "snapshots"})
    root = workspace.root
    blamed_files = 0
    if blame and is_git_repo(root):
        rev = None if latest.get("source") == "scan" else latest.get("commit")
        by_file: dict[str, list[dict[str, Any]]] = {}
        for r in rows:
            by_file.setdefault(r["path"], []).append(r)
        order = sorted(by_file, key=lambda p: (min(r["since"] for r in by_file[p]), p))
        deadline = time.monotonic() + BLAME_SECONDS
        for path in order[:BLAME_FILES]:
            if time.monotonic() > deadline:
                break
            blamed_files += 1
            wanted = [r for r in by_file[path] if r["line"]]
            blamed = _blame_lines(root, path, [r["line"] for r in wanted], rev)
            for r in wanted:
                hit = blamed.get(r["line"])
                marker_word = r["text"].split(None, 1)[0] if r["text"] else ""
                if hit and marker_word and marker_word in hit[2]:
                    r["since"] = format_iso(hit[0])
                    r["author"] = hit[1]
                    r["dated_by"] = "git blame"
    rows.sort(key=lambda r: (parse_iso(r["since"]), r["path"], r["line"] or 0))
    return {"markers": rows[:TOP], "files": len(items), "blamed_files": blamed_files}


def build_report(workspace: Workspace, horizon: int | None = None, blame: bool = True) -> dict[str, Any]:
    """Everything ``teamlore debt report`` shows, as one JSON-ready dict."""
    store = SnapshotStore(workspace)
    snaps = store.ordered()
    if not snaps:
        raise NoHistory("no debt snapshots yet: run `teamlore debt scan --save` or `teamlore debt backfill`")
    points = [(parse_iso(s["date"]), float(s["total"])) for s in snaps]
    horizons = (horizon,) if horizon else DEFAULT_HORIZONS
    fc = forecast(points, horizons)
    span_days = (points[-1][0] - points[0][0]).total_seconds() / 86400
    recent, long_run = monthly_change(points)
    seed_days = seed_days_to_double(points)
    latest = snaps[-1]
    return {
        "current": latest["total"],
        "as_of": latest["date"],
        "by_marker": latest.get("by_marker", {}),
        "snapshots": len(snaps),
        "first": snaps[0]["date"],
        "method": fc.method,
        "forecast": fc.forecast,
        "days_to_double": fc.days_to_double,
        "doubling": fc.doubling_note,
        "doubling_probability": fc.doubling_probability,
        "doubling_likely": fc.doubling_likely,
        "monthly_change": recent,
        "monthly_change_long_run": long_run,
        "insufficient_history": fc.insufficient_history,
        "note": method_note(fc.method, fc.insufficient_history, fc.backtest, fc.step_days, len(points), span_days),
        "backtest": fc.backtest,
        "seed_straight_line": {"days_to_double": round(seed_days) if seed_days else None,
                               "note": "the seed tool's rule (latest change rate extrapolated), "
                                       "shown for comparison only"},
        "sparkline": sparkline([p[1] for p in points]),
        "history": [{"date": s["date"], "total": s["total"], "source": s.get("source")} for s in snaps],
        "growing_files": growing_files(snaps),
        "since_previous": since_previous(snaps),
        "oldest": oldest_markers(workspace, snaps, blame=blame),
    }


def method_note(method: str, insufficient: bool, backtest: dict[str, Any], step_days: float,
                snapshots: int, span_days: float) -> str:
    """Why this forecast method, in words (periods and counts humanised)."""
    if insufficient:
        return (f"too little history ({plural(snapshots, 'snapshot')} over {plural(round(span_days), 'day')}): "
                "no trend is extrapolated; the interval is a wide rule of thumb, not measured")
    origins, points = backtest.get("origins", 0), backtest.get("points", snapshots)
    return (f"chose {method} by backtest over {plural(origins, 'origin')} of {plural(points, 'point')} "
            f"(one every {format_period(step_days)})")


def marker_counts(by_marker: dict[str, int]) -> str:
    """"TODO 120, FIXME 8" (empty when the snapshots kept no per-marker counts)."""
    return ", ".join(f"{k} {v}" for k, v in by_marker.items())


def coverage_text(coverage: dict[Any, float | None]) -> str:
    """Backtest coverage of the 80% interval per horizon: "75%, 50%, n/a"."""
    return ", ".join("n/a" if v is None else f"{v:.0%}" for v in coverage.values())


def backtest_error(report: dict[str, Any]) -> str:
    """One line: the chosen method's backtest MAE/MASE at each horizon."""
    for row in report["backtest"].get("candidates", []):
        if row["method"] == report["method"]:
            parts = [f"{d} d: MAE {row['mae'][d]}"
                     + ("" if row.get("mase", {}).get(d) is None else f" (MASE {row['mase'][d]})")
                     for d in row["mae"] if row["mae"][d] is not None]
            return "; ".join(parts)
    return "not backtested"


def _fmt(x: float | None, sign: bool = True) -> str:
    if x is None:
        return "n/a"
    return f"{x:+.1f}" if sign else f"{x:.1f}"


def report_markdown(workspace: Workspace) -> str:
    """The report as markdown (for the editor's ``teamlore.debtReport`` command)."""
    try:
        r = build_report(workspace, blame=False)
    except NoHistory as exc:
        return f"# Technical debt\n\n{exc}\n"
    lines = [
        "# Technical debt",
        "",
        f"**{r['current']}** markers as of {r['as_of'][:10]}"
        + (f" ({marker_counts(r['by_marker'])})" if r["by_marker"] else "")
        + f"; {plural(r['snapshots'], 'snapshot')} since {r['first'][:10]}.",
        "",
        f"`{r['sparkline']}`",
        "",
        f"Change per month: {_fmt(r['monthly_change'])} recently (last 90 days), "
        f"{_fmt(r['monthly_change_long_run'])} long-run.",
        "",
        f"Forecast method: **{r['method']}**. {r['note']}.",
    ]
    if not r["insufficient_history"]:
        lines.append(f"Backtest error: {backtest_error(r)}.")
    lines += ["", "| in | forecast | 80% interval |", "|---|---|---|"]
    lines += [f"| {f['days']} days | {f['value']:.0f} | {f['low']:.0f} – {f['high']:.0f} |" for f in r["forecast"]]
    lines += ["", f"Doubling: {r['doubling']}."]
    growing = r["growing_files"]["files"]
    if growing:
        lines += ["", f"## Growing fastest (since {(r['growing_files']['since'] or '')[:10]})", ""]
        lines += [f"- `{g['path']}`: {g['before']} → {g['now']} ({g['change']:+d})" for g in growing]
    sp = r["since_previous"]
    if sp["previous"]:
        lines += ["", f"## Since the previous snapshot ({sp['previous'][:10]})", "",
                  f"{sp['added']} added, {sp['resolved']} resolved."]
        lines += [f"- added `{i['path']}`: {i['text']}" for i in sp["added_items"][:10]]
        lines += [f"- resolved `{i['path']}`: {i['text']}" for i in sp["resolved_items"][:10]]
    if r["oldest"]["markers"]:
        lines += ["", "## Oldest markers", ""]
        lines += [f"- {o['since'][:10]} `{o['path']}:{o['line']}` {o['text']}" for o in r["oldest"]["markers"]]
    return "\n".join(lines) + "\n"
