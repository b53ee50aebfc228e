"""Debt markers: scan speed, backfill speed and forecast quality on real histories.

1. Scan vs ``git grep``: ``scan_tree`` (comment-only counting, in-process) against
   ``git grep -I -c -w -E 'TODO|FIXME|HACK|XXX'`` (which also counts code and strings) on
   large real repositories: git repositories given with ``--scan-repo`` (a bare repository
   is cloned locally first) and PyPI source distributions (``--sdist django``: downloaded
   with pip, unpacked and committed into a temporary git repository). Target: within 3x.
2. Backfill: 24 monthly snapshots of a generated 5,000-file repository with two years of
   history (written with ``git fast-import``, dates set per commit). Target: < 30 s.
3. Forecasts on real projects' histories: monthly marker counts of each ``--history-repo``
   over its whole life, computed from git objects. At every month (after the first year)
   the forecast is made from the history up to then only and compared with what followed,
   at 30/90/180 days: teamlore's backtested choice, "no change" and the seed tool's
   straight-line rule. Also: how often the 80% interval held the actual value, and how
   often each side claimed "doubles within a year" against how often that happened:
   teamlore warns from a probability (``forecast.doubling_probability``); the threshold
   is chosen on half of the repositories (best F0.5) and recall / precision are reported on
   the other half, beside the straight line's, then with the halves swapped. Calibration:
   predicted against observed share of doublings in probability bins, and Brier scores.
   Neighbouring model settings are scored the same way, so the figure does not rest on one
   setting. ``--from-results FILE`` re-runs only the forecasts on the monthly series stored
   in an earlier results file (no repositories needed).

Results: bench/results/debt_bench.json.

Usage: python bench/debt_bench.py [--scan-repo PATH ...] [--sdist NAME ...]
                                  [--history-repo PATH ...] [--files 5000] [--quick]
       python bench/debt_bench.py --from-results bench/results/debt_bench.json
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from datetime import datetime, timedelta, timezone
from itertools import pairwise
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from machine import finish, machine, save_results  # noqa: E402

from memory_store.config import DEFAULT_MARKERS  # noqa: E402
from memory_store.debt.backfill import TreeCounter, backfill, parse_since, plan  # noqa: E402
from memory_store.debt.files import scan_tree  # noqa: E402
from memory_store.debt.forecast import (  # noqa: E402
    DOUBLING_DISPERSION,
    DOUBLING_PRIOR_ADDED,
    DOUBLING_WARN_AT,
    DOUBLING_WINDOW_DAYS,
    doubling_probability,
    forecast,
    regularize,
    seed_days_to_double,
)
from memory_store.debt.snapshots import SnapshotStore  # noqa: E402
from memory_store.workspace import Workspace  # noqa: E402

RESULTS = REPO / "bench" / "results" / "debt_bench.json"
GREP = ["grep", "-I", "-c", "-w", "-E", "TODO|FIXME|HACK|XXX"]
HORIZONS = (30, 90, 180)
UTC = timezone.utc


def git(root: Path, *args: str, **kw: Any) -> str:
    env = dict(os.environ, GIT_CONFIG_NOSYSTEM="1", GIT_AUTHOR_NAME="bench", GIT_AUTHOR_EMAIL="b@example.com",
               GIT_COMMITTER_NAME="bench", GIT_COMMITTER_EMAIL="b@example.com")
    return subprocess.run(["git", *args], cwd=root, env=env, check=True, capture_output=True,
                          text=True, **kw).stdout


def _children_cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def median_time(fn, repeat: int) -> tuple[float, float]:
    """Median wall seconds and median CPU seconds (this process and its children)."""
    walls, cpus = [], []
    for _ in range(repeat):
        start, cpu0, child0 = time.perf_counter(), time.process_time(), _children_cpu()
        fn()
        walls.append(time.perf_counter() - start)
        cpus.append(time.process_time() - cpu0 + _children_cpu() - child0)
    return statistics.median(walls), statistics.median(cpus)


def table(title: str, columns: list[str], rows: list[list[Any]]) -> None:
    cells = [[str(c) for c in columns]] + [["" if v is None else str(v) for v in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(columns))]
    print(f"\n{title}")
    for n, r in enumerate(cells):
        print("  " + "  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)))
        if n == 0:
            print("  " + "  ".join("-" * w for w in widths))


# --- 1. scan vs git grep ------------------------------------------------------------

def worktree_from(path: Path, tmp: Path) -> Path:
    """A work tree for ``path``: itself, or a local clone of a bare repository."""
    if (path / ".git").exists():
        return path
    dest = tmp / path.parent.name.replace("+", "_")
    if not dest.exists():
        git(tmp, "clone", "-q", "--no-hardlinks", str(path), str(dest))
    return dest


def sdist_repo(name: str, tmp: Path) -> Path:
    """Download a PyPI source distribution and commit its files into a new git repository."""
    dl = tmp / f"dl-{name}"
    dl.mkdir(exist_ok=True)
    subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--no-binary", ":all:",
                    "-d", str(dl), name], check=True)
    archive = next(p for p in dl.iterdir() if p.name.endswith((".tar.gz", ".zip")))
    dest = tmp / f"sdist-{name.replace('=', '_')}"
    dest.mkdir()
    with tarfile.open(archive) as tar:
        tar.extractall(dest, filter="data")
    (top,) = list(dest.iterdir())
    git(top, "init", "-q")
    git(top, "add", "-A")
    git(top, "commit", "-q", "-m", "sdist")
    return top


def bench_scan(root: Path, label: str, repeat: int) -> dict[str, Any]:
    files = len(git(root, "ls-files").splitlines())
    subprocess.run(["git", *GREP], cwd=root, capture_output=True, check=False)  # warm the cache
    grep_s, grep_cpu = median_time(
        lambda: subprocess.run(["git", *GREP], cwd=root, capture_output=True, check=False), repeat)
    grep_lines = sum(int(line.rsplit(":", 1)[1]) for line in subprocess.run(
        ["git", *GREP], cwd=root, capture_output=True, text=True, check=False).stdout.splitlines())
    result = scan_tree(root, DEFAULT_MARKERS)
    scan_s, scan_cpu = median_time(lambda: scan_tree(root, DEFAULT_MARKERS), repeat)
    start = time.perf_counter()
    cli = subprocess.run([sys.executable, "-m", "server", "--root", str(root), "debt", "scan", "--json"],
                         capture_output=True, text=True, check=True, cwd=REPO)
    cli_s = time.perf_counter() - start
    assert json.loads(cli.stdout)["total"] == result.total
    return {"repo": label, "files": files, "git_grep_s": round(grep_s, 4), "scan_s": round(scan_s, 4),
            "ratio": round(scan_s / grep_s, 2), "git_grep_cpu_s": round(grep_cpu, 4),
            "scan_cpu_s": round(scan_cpu, 4), "cpu_ratio": round(scan_cpu / grep_cpu, 2), "cli_s": round(cli_s, 2),
            "grep_lines": grep_lines, "comment_markers": result.total}


# --- 2. backfill of a generated repository ----------------------------------------

EXTS = ("py", "js", "ts", "go", "rs", "c", "java", "sh", "yaml", "sql", "md", "json")
COMMENT = {"py": "#", "sh": "#", "yaml": "#", "sql": "--", "md": None, "json": None}


def _source(rng: random.Random, ext: str, lines: int) -> bytes:
    mark = COMMENT.get(ext, "//")
    out = []
    for i in range(lines):
        r = rng.random()
        word = rng.choice(("TODO", "FIXME", "HACK", "XXX"))
        if ext == "md":
            out.append(f"<!-- {word}: section {i} -->" if r < 0.02 else f"Paragraph {i} about {word.lower()}s.")
        elif ext == "json":
            out.append(f'  "key{i}": "{word if r < 0.05 else "value"} {i}",')
        elif r < 0.02:
            out.append(f"{mark} {word}: handle case {i} ({rng.randint(0, 99999)})")
        elif r < 0.04:
            out.append(f'x{i} = "{word} inside a string {i}"')
        else:
            out.append(f"value_{i} = compute({i}, {rng.randint(0, 1000)})")
    return ("\n".join(out) + "\n").encode()


def generated_repo(root: Path, files: int, months: int, seed: int = 1) -> datetime:
    """``files`` files, then ``months`` of history (8 commits a month touching ~25 files)."""
    rng = random.Random(seed)
    root.mkdir(parents=True)
    git(root, "init", "-q", "-b", "main")
    paths = [f"pkg{i % 50}/mod{i // 50}/file{i}.{rng.choice(EXTS)}" for i in range(files)]
    start = datetime(2022, 1, 3, 9, tzinfo=UTC)
    chunks: list[bytes] = []

    def commit(mark: int, when: datetime, changes: dict[str, bytes | None]) -> None:
        ts = int(when.timestamp())
        msg = f"change {mark}".encode()
        chunks.append(f"commit refs/heads/main\nmark :{mark}\nauthor b <b@example.com> {ts} +0000\n"
                      f"committer b <b@example.com> {ts} +0000\ndata {len(msg)}\n".encode() + msg + b"\n")
        if mark > 1:
            chunks.append(f"from :{mark - 1}\n".encode())
        for path, data in changes.items():
            if data is None:
                chunks.append(f"D {path}\n".encode())
            else:
                chunks.append(f"M 100644 inline {path}\ndata {len(data)}\n".encode() + data + b"\n")
        chunks.append(b"\n")

    commit(1, start, {p: _source(rng, p.rsplit(".", 1)[1], rng.randint(20, 120)) for p in paths})
    mark, when = 1, start
    for _ in range(months * 8):
        mark += 1
        when += timedelta(hours=rng.randint(61, 121))  # ~8 commits a month on average
        changes: dict[str, bytes | None] = {}
        for _ in range(25):
            p = rng.choice(paths)
            changes[p] = _source(rng, p.rsplit(".", 1)[1], rng.randint(20, 120))
        commit(mark, when, changes)
    subprocess.run(["git", "fast-import", "--quiet"], cwd=root, input=b"".join(chunks), check=True)
    git(root, "checkout", "-q", "main")
    return when


def bench_backfill(files: int, months: int, tmp: Path) -> dict[str, Any]:
    root = tmp / f"gen-{files}"
    t0 = time.perf_counter()
    last = generated_repo(root, files, months)
    gen_s = time.perf_counter() - t0
    ws = Workspace(root)
    now = last + timedelta(hours=1)
    since = parse_since(f"{months}m", now)
    t0 = time.perf_counter()
    summary = backfill(ws, DEFAULT_MARKERS, since=since, every="month", now=now)
    backfill_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    again = backfill(ws, DEFAULT_MARKERS, since=since, every="month", now=now)
    rerun_s = time.perf_counter() - t0
    # exactness spot check: the last snapshot equals a scan of the checked-out HEAD
    head_id = max(SnapshotStore(ws).load().records.values(), key=lambda r: r["date"])
    scanned = scan_tree(root, DEFAULT_MARKERS)
    assert head_id["total"] == scanned.total, (head_id["total"], scanned.total)
    return {"files": files, "commits": months * 8 + 1, "snapshots": summary["added"],
            "blobs_read": summary["blobs_read"], "generate_s": round(gen_s, 2),
            "backfill_s": round(backfill_s, 2), "rerun_s": round(rerun_s, 2), "rerun_added": again["added"],
            "head_total": scanned.total, "target_s": 30}


# --- 3. forecasts on real histories -------------------------------------------------

def monthly_history(repo: Path) -> list[tuple[datetime, float]]:
    """Marker count on the first day of every month of the repository's life."""
    first = git(repo, "log", "--first-parent", "--reverse", "--format=%ct", "HEAD").split("\n", 1)[0]
    since = datetime.fromtimestamp(int(first), UTC)
    planned = [p for p in plan(repo, since, "month") if p.date.day == 1 and p.date.hour == 0]
    points = []
    with TreeCounter(repo, DEFAULT_MARKERS) as counter:
        for p in planned:
            points.append((p.date, float(counter.count(p.commit).total)))
    return points


