"""``teamlore import-empathy``: the seed tool's memory arrives without losing anything."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from memory_store.bugs.records import BugStore
from memory_store.seed_import import patterns as empathy
from memory_store.workspace import Workspace
from tests.conftest import EMPATHY_FIXTURE, run_cli

FIXTURE = EMPATHY_FIXTURE


@pytest.fixture
def patterns(tmp_path: Path) -> Path:
    target = tmp_path / "seed" / "patterns"
    shutil.copytree(FIXTURE, target)
    return target


def test_cli_imports_the_fixture_tree(workspace: Workspace, patterns: Path) -> None:
    out = run_cli("import-empathy", str(patterns), "--json", root=workspace.root)
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    bugs = report["bugs"]
    assert bugs["imported"] == 3 and bugs["open"] == 1
    [skipped] = bugs["skipped"]
    assert skipped["file"] == "debugging/bug_20250401_deadbeef.json" and "invalid JSON" in skipped["reason"]
    assert report["totals"]["skipped"] >= 1
    for part in ("security", "debt"):
        assert report[part]["status"] == "imported", report[part]
        assert report[part]["counts"]["imported"] == 3
    assert report["totals"]["pending"] == []
    pending_dir = workspace.inbox / "empathy-pending"
    assert not pending_dir.exists() or not any(pending_dir.iterdir())
    records = {r["empathy"]["bug_id"]: r for r in BugStore(workspace).load().records.values()}
    assert set(records) == {"bug_20250114_3f2a9c1d", "bug_20250203_b71e0a44", "bug_20250310_0c9d5e12"}


def test_no_field_is_lost(workspace: Workspace, patterns: Path) -> None:
    run_cli("import-empathy", str(patterns), root=workspace.root)
    for source in sorted((patterns / "debugging").glob("bug_2025011*.json")) + sorted(
            (patterns / "debugging").glob("bug_2025020*.json")):
        original = json.loads(source.read_text())
        [rec] = [r for r in BugStore(workspace).load().records.values()
                 if r["empathy"]["bug_id"] == original["bug_id"]]
        assert rec["empathy"] == original
        assert rec["fix"] == original["fix_applied"]
        assert rec["root_cause"] == original["root_cause"]
        assert rec["file"] == original["file_path"]
        assert rec["minutes"] == original["resolution_time_minutes"]
        assert rec["author"] == original["resolved_by"]
        assert rec["fix_code"] == original["fix_code"]
        assert rec["created"].startswith(original["date"][:19])
        assert rec["status"] == "resolved" and rec["source"] == "empathy"


def test_investigating_bug_becomes_an_open_record(workspace: Workspace, patterns: Path) -> None:
    run_cli("import-empathy", str(patterns), root=workspace.root)
    [rec] = [r for r in BugStore(workspace).load().records.values()
             if r["empathy"]["bug_id"] == "bug_20250310_0c9d5e12"]
    assert rec["status"] == "open" and rec["fix"] == "" and rec["minutes"] is None
    assert rec["error"]["type"] == "requests.exceptions.ReadTimeout" or "ReadTimeout" in rec["error"]["type"]


def test_reimport_creates_no_duplicates(workspace: Workspace, patterns: Path) -> None:
    run_cli("import-empathy", str(patterns), root=workspace.root)
    again = json.loads(run_cli("import-empathy", str(patterns), "--json", root=workspace.root).stdout)
    assert again["bugs"]["imported"] == 0 and again["bugs"]["existing"] == 3
    assert len(BugStore(workspace).load().records) == 3


def test_text_report_counts(workspace: Workspace, patterns: Path) -> None:
    out = run_cli("import-empathy", str(patterns.parent), root=workspace.root)  # the parent of patterns/ works too
    assert out.returncode == 0, out.stderr
    flat = " ".join(out.stdout.split())
    assert "skipped" in flat and "needing review" in flat and "bug_20250401_deadbeef.json" in flat


def test_parts_without_an_importer_are_kept_pending(workspace: Workspace, patterns: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(empathy, "_importer", lambda part: None)
    report = empathy.import_patterns(workspace, patterns)
    for part, name in (("security", "team_decisions.json"), ("debt", "debt_history.json")):
        assert report[part]["status"] == "pending"
        kept = workspace.root / report[part]["kept"]
        assert kept.parent == workspace.inbox / "empathy-pending"
        source = patterns / ("security" if part == "security" else "tech_debt") / name
        assert kept.read_text() == source.read_text()
    assert report["totals"]["pending"] == ["security", "debt"]


def test_pending_parts_are_handed_over_once_available(workspace: Workspace, patterns: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(empathy, "_importer", lambda part: None)
    empathy.import_patterns(workspace, patterns)
    received: dict[str, Any] = {}

    def fake(part: empathy.Part):  # type: ignore[no-untyped-def]
        def importer(ws: Workspace, data: dict[str, Any]) -> dict[str, Any]:
            received[part.name] = data
            return {"imported": 2, "needs_review": 1}
        return importer

    monkeypatch.setattr(empathy, "_importer", fake)
    empty = patterns.parent / "later"
    (empty / "debugging").mkdir(parents=True)
    report = empathy.import_patterns(workspace, empty)
    assert report["security"]["status"] == "imported" and report["debt"]["status"] == "imported"
    assert len(received["security"]["decisions"]) == 3 and len(received["debt"]["snapshots"]) == 3
    assert report["totals"]["imported"] == 4 and report["totals"]["needs_review"] == 2
    assert not list((workspace.inbox / "empathy-pending").iterdir())


def test_failing_importer_keeps_the_file(workspace: Workspace, patterns: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(part: empathy.Part):  # type: ignore[no-untyped-def]
        def importer(ws: Workspace, data: dict[str, Any]) -> dict[str, Any]:
            raise RuntimeError("schema mismatch")
        return importer

    monkeypatch.setattr(empathy, "_importer", broken)
    report = empathy.import_patterns(workspace, patterns)
    assert report["security"]["status"] == "pending" and "schema mismatch" in report["security"]["reason"]
    assert (workspace.root / report["security"]["kept"]).exists()


def test_real_importers_are_wired() -> None:
    """The security and debt parts expose the functions import-empathy hands files to."""
    for part in empathy.PARTS:
        assert empathy._importer(part) is not None, f"{part.module}.{part.function} missing"


def test_review_flags(workspace: Workspace, tmp_path: Path) -> None:
    seed = tmp_path / "p" / "debugging"
    seed.mkdir(parents=True)
    (seed / "bug_20250501_aaaaaaaa.json").write_text(json.dumps({
        "bug_id": "bug_20250501_aaaaaaaa", "date": "2025-05-01T10:00:00", "file_path": "/opt/elsewhere/x.py",
        "error_type": "weird", "error_message": "ValueError: bad input", "root_cause": "", "fix_applied": "",
        "fix_code": None, "resolution_time_minutes": 3, "resolved_by": "kim", "status": "resolved"}))
    (seed / "bug_20250502_bbbbbbbb.json").write_text(json.dumps({"bug_id": "bug_20250502_bbbbbbbb",
                                                                 "error_message": ""}))
    (seed / "bug_20250503_cccccccc.json").write_text("[1, 2]")
    report = empathy.import_patterns(workspace, tmp_path / "p")
    [review] = report["bugs"]["review"]
    reasons = " ".join(review["reasons"])
    assert "outside the workspace" in reasons and "without a fix" in reasons and "error_type" in reasons
    assert {s["reason"] for s in report["bugs"]["skipped"]} == {"no error_message", "not a JSON object"}
    rec = BugStore(workspace).get(review["id"])
    assert rec["status"] == "open" and rec["file"] is None and rec["empathy"]["file_path"] == "/opt/elsewhere/x.py"


@pytest.mark.parametrize("make, message", [
    pytest.param(lambda p: p / "missing", "not a directory", id="missing"),
    pytest.param(lambda p: p, "not a patterns directory", id="empty-dir"),
])
def test_bad_source_exits_2(workspace: Workspace, tmp_path: Path, make: Any, message: str) -> None:
    (tmp_path / "empty").mkdir()
    out = run_cli("import-empathy", str(make(tmp_path / "empty")), root=workspace.root)
    assert out.returncode == 2 and message in out.stderr
    assert not workspace.store.exists()


def test_duplicate_seed_bug_is_kept_on_the_existing_record(workspace: Workspace, patterns: Path) -> None:
    original = json.loads((patterns / "debugging" / "bug_20250114_3f2a9c1d.json").read_text())
    twin = {**original, "bug_id": "bug_20250601_0a0a0a0a", "date": "2025-06-01T09:00:00", "resolved_by": "omar"}
    (patterns / "debugging" / "bug_20250601_0a0a0a0a.json").write_text(json.dumps(twin))
    report = empathy.import_patterns(workspace, patterns)
    assert report["bugs"]["imported"] == 3
    [rec] = [r for r in BugStore(workspace).load().records.values() if r["empathy"]["bug_id"] == original["bug_id"]]
    assert rec["empathy_also"] == [twin] and rec["occurrences"] == 2
    again = empathy.import_patterns(workspace, patterns)
    assert BugStore(workspace).get(rec["id"])["occurrences"] == 2, "re-import adds nothing"
    assert again["bugs"]["imported"] == 0
