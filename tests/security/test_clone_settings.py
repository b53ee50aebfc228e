"""A hostile clone's committed settings and source files, against the real CLI, language server and MCP server.

What a hostile clone can do with its settings: change harmless knobs (match threshold, debt
markers, stream length), and *ask* for the rest. What it cannot do: make teamlore connect
to its server or send the user's Redis credentials there (`[sync] redis_url`/`stream`),
move the memory outside the repository (`[lsp] store_root`), choose programs to run on
save (`[lsp] scanners_on_save`), or let agents decide (`[agents] may_decide`) — until
the user ran `teamlore allow` (or pressed "Allow" in the editor) for exactly those values;
a later change to them is ignored again. It cannot stall or exhaust teamlore with a
`config.toml` that is a FIFO, `/dev/stdin` or `/dev/zero`, and a committed `bandit.py`,
`yaml.py` or `semgrep` executable next to the scanned code never runs.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pygls.uris import from_fs_path
from pytest_lsp import ClientServerConfig, LanguageClient

from tests.lsp.conftest import WAIT, make_client, wait_until
from tests.security.hostile_repo import FakeRedis, Symlink, hostile_clone, run_teamlore, user_env

ERROR = "Traceback (most recent call last):\n  File \"app.py\", line 3, in <module>\n    x = cfg['user_id']\n" \
        "KeyError: 'user_id'\n"
PASSWORD = "victims-redis-password-1234"
PAYLOAD = "import os, pathlib\npathlib.Path(os.environ.get('HOSTILE_MARKER', '/tmp/never')).write_text('{}')\n"
VULNERABLE = "import subprocess\n\n\ndef run(cmd):\n    return subprocess.call(cmd, shell=True)\n"


def sync_toml(url: str) -> str:
    return f'[sync]\nredis_url = "{url}"\nstream = "teamlore:exfil"\n'


def victim_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    return user_env(tmp_path, TEAMLORE_REDIS_PASSWORD=PASSWORD, TEAMLORE_REDIS_USERNAME="victim", **extra)


def settle(fake: FakeRedis, seconds: float = 1.0) -> None:
    """Give any (unwanted) background connection time to arrive."""
    time.sleep(seconds)


# -- CLI --------------------------------------------------------------------------------------
def test_committed_redis_url_gets_no_connection_and_no_credentials(tmp_path: Path, fake_redis: FakeRedis) -> None:
    clone = hostile_clone(tmp_path, {".teamlore/config.toml": sync_toml(fake_redis.url)})
    env = victim_env(tmp_path)
    added = run_teamlore("bugs", "add", "--error", "-", "--fix", "use cfg.get", cwd=clone, env=env, stdin=ERROR)
    assert added.returncode == 0, added.stderr
    assert "sync.redis_url" in added.stderr and "teamlore allow" in added.stderr
    status = run_teamlore("sync", "status", "--json", cwd=clone, env=env)
    assert json.loads(status.stdout)["configured"] is False
    ran = run_teamlore("run", "--", sys.executable, "-c", "raise KeyError('user_id')", cwd=clone, env=env)
    assert ran.returncode != 0
    settle(fake_redis)
    assert fake_redis.connections == 0 and PASSWORD.encode() not in fake_redis.received
    assert not (clone / ".teamlore" / ".cache" / "sync" / "outbox").exists() or \
        not any((clone / ".teamlore" / ".cache" / "sync" / "outbox").iterdir())


def test_after_allow_the_reviewed_url_is_used_and_a_changed_one_is_not(tmp_path: Path,
                                                                       fake_redis: FakeRedis) -> None:
    clone = hostile_clone(tmp_path, {".teamlore/config.toml": sync_toml(fake_redis.url)})
    env = victim_env(tmp_path)
    shown = run_teamlore("allow", "--show", "--json", cwd=clone, env=env)
    assert json.loads(shown.stdout)["settings"]["sync.redis_url"] == fake_redis.url
    assert run_teamlore("allow", cwd=clone, env=env).returncode == 0
    added = run_teamlore("bugs", "add", "--error", "-", "--fix", "use cfg.get", cwd=clone, env=env, stdin=ERROR)
    assert added.returncode == 0, added.stderr
    wait_until_sync = time.monotonic() + 10
    while fake_redis.connections == 0 and time.monotonic() < wait_until_sync:
        time.sleep(0.05)
    assert fake_redis.connections > 0  # the control: an allowed url is used

    second = FakeRedis().start()
    try:  # a later commit points the url elsewhere: ignored until allowed again
        (clone / ".teamlore" / "config.toml").write_text(sync_toml(second.url))
        added = run_teamlore("bugs", "add", "--error", "-", "--fix", "other fix", cwd=clone, env=env,
                             stdin=ERROR.replace("user_id", "order_id"))
        assert added.returncode == 0 and "teamlore allow" in added.stderr
        settle(second)
        assert second.connections == 0 and PASSWORD.encode() not in second.received
    finally:
        second.stop()


def test_doctor_and_allow_name_every_gated_setting(tmp_path: Path) -> None:
    clone = hostile_clone(tmp_path, {".teamlore/config.toml":
                                     '[lsp]\nstore_root = "../elsewhere"\nscanners_on_save = ["semgrep"]\n'
                                     '[agents]\nmay_decide = true\n'})
    env = user_env(tmp_path)
    doctor = run_teamlore("doctor", "--json", cwd=clone, env=env)
    withheld = {w["key"] for w in json.loads(doctor.stdout)["withheld_settings"]}
    assert withheld == {"lsp.store_root", "lsp.scanners_on_save", "agents.may_decide"}
    assert doctor.returncode == 0  # waiting for consent is not a fault


@pytest.mark.parametrize("target", ["/dev/zero", "/dev/stdin"])
def test_config_that_is_a_device_neither_stalls_nor_exhausts(tmp_path: Path, target: str) -> None:
    clone = hostile_clone(tmp_path, {".teamlore/config.toml": Symlink(target)})
    started = time.monotonic()
    added = run_teamlore("bugs", "add", "--error", "-", "--fix", "use cfg.get", cwd=clone, env=user_env(tmp_path),
                         stdin=ERROR, timeout=60)
    assert added.returncode == 0, added.stderr
    assert "config.toml" in added.stderr and "symbolic link" in added.stderr
    assert time.monotonic() - started < 60


def test_scanners_never_import_modules_from_the_repository(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    clone = hostile_clone(tmp_path, {"bandit.py": PAYLOAD, "yaml.py": PAYLOAD, "stevedore.py": PAYLOAD,
                                     "semgrep": "#!/bin/sh\ntouch " + str(marker) + "\n", "app.py": VULNERABLE})
    os.chmod(clone / "semgrep", 0o755)
    env = user_env(tmp_path, HOSTILE_MARKER=str(marker))
    env["PATH"] = f".:{env['PATH']}"  # even a PATH holding "." does not start the repository's programs
    scanned = run_teamlore("security", "scan", "--json", cwd=clone, env=env, timeout=120)
    assert scanned.returncode in (0, 1), scanned.stderr
    assert not marker.exists()
    rules = {f["rule"] for f in json.loads(scanned.stdout)["findings"]}
    assert "B602" in rules  # bandit itself ran, from the installed package


# -- language server ---------------------------------------------------------------------------
@asynccontextmanager
async def lsp(root: Path, env: dict[str, str], init: dict[str, object] | None = None,
              answer: str | None = None) -> AsyncIterator[LanguageClient]:
    config = ClientServerConfig(server_command=[sys.executable, "-I", "-m", "server", "lsp"],
                                client_factory=make_client, server_env=env)
    client = await config.start(None)
    client.answer_title = answer  # type: ignore[attr-defined]
    try:
        folder = types.WorkspaceFolder(uri=from_fs_path(str(root)), name=root.name)
        await asyncio.wait_for(client.initialize_session(types.InitializeParams(
            capabilities=pytest_lsp.client_capabilities("visual-studio-code"), root_uri=folder.uri,
            workspace_folders=[folder], initialization_options=init)), WAIT)
        yield client
        await asyncio.wait_for(client.shutdown_session(), WAIT)
    finally:
        server = client._server  # a failed test must not leave the server running
        if server is not None and server.returncode is None:
            server.kill()
        await asyncio.wait_for(client.stop(), WAIT)


async def status(client: LanguageClient, root: Path) -> dict[str, object]:
    return await asyncio.wait_for(client.workspace_execute_command_async(types.ExecuteCommandParams(
        command="teamlore.status", arguments=[{"uri": from_fs_path(str(root / "app.py"))}])), WAIT)


async def test_language_server_asks_instead_of_connecting(tmp_path: Path, fake_redis: FakeRedis) -> None:
    clone = hostile_clone(tmp_path, {".teamlore/config.toml": sync_toml(fake_redis.url)})
    async with lsp(clone, victim_env(tmp_path)) as client:
        requests = await wait_until(lambda: client.message_requests, what="the consent request")  # type: ignore
        assert [a.title for a in requests[0].actions] == ["Allow", "Not now"]
        assert "sync.redis_url" in requests[0].message and fake_redis.url in requests[0].message
        await status(client, clone)
        await asyncio.sleep(1.0)
    assert fake_redis.connections == 0 and PASSWORD.encode() not in fake_redis.received
    assert not (tmp_path / "home" / ".config" / "teamlore" / "allowed.json").exists()


async def test_allow_in_the_editor_records_consent_and_starts_sync(tmp_path: Path, fake_redis: FakeRedis) -> None:
    clone = hostile_clone(tmp_path, {".teamlore/config.toml": sync_toml(fake_redis.url)})
    async with lsp(clone, victim_env(tmp_path), answer="Allow"):
        await wait_until(lambda: fake_redis.connections > 0, what="a connection once allowed")
    allowed = json.loads((tmp_path / "home" / ".config" / "teamlore" / "allowed.json").read_text())
    assert allowed["repositories"][str(clone)]["values"]["sync.redis_url"] == fake_redis.url


async def test_restricted_mode_ignores_even_allowed_settings(tmp_path: Path, fake_redis: FakeRedis) -> None:
    clone = hostile_clone(tmp_path, {".teamlore/config.toml": sync_toml(fake_redis.url), "app.py": VULNERABLE})
    env = victim_env(tmp_path)
    assert run_teamlore("allow", cwd=clone, env=env).returncode == 0
    async with lsp(clone, env, init={"restrictedMode": True}) as client:
        await status(client, clone)  # the folder is open
        uri = from_fs_path(str(clone / "app.py"))
        client.text_document_did_open(types.DidOpenTextDocumentParams(text_document=types.TextDocumentItem(
            uri=uri, language_id="python", version=1, text=VULNERABLE)))
        client.text_document_did_save(types.DidSaveTextDocumentParams(
            text_document=types.TextDocumentIdentifier(uri=uri)))
        await status(client, clone)
        await asyncio.sleep(2.0)
        assert not client.message_requests  # type: ignore[attr-defined]
        assert not any(d.source and "bandit" in d.source for d in client.diagnostics.get(uri, []))
    assert fake_redis.connections == 0


async def test_committed_store_root_does_not_move_the_memory(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / ".teamlore" / "bugs").mkdir(parents=True)
    clone = hostile_clone(tmp_path, {".teamlore/config.toml": '[lsp]\nstore_root = "../elsewhere"\n'})
    env = user_env(tmp_path)
    added = run_teamlore("bugs", "add", "--error", "-", "--fix", "use cfg.get", cwd=clone, env=env, stdin=ERROR)
    assert added.returncode == 0, added.stderr
    async with lsp(clone, env) as client:
        result = await status(client, clone)
        assert result["bugs"]["records"] == 1  # type: ignore[index]
    assert not any((elsewhere / ".teamlore" / "bugs").iterdir())
    assert not (elsewhere / ".teamlore" / ".cache").exists()


async def test_language_server_starts_with_a_config_that_is_dev_stdin(tmp_path: Path) -> None:
    clone = hostile_clone(tmp_path, {".teamlore/config.toml": Symlink("/dev/stdin")})
    async with lsp(clone, user_env(tmp_path)) as client:
        result = await status(client, clone)
        assert result["bugs"]["records"] == 0  # type: ignore[index]
        assert any("config.toml" in m.message for m in client.log_messages) or \
            any("config.toml" in str(m) for m in getattr(client, "messages", []))


async def test_scan_on_save_never_imports_modules_from_the_repository(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    clone = hostile_clone(tmp_path, {"bandit.py": PAYLOAD, "yaml.py": PAYLOAD, "app.py": VULNERABLE})
    async with lsp(clone, user_env(tmp_path, HOSTILE_MARKER=str(marker))) as client:
        await status(client, clone)  # the folder is open
        uri = from_fs_path(str(clone / "app.py"))
        client.text_document_did_open(types.DidOpenTextDocumentParams(text_document=types.TextDocumentItem(
            uri=uri, language_id="python", version=1, text=VULNERABLE)))
        client.text_document_did_save(types.DidSaveTextDocumentParams(
            text_document=types.TextDocumentIdentifier(uri=uri)))
        found = await wait_until(lambda: [d for d in client.diagnostics.get(uri, []) if d.code == "B602"],
                                 timeout=60, what="bandit's finding on save")
        assert found
    assert not marker.exists()


# -- MCP ----------------------------------------------------------------------------------------
async def test_committed_may_decide_does_not_let_agents_decide(tmp_path: Path) -> None:
    from tests.test_mcp import call_ok, ingest_bandit, mcp_session

    clone = hostile_clone(tmp_path, {".teamlore/config.toml": "[agents]\nmay_decide = true\n", "app.py": VULNERABLE})
    first, _ = ingest_bandit(clone)
    async with mcp_session(clone, tmp_path / "mcp.log") as session:
        made = await call_ok(session, "triage_finding", {"fingerprint": first["fingerprint"],
                                                        "decision": "false_positive", "reason": "trust me"})
        listed = await call_ok(session, "list_findings", {})
    assert made["proposed"] is True
    assert listed["summary"]["suppressed"] == 0