def evaluate(points: list[tuple[datetime, float]], min_history: int = 12, every: int = 1) -> dict[str, Any]:
    """Forecast from each origin with only the past, compare with what followed."""
    values = [v for _, v in points]
    err: dict[str, dict[int, list[float]]] = {m: {h: [] for h in HORIZONS} for m in ("teamlore", "naive", "seed")}
    covered: dict[int, list[bool]] = {h: [] for h in HORIZONS}
    chosen: dict[str, int] = {}
    claims = {"teamlore": 0, "seed": 0}
    claims_true = {"teamlore": 0, "seed": 0}
    doubled = origins = 0
    outcomes: list[tuple[float | None, bool, bool]] = []  # (teamlore's probability, seed claim, doubled)
    outcome_origins: list[int] = []
    for o in range(min_history, len(points) - 1, every):
        past = points[: o + 1]
        fc = forecast(past, (*HORIZONS, 365))
        origins += 1
        chosen[fc.method] = chosen.get(fc.method, 0) + 1
        y = values[o]
        rate = None
        (t0, y0), (t1, y1) = past[-2], past[-1]
        rate = (y1 - y0) / ((t1 - t0).total_seconds() / 86400)
        by_days = {row["days"]: row for row in fc.forecast}
        for h in HORIZONS:
            ahead = o + round(h / 30.4375)
            if ahead >= len(values):
                continue
            actual = values[ahead]
            err["teamlore"][h].append(abs(actual - by_days[h]["value"]))
            err["naive"][h].append(abs(actual - y))
            err["seed"][h].append(abs(actual - (y + rate * h)))
            covered[h].append(by_days[h]["low"] <= actual <= by_days[h]["high"])
        if o + 12 < len(values):
            did_double = y > 0 and max(values[o + 1: o + 13]) >= 2 * y
            doubled += did_double
            seed_days = seed_days_to_double(past)
            seed_claim = seed_days is not None and seed_days <= 365
            if seed_claim:
                claims["seed"] += 1
                claims_true["seed"] += did_double
            if fc.doubling_likely:
                claims["teamlore"] += 1
                claims_true["teamlore"] += did_double
            outcomes.append((fc.doubling_probability, seed_claim, did_double))
            outcome_origins.append(o)
    mae = {m: {h: round(statistics.fmean(v), 2) if v else None for h, v in hs.items()} for m, hs in err.items()}
    return {"origins": origins, "mae": mae,
            "coverage_80": {h: round(sum(c) / len(c), 3) if c else None for h, c in covered.items()},
            "chosen": chosen, "doubling_claims": claims, "doubling_claims_true": claims_true,
            "actually_doubled_within_a_year": doubled, "doubling_outcomes": outcomes,
            "doubling_origins": outcome_origins}


