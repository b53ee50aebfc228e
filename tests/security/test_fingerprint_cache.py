"""Parsed sources are shared: many findings of one text (unsaved or saved) parse it once."""

from __future__ import annotations

import ast
import os
from pathlib import Path

import pytest

from memory_store.security import fingerprint as fpmod
from memory_store.security.api import SecurityMemory
from memory_store.security.findings import Finding
from memory_store.security.fingerprint import Fingerprinter, IndexCache, clear_index_cache
from memory_store.workspace import Workspace

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "service.py"


@pytest.fixture(autouse=True)
def fresh_cache():
    clear_index_cache()
    yield
    clear_index_cache()


class _CountingAst:
    """The :mod:`ast` module as the fingerprinter sees it, noting every text it parses."""

    def __init__(self) -> None:
        self.parsed: list[str] = []

    def parse(self, source, *args, **kwargs):
        self.parsed.append(source)
        return ast.parse(source, *args, **kwargs)

    def __getattr__(self, name):
        return getattr(ast, name)


@pytest.fixture
def parses(monkeypatch) -> list[str]:
    """Every source text the fingerprinter parses while the test runs."""
    counting = _CountingAst()
    monkeypatch.setattr(fpmod, "ast", counting)
    return counting.parsed


def diagnostics(text: str, path: str = "service.py", rule: str = "B000") -> list[dict]:
    """A finding on every code line (two on some), as an editor would send them."""
    items = []
    for n, line in enumerate(text.splitlines(), start=1):
        if line.strip() and not line.lstrip().startswith("#"):
            items += [{"tool": "bandit", "rule": rule, "path": path, "line": n, "message": "m"}] * (1 + n % 2)
    return items


def test_many_findings_of_one_unsaved_text_parse_it_once(workspace: Workspace, parses: list[str]):
    saved = FIXTURE.read_text()
    (workspace.root / "service.py").write_text(saved)
    buffer = "# an unsaved edit\n" + saved.replace("    ", "  ")
    items = diagnostics(buffer)
    assert len(items) > 20

    findings = SecurityMemory(workspace).findings_from_diagnostics(items, source_text=buffer)

    assert parses.count(buffer) == 1 and len(parses) == 1
    assert all(f.fingerprint and f.extra.get("located") is not False for f in findings)
    # Later requests about the same buffer (the next diagnostics push) do not parse it again.
    SecurityMemory(workspace).findings_from_diagnostics(items[:5], source_text=buffer)
    assert len(parses) == 1


def test_unsaved_text_gives_the_fingerprints_of_the_same_content_on_disk(workspace: Workspace, tmp_path: Path):
    buffer = "import os\n\n" + FIXTURE.read_text() + "\nos.system(cmd)\nos.system(cmd)\n"
    items = diagnostics(buffer)
    on_disk = tmp_path / "saved"
    on_disk.mkdir()
    (on_disk / "service.py").write_text(buffer)
    expected = SecurityMemory(Workspace(on_disk)).findings_from_diagnostics(items)

    clear_index_cache()  # computed afresh from the text, not served from the disk's entry
    (workspace.root / "service.py").write_text(FIXTURE.read_text())  # the older saved version
    got = SecurityMemory(workspace).findings_from_diagnostics(items, source_text=buffer)

    assert [(f.line, f.scope, f.statement, f.occurrence, f.hit, f.fingerprint) for f in got] == \
        [(f.line, f.scope, f.statement, f.occurrence, f.hit, f.fingerprint) for f in expected]
    assert len({f.fingerprint for f in got}) == len(got)


def test_saved_file_and_unsaved_text_of_one_content_share_a_parse(workspace: Workspace, parses: list[str]):
    text = FIXTURE.read_text()
    (workspace.root / "service.py").write_text(text)
    mem = SecurityMemory(workspace)
    from_disk = mem.findings_from_diagnostics(diagnostics(text))
    from_text = mem.findings_from_diagnostics(diagnostics(text), source_text=text)
    assert [f.fingerprint for f in from_disk] == [f.fingerprint for f in from_text]
    assert len(parses) == 1


def test_an_edited_text_or_changed_file_is_parsed_again(workspace: Workspace, parses: list[str]):
    path = workspace.root / "service.py"
    path.write_text("import os\nos.system(a)\n")
    fp = Finding("bandit", "B605", "service.py", 2)
    Fingerprinter(workspace).apply([fp])
    Fingerprinter(workspace).apply([Finding("bandit", "B605", "service.py", 2)])
    assert len(parses) == 1  # unchanged on disk: not parsed (nor read) again

    path.write_text("import os\nos.system(b)\n")
    os.utime(path, ns=(1, 1))  # a different mtime even on coarse clocks
    [changed] = Fingerprinter(workspace).apply([Finding("bandit", "B605", "service.py", 2)])
    assert len(parses) == 2 and changed.statement == "os.system(b)" and changed.fingerprint != fp.fingerprint

    [edited] = Fingerprinter(workspace).apply([Finding("bandit", "B605", "service.py", 2)],
                                              {"service.py": "import os\nos.system(c)\n"})
    assert len(parses) == 3 and edited.statement == "os.system(c)"


def test_unchanged_file_is_not_read_again(workspace: Workspace, monkeypatch):
    (workspace.root / "a.py").write_text("x = 1\n")
    reads: list[Path] = []
    real = Path.read_text

    def counting(self, *args, **kwargs):
        reads.append(self)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Path, "read_text", counting)
    for _ in range(3):
        Fingerprinter(workspace).apply([Finding("bandit", "B000", "a.py", 1)])
    assert len(reads) == 1


def test_cache_is_bounded_least_recently_used_first(parses: list[str]):
    cache = IndexCache(max_entries=2)
    texts = [f"x = {n}\n" for n in range(3)]
    cache.for_text("a.py", texts[0])
    cache.for_text("a.py", texts[1])
    cache.for_text("a.py", texts[0])  # used again: now the newest
    cache.for_text("a.py", texts[2])  # drops texts[1]
    assert len(parses) == 3
    cache.for_text("a.py", texts[0])
    assert len(parses) == 3
    cache.for_text("a.py", texts[1])
    assert len(parses) == 4


def test_cache_is_bounded_by_text_size(parses: list[str]):
    cache = IndexCache(max_entries=100, max_bytes=100)
    big = [f"x = {'1' * 60}{n}\n" for n in range(2)]
    cache.for_text("a.py", big[0])
    cache.for_text("a.py", big[1])  # together over 100 characters: the older one goes
    cache.for_text("a.py", big[1])
    assert len(parses) == 2
    cache.for_text("a.py", big[0])
    assert len(parses) == 3


def test_python_and_other_languages_do_not_share_an_entry():
    text = "def f():\n    run(x)\n"
    assert isinstance(fpmod.INDEX_CACHE.for_text("a.py", text)[0], fpmod.PythonIndex)
    assert isinstance(fpmod.INDEX_CACHE.for_text("a.js", text)[0], fpmod.TextIndex)


def test_texts_above_the_size_limit_are_not_parsed(workspace: Workspace, parses: list[str], monkeypatch):
    monkeypatch.setattr(fpmod, "MAX_SOURCE_BYTES", 20)
    text = "import os\nos.system(name_of_the_command)\n"
    (workspace.root / "big.py").write_text(text)
    for sources in (None, {"big.py": text}):
        [f] = Fingerprinter(workspace).apply([Finding("bandit", "B605", "big.py", 2)], sources)
        assert f.statement == "<line 2>" and f.extra["located"] is False
    assert parses == []
