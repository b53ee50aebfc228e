"""Hostile clone, run events and manifests: what planted ``.teamlore/.inbox/runs.jsonl`` lines
and booby-trapped manifests can do when the victim opens the clone in the language server.

Git carries ``.teamlore/.inbox/runs.jsonl`` like any file. The language server replays the
run events of the last 24 hours when it opens a folder, and shows each failed run's error on
the manifest its command names (``pip install -r FILE``, ``cd web && npm ci``). A hostile
repository therefore chooses the command, the folder it ran in and the error text. It
cannot make teamlore run the command (``; touch /tmp/pwned-...`` never happens), read a file
outside the clone (``-r ../../outside/requirements.txt``, ``-r /etc/passwd``, ``cd .. &&
npm ci``, a ``requirements.txt`` symlinked to a FIFO outside, a ``Gemfile`` in a symlinked
folder, a ``*.csproj`` glob through a symlinked folder), block on a FIFO ``package.json``,
or have a 50 MB ``pyproject.toml`` searched (shown on its line 1 instead); 100k-character
commands, NUL bytes and unbalanced quotes are only text. The server keeps answering and
every error it shows is stripped of escape sequences and bidi overrides.

Git cannot commit a named pipe, so the FIFOs are made next to the clone after cloning (as
any other program on the machine could); everything else arrives through ``git clone``.
"""

from __future__ import annotations

import asyncio
import errno
import json
import os
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import pytest_lsp
from lsprotocol import types
from pygls.uris import from_fs_path, to_fs_path
from pytest_lsp import LanguageClient

from memory_store.bugs.error_manifests import error_manifest_frame
from memory_store.clock import timestamp_iso
from memory_store.errors import ParsedError
from tests.lsp.conftest import CONFIG, PRESETS, WAIT, start_session, wait_until
from tests.security.hostile_repo import Symlink, hostile_clone
from tests.security.test_clone_display import CLEAR, CLIPBOARD, MARKUP, TITLE, assert_literal

PWNED = Path("/tmp") / f"pwned-{uuid.uuid4().hex}"
"""Created only if a planted command were run."""
PIP = "No matching distribution found for evilpkg"
HUGE = 50 * 1024 * 1024
BIDI = "\u202eevil"
SHOUTING = f"{PIP} {CLIPBOARD}{TITLE}{CLEAR}{MARKUP}{BIDI}"


def _error(message: str, language: str = "generic") -> dict[str, Any]:
    return {"type": "error", "message": message, "language": language, "frames": [],
            "traceback": f"ERROR: {message}\n"}


# (command, cwd, error, language): what the hostile repository claims was run and failed.
# The tracebacks (FRAMES), then the npm and bundler runs come first in the log: a reader
# blocked on their FIFO would hold up every run after them.
ATTEMPTS: list[tuple[str, str, str, str]] = [
    ("cd .. && npm ci", ".", "Failed at the evilnode@1.0.0 install script.", "generic"),
    ("npm ci", ".", "Failed at the evilnode@1.0.0 install script.", "javascript"),
    ("cd gems && bundle install", ".", "An error occurred while installing evilgem (1.0)", "generic"),
    ("bundle install", "gems", "An error occurred while installing evilgem (1.0)", "ruby"),
    ("pip install -r ../../outside/requirements.txt", "web", PIP, "generic"),
    ("pip install -r /etc/passwd", ".", "No matching distribution found for daemon", "generic"),
    ("pip install evilpkg " + "A" * 100_000, ".", PIP, "generic"),
    ("pip install -r requirements.txt\x00../../outside/requirements.txt", "web\x00", PIP, "generic"),
    ("pip install \"evilpkg -r 'requirements.txt", ".", PIP, "generic"),
    (f"pip install x; touch {PWNED}", ".", PIP, "generic"),
    (f"pip install x && touch {PWNED} `touch {PWNED}` $(touch {PWNED})", ".", SHOUTING, "generic"),
]
FRAMES = ["package.json", "requirements.txt", "gems/Gemfile", "../outside/requirements.txt"]
"""Tracebacks whose innermost frame names a FIFO, a symlink to a FIFO outside, a file in a
symlinked folder, a file outside: the line shown is read from no such file."""
ON_PYPROJECT = [a for a in ATTEMPTS if a[0].startswith("pip")]
"""Runs whose only manifest inside the clone is the 50 MB pyproject.toml: shown on its line 1."""


