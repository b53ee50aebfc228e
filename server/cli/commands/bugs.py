"""``teamlore bugs ...``: remember fixes, match errors against them, review captured fixes."""

from __future__ import annotations

import argparse
import json
import math
import sys
import textwrap
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from memory_store.authorship import agent_written
from memory_store.bugs import feedback
from memory_store.bugs.live import LiveBugMemory
from memory_store.bugs.records import BugStore, EmptyErrorText, default_author, summary
from memory_store.duration import format_fix_times, format_minutes, plural
from memory_store.jsonio import (
    MAX_FILE_BYTES,
    MAX_INPUT_BYTES,
    JsonInputError,
    MemoryFileError,
    loads_input,
    read_bounded,
)
from memory_store.record_types import BugRecord
from memory_store.workspace import ConfinementError, UnsafePathError, check_relative
from server.cli.common import (
    CliError,
    Context,
    ProblemList,
    add_json_flag,
    examples,
    non_negative_float,
    positive_int,
    read_text_arg,
)

IMPORT_FIELDS: dict[str, Any] = {  # field -> what isinstance accepts
    "error": str, "fix": str, "root_cause": str, "file": str, "minutes": (int, float), "author": str}
REQUIRED_IMPORT_FIELDS = ("error", "fix")
IMPORT_WRITERS = 8


