"""Security findings in the editor: forwarded scanner diagnostics and on-save bandit scans
get triage code actions; a decision is written and the finding leaves the published
diagnostics at once. Real server over stdio, VS Code and Neovim capabilities."""

from __future__ import annotations

import asyncio
import json
import textwrap
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pygls.uris import from_fs_path
from pytest_lsp import LanguageClient

from tests.lsp.conftest import CONFIG, PRESETS, WAIT, make_workspace, start_session, wait_until
from tests.lsp.test_server import code_actions, diag_json, execute, forward, open_doc, root_of

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="module")]

SOURCE = textwrap.dedent("""\
    import subprocess


    def run(cmd):
        return subprocess.call(cmd, shell=True)


    def run_again(cmd):
        return subprocess.call(cmd, shell=True)
    """)


@pytest_lsp.fixture(config=CONFIG, params=PRESETS, scope="module")
async def client(request: pytest.FixtureRequest, lsp_client: LanguageClient,
                 tmp_path_factory: pytest.TempPathFactory):
    root = make_workspace(tmp_path_factory, f"sec-{request.param}")
    await start_session(lsp_client, request.param, root, init_options={"scannersOnSave": ["bandit"]})
    yield
    await asyncio.wait_for(lsp_client.shutdown_session(), WAIT)


def findings(client: LanguageClient, uri: str, rule: str, status: str = "active") -> list[types.Diagnostic]:
    """Published findings of ``rule`` (suppressed ones appear only with ``showSuppressed``)."""
    return [d for d in client.diagnostics.get(uri, [])
            if d.code == rule and isinstance(d.data, dict) and d.data.get("teamlore") == "finding"
            and d.data.get("status") == status]


def decision_files(root: Path) -> list[dict]:
    directory = root / ".teamlore" / "security" / "decisions"
    return [json.loads(p.read_text()) for p in sorted(directory.glob("*.json"))] if directory.is_dir() else []


async def test_forwarded_finding_marked_false_positive_disappears(client: LanguageClient):
    root = root_of(client)
    uri = open_doc(client, root / "tools" / "shell.py", SOURCE)
    forward(client, uri, [diag_json(4, 11, 43, "subprocess call with shell=True identified", source="bandit",
                                    code="B602", severity=2),
                          diag_json(8, 11, 43, "subprocess call with shell=True identified", source="bandit",
                                    code="B602", severity=2)])
    published = await wait_until(lambda: len(findings(client, uri, "B602")) == 2 and findings(client, uri, "B602"),
                                 what="both findings republished with their triage state")
    assert all(d.data["status"] == "active" and d.data["fingerprint"] for d in published)
    assert published[0].data["fingerprint"] != published[1].data["fingerprint"]
    hover = await asyncio.wait_for(client.text_document_hover_async(types.HoverParams(
        text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(line=4, character=20))), WAIT)
    assert hover is not None and "bandit `B602` · **active**" in hover.contents.value
    actions = await code_actions(client, uri, 4)
    titles = [a.title for a in actions]
    assert "Mark as false positive: test fixture (B602)" in titles
    assert "Mark as false positive: not security relevant (B602)" in titles
    assert any(t.startswith("Mark as false positive…") for t in titles)
    assert any(t.startswith("Accept risk…") for t in titles)
    action = next(a for a in actions if a.title == "Mark as false positive: not security relevant (B602)")
    result = await execute(client, action.command.command, action.command.arguments)
    assert len(result["decisions"]) == 1
    (decision,) = decision_files(root)
    assert decision["reason"] == "not security relevant" and decision["decision"] == "false_positive"
    # republished without the suppressed finding; the other one (same rule, same file) stays
    remaining = await wait_until(lambda: len(findings(client, uri, "B602")) == 1 and findings(client, uri, "B602"),
                                 what="the suppressed finding removed")
    assert remaining[0].range.start.line == 8
    assert not [d for d in client.diagnostics[uri] if d.range.start.line == 4]  # gone, not just relabelled
    # VS Code still shows bandit's own copy and sends it in the context: no triage offered again
    raw = types.Diagnostic(range=types.Range(start=types.Position(line=4, character=11),
                                             end=types.Position(line=4, character=43)),
                           message="subprocess call with shell=True identified", source="bandit", code="B602",
                           severity=types.DiagnosticSeverity.Warning)
    offered = [a for a in await code_actions(client, uri, 4, [raw]) if "false positive" in a.title]
    assert not offered, [(a.diagnostics, a.command.arguments) for a in offered]
    # free-text reason through the command's arguments (the editor prompts for it)
    free = next(a for a in await code_actions(client, uri, 8) if a.title.startswith("Accept risk…"))
    with pytest.raises(JsonRpcException, match="missing field 'reason'"):
        await execute(client, free.command.command, free.command.arguments)
    args = [{**free.command.arguments[0], "reason": "only admins reach this code path"}]
    await execute(client, free.command.command, args)
    await wait_until(lambda: not findings(client, uri, "B602"), what="both findings suppressed")
    assert sorted(d["decision"] for d in decision_files(root)) == ["accepted_risk", "false_positive"]


