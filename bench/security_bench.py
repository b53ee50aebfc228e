"""Security triage filtering: 100k findings against 10k decisions, beside the seed tool.

Generates a realistic code base's worth of findings (many rules, thousands of files, the
same risky statement repeated across files and functions), makes instance decisions for
a random 10%, then filters a later scan in which:

- every decided finding is still present (teamlore fingerprints do not depend on lines),
- 2% of the decided statements were edited (teamlore: stale, for re-review),
- every other finding is new or undecided, many of them textually identical to a decided
  one elsewhere (the trap for pattern hashes and set-membership baselines).

Columns: time to filter, findings suppressed, of them decided ones ("decided suppr.") and
undecided ones wrongly hidden ("NEW hidden": must be 0), and decisions reported stale.
The seed tool (``empathy-framework==4.0.1``, ``SecurityLearningWizard._apply_learned_patterns``)
runs in its own virtualenv through a subprocess on the same data; it compares every
finding with every decision (about 30 s at full size; ``--seed-sample N`` times it on N
random findings and scales linearly, stated in the output). Without that virtualenv the
column is skipped with a note.

Also timed: fingerprinting from source (stdlib files), and the editor case of 1,200
findings of one large file fingerprinted from unsaved text against the saved file
(``--unsaved-only`` runs just that, saved to ``bench/results/security_unsaved.json``).

    .venv/bin/python bench/security_bench.py [--findings 100000] [--decisions 10000]
        [--empathy-python bench/.seed-venv/bin/python] [--seed-sample N]
        [--unsaved-findings 1200] [--unsaved-only]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from machine import finish, machine, save_results  # noqa: E402

from memory_store.security.decisions import decision_from_finding  # noqa: E402
from memory_store.security.findings import Finding  # noqa: E402
from memory_store.security.fingerprint import assign_fingerprints, statement_hash  # noqa: E402
from memory_store.security.triage import Triage  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "security_bench.json"
SEED_VENV = Path(__file__).resolve().parent / ".seed-venv"
DEFAULT_EMPATHY = Path(os.environ.get("TEAMLORE_SEED_PYTHON", str(SEED_VENV / "bin" / "python")))

RULES = {  # rule: statements that trigger it (shared across files, as in real code bases)
    "B101": ["assert {v}", "assert {v} is not None", "assert len({v}) > 0", "assert isinstance({v}, dict)"],
    "B105": ["PASSWORD = 'changeme'", "token = 'dev-token'", "secret = '{v}'"],
    "B106": ["connect(password='{v}')", "Client(api_key='test')"],
    "B108": ["open('/tmp/{v}.log', 'w')", "path = '/tmp/cache'"],
    "B110": ["except Exception:"],
    "B301": ["pickle.loads({v})", "data = pickle.load(fh)"],
    "B311": ["random.random()", "random.choice({v})", "jitter = random.uniform(0, 1)"],
    "B324": ["hashlib.md5({v}).hexdigest()", "hashlib.sha1(data)"],
    "B404": ["import subprocess"],
    "B506": ["yaml.load({v})"],
    "B602": ["subprocess.call({v}, shell=True)", "subprocess.run(cmd, shell=True, check=True)"],
    "B603": ["subprocess.run([{v}], check=True)", "subprocess.check_output(args)"],
    "B608": ["cursor.execute('SELECT * FROM t WHERE id = %s' % {v})", "query = f'DELETE FROM {v}'"],
    "B113": ["requests.get(url)", "requests.post({v}, json=payload)"],
}
COMMON_VARS = ["x", "value", "cmd", "user_id", "payload", "item", "name"]
RARE_VARS = [f"{a}_{b}" for a in ("user", "order", "config", "row", "job", "blob", "path", "key")
             for b in ("id", "data", "raw", "list", "map", "text", "name", "args", "ref", "spec")]


def generate(n_findings: int, n_decisions: int,
             seed: int = 7) -> tuple[list[Finding], list[dict], list[dict], set[str], int]:
    rng = random.Random(seed)
    n_files = max(1, n_findings // 20)
    files = [(f"tests/test_{i}.py" if i % 5 == 0 else f"src/pkg{i // 40}/mod{i}.py") for i in range(n_files)]
    rules = list(RULES)
    findings: list[Finding] = []
    counts: dict[tuple[str, str, str], int] = {}
    for _ in range(n_findings):
        rule = rng.choice(rules)
        path = rng.choice(files)
        scope = f"Service{rng.randrange(3)}.handler_{rng.randrange(8)}" if rng.random() < 0.7 else "<module>"
        var = rng.choice(COMMON_VARS) if rng.random() < 0.5 else rng.choice(RARE_VARS)
        stmt = rng.choice(RULES[rule]).format(v=var)
        key = (path, scope, stmt)
        occ = counts.get(key, 0)
        counts[key] = occ + 1
        f = Finding(tool="bandit", rule=rule, path=path, line=rng.randrange(1, 800), message=f"{rule} finding",
                    severity=rng.choice(["low", "medium", "high"]), scope=scope, statement=stmt,
                    statement_hash=statement_hash(stmt), occurrence=occ)
        findings.append(f)
    assign_fingerprints(findings)
    decided = rng.sample(findings, n_decisions)
    records = [decision_from_finding(f, "false_positive", "reviewed", author="bench", expires=None,
                                     proposed=False, source="bench") for f in decided]
    decided_ids = {f.fingerprint for f in decided}
    # What the seed tool's decisions hold: type and code line of each decided finding.
    seed_decisions = [{"file": f.path, "type": f.rule, "code": f.statement} for f in decided]
    # The later scan: 2% of the decided statements were edited.
    edited = rng.sample(decided, max(1, n_decisions // 50))
    for f in edited:
        f.statement += " or fallback"
        f.statement_hash = statement_hash(f.statement)
    assign_fingerprints(findings)
    return findings, records, seed_decisions, decided_ids, len(edited)


RAW_FIELDS = ("tool", "rule", "path", "line", "message", "severity", "scope", "statement", "occurrence")
"""What a scanner and the source give (the seed tool gets the same: file, line, rule, code line)."""


def raw_copy(findings: list[Finding]) -> list[Finding]:
    """The findings as they arrive, before teamlore hashes anything."""
    return [Finding(**{k: getattr(f, k) for k in RAW_FIELDS}) for f in findings]


def run_teamlore(findings: list[Finding], records: list[dict], decided: set[str], runs: int = 5) -> dict:
    """Fingerprint (statement hash, fingerprint) and filter, from raw findings, ``runs`` times:
    the same work the seed tool's timer holds (its pattern hashing and filtering)."""
    times, cpu = [], []
    for _ in range(runs):
        raw = raw_copy(findings)
        t0, c0 = time.perf_counter(), time.process_time()
        for f in raw:
            f.statement_hash = statement_hash(f.statement)
        assign_fingerprints(raw)
        result = Triage(records).run(raw)
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    fps_suppressed = {s.finding.fingerprint for s in result.statuses if s.status == "suppressed"}
    summary = result.summary()
    return {"seconds": statistics.median(times), "min_seconds": min(times), "cpu_seconds": statistics.median(cpu),
            "n": runs, "includes": "statement hashing, fingerprints, index build, filtering",
            "suppressed": summary["suppressed"], "stale": summary["stale"],
            "decided_suppressed": len(fps_suppressed & decided),
            "undecided_hidden": len(fps_suppressed - decided)}


