"""``workspace/executeCommand`` handlers: ``teamlore.<verb>``.

Every command takes one object argument (field names in camelCase or snake_case). Text
a person has to type (the fix, a reason) comes in the arguments: the editor extensions
prompt for it before sending the command (VS Code input box, Neovim ``vim.ui.input``).
Bad arguments are answered with an InvalidParams error naming the field.
"""

from __future__ import annotations

import asyncio
import logging
import math
from pathlib import Path
from typing import Any, Literal, overload

from lsprotocol import types
from pygls.exceptions import JsonRpcInternalError, JsonRpcInvalidParams
from pygls.uris import to_fs_path

from memory_store.bugs import feedback
from memory_store.bugs.records import EmptyErrorText
from memory_store.jsonio import MemoryFileError
from memory_store.record_types import BugRecord
from memory_store.workspace import UnsafePathError
from server.lsp import events, security
from server.lsp.diagnostics import data_of
from server.lsp.memory import FolderMemory
from server.lsp.render import _one_line
from server.lsp.server import TeamloreServer
from server.lsp.settings import snake

log = logging.getLogger(__name__)

MAX_TEXT = 200_000
READY_TIMEOUT = 10.0
"""How long a command waits for its folder's memory to be opened and read."""


def invalid(command: str, message: str) -> JsonRpcInvalidParams:
    return JsonRpcInvalidParams(message=f"{command}: {message}")


def one_object(command: str, args: tuple[Any, ...], positional: tuple[str, ...] = ()) -> dict[str, Any]:
    """The command's argument object, keys in snake_case; positional strings are accepted too."""
    if len(args) == 1 and isinstance(args[0], dict):
        return {snake(str(k)): v for k, v in args[0].items()}
    if positional and 0 < len(args) <= len(positional) and all(isinstance(a, str) for a in args):
        return dict(zip(positional, args, strict=False))
    if not args:
        return {}
    raise invalid(command, "expected one object argument, e.g. "
                  + "{" + ", ".join(f'"{p}": ...' for p in positional or ("...",)) + "}")


@overload
def text_field(command: str, obj: dict[str, Any], name: str, *, required: Literal[True] = True) -> str: ...
@overload
def text_field(command: str, obj: dict[str, Any], name: str, *, required: bool) -> str | None: ...
def text_field(command: str, obj: dict[str, Any], name: str, *, required: bool = True) -> str | None:
    value = obj.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise invalid(command, f"missing field '{name}'")
        return None
    if not isinstance(value, str):
        raise invalid(command, f"field '{name}' must be a string, got {type(value).__name__}")
    if len(value) > MAX_TEXT:
        raise invalid(command, f"field '{name}' is too long ({len(value)} characters)")
    return value


def flag_field(command: str, obj: dict[str, Any], name: str) -> bool:
    value = obj.get(name)
    if value is not None and not isinstance(value, bool):
        raise invalid(command, f"field '{name}' must be true or false, got {type(value).__name__}")
    return bool(value)


def strings_field(command: str, obj: dict[str, Any], name: str) -> list[str] | None:
    """A list of non-empty strings (a single string counts as a list of one), or None."""
    value = obj.get(name)
    if value is None:
        return None
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value or \
            not all(isinstance(v, str) and v.strip() and len(v) <= MAX_TEXT for v in value):
        raise invalid(command, f"field '{name}' must be a non-empty list of strings")
    return value


FINDING_TEXT_FIELDS = ("tool", "rule", "path", "message", "severity", "fingerprint")


def findings_field(command: str, obj: dict[str, Any]) -> list[dict[str, Any]]:
    """The findings a decision is for: ``findings`` (objects with tool/rule/path/line, or a
    fingerprint), else ``fingerprint`` or ``fingerprints``."""
    findings = obj.get("findings")
    if findings is None:
        fingerprints = strings_field(command, obj, "fingerprint") or strings_field(command, obj, "fingerprints")
        if fingerprints is None:
            raise invalid(command, "field 'findings' must be a non-empty list of objects (or give 'fingerprint')")
        return [{"fingerprint": f} for f in fingerprints]
    if not isinstance(findings, list) or not findings or not all(isinstance(f, dict) for f in findings):
        raise invalid(command, "field 'findings' must be a non-empty list of objects (or give 'fingerprint')")
    for n, finding in enumerate(findings):
        for name in FINDING_TEXT_FIELDS:
            value = finding.get(name)
            if value is not None and (not isinstance(value, str) or len(value) > MAX_TEXT):
                raise invalid(command, f"field 'findings[{n}].{name}' must be a string")
        line = finding.get("line")
        if line is not None and (isinstance(line, bool) or not isinstance(line, int) or line < 1):
            raise invalid(command, f"field 'findings[{n}].line' must be a line number >= 1, got {line!r}")
    return findings


