"""bench/report.py: every README figure is what its results file gives."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REPORT = ROOT / "bench" / "report.py"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(REPORT), *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=60, check=False)


def test_readme_figures_match_their_results_files() -> None:
    proc = run("--check")
    assert proc.returncode == 0, proc.stderr


def test_readmes_hold_generated_blocks() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8") + (ROOT / "bench" / "README.md").read_text("utf-8")
    for name in ("lsp_latency", "soak"):
        assert f"<!-- bench:{name} -->" in text and f"<!-- /bench:{name} -->" in text


def test_check_fails_on_a_figure_edited_by_hand_and_rewrite_restores_it(tmp_path: Path) -> None:
    doc = tmp_path / "doc.md"
    doc.write_text("intro\n<!-- bench:lsp_latency -->\nold figures\n<!-- /bench:lsp_latency -->\nend\n")
    failed = run("--check", str(doc))
    assert failed.returncode == 1
    assert "bench:lsp_latency differs" in failed.stderr
    assert run(str(doc)).returncode == 0
    rewritten = doc.read_text()
    assert "old figures" not in rewritten and rewritten.startswith("intro\n") and rewritten.endswith("end\n")
    results = json.loads((ROOT / "bench" / "results" / "lsp_bench.json").read_text())
    assert f"{results['records']:,} records" in rewritten
    assert run("--check", str(doc)).returncode == 0


def test_check_follows_the_results_file(tmp_path: Path) -> None:
    results = tmp_path / "results"
    results.mkdir()
    shutil.copy(ROOT / "bench" / "results" / "soak.json", results / "soak.json")
    doc = tmp_path / "doc.md"
    doc.write_text("<!-- bench:soak -->\n<!-- /bench:soak -->\n")
    assert run("--results", str(results), str(doc)).returncode == 0
    data = json.loads((results / "soak.json").read_text())
    data["lost_operations"] += 7
    (results / "soak.json").write_text(json.dumps(data))
    assert run("--check", "--results", str(results), str(doc)).returncode == 1


def test_unknown_block_or_missing_results_fail(tmp_path: Path) -> None:
    doc = tmp_path / "doc.md"
    doc.write_text("<!-- bench:no_such_figure -->\n<!-- /bench:no_such_figure -->\n")
    proc = run("--check", str(doc))
    assert proc.returncode == 1 and "no renderer named 'no_such_figure'" in proc.stderr
    doc.write_text("<!-- bench:soak -->\n<!-- /bench:soak -->\n")
    proc = run("--check", "--results", str(tmp_path), str(doc))
    assert proc.returncode == 1 and "soak.json not found" in proc.stderr