def doubling_scores(outcomes: list[tuple[float | None, bool, bool]], threshold: float) -> dict[str, dict[str, Any]]:
    """Recall and precision of "doubles within a year": teamlore's warning (probability >=
    ``threshold``) and the seed's straight line, over ``(probability, seed claim, doubled)``."""
    doubled = sum(d for _, _, d in outcomes)
    out = {}
    for who, warned in (("teamlore", [p is not None and p >= threshold for p, _, _ in outcomes]),
                        ("seed", [s for _, s, _ in outcomes])):
        true = sum(w and d for w, (_, _, d) in zip(warned, outcomes, strict=True))
        n = sum(warned)
        out[who] = {"origins": len(outcomes), "doubled": doubled, "warned": n, "true": true,
                    "false_alarms": n - true, "recall": round(true / doubled, 3) if doubled else None,
                    "precision": round(true / n, 3) if n else None}
    return out


def f_half(score: dict[str, Any]) -> float:
    """F0.5: precision weighs more than recall (a warning that is often wrong gets ignored)."""
    r, p = score["recall"] or 0.0, score["precision"] or 0.0
    return 1.25 * r * p / (0.25 * p + r) if r + p else 0.0


def _halves(histories: list[dict[str, Any]]) -> tuple[list[str], list[str]]:
    names = sorted(h["repo"] for h in histories)
    return names[::2], names[1::2]