def register(sub: argparse._SubParsersAction) -> None:
    bugs = sub.add_parser("bugs", help="remembered errors and their fixes",
                          epilog=examples("teamlore bugs add --error err.txt --fix 'pin numpy<2'",
                                          "teamlore bugs match --error err.txt", "teamlore bugs pending"))
    cmds = bugs.add_subparsers(dest="bugs_command", metavar="COMMAND", parser_class=type(bugs))
    bugs.set_defaults(func=lambda ctx: _usage(bugs))

    p = cmds.add_parser("add", help="remember how an error was fixed",
                        epilog=examples("teamlore bugs add --error err.txt --fix 'start the db first' --minutes 20",
                                        "pytest 2>&1 | teamlore bugs add --error - --fix 'pin numpy<2' --json"))
    p.add_argument("--error", required=True, metavar="FILE|-", help="file holding the error text, or - for stdin")
    p.add_argument("--fix", required=True, metavar="TEXT", help="how it was fixed")
    p.add_argument("--root-cause", default="", metavar="TEXT", help="why it happened (optional)")
    p.add_argument("--file", metavar="PATH", help="file where the error surfaced (workspace-relative)")
    p.add_argument("--minutes", type=non_negative_float, metavar="N", help="how long the fix took")
    p.add_argument("--author", metavar="NAME", help="default: git config user.name")
    add_json_flag(p, 'print {"id": ..., "created": ...}')
    p.set_defaults(func=run_add)

    p = cmds.add_parser("match", help="find past fixes for an error",
                        epilog=examples("teamlore bugs match --error err.txt",
                                        "pytest 2>&1 | teamlore bugs match --error - --exit-code",
                                        "teamlore bugs match --batch queries.jsonl --json"))
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--error", metavar="FILE|-", help="file holding the error text, or - for stdin")
    src.add_argument("--batch", metavar="FILE.jsonl", help='one query per line: {"error": "..."}')
    p.add_argument("--limit", type=positive_int, default=5, metavar="N", help="at most N matches (default 5)")
    p.add_argument("--all", action="store_true", help="also show weaker candidates (marked not confident)")
    p.add_argument("--exit-code", action="store_true",
                   help="exit 1 when no confident match is found (with --batch: for any line), 0 otherwise, "
                        "like git diff --exit-code")
    add_json_flag(p)
    p.set_defaults(func=run_match)

    p = cmds.add_parser("import", help="bulk-add records from a JSON-lines file",
                        epilog=examples("teamlore bugs import fixes.jsonl",
                                        "teamlore bugs import fixes.jsonl --json"))
    p.add_argument("file", metavar="FILE.jsonl",
                   help="one record per line: error and fix (required), root_cause, file, minutes, author")
    add_json_flag(p)
    p.set_defaults(func=run_import)

    p = cmds.add_parser("list", help="list remembered errors",
                        epilog=examples("teamlore bugs list", "teamlore bugs list --json"))
    add_json_flag(p)
    p.set_defaults(func=run_list)

    p = cmds.add_parser("show", help="show one record or pending fix proposal",
                        epilog=examples("teamlore bugs show bug-0123456789abcdef",
                                        "teamlore bugs show fix-0123456789abcdef --json"))
    p.add_argument("id", metavar="ID", help="a record id (bug-...) or a fix proposal id (fix-...)")
    add_json_flag(p)
    p.set_defaults(func=run_show)

    p = cmds.add_parser("pending", help="fixes noticed by teamlore, waiting for review",
                        epilog=examples("teamlore bugs pending", "teamlore bugs pending --json"))
    add_json_flag(p)
    p.set_defaults(func=run_pending)

    p = cmds.add_parser("accept", help="store a proposed fix in the memory",
                        epilog=examples("teamlore bugs accept fix-0123456789abcdef",
                                        "teamlore bugs accept fix-0123456789abcdef --fix 'guard the empty list'"))
    p.add_argument("id", metavar="ID", help="the proposal's id (fix-..., from `teamlore bugs pending`)")
    p.add_argument("--fix", metavar="TEXT", help="fix text (default: the proposal's summary)")
    add_json_flag(p)
    p.set_defaults(func=run_accept)

    p = cmds.add_parser("dismiss", help="drop a proposed fix",
                        epilog=examples("teamlore bugs dismiss fix-0123456789abcdef"))
    p.add_argument("id", metavar="ID", help="the proposal's id (fix-..., from `teamlore bugs pending`)")
    add_json_flag(p)
    p.set_defaults(func=run_dismiss)

    for verdict, name, help_text, effect in (
            ("rejected", "reject", "not this fix: a past fix shown for an error did not apply",
             "The record is never offered again for errors of this pattern (same type, message and "
             "function); it still is for other errors."),
            ("confirmed", "confirm", "this fixed it: a past fix shown for an error solved it",
             "The record counts one more confirmation (\"fixed it N times\" in the hover and in "
             "`bugs match`); an earlier \"not this fix\" for this error no longer hides it.")):
        p = cmds.add_parser(name, help=help_text,
                            description=textwrap.fill(f"{help_text[0].upper()}{help_text[1:]}. {effect} The verdict "
                                                      "is a record of its own in .teamlore/feedback/ (commit it; "
                                                      "sync shares it).", 79),
                            epilog=examples(f"teamlore bugs {name} bug-0123456789abcdef --error err.txt",
                                            f"pytest -x 2>&1 | teamlore bugs {name} bug-0123456789abcdef --error -"))
        p.add_argument("id", metavar="MATCHED_ID", help="id of the record that was shown (bug-..., from `bugs match`)")
        p.add_argument("--error", required=True, metavar="FILE|-",
                       help="file holding the error the fix was shown for, or - for stdin")
        p.add_argument("--author", metavar="NAME", help="default: git config user.name")
        add_json_flag(p, 'print {"id": ..., "verdict": ..., "record": ..., "confirmations": ..., ...}')
        p.set_defaults(func=run_feedback, verdict=verdict)


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return 2


# --- add -------------------------------------------------------------------------------

def run_add(ctx: Context) -> int:
    a = ctx.args
    text = read_text_arg(a.error, "error")
    if not a.fix.strip():
        raise CliError("--fix: empty fix text")
    store = BugStore(ctx.workspace)
    try:
        rec, created = store.add(text, a.fix, root_cause=a.root_cause, file=a.file, minutes=a.minutes,
                                 author=a.author, source="cli")
    except EmptyErrorText:
        raise CliError(f"--error {a.error}: no error text found") from None
    except ConfinementError:
        raise  # the memory's layout, not --file
    except UnsafePathError as exc:
        raise CliError(f"--file: {exc}") from None
    if ctx.json:
        ctx.emit_json({"id": rec["id"], "created": created})
    else:
        print(rec["id"])
        if not created:
            ctx.err.print("(the same fix for this error was already stored)")
    return 0


