"""Secrets never reach the committed memory of a clone.

A clone can make a victim's run print secrets (its scripts, its failing tests), can put secrets
in TODO comments that ``debt scan --save`` copies, and a victim may type one into ``--author``
or carry one in ``git config user.name``, on a command line (``--password X``) or in a fix they
describe. Whatever the source, every file under ``.teamlore/`` that git would commit
(bug records from ``bugs add`` and ``bugs accept``, debt snapshots) holds ``<redacted:KIND>``
where the secret was: none of the made-up secrets of ``tests/data/secrets/corpus.jsonl``, not
even a piece of one, gets there. The local, git-ignored inbox is not committed and not checked.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tests.security.hostile_repo import hostile_clone, run_teamlore, user_env
from tests.test_redaction import CORPUS

PIECE = 12
"""Characters of a secret that, found anywhere in a committed file, count as a leak."""

BLOCK_KINDS = ("private-key", "putty-key")
"""A line of a key block is recognised by the block around it, never alone."""
ONE_LINE = [e for e in CORPUS if e["kind"] not in BLOCK_KINDS]


def _secret_line(entry: dict[str, str]) -> str:
    """The line of the entry's text that holds its secret."""
    return next(line for line in entry["text"].splitlines() if entry["secret"] in line)


FAILING_SCRIPT = '''\
import json
import sys
from pathlib import Path

import settings

if settings.BROKEN:
    texts = json.loads(Path("leaks.json").read_text())
    print("connecting with", " ".join(sys.argv[1:]))
    raise RuntimeError("cannot start: " + " | ".join(texts))
print("ok")
'''


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield str(k)
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def _committable(clone: Path) -> dict[str, str]:
    """Files under ``.teamlore/`` that ``git add`` would take, as text (JSON strings decoded)."""
    out = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "--", ".teamlore"], cwd=clone,
                         capture_output=True, text=True, check=True).stdout.split()
    files: dict[str, str] = {}
    for rel in out:
        raw = (clone / rel).read_text(encoding="utf-8", errors="replace")
        texts = [raw]
        if rel.endswith(".json"):
            texts += list(_strings(json.loads(raw)))
        files[rel] = "\n".join(texts)
    return files


def _leaks(files: dict[str, str]) -> list[tuple[str, str]]:
    found = []
    for entry in CORPUS:
        secret = entry["secret"]
        size = min(PIECE, len(secret))
        pieces = {secret[i:i + size] for i in range(len(secret) - size + 1)}
        for rel, text in files.items():
            if any(p in text for p in pieces):
                found.append((entry["id"], rel))
    return found


def _git(clone: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=clone, check=True, capture_output=True)


def test_no_corpus_secret_reaches_a_committed_file(tmp_path: Path) -> None:
    leaks = [_secret_line(e) for e in ONE_LINE]
    todo_lines = "".join(f"# TODO rotate: {line}\n" for line in leaks)
    clone = hostile_clone(tmp_path, {
        "app/settings.py": "BROKEN = True\n",
        "app/main.py": FAILING_SCRIPT,
        "app/leaks.json": json.dumps([e["text"] for e in CORPUS]),
        "app/todo.py": todo_lines + "def f():\n    return 1\n",
    })
    env = user_env(tmp_path)
    author_secret = next(e for e in CORPUS if e["kind"] == "github-token")["secret"]
    cli_secret = next(e for e in CORPUS if e["kind"] == "cli-password")["secret"]
    _git(clone, "config", "user.name", f"Dev token={next(e for e in CORPUS if e['kind'] == 'npm-token')['secret']}")
    _git(clone, "config", "user.email", "dev@example.com")

    # bugs add: secrets in the error text, the fix, the root cause and the author
    error = "".join(f"  File \"app/main.py\", line {i}, in start\n    connect()\n" for i in range(1, 3))
    error = "Traceback (most recent call last):\n" + error + "RuntimeError: " + " | ".join(e["text"] for e in CORPUS)
    added = run_teamlore("bugs", "add", "--error", "-", "--fix", "\n\n".join(e["text"] for e in CORPUS),
                         "--root-cause", " ".join(leaks), "--author", f"Ann {author_secret}", "--json",
                         cwd=clone, env=env, stdin=error)
    assert added.returncode == 0, added.stderr

    # teamlore run: a failing command printing secrets, with a secret on its command line; fixed; run again
    command = [sys.executable, "main.py", "--password", cli_secret]
    failed = run_teamlore("run", "--quiet", "--", *command, cwd=clone / "app", env=env)
    assert failed.returncode == 1, failed.stderr
    (clone / "app" / "settings.py").write_text(f"BROKEN = False\n# {leaks[0]}\n", encoding="utf-8")
    passed = run_teamlore("run", "--quiet", "--", *command, cwd=clone / "app", env=env)
    assert passed.returncode == 0, passed.stderr
    pending = run_teamlore("bugs", "pending", "--json", cwd=clone, env=env)
    proposals = json.loads(pending.stdout)["proposals"]
    assert proposals, "the fixed run proposed nothing"
    for proposal in proposals:  # the output held several errors: each went away
        accepted = run_teamlore("bugs", "accept", proposal["id"], "--json", cwd=clone, env=env)
        assert accepted.returncode == 0, accepted.stderr

    # debt scan --save over TODO comments holding secrets
    scanned = run_teamlore("debt", "scan", "--save", "--json", cwd=clone, env=env)
    assert scanned.returncode == 0, scanned.stderr

    files = _committable(clone)
    records = [json.loads((clone / rel).read_text(encoding="utf-8")) for rel in files if "/bugs/" in rel]
    snapshots = [rel for rel in files if "/debt/snapshots/" in rel]
    captured = [r for r in records if r["source"] == "capture"]
    assert len(captured) == len(proposals) and len(records) == len(proposals) + 1, sorted(files)
    assert len(snapshots) == 1
    for rec in captured:
        assert "--password" in rec["command"] and "<redacted:cli-password>" in rec["command"]
        assert "<redacted:" in rec["fix_diff"]
    assert all("<redacted:" in r["author"] for r in records)
    snapshot_text = files[snapshots[0]]
    assert snapshot_text.count("<redacted:") >= len(leaks)
    assert _leaks(files) == [], _leaks(files)


def test_leak_check_finds_a_secret_in_a_committed_file(tmp_path: Path) -> None:
    """The check above would notice a secret that got through (it reads the files git would commit)."""
    entry = next(e for e in CORPUS if "\n" in e["secret"])
    clone = hostile_clone(tmp_path, {".teamlore/bugs/bug-x.json": json.dumps({"fix": entry["text"]})})
    assert _leaks(_committable(clone)) == [(entry["id"], ".teamlore/bugs/bug-x.json")]
