"""Match quality on real errors of other languages (JS/TS, Go, Rust, Java/Kotlin, C#, Ruby).

The data: ``../shared/data/dev-errors-polyglot.jsonl`` beside the repository, or ``--data FILE``.
The protocol and the measures are bench/match_quality.py's (its functions are imported):
the query's own record is never in the memory; queries are split in k folds and the
confidence model and threshold of each fold are fitted on the other folds only (plus, as
match_quality does, the Python development set, which shares no record with this one). Reported per language
and overall, for the full output and for the primary error line alone:

- Recall@1 / MRR over cluster members (ranked, confident or not);
- confident-correct: cluster members whose top confident answer has the right cause;
- no-match precision over singletons: share that get no confident match;
- confident wrong: share of all queries whose top confident answer is another cause.

The same measurement is repeated with the ecosystem parsers switched off (every error then
read as Python or a generic line, as before they existed), to show what they add; and the
Python development set is parsed both ways, to count the records whose parse they change.

Results: bench/results/polyglot_quality.json.

Usage: python bench/polyglot_quality.py [--data FILE] [--folds K] [--verbose]
"""

from __future__ import annotations

import argparse
import contextlib
import inspect
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest import mock

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from machine import save_results  # noqa: E402
from match_quality import DEFAULT_DATA as PYTHON_DATA  # noqa: E402
from match_quality import MODES, build_records, cross_validated, evaluate, load, run_ours, table  # noqa: E402

from memory_store.errors import parse as parse_mod  # noqa: E402

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "dev-errors-polyglot.jsonl"
RESULTS = REPO / "bench" / "results" / "polyglot_quality.json"
LANGUAGE_GROUPS = {"typescript": "javascript", "kotlin": "java"}
"""Reported together: TypeScript's errors are Node's and tsc's, Kotlin's build output is Gradle's."""


def group_of(row: dict[str, Any]) -> str:
    lang = str(row.get("language") or "other")
    return LANGUAGE_GROUPS.get(lang, lang)


def held_out(data: list[dict[str, Any]], ours: dict[str, list[dict[str, Any]]], folds: int,
             thresholds: list[float]) -> dict[str, list[dict[str, Any]]]:
    """Each query's candidates with confidence decided by its own fold's threshold (the one
    cross_validated chose on the other folds), when cross_validated does not return them."""
    fold_of = {r["id"]: int(r["id"][1:]) % folds for r in data}
    out: dict[str, list[dict[str, Any]]] = {}
    for mode in MODES:
        rows = []
        for res in ours[mode]:
            t_k = thresholds[fold_of[res["id"]]]
            rows.append(dict(res, ranked=[(x[0], x[1], bool(x[2]) and x[1] >= t_k) for x in res["ranked"]]))
        out[mode] = rows
    return out


def _fmt(m: dict[str, float]) -> list[str]:
    return [f"{m['recall_at_1']:.3f}", f"{m['mrr']:.3f}", f"{m['answered']:.3f}",
            f"{m['no_match_precision']:.3f}", f"{m['confident_wrong']:.3f}", str(m["members"]),
            str(m["singletons"])]


@contextlib.contextmanager
def ecosystem_parsers_off() -> Iterator[None]:
    """Errors read as before the ecosystem parsers: Python tracebacks, Node stacks and the
    generic error line only."""
    with mock.patch.object(parse_mod, "ecosystem_error", lambda *a, **k: None), \
            mock.patch.object(parse_mod, "ecosystem_errors", lambda *a, **k: []):
        yield


def parses_changed(data: list[dict[str, Any]]) -> list[str]:
    """Ids of records (either query mode) that parse differently with the ecosystem parsers on."""
    def parsed(row: dict[str, Any]) -> list[Any]:
        out = []
        for text in (row["traceback"], row["error_line"]):
            p = parse_mod.parse_error(text)
            out.append(p.to_json() if p is not None else None)
        return out

    on = {r["id"]: parsed(r) for r in data}
    with ecosystem_parsers_off():
        off = {r["id"]: parsed(r) for r in data}
    return sorted(i for i in on if on[i] != off[i])