# --- match -----------------------------------------------------------------------------

def _live(ctx: Context) -> LiveBugMemory:
    live = LiveBugMemory(ctx.workspace)
    problems = live.load(save_in_background=True)
    if problems:
        ctx.err.print(f"teamlore: skipped {plural(len(problems), 'unreadable memory file')}; "
                      "see `teamlore doctor`")
    return live


def run_match(ctx: Context) -> int:
    a = ctx.args
    if a.batch:
        return _match_batch(ctx)
    text = read_text_arg(a.error, "error")
    if not text.strip():
        raise CliError(f"--error {a.error}: no error text found")
    matches = _live(ctx).match(text, limit=a.limit, include_weak=a.all)
    if ctx.json:
        ctx.emit_json({"matches": [m.to_json() for m in matches]})
    else:
        _print_matches(ctx, matches)
    return 1 if a.exit_code and not any(m.confident for m in matches) else 0


def run_feedback(ctx: Context) -> int:
    """``bugs reject`` / ``bugs confirm``: store the verdict on a shown record for this error."""
    a = ctx.args
    text = read_text_arg(a.error, "error")
    try:
        rec, created = feedback.give_feedback(ctx.workspace, a.verdict, a.id, text, author=a.author, source="cli")
    except feedback.UnknownRecord as exc:
        raise CliError(f"{exc} (`teamlore bugs match --error FILE --all` lists the ids)") from None
    except feedback.EmptyErrorText:
        raise CliError(f"--error {a.error}: no error text found") from None
    except ConfinementError:
        raise  # the memory's layout, not the id
    except UnsafePathError:
        raise CliError(f"invalid id: {a.id!r}") from None
    verdicts = feedback.FeedbackMemory(ctx.workspace)
    verdicts.load()
    confirmations, rejections = verdicts.counts(a.id)
    if ctx.json:
        ctx.emit_json({"id": rec["id"], "created": created, "verdict": rec["verdict"], "record": rec["record"],
                       "pattern": rec["pattern"], "confirmations": confirmations, "rejections": rejections})
        return 0
    if a.verdict == "rejected":
        ctx.out.print(f"not this fix: {a.id} is not offered again for this error ({rec['id']})")
    else:
        ctx.out.print(f"this fixed it: {a.id} ({rec['id']})")
    counts = feedback.counts_text(confirmations, rejections)
    if counts:
        ctx.out.print(f"{a.id}: {counts}")
    if not created:
        ctx.err.print("(the same verdict was already stored)")
    return 0


def _print_matches(ctx: Context, matches: list[Any]) -> None:
    from memory_store.bugs.match import fix_time_stats
    from server.cli.console import literal

    if not any(m.confident for m in matches):
        ctx.out.print("no match: no past fix is confidently similar to this error"
                      + ("" if ctx.args.all else " (--all shows weaker candidates)"))
        if not matches:
            return
    rows = []
    for m in matches:
        data = m.to_json()
        fix = literal(data.get("fix") or "(open: no fix recorded yet)")
        if counts := feedback.counts_text(data.get("confirmations") or 0, data.get("rejections") or 0):
            fix.append_text(literal(f"\n{counts}", style="dim"))
        score = f"{data['score']:.2f}" + ("" if data.get("confident") else " weak")
        rows.append((data["id"], score, fix, data.get("root_cause"), "; ".join(data.get("reasons") or [])))
    ctx.table(f"past fixes for {matches[0].to_json().get('error_type') or 'this error'}",
              ["id", "score", "fix", "root cause", "why it matched"], rows, show_lines=True)
    stats = fix_time_stats([m for m in matches if m.confident] or matches)
    if stats and stats.get("n"):
        ctx.out.print("past fixes of this pattern took "
                      + format_fix_times(stats["median"], stats["min"], stats["max"], stats["n"]))