def _runs_log() -> str:
    """The planted log; each error says which run it is (the server shows identical errors once)."""
    now = timestamp_iso(time.time())
    framed = "".join(json.dumps({
        "schema": "teamlore.run/1", "id": f"run-frame{i:011x}", "command": f"python app{i}.py", "cwd": ".",
        "exit_code": 1, "started": now, "ended": now, "duration": 0.1, "source": "terminal", "proposals": [],
        "resolved": [], "errors": [dict(_error(f"boom (frame {i})", "python"), type="RuntimeError",
                                        frames=[{"path": path, "line": 41, "kind": "app"}])]}) + "\n"
        for i, path in enumerate(FRAMES))
    return framed + "".join(json.dumps({
        "schema": "teamlore.run/1", "id": f"run-{i:016x}", "command": command, "cwd": cwd, "exit_code": 1,
        "started": now, "ended": now, "duration": 0.1, "errors": [_error(f"{message} (run {i})", language)],
        "source": "terminal", "proposals": [], "resolved": []}) + "\n"
        for i, (command, cwd, message, language) in enumerate(ATTEMPTS))


def _plant(top: Path) -> tuple[Path, Path]:
    """The outside world (sentinels a read would reveal) and the hostile clone, under ``top``."""
    outside = top / "outside"
    (outside / "gems").mkdir(parents=True)
    (outside / "dotnet").mkdir()
    # if any of these were read, a diagnostic would land outside the clone or on their line
    (outside / "requirements.txt").write_text("\n" * 40 + "evilpkg==1.0\ndaemon==1.0\n")
    (outside / "gems" / "Gemfile").write_text("source 'https://rubygems.org'\n\n\n\ngem 'evilgem'\n")
    (outside / "dotnet" / "b.csproj").write_text("<Project />\n")
    pyproject = b"[project]\ndependencies = [\n  \"evilpkg\",\n]\n"
    clone = hostile_clone(top, {
        ".teamlore/.inbox/runs.jsonl": _runs_log(),
        "requirements.txt": Symlink(str(outside / "sentinel.fifo")),
        "pyproject.toml": pyproject + b"#" * (HUGE - len(pyproject) - 1) + b"\n",
        "gems": Symlink(str(outside / "gems")),
        "dotnet": Symlink(str(outside / "dotnet")),
        "a.csproj": "<Project />\n",
        "b.csproj": "<Project />\n",
        "web/reqs.txt": "# dev\n\nevilpkg==1.0\n",
    })
    os.mkfifo(outside / "sentinel.fifo")  # no writer: a blocking reader would hang on it
    os.mkfifo(top / "package.json")  # what `cd .. && npm ci` would read
    os.mkfifo(clone / "package.json")
    return outside, clone


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return _plant(tmp_path_factory.mktemp("run-events"))


def assert_no_reader(fifo: Path) -> None:
    """Nobody has ``fifo`` open for reading (nor is blocked opening it): a non-blocking open
    for writing fails with ENXIO exactly then."""
    try:
        fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
    except OSError as exc:
        assert exc.errno == errno.ENXIO, exc
        return
    os.close(fd)
    raise AssertionError(f"{fifo} is being read")


# -- the code path the server uses for each planted run ----------------------------------------

CASES = [
    *((command, cwd, language, message, ("pyproject.toml", 1)) for command, cwd, message, language in ON_PYPROJECT),
    *((command, cwd, language, message, None) for command, cwd, message, language in ATTEMPTS
      if not command.startswith("pip")),
    ("pip install -r web/reqs.txt", ".", "generic", PIP, ("web/reqs.txt", 3)),  # a regular file: its line
    ("pip install -r reqs.txt", "web", "generic", PIP, ("web/reqs.txt", 3)),
    ("pip install -r {clone}/requirements.txt", ".", "generic", PIP, ("pyproject.toml", 1)),  # absolute symlink
    ("cd dotnet && dotnet build", ".", "generic", "build failed", ("a.csproj", 1)),  # b.csproj: listed outside
    ("cd web/../../outside/dotnet && dotnet build", ".", "generic", "build failed", ("a.csproj", 1)),
    ("dotnet build", "dotnet", "csharp", "build failed", ("a.csproj", 1)),
]


