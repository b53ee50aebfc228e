"""The language server end to end: real ``teamlore lsp`` over stdio, VS Code and Neovim
client capabilities. One server per preset is shared by the tests of this module; each
test uses its own file names and error texts so they do not see each other's state."""

from __future__ import annotations

import asyncio
import json
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
import pytest_lsp
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pygls.uris import from_fs_path
from pytest_lsp import LanguageClient

from memory_store.bugs.records import BugStore
from memory_store.workspace import Workspace
from tests.conftest import run_cli
from tests.lsp.conftest import CONFIG, PRESETS, WAIT, make_workspace, start_session, units, wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="module")]


@pytest_lsp.fixture(config=CONFIG, params=PRESETS, scope="module")
async def client(request: pytest.FixtureRequest, lsp_client: LanguageClient,
                 tmp_path_factory: pytest.TempPathFactory):
    root = make_workspace(tmp_path_factory, request.param)
    await start_session(lsp_client, request.param, root)
    yield
    await asyncio.wait_for(lsp_client.shutdown_session(), WAIT)


# -- helpers ---------------------------------------------------------------------------
def root_of(client: LanguageClient) -> Path:
    return client.root  # type: ignore[attr-defined]


def open_doc(client: LanguageClient, path: Path, text: str | None = None) -> str:
    if text is None:
        text = path.read_text(encoding="utf-8")
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    uri = from_fs_path(str(path))
    client.text_document_did_open(types.DidOpenTextDocumentParams(
        text_document=types.TextDocumentItem(uri=uri, language_id="python", version=1, text=text)))
    return uri


def diag_json(line: int, start: int, end: int, message: str, source: str = "pyright",
              code: str | None = None, severity: int = 1) -> dict[str, Any]:
    d: dict[str, Any] = {"range": {"start": {"line": line, "character": start},
                                   "end": {"line": line, "character": end}},
                         "message": message, "source": source, "severity": severity}
    if code is not None:
        d["code"] = code
    return d


def forward(client: LanguageClient, uri: str, diagnostics: list[dict[str, Any]]) -> None:
    client.protocol.notify("teamlore/didChangeDiagnostics", {"uri": uri, "diagnostics": diagnostics})


async def hover_text(client: LanguageClient, uri: str, line: int, character: int) -> str | None:
    result = await asyncio.wait_for(client.text_document_hover_async(types.HoverParams(
        text_document=types.TextDocumentIdentifier(uri=uri),
        position=types.Position(line=line, character=character))), WAIT)
    if result is None:
        return None
    assert isinstance(result.contents, types.MarkupContent)
    return result.contents.value


async def code_actions(client: LanguageClient, uri: str, line: int,
                       diagnostics: list[types.Diagnostic] | None = None,
                       only: list[str] | None = None) -> list[types.CodeAction]:
    result = await asyncio.wait_for(client.text_document_code_action_async(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=uri),
        range=types.Range(start=types.Position(line=line, character=0),
                          end=types.Position(line=line + 1, character=0)),
        context=types.CodeActionContext(diagnostics=diagnostics or [], only=only))), WAIT)
    actions = list(result or [])
    assert all(isinstance(a, types.CodeAction) for a in actions), actions
    return actions  # type: ignore[return-value]


async def execute(client: LanguageClient, command: str, arguments: list[Any] | None) -> Any:
    return await asyncio.wait_for(client.workspace_execute_command_async(types.ExecuteCommandParams(
        command=command, arguments=arguments)), WAIT)


def add_record(root: Path, error: str, fix: str, **kwargs: Any) -> dict[str, Any]:
    rec, _ = BugStore(Workspace(root)).add(error, fix, author=kwargs.pop("author", "alice"), **kwargs)
    return rec


# -- tests -----------------------------------------------------------------------------
async def test_forwarded_diagnostic_hover_shows_past_fix(client: LanguageClient):
    root = root_of(client)
    add_record(root, "ModuleNotFoundError: No module named 'structlog'",
               "added structlog to requirements.txt", root_cause="dependency missing after refactor",
               minutes=12, extra={"commit": "abc1234def"})
    uri = open_doc(client, root / "app" / "logging_setup.py", "import os\nimport structlog\n")
    forward(client, uri, [diag_json(1, 7, 16, "ModuleNotFoundError: No module named 'structlog'")])

    async def fix_shown() -> str | None:
        text = await hover_text(client, uri, 1, 9)
        return text if text and "added structlog to requirements.txt" in text else None

    text = await wait_until(fix_shown, what="hover with the past fix")
    assert "dependency missing after refactor" in text
    assert "alice" in text and "12 min" in text and "abc1234def"[:10] in text
    link = from_fs_path(str(root / ".teamlore" / "bugs"))  # the record file opens from the hover
    assert f"]({link}/bug-" in text
    # the known error is also published as a teamlore diagnostic carrying the match ids
    diags = await wait_until(lambda: [d for d in client.diagnostics.get(uri, []) if d.code == "seen-before"],
                             what="seen-before diagnostic")
    assert diags[0].data["matches"] and diags[0].range.start.line == 1


