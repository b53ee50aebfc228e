"""Hostile inputs: escaping ids and paths are refused, every secret kind is stored redacted,
and a 50 MB terminal output is processed in bounded memory."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from memory_store.bugs.records import BugStore
from memory_store.jsonio import atomic_write_text
from memory_store.recordfiles import RecordDir
from memory_store.redact import KINDS, redact
from memory_store.security.decisions import DecisionError, DecisionStore
from memory_store.workspace import UnsafePathError, Workspace, check_id, check_relative
from tests.conftest import run_cli
from tests.reliability.hostile import PEAK_KB

# -- ids and paths ---------------------------------------------------------------------
BAD_IDS = ["../bug-1", "..", "bugs/../../x", "/etc/passwd", "a\x00b", "C:\\Windows\\x", ".hidden", "a/b", ""]
BAD_PATHS = ["../outside.py", "a/../../outside.py", "/etc/passwd", "C:\\Users\\me\\x.py", "src/\x00.py",
             "..\\..\\x.py"]


@pytest.mark.parametrize("bad", BAD_IDS)
def test_library_refuses_escaping_or_odd_ids(workspace: Workspace, bad: str) -> None:
    with pytest.raises(UnsafePathError):
        check_id(bad)
    with pytest.raises(UnsafePathError):
        RecordDir(workspace.store / "bugs", "bug", 1).path_for(bad)
    with pytest.raises(UnsafePathError):
        BugStore(workspace).get(bad)
    with pytest.raises((UnsafePathError, DecisionError)):
        DecisionStore(workspace).get(bad)


@pytest.mark.parametrize("bad", BAD_PATHS)
def test_library_refuses_escaping_paths(workspace: Workspace, bad: str) -> None:
    with pytest.raises(UnsafePathError):
        check_relative(bad)
    with pytest.raises(UnsafePathError):
        workspace.resolve(bad)
    with pytest.raises(UnsafePathError):
        BugStore(workspace).build("KeyError: 'x'", "fix", file=bad, author="a")
    assert not workspace.store.exists()


def test_absolute_path_inside_the_workspace_is_stored_relative(workspace: Workspace) -> None:
    rec = BugStore(workspace).build("KeyError: 'x'", "fix", file=str(workspace.root / "src" / "a.py"), author="a")
    assert rec["file"] == "src/a.py"


@pytest.mark.parametrize("bad", ["../../etc/passwd", "/etc/passwd", "bug-1/../../x"])
def test_cli_refuses_escaping_ids(workspace: Workspace, bad: str) -> None:
    out = run_cli("bugs", "show", bad, root=workspace.root)
    assert out.returncode == 2
    assert len(out.stderr.strip().splitlines()) == 1 and "Traceback" not in out.stderr
    assert not workspace.store.exists()


@pytest.mark.parametrize("bad", ["../outside.py", "/etc/passwd"])
def test_cli_refuses_escaping_file_arguments(workspace: Workspace, bad: str) -> None:
    out = run_cli("bugs", "add", "--error", "-", "--fix", "f", "--file", bad, root=workspace.root,
                  stdin="KeyError: 'x'\n")
    assert out.returncode == 2, out.stdout
    assert len(out.stderr.strip().splitlines()) == 1 and "Traceback" not in out.stderr
    assert not (workspace.store / "bugs").exists()


def test_cli_import_refuses_nul_bytes_and_escaping_paths(workspace: Workspace, tmp_path: Path) -> None:
    lines = tmp_path / "records.jsonl"
    atomic_write_text(lines, "\n".join(json.dumps(r) for r in [
        {"error": "KeyError: 'a'", "fix": "ok fix", "file": "src/a.py"},
        {"error": "KeyError: 'b'", "fix": "bad", "file": "src/\x00b.py"},
        {"error": "KeyError: 'c'", "fix": "bad", "file": "../../c.py"},
    ]) + "\n")
    out = run_cli("bugs", "import", str(lines), root=workspace.root)
    assert out.returncode == 2
    assert "line 2" in out.stderr and "NUL" in out.stderr
    assert "line 3" in out.stderr and "escapes the workspace" in out.stderr
    assert not BugStore(workspace).load().records  # nothing imported from a file with bad lines


# -- secrets ---------------------------------------------------------------------------
GOOGLE_KEY = "AIza" + "SyD4gM8kWq2Lr7Tz1Xc5Vb9Nn3Hj6Pf0Y-_a"[:35]
SECRET_SAMPLES: dict[str, tuple[str, str]] = {
    # kind: (line of output holding the secret, the secret itself)
    "private-key": ("key = '''-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7s3cr3tK3yM4t3r14l\n"
                    "-----END RSA PRIVATE KEY-----'''", "MIIEowIBAAKCAQEA7s3cr3tK3yM4t3r14l"),
    "github-token": ("remote: Invalid username or token ghp_" + "A1b2C3d4E5" * 4, "ghp_" + "A1b2C3d4E5" * 4),
    "aws-access-key": ("botocore.exceptions.ClientError: key AKIAQ3EGRTZ7X4MPLE5K is disabled",
                       "AKIAQ3EGRTZ7X4MPLE5K"),
    "aws-secret-key": ("aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                       "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
    "slack-token": ("slack_sdk.errors.SlackApiError: invalid_auth for xoxb-123456789012-AbCdEfGhIjKlMnOp",
                    "xoxb-123456789012-AbCdEfGhIjKlMnOp"),
    "slack-webhook": ("POST https://hooks.slack.com/services/T0AAAAAAA/B0BBBBBBB/cccccccccccccccccccccccc failed",
                      "T0AAAAAAA/B0BBBBBBB/cccccccccccccccccccccccc"),
    "openai-key": ("openai.AuthenticationError: Incorrect API key provided: sk-proj-Zq8Xw7Vu6Ts5Rq4Po3Nm2Lk1",
                   "sk-proj-Zq8Xw7Vu6Ts5Rq4Po3Nm2Lk1"),
    "stripe-key": ("stripe.error.AuthenticationError: Invalid API Key provided: sk_live_4eC39HqLyjWDarjtT1zdp7dc",
                   "sk_live_4eC39HqLyjWDarjtT1zdp7dc"),
    "google-api-key": ("google.api_core.exceptions.PermissionDenied: API key " + GOOGLE_KEY + " not valid",
                       GOOGLE_KEY),
    "jwt": ("jwt.exceptions.ExpiredSignatureError: eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0."
            "dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U", "dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"),
    "authorization": ("request headers: {'Authorization': 'Basic dXNlcjpzM2NyM3RwYXNz'}", "dXNlcjpzM2NyM3RwYXNz"),
    "bearer-token": ("httpx.HTTPStatusError: 401 for token Bearer 9f8e7d6c5b4a39281706f5e4d3c2b1a0",
                     "9f8e7d6c5b4a39281706f5e4d3c2b1a0"),
    "url-password": ("psycopg2.OperationalError: could not connect to postgresql://app:S3cretPa55w0rd@db:5432/app",
                     "S3cretPa55w0rd"),
    "assignment": ("ConfigError: rejected DB_PASSWORD=Tr0ub4dor-and-3 from environment", "Tr0ub4dor-and-3"),
}


def test_every_sample_is_a_redaction_kind() -> None:
    assert set(SECRET_SAMPLES) <= set(KINDS)  # every kind has corpus entries: tests/test_redaction.py


@pytest.mark.parametrize("kind", sorted(SECRET_SAMPLES))
def test_secret_of_each_kind_is_stored_redacted(workspace: Workspace, kind: str) -> None:
    line, secret = SECRET_SAMPLES[kind]
    assert f"<redacted:{kind}>" in redact(line) and secret not in redact(line)
    traceback = ("Traceback (most recent call last):\n  File \"app/client.py\", line 7, in call\n"
                 "    return session.get(url)\n" + f"RuntimeError: {line}\n")
    rec, _ = BugStore(workspace).add(traceback, f"rotated it; the log showed: {line}",
                                     root_cause=f"leaked in logs: {line}", author="ann")
    text = BugStore(workspace).files.path_for(rec["id"]).read_text(encoding="utf-8")
    assert secret not in text
    assert f"<redacted:{kind}>" in text


def test_captured_terminal_errors_are_stored_redacted(workspace: Workspace) -> None:
    secrets = {kind: SECRET_SAMPLES[kind] for kind in ("github-token", "url-password", "assignment", "jwt")}
    script = workspace.root / "fail.py"
    message = " | ".join(line for line, _ in secrets.values()).replace("'''", "")
    script.write_text(f"raise RuntimeError({message!r})\n", encoding="utf-8")
    out = run_cli("run", "--quiet", "--", sys.executable, str(script), root=workspace.root, cwd=workspace.root)
    assert out.returncode == 1
    stored = "".join(p.read_text(encoding="utf-8", errors="replace")
                     for p in workspace.store.rglob("*") if p.is_file())
    assert stored, "the failing run left nothing in the memory"
    for _, secret in secrets.values():
        assert secret not in stored


# -- huge terminal output --------------------------------------------------------------
BIG_OUTPUT = r"""
import sys
noise = "2024-05-01 12:00:00,123 INFO worker.pool: processed item 12345 in 0.003s status=ok\n"
tb = ('Traceback (most recent call last):\n  File "app/worker.py", line 41, in run\n    job()\n'
      "KeyError: 'job_id'\n")
