"""Remembered fixes in the editor: code actions stating the exact edit, and the commands
behind them (``teamlore.applyRememberedEdit``, ``teamlore.showRememberedDiff``).

A record's edits come from the repository, so they are untrusted. A code action never
carries a workspace edit: it names one validated remembered edit, and the command, when
it runs, validates the edit again, checks that the record holds it, and builds the text
edits from the files as they are then. A record whose diff has no applicable edit only
offers to show that diff; nothing of it is applied.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.uris import from_fs_path

from memory_store.bugs.edits import (
    InvalidEdit,
    PlannedEdit,
    checked_edits,
    plan_edit,
    plan_edits,
    validate_edit,
)
from memory_store.duration import plural
from memory_store.workspace import UnsafePathError
from server.lsp.features.commands import invalid, memory_of, one_object, text_field
from server.lsp.memory import FolderMemory
from server.lsp.positions import client_column, line_of_file
from server.lsp.server import TeamloreServer

log = logging.getLogger(__name__)

APPLY = "teamlore.applyRememberedEdit"
SHOW_DIFF = "teamlore.showRememberedDiff"
SHOW_DIFF_TITLE = "Show remembered fix diff"
MAX_ACTIONS = 3
MAX_RECORD_LINES = 10_000
_reported: set[tuple[str, str]] = set()
"""(record id, reason) already logged, so repeated code-action requests do not flood the log."""


def _log_refused(record_id: str, refused: list[str]) -> None:
    for reason in refused:
        if (record_id, reason) not in _reported and len(_reported) < 10_000:
            _reported.add((record_id, reason))
            log.warning("remembered fix %s: %s", record_id, reason)


def apply_title(planned: PlannedEdit) -> str:
    """Built from validated values only, never from the record's free ``fix`` text."""
    return f"{planned.title} (remembered fix)"


def remembered_actions(mem: FolderMemory, uri: str, diag: types.Diagnostic,
                       ids: list[str]) -> list[types.CodeAction]:
    """One action per applicable remembered edit of the matched records, else at most a
    "Show remembered fix diff" per record holding a diff. Blocking (reads files)."""
    actions: list[types.CodeAction] = []
    for record_id in ids:
        rec = mem.record(record_id)
        if rec is None:
            continue
        try:
            planned, refused = plan_edits(rec, mem.workspace)
        except Exception as exc:  # a broken file must not take the other actions down
            log.warning("remembered edits of %s cannot be used: %s", record_id, exc)
            planned, refused = [], []
        _log_refused(record_id, refused)
        for p in planned:
            title = apply_title(p)
            actions.append(types.CodeAction(
                title=title, kind=types.CodeActionKind.QuickFix, diagnostics=[diag],
                command=types.Command(title=title, command=APPLY, arguments=[
                    {"uri": uri, "id": record_id, "edit": p.edit.to_json()}])))
        diff = rec.get("fix_diff")
        if not planned and isinstance(diff, str) and diff.strip():
            actions.append(types.CodeAction(
                title=SHOW_DIFF_TITLE, kind=types.CodeActionKind.QuickFix, diagnostics=[diag],
                command=types.Command(title=SHOW_DIFF_TITLE, command=SHOW_DIFF,
                                      arguments=[{"uri": uri, "id": record_id}])))
        if len(actions) >= MAX_ACTIONS:
            break
    return actions[:MAX_ACTIONS]


def _workspace_edit(ls: TeamloreServer, mem: FolderMemory, planned: PlannedEdit) -> types.WorkspaceEdit:
    codec = ls.workspace.position_codec
    path = mem.workspace.root / planned.target

    def pos(p: dict[str, int]) -> types.Position:
        return types.Position(line=p["line"],
                              character=client_column(codec, line_of_file(path, p["line"]), p["character"]))

    edits = [types.TextEdit(range=types.Range(start=pos(c["range"]["start"]), end=pos(c["range"]["end"])),
                            new_text=c["new_text"]) for c in planned.changes]
    return types.WorkspaceEdit(changes={from_fs_path(str(path)): edits})


def _record_of(cmd: str, mem: FolderMemory, record_id: str) -> dict[str, Any]:
    rec = mem.record(record_id)
    if rec is None:
        raise invalid(cmd, f"unknown bug record {record_id!r}")
    return rec


async def apply_remembered_edit(ls: TeamloreServer, *args: Any) -> dict[str, Any]:
    """Apply one remembered edit of a record. The arguments come back from the client, so
    the edit is validated again and must be one the record itself holds."""
    cmd = APPLY
    obj = one_object(cmd, args, ("id",))
    record_id = text_field(cmd, obj, "id") or ""
    try:
        requested = validate_edit(obj.get("edit"))
    except InvalidEdit as exc:
        raise invalid(cmd, f"field 'edit': {exc} (not applied)") from None
    mem = await memory_of(ls, cmd, obj)
    rec = _record_of(cmd, mem, record_id)
    valid, refused = await asyncio.to_thread(checked_edits, rec)
    _log_refused(record_id, refused)
    if requested not in valid:
        raise invalid(cmd, f"not applied: record {record_id!r} holds no such edit")
    planned = await asyncio.to_thread(plan_edit, requested, mem.workspace)
    if planned is None:
        return {"applied": False, "reason": "the edit does not apply to the files as they are now"}
    title = apply_title(planned)
    edit = await asyncio.to_thread(_workspace_edit, ls, mem, planned)
    result = await ls.workspace_apply_edit_async(types.ApplyWorkspaceEditParams(edit=edit, label=title))
    log.info("%s: %s", "applied" if result.applied else "not applied by the editor", title)
    return {"applied": bool(result.applied), "title": title, "file": planned.target}


def _diff_line(path: Path) -> int:
    """The line of the record file holding ``fix_diff`` (0 when not found)."""
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            for number, line in enumerate(fh):
                if number >= MAX_RECORD_LINES:
                    break
                if '"fix_diff"' in line:
                    return number
    except OSError:
        pass
    return 0


async def show_remembered_diff(ls: TeamloreServer, *args: Any) -> dict[str, Any]:
    """Open the record file at its diff. Shows, never applies."""
    cmd = SHOW_DIFF
    obj = one_object(cmd, args, ("id",))
    record_id = text_field(cmd, obj, "id") or ""
    mem = await memory_of(ls, cmd, obj)
    rec = _record_of(cmd, mem, record_id)
    try:
        path = mem.bugs.files.path_for(record_id)
    except UnsafePathError as exc:
        raise invalid(cmd, str(exc)) from None
    _, refused = await asyncio.to_thread(checked_edits, rec)
    line = await asyncio.to_thread(_diff_line, path)
    here = types.Range(start=types.Position(line=line, character=0), end=types.Position(line=line, character=0))
    window = ls.client_capabilities.window
    shown = False
    if window is not None and window.show_document is not None and window.show_document.support:
        result = await ls.window_show_document_async(types.ShowDocumentParams(
            uri=from_fs_path(str(path)), take_focus=True, selection=here))
        shown = bool(result.success)
    if refused:
        ls.window_show_message(types.ShowMessageParams(
            type=types.MessageType.Info,
            message=f"teamlore: {plural(len(refused), 'remembered edit')} of {record_id} {refused[0]}"
                    + (" (and more, see the log)" if len(refused) > 1 else "")))
    return {"id": record_id, "path": path.relative_to(mem.workspace.root).as_posix(), "shown": shown,
            "not_applied": refused}


def register(server: TeamloreServer) -> None:
    server.command(APPLY)(apply_remembered_edit)
    server.command(SHOW_DIFF)(show_remembered_diff)