async def test_hover_without_past_fix_is_honest(client: LanguageClient):
    root = root_of(client)
    uri = open_doc(client, root / "app" / "unknown_error.py", "x = compute()\n")
    forward(client, uri, [diag_json(0, 4, 13, "ZeroDivisionError: float division by zero")])
    text = await wait_until(lambda: hover_text(client, uri, 0, 5), what="hover")
    assert "No past fix recorded" in text and "Record fix for this error" in text
    assert await hover_text(client, uri, 0, 4) is not None  # range ends are inclusive
    assert await hover_text(client, uri, 0, 13) is not None
    # elsewhere: null
    assert await hover_text(client, uri, 0, 2) is None
    # a mere warning the memory knows nothing about gets no hover (no noise on every lint warning)
    uri3 = open_doc(client, root / "app" / "lint.py", "import os\nx = 1 / 0\n")
    forward(client, uri3, [diag_json(0, 7, 9, '"os" is not accessed', severity=2),
                           diag_json(1, 4, 9, "ZeroDivisionError: division by zero")])
    assert "No past fix recorded" in await hover_text(client, uri3, 1, 5)  # the same list was received
    assert await hover_text(client, uri3, 0, 8) is None
    assert await code_actions(client, uri3, 0) == []
    uri2 = open_doc(client, root / "app" / "quiet.py", "print('hello')\n")
    assert await hover_text(client, uri2, 0, 2) is None


async def test_record_fix_code_action_writes_record_and_updates_hover(client: LanguageClient):
    root = root_of(client)
    error = "KeyError: 'tenant_id'"
    uri = open_doc(client, root / "app" / "tenants.py", "def f(d):\n    return d['tenant_id']\n")
    forward(client, uri, [diag_json(1, 11, 26, error)])
    await wait_until(lambda: hover_text(client, uri, 1, 12), what="hover on forwarded error")
    diag = types.Diagnostic(range=types.Range(start=types.Position(line=1, character=11),
                                              end=types.Position(line=1, character=26)),
                            message=error, source="pyright", severity=types.DiagnosticSeverity.Error)
    actions = await code_actions(client, uri, 1, [diag])
    record = next(a for a in actions if a.title == "Record fix for this error")
    assert record.command is not None and record.command.command == "teamlore.recordFix"
    args = record.command.arguments
    assert args and args[0]["error"] == error
    # the editor prompts for the fix text and sends it with the command's arguments
    args = [{**args[0], "fix": "use d.get('tenant_id') and default to the main tenant", "minutes": 7}]
    result = await execute(client, "teamlore.recordFix", args)
    path = root / result["path"]
    assert path.is_file()
    stored = json.loads(path.read_text(encoding="utf-8"))
    assert stored["fix"].startswith("use d.get('tenant_id')") and stored["error"]["type"] == "KeyError"
    assert stored["file"] == "app/tenants.py" and stored["minutes"] == 7 and stored["source"] == "lsp"

    async def shown() -> bool:
        text = await hover_text(client, uri, 1, 12)
        return bool(text and "default to the main tenant" in text)

    await wait_until(shown, what="hover showing the new fix")
    actions = await code_actions(client, uri, 1, [diag])
    show = next(a for a in actions if a.title.startswith("Show 1 past fix"))
    matches = await execute(client, show.command.command, show.command.arguments)
    assert matches["matches"][0]["id"] == stored["id"]


async def test_record_written_by_another_process_appears_in_hover(client: LanguageClient):
    root = root_of(client)
    error = "PermissionError: [Errno 13] Permission denied: '/var/run/app.pid'"
    uri = open_doc(client, root / "app" / "pidfile.py", "open(PIDFILE, 'w')\n")
    forward(client, uri, [diag_json(0, 0, 18, error)])
    text = await wait_until(lambda: hover_text(client, uri, 0, 3), what="hover")
    assert "No past fix recorded" in text
    proc = await asyncio.to_thread(run_cli, "bugs", "add", "--error", "-", "--fix",
                                   "write the pid file under $XDG_RUNTIME_DIR", root=root, stdin=error)
    assert proc.returncode == 0, proc.stderr

    async def shown() -> bool:
        text = await hover_text(client, uri, 0, 3)
        return bool(text and "XDG_RUNTIME_DIR" in text)

    await wait_until(shown, what="hover showing the record from another process")