block = noise * 4999 + tb
out = sys.stdout
for _ in range(50 * 1024 * 1024 // len(block) + 1):
    out.write(block)
sys.exit(3)
"""

MEASURE = PEAK_KB + r"""
import sys, time
sys.path.insert(0, {repo!r})
from memory_store.errors import extract_errors
exec(compile({gen!r}.replace("out = sys.stdout", "import io; out = io.StringIO()").replace("sys.exit(3)", ""),
             "gen", "exec"))
text = out.getvalue()
del out
before = peak_kb()
errors = extract_errors(text)
after = peak_kb()
print(len(text), before, after, len(errors), errors[0].exc_type if errors else "")
"""


@pytest.mark.e2e
def test_fifty_megabytes_of_output_are_parsed_in_bounded_memory() -> None:
    repo = str(Path(__file__).resolve().parents[2])
    out = subprocess.run([sys.executable, "-c", MEASURE.format(repo=repo, gen=BIG_OUTPUT)],
                         capture_output=True, text=True, timeout=240, check=True)
    size, before_kb, after_kb, count, exc_type = out.stdout.split()
    assert int(size) >= 50 * 1024 * 1024
    assert int(count) >= 1 and exc_type == "KeyError"
    growth_mb = (int(after_kb) - int(before_kb)) / 1024
    # a copy of the text (or a list of its lines) alone would be 50 MB or more
    assert growth_mb < 25, f"parsing 50 MB grew the process by {growth_mb:.0f} MB"


@pytest.mark.e2e
def test_teamlore_run_passes_fifty_megabytes_through_in_bounded_memory(workspace: Workspace) -> None:
    script = workspace.root / "noisy.py"
    script.write_text(BIG_OUTPUT, encoding="utf-8")
    code = (PEAK_KB + "import sys; from server.cli.main import main; rc = main(sys.argv[1:]); "
            "sys.stderr.write(f'MAXRSS_KB {peak_kb()}\\n'); sys.exit(rc)")

    def peak_mb(command: Path, sink: Path) -> float:
        with open(sink, "wb") as fh:
            proc = subprocess.run([sys.executable, "-c", code, "--root", str(workspace.root), "run", "--quiet", "--",
                                   sys.executable, str(command)], stdout=fh, stderr=subprocess.PIPE, timeout=240,
                                  check=False, cwd=workspace.root)
        assert proc.returncode == 3  # the command's own exit code
        return int(proc.stderr.decode().rsplit("MAXRSS_KB ", 1)[1].split()[0]) / 1024

    quiet = workspace.root / "quiet.py"
    quiet.write_text("import sys\nprint('KeyError: 1')\nsys.exit(3)\n", encoding="utf-8")
    baseline_mb = peak_mb(quiet, workspace.root.parent / "quiet.bin")  # the same run with almost no output
    sink = workspace.root.parent / "stdout.bin"
    rss_mb = peak_mb(script, sink)
    assert sink.stat().st_size >= 50 * 1024 * 1024  # passed through untouched
    # holding the output (even once) would add 50 MB over the quiet run
    assert rss_mb - baseline_mb < 25, \
        f"teamlore run used {rss_mb:.0f} MB for 50 MB of output, {baseline_mb:.0f} MB for none"