SEED_SCRIPT = r"""
import json, sys, time, tempfile
from empathy_software_plugin.wizards.security_learning_wizard import (
    SecurityLearningWizard, SecurityFinding, TeamDecision)
data = json.load(open(sys.argv[1]))
wizard = SecurityLearningWizard(pattern_storage_path=tempfile.mkdtemp())
findings = [SecurityFinding(finding_id=f["id"], file_path=f["file"], line_number=f["line"],
                            vulnerability_type=f["type"], severity=f["severity"], description="",
                            code_snippet=f["code"]) for f in data["findings"]]
decisions = [TeamDecision(finding_hash=wizard._hash_finding_pattern(SecurityFinding(
                 finding_id="", file_path=d["file"], line_number=0, vulnerability_type=d["type"],
                 severity="", description="", code_snippet=d["code"])),
             decision="false_positive", reason="reviewed", decided_by="bench", decided_at="2025-01-01",
             applies_to="pattern") for d in data["decisions"]]
times = []
for _ in range(int(sys.argv[2])):
    t0 = time.perf_counter()
    result = wizard._apply_learned_patterns(findings, decisions)
    times.append(time.perf_counter() - t0)
times.sort()
seconds = times[len(times) // 2] if len(times) % 2 else (times[len(times) // 2 - 1] + times[len(times) // 2]) / 2
print(json.dumps({"seconds": seconds, "times": times, "suppressed": result.suppressed_count,
                  "suppressed_ids": sorted({d["finding_id"] for d in result.suppression_details})}))
"""