async def test_teamlore_run_failure_becomes_diagnostic_on_the_right_line(client: LanguageClient):
    root = root_of(client)
    (root / "pkg").mkdir(exist_ok=True)
    (root / "pkg" / "__init__.py").write_text("", encoding="utf-8")
    (root / "pkg" / "settings.py").write_text(textwrap.dedent("""\
        import os


        def load():
            # lit le réglage 🙂 depuis l'environnement
            return os.environ["APP_SECRET_KEY"]  # clé — requise
        """), encoding="utf-8")
    script = root / "failing_script.py"
    script.write_text("from pkg.settings import load\n\nload()\n", encoding="utf-8")
    proc = await asyncio.to_thread(run_cli, "run", "--", sys.executable, "failing_script.py",
                                   root=root, cwd=root)
    assert proc.returncode == 1, proc.stderr
    uri = from_fs_path(str(root / "pkg" / "settings.py"))
    diags = await wait_until(lambda: [d for d in client.diagnostics.get(uri, []) if d.code == "terminal"],
                             what="terminal diagnostic")
    diag = diags[0]
    assert diag.source == "teamlore" and "KeyError" in diag.message and "APP_SECRET_KEY" in diag.message
    line = '    return os.environ["APP_SECRET_KEY"]  # clé — requise'
    assert diag.range.start.line == 5
    assert diag.range.start.character == 4
    assert diag.range.end.character == units(client.encoding, line)  # type: ignore[attr-defined]
    # the same command succeeds later: its diagnostics are cleared
    script.write_text("print('ok')\n", encoding="utf-8")
    proc = await asyncio.to_thread(run_cli, "run", "--", sys.executable, "failing_script.py",
                                   root=root, cwd=root)
    assert proc.returncode == 0, proc.stderr
    await wait_until(lambda: not [d for d in client.diagnostics.get(uri, []) if d.code == "terminal"],
                     what="terminal diagnostic cleared")


async def test_terminal_output_notification_counts_past_fixes_and_honours_encoding(client: LanguageClient):
    root = root_of(client)
    src = root / "svc" / "greet.py"
    line = "    return greeting['名前'] + ' 👋 ' + user.name  # emoji"
    src.parent.mkdir(exist_ok=True)
    src.write_text(f"def greet(user, greeting):\n{line}\n", encoding="utf-8")
    add_record(root, "AttributeError: 'NoneType' object has no attribute 'name'",
               "check the user is logged in before greeting")
    output = textwrap.dedent(f"""\
        Traceback (most recent call last):
          File "{root}/svc/greet.py", line 2, in greet
            return greeting['名前'] + ' 👋 ' + user.name  # emoji
        AttributeError: 'NoneType' object has no attribute 'name'
        """)
    client.protocol.notify("teamlore/terminalOutput",
                           {"command": "python -m svc", "cwd": str(root), "exitCode": 1, "output": output})
    uri = from_fs_path(str(src))

    def seen() -> list[types.Diagnostic]:
        return [d for d in client.diagnostics.get(uri, [])
                if d.code == "terminal" and "seen before: 1 fix" in d.message]

    diags = await wait_until(seen, what="terminal diagnostic with a past fix")
    assert diags[0].range.start.line == 1
    assert diags[0].range.end.character == units(client.encoding, line)  # type: ignore[attr-defined]
    text = await hover_text(client, uri, 1, 6)
    assert text and "check the user is logged in" in text


async def test_terminal_error_from_a_notebook_cell_is_shown_on_the_project_file_it_reached(client: LanguageClient):
    """An IPython traceback: the cell is no file an editor can open, so the diagnostic goes on
    the innermost frame in a project file; an error raised in the cell itself gets none."""
    root = root_of(client)
    src = root / "shop" / "stats.py"
    src.parent.mkdir(exist_ok=True)
    src.write_text("def avg(xs):\n    return sum(xs) / len(xs)\n", encoding="utf-8")
    output = textwrap.dedent(f"""\
        ---------------------------------------------------------------------------
        ZeroDivisionError                         Traceback (most recent call last)
        Cell In[2], line 1
        ----> 1 avg([])

        File {root}/shop/stats.py:2, in avg(xs)
              1 def avg(xs):
        ----> 2     return sum(xs) / len(xs)

        ZeroDivisionError: division by zero
        """)
    client.protocol.notify("teamlore/terminalOutput",
                           {"command": "ipython", "cwd": str(root), "exitCode": 1, "output": output})
    uri = from_fs_path(str(src))
    diags = await wait_until(lambda: [d for d in client.diagnostics.get(uri, []) if d.code == "terminal"],
                             what="terminal diagnostic on the module the cell called")
    assert diags[0].range.start.line == 1
    cell_only = textwrap.dedent("""\
        ---------------------------------------------------------------------------
        KeyError                                  Traceback (most recent call last)
        Cell In[3], line 1
        ----> 1 {}['price']

        KeyError: 'price'
        """)
    client.protocol.notify("teamlore/terminalOutput",
                           {"command": "ipython -c x", "cwd": str(root), "exitCode": 1, "output": cell_only})
    await asyncio.sleep(1.0)  # the notification above was handled (or dropped) by now
    assert not [u for u in client.diagnostics if "cell" in u.lower()]