def _pooled(histories: list[dict[str, Any]], repos: list[str], key: str = "doubling_outcomes") -> list[Any]:
    return [o for h in histories if h["repo"] in repos for o in h[key]]


THRESHOLDS = [round(0.05 * i, 2) for i in range(1, 20)]


def best_threshold(outcomes: list[tuple[float | None, bool, bool]]) -> float:
    """Best F0.5 of the warning over :data:`THRESHOLDS` (ties: the lower threshold)."""
    return max(THRESHOLDS, key=lambda t: (f_half(doubling_scores(outcomes, t)["teamlore"]), -t))


RELIABILITY_BINS = (0.0, 0.1, 0.2, 0.3, 0.5, 1.0001)


def reliability(outcomes: list[tuple[float | None, bool, bool]]) -> dict[str, list[dict[str, Any]]]:
    """Predicted against observed share of doublings: teamlore's probability in bins (no
    probability counts as 0), the straight line's claim (1) or no claim (0)."""
    rows = []
    for lo, hi in pairwise(RELIABILITY_BINS):
        inside = [(p or 0.0, d) for p, _, d in outcomes if lo <= (p or 0.0) < hi]
        rows.append({"bin": f"{lo:.1f}-{min(hi, 1.0):.1f}", "origins": len(inside),
                     "mean_predicted": round(statistics.fmean(p for p, _ in inside), 3) if inside else None,
                     "observed": round(sum(d for _, d in inside) / len(inside), 3) if inside else None})
    seed = []
    for claim in (True, False):
        inside = [d for _, s, d in outcomes if s == claim]
        seed.append({"bin": "claims doubling" if claim else "no claim", "origins": len(inside),
                     "mean_predicted": 1.0 if claim else 0.0,
                     "observed": round(sum(inside) / len(inside), 3) if inside else None})
    return {"teamlore": rows, "seed": seed}


