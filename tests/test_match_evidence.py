"""What makes a match confident: launcher frames are no evidence, generic messages need the same
raising function, fixes that say the same thing support each other, and the calibration is
measured only on queries it was not fitted on."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from memory_store.bugs.confidence import probability
from memory_store.bugs.fix_meaning import fix_similarity, fixes_agree
from memory_store.bugs.match import BugIndex
from memory_store.bugs.records import BugStore
from memory_store.errors.normalize import is_specific, message_template
from memory_store.workspace import Workspace

REPO = Path(__file__).resolve().parent.parent

# Two unrelated functions in two packages that raise the same generic error, and runners that
# start a function the way the issue describes (python -m, a thread pool, asyncio.run).
APP = {
    "a/__init__.py": "",
    "a/stats.py": """\
        def avg(values):
            return sum(values) / len(values)


        if __name__ == "__main__":
            avg([])
        """,
    "b/__init__.py": "",
    "b/cache.py": """\
        HITS = {"hits": 0, "misses": 0}


        def ratio():
            return HITS["hits"] / (HITS["hits"] + HITS["misses"])


        if __name__ == "__main__":
            ratio()
        """,
    "pool.py": """\
        import sys
        from concurrent.futures import ThreadPoolExecutor
        from importlib import import_module

        module, _, name = sys.argv[1].partition(":")
        func = getattr(import_module(module), name)
        with ThreadPoolExecutor() as pool:
            pool.submit(func, *([[]] if name == "avg" else [])).result()
        """,
    "aio.py": """\
        import asyncio
        import sys
        from importlib import import_module

        module, _, name = sys.argv[1].partition(":")
        func = getattr(import_module(module), name)


        async def handle():
            return func(*([[]] if name == "avg" else []))

        asyncio.run(handle())
        """,
}


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("app")
    for rel, text in APP.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(textwrap.dedent(text), encoding="utf-8")
    return root


def run(app: Path, *argv: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    done = subprocess.run([sys.executable, *argv], cwd=app, env={**env, "PYTHONPATH": str(app)},
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode != 0 and "ZeroDivisionError: division by zero" in done.stderr
    return done.stderr


@pytest.fixture
def store(workspace: Workspace) -> BugStore:
    return BugStore(workspace)


def index_of(store: BugStore, error: str, fix: str) -> tuple[BugIndex, str]:
    rec = store.build(error, fix, author="test")
    return BugIndex([rec]), rec["id"]


@pytest.mark.parametrize("stored, lookalike", [
    pytest.param(("-m", "a.stats"), ("-m", "b.cache"), id="python-m"),
    pytest.param(("pool.py", "a.stats:avg"), ("pool.py", "b.cache:ratio"), id="thread-pool"),
    pytest.param(("aio.py", "a.stats:avg"), ("aio.py", "b.cache:ratio"), id="asyncio"),
])
def test_a_lookalike_run_the_same_way_is_never_confident(app: Path, store: BugStore, stored: tuple[str, ...],
                                                         lookalike: tuple[str, ...]) -> None:
    index, rid = index_of(store, run(app, *stored), "avg() of no values returns 0.0")
    found = index.match(run(app, *lookalike), include_weak=True)
    assert [m.record["id"] for m in found] == [rid]  # still shown as a weak candidate
    assert not found[0].confident
    assert any("another function" in r for r in found[0].reasons)


@pytest.mark.parametrize("stored, query", [
    pytest.param(("-m", "a.stats"), ("pool.py", "a.stats:avg"), id="python-m-vs-thread-pool"),
    pytest.param(("pool.py", "a.stats:avg"), ("aio.py", "a.stats:avg"), id="thread-pool-vs-asyncio"),
])
def test_the_same_function_through_another_launcher_is_confident(app: Path, store: BugStore,
                                                                 stored: tuple[str, ...],
                                                                 query: tuple[str, ...]) -> None:
    index, rid = index_of(store, run(app, *stored), "avg() of no values returns 0.0")
    found = index.match(run(app, *query))
    assert [m.record["id"] for m in found] == [rid] and found[0].confident
    assert any("same function: a.stats.avg" in r for r in found[0].reasons)


def test_a_generic_error_line_alone_is_never_confident(app: Path, store: BugStore) -> None:
    index, _ = index_of(store, run(app, "-m", "a.stats"), "avg() of no values returns 0.0")
    found = index.match("ZeroDivisionError: division by zero", include_weak=True)
    assert found and not found[0].confident


@pytest.mark.parametrize("path_a, path_b, same", [
    ("/home/dana/src/shop/billing/invoice.py", "/builds/ci-7/checkout/shop/billing/invoice.py", True),
    ("shop/billing/invoice.py", "C:\\Users\\lee\\shop\\billing\\invoice.py", True),
    ("run_bug.py", "/tmp/x/shopapp/run_bug.py", True),  # a top-level script, relative vs absolute
    ("shop/api/utils.py", "shop/db/utils.py", False),  # two utils.py in two packages
])
def test_in_app_functions_compare_by_folder_and_file_not_checkout(path_a: str, path_b: str, same: bool) -> None:
    from memory_store.errors.frames import make_frame
    from memory_store.errors.normalize import app_function_key, same_function

    a, b = (app_function_key(make_frame(p, 3, "get")) for p in (path_a, path_b))
    assert a and b and same_function(a, b) is same


# -- which messages are generic: the language's own names only ------------------------------
@pytest.mark.parametrize("exc_type, message, language, specific", [
    ("ZeroDivisionError", "division by zero", "python", False),
    ("IndexError", "list index out of range", "python", False),
    ("AttributeError", "'NoneType' object has no attribute 'get'", "python", False),
    ("ValueError", "not enough values to unpack (expected 2, got 1)", "python", False),
    ("TypeError", "unsupported operand type(s) for +: 'int' and 'str'", "python", False),
    ("TypeError", "Cannot read properties of undefined (reading 'map')", "javascript", False),
    ("AttributeError", "'NoneType' object has no attribute 'shipping_address'", "python", True),
    ("KeyError", "'user_id'", "python", True),
    ("ModuleNotFoundError", "No module named 'cv2'", "python", True),
    ("TypeError", "Cannot read properties of undefined (reading 'items')", "javascript", True),
    ("TypeError", "Object of type datetime is not JSON serializable", "python", True),
    ("sqlite3.OperationalError", "database is locked", "python", True),
])
def test_generic_messages_name_only_the_languages_own_names(exc_type: str, message: str, language: str,
                                                            specific: bool) -> None:
    assert is_specific(exc_type, message_template(exc_type, message), language) is specific


# -- fixes compared by what they say ----------------------------------------------------------
@pytest.mark.parametrize("a, b", [
    ("Pass encoding='utf-8' to open(); Windows defaults to cp1252.",
     "open the file with encoding='utf-8' explicitly"),
    ("Install the system package python3-tk (apt install python3-tk).",
     "tkinter comes from the OS: apt-get install python3-tk"),
    ("Upgrade node-fetch to 2.6.7 or pin node-fetch@2.6.7", "pin node-fetch@2.6.7 in package.json"),
])
def test_paraphrased_fixes_agree(a: str, b: str) -> None:
    assert fixes_agree(a.lower(), b.lower())


@pytest.mark.parametrize("a, b", [
    ("Pass encoding='utf-8' to open()", "close the browser so it releases the database lock"),
    ("start the redis server before the worker", "install the libffi headers and rebuild python"),
])
def test_different_fixes_disagree(a: str, b: str) -> None:
    assert not fixes_agree(a.lower(), b.lower()) and fix_similarity(a.lower(), b.lower()) < 0.5


CHARMAP = ("Traceback (most recent call last):\n  File \"/home/dana/src/notes/load.py\", line 4, in load\n"
           "    text = f.read()\nUnicodeDecodeError: 'charmap' codec can't decode byte 0x9d in position 619: "
           "character maps to <undefined>")


def test_records_that_say_the_same_fix_support_each_other(store: BugStore) -> None:
    recs = [store.build(CHARMAP, "Pass encoding='utf-8' to open(); Windows defaults to cp1252.", author="a"),
            store.build(CHARMAP.replace("dana", "lee"), "open the file with encoding='utf-8' explicitly", author="b")]
    found = BugIndex(recs).match(CHARMAP.replace("dana", "kim"), include_weak=True)
    assert found[0].confident and found[0].evidence["rivals"] == 0.0 and found[0].evidence["support"] > 0
    assert not any("different fixes" in r for r in found[0].reasons)


def test_records_with_different_fixes_for_one_error_weaken_each_other(store: BugStore) -> None:
    recs = [store.build(CHARMAP, "Pass encoding='utf-8' to open()", author="a"),
            store.build(CHARMAP.replace("dana", "lee"), "the file was saved by Excel: export it as CSV UTF-8",
                        author="b")]
    found = BugIndex(recs).match(CHARMAP.replace("dana", "kim"), include_weak=True)
    assert found[0].evidence["rivals"] > 0 and found[0].evidence["agree_share"] < 1.0
    assert any("different fixes" in r for r in found[0].reasons)
    alone = BugIndex(recs[:1]).match(CHARMAP.replace("dana", "kim"), include_weak=True)
    assert found[0].confidence < alone[0].confidence


def test_confidence_grows_with_the_score() -> None:
    low, high = ({"score": s, "same_template": 0.0, "agree_share": 1.0} for s in (0.3, 0.95))
    assert probability(low) < probability(high)

def _match_bench() -> Any:
    """bench/match_quality.py as a module (bench/ is not a package)."""
    sys.path.insert(0, str(REPO / "bench"))
    try:
        import match_quality
    finally:
        sys.path.remove(str(REPO / "bench"))
    return match_quality


def _synthetic_results(mq: Any) -> tuple[list[dict[str, Any]], dict[str, list[dict[str, Any]]]]:
    """60 made-up queries (every third a singleton) with one ranked candidate each, per mode."""
    data = [{"id": f"D{i:03d}", "cluster": f"c{i % 7}" if i % 3 else None} for i in range(60)]
    ours = {m: [{"id": r["id"], "ranked": [(data[(i + 7) % 60]["id"], 0.5 + (i % 5) / 10, False)], "gate": True,
                 "evidence": {"score": 0.5 + (i % 5) / 10, "same_template": float(i % 2)}, "p": 0.0}
                for i, r in enumerate(data)] for m in mq.MODES}
    return data, ours


# -- the calibration is never fitted on the queries it is measured on ---------------------------
def test_cross_validation_never_fits_on_the_fold_it_scores(monkeypatch: pytest.MonkeyPatch) -> None:
    mq = _match_bench()
    data, ours = _synthetic_results(mq)
    seen: list[set[str]] = []
    real_fit = mq.fit_model

    def spying(train: list[tuple[list[dict[str, Any]], dict[str, list[dict[str, Any]]]]]) -> Any:
        seen.append({r["id"] for _, results in train for m in mq.MODES for r in results[m]})
        return real_fit(train)

    monkeypatch.setattr(mq, "fit_model", spying)
    cv = mq.cross_validated(data, ours, folds=5)
    assert len(seen) == 5 and len(cv["thresholds"]) == 5
    folds = [{r["id"] for r in data if mq.fold_of(r["id"], 5) == k} for k in range(5)]
    for trained_on, fold in zip(seen, folds, strict=True):
        assert fold and not trained_on & fold
        assert trained_on | fold == {r["id"] for r in data}
    assert sum(cv["modes"]["full"][k] for k in ("members", "singletons")) == len(data)


# -- why a right answer was withheld or a wrong one given ---------------------------------------
def test_the_bench_names_why_an_answer_was_withheld_or_given() -> None:
    mq = _match_bench()
    data = [{"id": "A1", "cluster": "a"}, {"id": "A2", "cluster": "a"}, {"id": "B1", "cluster": "b"},
            {"id": "S1", "cluster": None}]
    held = [
        # right first candidate withheld: a near-equal record of another cause
        {"id": "A1", "ranked": [("A2", 1.0, False), ("B1", 0.95, False)], "gate": True, "p": 0.7,
         "evidence": {"score": 1.0, "rivals": 0.69, "same_template": 1.0}},
        # right first candidate withheld by the generic-message rule
        {"id": "A2", "ranked": [("A1", 0.9, False)], "gate": False, "p": 0.9,
         "evidence": {"score": 0.9, "generic": 1.0}},
        # a singleton answered with an exact match
        {"id": "S1", "ranked": [("B1", 1.0, True)], "gate": True, "p": 0.9,
         "evidence": {"score": 1.0, "same_template": 1.0, "rivals": 0.0, "generic": 0.0}},
        # answered and right: not listed
        {"id": "B1", "ranked": [("A1", 0.2, False)], "gate": True, "p": 0.1, "evidence": {"score": 0.2}},
    ]
    why = mq.why_not_answered(data, held)
    causes = {q["id"]: (q["kind"], q["causes"]) for q in why["queries"]}
    assert causes["A1"] == ("withheld", ["near-equal candidate of another cause"])
    assert causes["A2"] == ("withheld", ["generic message, raising function not the same"])
    assert causes["S1"] == ("wrong", ["exact match, no near-equal record with another fix"])
    assert "B1" not in causes
    assert why["counts"]["withheld"] == {"near-equal candidate of another cause": 1,
                                         "generic message, raising function not the same": 1}


def test_a_library_message_of_a_builtin_type_needs_no_raising_function(store: BugStore) -> None:
    """``RuntimeError: Working outside of application context.`` is Flask's wording, not the
    runtime's: its error line alone may be an answer, unlike ``division by zero``."""
    flask = ("Traceback (most recent call last):\n  File \"/home/dana/app/manage.py\", line 9, in <module>\n"
             "    db.create_all()\nRuntimeError: Working outside of application context.")
    rec = store.build(flask, "Run it inside `with app.app_context():`", author="a")
    found = BugIndex([rec]).match("RuntimeError: Working outside of application context.", include_weak=True)
    assert found and found[0].evidence["generic"] == 0.0 and found[0].evidence["raiser_agrees"] == 1.0
    assert found[0].confident
    zero = ("Traceback (most recent call last):\n  File \"/home/dana/app/stats.py\", line 3, in avg\n"
            "    return total / len(values)\nZeroDivisionError: division by zero")
    rec = store.build(zero, "Return 0 for an empty list", author="a")
    found = BugIndex([rec]).match("ZeroDivisionError: division by zero", include_weak=True)
    assert found and found[0].evidence["generic"] == 1.0 and not found[0].confident


