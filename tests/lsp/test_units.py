"""The language server's pure parts, without a client: hover markdown, the diagnostics
store, positions in each encoding."""

from __future__ import annotations

from pathlib import Path

import pytest
from lsprotocol import types
from pygls.workspace import PositionCodec

from memory_store.bugs.match import Match
from server.lsp.diagnostics import (
    FINDINGS_SCAN,
    FORWARDED,
    KNOWN_FORWARDED,
    DiagnosticStore,
    canonical,
    is_error_like,
    is_finding,
)
from server.lsp.positions import line_of_file, line_range
from server.lsp.render import finding_markdown, hover_markdown


def rng(line: int, start: int, end: int) -> types.Range:
    return types.Range(start=types.Position(line=line, character=start), end=types.Position(line=line, character=end))


def record(**kw) -> dict:
    base = {"id": "bug-1", "fix": "pin urllib3<2", "root_cause": "requests 2.28 breaks on urllib3 2",
            "author": "alice", "created": "2026-03-04T10:00:00Z", "minutes": 45}
    return base | kw


def test_hover_shows_fix_cause_author_time_score_reasons_commit_and_agent_mark():
    text = hover_markdown(
        "Traceback...\nImportError: cannot import name 'DEFAULT_CIPHERS'",
        [Match(record(commit="0123456789abcdef", commit_url="https://git.example/c/0123456"), 0.91,
               ["same exception and message template", "shared library frame urllib3"], True),
         Match(record(id="bug-2", fix="upgrade requests", author="agent:code-agent", minutes=90), 0.8, [], True)],
        {"median": 67.5, "min": 45, "max": 90, "n": 2})
    assert "`ImportError: cannot import name 'DEFAULT_CIPHERS'`" in text
    assert "**Seen before:** 2 past fixes." in text
    assert "Past fixes of this pattern took 1.1 h (median), 45 min – 1.5 h over 2 fixes." in text
    assert "pin urllib3\\<2" in text and "requests 2.28 breaks on urllib3 2" in text  # "<" escaped: never HTML
    assert "by alice · 2026-03-04 · took 45 min · [commit 0123456789](https://git.example/c/0123456)" in text
    assert "score 0.91 — same exception and message template, shared library frame urllib3" in text
    assert "by agent:code-agent · **agent-written**" in text


def test_hover_without_matches_is_honest_and_says_how_to_record():
    text = hover_markdown("KeyError: 'x'", [])
    assert "No past fix recorded for this error." in text and "Record fix for this error" in text
    assert "teamlore bugs add" in text


def test_hover_with_only_weak_candidates_does_not_present_them_as_the_fix():
    weak = [Match(record(fix="bump the proxy timeout"), 0.61, ["generic message, no shared frames"], False)]
    text = hover_markdown("TimeoutError: upstream did not answer", [], None, weak)
    assert "No confident past fix for this error." in text and "may not apply: bump the proxy timeout" in text
    assert "score 0.61 — generic message, no shared frames" in text and "Seen before" not in text


def test_hover_lists_three_and_points_to_the_rest():
    matches = [Match(record(id=f"bug-{i}", fix=f"fix {i}"), 0.9, [], True) for i in range(5)]
    text = hover_markdown("KeyError: 'x'", matches)
    assert "fix 2" in text and "fix 3" not in text and "…and 2 more" in text


def test_finding_markdown_states_what_to_do():
    text = finding_markdown({"tool": "bandit", "rule": "B101", "status": "suppressed", "decision": "sdec-9",
                             "reason": "tests use assert"})
    assert "bandit `B101` · **suppressed**" in text and "Decision `sdec-9`: tests use assert" in text


def test_store_merges_sources_hides_raw_forwarded_and_suppressed_findings():
    store = DiagnosticStore()
    uri = "file:///w/a.py"
    raw = types.Diagnostic(range=rng(1, 0, 5), message="KeyError: 'x'", source="pyright")
    known = types.Diagnostic(range=rng(1, 0, 5), message="seen before: 1 fix", source="teamlore",
                             data={"teamlore": "error", "error": "KeyError: 'x'", "matches": ["bug-1"]})
    active = types.Diagnostic(range=rng(3, 0, 9), message="B602", source="bandit", code="B602",
                              data={"teamlore": "finding", "status": "active"})
    suppressed = types.Diagnostic(range=rng(5, 0, 9), message="B602", source="bandit", code="B602",
                                  data={"teamlore": "finding", "status": "suppressed", "reason": "constant input"})
    store.set(FORWARDED, uri, [raw])
    store.set(KNOWN_FORWARDED, uri, [known, known])
    store.set(FINDINGS_SCAN, uri, [active, suppressed])
    assert store.merged(uri) == [active, known]
    shown = store.merged(uri, show_suppressed=True)
    hint = next(d for d in shown if d.range.start.line == 5)
    assert hint.severity == types.DiagnosticSeverity.Hint and "constant input" in hint.message
    assert {d.message for d in store.at(uri, types.Position(line=1, character=5))} == {raw.message, known.message}
    assert store.at(uri, types.Position(line=1, character=6)) == []
    assert store.clear_source(FINDINGS_SCAN) == {uri} and store.merged(uri) == [known]