def brier(outcomes: list[tuple[float | None, bool, bool]]) -> dict[str, float]:
    """Mean squared error of the probability (straight line: its claim as 1 or 0)."""
    return {"teamlore": round(statistics.fmean(((p or 0.0) - d) ** 2 for p, _, d in outcomes), 4),
            "seed": round(statistics.fmean((s - d) ** 2 for _, s, d in outcomes), 4),
            "base_rate": round(statistics.fmean(d for _, _, d in outcomes), 4)}


SENSITIVITY = {"window_days": (365, 730, 1095), "prior_added": (0.5, 1.0, 2.0), "dispersion": (0.5, 1.0, 2.0)}


def sensitivity(histories: list[dict[str, Any]], tuning: list[str], held_out: list[str]) -> dict[str, Any]:
    """The warning with neighbouring model settings: for each, the threshold tuned on one
    half and the result on the other (both ways); and the setting chosen on the tuning half
    together with its threshold (nested), so the reported figure is not one lucky setting."""
    grids: dict[str, list[tuple[list[float], float]]] = {}
    for h in histories:
        points = [(datetime.fromisoformat(d).replace(tzinfo=UTC), float(v)) for d, v in h["series"]]
        grids[h["repo"]] = [(g.values, g.step_days) for g in (regularize(points[: o + 1])
                                                             for o in h["doubling_origins"])]
    settings = [dict(zip(SENSITIVITY, combo, strict=True)) for combo in itertools.product(*SENSITIVITY.values())]
    rows, nested = [], {}
    per_setting: dict[int, dict[str, list[tuple[float | None, bool, bool]]]] = {}
    for i, kw in enumerate(settings):
        per_setting[i] = {}
        for h in histories:
            probs = [doubling_probability(v, step, **kw) for v, step in grids[h["repo"]]]
            per_setting[i][h["repo"]] = [(p, s, d) for p, (_, s, d) in zip(probs, h["doubling_outcomes"], strict=True)]
        row: dict[str, Any] = {**kw}
        for direction, (tune, report) in (("tuned_on_first", (tuning, held_out)),
                                          ("tuned_on_second", (held_out, tuning))):
            tune_o = [o for r in tune for o in per_setting[i][r]]
            rep_o = [o for r in report for o in per_setting[i][r]]
            t = best_threshold(tune_o)
            row[direction] = {"threshold": t, "tuning_f05": round(f_half(doubling_scores(tune_o, t)["teamlore"]), 3),
                              **{k: doubling_scores(rep_o, t)["teamlore"][k]
                                 for k in ("warned", "true", "false_alarms", "recall", "precision")}}
        rows.append(row)
    for direction in ("tuned_on_first", "tuned_on_second"):
        best = max(range(len(rows)), key=lambda i: rows[i][direction]["tuning_f05"])
        nested[direction] = {**settings[best], **rows[best][direction]}
    recalls = {d: sorted(r[d]["recall"] or 0.0 for r in rows) for d in ("tuned_on_first", "tuned_on_second")}
    return {"settings": rows, "nested_choice": nested,
            "held_out_recall_range": {d: [v[0], statistics.median(v), v[-1]] for d, v in recalls.items()}}