async def test_on_save_scan_publishes_findings_and_decisions_apply(client: LanguageClient):
    root = root_of(client)
    path = root / "jobs" / "cleanup.py"
    uri = open_doc(client, path, "import os\n\n\ndef clean(p):\n    os.system('rm -rf ' + p)\n")
    client.text_document_did_save(types.DidSaveTextDocumentParams(
        text_document=types.TextDocumentIdentifier(uri=uri)))
    found = await wait_until(lambda: findings(client, uri, "B605"), timeout=60, what="bandit finding after save")
    diag = found[0]
    assert diag.source == "bandit" and diag.range.start.line == 4 and diag.data["status"] == "active"
    action = next(a for a in await code_actions(client, uri, 4)
                  if a.title == "Mark as false positive: test fixture (B605)")
    await execute(client, action.command.command, action.command.arguments)
    await wait_until(lambda: not findings(client, uri, "B605"), what="scan finding suppressed")


async def test_show_suppressed_setting_shows_hints_with_reason(client: LanguageClient):
    root = root_of(client)
    uri = open_doc(client, root / "tools" / "hints.py", SOURCE)
    forward(client, uri, [diag_json(4, 11, 43, "subprocess call with shell=True identified", source="bandit",
                                    code="B602", severity=2)])
    (active,) = await wait_until(lambda: findings(client, uri, "B602"), what="finding")
    await execute(client, "teamlore.markFalsePositive", [{"findings": [active.data], "uri": uri,
                                                          "reason": "commands come from our own config"}])
    await wait_until(lambda: not findings(client, uri, "B602"), what="suppressed")
    client.set_configuration({"showSuppressed": True}, section="teamlore")
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(
        settings={"teamlore": {"showSuppressed": True}}))
    (hint,) = await wait_until(lambda: findings(client, uri, "B602", "suppressed"),
                               what="suppressed finding shown as hint")
    assert hint.severity == types.DiagnosticSeverity.Hint
    assert "commands come from our own config" in hint.message


async def test_policy_suggested_after_similar_decisions_and_applied(client: LanguageClient):
    root = root_of(client)
    uris = []
    for i in range(4):
        uri = open_doc(client, root / "tests" / f"test_mod{i}.py", f"def test_{i}(x):\n    assert x == {i}\n")
        forward(client, uri, [diag_json(1, 4, 19, "Use of assert detected.", source="bandit", code="B101",
                                        severity=3)])
        uris.append(uri)
    for uri in uris[:3]:
        (finding,) = await wait_until(lambda uri=uri: findings(client, uri, "B101"), what="assert finding")
        await execute(client, "teamlore.markFalsePositive",
                      [{"findings": [finding.data], "uri": uri, "reason": "asserts are how tests check"}])
    policy = next(a for a in await code_actions(client, uris[3], 1) if a.title.startswith("Apply policy"))
    assert policy.title.startswith("Apply policy: B101 in tests/** (3 similar decisions")
    result = await execute(client, policy.command.command, policy.command.arguments)
    stored = [d for d in decision_files(root) if d.get("type") == "policy"]
    assert [d["id"] for d in stored] == [result["policy"]] and stored[0]["paths"] == "tests/**"
    await wait_until(lambda: not findings(client, uris[3], "B101"), what="finding covered by the policy")


