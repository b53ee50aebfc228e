"""Importing seed history and CSV, the report, the CLI contract and the chart."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from memory_store.debt.forecast import CANDIDATES
from memory_store.debt.report import build_report, report_markdown, sparkline
from memory_store.debt.snapshots import SnapshotStore
from memory_store.doctor import check_memory
from memory_store.seed_import.debt_history import ImportFormatError, import_csv, import_empathy_history
from memory_store.workspace import Workspace
from tests.conftest import EMPATHY_FIXTURE, run_cli
from tests.debt.gitrepo import commit, init_repo

SEED_HISTORY = EMPATHY_FIXTURE / "tech_debt" / "debt_history.json"


def test_import_seed_history_keeps_every_field(workspace) -> None:
    data = json.loads(SEED_HISTORY.read_text())
    summary = import_empathy_history(workspace, data)
    assert summary == {"imported": 3, "existing": 0, "skipped": [], "total": 3}
    snaps = SnapshotStore(workspace).ordered()
    assert [s["total"] for s in snaps] == [300, 321, 343]
    first = snaps[0]
    assert first["by_marker"] == {"FIXME": 60, "HACK": 30, "TODO": 210}
    assert first["files"] == {"src/app.py": {"ALL": 40}}
    assert first["empathy"]["by_severity"] == {"low": 210, "medium": 60, "high": 30}
    assert first["empathy"]["hotspots"] == ["src/app.py"]
    assert first["source"] == "import:empathy" and first["date"] == "2025-01-01T00:00:00Z"
    again = import_empathy_history(workspace, data)
    assert again["imported"] == 0 and again["existing"] == 3


def test_import_seed_history_skips_bad_entries_with_reasons(workspace) -> None:
    data = {"snapshots": [{"date": "soon", "total_items": 3}, {"date": "2025-01-01", "total_items": -1},
                          "x", {"date": "2025-02-01", "total_items": 7, "by_file": {"/etc/passwd": 1}}]}
    summary = import_empathy_history(workspace, data)
    assert summary["imported"] == 1
    assert [s["index"] for s in summary["skipped"]] == [0, 1, 2]
    assert "date" in summary["skipped"][0]["reason"] and "total_items" in summary["skipped"][1]["reason"]
    snap = SnapshotStore(workspace).ordered()[0]
    assert snap["files"] == {} and snap["empathy"]["paths_outside_workspace"] == ["/etc/passwd"]


def test_import_csv_with_marker_columns(workspace) -> None:
    text = "date,count,TODO,FIXME\n2024-01-01,10,7,3\n2024-02-01,12,8,4\n"
    assert import_csv(workspace, text)["imported"] == 2
    snaps = SnapshotStore(workspace).ordered()
    assert [(s["total"], s["by_marker"]) for s in snaps] == [(10, {"FIXME": 3, "TODO": 7}),
                                                           (12, {"FIXME": 4, "TODO": 8})]
    assert import_csv(workspace, "2024-03-01,15\n")["imported"] == 1  # no header: date,count


@pytest.mark.parametrize(("text", "where"), [
    ("date,count\n2024-01-01,ten\n", "x.csv:2: 'count'"),
    ("date,count\nyesterday,1\n", "x.csv:2: 'date'"),
    ("date,count,TODO\n2024-01-01,1\n", "x.csv:2: expected 3 columns"),
    ("when,n\n", "x.csv:1"),
])
def test_bad_csv_names_the_line_and_writes_nothing(workspace, text: str, where: str) -> None:
    with pytest.raises(ImportFormatError, match=where):
        import_csv(workspace, text, "x.csv")
    assert not SnapshotStore(workspace).records.directory.exists()


def _history_csv(values: list[int]) -> str:
    rows = ["date,count"]
    for i, v in enumerate(values):
        rows.append(f"{2022 + (i // 12)}-{i % 12 + 1:02d}-01,{v}")
    return "\n".join(rows) + "\n"


def test_cli_import_and_report_json_shape(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    root.mkdir()
    csv_file = tmp_path / "h.csv"
    csv_file.write_text(_history_csv([300 + (i * 7) % 11 for i in range(24)]))
    imp = run_cli("debt", "import", str(csv_file), "--json", root=root)
    assert imp.returncode == 0, imp.stderr
    assert json.loads(imp.stdout)["imported"] == 24
    out = run_cli("debt", "report", "--json", root=root)
    assert out.returncode == 0, out.stderr
    r = json.loads(out.stdout)
    assert r["current"] == 300 + (23 * 7) % 11 and r["as_of"].startswith("2023-12-01")
    assert r["method"] in CANDIDATES and r["days_to_double"] is None
    assert [f["days"] for f in r["forecast"]] == [30, 90, 180]
    for f in r["forecast"]:
        assert set(f) == {"days", "value", "low", "high"} and f["low"] <= f["value"] <= f["high"]
    assert isinstance(r["monthly_change"], float)
    assert {c["method"] for c in r["backtest"]["candidates"]} >= {"naive", "drift", "damped_trend",
                                                                  "seed_straight_line"}
    one = json.loads(run_cli("debt", "report", "--json", "--horizon", "365", root=root).stdout)
    assert [f["days"] for f in one["forecast"]] == [365]


def test_cli_scan_save_backfill_report_in_a_repo(tmp_path: Path) -> None:
    root = init_repo(tmp_path / "repo")
    commit(root, {"a.py": "# TODO one\n"}, "2024-01-10T00:00:00Z")
    commit(root, {"b.js": "// FIXME two\n// HACK three\n"}, "2024-03-10T00:00:00Z")
    (root / "c.py").write_text("# XXX untracked, not counted\n")
    scan = run_cli("debt", "scan", "--json", root=root)
    assert scan.returncode == 0, scan.stderr
    s = json.loads(scan.stdout)
    assert s["total"] == 3 and s["by_marker"] == {"TODO": 1, "FIXME": 1, "HACK": 1, "XXX": 0}
    assert [f["path"] for f in s["top_files"]] == ["b.js", "a.py"]
    back = run_cli("debt", "backfill", "--since", "2023-12-01", "--json", root=root)
    assert back.returncode == 0, back.stderr
    assert json.loads(back.stdout)["added"] == 3  # 2024-02-01, 2024-03-01 and HEAD
    again = json.loads(run_cli("debt", "backfill", "--since", "2023-12-01", "--json", root=root).stdout)
    assert again["added"] == 0
    saved = run_cli("debt", "scan", "--save", root=root)
    assert saved.returncode == 0 and "snapshot saved" in saved.stdout
    report = run_cli("debt", "report", root=root)
    assert report.returncode == 0, report.stderr
    assert "too little history" in report.stdout and "not on course to double" in report.stdout
    assert any(ch in report.stdout for ch in "▁▂▃▄▅▆▇█")
    assert "oldest markers" in report.stdout and "git blame" in report.stdout
    r = json.loads(run_cli("debt", "report", "--json", root=root).stdout)
    assert r["current"] == 3 and r["insufficient_history"] is True
    oldest = r["oldest"]["markers"]
    assert oldest[0]["path"] == "a.py" and oldest[0]["since"].startswith("2024-01-10")
    assert oldest[0]["dated_by"] == "git blame" and r["oldest"]["blamed_files"] == 2
    health = check_memory(Workspace(root))
    assert health.counts["debt"] == 4 and not health.problems


def test_doctor_reports_a_broken_snapshot(workspace) -> None:
    import_csv(workspace, _history_csv([1, 2, 3]))
    bad = SnapshotStore(workspace).records.directory / "2020-01-01_x.json"
    bad.write_text('{"schema": "teamlore.debt/1", "id": "2020-01-01_x", "total": "many", "date": "2020-01-01"}')
    report = check_memory(workspace)
    assert [p.path.name for p in report.problems] == ["2020-01-01_x.json"]
    assert "total" in report.problems[0].reason
    assert bad.read_text().endswith('"2020-01-01"}')  # left untouched


def test_since_previous_lists_added_and_resolved(tmp_path: Path) -> None:
    root = init_repo(tmp_path / "repo")
    commit(root, {"a.py": "# TODO keep\n# FIXME goes away\n"}, "2024-01-10T00:00:00Z")
    assert run_cli("debt", "scan", "--save", root=root).returncode == 0
    store = SnapshotStore(Workspace(root))
    first = next(iter(store.load().records.values()))
    first_path = store.records.path_for(first["id"])
    first["date"] = "2024-01-10T00:00:00Z"  # pretend it was taken earlier
    first["id"] = "2024-01-10_old"
    first_path.unlink()
    store.save(first)
    commit(root, {"a.py": "# TODO keep\n# HACK new one\n"}, "2024-02-10T00:00:00Z")
    assert run_cli("debt", "scan", "--save", root=root).returncode == 0
    r = build_report(store.workspace, blame=False)
    sp = r["since_previous"]
    assert (sp["added"], sp["resolved"]) == (1, 1)
    assert sp["added_items"] == [{"path": "a.py", "text": "HACK new one"}]
    assert sp["resolved_items"] == [{"path": "a.py", "text": "FIXME goes away"}]
    md = report_markdown(store.workspace)
    assert md.startswith("# Technical debt") and "HACK new one" in md and "1 added, 1 resolved" in md


def test_report_without_snapshots_says_so_and_succeeds(tmp_path: Path) -> None:
    out = run_cli("debt", "report", root=tmp_path)
    assert out.returncode == 0 and "debt scan --save" in out.stdout and not out.stderr
    as_json = run_cli("debt", "report", "--json", root=tmp_path)
    assert as_json.returncode == 0
    assert json.loads(as_json.stdout)["snapshots"] == 0


@pytest.mark.parametrize("suffix", [".svg", ".png"])
def test_chart_is_written(tmp_path: Path, suffix: str) -> None:
    root = tmp_path / "ws"
    root.mkdir()
    csv_file = tmp_path / "h.csv"
    csv_file.write_text(_history_csv([100 + 5 * i for i in range(12)]))
    assert run_cli("debt", "import", str(csv_file), root=root).returncode == 0
    chart = tmp_path / f"debt{suffix}"
    out = run_cli("debt", "report", "--chart", str(chart), root=root)
    assert out.returncode == 0, out.stderr
    head = chart.read_bytes()[:200]
    assert (b"<svg" in head or b"<?xml" in head) if suffix == ".svg" else head.startswith(b"\x89PNG")


def test_chart_rejects_other_formats(tmp_path: Path) -> None:
    csv_file = tmp_path / "h.csv"
    csv_file.write_text(_history_csv([1, 2]))
    run_cli("debt", "import", str(csv_file), root=tmp_path)
    out = run_cli("debt", "report", "--chart", str(tmp_path / "x.gif"), root=tmp_path)
    assert out.returncode == 2 and ".svg or .png" in out.stderr


def test_sparkline() -> None:
    assert sparkline([1, 2, 3, 4, 5, 6, 7, 8]) == "▁▂▃▄▅▆▇█"
    assert len(sparkline(list(range(100)), width=40)) == 40
    assert sparkline([]) == ""


def test_saved_scan_records_whether_the_work_tree_differs_from_head(tmp_path: Path) -> None:
    root = init_repo(tmp_path / "repo")
    commit(root, {"a.py": "# TODO one\n"}, "2024-01-10T00:00:00Z")
    (root / "untracked.py").write_text("# FIXME not tracked\n")
    assert run_cli("debt", "scan", "--save", root=root).returncode == 0
    (clean,) = SnapshotStore(Workspace(root)).load().records.values()
    assert clean["dirty"] is False and clean["total"] == 1
    (root / "a.py").write_text("# TODO one\n# HACK two\n")
    assert run_cli("debt", "scan", "--save", root=root).returncode == 0
    (dirty,) = SnapshotStore(Workspace(root)).load().records.values()  # same day, same commit: replaced
    assert dirty["dirty"] is True and dirty["total"] == 2


def test_chart_without_matplotlib_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from memory_store.debt.chart import ChartUnavailable, write_chart

    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import fails as if not installed
    with pytest.raises(ChartUnavailable, match=r"teamlore\[charts\]"):
        write_chart({"history": [], "forecast": []}, tmp_path / "x.svg")
    assert not (tmp_path / "x.svg").exists()


def test_since_previous_from_counts_only(workspace) -> None:
    import_csv(workspace, "date,count\n2024-01-01,10\n2024-02-01,14\n")
    sp = build_report(workspace, blame=False)["since_previous"]
    assert (sp["added"], sp["resolved"], sp["net_only"]) == (4, 0, True)


def test_cli_imports_the_seed_history_file(tmp_path: Path) -> None:
    out = run_cli("debt", "import", str(SEED_HISTORY), "--json", root=tmp_path)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["imported"] == 3
    report = json.loads(run_cli("debt", "report", "--json", root=tmp_path).stdout)
    assert report["current"] == 343 and report["insufficient_history"] is True
    assert report["days_to_double"] is None
    # the seed's own rule would announce doubling from the same three points
    assert report["seed_straight_line"]["days_to_double"] is not None


def test_cli_import_rejects_a_bad_file(tmp_path: Path) -> None:
    bad = tmp_path / "h.json"
    bad.write_text('{"snapshots": 3}')
    out = run_cli("debt", "import", str(bad), root=tmp_path)
    assert out.returncode == 2 and "snapshots" in out.stderr
    assert not (tmp_path / ".teamlore").exists()


def test_a_snapshot_item_numbered_with_digits_int_cannot_read_is_kept_as_text() -> None:
    """Snapshots come with the clone: an item such as ``1\u00b2: TODO`` (a superscript passes
    str.isdigit but not int) is read as text without a line, never a crash of the report."""
    from memory_store.debt.snapshots import parse_item

    assert parse_item("1\u00b2: TODO x") == (None, "1\u00b2: TODO x")
    assert parse_item("12: TODO x") == (12, "TODO x")