def _match_batch(ctx: Context) -> int:
    a = ctx.args
    path = Path(a.batch)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise CliError(f"--batch: cannot read {a.batch}: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CliError(f"--batch: {a.batch} is not UTF-8 text (byte {exc.start})") from None
    live = _live(ctx)
    unmatched = 0
    for number, line in enumerate(text.splitlines(), start=1):
        query, problem = _batch_query(line)
        if problem is not None:
            ctx.emit_json({"line": number, "error": f"line {number}: {problem}"})
            unmatched += 1
            continue
        matches = live.match(query, limit=a.limit, include_weak=a.all)
        ctx.emit_json({"line": number, "matches": [m.to_json() for m in matches]})
        unmatched += not any(m.confident for m in matches)
    return 1 if a.exit_code and unmatched else 0


def _batch_query(line: str) -> tuple[str, str | None]:
    if not line.strip():
        return "", "empty line"
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        return "", f"invalid JSON: {exc.msg} (column {exc.colno})"
    if not isinstance(obj, dict):
        return "", "expected a JSON object like {\"error\": \"...\"}"
    error = obj.get("error")
    if not isinstance(error, str) or not error.strip():
        return "", "field 'error' must be a non-empty string"
    return error, None


# --- import ----------------------------------------------------------------------------

def _validate_import_line(number: int, line: str) -> tuple[dict[str, Any] | None, list[str]]:
    where = f"line {number}"
    if len(line) > MAX_FILE_BYTES:
        return None, [f"{where}: longer than {MAX_FILE_BYTES} characters (a record must fit in a memory file)"]
    try:
        obj = loads_input(line)
    except JsonInputError as exc:
        return None, [f"{where}: {exc.reason}"]
    if not isinstance(obj, dict):
        return None, [f"{where}: expected a JSON object"]
    problems = []
    for name in REQUIRED_IMPORT_FIELDS:
        if name not in obj:
            problems.append(f"{where}: field '{name}' is missing")
    for name, value in obj.items():
        if name not in IMPORT_FIELDS:
            problems.append(f"{where}: field '{name}' is not known (expected: {', '.join(IMPORT_FIELDS)})")
            continue
        if value is None and name not in REQUIRED_IMPORT_FIELDS:
            continue
        kind = IMPORT_FIELDS[name]
        if not isinstance(value, kind) or isinstance(value, bool):
            problems.append(f"{where}: field '{name}' must be a {'number' if name == 'minutes' else 'string'}")
        elif name in REQUIRED_IMPORT_FIELDS and not value.strip():
            problems.append(f"{where}: field '{name}' is empty")
        elif name == "minutes" and (not math.isfinite(value) or value < 0):
            problems.append(f"{where}: field 'minutes' must be a finite number >= 0")
        elif name == "file":
            try:
                check_relative(value)
            except UnsafePathError as exc:
                problems.append(f"{where}: field 'file': {exc}")
    return obj, problems


def run_import(ctx: Context) -> int:
    path = Path(ctx.args.file)
    try:
        text = read_bounded(path, MAX_INPUT_BYTES).decode("utf-8")
    except FileNotFoundError:
        raise CliError(f"cannot read {ctx.args.file}: no such file") from None
    except MemoryFileError as exc:
        raise CliError(str(exc)) from None
    except UnicodeDecodeError as exc:
        raise CliError(f"{ctx.args.file} is not UTF-8 text (byte {exc.start})") from None
    store = BugStore(ctx.workspace)
    author = default_author(ctx.workspace.root)
    rows: list[tuple[int, BugRecord]] = []
    problems = ProblemList()
    lines = [(n, line) for n, line in enumerate(text.splitlines(), start=1) if line.strip()]
    for number, line in ctx.progress(lines, "checking"):
        obj, found = _validate_import_line(number, line)
        if found or obj is None:
            problems.extend(found)
            continue
        try:
            rec = store.build(obj["error"], obj["fix"], root_cause=obj.get("root_cause") or "",
                              file=obj.get("file"), minutes=obj.get("minutes"),
                              author=obj.get("author") or author, source="import")
        except EmptyErrorText:
            problems.add(f"line {number}: field 'error': no error text found")
            continue
        except UnsafePathError as exc:
            problems.add(f"line {number}: field 'file': {exc}")
            continue
        rows.append((number, rec))
    if problems:
        raise problems.failure(ctx.err, ctx.args.file, "nothing imported")
    if not rows:
        raise CliError(f"{ctx.args.file}: no records to import")
    ids = [rec["id"] for _, rec in rows]
    created = _write_new(ctx, store, [rec for _, rec in rows])
    existing = len(rows) - created
    if ctx.json:
        ctx.emit_json({"imported": created, "existing": existing, "ids": ids})
    else:
        ctx.out.print(f"imported {plural(created, 'record')}" + (f", {existing} already stored" if existing else ""))
    return 0


def _write_new(ctx: Context, store: BugStore, records: list[BugRecord]) -> int:
    """Write the records not stored yet, under one lock; the atomic writes (each fsynced)
    run on a few threads because they wait on the disk. Returns how many were written."""
    store.workspace.ensure_store()
    with store.files.locked():
        fresh = list({rec["id"]: rec for rec in records if not store.files.exists(rec["id"])}.values())
        with ThreadPoolExecutor(max_workers=IMPORT_WRITERS) as pool:
            for _ in ctx.progress(pool.map(store.files.write, fresh), "importing", total=len(fresh)):
                pass
    return len(fresh)


# --- list / show -----------------------------------------------------------------------

def run_list(ctx: Context) -> int:
    loaded = BugStore(ctx.workspace).load()
    records = sorted(loaded.records.values(), key=lambda r: (r.get("created") or "", r["id"]))
    if ctx.json:
        ctx.emit_json({"bugs": [summary(r) for r in records],
                       "problems": [p.to_json(ctx.workspace.root) for p in loaded.problems]})
        return 0
    if not records:
        ctx.out.print("no bug records yet (add one with `teamlore bugs add`)")
    else:
        ctx.table(plural(len(records), "remembered error"), ["id", "error", "fix", "took", "author", "status"],
                  [(r["id"], _headline(b["error_type"], b["message"]), b["fix"], format_minutes(b["minutes"]),
                    b["author"], b["status"]) for r in records for b in [summary(r)]])
    if loaded.problems:
        ctx.err.print(f"{plural(len(loaded.problems), 'unreadable file')} skipped; see `teamlore doctor`")
    return 0


def _headline(error_type: Any, message: Any) -> str:
    """``Type: message``, or whichever of the two is known."""
    return ": ".join(str(part) for part in (error_type, message) if part)


def _edit_text(edit: dict[str, Any]) -> str:
    if edit.get("kind") == "add-dependency":
        return f"add {edit.get('requirement')} to {edit.get('file')}"
    if edit.get("kind") == "rename-import":
        return f"import {edit.get('new')} instead of {edit.get('old')}"
    return str(edit.get("kind"))


def run_show(ctx: Context) -> int:
    """A bug record, or a pending fix proposal (``fix-...`` ids) with its diff."""
    from memory_store.bugs import capture  # diffs, edits, manifests: only for fix proposals

    store = BugStore(ctx.workspace)
    record_id = ctx.args.id
    try:
        if not store.files.exists(record_id):
            try:
                return _show_proposal(ctx, capture.get(ctx.workspace, record_id))
            except capture.UnknownProposal:
                raise CliError(f"no bug record with id {record_id!r}") from None
        rec = store.get(record_id)
    except UnsafePathError:
        raise CliError(f"invalid id: {record_id!r}") from None
    if ctx.json:
        ctx.emit_json(rec)
        return 0
    error = rec.get("error") or {}
    edits = "; ".join(_edit_text(e) for e in rec.get("edits") or [] if isinstance(e, dict))
    rows = [("error", _headline(error.get("type"), error.get("message"))), ("fix", rec.get("fix")),
            ("root cause", rec.get("root_cause")), ("file", rec.get("file")),
            ("took", format_minutes(rec.get("minutes"))),
            ("author", rec.get("author")), ("fix text by", rec.get("fix_by")),
            ("accepted by", rec.get("accepted_by")), ("agent-written", "yes" if agent_written(rec) else None),
            ("status", rec.get("status")), ("source", rec.get("source")),
            ("created", rec.get("created")), ("branch", rec.get("branch")), ("commit", rec.get("commit")),
            ("remembered edits", edits)]
    ctx.table(rec["id"], ["field", "value"], [(k, v) for k, v in rows if v not in (None, "")])
    if error.get("traceback"):
        ctx.out.print(error["traceback"].rstrip())
    if rec.get("fix_diff"):
        ctx.out.print(rec["fix_diff"].rstrip())
    return 0


def _show_proposal(ctx: Context, proposal: dict[str, Any]) -> int:
    if ctx.json:
        ctx.emit_json(proposal)
        return 0
    rows = [("error", proposal.get("headline")), ("summary", proposal.get("summary")),
            ("took", format_minutes(proposal.get("minutes"))), ("command", proposal.get("command")),
            ("first failure", proposal.get("first_failed")), ("first success", proposal.get("resolved")),
            ("author", proposal.get("author")), ("branch", proposal.get("branch")),
            ("commit", proposal.get("commit")), ("flaky", "yes: the error came back" if proposal.get("flaky") else "")]
    ctx.table(f"{proposal['id']} (pending: teamlore bugs accept {proposal['id']}, or dismiss it)",
              ["field", "value"], [(k, v) for k, v in rows if v not in (None, "")])
    if proposal.get("diff"):
        ctx.out.print(proposal["diff"].rstrip())
    return 0


# --- captured fixes --------------------------------------------------------------------

def run_pending(ctx: Context) -> int:
    from memory_store.bugs import capture  # diffs, edits, manifests: only for fix proposals

    loaded = capture.load(ctx.workspace)
    proposals = capture.pending(ctx.workspace)
    if ctx.json:
        ctx.emit_json({"proposals": proposals})
        return 0
    if not proposals:
        ctx.out.print("no fix proposals waiting (they appear when an error captured by `teamlore run` goes away)")
    else:
        ctx.table(plural(len(proposals), "fix proposal"), ["id", "error", "summary", "took", "files"],
                  [(p["id"] + (" (flaky)" if p.get("flaky") else ""), p.get("headline"), p.get("summary"),
                    format_minutes(p.get("minutes")), ", ".join(p.get("files") or [])) for p in proposals])
        ctx.out.print("accept: teamlore bugs accept ID [--fix TEXT]   dismiss: teamlore bugs dismiss ID")
    if loaded.problems:
        ctx.err.print(f"{plural(len(loaded.problems), 'unreadable proposal file')} skipped")
    return 0


def _proposal_call(ctx: Context, fn: Any, *args: Any) -> Any:
    from memory_store.bugs import capture  # diffs, edits, manifests: only for fix proposals

    try:
        return fn(ctx.workspace, ctx.args.id, *args)
    except capture.UnknownProposal as exc:
        raise CliError(str(exc)) from None
    except UnsafePathError:
        raise CliError(f"invalid id: {ctx.args.id!r}") from None


def run_accept(ctx: Context) -> int:
    from memory_store.bugs import capture  # diffs, edits, manifests: only for fix proposals

    fix = ctx.args.fix
    if fix is not None and not fix.strip():
        raise CliError("--fix: empty fix text")
    rec = _proposal_call(ctx, capture.accept, fix)
    if ctx.json:
        ctx.emit_json({"id": rec["id"], "proposal": ctx.args.id})
    else:
        ctx.out.print(f"stored {rec['id']}: {rec.get('fix')}")
    return 0


def run_dismiss(ctx: Context) -> int:
    from memory_store.bugs import capture  # diffs, edits, manifests: only for fix proposals

    _proposal_call(ctx, capture.dismiss)
    if ctx.json:
        ctx.emit_json({"dismissed": ctx.args.id})
    else:
        ctx.out.print(f"dismissed {ctx.args.id}")
    return 0
