"""The git side of merging memory: setting up the merge driver, and resolving the conflicts
a merge made without it left in ``.teamlore/``.

``teamlore init`` adds one line to the repository's ``.gitattributes`` (committed, so every
clone marks the memory files) and configures the driver in the repository's local git
config (``.git/config``, never committed). Git only runs drivers configured in the user's
own config, so a committed ``.gitattributes`` alone runs nothing; a clone where
``teamlore init`` was not run merges memory files as text, and ``teamlore merge-resolve``
then resolves the conflicts with the same rules (:mod:`memory_store.merge`).
"""

from __future__ import annotations

import os
import shlex
import shutil
import stat
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from memory_store import gitinfo
from memory_store.jsonio import MAX_FILE_BYTES, MemoryFileError, atomic_write_text, read_bounded
from memory_store.merge import MergeRefused, merge_files
from memory_store.workspace import Workspace

DRIVER = "teamlore"
DRIVER_NAME = "teamlore memory records (union of occurrences)"
ATTRIBUTES_COMMENT = "# teamlore: merge memory records with `teamlore merge-file` (set up by `teamlore init`)"


class MergeSetupError(RuntimeError):
    """The merge driver cannot be set up here (no git repository, an unsafe .gitattributes)."""


def attributes_line(store_relative: str) -> str:
    return f"{store_relative}/**/*.json merge={DRIVER}"


def program() -> str:
    """The shell words that run this installation of teamlore, independent of PATH and of the
    directory git runs the driver in (``python -m server`` would import a ``server`` package
    from the repository being merged, so the interpreter is run without the current directory
    on its path)."""
    beside = Path(sys.executable).with_name("teamlore")
    if beside.is_file() and os.access(beside, os.X_OK):
        return shlex.quote(str(beside))
    found = shutil.which("teamlore")
    if found:
        return shlex.quote(str(Path(found).resolve()))
    if sys.version_info >= (3, 11):
        return f"{shlex.quote(sys.executable)} -P -m server"
    code = "import sys; sys.path.pop(0); from server.cli.main import main; sys.exit(main())"
    return f"{shlex.quote(sys.executable)} -c {shlex.quote(code)}"


def driver_command() -> str:
    return f"{program()} merge-file %O %A %B %P"


@dataclass
class SetupReport:
    gitattributes: Path
    attributes_added: bool
    driver: str
    driver_changed: bool


def _store_relative(workspace: Workspace) -> str:
    try:
        return workspace.store.relative_to(workspace.root).as_posix()
    except ValueError:
        raise MergeSetupError(f"the memory directory {workspace.store} is outside {workspace.root}") from None


def _add_attributes(path: Path, line: str) -> bool:
    """Append ``line`` to ``path`` unless it is there; the user's lines are kept as they are."""
    if os.path.islink(path):
        raise MergeSetupError(f"{path} is a symlink; not changed (add the line `{line}` yourself)")
    try:
        data = read_bounded(path)
    except FileNotFoundError:
        data = b""
    except MemoryFileError as exc:
        raise MergeSetupError(f"{path}: {exc.problem.reason}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise MergeSetupError(f"{path} is not UTF-8 text; not changed (add the line `{line}` yourself)") from None
    if any(existing.strip() == line for existing in text.splitlines()):
        return False
    if text and not text.endswith("\n"):
        text += "\n"
    atomic_write_text(path, f"{text}{ATTRIBUTES_COMMENT}\n{line}\n")
    return True


def set_up(workspace: Workspace) -> SetupReport:
    """Mark the memory files in ``.gitattributes`` and configure the driver (idempotent)."""
    if not gitinfo.is_repo(workspace.root):
        raise MergeSetupError(f"{workspace.root} is not in a git repository (run `git init` first)")
    workspace.ensure_store()
    attributes = workspace.root / ".gitattributes"
    added = _add_attributes(attributes, attributes_line(_store_relative(workspace)))
    command = driver_command()
    changed = False
    for key, value in ((f"merge.{DRIVER}.name", DRIVER_NAME), (f"merge.{DRIVER}.driver", command)):
        if gitinfo.config(workspace.root, key) != value:
            try:
                gitinfo._git(workspace.root, "config", "--local", key, value)
            except gitinfo.GitError as exc:
                raise MergeSetupError(str(exc)) from None
            changed = True
    return SetupReport(attributes, added, command, changed)


@dataclass
class ResolveReport:
    resolved: list[str] = field(default_factory=list)
    left: list[tuple[str, str]] = field(default_factory=list)
    """(path, why) of conflicted memory files left for a person."""


def _blob(root: Path, oid: str, dest: Path) -> None:
    size = gitinfo._git(root, "cat-file", "-s", oid).stdout.strip()
    if not size.isdigit() or int(size) > MAX_FILE_BYTES:
        raise MergeRefused(f"a version is too large ({size} bytes > {MAX_FILE_BYTES}); not read")
    env = {k: v for k, v in os.environ.items() if k not in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE")}
    try:
        out = subprocess.run(["git", "cat-file", "blob", oid], cwd=root, env=env, capture_output=True,
                             timeout=gitinfo.GIT_TIMEOUT, check=True, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.SubprocessError) as exc:
        raise MergeRefused(f"cannot read version {oid[:12]}: {exc}") from None
    dest.write_bytes(out.stdout)


def _unmerged(root: Path, store_relative: str) -> dict[str, dict[int, str]]:
    """Conflicted paths under the store: path -> {stage: blob id} (1 base, 2 ours, 3 theirs)."""
    out = gitinfo._git(root, "ls-files", "-u", "-z", "--", store_relative).stdout
    stages: dict[str, dict[int, str]] = {}
    for entry in filter(None, out.split("\0")):
        info, _, path = entry.partition("\t")
        mode, oid, stage = info.split()
        if stat.S_ISREG(int(mode, 8)):
            stages.setdefault(path, {})[int(stage)] = oid
        else:
            stages.setdefault(path, {})[0] = ""  # a symlink or submodule: never merged here
    return stages


def resolve_conflicts(workspace: Workspace) -> ResolveReport:
    """Merge every conflicted ``.teamlore/**.json`` file from the versions git keeps in its
    index, write the result and stage it. Files that cannot be merged safely stay conflicted."""
    try:
        top = Path(gitinfo._git(workspace.root, "rev-parse", "--show-toplevel").stdout.strip())
    except gitinfo.GitError:
        raise MergeSetupError(f"{workspace.root} is not in a git repository") from None
    report = ResolveReport()
    try:
        store_relative = workspace.store.resolve().relative_to(top.resolve()).as_posix()
    except ValueError:
        return report
    for path, stages in sorted(_unmerged(top, store_relative).items()):
        if not path.endswith(".json"):
            report.left.append((path, "not a memory record file"))
            continue
        if 0 in stages or 2 not in stages or 3 not in stages:
            report.left.append((path, "deleted on one side or not a regular file"))
            continue
        try:
            with tempfile.TemporaryDirectory(prefix="teamlore-merge-") as tmp:
                base, ours, theirs = (Path(tmp) / name for name in ("base", "ours", "theirs"))
                base.write_bytes(b"")
                if 1 in stages:
                    _blob(top, stages[1], base)
                _blob(top, stages[2], ours)
                _blob(top, stages[3], theirs)
                merge_files(base, ours, theirs, Path(path))
                text = ours.read_text(encoding="utf-8")
            atomic_write_text(top / path, text)
            gitinfo._git(top, "add", "--", path)
        except (MergeRefused, gitinfo.GitError, OSError) as exc:
            report.left.append((path, str(exc)))
            continue
        report.resolved.append(path)
    return report