def test_a_generic_error_raised_in_two_programs_main_is_no_answer(store: BugStore) -> None:
    """Every program has a ``main``: two Go deadlocks reported there share no particular code."""
    a = ("fatal error: all goroutines are asleep - deadlock!\n\ngoroutine 1 [chan receive]:\nmain.main()\n"
         "\t/home/dana/src/sniffer/main.go:21 +0x36d\n")
    b = a.replace("/home/dana/src/sniffer/main.go:21", "/tmp/sandbox1/prog.go:9")
    found = BugIndex([store.build(a, "the UDP port was in use so the worker exited", author="a")]).match(
        b, include_weak=True)
    assert found and found[0].evidence["generic"] == 1.0
    assert found[0].evidence["raiser_agrees"] == 0.0 and not found[0].confident


# -- the model is monotone: more evidence never lowers the confidence ----------------------------
def test_the_shipped_model_moves_each_evidence_its_own_way() -> None:
    from memory_store.bugs import confidence

    assert set(confidence.COEFFICIENTS) == set(confidence.FEATURES) == set(confidence.SIGNS)
    assert all(confidence.COEFFICIENTS[k] * confidence.SIGNS[k] >= 0 for k in confidence.FEATURES)
    base = {"score": 0.6, "information": 1.0, "margin": 0.3, "agree_share": 0.8, "rivals": 0.7,
            "same_template": 0.0, "generic": 0.0, "typed": 0.0}
    for name in confidence.FEATURES:
        more = dict(base, **{name: base[name] + confidence.SIGNS[name] * 0.5})
        assert probability(more) >= probability(base), name


