"""``teamlore bugs reject|confirm MATCHED_ID --error FILE|-``, run as the real command."""

from __future__ import annotations

import json
from pathlib import Path

from memory_store.bugs.records import BugStore
from memory_store.workspace import Workspace
from tests.conftest import run_cli

ERROR = """\
Traceback (most recent call last):
  File "{root}/shop/cart.py", line 8, in total
    return prices[sku]
KeyError: 'sku_4711'
"""


def setup(workspace: Workspace, tmp_path: Path) -> tuple[str, Path]:
    error = ERROR.format(root=workspace.root)
    rec, _ = BugStore(workspace).add(error, "load the price list before computing totals", author="alice")
    path = tmp_path / "err.txt"
    path.write_text(error, encoding="utf-8")
    return rec["id"], path


def matched_ids(root: Path, error_file: Path) -> list[dict[str, object]]:
    proc = run_cli("bugs", "match", "--error", str(error_file), "--all", "--json", root=root)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)["matches"]


def test_reject_from_stdin_hides_the_record_for_this_error(workspace: Workspace, tmp_path: Path) -> None:
    record_id, error_file = setup(workspace, tmp_path)
    assert [m["id"] for m in matched_ids(workspace.root, error_file)] == [record_id]
    proc = run_cli("bugs", "reject", record_id, "--error", "-", "--json", root=workspace.root,
                   stdin=error_file.read_text(encoding="utf-8"))
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["verdict"] == "rejected" and out["record"] == record_id and out["created"] is True
    assert (out["confirmations"], out["rejections"]) == (0, 1)
    assert (workspace.store / "feedback" / f"{out['id']}.json").is_file()
    assert matched_ids(workspace.root, error_file) == []
    # the same message raised in another function is another error: the record is still a candidate
    other = tmp_path / "other.txt"
    other.write_text(ERROR.format(root=workspace.root).replace("total", "subtotal"), encoding="utf-8")
    assert record_id in [m["id"] for m in matched_ids(workspace.root, other)]


def test_confirm_counts_in_json_and_in_the_match_table(workspace: Workspace, tmp_path: Path) -> None:
    record_id, error_file = setup(workspace, tmp_path)
    for author in ("bob", "carol"):
        proc = run_cli("bugs", "confirm", record_id, "--error", str(error_file), "--author", author,
                       root=workspace.root)
        assert proc.returncode == 0, proc.stderr
        assert f"this fixed it: {record_id}" in proc.stdout
    assert "fixed it 2 times" in proc.stdout
    assert matched_ids(workspace.root, error_file)[0]["confirmations"] == 2
    table = run_cli("bugs", "match", "--error", str(error_file), "--all", root=workspace.root)
    assert table.returncode == 0 and "fixed it 2 times" in table.stdout


def test_unknown_id_bad_file_and_empty_error_are_clear_errors(workspace: Workspace, tmp_path: Path) -> None:
    record_id, error_file = setup(workspace, tmp_path)
    cases = [
        (("bugs", "reject", "bug-0000000000000000", "--error", str(error_file)), "no bug record with id"),
        (("bugs", "confirm", record_id, "--error", str(tmp_path / "missing.txt")), "error file not found"),
        (("bugs", "reject", "../../etc/passwd", "--error", str(error_file)), "invalid id"),
        (("bugs", "reject", record_id), "--error"),
    ]
    for args, expected in cases:
        proc = run_cli(*args, root=workspace.root)
        assert proc.returncode == 2, (args, proc.stdout, proc.stderr)
        assert expected in proc.stderr, (args, proc.stderr)
    empty = run_cli("bugs", "reject", record_id, "--error", "-", root=workspace.root, stdin="\n\n")
    assert empty.returncode == 2 and "no error text found" in empty.stderr
    binary = tmp_path / "bin.txt"
    binary.write_bytes(b"\xff\xfe\x00KeyError")
    bad = run_cli("bugs", "reject", record_id, "--error", str(binary), root=workspace.root)
    assert bad.returncode == 2 and "not UTF-8" in bad.stderr
    assert not (workspace.store / "feedback").exists()  # nothing written by any of them


def test_help_shows_an_example() -> None:
    for name in ("reject", "confirm"):
        proc = run_cli("bugs", name, "--help")
        assert proc.returncode == 0
        assert f"teamlore bugs {name} bug-" in proc.stdout and "--error -" in proc.stdout
