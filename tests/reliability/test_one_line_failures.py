"""Every failure of a command is one stderr line (``teamlore: error: ...``), exit 2, no traceback.

The table below holds the bad inputs per command: a memory that cannot be written (a file
where a directory belongs, a symlink loop, a read-only directory, a full disk) and input
files that are too deep, non-finite or not regular files. Tests run as root in CI, where
permission bits do not stop anyone: a read-only directory is made with ``chattr +i`` there
(``chmod`` otherwise), a full disk with ``RLIMIT_FSIZE``.
"""

from __future__ import annotations

import os
import resource
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import REPO, run_cli

pytestmark = pytest.mark.e2e

DEEP = "[" * 100_000 + "]" * 100_000
Setup = Callable[[Path, "Lab"], None]


class Lab:
    """A workspace, an input file and the read-only directories to restore afterwards."""

    def __init__(self, tmp: Path):
        self.root = tmp / "ws"
        self.root.mkdir()
        self.store = self.root / ".teamlore"
        self.input = tmp / "input"
        self.error = tmp / "err.txt"
        self.error.write_text("KeyError: 'user_id'\n")
        self.frozen: list[Path] = []

    def read_only(self, path: Path) -> None:
        path.mkdir(parents=True, exist_ok=True)
        if os.geteuid() != 0:
            path.chmod(0o555)
        elif shutil.which("chattr") is None or \
                subprocess.run(["chattr", "+i", str(path)], capture_output=True, check=False).returncode != 0:
            pytest.skip("root, and no chattr +i on this file system: a read-only directory cannot be made")
        self.frozen.append(path)

    def restore(self) -> None:
        for path in reversed(self.frozen):
            if os.geteuid() == 0:
                subprocess.run(["chattr", "-i", str(path)], check=False)
            else:
                path.chmod(0o755)


def file_at(rel: str) -> Setup:
    def setup(_: Path, lab: Lab) -> None:
        (lab.store / rel).parent.mkdir(parents=True, exist_ok=True)
        (lab.store / rel).write_text("")
    return setup


def loop_at(rel: str) -> Setup:
    def setup(_: Path, lab: Lab) -> None:
        (lab.store / rel).parent.mkdir(parents=True, exist_ok=True)
        (lab.store / rel).symlink_to(Path(rel).name)
    return setup


def read_only(rel: str) -> Setup:
    def setup(_: Path, lab: Lab) -> None:
        (lab.store / "debt" / "snapshots").mkdir(parents=True, exist_ok=True)
        (lab.store / ".cache" / "security").mkdir(parents=True, exist_ok=True)
        (lab.store / "bugs").mkdir(parents=True, exist_ok=True)
        lab.read_only(lab.store / rel)
    return setup


def input_text(text: str) -> Setup:
    def setup(_: Path, lab: Lab) -> None:
        lab.input.write_text(text)
    return setup


def input_directory(_: Path, lab: Lab) -> None:
    lab.input.mkdir()


def nothing(_: Path, lab: Lab) -> None:
    pass


def both(*setups: Setup) -> Setup:
    def setup(root: Path, lab: Lab) -> None:
        for step in setups:
            step(root, lab)
    return setup


IMPORT_LINE = '{"error": "KeyError: \'a\'", "fix": "use .get()"%s}\n'
CSV = "date,count\n2024-01-01,3\n"
SARIF_NAN = '{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x"}}, "results": [], "x": NaN}]}'


@dataclass(frozen=True)
class Case:
    command: str
    problem: str
    args: tuple[str, ...]
    setup: Setup
    says: str
    full_disk: bool = False


ADD = ("bugs", "add", "--error", "{error}", "--fix", "use .get()")
IMPORT = ("bugs", "import", "{input}")
INGEST = ("security", "ingest", "{input}")
POLICY = ("security", "policy", "add", "--rule", "B101", "--paths", "tests/**", "--reason", "fixtures")
SCAN = ("debt", "scan", "--save")
DEBT_IMPORT = ("debt", "import", "{input}")

