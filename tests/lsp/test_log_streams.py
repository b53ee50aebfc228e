"""stderr of ``teamlore lsp`` carries warnings and errors only (editors show it as errors),
unless ``-v`` asks for more; the editor's log keeps getting info lines."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.e2e]


def _frame(message: dict) -> bytes:
    body = json.dumps(message).encode()
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


def _session(root: Path, *flags: str) -> tuple[str, str]:
    """One short session (initialize .. exit); returns (stdout, stderr)."""
    messages = [
        {"jsonrpc": "2.0", "id": 1, "method": "initialize",
         "params": {"capabilities": {}, "rootUri": root.as_uri(), "processId": None}},
        {"jsonrpc": "2.0", "method": "initialized", "params": {}},
        {"jsonrpc": "2.0", "id": 2, "method": "shutdown"},
        {"jsonrpc": "2.0", "method": "exit"},
    ]
    proc = subprocess.run([sys.executable, "-m", "server", *flags, "lsp"], cwd=root,
                          input=b"".join(_frame(m) for m in messages), capture_output=True, timeout=60)
    return proc.stdout.decode(errors="replace"), proc.stderr.decode(errors="replace")


def test_info_goes_to_the_editor_not_to_stderr(tmp_path: Path):
    stdout, stderr = _session(tmp_path)
    assert "teamlore language server starting" in stdout  # window/logMessage to the editor
    assert "teamlore language server starting" not in stderr and " INFO " not in stderr


def test_verbose_flag_sends_info_to_stderr_too(tmp_path: Path):
    _stdout, stderr = _session(tmp_path, "-v")
    assert "teamlore language server starting" in stderr
