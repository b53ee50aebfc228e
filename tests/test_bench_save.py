"""bench/machine.py save_results: the one way a bench writes its results file."""

from __future__ import annotations

import json
import math
import os
import re
from pathlib import Path

import pytest

from bench import machine
from bench.machine import save_results

BENCH = Path(machine.__file__).resolve().parent

KEPT_WRITERS = {
    ("match_speed.py", '(directory / f"{rec[\'id\']}.json")'):
        "the seed tool's input records, one file per bug, not results",
    ("match_speed.py", "path"): "edits one generated record file to invalidate the cache, not results",
    ("match_speed.py", "reuse"): "the generated records kept for reuse between runs, not results",
    ("security_bench.py", "data_path"): "the seed tool's input findings in a temp folder, not results",
}
"""Files the benches write with ``write_text(json.dumps(`` on purpose: (script, what is written) -> why."""

HAND_WRITTEN = re.compile(r"\.write_text\(\s*json\.dumps\(")


def test_writes_sorted_indented_json_ending_in_a_newline(tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    data = {"b": 1, "a": {"z": [1, 2], "y": "é"}}
    save_results(out, data)
    text = out.read_text(encoding="utf-8")
    assert text == '{\n  "a": {\n    "y": "é",\n    "z": [\n      1,\n      2\n    ]\n  },\n  "b": 1\n}\n'
    assert json.loads(text) == data


def test_creates_missing_folders(tmp_path: Path) -> None:
    out = tmp_path / "not" / "yet" / "r.json"
    save_results(out, {"n": 3})
    assert json.loads(out.read_text(encoding="utf-8")) == {"n": 3}


def test_prints_the_path_relative_to_the_repository(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    repo = tmp_path / "repo"
    monkeypatch.setattr(machine, "REPO", repo)
    monkeypatch.chdir(tmp_path)
    save_results(Path("repo") / "bench" / "results" / "x.json", {})
    assert capsys.readouterr().out == f"saved {Path('bench') / 'results' / 'x.json'}\n"
    assert (repo / "bench" / "results" / "x.json").is_file()


def test_prints_the_absolute_path_outside_the_repository(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(machine, "REPO", tmp_path / "repo")
    out = tmp_path / "elsewhere" / "x.json"
    save_results(str(out), {})
    assert capsys.readouterr().out == f"saved {out.resolve()}\n"


def test_a_value_json_cannot_encode_leaves_the_previous_file(tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "r.json"
    save_results(out, {"kept": True})
    before = out.read_bytes()
    capsys.readouterr()
    with pytest.raises(TypeError):
        save_results(out, {"kept": False, "bad": object()})
    assert out.read_bytes() == before
    assert os.listdir(tmp_path) == ["r.json"]
    assert "saved" not in capsys.readouterr().out


def test_a_failed_rename_leaves_the_previous_file_and_no_temp(tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "r.json"
    save_results(out, {"kept": True})
    before = out.read_bytes()

    def interrupted(*args: object, **kwargs: object) -> None:
        raise OSError("interrupted")

    monkeypatch.setattr(os, "replace", interrupted)
    with pytest.raises(OSError, match="interrupted"):
        save_results(out, {"kept": False})
    assert out.read_bytes() == before
    assert os.listdir(tmp_path) == ["r.json"]


def test_nan_is_saved_for_the_report_to_show_as_missing(tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    save_results(out, {"p99": float("nan")})
    assert math.isnan(json.loads(out.read_text(encoding="utf-8"))["p99"])


def test_no_bench_writes_its_results_by_hand() -> None:
    found = set()
    for script in sorted(BENCH.glob("*.py")):
        text = script.read_text(encoding="utf-8")
        for hit in HAND_WRITTEN.finditer(text):
            line_start = text.rfind("\n", 0, hit.start()) + 1
            found.add((script.name, text[line_start:hit.start()].strip()))
    assert found == set(KEPT_WRITERS), "bench results are saved with bench/machine.py save_results"
