"""Every benchmark figure in README.md and bench/README.md, generated from bench/results/*.json.

The figures live between marker comments::

    <!-- bench:NAME -->
    ...generated text...
    <!-- /bench:NAME -->

``python bench/report.py`` rewrites every block from the results files; ``--check`` rewrites
nothing and exits 1 when a block differs from what its results file gives (or names no
known renderer, or its results file is missing). Each block says what was measured: sizes,
sample counts, machine (CPUs, load average at run time) and cold vs warm.

To add a figure: write a renderer ``def render_x(results: Results) -> str`` and register it
with ``@renderer("x", "file.json", ...)``; then put the marker pair where the figure belongs.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = ROOT / "bench" / "results"
READMES = (ROOT / "README.md", ROOT / "bench" / "README.md")

BLOCK = re.compile(r"(<!-- bench:(?P<name>[a-z0-9_]+) -->\n)(?P<body>.*?)(<!-- /bench:(?P=name) -->)", re.S)

Results = dict[str, Any]
"""Results files by name (without ``.json``)."""


@dataclass(frozen=True)
class Renderer:
    name: str
    files: tuple[str, ...]
    render: Callable[[Results], str]


REGISTRY: dict[str, Renderer] = {}


def renderer(name: str, *files: str) -> Callable[[Callable[[Results], str]], Callable[[Results], str]]:
    """Register ``render`` for the block ``name``; it reads ``files`` from bench/results/."""
    def register(render: Callable[[Results], str]) -> Callable[[Results], str]:
        REGISTRY[name] = Renderer(name, files, render)
        return render
    return register


class MissingResults(Exception):
    pass


def load(files: tuple[str, ...], results_dir: Path = RESULTS_DIR) -> Results:
    """The named results files, by name without ``.json``."""
    out = {}
    for name in files:
        path = results_dir / name
        if not path.is_file():
            raise MissingResults(f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path} not found")
        out[name.removesuffix(".json")] = json.loads(path.read_text(encoding="utf-8"))
    return out


# -- formatting ------------------------------------------------------------------------

def num(x: float | int | None, digits: int = 2) -> str:
    """A number for a table: ``digits`` decimals below 10, one fewer below 100, none above (with
    thousands separators); ``-`` for none."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    if isinstance(x, int) or (float(x).is_integer() and abs(x) >= 100):
        return f"{int(x):,}"
    if abs(x) >= 100:
        return f"{x:,.0f}"
    if abs(x) >= 10:
        return f"{x:.{max(0, digits - 1)}f}"
    return f"{x:.{digits}f}"


