"""What the commands print on a populated workspace (the demo's): no leaked ``None``, ``()`` or
``(s)``, no colour codes in a pipe, words never broken by a table at 80 columns (or
narrower), and JSON that parses wherever a table is printed."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from rich.cells import cell_len

from tests.cli.conftest import ANSI, WIDTH, DemoRun, teamlore

BOX = "│┃┏┡└┗┌├"
EMPTY_PARENS = re.compile(r"(^|\s)\(\s*\)")
"""``as of 2026-10-05 ()``: an empty value in parentheses (a call such as ``f()`` in a traceback is fine)."""
BANDIT = {"results": [
    {"filename": "shop/deploy.py", "line_number": n, "test_id": "B602", "issue_severity": "HIGH",
     "issue_confidence": "HIGH", "issue_text": "subprocess call with shell=True identified, security issue."}
    for n in (10, 12)], "metrics": {}}


def _commands(demo: DemoRun, report: Path) -> list[tuple[str, ...]]:
    ids = [b["id"] for b in json.loads(teamlore("bugs", "list", "--json", cwd=demo.root).stdout)["bugs"]]
    return [("bugs", "list"), *[("bugs", "show", i) for i in ids], ("bugs", "pending"),
            ("bugs", "match", "--error", ".demo/new.txt", "--all"),
            ("bugs", "match", "--error", ".demo/later.txt", "--all"),
            ("security", "ingest", str(report)), ("security", "report"), ("security", "policy", "list"),
            ("security", "suggest"), ("security", "proposals"), ("debt", "report", "--no-blame"),
            ("debt", "scan"), ("doctor",), ("sync", "status"), ("allow", "--show")]


@pytest.fixture(scope="module")
def bandit_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("reports") / "bandit.json"
    path.write_text(json.dumps(BANDIT))
    return path


def test_no_none_empty_parentheses_or_plural_s_anywhere(demo_run: DemoRun, bandit_report: Path) -> None:
    for args in _commands(demo_run, bandit_report):
        out = teamlore(*args, cwd=demo_run.root)
        assert out.returncode == 0, (args, out.stderr)
        text = out.stdout + out.stderr
        assert text.strip(), args
        for line in text.splitlines():
            assert not re.search(r"\bNone\b", line), (args, line)
            assert not EMPTY_PARENS.search(line) and "(s)" not in line, (args, line)
        assert not ANSI.search(text), args


def test_demo_output_has_no_leaks(demo_run: DemoRun) -> None:
    lines = [line for line in demo_run.output.splitlines() if not line.startswith(("  File ", "    "))]
    for line in lines:  # tracebacks (sample input) aside
        assert not re.search(r"\bNone\b", line) and "(s)" not in line and not EMPTY_PARENS.search(line), line
    assert not ANSI.search(demo_run.output)


def _words(*texts: object) -> set[str]:
    return {w for t in texts if isinstance(t, str) for w in t.split() if len(w) > 1}


def _whole_on_one_line(words: set[str], output: str) -> list[str]:
    lines = output.splitlines()
    return sorted(w for w in words if not any(w in line for line in lines))


@pytest.mark.parametrize("width", [WIDTH, 40])
def test_ids_and_words_are_never_broken(demo_run: DemoRun, bandit_report: Path, width: int) -> None:
    env = {"COLUMNS": str(width)}
    bugs = json.loads(teamlore("bugs", "list", "--json", cwd=demo_run.root).stdout)["bugs"]
    listed = teamlore("bugs", "list", cwd=demo_run.root, env=env).stdout
    expected = _words(*(b["id"] for b in bugs), *(b["fix"] for b in bugs), *(b["message"] for b in bugs))
    assert not _whole_on_one_line(expected, listed)

    matched = teamlore("bugs", "match", "--error", ".demo/new.txt", "--all", cwd=demo_run.root, env=env).stdout
    data = json.loads(teamlore("bugs", "match", "--error", ".demo/new.txt", "--all", "--json",
                               cwd=demo_run.root).stdout)["matches"]
    assert data, "the demo's new occurrence has at least a weak candidate"
    expected = _words(*(m["id"] for m in data), *(r for m in data for r in m["reasons"]), *(m["fix"] for m in data))
    assert not _whole_on_one_line(expected, matched)

    ingested = teamlore("security", "ingest", str(bandit_report), cwd=demo_run.root, env=env).stdout
    findings = json.loads(teamlore("security", "ingest", str(bandit_report), "--json",
                                   cwd=demo_run.root).stdout)["findings"]
    prints = {f["fingerprint"] for f in findings}
    assert len(prints) == 2 and not _whole_on_one_line(prints, ingested)

    report = teamlore("debt", "report", "--no-blame", cwd=demo_run.root, env=env).stdout
    assert not _whole_on_one_line({"seed_straight_line", "damped_trend", "median_slope"}, report)
    for text in (listed, matched, ingested, report):
        for line in text.splitlines():
            if line[:1] in BOX:
                assert cell_len(line) <= width, line


@pytest.mark.parametrize("args", [
    ("bugs", "list"), ("bugs", "pending"), ("bugs", "match", "--error", ".demo/new.txt"),
    ("security", "report"), ("security", "policy", "list"), ("security", "suggest"), ("security", "proposals"),
    ("debt", "report", "--no-blame"), ("debt", "scan"), ("doctor",), ("sync", "status"), ("allow", "--show"),
], ids=" ".join)
def test_json_parses_where_a_table_is_printed(demo_run: DemoRun, args: tuple[str, ...]) -> None:
    out = teamlore(*args, "--json", cwd=demo_run.root)
    assert out.returncode == 0, out.stderr
    assert isinstance(json.loads(out.stdout), dict)