def test_a_fit_never_keeps_a_coefficient_against_its_evidence() -> None:
    """In rows where the same template happens to go with wrong answers, the fit does not learn
    that an exact template is evidence against: it drops it and refits the rest."""
    from memory_store.bugs.confidence import fit_logistic

    rows = [{"score": 0.3 + 0.07 * (i % 10), "same_template": float(i % 3 == 0)} for i in range(90)]
    labels = [int(r["score"] > 0.6 and not r["same_template"]) for r in rows]
    _, free = fit_logistic(rows, labels, signs={})
    assert free["same_template"] < 0  # what an unconstrained fit learns from such rows
    _, kept = fit_logistic(rows, labels)
    assert kept["same_template"] == 0.0 and kept["score"] > 0


BUILD = (r"C:\Program Files\dotnet\sdk\7.0.100\Sdks\Microsoft.NET.Sdk\targets\Microsoft.PackageDependencyResolution"
         r".targets(267,5): error NETSDK1004: Assets file 'C:\src\shop\obj\project.assets.json' not found. Run a "
         r"NuGet package restore to generate this file. [C:\src\shop\shop.csproj]")
LIST_LINE = ("NETSDK1004 Assets file '/home/lee/billing/obj/project.assets.json' not found. Run a NuGet package "
             "restore to generate this file. billing /usr/share/dotnet/sdk/8.0.1/Sdks/Microsoft.NET.Sdk/targets/"
             "Microsoft.PackageDependencyResolution.targets 266")