CASES = [
    Case("bugs add", "bugs is a file", ADD, file_at("bugs"), "bugs: is a regular file, not a directory"),
    Case("bugs add", "bugs is a symlink loop", ADD, loop_at("bugs"), "bugs: is a symlink"),
    Case("bugs add", ".cache is a file", ADD, file_at(".cache"), ".cache: is a regular file, not a directory"),
    Case("bugs add", "bugs is read-only", ADD, read_only("bugs"), "/bugs/bug-"),
    Case("bugs add", ".teamlore is read-only", ADD, read_only("."), ".teamlore"),
    Case("bugs add", "disk full", ADD, nothing, "File too large", full_disk=True),
    Case("bugs add", "--minutes inf", (*ADD, "--minutes", "inf"), nothing, "finite"),
    Case("bugs add", "--minutes nan", (*ADD, "--minutes", "nan"), nothing, "finite"),
    Case("bugs add", "--log-file in a missing folder", ("--log-file", "/nonexistent/dir/log", *ADD), nothing,
         "--log-file: /nonexistent/dir/log: No such file or directory"),
    Case("bugs import", "deeply nested line", IMPORT, input_text(DEEP + "\n"), "nested deeper than 64 levels"),
    Case("bugs import", "Infinity", IMPORT, input_text(IMPORT_LINE % ', "minutes": Infinity'), "non-finite"),
    Case("bugs import", "NaN", IMPORT, input_text(IMPORT_LINE % ', "minutes": NaN'), "non-finite"),
    Case("bugs import", "1e999", IMPORT, input_text(IMPORT_LINE % ', "minutes": 1e999'), "non-finite"),
    Case("bugs import", "input is a directory", IMPORT, input_directory, "not a regular file"),
    Case("bugs import", "bugs is read-only", IMPORT, both(input_text(IMPORT_LINE % ""), read_only("bugs")),
         "/bugs/bug-"),
    Case("bugs import", "disk full", IMPORT, input_text(IMPORT_LINE % ""), "File too large", full_disk=True),
    Case("security ingest", "deeply nested report", INGEST, input_text(DEEP), "nested deeper than 64 levels"),
    Case("security ingest", "NaN in the report", INGEST, input_text(SARIF_NAN), "non-finite"),
    Case("security ingest", "report is a directory", INGEST, input_directory, "/input"),
    Case("security ingest", ".cache is a file", INGEST, both(input_text('{"results": []}'), file_at(".cache")),
         ".cache: is a regular file"),
    Case("security ingest", "finding cache read-only", INGEST,
         both(input_text('{"results": []}'), read_only(".cache/security")),
         "last_findings.json"),
    Case("security policy add", "security is a file", POLICY, file_at("security"), "security: is a regular file"),
    Case("security policy add", ".teamlore is read-only", POLICY, read_only("."), ".teamlore"),
    Case("security policy add", "disk full", POLICY, nothing, "File too large", full_disk=True),
    Case("debt scan --save", "debt is a file", SCAN, file_at("debt"), "debt: is a regular file"),
    Case("debt scan --save", "snapshots read-only", SCAN, read_only("debt/snapshots"), "snapshots/"),
    Case("debt scan --save", "debt is a symlink loop", SCAN, loop_at("debt"), "debt: is a symlink"),
    Case("debt import", "deeply nested history", DEBT_IMPORT, input_text(DEEP), "nested deeper than 64 levels"),
    Case("debt import", "Infinity in the history", DEBT_IMPORT,
         input_text('{"snapshots": [{"date": "2024-01-01", "total_items": Infinity}]}'), "non-finite"),
    Case("debt import", "snapshots read-only", DEBT_IMPORT,
         both(input_text(CSV), read_only("debt/snapshots")), "snapshots/"),
    Case("doctor", "--log-file in a missing folder", ("--log-file", "/nonexistent/dir/log", "doctor"), nothing,
         "--log-file: /nonexistent/dir/log"),
]


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[Lab]:
    lab = Lab(tmp_path)
    try:
        yield lab
    finally:
        lab.restore()


def run_teamlore(lab: Lab, args: list[str], full_disk: bool) -> subprocess.CompletedProcess[str]:
    if not full_disk:
        return run_cli(*args, root=lab.root)

    def limit_file_size() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # writes past the limit fail with EFBIG
        resource.setrlimit(resource.RLIMIT_FSIZE, (300, 300))

    return subprocess.run([sys.executable, "-m", "server", "--root", str(lab.root), *args], capture_output=True,
                          text=True, cwd=REPO, preexec_fn=limit_file_size, timeout=120, check=False)


@pytest.mark.parametrize("case", CASES, ids=[f"{c.command}: {c.problem}" for c in CASES])
def test_a_failure_is_one_line_and_exit_2(lab: Lab, case: Case) -> None:
    case.setup(lab.root, lab)
    args = [a.format(error=lab.error, input=lab.input) for a in case.args]

    result = run_teamlore(lab, args, case.full_disk)

    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr[:2000]
    assert lines[0].startswith("teamlore: error: ") and case.says in lines[0], lines[0]
    assert result.returncode == 2
    leftovers = [p for p in lab.store.rglob("*.tmp")] if lab.store.is_dir() and not lab.store.is_symlink() else []
    assert leftovers == []


def test_run_that_cannot_record_says_so_in_one_line_and_keeps_the_exit_code(lab: Lab) -> None:
    read_only("bugs")(lab.root, lab)
    lab.read_only(lab.store)
    result = run_cli("run", "--", sys.executable, "-c", "raise SystemExit('ValueError: boom')", root=lab.root)

    own = [line for line in result.stderr.splitlines() if line.startswith("teamlore")]
    assert "Traceback" not in result.stderr
    assert len(own) == 1 and str(lab.store) in own[0]
    assert result.returncode == 1


def test_a_long_error_listing_is_capped(lab: Lab) -> None:
    lab.input.write_text("not json\n" * 5000)

    result = run_cli("bugs", "import", str(lab.input), root=lab.root)

    lines = result.stderr.splitlines()
    assert result.returncode == 2
    assert len(lines) == 22
    assert lines[:20] == [f"{lab.input}: line {n}: invalid JSON: Expecting value (column 1)" for n in range(1, 21)]
    assert lines[20] == "... and 4980 more"
    assert lines[21] == f"teamlore: error: 5000 problems in {lab.input}; nothing imported"
    assert not (lab.store / "bugs").exists()


def test_doctor_reports_a_read_only_memory(lab: Lab) -> None:
    read_only("bugs")(lab.root, lab)

    result = run_cli("doctor", "--json", root=lab.root)

    assert result.returncode == 1
    assert '"path": ".teamlore/bugs", "reason": "is read-only: nothing can be written here"' in result.stdout
