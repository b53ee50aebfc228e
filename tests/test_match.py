"""Matcher quality on hand-made cases from real-world libraries, and the index's mechanics."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from memory_store.bugs import match as match_mod
from memory_store.bugs.match import BugIndex, Match, fix_time_stats
from memory_store.bugs.records import BugStore
from memory_store.workspace import Workspace

DATA = Path(__file__).parent / "data" / "tracebacks"

STRUCTLOG_LINUX = """\
Traceback (most recent call last):
  File "/home/dana/proj/src/worker/tasks.py", line 3, in <module>
    import structlog
ModuleNotFoundError: No module named 'structlog'
"""
STRUCTLOG_WINDOWS = """\
Traceback (most recent call last):
  File "C:\\Users\\li\\code\\proj\\src\\api\\logging_setup.py", line 12, in configure
    import structlog
ModuleNotFoundError: No module named 'structlog'
"""
REDIS_MISSING = "ModuleNotFoundError: No module named 'redis'\n"

PSYCOPG_REFUSED = """\
Traceback (most recent call last):
  File "/app/server/db.py", line 12, in connect
    return psycopg2.connect(dsn)
  File "/usr/local/lib/python3.8/site-packages/psycopg2/__init__.py", line 127, in connect
    conn = _connect(dsn, connection_factory=connection_factory, **kwasync)
psycopg2.OperationalError: could not connect to server: Connection refused
\tIs the server running on host "localhost" (127.0.0.1) and accepting
\tTCP/IP connections on port 5432?
"""
PSYCOPG_REFUSED_OTHER_APP = """\
Traceback (most recent call last):
  File "/Users/kim/shop/catalog/models.py", line 88, in load
    conn = psycopg2.connect(host=HOST, dbname="shop")
  File "/Users/kim/.venvs/shop/lib/python3.12/site-packages/psycopg2/__init__.py", line 122, in connect
    conn = _connect(dsn, connection_factory=connection_factory, **kwasync)
psycopg2.OperationalError: could not connect to server: Connection refused
"""
PSYCOPG_AUTH = """\
Traceback (most recent call last):
  File "/app/server/db.py", line 12, in connect
    return psycopg2.connect(dsn)
  File "/usr/local/lib/python3.8/site-packages/psycopg2/__init__.py", line 127, in connect
    conn = _connect(dsn, connection_factory=connection_factory, **kwasync)
psycopg2.OperationalError: FATAL:  password authentication failed for user "shop"
"""

CART_TYPEERROR_OTHER_FILE = """\
TypeError: Cannot read properties of undefined (reading 'items')
    at renderCart (/srv/web/storefront/src/views/cart.js:12:40)
    at Layer.handle [as handle_request] (/srv/web/storefront/node_modules/express/lib/router/layer.js:95:5)
    at next (/srv/web/storefront/node_modules/express/lib/router/route.js:149:13)
"""
MAP_TYPEERROR = """\
TypeError: Cannot read properties of undefined (reading 'map')
    at ProductList (/srv/web/storefront/src/components/ProductList.jsx:8:23)
"""

RECURSION_WITH_STACK = """\
Traceback (most recent call last):
  File "gevent_app.py", line 7, in <module>
    create_urllib3_context()
  File "/usr/lib/python3.6/site-packages/urllib3/util/ssl_.py", line 269, in create_urllib3_context
    context.options |= options
  File "/usr/lib/python3.6/ssl.py", line 459, in options
    super(SSLContext, SSLContext).options.__set__(self, value)
  [Previous line repeated 329 more times]
RecursionError: maximum recursion depth exceeded while calling a Python object
"""
RECURSION_BARE = "RecursionError: maximum recursion depth exceeded while calling a Python object\n"

PANDAS_OTHER_COLUMN = """\
Traceback (most recent call last):
  File "/home/ana/work/reports/monthly.py", line 40, in build
    df["margin_pct"] = df["margin"] / df["revenue"]
  File "/home/ana/.venv/lib/python3.11/site-packages/pandas/core/frame.py", line 3893, in __getitem__
    indexer = self.columns.get_loc(key)
  File "/home/ana/.venv/lib/python3.11/site-packages/pandas/core/indexes/base.py", line 3797, in get_loc
    raise KeyError(key) from err