def run_seed(python: Path, findings: list[Finding], seed_decisions: list[dict], decided: set[str],
             sample: int | None, runs: int = 5, rng_seed: int = 11) -> dict:
    """The seed tool on the same data (its code line = our statement text, type = rule)."""
    chosen = findings
    if sample is not None and sample < len(findings):
        chosen = random.Random(rng_seed).sample(findings, sample)
    data = {"findings": [{"id": f.fingerprint, "file": f.path, "line": f.line, "type": f.rule,
                          "severity": f.severity, "code": f.statement} for f in chosen],
            "decisions": seed_decisions}
    with tempfile.TemporaryDirectory() as tmp:
        data_path = Path(tmp) / "data.json"
        data_path.write_text(json.dumps(data))
        script = Path(tmp) / "seed.py"
        script.write_text(SEED_SCRIPT)
        proc = subprocess.run([str(python), str(script), str(data_path), str(runs)], capture_output=True, text=True,
                              timeout=3600, check=False, cwd=tmp)
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else "seed run failed")
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    ids = set(out["suppressed_ids"])
    chosen_ids = {f.fingerprint for f in chosen}
    scale = len(findings) / len(chosen)
    return {"seconds": out["seconds"] * scale, "measured_seconds": out["seconds"], "n": runs,
            "min_seconds": min(out["times"]) * scale, "sampled_findings": len(chosen),
            "scaled": scale != 1, "suppressed": round(len(ids) * scale),
            "decided_suppressed": round(len(ids & decided) * scale),
            "undecided_hidden": round(len(ids - decided) * scale),
            "decided_in_sample": len(chosen_ids & decided)}


def fingerprint_throughput(n_files: int = 400, per_file: int = 25, seed: int = 3) -> dict:
    """Cold fingerprinting (parse + locate) of findings placed on real Python files (the stdlib)."""
    import sysconfig

    from memory_store.security.fingerprint import Fingerprinter, clear_index_cache
    from memory_store.workspace import Workspace

    stdlib = Path(sysconfig.get_paths()["stdlib"])
    files = sorted(p for p in stdlib.glob("*.py") if p.stat().st_size > 2000)[:n_files]
    rng = random.Random(seed)
    findings, total_lines = [], 0
    for path in files:
        lines = path.read_text(encoding="utf-8", errors="replace").count("\n") or 1
        total_lines += lines
        findings += [Finding(tool="bandit", rule="B000", path=path.name, line=rng.randrange(1, lines + 1))
                     for _ in range(per_file)]
    clear_index_cache()
    fp = Fingerprinter(Workspace(stdlib))
    t0 = time.perf_counter()
    fp.apply(findings)
    seconds = time.perf_counter() - t0
    return {"files": len(files), "lines": total_lines, "findings": len(findings), "seconds": seconds,
            "findings_per_second": len(findings) / seconds if seconds else None}


