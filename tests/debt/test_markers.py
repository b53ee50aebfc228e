"""Marker counting: comments only, whole words, per language, equal to a git grep reference."""

from __future__ import annotations

import io
import sysconfig
import tokenize
from pathlib import Path

import pytest

from memory_store.config import DEFAULT_MARKERS, load_project_config
from memory_store.debt.files import scan_tree
from memory_store.debt.markers import Marker, count_text, marker_pattern
from tests.debt.fixture_sources import SOURCES
from tests.debt.gitrepo import commit, git, init_repo


def reference_lines(root: Path) -> set[tuple[str, int]]:
    """``git grep -w`` hits, minus the lines the fixture marks as not comments."""
    out = git(root, "grep", "-n", "-I", "-w", "-E", "TODO|FIXME|HACK|XXX")
    hits = set()
    for row in out.splitlines():
        path, line, text = row.split(":", 2)
        if "NOTCOUNTED" not in text:
            hits.add((path, int(line)))
    return hits


def test_scan_equals_git_grep_reference_on_many_languages(tmp_path: Path) -> None:
    root = init_repo(tmp_path / "repo")
    commit(root, SOURCES, "2024-01-01T00:00:00Z")
    result = scan_tree(root, DEFAULT_MARKERS)
    found = {(path, m.line) for path, items in result.files.items() for m in items}
    assert found == reference_lines(root)
    # every language in the fixture contributed, so none is silently skipped
    assert {p.split("/")[-1] for p, _ in found} >= {
        "main.py", "broken.py", "app.ts", "main.go", "lib.rs", "Main.java", "util.c", "deploy.sh",
        "run", "app.yaml", "pyproject.toml", "schema.sql", "init.lua", "index.html", "guide.md"}


def test_per_file_counts_match_git_grep_count(tmp_path: Path) -> None:
    root = init_repo(tmp_path / "repo")
    commit(root, SOURCES, "2024-01-01T00:00:00Z")
    result = scan_tree(root, DEFAULT_MARKERS)
    expected: dict[str, int] = {}
    for path, _ in reference_lines(root):
        expected[path] = expected.get(path, 0) + 1
    assert {p: len(v) for p, v in result.files.items()} == expected


def test_untracked_files_are_not_counted(tmp_path: Path) -> None:
    root = init_repo(tmp_path / "repo")
    commit(root, {"a.py": "# TODO tracked\n"}, "2024-01-01T00:00:00Z")
    (root / "b.py").write_text("# TODO untracked\n")
    assert set(scan_tree(root, DEFAULT_MARKERS).files) == {"a.py"}


