"""Launcher, runner and framework-dispatch frames are never evidence (memory_store.errors.launchers)."""

from __future__ import annotations

import pytest

from memory_store.bugs.features import features_of
from memory_store.errors.frames import make_frame
from memory_store.errors.launchers import LAUNCHERS, is_launcher_frame, reason_for
from memory_store.errors.model import Frame, ParsedError

SITE = "/home/dana/.venv/lib/python3.11/site-packages"
STDLIB = "/usr/lib/python3.11"


@pytest.mark.parametrize("path, function", [
    pytest.param("<frozen runpy>", "_run_module_as_main", id="frozen-runpy"),
    pytest.param(f"{STDLIB}/runpy.py", "_run_code", id="runpy"),
    pytest.param(f"{STDLIB}/concurrent/futures/thread.py", "run", id="thread-pool"),
    pytest.param(f"{STDLIB}/concurrent/futures/_base.py", "result", id="future-result"),
    pytest.param(f"{STDLIB}/threading.py", "_bootstrap_inner", id="threading"),
    pytest.param(f"{STDLIB}/asyncio/runners.py", "run", id="asyncio-run"),
    pytest.param(f"{STDLIB}/asyncio/base_events.py", "run_until_complete", id="event-loop"),
    pytest.param(f"{STDLIB}/asyncio/events.py", "_run", id="asyncio-handle"),
    pytest.param(f"{STDLIB}/unittest/case.py", "_callTestMethod", id="unittest"),
    pytest.param(f"{SITE}/_pytest/python.py", "pytest_pyfunc_call", id="pytest"),
    pytest.param(f"{SITE}/pluggy/_callers.py", "_multicall", id="pluggy"),
    pytest.param(f"{SITE}/click/core.py", "invoke", id="click"),
    pytest.param(f"{SITE}/typer/main.py", "__call__", id="typer"),
    pytest.param(f"{SITE}/werkzeug/serving.py", "run_wsgi", id="werkzeug"),
    pytest.param(f"{SITE}/gunicorn/workers/sync.py", "handle_request", id="gunicorn"),
    pytest.param(f"{SITE}/uvicorn/protocols/http/h11_impl.py", "run_asgi", id="uvicorn"),
    pytest.param(f"{SITE}/django/core/handlers/base.py", "_get_response", id="django-handler"),
    pytest.param(f"{SITE}/flask/app.py", "full_dispatch_request", id="flask-dispatch"),
    pytest.param(f"{SITE}/starlette/routing.py", "handle", id="starlette"),
    pytest.param(f"{SITE}/fastapi/routing.py", "run_endpoint_function", id="fastapi"),
    pytest.param(f"{SITE}/celery/app/trace.py", "trace_task", id="celery"),
    pytest.param(f"{SITE}/IPython/core/interactiveshell.py", "run_code", id="ipython"),
    pytest.param(f"{SITE}/ipykernel/ipkernel.py", "do_execute", id="jupyter"),
])
def test_python_launcher_families_are_not_evidence(path: str, function: str) -> None:
    frame = make_frame(path, 10, function)
    assert is_launcher_frame(frame, "python")
    assert reason_for(frame, "python")


@pytest.mark.parametrize("path, function", [
    pytest.param(f"{SITE}/django/db/models/query.py", "get", id="django-orm"),
    pytest.param(f"{SITE}/psycopg2/__init__.py", "connect", id="psycopg2"),
    pytest.param(f"{STDLIB}/ssl.py", "options", id="ssl"),
    pytest.param(f"{STDLIB}/json/encoder.py", "default", id="json"),
    pytest.param(f"{SITE}/flask/globals.py", "_lookup_app_object", id="flask-context"),
    pytest.param(f"{STDLIB}/asyncio/tasks.py", "sleep", id="asyncio-sleep"),
    pytest.param("/srv/app/runpy.py", "_run_code", id="app-file-named-like-a-launcher"),
])
def test_frames_that_say_why_it_failed_stay_evidence(path: str, function: str) -> None:
    assert not is_launcher_frame(make_frame(path, 10, function), "python")


@pytest.mark.parametrize("language, frame", [
    ("javascript", Frame("node:internal/modules/cjs/loader", 1, "Module._compile", "node:internal/modules/cjs/loader",
                         "stdlib")),
    ("go", Frame("runtime/proc.go", 250, "runtime.main", "runtime", "stdlib")),
    ("rust", Frame("std/src/rt.rs", 1, "lang_start", "std::rt", "stdlib")),
    ("java", Frame("Method.java", 498, "invoke", "java.lang.reflect.Method", "stdlib")),
    ("kotlin", Frame("Runner.java", 1, "run", "org.junit.runners.ParentRunner", "library")),
    ("csharp", Frame("x.cs", 1, "Throw", "System.Runtime.ExceptionServices.ExceptionDispatchInfo", "stdlib")),
    ("ruby", Frame("gems/rack-2.2/lib/rack/builder.rb", 1, "call", "rack/builder", "library")),
])
def test_other_languages_launchers(language: str, frame: Frame) -> None:
    assert is_launcher_frame(frame, language)


def test_every_entry_says_why() -> None:
    assert {"python", "javascript", "go", "rust", "java", "csharp", "ruby"} <= set(LAUNCHERS)
    for entries in LAUNCHERS.values():
        assert entries
        for entry in entries:
            assert entry.prefix and len(entry.reason) > 10


def test_launcher_frames_are_left_out_of_the_features() -> None:
    frames = [make_frame("<frozen runpy>", 198, "_run_module_as_main"),
              make_frame("<frozen runpy>", 88, "_run_code"),
              make_frame(f"{STDLIB}/concurrent/futures/thread.py", 58, "run"),
              make_frame("/home/dana/src/shop/a/stats.py", 3, "avg")]
    f = features_of(ParsedError("ZeroDivisionError", "division by zero", frames, "python"))
    assert f.lib_frames == frozenset() and f.packages == frozenset()
    assert f.app_top == "a/stats:avg" and f.site == "stats:avg"