@pytest.mark.parametrize("command, cwd, language, message, expected", CASES,
                         ids=[f"{c[:40]!r}@{d!r}" for c, d, *_ in CASES])
def test_manifest_of_a_planted_run_stays_inside_the_clone(planted, command, cwd, language, message, expected):
    outside, clone = planted
    error = ParsedError.from_json(_error(message, language))
    with ThreadPoolExecutor(1) as pool:  # a reader blocked on a FIFO fails the test, not the run
        frame = pool.submit(error_manifest_frame, error, command.format(clone=clone), clone, cwd).result(timeout=10)
    assert (None if frame is None else (frame.path, frame.line)) == expected
    assert not PWNED.exists()
    for fifo in (outside / "sentinel.fifo", clone / "package.json", clone.parent / "package.json"):
        assert_no_reader(fifo)


# -- the real language server opening the clone -----------------------------------------------

@pytest_lsp.fixture(config=CONFIG, params=PRESETS)
async def lsp_clone(request: pytest.FixtureRequest, lsp_client: LanguageClient, tmp_path: Path):
    _outside, clone = _plant(tmp_path)  # its own clone: the test clears the planted errors
    await start_session(lsp_client, request.param, clone)
    yield
    await asyncio.wait_for(lsp_client.shutdown_session(), WAIT)


def _shown(client: LanguageClient) -> dict[str, list[types.Diagnostic]]:
    return {uri: diags for uri, diags in client.diagnostics.items() if diags}


@pytest.mark.e2e
async def test_server_replays_planted_runs_without_running_reading_outside_or_hanging(
        lsp_clone: LanguageClient):
    client = lsp_clone
    clone: Path = client.root  # type: ignore[attr-defined]
    outside = clone.parent / "outside"
    pyproject = from_fs_path(str(clone / "pyproject.toml"))
    before = {p: p.read_bytes() for p in (outside / "requirements.txt", outside / "gems" / "Gemfile")}

    def replayed() -> list[types.Diagnostic]:
        diags = [d for d in client.diagnostics.get(pyproject, []) if d.code == "terminal"]
        return diags if len(diags) == len(ON_PYPROJECT) else []

    diags = await wait_until(replayed, what="every planted pip run shown on pyproject.toml")
    # each planted pip run, on line 1 of the 50 MB pyproject.toml (too large to be searched,
    # though it names evilpkg on line 3); the command is carried as data, never run
    assert sorted(d.data["command"] for d in diags) == sorted(a[0] for a in ON_PYPROJECT)
    assert {(d.range.start.line, d.range.end.line) for d in diags} == {(0, 0)}
    # nothing else is shown: the npm and bundler runs name only a FIFO, a folder outside or a
    # symlinked folder, so they have no manifest; the tracebacks name a FIFO or files outside
    assert set(_shown(client)) == {pyproject}, sorted(_shown(client))
    for uri in _shown(client):
        path = Path(to_fs_path(uri) or "")
        assert clone in path.parents

    # the error text is shown literally, without anything a terminal or editor acts on
    [loud] = [d for d in diags if "$(touch" in d.data["command"]]
    assert_literal(loud.message, "[/x] [bold red]ALERT[/]", PIP)
    for diag in diags:
        assert_literal(diag.message)

    # still answering, nothing was run, nothing outside read or written
    hover = await asyncio.wait_for(client.text_document_hover_async(types.HoverParams(
        text_document=types.TextDocumentIdentifier(uri=pyproject), position=types.Position(line=0, character=1))),
        WAIT)
    assert isinstance(hover, types.Hover) and isinstance(hover.contents, types.MarkupContent)
    assert_literal(hover.contents.value, "No matching distribution found for evilpkg")
    assert not PWNED.exists()
    for fifo in (outside / "sentinel.fifo", clone / "package.json", clone.parent / "package.json"):
        assert_no_reader(fifo)
    assert {p: p.read_bytes() for p in before} == before

    # what the clone can still do, a made-up error on a manifest, the victim clears
    await asyncio.wait_for(client.workspace_execute_command_async(types.ExecuteCommandParams(
        command="teamlore.clearTerminalErrors", arguments=[{"uri": from_fs_path(str(clone))}])), WAIT)
    await wait_until(lambda: not client.diagnostics.get(pyproject), what="planted errors cleared")
