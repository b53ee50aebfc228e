"""Redaction: teamlore's rules vs the detect-secrets plugins vs both.

For each redactor: how many made-up secrets of ``tests/data/secrets/corpus.jsonl`` survive
(any 6-character piece of the secret left in the output counts), how many ordinary tokens it
redacts in real error text (``../shared/data/dev-tracebacks.jsonl`` and
``dev-errors-polyglot.jsonl``: the tracebacks of public issues, where every redaction is a false
one that can break matching), and its speed in seconds per MB of error text.

detect-secrets (``pip install detect-secrets``) runs with its default plugins and filters, line
by line as its scanner does; each secret value it reports is replaced. "both" applies teamlore's
rules, then detect-secrets. ``--baseline REV`` adds a row for ``memory_store/redact.py`` as it was
at a git revision (the single-file rules before the package).

    .venv/bin/python bench/redaction_bench.py [--verbose] [--baseline REV]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from memory_store.redact import redact  # noqa: E402
from tests.test_redaction import CORPUS, leaked_pieces  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from machine import finish, machine, save_results  # noqa: E402

AT_START = machine()
"""The machine when the script started (CPUs, load average)."""

DATA_DIR = REPO.parent / "shared" / "data"
REAL_FILES = ("dev-tracebacks.jsonl", "dev-errors-polyglot.jsonl")
PLACEHOLDER = re.compile(r"<redacted:[\w-]+>")
SPEED_BYTES = 1_000_000

Redactor = Callable[[str], str]


def detect_secrets_redactor() -> Redactor | None:
    try:
        from detect_secrets.core.scan import _process_line_based_plugins
        from detect_secrets.settings import default_settings
    except ImportError:
        return None

    def run(text: str) -> str:
        with default_settings():
            found = _process_line_based_plugins(list(enumerate(text.splitlines(), start=1)), "error.log")
            secrets = {(s.secret_value, s.type) for s in found if s.secret_value}
        for value, kind in sorted(secrets, key=lambda vk: -len(vk[0])):
            slug = re.sub(r"[^a-z0-9]+", "-", kind.lower()).strip("-")
            text = text.replace(value, f"<redacted:{slug}>")
        return text

    return run


def baseline_redactor(rev: str) -> Redactor:
    """``redact`` of ``memory_store/redact.py`` at ``rev`` (the project's own history)."""
    source = subprocess.run(["git", "show", f"{rev}:memory_store/redact.py"], cwd=REPO, check=True,
                            capture_output=True, text=True).stdout
    path = Path(tempfile.mkdtemp()) / "redact_baseline.py"
    path.write_text(source, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("redact_baseline", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module.redact


def survivors(fn: Redactor) -> list[str]:
    return [e["id"] for e in CORPUS if leaked_pieces(e["secret"], e["text"], fn(e["text"]))]


def false_redactions(fn: Redactor, texts: list[tuple[str, str]], verbose: bool) -> int:
    count = 0
    for rid, text in texts:
        out = fn(text)
        hits = len(PLACEHOLDER.findall(out)) - len(PLACEHOLDER.findall(text))
        count += hits
        if verbose and hits:
            for m in PLACEHOLDER.finditer(out):
                print(f"    {rid}: ...{out[max(0, m.start() - 50):m.end() + 15]!r}")
    return count


def seconds_per_mb(fn: Redactor, texts: list[str]) -> float:
    body: list[str] = []
    size = 0
    while size < SPEED_BYTES:
        for t in texts:
            body.append(t)
            size += len(t.encode("utf-8"))
    start = time.perf_counter()
    for t in body:
        fn(t)
    return (time.perf_counter() - start) / (size / 1_000_000)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data-dir", type=Path, default=DATA_DIR)
    ap.add_argument("--baseline", metavar="REV", help="also measure memory_store/redact.py at this git revision")
    ap.add_argument("--verbose", action="store_true", help="print every redaction in the real data")
    ap.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "redaction.json")
    args = ap.parse_args()

    real: dict[str, list[tuple[str, str]]] = {}
    for name in REAL_FILES:
        rows = [json.loads(line) for line in (args.data_dir / name).read_text(encoding="utf-8").splitlines()
                if line.strip()]
        real[name] = [(r["id"], r["traceback"]) for r in rows]
    all_texts = [t for rows in real.values() for _, t in rows]

    redactors: dict[str, Redactor] = {}
    if args.baseline:
        redactors[f"teamlore at {args.baseline}"] = baseline_redactor(args.baseline)
    redactors["teamlore"] = redact
    ds = detect_secrets_redactor()
    if ds is None:
        print("detect-secrets is not installed: its rows are skipped (pip install detect-secrets)")
    else:
        redactors["detect-secrets"] = ds
        redactors["both"] = lambda text: ds(redact(text))

    results: dict[str, Any] = {"corpus": len(CORPUS), "corpus_kinds": len({e["kind"] for e in CORPUS}),
                               "real_records": {k: len(v) for k, v in real.items()}, "redactors": {}}
    for label, fn in redactors.items():
        if args.verbose:
            print(f"{label}:")
        row = {"survivors": survivors(fn),
               "false_redactions": {name: false_redactions(fn, texts, args.verbose) for name, texts in real.items()},
               "seconds_per_mb": round(seconds_per_mb(fn, all_texts), 3)}
        results["redactors"][label] = row

    print(f"corpus: {len(CORPUS)} made-up secrets of {results['corpus_kinds']} kinds; real data: "
          + ", ".join(f"{k} ({n} records)" for k, n in results["real_records"].items()))
    header = ["redactor", "corpus survivors", *(f"redacted in {n}" for n in REAL_FILES), "s/MB"]
    print(" | ".join(header))
    print(" | ".join("---" for _ in header))
    for label, row in results["redactors"].items():
        print(" | ".join([label, str(len(row["survivors"])), *(str(row["false_redactions"][n]) for n in REAL_FILES),
                          f"{row['seconds_per_mb']:.3f}"]))
    save_results(args.out, finish({"machine": AT_START, **results}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