async def memory_of(ls: TeamloreServer, command: str, obj: dict[str, Any], *,
                    timeout: float = READY_TIMEOUT) -> FolderMemory:
    """The memory of the folder holding ``uri`` (or the first folder), once it is read.

    Commands sent right after start-up wait (at most ``timeout``) for the workspace folders
    to be opened and their memory read, as hover does; then they fail with a clear error."""
    uri = text_field(command, obj, "uri", required=False) or text_field(command, obj, "folder", required=False)
    mem = await ls.folder_memory(uri, timeout=timeout)
    if mem is None:
        raise invalid(command, f"no workspace folder holds {uri}" if uri else "no workspace folder is open")
    if not await ls.wait_ready(mem, timeout=timeout):
        raise JsonRpcInternalError(
            message=f"{command}: the memory of {mem.folder} is still being read after {timeout:g} s; try again")
    return mem


async def record_fix(ls: TeamloreServer, *args: Any) -> dict[str, Any]:
    cmd = "teamlore.recordFix"
    obj = one_object(cmd, args, ("error", "fix"))
    error = text_field(cmd, obj, "error")
    fix = text_field(cmd, obj, "fix")
    root_cause = text_field(cmd, obj, "root_cause", required=False) or ""
    author = text_field(cmd, obj, "author", required=False)
    file = text_field(cmd, obj, "file", required=False)
    minutes = obj.get("minutes")
    if minutes is not None and (isinstance(minutes, bool) or not isinstance(minutes, (int, float))
                                or not math.isfinite(minutes) or minutes < 0):
        raise invalid(cmd, f"field 'minutes' must be a number >= 0, got {minutes!r}")
    mem = await memory_of(ls, cmd, obj)
    doc_path = to_fs_path(obj["uri"]) if file is None and isinstance(obj.get("uri"), str) else None
    if doc_path is not None and mem.workspace.contains(doc_path) and Path(doc_path) != mem.workspace.root:
        file = mem.workspace.relative(doc_path)  # where the error was shown

    def write() -> tuple[BugRecord, bool]:
        rec, created = mem.bugs.add(error, fix, root_cause=root_cause, file=file, minutes=minutes,
                                    author=author, source="lsp")
        mem.add_record(rec)
        return rec, created

    try:
        rec, created = await asyncio.to_thread(write)
    except (EmptyErrorText, UnsafePathError) as exc:
        raise invalid(cmd, str(exc)) from None
    except MemoryFileError as exc:
        raise JsonRpcInternalError(message=f"{cmd}: unreadable memory file: {exc}") from None
    await ls.notify_memory(mem)
    log.info("recorded fix %s for %s", rec["id"], _one_line(error, 80))
    return {"id": rec["id"], "created": created,
            "path": mem.bugs.files.path_for(rec["id"]).relative_to(mem.workspace.root).as_posix()}


async def show_matches(ls: TeamloreServer, *args: Any) -> dict[str, Any]:
    cmd = "teamlore.showMatches"
    obj = one_object(cmd, args, ("error",))
    error = text_field(cmd, obj, "error")
    mem = await memory_of(ls, cmd, obj)
    include_weak = flag_field(cmd, obj, "all") or flag_field(cmd, obj, "include_weak")
    matches = await asyncio.to_thread(mem.match, error, include_weak=include_weak)
    result = {"matches": [m.to_json() for m in matches]}
    if matches:
        best = matches[0].record
        message = (f"teamlore: {len(matches)} past fix{'es' if len(matches) != 1 else ''} for "
                   f"{_one_line(error.strip().splitlines()[-1], 80)}. Best: {_one_line(best.get('fix') or '', 160)}")
    else:
        message = f"teamlore: no past fix recorded for {_one_line(error.strip().splitlines()[-1], 80)}"
    if not flag_field(cmd, obj, "quiet"):  # quiet: the editor shows the result itself
        ls.window_show_message(types.ShowMessageParams(type=types.MessageType.Info, message=message))
    return result


FEEDBACK_MESSAGES = {"rejected": "not this fix: {id} is not offered again for this error",
                     "confirmed": "this fixed it: {id} counted ({counts})"}