def unsaved_text_fingerprinting(n_findings: int = 1200, name: str = "_pydecimal.py", seed: int = 5,
                                repeat: int = 3) -> dict:
    """The editor case: findings of one large file fingerprinted from its unsaved text
    (a line inserted at the top) against the same findings from the saved file; cold
    (empty index cache), median of ``repeat`` runs."""
    import sysconfig

    from memory_store.security import fingerprint as fpmod
    from memory_store.workspace import Workspace

    source = Path(sysconfig.get_paths()["stdlib"]) / name
    text = source.read_text(encoding="utf-8")
    n_lines = text.count("\n") or 1
    code_lines = [n for n, line in enumerate(text.splitlines(), start=1)
                  if line.strip() and not line.lstrip().startswith("#")]  # where scanners flag things
    rng = random.Random(seed)
    lines = [rng.choice(code_lines) for _ in range(n_findings)]
    buffer = "# unsaved edit\n" + text
    with tempfile.TemporaryDirectory() as tmp:
        ws = Workspace(Path(tmp))
        (ws.root / name).write_text(text, encoding="utf-8")

        def findings(shift: int) -> list[Finding]:
            return [Finding(tool="bandit", rule="B000", path=name, line=line + shift) for line in lines]

        def timed(shift: int, sources: dict[str, str] | None) -> tuple[float, list[Finding]]:
            fpmod.clear_index_cache()
            batch = findings(shift)
            t0 = time.perf_counter()
            fpmod.Fingerprinter(ws).apply(batch, sources)
            return time.perf_counter() - t0, batch

        disk_runs = [timed(0, None) for _ in range(repeat)]
        unsaved_runs = [timed(1, {name: buffer}) for _ in range(repeat)]
    disk, unsaved = disk_runs[0][1], unsaved_runs[0][1]
    same = sum(a.fingerprint == b.fingerprint for a, b in zip(disk, unsaved, strict=True))
    return {"file": name, "lines": n_lines, "findings": n_findings, "runs": repeat,
            "disk_seconds": statistics.median(t for t, _ in disk_runs),
            "unsaved_seconds": statistics.median(t for t, _ in unsaved_runs), "same_fingerprints": same}


def print_unsaved(r: dict) -> None:
    print(f"\nfingerprinting {r['findings']:,} findings of one file ({r['file']}, {r['lines']:,} lines), "
          f"cold, median of {r['runs']}:")
    print(f"  from the saved file   {r['disk_seconds']:8.2f} s")
    print(f"  from unsaved text     {r['unsaved_seconds']:8.2f} s")
    print(f"  same fingerprints     {r['same_fingerprints']:,} of {r['findings']:,}")