async def test_bad_requests_do_not_kill_the_server(client: LanguageClient):
    root = root_of(client)
    with pytest.raises(JsonRpcException, match="not defined"):
        await execute(client, "teamlore.noSuchCommand", [])
    with pytest.raises(JsonRpcException, match="missing field 'fix'"):
        await execute(client, "teamlore.recordFix", [{"error": "KeyError: 'x'"}])
    with pytest.raises(JsonRpcException, match="expected one object"):
        await execute(client, "teamlore.recordFix", [1, 2, 3])
    with pytest.raises(JsonRpcException, match="must be a string"):
        await execute(client, "teamlore.recordFix", [{"error": ["x"], "fix": "y"}])
    with pytest.raises(JsonRpcException):
        await execute(client, "teamlore.showMatches", [{"error": "KeyError: 'x'", "uri": "file:///elsewhere/x.py"}])
    # (malformed params of standard requests: see test_raw_protocol.py, the client cannot send them)
    # malformed notifications are logged and ignored
    client.protocol.notify("teamlore/didChangeDiagnostics", {"uri": 3})
    client.protocol.notify("teamlore/didChangeDiagnostics", {"uri": "file:///x.py", "diagnostics": [{"bad": 1}]})
    client.protocol.notify("teamlore/terminalOutput", {"command": None})
    client.protocol.notify("teamlore/terminalOutput", [1, 2])
    # a document outside every workspace folder
    outside = from_fs_path("/definitely/not/in/the/workspace.py")
    forward(client, outside, [diag_json(0, 0, 3, "KeyError: 'x'")])
    assert await hover_text(client, outside, 0, 1) is None
    assert await code_actions(client, outside, 0) == []
    # a huge document and a burst of changes
    big = "x = 1  # é 🙂\n" * 200_000
    uri = open_doc(client, root / "big.py", big)
    for version in range(2, 150):  # the server asks for full-text sync
        client.text_document_did_change(types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=f"# v{version}\n" + big)]))
    assert await hover_text(client, uri, 10, 2) is None
    # a corrupt memory file appearing while running: warned about, the server keeps serving
    (root / ".teamlore" / "bugs" / "bug-corrupt0000000.json").write_text("{not json", encoding="utf-8")
    await wait_until(lambda: any("bug-corrupt0000000.json" in m.message for m in client.log_messages),
                     what="warning about the corrupt file")
    uri2 = open_doc(client, root / "still.py", "d['k']\n")
    forward(client, uri2, [diag_json(0, 0, 6, "KeyError: 'still_alive'")])
    text = await wait_until(lambda: hover_text(client, uri2, 0, 1), what="hover after bad input")
    assert "KeyError" in text
    assert (root / ".teamlore" / "bugs" / "bug-corrupt0000000.json").read_text() == "{not json"


async def test_apply_remembered_fix_states_and_applies_the_exact_edit(client: LanguageClient):
    root = root_of(client)
    (root / "requirements.txt").write_text("requests==2.32.0\n", encoding="utf-8")
    error = "ModuleNotFoundError: No module named 'tenacity'"
    add_record(root, error, "added tenacity to requirements.txt",
               extra={"edits": [{"kind": "add-dependency", "file": "requirements.txt", "package": "tenacity",
                                 "requirement": "tenacity>=8"}]})
    uri = open_doc(client, root / "app" / "retry.py", "import tenacity\n")
    forward(client, uri, [diag_json(0, 7, 15, error)])
    title = 'Add "tenacity>=8" to requirements.txt (remembered fix)'

    async def apply_action() -> types.CodeAction | None:
        actions = await code_actions(client, uri, 0)
        return next((a for a in actions if a.title == title), None)

    action = await wait_until(apply_action, what="Apply remembered fix action")
    # clients that ask for quick fixes only (Neovim's filter) get them; other kinds get none
    assert [a.title for a in await code_actions(client, uri, 0, only=["quickfix"])] == \
        [a.title for a in await code_actions(client, uri, 0)]
    assert await code_actions(client, uri, 0, only=["refactor"]) == []
    assert action.edit is None and action.command is not None  # built when the command runs
    before = len(client.applied_edits)  # type: ignore[attr-defined]
    result = await execute(client, action.command.command, action.command.arguments)
    assert result["applied"] is True and result["title"] == title
    [applied] = client.applied_edits[before:]  # type: ignore[attr-defined]
    (target, edits), = applied.changes.items()
    assert target == from_fs_path(str(root / "requirements.txt"))
    [edit] = edits
    assert edit.new_text == "tenacity>=8\n"
    assert edit.range.start == edit.range.end == types.Position(line=1, character=0)