@pytest.mark.parametrize(("source", "code", "severity", "finding", "error_like"), [
    pytest.param("bandit", "B101", 2, True, False, id="bandit"),
    pytest.param("ruff", "S603", 2, True, False, id="ruff-security-rule"),
    pytest.param("ruff", "E501", 2, False, True, id="ruff-style-rule"),
    pytest.param("pyright", None, 1, False, True, id="type-error"),
    pytest.param("pyright", None, 4, False, False, id="hint-is-not-an-error"),
])
def test_classification_of_forwarded_diagnostics(source, code, severity, finding, error_like):
    d = types.Diagnostic(range=rng(0, 0, 1), message="m", source=source, code=code,
                         severity=types.DiagnosticSeverity(severity))
    assert (is_finding(d), is_error_like(d)) == (finding, error_like)


@pytest.mark.parametrize(("encoding", "start", "end"), [
    pytest.param("utf-8", 4, 4 + len("x = 'é🙂'".encode()), id="utf-8"),
    pytest.param("utf-16", 4, 4 + len("x = 'é🙂'".encode("utf-16-le")) // 2, id="utf-16"),
    pytest.param("utf-32", 4, 4 + len("x = 'é🙂'"), id="utf-32"),
])
def test_line_range_in_each_encoding(tmp_path: Path, encoding: str, start: int, end: int):
    path = tmp_path / "a.py"
    path.write_text("def f():\n    x = 'é🙂'   \n", encoding="utf-8")
    text = line_of_file(path, 1)
    assert line_range(PositionCodec(encoding), 1, text) == rng(1, start, end)
    assert line_of_file(path, 99) == "" and line_of_file(tmp_path / "missing.py", 0) == ""


def test_uris_spelled_differently_by_editors_are_one_document():
    store = DiagnosticStore()
    diag = types.Diagnostic(range=rng(0, 0, 1), message="KeyError: 'x'")
    store.set(FORWARDED, "file:///w/a%20b+c.py", [diag])  # Neovim leaves '+' alone
    assert store.at("file:///w/a%20b%2Bc.py", types.Position(line=0, character=0)) == [diag]  # pygls, VS Code
    assert canonical("untitled:Untitled-1") == "untitled:Untitled-1"


async def test_events_run_listeners_in_subscription_order_awaiting_coroutines():
    from server.lsp.events import Events

    seen: list[str] = []

    async def first(x: int) -> None:
        seen.append(f"first {x}")

    def second(x: int) -> None:
        seen.append(f"second {x}")

    ev = Events()
    ev.on("memory", first)
    ev.on("memory", second)
    ev.on("saved", second)
    await ev.emit("memory", 1)
    ev.emit_now("saved", 2)
    assert seen == ["first 1", "second 1", "second 2"]


def test_features_subscribe_in_the_listed_order():
    from server.lsp import events
    from server.lsp.server import build_server

    server = build_server()
    owners = [f.__qualname__.split(".")[0] for f in server.events.listeners(events.MEMORY)]
    assert owners[0] == "Forwarded" and owners[-1] == "Terminal"
    assert [f.__qualname__.split(".")[0] for f in server.events.listeners(events.FINDINGS)] == ["Forwarded", "Scans"]


def test_a_files_line_is_read_in_bounded_pieces_and_never_from_a_pipe(tmp_path: Path):
    """Files named by a run event may come with a clone: a line far longer than shown is cut,
    lines before it are skipped piece by piece, and a named pipe (which would block the
    reader) is not opened."""
    import os

    from server.lsp.positions import MAX_LINE_CHARS

    big = tmp_path / "big.txt"
    big.write_text("x" * 300_000 + "\nsecond\n" + "y" * (MAX_LINE_CHARS * 2) + "\n", encoding="utf-8")
    assert line_of_file(big, 1) == "second"
    assert line_of_file(big, 2) == "y" * MAX_LINE_CHARS
    assert line_of_file(big, 0) == "x" * MAX_LINE_CHARS
    pipe = tmp_path / "package.json"
    os.mkfifo(pipe)
    assert line_of_file(pipe, 0) == ""  # returns at once instead of waiting for a writer


def test_a_run_that_ended_in_the_future_is_not_replayed():
    """A run log can come with a clone: an end time days ahead would otherwise keep a forged
    error 'recent' for ever; a few minutes ahead is another machine's clock."""
    from datetime import datetime, timedelta, timezone

    from server.lsp.features.terminal import _recent

    def ended(delta: timedelta) -> dict[str, str]:
        return {"ended": (datetime.now(timezone.utc) + delta).isoformat().replace("+00:00", "Z")}

    assert _recent(ended(timedelta(hours=-1)))
    assert _recent(ended(timedelta(minutes=2)))
    assert not _recent(ended(timedelta(days=30)))
    assert not _recent(ended(timedelta(hours=-25)))