"""The line as copied from an editor's error list: the project and the targets file follow the message."""


def test_the_same_error_code_and_wording_is_an_answer_from_a_longer_line(store: BugStore) -> None:
    """An editor's error list adds the project and the targets file to the line: extra detail,
    not another error."""
    rec = store.build(BUILD, "Run dotnet restore before the build step", author="a")
    found = BugIndex([rec]).match(LIST_LINE, include_weak=True)
    assert found and found[0].confident and found[0].evidence["information"] > 1.0
    assert found[0].evidence["same_template"] == 0.0  # the longer line is not the stored template
    assert "same error code NETSDK1004" in found[0].reasons


def test_another_error_code_with_the_same_wording_is_no_answer(store: BugStore) -> None:
    rec = store.build(BUILD, "Run dotnet restore before the build step", author="a")
    same = BugIndex([rec]).match(LIST_LINE, include_weak=True)
    other = BugIndex([rec]).match(LIST_LINE.replace("NETSDK1004", "NETSDK1005"), include_weak=True)
    assert other and not other[0].confident and other[0].evidence["information"] == 0.0
    assert other[0].confidence < same[0].confidence
    assert "another error code (NETSDK1004)" in other[0].reasons


def test_a_long_tool_message_shares_more_particular_words_than_a_short_lookalike(store: BugStore) -> None:
    """Two short messages that differ in one name and a long one met with a path changed may
    score alike; the long one shares far more particular words."""
    long_a = ("go: cannot find main module, but found .git/config in /home/dana/src/shop\n"
              "\tto create a module there, run:\n\tcd ../.. && go mod init")
    long_b = long_a.replace("/home/dana/src/shop", "/builds/ci/shop")
    short_a = "KeyError: 'user_id'"
    short_b = "KeyError: 'order_id'"
    index = BugIndex([store.build(long_a, "run go mod init in the repository root", author="a"),
                      store.build(short_a, "the session expired: log in again", author="a")])
    long_found = index.match(long_b, include_weak=True)
    short_found = index.match(short_b, include_weak=True)
    assert long_found and short_found
    assert long_found[0].evidence["information"] > 2 * short_found[0].evidence["information"]
    assert long_found[0].confident and not short_found[0].confident