def doubling_warning(histories: list[dict[str, Any]]) -> dict[str, Any]:
    """Choose the warning threshold on half of the repositories (alternate ones in name
    order), report it on the other half; then the same with the halves swapped."""
    first, second = _halves(histories)
    pooled = {"tuning": _pooled(histories, first), "held_out": _pooled(histories, second)}
    best = best_threshold(pooled["tuning"])
    out: dict[str, Any] = {"threshold": best, "threshold_in_code": DOUBLING_WARN_AT,
                           "criterion": "best F0.5 on the tuning half (ties: the lower threshold)",
                           "model": {"window_days": DOUBLING_WINDOW_DAYS, "prior_added": DOUBLING_PRIOR_ADDED,
                                     "dispersion": DOUBLING_DISPERSION},
                           "sweep_on_tuning": {str(t): doubling_scores(pooled["tuning"], t)["teamlore"]
                                               for t in THRESHOLDS}}
    for key, label, repos in (("tuning", "tuning half", first), ("held_out", "held-out half", second)):
        out[key] = {"label": label, "repos": repos, **doubling_scores(pooled[key], best)}
    swapped = best_threshold(pooled["held_out"])
    out["swapped"] = {"label": "first half, threshold tuned on the second", "threshold": swapped,
                      "repos": first, **doubling_scores(pooled["tuning"], swapped)}
    everything = pooled["tuning"] + pooled["held_out"]
    out["all"] = {"label": "all", **doubling_scores(everything, DOUBLING_WARN_AT)}
    out["reliability"] = {"all": reliability(everything), "held_out": reliability(pooled["held_out"]),
                          "tuning": reliability(pooled["tuning"])}
    out["brier"] = {"all": brier(everything), "held_out": brier(pooled["held_out"]), "tuning": brier(pooled["tuning"])}
    out["independent_doubling_events"] = doubling_events(histories)
    if all("doubling_origins" in h for h in histories):
        out["sensitivity"] = sensitivity(histories, first, second)
    return out


def doubling_events(histories: list[dict[str, Any]]) -> int:
    """Runs of consecutive origins that doubled: one jump makes up to twelve positive origins."""
    events = 0
    for h in histories:
        prev = False
        for _, _, d in h["doubling_outcomes"]:
            events += d and not prev
            prev = d
    return events


def bench_history(repo: Path, every: int) -> dict[str, Any]:
    t0 = time.perf_counter()
    points = monthly_history(repo)
    series_s = time.perf_counter() - t0
    ev = evaluate(points, every=every)
    return {"repo": repo.parent.name if repo.name == "repo" else repo.name, "months": len(points),
            "first": points[0][0].date().isoformat(), "start_count": points[0][1], "end_count": points[-1][1],
            "series_s": round(series_s, 2), "series": [[d.date().isoformat(), v] for d, v in points], **ev}


