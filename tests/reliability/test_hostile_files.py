"""Hostile files in ``.teamlore/``: reported and skipped in bounded time and memory, never
rewritten, and the language server keeps answering with them present."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pygls.uris import from_fs_path
from pytest_lsp import LanguageClient

from memory_store.bugs.records import BugStore
from memory_store.doctor import check_memory
from memory_store.workspace import Workspace
from server.text_safety import markdown_text
from tests.lsp.conftest import CONFIG, WAIT, start_session, wait_until
from tests.reliability.hostile import HUGE_BYTES, PEAK_KB, fingerprint, plant

GOOD_ERROR = "KeyError: 'tenant_id'"
GOOD_FIX = "read tenant_id with .get() and fall back to the default tenant"


@pytest.fixture
def hostile(tmp_path: Path) -> tuple[Workspace, dict[str, str], str]:
    ws = Workspace((tmp_path / "ws").resolve())
    ws.root.mkdir()
    rec, _ = BugStore(ws).add(GOOD_ERROR, GOOD_FIX, author="ann")
    planted = plant(ws, tmp_path / "outside")
    return ws, planted, rec["id"]


def test_load_skips_every_hostile_file_in_bounded_memory(hostile: tuple[Workspace, dict[str, str], str]) -> None:
    ws, planted, good_id = hostile
    before = fingerprint(ws.store)
    tracemalloc.start()
    started = time.perf_counter()
    try:
        result = BugStore(ws).load()
        report = check_memory(ws)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    elapsed = time.perf_counter() - started
    assert list(result.records) == [good_id]
    reported = {p.to_json(ws.root)["path"] for p in report.problems}
    assert reported == set(planted), f"not reported: {set(planted) - reported}"
    assert peak < 64 * 1024 * 1024, f"peak {peak / 1e6:.0f} MB while reading the memory"
    assert elapsed < 30, f"reading the memory took {elapsed:.1f}s"  # bound against hangs, not speed
    assert fingerprint(ws.store) == before, "a hostile file was changed, removed or added"


def test_doctor_lists_them_all_and_exits_nonzero_without_touching_them(
        hostile: tuple[Workspace, dict[str, str], str]) -> None:
    ws, planted, _ = hostile
    before = fingerprint(ws.store)
    code = (PEAK_KB + "import sys; from server.cli.main import main; rc = main(sys.argv[1:]); "
            "sys.stderr.write(f'MAXRSS_KB {peak_kb()}\\n'); sys.exit(rc)")
    out = subprocess.run([sys.executable, "-c", code, "--root", str(ws.root), "doctor", "--json"],
                         capture_output=True, text=True, timeout=60, check=False)
    assert out.returncode == 1, out.stderr
    report = json.loads(out.stdout)
    assert {p["path"] for p in report["problems"]} == set(planted)
    assert report["counts"]["bugs"] == 1
    reasons = {p["path"]: p["reason"] for p in report["problems"]}
    assert "too large" in reasons[".teamlore/bugs/bug-huge.json"]
    assert "outside the memory directory" in reasons[".teamlore/bugs/bug-passwd.json"]
    assert "regular file" in reasons[".teamlore/bugs/bug-fifo.json"]
    assert "UTF-8" in reasons[".teamlore/bugs/bug-utf8.json"]
    assert "nested" in reasons[".teamlore/bugs/bug-deep.json"]
    max_rss_mb = int(out.stderr.rsplit("MAXRSS_KB ", 1)[1].split()[0]) / 1024
    # reading the sparse 100 MB file once would take the process past its size
    assert max_rss_mb < HUGE_BYTES / 2**20, f"doctor used {max_rss_mb:.0f} MB"
    assert fingerprint(ws.store) == before


def test_writing_next_to_hostile_files_leaves_them_alone(hostile: tuple[Workspace, dict[str, str], str]) -> None:
    ws, _, _ = hostile
    before = fingerprint(ws.store)
    rec, created = BugStore(ws).add("ValueError: invalid literal for int() with base 10: 'abc'",
                                    "validate the form field first", author="bob")
    assert created
    after = fingerprint(ws.store)
    added = set(after) - set(before)
    assert added == {f"bugs/{rec['id']}.json"}
    assert {k: v for k, v in after.items() if k in before} == before


@pytest_lsp.fixture(config=CONFIG)
async def client(lsp_client: LanguageClient, tmp_path: Path):
    ws = Workspace((tmp_path / "ws").resolve())
    ws.root.mkdir()
    BugStore(ws).add(GOOD_ERROR, GOOD_FIX, author="ann")
    plant(ws, tmp_path / "outside")
    lsp_client.ws = ws  # type: ignore[attr-defined]
    await start_session(lsp_client, "neovim", ws.root)  # includes a hover round trip
    yield
    await asyncio.wait_for(lsp_client.shutdown_session(), WAIT)


@pytest.mark.e2e
async def test_language_server_stays_up_with_hostile_files(client: LanguageClient) -> None:
    ws: Workspace = client.ws  # type: ignore[attr-defined]
    before = fingerprint(ws.store)
    source = ws.root / "tenants.py"
    source.write_text("tenant = request['tenant_id']\n", encoding="utf-8")
    uri = from_fs_path(str(source))
    client.protocol.notify("teamlore/didChangeDiagnostics", {"uri": uri, "diagnostics": [{
        "range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 6}},
        "message": GOOD_ERROR, "source": "pyright", "severity": 1}]})

    async def hover() -> str:
        result = await asyncio.wait_for(client.text_document_hover_async(types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(line=0, character=2))), WAIT)
        assert result is None or isinstance(result.contents, types.MarkupContent)
        return "" if result is None else result.contents.value  # type: ignore[union-attr]

    assert markdown_text(GOOD_FIX) in await wait_until(hover, what="hover with the good record")

    # more hostile files while it runs: still serving, still not rewritten
    bugs = ws.store / "bugs"
    (bugs / "bug-late.json").write_text("{not json")
    (bugs / "bug-late-deep.json").write_text("[" * 100_000 + "]" * 100_000)
    (bugs / "bug-late-link.json").symlink_to("/etc/hostname")
    late = ("bug-late.json", "bug-late-deep.json", "bug-late-link.json")

    def reload_reported() -> bool:  # the watcher's reload logs each file it skipped
        logged = "\n".join(m.message for m in client.log_messages)
        return all(name in logged for name in late)

    await wait_until(reload_reported, what="the reload to report the late hostile files")
    assert markdown_text(GOOD_FIX) in await hover()
    assert client.protocol.writer is not None
    after = fingerprint(ws.store)
    assert {k: v for k, v in after.items() if k in before} == before