KeyError: 'margin'
"""


def sample(name: str) -> str:
    return (DATA / f"{name}.txt").read_text(encoding="utf-8")


@pytest.fixture
def store(workspace: Workspace) -> BugStore:
    return BugStore(workspace)


def record(store: BugStore, error: str, fix: str, **kw: Any) -> dict[str, Any]:
    return store.build(error, fix, author="test", **kw)


def ids(matches: list[Match]) -> list[str]:
    return [m.record["id"] for m in matches]


# -- same bug, different call site / user / machine: a confident match --------------------
@pytest.mark.parametrize("stored, query", [
    pytest.param(STRUCTLOG_LINUX, STRUCTLOG_WINDOWS, id="structlog-linux-vs-windows"),
    pytest.param(PSYCOPG_REFUSED, PSYCOPG_REFUSED_OTHER_APP, id="psycopg2-other-app"),
    pytest.param(sample("node_typeerror"), CART_TYPEERROR_OTHER_FILE, id="node-other-file"),
    pytest.param(sample("issue_post"), "ModuleNotFoundError: No module named 'dotenv'", id="issue-post-vs-line"),
    pytest.param(sample("requests_connection"),
                 "requests.exceptions.ConnectionError: HTTPSConnectionPool(host='api.weather.example', port=443): "
                 "Max retries exceeded with url: /v1/forecast?lat=48.9&lon=2.35 (Caused by NewConnectionError("
                 "'<urllib3.connection.HTTPSConnection object at 0x10a4c3f70>: Failed to establish a new connection: "
                 "[Errno -3] Temporary failure in name resolution'))", id="requests-other-url-and-address"),
    pytest.param(sample("django_doesnotexist"),
                 sample("django_doesnotexist").replace("/srv/shop/venv", "/home/x/.venvs/shop")
                 .replace("line 41", "line 58"), id="django-other-machine"),
    pytest.param("2024-05-01 12:00:03 ERROR sqlite3.OperationalError: database is locked",
                 "`sqlite3.OperationalError: database is locked`", id="sqlite-log-vs-markdown"),
])
def test_same_error_elsewhere_is_a_confident_match(store: BugStore, stored: str, query: str) -> None:
    rec = record(store, stored, "the fix")
    index = BugIndex([rec, record(store, sample("numpy_broadcast"), "reshape center")])
    found = index.match(query, include_weak=True)
    assert ids(found)[:1] == [rec["id"]] and found[0].confident
    assert all(m.confidence < found[0].confidence for m in found[1:])
    assert any("same exception" in r or "similar wording" in r for r in found[0].reasons)


# -- look-alikes with another cause: no confident answer ----------------------------------
@pytest.mark.parametrize("stored, query", [
    pytest.param(STRUCTLOG_LINUX, REDIS_MISSING, id="other-missing-module"),
    pytest.param(PSYCOPG_REFUSED, PSYCOPG_AUTH, id="psycopg2-auth-vs-refused"),
    pytest.param(sample("node_typeerror"), MAP_TYPEERROR, id="undefined-items-vs-map"),
    pytest.param(sample("pandas_keyerror"), PANDAS_OTHER_COLUMN, id="pandas-other-column"),
    pytest.param(RECURSION_WITH_STACK, RECURSION_BARE, id="generic-message-without-stack"),
    pytest.param(sample("sqlalchemy_chained"),
                 "sqlalchemy.exc.ProgrammingError: (psycopg2.errors.UndefinedColumn) column \"total\" does not exist",
                 id="sqlalchemy-column-vs-table"),
    pytest.param(sample("node_esm"), "Error [ERR_UNKNOWN_FILE_EXTENSION]: Unknown file extension \".ts\" for "
                 "/home/ray/bot/src/app.ts", id="other-node-error-code"),
])
def test_look_alike_with_another_cause_is_not_confident(store: BugStore, stored: str, query: str) -> None:
    index = BugIndex([record(store, stored, "the fix for the stored error")])
    assert index.match(query) == []
    weak = index.match(query, include_weak=True)
    assert all(not m.confident for m in weak)


def test_same_error_with_different_recorded_fixes_is_ambiguous(store: BugStore) -> None:
    a = record(store, "OSError: [Errno 98] Address already in use",
               "another process still holds the port: find it with lsof and stop it")
    b = record(store, "OSError: [Errno 98] Address already in use",
               "the Flask reloader runs the module twice: pass use_reloader=False")
    index = BugIndex([a, b])
    assert index.match("OSError: [Errno 98] Address already in use") == []
    weak = index.match("OSError: [Errno 98] Address already in use", include_weak=True)
    assert set(ids(weak)) == {a["id"], b["id"]}
    assert all(not m.confident for m in weak)
    assert any("different fixes" in r for r in weak[0].reasons)


def test_majority_fix_ranks_first_among_equal_candidates(store: BugStore) -> None:
    fix = "export DJANGO_SETTINGS_MODULE and call django.setup() before importing models"
    recs = [record(store, f"django.core.exceptions.AppRegistryNotReady: Apps aren't loaded yet.\n# {i}", fix)
            for i in range(3)]
    for n, rec in enumerate(recs):
        rec["id"] = f"bug-agree-{n}"
    other = record(store, "django.core.exceptions.AppRegistryNotReady: Apps aren't loaded yet.",
                   "a third-party app imports models in its __init__: upgrade it")
    other["id"] = "bug-a-other"
    index = BugIndex([*recs, other])
    weak = index.match("django.core.exceptions.AppRegistryNotReady: Apps aren't loaded yet.", include_weak=True)
    assert weak[0].record["fix"] == fix


def test_records_agreeing_on_the_fix_stay_confident(store: BugStore) -> None:
    a = record(store, STRUCTLOG_LINUX, "add structlog to requirements.txt")
    b = record(store, STRUCTLOG_WINDOWS, "add structlog to requirements.txt and reinstall")
    found = BugIndex([a, b]).match(STRUCTLOG_LINUX)
    assert set(ids(found)) == {a["id"], b["id"]} and all(m.confident for m in found)


def test_shared_library_frames_are_reasons(store: BugStore) -> None:
    rec = record(store, PSYCOPG_REFUSED, "start the database container first")
    found = BugIndex([rec]).match(PSYCOPG_REFUSED_OTHER_APP)
    reasons = " | ".join(found[0].reasons)
    assert "shared frames: psycopg2.connect" in reasons and "same library: psycopg2" in reasons


# -- index mechanics --------------------------------------------------------------------
def test_add_and_remove_are_incremental(store: BugStore) -> None:
    index = BugIndex()
    assert len(index) == 0 and index.match(STRUCTLOG_LINUX) == []
    rec = record(store, STRUCTLOG_LINUX, "add structlog")
    assert index.add(rec) and len(index) == 1
    assert ids(index.match(STRUCTLOG_WINDOWS, include_weak=True)) == [rec["id"]]
    changed = dict(rec, fix="pin structlog in pyproject")
    index.add(changed)  # same id: replaced, not duplicated
    assert len(index) == 1
    assert index.match(STRUCTLOG_WINDOWS, include_weak=True)[0].record["fix"] == "pin structlog in pyproject"
    assert index.remove(rec["id"]) and not index.remove(rec["id"])
    assert len(index) == 0 and index.match(STRUCTLOG_WINDOWS, include_weak=True) == []


def test_records_without_a_usable_error_are_skipped() -> None:
    index = BugIndex([{"id": "bug-x"}, {"error": {"type": "KeyError", "message": "'a'"}}, {"id": "", "error": {}}])
    assert len(index) == 0


def test_reads_while_another_thread_adds(store: BugStore) -> None:
    base = [record(store, f"KeyError: 'field_{i}'", f"fix {i}") for i in range(50)]
    index = BugIndex(base[:10])
    errors: list[BaseException] = []

    def writer() -> None:
        try:
            for rec in base[10:]:
                index.add(rec)
                index.remove(base[0]["id"])
                index.add(base[0])
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    t = threading.Thread(target=writer)
    t.start()
    try:
        for i in range(300):
            index.match(f"KeyError: 'field_{i % 50}'", include_weak=True)
    finally:
        t.join()
    assert not errors and len(index) == 50
    assert index.match("KeyError: 'field_42'")[0].record["fix"] == "fix 42"


def test_a_query_scores_only_a_bounded_candidate_set(store: BugStore, monkeypatch: pytest.MonkeyPatch) -> None:
    recs = []
    for i in range(1500):
        rec = record(store, f"ValueError: invalid literal for int() with base 10: 'v{i}'", f"fix {i}")
        recs.append(rec)
    index = BugIndex(recs)
    scored: list[int] = []
    original = BugIndex._score_all

    def counting(self: BugIndex, query: Any, limit: int) -> list[Any]:
        out = original(self, query, limit)
        scored.append(len(out))
        return out

    monkeypatch.setattr(BugIndex, "_score_all", counting)
    found = index.match("ValueError: invalid literal for int() with base 10: 'v77'")
    assert found[0].record["fix"] == "fix 77"
    assert scored[0] <= match_mod.MAX_CANDIDATE_GROUPS


def test_threshold_is_configurable(store: BugStore) -> None:
    rec = record(store, PSYCOPG_REFUSED, "start the database")
    strict = BugIndex([rec], threshold=1.01)
    assert strict.match(PSYCOPG_REFUSED_OTHER_APP) == []
    assert strict.match(PSYCOPG_REFUSED_OTHER_APP, include_weak=True)[0].confident is False


def test_match_json_shape(store: BugStore) -> None:
    rec = record(store, STRUCTLOG_LINUX, "add structlog", root_cause="never declared")
    out = BugIndex([rec]).match(STRUCTLOG_WINDOWS, include_weak=True)[0].to_json()
    assert set(out) == {"id", "author", "created", "score", "confidence", "fix", "root_cause", "error_type", "message",
                        "reasons", "confident"}
    assert 0.0 <= out["confidence"] <= 1.0
    assert out["error_type"] == "ModuleNotFoundError" and out["root_cause"] == "never declared"
    assert out["score"] == round(out["score"], 3) and 0.0 <= out["score"] <= 1.0


def test_limit_and_empty_queries(store: BugStore) -> None:
    recs = [record(store, STRUCTLOG_LINUX, "add structlog"), record(store, STRUCTLOG_WINDOWS, "add structlog!")]
    index = BugIndex(recs)
    assert len(index.match(STRUCTLOG_LINUX, limit=1)) == 1
    assert index.match("   ") == [] and index.match(STRUCTLOG_LINUX, limit=0) == []


def test_fix_time_stats(store: BugStore) -> None:
    recs = [record(store, STRUCTLOG_LINUX, f"fix {i}", minutes=m) for i, m in enumerate((12, 40, 5))]
    matches = [Match(r, 1.0, [], True) for r in recs]
    assert fix_time_stats(matches) == {"median": 12, "min": 5, "max": 40, "n": 3}
    assert fix_time_stats([Match(record(store, STRUCTLOG_LINUX, "x"), 1.0, [], True)]) is None


# --- related exception types of the JVM ----------------------------------------------------------
@pytest.mark.parametrize("a, b, expected", [
    ("classnotfoundexception", "noclassdeffounderror", 0.7),  # one missing class, loaded by name or linked
    ("nosuchmethoderror", "incompatibleclasschangeerror", 0.7),  # child and parent
    ("nosuchmethoderror", "nosuchfielderror", 0.4),  # both a class changed under compiled code
    ("nosuchmethoderror", "noclassdeffounderror", 0.4),  # linkage errors
    ("filenotfoundexception", "nosuchfileexception", 0.4),  # I/O: java.io and java.nio.file
    ("nullpointerexception", "illegalargumentexception", 0.0),  # RuntimeException relates nothing
    ("classnotfoundexception", "filenotfoundexception", 0.0),
])
def test_jvm_type_similarity(a: str, b: str, expected: float) -> None:
    assert match_mod.type_similarity(a, b) == expected
    assert match_mod.type_similarity(b, a) == expected


def test_python_related_types_are_unchanged() -> None:
    assert match_mod.type_similarity("modulenotfounderror", "importerror") == 0.7
    assert match_mod.type_similarity("filenotfounderror", "permissionerror") == 0.4


def test_a_missing_class_reported_by_name_or_by_linkage_is_a_related_type(store: BugStore) -> None:
    stored = record(store, 'Exception in thread "main" java.lang.ClassNotFoundException: javax.xml.bind.JAXBContext\n'
                           "\tat java.base/java.lang.ClassLoader.loadClass(ClassLoader.java:521)\n",
                    "add jakarta.xml.bind-api, removed from the JDK in 11")
    other = record(store, 'Exception in thread "main" java.lang.IllegalStateException: javax.xml.bind.JAXBContext\n',
                   "the fix for another error")
    index = BugIndex([stored, other])
    found = index.match('Exception in thread "main" java.lang.NoClassDefFoundError: javax/xml/bind/JAXBContext\n'
                        "\tat com.acme.Config.load(Config.java:12)\n", include_weak=True)
    assert ids(found)[:1] == [stored["id"]]
    assert "related exception type" in found[0].reasons


def test_a_wrapped_go_error_matches_its_cause_met_in_another_operation(store: BugStore) -> None:
    stored = record(store, 'Get "https://registry.acme.test/v2/": x509: certificate signed by unknown authority',
                    "install ca-certificates in the runtime image")
    refused = record(store, "dial tcp 10.0.0.7:5432: connect: connection refused", "start the database first")
    index = BugIndex([stored, refused])
    found = index.match("2024/03/01 09:12:44 push: tls: failed to verify certificate: x509: certificate signed by "
                        "unknown authority")
    assert ids(found)[:1] == [stored["id"]] and found[0].confident


def test_generated_code_for_another_runtime_version_matches_its_past_fix(store: BugStore) -> None:
    """Go code generated for one runtime version (``ProtoPackageIsVersion4``) met with
    another: the same cause at any number. A different missing name is another error."""
    stored = record(store, "undefined: proto.ProtoPackageIsVersion4",
                    "regenerate the .pb.go files with the protoc-gen-go matching google.golang.org/protobuf in go.mod")
    other = record(store, "undefined: proto.Marshal", "import google.golang.org/protobuf/proto, not the old package")
    index = BugIndex([stored, other])
    found = index.match("api/v1/user.pb.go:22:11: undefined: proto.ProtoPackageIsVersion3")
    assert ids(found)[:1] == [stored["id"]] and found[0].confident
    assert not [m for m in index.match("undefined: proto.Unmarshal") if m.confident]