async def _feedback(ls: TeamloreServer, cmd: str, verdict: feedback.Verdict, args: tuple[Any, ...]) -> dict[str, Any]:
    """Store a verdict on a shown record for this error (the CLI's ``bugs reject|confirm``)."""
    obj = one_object(cmd, args, ("id", "error"))
    record_id = text_field(cmd, obj, "id")
    error = text_field(cmd, obj, "error")
    author = text_field(cmd, obj, "author", required=False)
    mem = await memory_of(ls, cmd, obj)

    def write() -> tuple[dict[str, Any], bool, tuple[int, int]]:
        rec, created = feedback.give_feedback(mem.workspace, verdict, record_id, error, author=author,
                                              source="lsp", known=mem.records)
        mem.live.add_feedback(rec)
        return dict(rec), created, mem.live.feedback.counts(record_id)

    try:
        rec, created, (confirmations, rejections) = await asyncio.to_thread(write)
    except (feedback.UnknownRecord, feedback.EmptyErrorText, UnsafePathError) as exc:
        raise invalid(cmd, str(exc)) from None
    except MemoryFileError as exc:
        raise JsonRpcInternalError(message=f"{cmd}: unreadable memory file: {exc}") from None
    await ls.notify_memory(mem)
    message = FEEDBACK_MESSAGES[verdict].format(id=record_id, counts=feedback.counts_text(confirmations, rejections))
    ls.window_show_message(types.ShowMessageParams(type=types.MessageType.Info, message=f"teamlore: {message}"))
    return {"id": rec["id"], "created": created, "verdict": verdict, "record": record_id,
            "confirmations": confirmations, "rejections": rejections}


async def reject_match(ls: TeamloreServer, *args: Any) -> dict[str, Any]:
    return await _feedback(ls, "teamlore.rejectMatch", "rejected", args)


async def confirm_match(ls: TeamloreServer, *args: Any) -> dict[str, Any]:
    return await _feedback(ls, "teamlore.confirmMatch", "confirmed", args)


async def _decide(ls: TeamloreServer, cmd: str, decision: str, args: tuple[Any, ...]) -> dict[str, Any]:
    obj = one_object(cmd, args, ("fingerprint", "reason"))
    reason = text_field(cmd, obj, "reason")
    author = text_field(cmd, obj, "author", required=False)
    findings = findings_field(cmd, obj)
    mem = await memory_of(ls, cmd, obj)
    try:
        text = ls.buffer_text(obj["uri"]) if isinstance(obj.get("uri"), str) else None
        ids = await asyncio.to_thread(security.decide, mem, findings, decision, reason, author, text)
    except (ValueError, UnsafePathError, KeyError) as exc:
        raise invalid(cmd, str(exc)) from None
    await _after_decision(ls, mem)
    return {"decisions": ids}


async def mark_false_positive(ls: TeamloreServer, *args: Any) -> dict[str, Any]:
    return await _decide(ls, "teamlore.markFalsePositive", "false_positive", args)


async def accept_risk(ls: TeamloreServer, *args: Any) -> dict[str, Any]:
    return await _decide(ls, "teamlore.acceptRisk", "accepted_risk", args)


async def _after_decision(ls: TeamloreServer, mem: FolderMemory) -> None:
    await ls.events.emit(events.FINDINGS, mem)


async def add_policy(ls: TeamloreServer, *args: Any) -> dict[str, Any]:
    """A policy (rules x path glob) a person confirms from a suggestion or writes."""
    cmd = "teamlore.addPolicy"
    obj = one_object(cmd, args)
    rules = strings_field(cmd, obj, "rules")
    if rules is None:
        raise invalid(cmd, "missing field 'rules' (a list of rule ids)")
    paths = text_field(cmd, obj, "paths")
    reason = text_field(cmd, obj, "reason")
    tool = text_field(cmd, obj, "tool", required=False)
    decision = text_field(cmd, obj, "decision", required=False) or "false_positive"
    author = text_field(cmd, obj, "author", required=False)
    mem = await memory_of(ls, cmd, obj)
    try:
        policy = await asyncio.to_thread(security.add_policy, mem, rules, paths, reason, tool, decision, author)
    except (ValueError, UnsafePathError) as exc:
        raise invalid(cmd, str(exc)) from None
    await _after_decision(ls, mem)
    return {"policy": policy}


async def apply_decision(ls: TeamloreServer, *args: Any) -> dict[str, Any]:
    """Make, for these findings, the same decision (and reason) as an earlier one."""
    cmd = "teamlore.applyDecision"
    obj = one_object(cmd, args)
    decision_id = text_field(cmd, obj, "id")
    mem = await memory_of(ls, cmd, obj)
    try:
        earlier = await asyncio.to_thread(security.earlier_decision, mem, decision_id)
    except (KeyError, ValueError, UnsafePathError, MemoryFileError) as exc:
        raise invalid(cmd, f"unknown decision {decision_id!r} ({exc})") from None
    reason = f"{earlier.get('reason') or 'same as before'} (as decided in {decision_id})"
    return await _decide(ls, cmd, str(earlier.get("decision") or "false_positive"),
                         ({**obj, "reason": reason},))