def print_run(run: dict, gen_s: float) -> None:
    ours, seed = run["teamlore"], run["seed"]
    rows = [("teamlore (fingerprint + filter)", ours)] + ([("seed _apply_learned_patterns", seed)] if seed else [])
    print(f"\n{run['findings']:,} findings, {run['decisions']:,} instance decisions "
          f"({run['edited_decided_statements']} decided statements edited since), data generated in {gen_s:.1f} s\n")
    head = (f"{'filter':32} {'median s':>10} {'n':>3} {'suppressed':>11} {'decided suppr.':>15} {'NEW hidden':>11} "
            f"{'stale':>6}")
    print(head)
    print("-" * len(head))
    for name, r in rows:
        secs = f"{r['seconds']:.3f}" + ("*" if r.get("scaled") else "")
        print(f"{name:32} {secs:>10} {r['n']:>3} {r['suppressed']:>11,} {r['decided_suppressed']:>15,} "
              f"{r['undecided_hidden']:>11,} {r.get('stale', '-'):>6}")
    if seed and seed["scaled"]:
        print(f"\n* seed tool measured on {seed['sampled_findings']:,} random findings against all "
              f"{run['decisions']:,} decisions ({seed['measured_seconds']:.2f} s), scaled to {run['findings']:,}: "
              "its cost grows with findings x decisions; its counts are scaled the same way.")
    if seed:
        print(f"teamlore vs seed: {seed['seconds'] / ours['seconds']:.1f}x faster")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--findings", type=int, default=100_000)
    ap.add_argument("--decisions", type=int, default=10_000)
    ap.add_argument("--empathy-python", type=Path, default=DEFAULT_EMPATHY)
    ap.add_argument("--seed-sample", type=int, default=0,
                    help="filter only this many random findings with the seed tool and scale its time "
                         "(its cost is findings x decisions); 0 = all findings")
    ap.add_argument("--runs", type=int, default=5, help="timed runs of each tool per size (median reported)")
    ap.add_argument("--one-size", action="store_true",
                    help="only --findings/--decisions (default: also a tenth of both)")
    ap.add_argument("--out", type=Path, default=RESULTS)
    ap.add_argument("--unsaved-findings", type=int, default=1200,
                    help="findings of one file fingerprinted from unsaved editor text")
    ap.add_argument("--unsaved-only", action="store_true",
                    help="run only the unsaved-text case (saved to bench/results/security_unsaved.json)")
    args = ap.parse_args()

    if args.unsaved_only:
        unsaved = unsaved_text_fingerprinting(args.unsaved_findings)
        print_unsaved(unsaved)
        out = args.out if args.out != RESULTS else RESULTS.with_name("security_unsaved.json")
        save_results(out, {**unsaved, "python": sys.version.split()[0], "load_average": os.getloadavg()[0],
                           "cpus": os.cpu_count()})
        return 0

    at_start = machine()
    sizes = [(args.findings // 10, args.decisions // 10), (args.findings, args.decisions)] if not args.one_size \
        else [(args.findings, args.decisions)]
    runs, note = [], None
    for n_findings, n_decisions in sizes:
        t0 = time.perf_counter()
        findings, records, seed_decisions, decided, edited = generate(n_findings, n_decisions)
        gen_s = time.perf_counter() - t0
        ours = run_teamlore(findings, records, decided, args.runs)
        seed: dict | None = None
        if args.empathy_python.exists():
            try:
                seed = run_seed(args.empathy_python, findings, seed_decisions, decided, args.seed_sample or None,
                                args.runs)
            except (RuntimeError, subprocess.SubprocessError, json.JSONDecodeError) as exc:
                note = f"seed tool failed: {exc}"
        else:
            note = (f"seed tool column skipped: {args.empathy_python} not found "
                    "(python -m venv VENV && VENV/bin/pip install empathy-framework==4.0.1)")
        runs.append({"findings": n_findings, "decisions": n_decisions, "edited_decided_statements": edited,
                     "teamlore": ours, "seed": seed})
        print_run(runs[-1], gen_s)
    if note:
        print(f"\nnote: {note}")
    fpt = fingerprint_throughput()
    print(f"\nfingerprinting from source (cold: parse + locate): {fpt['findings']:,} findings on "
          f"{fpt['files']} stdlib files ({fpt['lines']:,} lines) in {fpt['seconds']:.2f} s "
          f"({fpt['findings_per_second']:,.0f} findings/s)")
    unsaved = unsaved_text_fingerprinting(args.unsaved_findings)
    print_unsaved(unsaved)
    ours = runs[-1]["teamlore"]
    target = "met" if ours["seconds"] < 1.0 else "MISSED"
    print(f"target < 1 s for teamlore at {runs[-1]['findings']:,} findings: {target} ({ours['seconds']:.3f} s)")
    save_results(args.out, finish({
        "machine": at_start, "runs": runs, "note": note, "target_seconds": 1.0, "fingerprinting": fpt,
        "unsaved_text": unsaved}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
