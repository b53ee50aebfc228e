"""Launcher, runner and framework-dispatch frames: code that *runs* the program, not code that fails.

Two unrelated bugs run the same way (both under ``python -m``, both in a thread pool, both
as pytest tests, both behind the same web framework) share these frames, so they are never
evidence that two errors have one cause. Feature extraction (memory_store.bugs.features)
drops every frame this module recognises before frames are compared.

The list is data keyed by language: each entry names a module (or path) prefix, optionally
the functions within it, and why it is not evidence. Only non-app frames are checked: a
team's own ``manage.py`` or ``main.py`` stays evidence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from memory_store.errors.model import Frame


@dataclass(frozen=True)
class Launcher:
    prefix: str
    """Module (dotted, ``a.b``) or path prefix (``node:internal/``) the frame's module starts with;
    ``*`` for any module (then ``functions`` names the frames)."""
    reason: str
    functions: frozenset[str] = frozenset()
    """Only these functions of the module; empty for every function."""


def _l(prefix: str, reason: str, *functions: str) -> Launcher:
    return Launcher(prefix, reason, frozenset(functions))


LAUNCHERS: dict[str, tuple[Launcher, ...]] = {
    "python": (
        _l("runpy", "`python -m` and runpy.run_path start every module this way"),
        _l("concurrent.futures", "thread and process pools re-raise every task's error from the same frames"),
        _l("multiprocessing.pool", "process pools run and re-raise every task the same way"),
        _l("multiprocessing.process", "every child process starts through Process._bootstrap/run"),
        _l("threading", "every thread starts through Thread._bootstrap/run"),
        _l("asyncio.runners", "asyncio.run drives every coroutine"),
        _l("asyncio.base_events", "the event loop's run_until_complete/_run_once step every task"),
        _l("asyncio.events", "Handle._run calls every scheduled callback"),
        _l("asyncio.tasks", "Task.__step advances every coroutine (wait_for/gather re-raise any error)",
           "__step", "_Task__step", "__step_run_and_handle_result", "_step", "wait_for", "gather", "__wakeup",
           "_wakeup", "ensure_future"),
        _l("asyncio.futures", "Future.result re-raises any awaited error", "result", "__await__", "__iter__"),
        _l("asyncio.threads", "asyncio.to_thread runs any function in a thread"),
        _l("unittest", "the unittest runner calls every test method"),
        _l("_pytest", "pytest's runner and hook calls wrap every test"),
        _l("pytest", "pytest's entry point"),
        _l("pluggy", "plugin hook dispatch used by pytest for every test"),
        _l("*", "pytest plugins' hook wrappers run around every test, whatever package they live in",
           "pytest_runtest_call", "pytest_pyfunc_call", "pytest_runtest_protocol", "pytest_runtest_setup",
           "pytest_runtest_teardown", "pytest_runtest_makereport"),
        _l("py.test", "pytest's legacy entry point"),
        _l("nose", "the nose runner calls every test"),
        _l("click", "click's command dispatch (main/invoke) calls every command"),
        _l("typer", "typer's command dispatch calls every command"),
        _l("fire", "python-fire's command dispatch"),
        _l("werkzeug.serving", "the development WSGI server handles every request"),
        _l("werkzeug.debug", "the debugger middleware wraps every request"),
        _l("gunicorn", "the WSGI server's workers handle every request"),
        _l("uvicorn", "the ASGI server handles every request"),
        _l("hypercorn", "the ASGI server handles every request"),
        _l("waitress", "the WSGI server handles every request"),
        _l("wsgiref", "the standard library WSGI server handles every request"),
        _l("socketserver", "the standard library server loop handles every request"),
        _l("http.server", "the standard library HTTP server handles every request"),
        _l("flask.app", "Flask's dispatch (wsgi_app, full_dispatch_request, dispatch_request) calls every view",
           "wsgi_app", "__call__", "full_dispatch_request", "dispatch_request", "handle_user_exception",
           "handle_exception", "run"),
        _l("flask.cli", "the flask command runs every app"),
        _l("django.core.handlers", "Django's request handler calls every view"),
        _l("django.core.management", "manage.py dispatch runs every command",
           "execute_from_command_line", "execute", "run_from_argv"),
        _l("django.core.servers", "the development server handles every request"),
        _l("django.utils.deprecation", "middleware __call__ wraps every request", "__call__"),
        _l("starlette.middleware", "middleware wraps every request"),
        _l("starlette.routing", "the router calls every endpoint", "handle", "app", "__call__"),
        _l("starlette.applications", "the app object receives every request"),
        _l("starlette.exceptions", "the exception middleware wraps every request"),
        _l("starlette._exception_handler", "the exception handler wraps every request"),
        _l("fastapi.routing", "FastAPI's request dispatch calls every endpoint",
           "app", "run_endpoint_function", "__call__", "handle"),
        _l("fastapi.applications", "the app object receives every request"),
        _l("anyio", "thread/task dispatch used by ASGI frameworks for every call"),
        _l("celery.app.trace", "the Celery worker runs every task through trace_task"),
        _l("celery.worker", "the Celery worker loop runs every task"),
        _l("billiard", "the Celery process pool runs every task"),
        _l("IPython.core.interactiveshell", "IPython runs every cell through run_code/run_ast_nodes"),
        _l("IPython.core.magics.execution", "%run, %time and %timeit run every script or statement"),
        _l("IPython.utils.py3compat", "%run executes every script through execfile", "execfile"),
        _l("ipykernel", "the Jupyter kernel dispatches every cell"),
        _l("tornado.ioloop", "the event loop used by Jupyter and tornado apps calls every callback"),
        _l("tornado.platform", "tornado's asyncio bridge calls every callback"),
        _l("tornado.gen", "tornado's coroutine runner steps every coroutine", "run", "wrapper"),
        _l("gevent", "greenlet run loop calls every spawned function", "run", "_run"),
        _l("trio._core", "trio's run loop steps every task"),
    ),
    "javascript": (
        _l("node:internal/", "Node's module loader, timers and task queues run every script"),
        _l("node:events", "EventEmitter.emit calls every listener", "emit", "EventEmitter.emit"),
        _l("node:timers", "timers call every callback"),
        _l("node_modules/jest-circus", "jest's runner calls every test"),
        _l("node_modules/jest-runner", "jest's runner calls every test"),
        _l("node_modules/mocha", "mocha's runner calls every test"),
        _l("node_modules/express/lib/router", "express routing calls every handler"),
        _l("node_modules/vitest", "vitest's runner calls every test"),
    ),
    "go": (
        _l("runtime", "the Go runtime starts main and every goroutine (runtime.main, runtime.goexit)",
           "main", "goexit", "gopanic", "panic", "panicmem", "sigpanic", "goPanicIndex"),
        _l("testing", "the Go test runner calls every test (testing.tRunner)", "tRunner", "runTests"),
        _l("net/http", "the HTTP server calls every handler", "serverHandler.ServeHTTP", "HandlerFunc.ServeHTTP",
           "conn.serve"),
    ),
    "rust": (
        _l("std::rt", "every Rust program's main starts here"),
        _l("std::panicking", "panic machinery, the same for every panic"),
        _l("core::panicking", "panic machinery, the same for every panic"),
        _l("std::sys_common::backtrace", "backtrace entry frames of every program"),
        _l("std::sys::backtrace", "backtrace entry frames of every program"),
        _l("core::ops::function", "closure call shims"),
        _l("test::", "the libtest runner calls every test"),
        _l("tokio::runtime", "the tokio runtime polls every task"),
    ),
    "java": (
        _l("java.lang.reflect", "reflection calls every invoked method"),
        _l("jdk.internal.reflect", "reflection calls every invoked method"),
        _l("sun.reflect", "reflection calls every invoked method"),
        _l("java.lang.Thread", "every thread starts here", "run"),
        _l("java.util.concurrent", "executors run every task"),
        _l("org.junit", "JUnit calls every test"),
        _l("junit.framework", "JUnit 3 calls every test"),
        _l("org.gradle", "Gradle's worker and test executor run every build step and test"),
        _l("org.apache.maven.surefire", "Surefire runs every test"),
        _l("org.springframework.web.servlet.FrameworkServlet", "Spring MVC dispatch calls every controller"),
        _l("org.springframework.web.servlet.DispatcherServlet", "Spring MVC dispatch calls every controller"),
        _l("org.apache.catalina", "Tomcat handles every request"),
        _l("kotlinx.coroutines", "the coroutine dispatcher resumes every coroutine"),
    ),
    "csharp": (
        _l("System.Runtime", "runtime dispatch (ExceptionDispatchInfo.Throw, TaskAwaiter) re-raises any error"),
        _l("System.Threading", "thread pool and task execution run every task"),
        _l("Microsoft.AspNetCore", "ASP.NET Core's pipeline calls every endpoint"),
        _l("Xunit", "xUnit calls every test"),
        _l("NUnit", "NUnit calls every test"),
    ),
    "ruby": (
        _l("rack", "Rack's middleware chain wraps every request"),
        _l("puma", "the Puma server handles every request"),
        _l("actionpack", "Rails dispatch calls every controller action"),
        _l("railties", "Rails boot and command dispatch"),
        _l("rspec-core", "RSpec calls every example"),
        _l("minitest", "minitest calls every test"),
        _l("bundler", "bundle exec starts every command"),
    ),
}
ANY_MODULE = "*"
LANGUAGE_ALIASES = {"typescript": "javascript", "kotlin": "java", "scala": "java"}


def _languages(language: str) -> tuple[str, ...]:
    lang = LANGUAGE_ALIASES.get(language, language)
    return (lang,) if lang in LAUNCHERS else tuple(LAUNCHERS)


def _names(frame: Frame) -> tuple[str, ...]:
    """The module name, and the path of library frames (``node_modules/mocha/...``)."""
    out = []
    if frame.module:
        out.append(frame.module)
    if frame.path and frame.path != frame.module:
        out.append(frame.path.removeprefix("site-packages/"))
    return tuple(out)


def _starts(name: str, prefix: str) -> bool:
    if prefix == ANY_MODULE:
        return True
    if not name.startswith(prefix):
        return False
    if len(name) == len(prefix) or prefix.endswith(("/", ":", ".")):
        return True
    return name[len(prefix)] in "./:"


@lru_cache(maxsize=8192)
def _is_launcher(names: tuple[str, ...], function: str, language: str) -> bool:
    short = re.sub(r"^.*[.:]", "", function) if function else ""
    for lang in _languages(language):
        for entry in LAUNCHERS[lang]:
            if any(_starts(n, entry.prefix) for n in names) and (
                    not entry.functions or function in entry.functions or short in entry.functions):
                return True
    return False


def is_launcher_frame(frame: Frame, language: str = "python") -> bool:
    """Is ``frame`` a launcher/runner/dispatch frame of ``language`` (every language's list
    for an unknown one)? App frames never are."""
    if frame.kind == "app":
        return False
    names = _names(frame)
    return bool(names) and _is_launcher(names, frame.function or "", language)


def reason_for(frame: Frame, language: str = "python") -> str | None:
    """Why ``frame`` is not evidence, or None when it is."""
    if not is_launcher_frame(frame, language):
        return None
    names = _names(frame)
    function = frame.function or ""
    short = re.sub(r"^.*[.:]", "", function)
    for lang in _languages(language):
        for entry in LAUNCHERS[lang]:
            if any(_starts(n, entry.prefix) for n in names) and (
                    not entry.functions or function in entry.functions or short in entry.functions):
                return entry.reason
    return None