def table(head: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def machine_line(r: dict[str, Any], source: str) -> str:
    """Where the figures come from and the machine they were measured on."""
    m = r.get("machine")
    if m:
        load = m.get("load_average") or []
        parts = [f"{m.get('cpus')} CPUs", f"load average {load[0]:.1f} at start" if load else None]
        end = m.get("load_average_at_end")
        if end:
            parts.append(f"{end[0]:.1f} at end")
        if m.get("busy"):
            parts.append(m["busy"])
        cpus = m.get("cpus") or 1
        if max([*load[:1], *(end or [])[:1]], default=0) >= 2 * cpus:
            parts.append("overloaded by other work: times are inflated, wall clock most")
        parts += [f"Python {m.get('python')}", m.get("date")]
        where = ", ".join(p for p in parts if p)
    else:  # files written before every script recorded the machine
        cpus = r.get("cpus")
        load = r.get("load_average", r.get("load_average_at_start"))
        if isinstance(load, list):
            load = load[0]
        bits = [f"{cpus} CPUs" if cpus else None,
                f"load average {load:.1f}" if isinstance(load, (int, float)) else "load average not recorded"]
        where = ", ".join(b for b in bits if b)
    return f"Measured on a shared machine ({where}); `bench/results/{source}`."


# -- renderers ---------------------------------------------------------------------------

def _pp(d: dict[str, Any], *keys: str, digits: int = 1) -> str:
    return " / ".join(num(d[k], digits) for k in keys)


@renderer("lsp_latency", "lsp_bench.json")
def render_lsp(res: Results) -> str:
    r = res["lsp_bench"]
    cold = r["hover_cold_ms"]
    rows = []
    if "hover_matcher_ms" in r:
        m = r["hover_matcher_ms"]
        rows.append([f"hover p50 / p95 / max, cold: the match cache emptied first, so each hover runs the "
                     f"matcher (n = {cold['n']})", f"{_pp(cold, 'p50', 'p95', 'max')} ms", "p95 < 50 ms"])
        rows.append([f"the matcher alone, in-process on the same records and errors, parsing included "
                     f"(n = {m['n']})",
                     f"{_pp(m, 'p50', 'p95', 'max', digits=2)} ms", ""])
    else:
        rows.append(["hover p50 / p95 / max, first hover of each error (answered from the match cache "
                     "the forwarded errors had filled: not cold)", f"{_pp(cold, 'p50', 'p95', 'max')} ms",
                     "p95 < 50 ms"])
    warm = r["hover_warm_ms"]
    n_warm = warm.get("n", r["distinct_errors_hovered"])
    rows.append([f"hover p50 / p95 / max, warm: the same errors again (n = {n_warm})",
                 f"{_pp(warm, 'p50', 'p95', 'max')} ms", "p95 < 50 ms"])
    el = r["hover_elsewhere_ms"]
    rows.append([f"hover where there is no error (n = {el.get('n', 200)})", f"{_pp(el, 'p50', 'p95')} ms", ""])
    if r.get("hover_during_scan_ms"):
        s = r["hover_during_scan_ms"]
        rows.append([f"hover p50 / p95 while an on-save bandit scan of a 3,000-function file runs "
                     f"({num(r['scan_of_3000_line_file_s'], 1)} s; n = {s['n']})", f"{_pp(s, 'p50', 'p95')} ms",
                     "p95 < 50 ms"])
    live = r["new_record_to_hover_ms"]
    rows.append([f"new record file on disk -> hover shows it (median / max of {live['n']})",
                 f"{_pp(live, 'median', 'max', digits=0)} ms", "< 1 s"])
    st = r["new_record_to_hover_under_steady_writes_ms"]
    rows.append([f"the same while another process writes a record every 20 ms (median / p95 / max of {st['n']})",
                 f"{_pp(st, 'median', 'p95', 'max', digits=0)} ms", "< 1 s"])
    rf = r["record_fix_ms"]
    rows.append([f"`teamlore.recordFix` with {num(rf['forwarded_diagnostics'])} distinct forwarded errors "
                 f"(p50 / p95 of {rf['n']})", f"{_pp(rf, 'p50', 'p95', digits=0)} ms", ""])
    rows.append(["process start -> `initialize` answered", f"{num(r['start_to_initialize_ms'] / 1000, 1)} s", ""])
    rows.append([f"process start -> first hover with a past fix, first start ({num(r['records'])} records read, "
                 "indexed, cache written)", f"{num(r['start_to_first_fix_hover_ms'] / 1000, 1)} s", ""])
    rows.append(["restart -> first hover with a past fix (index cache)",
                 f"{num(r['restart_to_first_fix_hover_ms'] / 1000, 1)} s", ""])
    rows.append([f"server resident memory with {num(r['records'])} records", f"{num(r['server_rss_mib'], 0)} MiB", ""])
    return (f"{num(r['records'])} records, {r['distinct_errors_hovered']} distinct forwarded errors hovered. "
            + machine_line(r, "lsp_bench.json") + "\n\n" + table(["measure", "result", "target"], rows))


@renderer("soak", "soak.json")
def render_soak(res: Results) -> str:
    r = res["soak"]
    lat = r["latency"]
    rows = []
    names = {"hover": "hover over a known error", "record": "`teamlore.recordFix`",
             "decide": "`teamlore.markFalsePositive`",
             "disk_to_hover": "a teammate's new record file -> hover shows it"}
    for op, label in names.items():
        s = lat.get(op)
        if not s or not s["count"]:
            continue
        rows.append([label, num(s["count"]), str(s["failed"]),
                     " / ".join(num(s[k], 1) for k in ("p50_ms", "p95_ms", "p99_ms", "max_ms"))])
    rss = r["rss_mb"]
    d2h = lat["disk_to_hover"]
    met = d2h["count"] and d2h["p95_ms"] < 1000 and d2h["max_ms"] < 2000
    return (f"{num(r['seconds'], 0)} s, {r['clients']} clients on one connection plus another process "
            f"writing a record file 0.5 s after the previous one showed in hover, {num(r['seed_records'])} records "
            f"at start, {r['forwarded_diagnostics']} forwarded errors, {num(r['operations'])} operations "
            f"({num(r['ops_per_second'], 0)}/s). "
            + machine_line(r, "soak.json") + "\n\n"
            + table(["operation", "count", "failed", "p50 / p95 / p99 / max (ms)"], rows) + "\n\n"
            + f"New record to hover: target p95 < 1 s and max < 2 s: {'met' if met else 'MISSED'}. "
            f"Lost operations: {r['lost_operations']} (of {num(r['records_through_server'])} records through the "
            f"server, {num(r['records_external'])} written by another process, {num(r['decisions'])} decisions). "
            f"Server memory: {num(rss['after_warmup'], 0)} MB after warm-up, {num(rss['end'], 0)} MB at the end "
            f"(max {num(rss['max'], 0)} MB), holding {num(r['records_through_server'] + r['records_external'])} "
            "more records than at the start.")


@renderer("mcp_latency", "mcp_latency.json")
def render_mcp(res: Results) -> str:
    r = res["mcp_latency"]
    rows = []
    for s in r["results"]:
        m = s["match_ms"]
        rows.append([num(s["records"]), str(s["queries"]), " / ".join(num(m[k], 1) for k in ("p50", "p95", "p99")),
                     num(s["record_fix_ms_p50"], 1), num(s["start_s"], 2), num(s["first_answer_s"], 2),
                     num(s["restart_first_answer_s"], 2)])
    return (machine_line(r, "mcp_latency.json") + " Record files are older than the 2 s within which a file time "
            "is not trusted, as in a real checkout.\n\n"
            + table(["records", "queries (n)", "`match_error` p50 / p95 / p99 (ms)", "`record_fix` p50 (ms)",
                     "start to initialized (s)", "first answer, no cache (s)", "first answer after a restart (s)"],
                    rows))


@renderer("match_speed", "match_speed.json")
def render_match_speed(res: Results) -> str:
    r = res["match_speed"]
    rows = []
    for size, s in sorted(r["sizes"].items(), key=lambda kv: int(kv[0])):
        seed = (f"{num(s['seed_p50_ms'], 0)} (n = {s['seed_queries']})" if s.get("seed_p50_ms") else "-")
        speed = f"{num(s['speedup_vs_seed_p50'], 0)}x" if s.get("speedup_vs_seed_p50") else "-"
        rows.append([num(int(size)), f"{num(s['teamlore_p50_ms'])} / {num(s['teamlore_p99_ms'])}",
                     num(s["teamlore_cpu_p99_ms"]), f"{num(s['scan_p50_ms'])} / {num(s['scan_p99_ms'])}",
                     seed, speed,
                     f"{num(s['cold_library_warm_s'])} / {num(s['cold_cli_warm_s'])}",
                     f"{num(s['cold_library_no_cache_s'])} / {num(s['cold_cli_no_cache_s'])}"])
    targets = []
    big, mid = r["sizes"].get("100000"), r["sizes"].get("10000")
    if big:
        ok = "met" if big["teamlore_p99_ms"] < 5 else \
            "met in CPU time" if big["teamlore_cpu_p99_ms"] < 5 else "missed"
        targets.append(f"p99 < 5 ms at 100,000 records: {ok} ({num(big['teamlore_p99_ms'])} ms wall clock, "
                       f"{num(big['teamlore_cpu_p99_ms'])} ms CPU)")
    if mid and mid.get("speedup_vs_seed_p50"):
        targets.append(f">= 100x the seed at 10,000: {num(mid['speedup_vs_seed_p50'], 0)}x")
    if mid:
        targets.append(f"cold start with 10,000 records and the index cache < 1 s: "
                       f"{num(mid['cold_library_warm_s'])} s (library), {num(mid['cold_cli_warm_s'])} s (CLI)")
    return (f"{num(r['queries'])} queries per size, given as text (parsing included); the rapidfuzz scan over "
            f"{r.get('scan_queries', 200)} of them; the seed tool's p50 rests on n queries (it reads every record "
            "file per query); cold starts are new processes. " + machine_line(r, "match_speed.json") + "\n\n"
            + table(["records", "teamlore p50 / p99 (ms)", "p99 CPU time (ms)", "rapidfuzz scan p50 / p99 (ms)",
                     "seed p50 (ms)", "teamlore vs seed", "cold start with cache, library / CLI (s)",
                     "cold start without cache (s)"], rows)
            + ("\n\nTargets: " + "; ".join(targets) + "." if targets else ""))


@renderer("bug_cache", "bug_cache.json", "bug_cache_pickle.json")
def render_bug_cache(res: Results) -> str:
    new, old = res["bug_cache"]["sizes"]["10000"], res["bug_cache_pickle"]["sizes"]["10000"]

    def triple(d: dict[str, Any], kind: str) -> str:
        return " / ".join(num(d[f"{kind}_{k}_s"]) for k in ("no_cache", "warm", "one_file_changed"))

    rows = [["`teamlore bugs match`, no cache / warm / one file changed (s)", triple(old, "cli"), triple(new, "cli")],
            ["`load_index` in-process, no cache / warm / one file changed (s)", triple(old, "load"),
             triple(new, "load")],
            ["cache file size (MB)", num(old["cache_bytes"] / 1e6, 1), num(new["cache_bytes"] / 1e6, 1)]]
    return ("10,000 records, medians of 5. " + machine_line(res["bug_cache"], "bug_cache.json") + "\n\n"
            + table(["10k records", "pickle (before)", "MessagePack + HMAC (after)"], rows))


@renderer("first_start", "first_start.json")
def render_first_start(res: Results) -> str:
    r = res["first_start"]
    rows = []
    for size, s in sorted(r["sizes"].items(), key=lambda kv: int(kv[0])):
        b, a = s["before"], s["after"]
        rows.append([num(int(size)), num(b["cold_answer_s"]), f"{num(a['cold_answer_s'])} / {num(a['cold_exit_s'])}",
                     f"{num(b['cold_cpu_s'])} / {num(a['cold_cpu_s'])}",
                     f"{num(b['warm_answer_s'])} / {num(a['warm_answer_s'])}"])
    if "machine" not in r:
        r = {**r, "load_average": r.get("load_average_at_start")}
    return (f"Real CLI, one query, median of {r['repeat']}. " + machine_line(r, "first_start.json") + "\n\n"
            + table(["records", "before: first start answer (s)", "after: answer / exit (s)", "CPU before / after (s)",
                     "later start, before / after (s)"], rows))


@renderer("glob", "glob.json")
def render_glob(res: Results) -> str:
    r = res["glob"]
    rows = []
    for h in r["hostile"]:
        before = f"> {num(r['timeout_s'], 0)}" if h["before_timed_out"] else f"{h['before_s']:.3g}"
        rows.append([f"`**` x {h['stars']} + `Z`", before, f"{h['after_s']:.5f}"])
    o = r["ordinary"]
    return (machine_line(r, "glob.json") + "\n\n" + table(["pattern", "before (s)", "after (s)"], rows)
            + f"\n\nAn ordinary glob (`{o['glob']}`) costs {num(o['after_us'], 1)} us per match instead of "
            f"{num(o['before_us'], 1)} us.")


@renderer("redaction", "redaction.json")
def render_redaction(res: Results) -> str:
    r = res["redaction"]
    files = list(r["real_records"])
    labels = {"both": "both"}
    rows = []
    for name, s in r["redactors"].items():
        label = labels.get(name, name)
        if name.startswith("teamlore at "):
            label = f"rules before (`--baseline {name.removeprefix('teamlore at ')}`)"
        elif name == "teamlore":
            label = "teamlore rules"
        rows.append([label, str(len(s["survivors"]))] + [str(s["false_redactions"][f]) for f in files]
                    + [num(s["seconds_per_mb"])])
    sizes = ", ".join(f"{f}: {n}" for f, n in r["real_records"].items())
    return (f"{r['corpus']} made-up secrets of {r['corpus_kinds']} kinds; real records ({sizes}). "
            + machine_line(r, "redaction.json") + "\n\n"
            + table(["redactor", "corpus survivors"] + [f"redacted in {f.removesuffix('.jsonl')}" for f in files]
                    + ["s/MB"], rows))


@renderer("redaction_summary", "redaction.json")
def render_redaction_summary(res: Results) -> str:
    r = res["redaction"]
    ours = r["redactors"]["teamlore"]
    false = sum(ours["false_redactions"].values())
    real = sum(r["real_records"].values())
    return (f"Measured (`bench/redaction_bench.py`): {len(ours['survivors'])} of {r['corpus']} made-up secrets of "
            f"{r['corpus_kinds']} kinds in error, log, diff, shell and config shapes survive, and {false} ordinary "
            f"tokens of {real} real development errors are redacted (a redacted identifier would break matching).")


@renderer("security", "security_bench.json")
def render_security(res: Results) -> str:
    r = res["security_bench"]
    runs = r.get("runs") or [r]
    rows = []
    for run in runs:
        ours, seed = run["teamlore"], run.get("seed")
        size = f"{num(run['findings'])} / {num(run['decisions'])}"
        label = "teamlore: hashing, fingerprints, `Triage.run`" if "runs" in r else "teamlore `Triage.run` only"
        rows.append([size, label, f"{num(ours['seconds'])} (n = {ours.get('n', 5)}; CPU {num(ours['cpu_seconds'])})",
                     num(ours["suppressed"]), num(ours["decided_suppressed"]), num(ours["undecided_hidden"]),
                     num(ours["stale"])])
        if seed:
            scaled = f", measured on {num(seed['sampled_findings'])} findings and scaled" if seed.get("scaled") else ""
            rows.append([size, "seed `_apply_learned_patterns` (its hashing included)",
                         f"{num(seed['seconds'])} (n = {seed.get('n', 1)}{scaled}; "
                         f"{num(seed['seconds'] / ours['seconds'], 1)}x teamlore's)",
                         num(seed["suppressed"]), num(seed["decided_suppressed"]), num(seed["undecided_hidden"]), "-"])
    note = f" {r['note']}." if r.get("note") else ""
    fp = r.get("fingerprinting")
    located = (f"\n\nLocating findings in the source first (parse + find the statement and scope; not in the "
               f"times above): {num(fp['findings'])} findings on {fp['files']} stdlib files "
               f"({num(fp['lines'])} lines) in {num(fp['seconds'], 1)} s, {num(fp['findings_per_second'], 0)} "
               "findings/s.") if fp else ""
    return ("Both tools timed from the same raw findings (wall clock, median of n runs). "
            + machine_line(r, "security_bench.json") + note + "\n\n"
            + table(["findings / decisions", "filter", "seconds", "suppressed", "decided suppr.", "NEW hidden",
                     "stale"], rows) + located)


@renderer("triage_history", "triage_history.json")
def render_triage_history(res: Results) -> str:
    r = res["triage_history"]
    repos = r["repositories"]
    rows = []
    for x in repos:
        present = x["decided_still_present_B"] or 1
        bb, sd = x["bandit_baseline"], x.get("seed_tool") or {}
        seed = (f"{sd['carried'] / present:.4f} / {sd['hidden_not_decided']}" if "carried" in sd else "-")
        rows.append([x["repository"].replace("+", "/"), num(x["files_at_B"]), ", ".join(x["subtrees"]),
                     num(x["decided_A"]), num(x["decided_still_present_B"]), f"{x['carry_over']:.4f}",
                     num(x["wrongly_carried_onto_other_statement"]), f"{x['injected_hidden']}/{x['injected']}",
                     num(x["undecided_hidden"]), f"{num(x['seconds_first_mapping_and_filter'])} s",
                     f"{num(x['seconds_cached_filter'])} s",
                     f"{bb['carried'] / present:.4f} / {bb['injected_hidden'] + bb['undecided_hidden']}", seed])
    t = r["total"]
    rows.append(["**total**", "", "", num(sum(x["decided_A"] for x in repos)), num(t["decided_still_present_B"]),
                 f"**{t['carry_over']:.4f}**", num(t["wrongly_carried_onto_other_statement"]),
                 f"**{t['injected_hidden']}/{t['injected']}**",
                 f"**{t['undecided_hidden']}** ({t['undecided_hidden_distinct_statements']} distinct statements)",
                 "", "", "", ""])
    machines = [x["machine"] for x in repos if x.get("machine")]
    loads = [m["load_average"][0] for m in machines if m.get("load_average")]
    where = (f"Measured on a shared machine ({machines[0].get('cpus')} CPUs, load average "
             f"{min(loads):.1f}-{max(loads):.1f} at the start of the repositories' runs, Python "
             f"{machines[0].get('python')}, {machines[0].get('date')}); `bench/results/triage_history.json`."
             if machines and loads else "`bench/results/triage_history.json`.")
    scale = r.get("scale_filter")
    scaled = ""
    if scale:
        m = scale.get("machine") or {}
        load = (m.get("load_average") or [None])[0]
        end = (m.get("load_average_at_end") or [None])[0]
        scaled = (f"\n\n{num(scale['findings'])} findings against {num(scale['decisions'])} decisions with the "
                  f"mapping cached (`--scale`): **{num(scale['seconds'])} s** (median of {scale['runs']} runs; "
                  f"load average {num(load, 1)} at start, {num(end, 1)} at end); {num(scale['stale'])} stale, "
                  f"{num(scale['undecided_hidden'])} undecided hidden.")
    return (where + "\n\n"
            + table(["repository", "files", "subtrees scanned", "decided at A", "still at B", "carry-over",
                     "carried onto another statement", "injected hidden", "undecided hidden",
                     "first mapping + filter", "cached", "bandit `-b`: carry / hidden", "seed tool: carry / hidden"],
                    rows) + scaled)


@renderer("debt", "debt_bench.json")
def render_debt(res: Results) -> str:
    r = res["debt_bench"]
    s = r["summary"]
    rel = s["relative_to_no_change"]
    cov = s["mean_coverage_80"]
    scans = r["scan"]
    ratios = [x["cpu_ratio"] for x in scans]
    bf = r["backfill"]
    text = (f"Scan: {num(min(ratios), 1)}-{num(max(ratios), 1)}x the CPU time of a plain `git grep -c -w` "
            f"(which also counts markers in code and strings) on {', '.join(x['repo'] for x in scans)}. Backfill: "
            f"{bf['snapshots']} monthly snapshots of a generated {num(bf['files'])}-file repository in "
            f"{num(bf['backfill_s'], 1)} s, a re-run in {num(bf['rerun_s'])} s. Forecasts on the monthly histories of "
            f"{len(r['histories'])} real projects ({num(s['origins'])} forecast origins, each forecast made from the "
            f"past only): MAE relative to \"no change\" at 30 / 90 / 180 days: teamlore "
            f"{' / '.join(num(rel['teamlore'][d], 3) for d in ('30', '90', '180'))}, the seed's straight line "
            f"{' / '.join(num(rel['seed'][d], 2) for d in ('30', '90', '180'))}; teamlore's 80% intervals held "
            f"the actual value {' / '.join(f'{cov[d]:.0%}' for d in ('30', '90', '180'))} of the time.")
    w = s.get("doubling_warning")
    rows = []
    if w:
        parts = [("tuning", w["threshold"]), ("held_out", w["threshold"])]
        if "swapped" in w:
            parts.append(("swapped", w["swapped"]["threshold"]))
        for part, threshold in parts:
            for label, key in (("teamlore warning", "teamlore"), ("seed straight line", "seed")):
                m = w[part][key]
                rows.append([w[part]["label"], label, f"{threshold:.0%}" if key == "teamlore" else "-",
                             num(m["origins"]), str(m["doubled"]), str(m["warned"]), str(m["true"]),
                             str(m["false_alarms"]), num(m["recall"]), num(m["precision"])])
        text += ("\n\n\"Doubles within a year\": teamlore gives the probability that at least the current count is "
                 "added within a year (additions at the series' own rate over the last two years, shrunk towards "
                 "one a year, with bursts: negative binomial) and warns from "
                 f"{w['threshold']:.0%}; the threshold was chosen on one half of the repositories "
                 f"({w['criterion']}) and is reported on the other, then the other way round:\n\n"
                 + table(["repositories", "rule", "warns from", "origins", "doubled", "warned", "came true",
                          "false alarms", "recall", "precision"], rows))
        outside = [w[k] for k in ("held_out", "swapped") if k in w]
        verdict = ["higher" if (p["teamlore"]["recall"] or 0) > (p["seed"]["recall"] or 0) else "not higher"
                   for p in outside]
        text += ("\n\nOut of sample (the half not tuned on, both ways) the warning's recall is "
                 + " and ".join(f"{v} ({num(p['teamlore']['recall'])} against {num(p['seed']['recall'])})"
                                for v, p in zip(verdict, outside, strict=True))
                 + " than the straight line's, with "
                 + " and ".join(f"{p['teamlore']['false_alarms']} against {p['seed']['false_alarms']}"
                                for p in outside)
                 + " false alarms.")
        if "reliability" in w:
            rel = w["reliability"]["all"]
            bins = [[who, b["bin"], num(b["origins"]), num(b["mean_predicted"]),
                     num(b["observed"])] for who in ("teamlore", "seed") for b in rel[who]]
            br = w["brier"]["all"]
            constant = br["base_rate"] * (1 - br["base_rate"])
            text += (f"\n\nHow sure: predicted against observed share of doublings over all "
                     f"{num(s['origins'])} origins ({w['independent_doubling_events']} separate doubling events, so "
                     f"every figure here rests on few cases). Brier score teamlore {br['teamlore']:.4f}, straight "
                     f"line {br['seed']:.4f}, always predicting the base rate {constant:.4f}"
                     ":\n\n" + table(["rule", "predicted", "origins", "mean predicted", "observed share"], bins))
        if "sensitivity" in w:
            sens = w["sensitivity"]
            rng = sens["held_out_recall_range"]
            text += ("\n\nWith the 27 neighbouring settings (window 1-3 years, prior 0.5-2 additions a year, shape "
                     "0.5-2), recall on the half not tuned on ranges "
                     + " and ".join(f"{num(lo)}-{num(hi)} (median {num(med)})" for lo, med, hi in rng.values())
                     + " for the two directions; choosing the setting on the tuning half as well gives "
                     + " and ".join(f"recall {num(n['recall'])}, precision {num(n['precision'])}, "
                                    f"{n['false_alarms']} false alarms" for n in sens["nested_choice"].values())
                     + ".")
    else:
        c, t = s["doubling_claims"], s["doubling_claims_true"]
        text += (f" \"Doubles within a year\": {s['actually_doubled_within_a_year']} origins doubled; the straight "
                 f"line claimed it {c['seed']} times ({t['seed']} true), teamlore {c['teamlore']} times "
                 f"({t['teamlore']} true).")
    if r.get("forecasts_rerun_from"):
        old_load = r.get("load_average_at_start")
        text += ("\n\nScan and backfill figures come from the last full run"
                 + (f" (load average {old_load[0]:.1f} at its start)" if old_load else "")
                 + "; the forecasts were re-run on the monthly series it stored (`--from-results`).")
    return text + "\n\n" + machine_line(r, "debt_bench.json")


@renderer("merge", "merge_bench.json")
def render_merge(res: Results) -> str:
    r = res["merge_bench"]
    plain, resolved, driver = r["plain_git"], r["plain_git_then_merge_resolve"], r["with_driver"]
    return (f"Measured on {r['records']} bugs recorded on both branches (`bench/merge_bench.py`): plain git leaves "
            f"{plain['conflicted_paths']} conflicted paths, {plain['unreadable_files']} unreadable files; "
            f"`merge-resolve` fixes them in {num(resolved['seconds'], 1)} s ({resolved['conflicted_paths']} left); "
            f"with the driver {driver['conflicted_paths']} paths conflict (the merge takes "
            f"{num(driver['seconds'], 1)} s). " + machine_line(r, "merge_bench.json"))


@renderer("feedback", "feedback_bench.json")
def render_feedback(res: Results) -> str:
    r = res["feedback_bench"]
    passes = {"first": "first answer", "again": "same errors again, after the verdicts",
              "others": "other errors, after the verdicts on the rest"}
    modes = {"full": "full output", "line": "error line alone"}
    rows = []
    for key, label in passes.items():
        for mode, mode_label in modes.items():
            m = r["passes"][key][mode]
            rows.append([label, mode_label, f"{num(m['confident_correct'], 3)} ({m['confident_correct_n']})",
                         f"{num(m['confident_wrong'], 3)} ({m['confident_wrong_n']})", num(m["no_match_precision"]),
                         num(m["recall_at_1"], 3)])
    f = r["feedback"]
    return (f"{r['errors']} real errors of `{r['data']}` ({r['passes']['first']['full']['members']} recurring, "
            f"{r['passes']['first']['full']['singletons']} singletons), {r['folds']} folds, a query's own record never "
            f"in its memory; {f['given']} verdicts given ({f['rejected']} \"Not this fix\", {f['confirmed']} \"This "
            f"fixed it\"). " + machine_line(r, "feedback_bench.json") + "\n\n"
            + table(["pass", "query", "confident correct (n)", "confident wrong (n)", "no-match precision",
                     "Recall@1"], rows))


def _quality_row(label: str, m: dict[str, Any]) -> list[str]:
    return [label] + [f"{m[k]:.3f}" for k in ("recall_at_1", "mrr", "answered", "no_match_precision",
                                               "confident_wrong")]


@renderer("match_quality", "match_quality.json", "match_quality_previous.json")
def render_match_quality(res: Results) -> str:
    r, old = res["match_quality"], res["match_quality_previous"]
    query = {"full": "full output", "line": "error line only"}
    rows = []
    main = r["data"].rsplit("/", 1)[-1]
    for name, f in sorted(r["files"].items(), key=lambda kv: (kv[0] != main, kv[0])):
        first = True
        for mode in ("full", "line"):
            cv = f["cross_validated"]["modes"][mode]
            lines = [("teamlore, out-of-sample", cv),
                     ("teamlore, shipped model (in-sample)", f["modes"][mode]["teamlore_in_sample"])]
            if name == old["data"].rsplit("/", 1)[-1]:
                lines.append((f"previous release (threshold {old['threshold']}, cross-validated)",
                              old["cross_validated"]["modes"][mode]))
            lines.append(("seed tool", f["modes"][mode]["seed"]))
            for i, (label, m) in enumerate(lines):
                data = f"{name.removesuffix('.jsonl')} ({cv['members']} / {cv['singletons']})" if first else ""
                rows.append([data, query[mode] if i == 0 else "", *_quality_row(label, m)])
                first = False
    return (f"{r['folds']}-fold cross-validation; `bench/results/match_quality.json` (the previous release: "
            "`match_quality_previous.json`).\n\n"
            + table(["data (members / singletons)", "query", "matcher", "Recall@1", "MRR", "confident-correct",
                     "no-match precision", "confident wrong"], rows))


@renderer("lookalike_ceiling", "lookalike_ceiling.json", "match_quality.json")
def render_lookalike_ceiling(res: Results) -> str:
    r, quality = res["lookalike_ceiling"], res["match_quality"]
    t = r["targets"]
    query = {"full": "full output", "line": "error line only"}
    rows, verdicts = [], []
    order = [Path(p).name for p in r["data"]]
    for name, f in sorted(r["files"].items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else len(order)):
        short = name.removesuffix(".jsonl")
        reach = []
        for i, mode in enumerate(("full", "line")):
            m = f["modes"][mode]
            c, every = m["ceiling"], m["answer_all"]
            ours = quality.get("files", {}).get(name, {}).get("cross_validated", {}).get("modes", {}).get(mode)
            frames = (f"{m['frameless_in_mixed']} / {m['framed_in_mixed']}; "
                      f"{num(m['if_frames_separate']['confident_correct'], 3)}" if "if_frames_separate" in m else "-")
            rows.append([f"{short} ({m['members']} / {m['singletons']})" if i == 0 else "", query[mode],
                         f"{len(m['mixed_groups'])}: {m['members_in_mixed']} / {m['singletons_in_mixed']}",
                         f"**{num(c['confident_correct'], 3)}** ({c['confident_wrong_n']} wrong, "
                         f"{num(c['no_match_precision'], 3)})",
                         num(ours["answered"], 3) if ours else "-",
                         num(m["answer_none"]["confident_correct"], 3),
                         f"{num(every['confident_correct'], 3)} ({every['confident_wrong_n']} wrong, "
                         f"{num(every['no_match_precision'], 3)})", frames])
            ok = c["confident_correct"] >= t["confident_correct_min"]
            reach.append(f"{query[mode]} {'reachable' if ok else 'out of reach'} ({num(c['confident_correct'], 3)})")
        verdicts.append(f"{short}: " + ", ".join(reach))
    return (f"Targets: confident-correct >= {t['confident_correct_min']} while confident wrong <= "
            f"{t['confident_wrong_max']:.0%} of all queries and no-match precision >= {t['no_match_precision_min']}. "
            "Confident-correct reachable on this data at all: " + "; ".join(verdicts) + ". "
            "`bench/results/lookalike_ceiling.json` lists every mixed group with its ids and causes; teamlore's "
            "figure is the out-of-sample one of `match_quality.json`.\n\n"
            + table(["data (members / singletons)", "query", "mixed groups: members / singletons in them",
                     "ceiling (wrong answers, no-match precision)", "teamlore", "answer no mixed group",
                     "answer every mixed group (wrong answers, no-match precision)",
                     "frameless / framed queries in them; ceiling if frames told them apart"], rows))


@renderer("launcher_scenarios", "launcher_scenarios.json")
def render_launchers(res: Results) -> str:
    r = res["launcher_scenarios"]
    t = r["targets"]
    return (f"{r['bugs']} bugs, {len(r['launchers'])} launchers and output shapes, {r['checkouts']} checkouts: "
            f"{r['outputs']} outputs, {num(r['positive_queries'])} queries. Positives: confident-correct "
            f"**{r['confident_correct']:.3f}** (target >= {t['confident_correct_min']}). Hard negatives (the same "
            f"queries with their own bug's record removed): **{r['lookalike_confident']}** confident answers of "
            f"{num(r['lookalike_queries'])} (target {t['lookalike_confident_max']}); "
            "`bench/results/launcher_scenarios.json`.")


_LANGUAGE_ROWS = (("go", "Go"), ("javascript", "JS/TS"), ("java", "Java/Kotlin"), ("rust", "Rust"),
                  ("ruby", "Ruby"), ("csharp", "C#"))


@renderer("polyglot_quality", "polyglot_quality.json")
def render_polyglot(res: Results) -> str:
    r = res["polyglot_quality"]
    modes = r["modes"]

    def cells(full: dict[str, float], line: dict[str, float]) -> str:
        return " | ".join(f"{full[k]:.3f} / {line[k]:.3f}" for k in
                          ("recall_at_1", "mrr", "answered", "no_match_precision", "confident_wrong"))

    o_full, o_line = modes["full"]["overall"], modes["line"]["overall"]
    lines = ["| language (members / singletons) | Recall@1 | MRR | confident-correct | no-match precision "
             "| confident wrong |", "|---|---|---|---|---|---|",
             f"| **overall** ({o_full['members']} / {o_full['singletons']}) | {cells(o_full, o_line)} |"]
    for key, label in _LANGUAGE_ROWS:
        if key in modes["full"]["languages"]:
            f, li = modes["full"]["languages"][key], modes["line"]["languages"][key]
            lines.append(f"| {label} ({f['members']} / {f['singletons']}) | {cells(f, li)} |")
    off = r["parsers_off"]
    lines.append(f"| overall, ecosystem parsers switched off | {cells(off['full'], off['line'])} |")
    changed = r.get("python_parses_changed")
    tail = ""
    if changed is not None:
        tail = (f"\n\nOf the {r['extra_records']} records of "
                f"`{r['extra_training_data']}`, parsed in both query modes with the ecosystem parsers on and off "
                f"and compared field by field, {len(changed)} {'parses' if len(changed) == 1 else 'parse'} differently"
                + (f" ({', '.join(changed)})" if changed else "") + ".")
    return "\n".join(lines) + tail


# -- blocks ------------------------------------------------------------------------------

def render(name: str, results_dir: Path = RESULTS_DIR) -> str:
    spec = REGISTRY.get(name)
    if spec is None:
        raise KeyError(f"no renderer named {name!r} (known: {', '.join(sorted(REGISTRY))})")
    return spec.render(load(spec.files, results_dir)).rstrip("\n") + "\n"


def rewrite(text: str, results_dir: Path = RESULTS_DIR) -> tuple[str, list[str]]:
    """``text`` with every block regenerated, and the problems met (unknown names, missing files)."""
    problems: list[str] = []

    def block(m: re.Match[str]) -> str:
        try:
            body = render(m["name"], results_dir)
        except (KeyError, MissingResults) as exc:
            problems.append(f"bench:{m['name']}: {exc}")
            return m[0]
        return m[1] + body + m[4]

    return BLOCK.sub(block, text), problems


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", action="store_true", help="change nothing; exit 1 when a block is out of date")
    ap.add_argument("files", nargs="*", type=Path, help="markdown files (default: README.md, bench/README.md)")
    ap.add_argument("--results", type=Path, default=RESULTS_DIR, help="results directory")
    args = ap.parse_args(argv)
    failed = False
    for path in args.files or READMES:
        text = path.read_text(encoding="utf-8")
        new, problems = rewrite(text, args.results)
        for p in problems:
            print(f"{path}: {p}", file=sys.stderr)
        failed |= bool(problems)
        stale = [m["name"] for m, n in zip(BLOCK.finditer(text), BLOCK.finditer(new), strict=True) if m[0] != n[0]]
        if args.check:
            for name in stale:
                print(f"{path}: block bench:{name} differs from its results file "
                      f"(run python bench/report.py)", file=sys.stderr)
            failed |= bool(stale)
        elif new != text:
            path.write_text(new, encoding="utf-8")
            print(f"{path}: rewrote {', '.join(stale)}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