async def pending_fixes(ls: TeamloreServer, *args: Any) -> dict[str, Any]:
    cmd = "teamlore.pendingFixes"
    obj = one_object(cmd, args)
    mem = await memory_of(ls, cmd, obj)
    from memory_store.bugs import capture

    proposals = await asyncio.to_thread(capture.pending, mem.workspace)
    return {"proposals": proposals}  # the same objects as `teamlore bugs pending --json`


async def accept_fix(ls: TeamloreServer, *args: Any) -> dict[str, Any]:
    cmd = "teamlore.acceptFix"
    obj = one_object(cmd, args, ("id", "fix"))
    proposal_id = text_field(cmd, obj, "id")
    fix = text_field(cmd, obj, "fix", required=False)
    mem = await memory_of(ls, cmd, obj)
    from memory_store.bugs import capture

    def accept() -> BugRecord:
        rec = capture.accept(mem.workspace, proposal_id, fix)
        mem.add_record(rec)
        return rec

    try:
        rec = await asyncio.to_thread(accept)
    except (KeyError, UnsafePathError) as exc:
        raise invalid(cmd, f"unknown proposal {proposal_id!r} ({exc})") from None
    await ls.notify_memory(mem)
    return {"id": rec["id"]}


async def dismiss_fix(ls: TeamloreServer, *args: Any) -> dict[str, Any]:
    cmd = "teamlore.dismissFix"
    obj = one_object(cmd, args, ("id",))
    proposal_id = text_field(cmd, obj, "id")
    mem = await memory_of(ls, cmd, obj)
    from memory_store.bugs import capture

    try:
        await asyncio.to_thread(capture.dismiss, mem.workspace, proposal_id)
    except (KeyError, UnsafePathError) as exc:
        raise invalid(cmd, f"unknown proposal {proposal_id!r} ({exc})") from None
    return {"dismissed": proposal_id}


async def debt_report(ls: TeamloreServer, *args: Any) -> dict[str, Any]:
    cmd = "teamlore.debtReport"
    obj = one_object(cmd, args)
    mem = await memory_of(ls, cmd, obj)
    from memory_store.debt.report import report_markdown

    markdown = await asyncio.to_thread(report_markdown, mem.workspace)
    return {"markdown": markdown}


def _status(ls: TeamloreServer, mem: FolderMemory, seen: dict[str, int]) -> dict[str, Any]:
    """Bug memory size, security summary (the last scan/ingest, else what the editor saw)
    and the debt trend, for status bars. Blocking."""
    out: dict[str, Any] = {"bugs": {"records": len(mem.records), "unreadable": len(mem.problems)},
                           "findings": dict(seen), "debt": None}
    sec = security.security_memory(mem)
    try:
        last = sec.last_findings()
        if last:
            out["findings"] = sec.triage(last).summary()
    except Exception as exc:
        log.info("no security summary: %s", exc)
    try:
        from memory_store.debt.report import build_report

        report = build_report(mem.workspace, blame=False)
        out["debt"] = {"current": report.get("current"), "monthly_change": report.get("monthly_change")}
    except Exception as exc:  # no snapshots yet, no git, or the debt part missing
        log.debug("no debt summary: %s", exc)
    return out


async def status(ls: TeamloreServer, *args: Any) -> dict[str, Any]:
    cmd = "teamlore.status"
    obj = one_object(cmd, args)
    mem = await memory_of(ls, cmd, obj)
    seen = {"active": 0, "suppressed": 0, "stale": 0}
    for uri in ls.store.uris("findings:"):
        if ls.memory_for(uri) is not mem:
            continue
        for _, diag in ls.store.all_for(uri):
            state = data_of(diag).get("status")
            if data_of(diag).get("teamlore") == "finding" and state in seen:
                seen[state] += 1
    return await asyncio.to_thread(_status, ls, mem, seen)


COMMANDS = {
    "teamlore.status": status,
    "teamlore.recordFix": record_fix,
    "teamlore.showMatches": show_matches,
    "teamlore.rejectMatch": reject_match,
    "teamlore.confirmMatch": confirm_match,
    "teamlore.markFalsePositive": mark_false_positive,
    "teamlore.acceptRisk": accept_risk,
    "teamlore.addPolicy": add_policy,
    "teamlore.applyDecision": apply_decision,
    "teamlore.pendingFixes": pending_fixes,
    "teamlore.acceptFix": accept_fix,
    "teamlore.dismissFix": dismiss_fix,
    "teamlore.debtReport": debt_report,
}


def register(server: TeamloreServer) -> None:
    for name, func in COMMANDS.items():
        server.command(name)(func)