def measure(data: list[dict[str, Any]], extra: list[dict[str, Any]] | None,
            folds: int) -> tuple[dict[str, Any], dict[str, list[dict[str, Any]]]]:
    """(cross-validation result, held-out candidates per mode) of ``data``, the confidence
    model of each fold also fitted on ``extra``."""
    ours = run_ours(data, build_records(data))
    kwargs: dict[str, Any] = {}
    if extra is not None and "extra" in inspect.signature(cross_validated).parameters:
        kwargs["extra"] = [(extra, run_ours(extra, build_records(extra)))]
    cv = cross_validated(data, ours, folds=folds, **kwargs)
    held = cv["held"] if "held" in cv else held_out(data, ours, folds, cv["thresholds"])
    return cv, held


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--verbose", action="store_true", help="list the queries answered wrongly or not at all")
    ap.add_argument("--extra", type=Path, default=PYTHON_DATA,
                    help="other errors the confidence model may also be fitted on (default: the Python dev set)")
    ap.add_argument("--no-extra", action="store_true")
    ap.add_argument("--out", type=Path, default=RESULTS)
    args = ap.parse_args()
    data = load(args.data)
    extra = load(args.extra) if not args.no_extra and args.extra.exists() else None
    cv, held = measure(data, extra, args.folds)
    with ecosystem_parsers_off():
        _, held_off = measure(data, extra, args.folds)
    lang_of = {r["id"]: group_of(r) for r in data}
    languages = sorted(Counter(lang_of.values()))

    report: dict[str, Any] = {"data": args.data.name, "records": len(data), "folds": args.folds,
                              "extra_training_data": args.extra.name if extra is not None else None,
                              "thresholds": cv["thresholds"], "languages": dict(Counter(lang_of.values())),
                              "modes": {}, "parsers_off": {}}
    rows = []
    for mode in MODES:
        overall = evaluate(data, held[mode], 0.0)
        per_lang = {}
        for lang in languages:
            subset = [r for r in held[mode] if lang_of[r["id"]] == lang]
            per_lang[lang] = evaluate(data, subset, 0.0)
        report["modes"][mode] = {"overall": overall, "languages": per_lang}
        report["parsers_off"][mode] = off = evaluate(data, held_off[mode], 0.0)
        rows.append([mode, "overall", *_fmt(overall)])
        rows.extend([mode, lang, *_fmt(per_lang[lang])] for lang in languages)
        rows.append([mode, "overall, ecosystem parsers off", *_fmt(off)])
    if extra is not None:
        report["python_parses_changed"] = parses_changed(extra)
        report["extra_records"] = len(extra)
    print(f"{args.folds}-fold cross-validated on {len(data)} real errors ({args.data.name}"
          + (f"; confidence also fitted on {args.extra.name}" if extra is not None else "")
          + f"); thresholds per fold: {', '.join(f'{t:.2f}' for t in cv['thresholds'])}\n")
    print(table(rows, ["query", "language", "Recall@1", "MRR", "conf-correct", "no-match prec", "conf wrong",
                       "members", "singletons"]))
    if extra is not None:
        changed = report["python_parses_changed"]
        print(f"\n{args.extra.name}: {len(changed)} of {len(extra)} records parse differently with the ecosystem "
              f"parsers on{': ' + ', '.join(changed) if changed else ''}")
    if args.verbose:
        cluster = {r["id"]: r["cluster"] for r in data}
        for mode in MODES:
            print(f"\nmisses ({mode}):")
            for res in held[mode]:
                qc = cluster[res["id"]]
                top = res["ranked"][0] if res["ranked"] else None
                conf = top is not None and top[2]
                if (qc is None and conf) or (qc is not None and (top is None or cluster[top[0]] != qc or not conf)):
                    desc = f"{top[0]}({cluster[top[0]]}) {top[1]:.3f} conf={top[2]}" if top else "none"
                    print(f"  {res['id']} {lang_of[res['id']]} [{qc}] -> {desc} {res['reasons'][:3]}")
    save_results(args.out, report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