def summarize(out: dict[str, Any], histories: list[dict[str, Any]]) -> None:
    """Tables and ``out["summary"]`` over the forecasts of every history."""
    rows = []
    for h in histories:
        for d in HORIZONS:
            rows.append([h["repo"] if d == HORIZONS[0] else "", d, h["mae"]["teamlore"][d], h["mae"]["naive"][d],
                         h["mae"]["seed"][d], h["coverage_80"][d]])
    table("3. forecast error on real histories (MAE in markers; forecasts use only the past)",
          ["repository", "days", "teamlore", "no change", "seed line", "80% coverage"], rows)
    def ratio(h: dict[str, Any], m: str, d: int) -> float | None:
        base = h["mae"]["naive"][d]
        return h["mae"][m][d] / base if base else None

    rel = {m: {d: round(statistics.fmean(r for h in histories if (r := ratio(h, m, d)) is not None), 3)
               for d in HORIZONS} for m in ("teamlore", "naive", "seed")}
    totals = {m: {d: round(statistics.fmean(h["mae"][m][d] for h in histories if h["mae"][m][d] is not None), 2)
                  for d in HORIZONS} for m in ("teamlore", "naive", "seed")}
    cov = {d: round(statistics.fmean(h["coverage_80"][d] for h in histories if h["coverage_80"][d] is not None), 3)
           for d in HORIZONS}
    out["summary"] = {"mean_mae": totals, "relative_to_no_change": rel, "mean_coverage_80": cov,
                      "doubling_claims": {k: sum(h["doubling_claims"][k] for h in histories)
                                          for k in ("teamlore", "seed")},
                      "doubling_claims_true": {k: sum(h["doubling_claims_true"][k] for h in histories)
                                               for k in ("teamlore", "seed")},
                      "origins": sum(h["origins"] for h in histories),
                      "actually_doubled_within_a_year": sum(h["actually_doubled_within_a_year"] for h in histories)}
    s = out["summary"]
    table("   mean over repositories of MAE relative to no change (below 1.0: better than no change)",
          ["days", "teamlore", "no change", "seed line", "teamlore 80% coverage"],
          [[d, rel["teamlore"][d], 1.0, rel["seed"][d], cov[d]] for d in HORIZONS])
    table("   'doubles within a year' claims over all forecast origins",
          ["", "claims", "of which came true", "origins", "actually doubled"],
          [["teamlore", s["doubling_claims"]["teamlore"], s["doubling_claims_true"]["teamlore"], s["origins"],
            s["actually_doubled_within_a_year"]],
           ["seed line", s["doubling_claims"]["seed"], s["doubling_claims_true"]["seed"], s["origins"],
            s["actually_doubled_within_a_year"]]])
    choices: dict[str, int] = {}
    for h in histories:
        for k, v in h["chosen"].items():
            choices[k] = choices.get(k, 0) + v
    out["summary"]["methods_chosen"] = choices
    print(f"\n   methods chosen: {choices}")
    warning = out["summary"]["doubling_warning"] = doubling_warning(histories)
    table(f"   teamlore's doubling warning (probability >= {warning['threshold']}, chosen on the tuning half; "
          f"swapped: >= {warning['swapped']['threshold']}, chosen on the other) against the straight line",
          ["half", "rule", "origins", "doubled", "warned", "came true", "false alarms", "recall", "precision"],
          [[warning[k]["label"], who, warning[k][who]["origins"], warning[k][who]["doubled"], warning[k][who]["warned"],
            warning[k][who]["true"], warning[k][who]["false_alarms"], warning[k][who]["recall"],
            warning[k][who]["precision"]]
           for k in ("tuning", "held_out", "swapped") for who in ("teamlore", "seed")])
    rel = warning["reliability"]["all"]
    table(f"   calibration over all origins ({warning['independent_doubling_events']} separate doubling events; "
          f"Brier teamlore {warning['brier']['all']['teamlore']}, straight line {warning['brier']['all']['seed']})",
          ["rule", "predicted", "origins", "mean predicted", "observed share"],
          [[who, b["bin"], b["origins"], b["mean_predicted"], b["observed"]] for who in ("teamlore", "seed")
           for b in rel[who]])
    if "sensitivity" in warning:
        sens = warning["sensitivity"]
        table("   neighbouring model settings (recall on the half not tuned on: min / median / max; nested: "
              "setting and threshold both chosen on the tuning half)",
              ["direction", "recall range", "nested setting", "threshold", "recall", "precision", "false alarms"],
              [[d, sens["held_out_recall_range"][d],
                f"{n['window_days']}d / {n['prior_added']} / {n['dispersion']}", n["threshold"], n["recall"],
                n["precision"], n["false_alarms"]] for d, n in sens["nested_choice"].items()])
    if warning["threshold"] != DOUBLING_WARN_AT:
        print(f"   note: forecast.DOUBLING_WARN_AT is {DOUBLING_WARN_AT}, this run chose {warning['threshold']}")