def test_the_same_exception_type_is_never_less_confident_than_a_related_one(store: BugStore) -> None:
    """Knowing that the types agree adds to the confidence; a related type (ImportError for
    ModuleNotFoundError) adds less. The kind of message (typed, no error code) is the same for both."""
    rec = store.build("Traceback (most recent call last):\n  File \"/home/dana/app/vision.py\", line 3, in <module>\n"
                      "    import cv2\nModuleNotFoundError: No module named 'cv2'",
                      "pip install opencv-python-headless in the image", author="a")
    index = BugIndex([rec])
    tail = "No module named 'cv2' while loading the camera plugin"
    same = index.match(f"ModuleNotFoundError: {tail}", include_weak=True)[0]
    related = index.match(f"ImportError: {tail}", include_weak=True)[0]
    assert same.evidence["typed"] == related.evidence["typed"] == 1.0
    assert same.confidence > related.confidence


def test_the_bench_measures_its_figures_over_several_fold_assignments(monkeypatch: pytest.MonkeyPatch) -> None:
    mq = _match_bench()
    data, ours = _synthetic_results(mq)
    splits_seen: list[int] = []
    real_cv = mq.cross_validated

    def spying(*args: Any, **kwargs: Any) -> Any:
        splits_seen.append(args[4] if len(args) > 4 else kwargs.get("split", 0))
        return real_cv(*args, **kwargs)

    monkeypatch.setattr(mq, "cross_validated", spying)
    out = mq.fold_splits([("a", data, ours)], 5, 3)
    assert splits_seen == [0, 1, 2]
    assignments = [[mq.fold_of(r["id"], 5, s) for r in data] for s in range(3)]
    assert assignments[0] != assignments[1] != assignments[2]
    cell = out["files"]["a"]["full"]["answered"]
    assert cell["min"] <= cell["mean"] <= cell["max"] and out["splits"] == 3


def test_only_named_exception_classes_without_a_code_are_the_typed_kind(store: BugStore) -> None:
    """``typed`` is the kind of message many causes share: a named exception class. A tool's
    lowercase label (``go``) or an error code makes a diagnostic that names its cause."""
    tool = "go: cannot find main module, but found .git/config in /home/dana/src/shop"
    index = BugIndex([store.build(tool, "run go mod init in the repository root", author="a"),
                      store.build(BUILD, "Run dotnet restore before the build step", author="a"),
                      store.build("KeyError: 'user_id'", "the session expired: log in again", author="a")])
    assert index.match(tool.replace("dana", "lee"), include_weak=True)[0].evidence["typed"] == 0.0
    assert index.match(LIST_LINE, include_weak=True)[0].evidence["typed"] == 0.0
    assert index.match("KeyError: 'user_id'", include_weak=True)[0].evidence["typed"] == 1.0