@pytest_lsp.fixture(config=CONFIG, scope="module")
async def fresh(lsp_client: LanguageClient, tmp_path_factory: pytest.TempPathFactory):
    """A server of its own on an empty workspace (no state left by the other tests)."""
    await start_session(lsp_client, "neovim", make_workspace(tmp_path_factory, "sec-status"))
    yield
    await asyncio.wait_for(lsp_client.shutdown_session(), WAIT)


async def test_status_command_counts_findings_and_records(fresh: LanguageClient):
    root = root_of(fresh)
    uri = open_doc(fresh, root / "tools" / "counted.py", SOURCE)
    forward(fresh, uri, [diag_json(line, 11, 43, "subprocess call with shell=True identified", source="bandit",
                                   code="B602", severity=2) for line in (4, 8)])
    first, _ = await wait_until(lambda: len(findings(fresh, uri, "B602")) == 2 and findings(fresh, uri, "B602"),
                                what="two findings")
    await execute(fresh, "teamlore.markFalsePositive", [{"findings": [first.data], "uri": uri,
                                                         "reason": "counted by the status"}])
    await wait_until(lambda: len(findings(fresh, uri, "B602")) == 1, what="one finding suppressed")
    status = await execute(fresh, "teamlore.status", [{"uri": from_fs_path(str(root))}])
    assert status["bugs"] == {"records": 0, "unreadable": 0}
    assert status["findings"] == {"active": 1, "suppressed": 1, "stale": 0}
    assert status["debt"] is None  # no debt snapshots in this workspace


async def test_many_findings_are_published_in_bulk_and_capped(client: LanguageClient):
    root = root_of(client)
    lines = ["import subprocess", ""] + [f"subprocess.call(CMD + '{i}', shell=True)" for i in range(1200)]
    uri = open_doc(client, root / "gen" / "many.py", "\n".join(lines) + "\n")
    forward(client, uri, [diag_json(i + 2, 0, 10, "subprocess call with shell=True identified", source="bandit",
                                    code="B602", severity=2) for i in range(1200)])
    published = await wait_until(lambda: len(findings(client, uri, "B602")) == 1000 and findings(client, uri, "B602"),
                                 timeout=60, what="1000 of 1200 findings published")
    assert {d.range.start.line for d in published} <= set(range(2, 1202))


async def test_decision_on_an_unsaved_buffer_fingerprints_the_buffer(client: LanguageClient):
    root = root_of(client)
    path = root / "tools" / "dirty.py"
    uri = open_doc(client, path, SOURCE)
    edited = "# two lines added,\n# not saved yet\n" + SOURCE
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
        content_changes=[types.TextDocumentContentChangeWholeDocument(text=edited)]))
    # a linter of the buffer reports the finding of run_again() on buffer line 10 (disk line 8)
    forward(client, uri, [diag_json(10, 11, 43, "subprocess call with shell=True identified", source="bandit",
                                    code="B602", severity=2)])
    (finding,) = await wait_until(lambda: findings(client, uri, "B602"), what="finding on the dirty buffer")
    await execute(client, "teamlore.markFalsePositive", [{"findings": [finding.data], "uri": uri,
                                                          "reason": "the command is a constant"}])
    decision = next(d for d in decision_files(root) if d.get("path") == "tools/dirty.py")
    assert decision["scope"] == "run_again" and "shell=True" in decision["statement"]
    await wait_until(lambda: not findings(client, uri, "B602"), what="suppressed")