def rerun_forecasts(previous: Path, out_path: Path) -> int:
    """The forecast part again, on the monthly series of an earlier results file (its scan
    and backfill figures are kept as they were)."""
    old = json.loads(previous.read_text())
    out: dict[str, Any] = {**old, "machine": machine(), "forecasts_rerun_from": str(previous.name)}
    histories = []
    for h in old["histories"]:
        points = [(datetime.fromisoformat(d).replace(tzinfo=UTC), float(v)) for d, v in h["series"]]
        histories.append({**{k: h[k] for k in ("repo", "months", "first", "start_count", "end_count", "series_s",
                                               "series")}, **evaluate(points)})
    out["histories"] = histories
    summarize(out, histories)
    save_results(out_path, finish(out))
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scan-repo", action="append", default=[], type=Path, help="git repository to scan")
    ap.add_argument("--sdist", action="append", default=[], help="PyPI project whose sdist is scanned")
    ap.add_argument("--history-repo", action="append", default=[], type=Path, help="git repository with history")
    ap.add_argument("--files", type=int, default=5000)
    ap.add_argument("--months", type=int, default=24)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--quick", action="store_true", help="smaller sizes, every third origin")
    ap.add_argument("--from-results", type=Path, metavar="FILE",
                    help="re-run only the forecasts on the monthly series stored in this results file")
    ap.add_argument("--out", type=Path, default=RESULTS)
    args = ap.parse_args()
    if args.from_results:
        return rerun_forecasts(args.from_results, args.out)
    if args.quick:
        args.files, args.repeat = min(args.files, 1000), 3
    if not args.scan_repo and not args.sdist:
        args.sdist = ["django"]
    out: dict[str, Any] = {"machine": machine(), "git": git(REPO, "--version").strip()}
    print(f"load average at start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs (wall times depend on it; "
          "CPU times less so)")
    with tempfile.TemporaryDirectory(prefix="debt-bench-") as tmp_name:
        tmp = Path(tmp_name)
        scans = []
        for path in args.scan_repo:
            scans.append(bench_scan(worktree_from(path.resolve(), tmp), path.parent.name if path.name == "repo"
                                    else path.name, args.repeat))
        for name in args.sdist:
            scans.append(bench_scan(sdist_repo(name, tmp), f"{name} (sdist)", args.repeat))
        out["scan"] = scans
        table("1. scan vs git grep (median seconds; target: ratio <= 3)",
              ["repository", "files", "git grep", "teamlore scan", "ratio", "CPU ratio", "CLI cold", "grep lines",
               "in comments"],
              [[s["repo"], s["files"], s["git_grep_s"], s["scan_s"], s["ratio"], s["cpu_ratio"], s["cli_s"],
                s["grep_lines"], s["comment_markers"]] for s in scans])

        bf = bench_backfill(args.files, args.months, tmp)
        out["backfill"] = bf
        table("2. backfill from git objects (target < 30 s)",
              ["files", "commits", "snapshots", "file versions read", "backfill s", "re-run s", "re-run added"],
              [[bf["files"], bf["commits"], bf["snapshots"], bf["blobs_read"], bf["backfill_s"], bf["rerun_s"],
                bf["rerun_added"]]])

    histories = [bench_history(p.resolve(), 3 if args.quick else 1) for p in args.history_repo]
    out["histories"] = histories
    if histories:
        summarize(out, histories)
    save_results(args.out, finish(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