def test_directory_without_git_is_walked(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.js").write_text("// FIXME walk\n")
    (tmp_path / "node_modules").mkdir()
    (tmp_path / "node_modules" / "b.js").write_text("// FIXME dependency\n")
    result = scan_tree(tmp_path, DEFAULT_MARKERS)
    assert {p: [m.marker for m in v] for p, v in result.files.items()} == {"src/a.js": ["FIXME"]}


@pytest.mark.parametrize(("path", "text", "expected"), [
    pytest.param("a.py", "x = 1  # TODO(ann): retry on 503\n", [Marker(1, "TODO", "TODO(ann): retry on 503")],
                 id="python-text"),
    pytest.param("a.py", "s = '''\n# TODO no\n'''\n", [], id="python-triple-string"),
    pytest.param("a.js", "/* FIXME: a\n * HACK: b */", [Marker(1, "FIXME", "FIXME: a"), Marker(2, "HACK", "HACK: b")],
                 id="block-closer-stripped"),
    pytest.param("a.py", "# todo lower case is not a marker\n", [], id="case-sensitive"),
    pytest.param("a.py", "# TODOS and XXXL and _TODO\n", [], id="whole-words"),
    pytest.param("a.py", "# TODO: one FIXME: two\n", [Marker(1, "TODO", "TODO: one FIXME: two")],
                 id="one-item-per-line"),
    pytest.param("a.sql", "select '--TODO' -- XXX yes\n", [Marker(1, "XXX", "XXX yes")], id="sql-string"),
    pytest.param("a.js", "u = 'TODO //' // XXX js\n", [Marker(1, "XXX", "XXX js")], id="js-string-then-comment"),
    pytest.param("a.go", 'f("HACK") /* TODO go */\n', [Marker(1, "TODO", "TODO go")], id="go-string-then-block"),
    pytest.param("a.hs", "x = 1 -- HACK haskell\n", [Marker(1, "HACK", "HACK haskell")], id="haskell"),
    pytest.param("a.unknown", "# TODO nothing\n", [], id="unknown-language"),
    pytest.param("a.go", "x := `\n// TODO inside a raw string\n`\n", [], id="go-raw-string-over-lines"),
    pytest.param("a.py", 's = """\n# TODO in a docstring\n"""\n# FIXME after it\n',
                 [Marker(4, "FIXME", "FIXME after it")], id="python-docstring-then-comment"),
    pytest.param("a.py", "s = '''x \\''' # TODO still a string'''\n", [], id="python-escaped-triple-quote"),
    pytest.param("a.c", "/*\n *\n * XXX third line\n */\nint x;\n", [Marker(3, "XXX", "XXX third line")],
                 id="c-block-over-lines"),
    pytest.param("a.sql", "select 'it''s -- TODO no';\n-- HACK yes\n", [Marker(2, "HACK", "HACK yes")],
                 id="sql-doubled-quote"),
    pytest.param("a.yaml", "url: http://x/#TODO\n# XXX yes\n", [Marker(2, "XXX", "XXX yes")],
                 id="yaml-hash-inside-a-value"),
])
def test_count_text(path: str, text: str, expected: list[Marker]) -> None:
    assert count_text(path, text, DEFAULT_MARKERS) == expected


def test_configured_markers(workspace) -> None:
    workspace.ensure_store()
    (workspace.store / "config.toml").write_text('[debt]\nmarkers = ["TODO", "NOTE"]\n')
    markers = load_project_config(workspace).debt.markers
    assert markers == ("TODO", "NOTE")
    assert [m.marker for m in count_text("a.py", "# NOTE a\n# FIXME b\n# TODO c\n", markers)] == ["NOTE", "TODO"]


@pytest.mark.parametrize("body", ['[debt]\nmarkers = "TODO"\n', '[debt]\nmarkers = ["TO DO"]\n', "[debt\n"])
def test_bad_config_is_a_named_problem_and_the_default(workspace, body: str) -> None:
    workspace.ensure_store()
    (workspace.store / "config.toml").write_text(body)
    config = load_project_config(workspace)
    assert config.debt.markers == DEFAULT_MARKERS
    assert len(config.problems) == 1 and "config.toml" in str(config.problems[0])


def _tokenize_reference(text: str) -> list[Marker] | None:
    """Markers in the COMMENT tokens of Python's own tokenizer."""
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, SyntaxError):
        return None
    out: list[Marker] = []
    seen: set[int] = set()
    pattern = marker_pattern(DEFAULT_MARKERS)
    for tok in tokens:
        if tok.type == tokenize.COMMENT:
            for m in pattern.finditer(tok.string):
                if tok.start[0] not in seen:
                    seen.add(tok.start[0])
                    out.append(Marker(tok.start[0], m.group(0), tok.string[m.start():].strip()))
    return out


def test_python_counting_equals_tokenize_on_the_standard_library() -> None:
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    files = [p for p in sorted(stdlib.rglob("*.py")) if "site-packages" not in p.parts
             and p.stat().st_size < 150_000]
    checked = 0
    for path in files[::7]:
        text = path.read_text(encoding="utf-8", errors="replace")
        if not any(w in text for w in DEFAULT_MARKERS):
            continue
        expected = _tokenize_reference(text)
        if expected is None:
            continue
        assert count_text(path.name, text, DEFAULT_MARKERS) == expected, path
        checked += 1
        if checked == 80:
            break
    assert checked >= 40
