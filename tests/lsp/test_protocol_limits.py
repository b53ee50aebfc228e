"""The language server's protocol limits, over its real stdio: a frame larger than the limit
is refused (the request gets an error) and the server keeps answering; every command
answers a wrongly shaped argument with InvalidParams (-32602) naming the field."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from server.lsp.frames import CHUNK, MAX_FRAME_BYTES, MAX_HEADER_LINE, REFUSED_BODY, FrameLimitedInput, request_id
from tests.lsp.test_raw_protocol import RawServer


def frame(message: dict[str, Any]) -> bytes:
    body = json.dumps({"jsonrpc": "2.0", **message}).encode()
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


def write(server: RawServer, data: bytes) -> None:
    assert server.proc.stdin is not None
    server.proc.stdin.write(data)
    server.proc.stdin.flush()


def start(root: Path) -> RawServer:
    server = RawServer(root)
    server.send({"id": 1, "method": "initialize",
                 "params": {"capabilities": {}, "rootUri": root.as_uri(), "processId": None}})
    assert "capabilities" in server.response(1)["result"]
    server.send({"method": "initialized", "params": {}})
    return server


def hover(server: RawServer, root: Path, msg_id: int) -> dict[str, Any]:
    server.send({"id": msg_id, "method": "textDocument/hover", "params": {
        "textDocument": {"uri": (root / "a.py").as_uri()}, "position": {"line": 0, "character": 0}}})
    return server.response(msg_id)


# -- frames ------------------------------------------------------------------------------

pytestmark = pytest.mark.e2e


def test_huge_declared_length_is_refused_and_the_server_keeps_answering(tmp_path: Path):
    server = start(tmp_path)
    try:
        body = json.dumps({"jsonrpc": "2.0", "id": 7, "method": "textDocument/hover", "params": {}}).encode()
        write(server, b"Content-Length: 99999999999\r\n\r\n" + body)
        error = server.response(7)["error"]
        assert error["code"] == -32600 and "99999999999 bytes refused" in error["message"]
        assert hover(server, tmp_path, 8)["result"] is None
        assert server.proc.poll() is None
    finally:
        server.close()


def test_a_real_body_over_the_limit_is_skipped_and_the_next_frame_read(tmp_path: Path):
    server = start(tmp_path)
    try:
        text = "x" * (MAX_FRAME_BYTES + 1000)
        big = json.dumps({"jsonrpc": "2.0", "id": 9, "method": "textDocument/didChange", "params": {
            "textDocument": {"uri": (tmp_path / "a.py").as_uri(), "version": 2},
            "contentChanges": [{"text": text}]}}).encode()
        del text
        write(server, b"Content-Length: %d\r\n\r\n" % len(big) + big + frame({"id": 10, "method": "shutdown"}))
        del big
        error = server.response(9)["error"]
        assert error["code"] == -32600 and "bytes refused" in error["message"]
        assert server.response(10) == {"jsonrpc": "2.0", "id": 10, "result": None}
    finally:
        server.close()


def test_an_endless_header_line_is_dropped(tmp_path: Path):
    server = start(tmp_path)
    try:
        write(server, b"Content-Length: " + b"9" * (4 * MAX_HEADER_LINE) + b"\r\n\r\n")
        assert hover(server, tmp_path, 11)["result"] is None
        assert server.proc.poll() is None
    finally:
        server.close()


def test_a_header_split_between_chunks_is_found_after_a_refused_body():
    refused = b'{"jsonrpc": "2.0", "method": "x", "id": "r-1", "params": "' + b"y" * (3 * CHUNK)
    nxt = frame({"id": 2, "method": "shutdown"})
    # The next header starts a few bytes before a chunk boundary of the skipped stream.
    pad = b"z" * (4 * CHUNK - len(refused) - 5)
    data = b"Content-Length: 99999999\r\n\r\n" + refused + pad + b'"}' + nxt
    reader = FrameLimitedInput(io.BufferedReader(io.BytesIO(data), buffer_size=CHUNK), limit=1000)
    assert reader.readline() == b"Content-Length: 99999999\r\n"
    assert reader.readline() == b"\r\n"
    assert reader.read(99999999) == REFUSED_BODY
    assert [(f.length, f.request_id) for f in reader.refused] == [(99999999, "r-1")]
    assert reader.readline().startswith(b"Content-Length: ")
    assert reader.readline() == b"\r\n"
    length = len(nxt) - nxt.index(b"\r\n\r\n") - 4
    assert json.loads(reader.read(length)) == {"jsonrpc": "2.0", "id": 2, "method": "shutdown"}


@pytest.mark.parametrize(("prefix", "expected"), [
    (b'{"jsonrpc": "2.0", "id": 12, "method": "x", "params": {"id": 3}}', 12),
    (b'{"id": "abc", "jsonrpc": "2.0"', "abc"),
    (b'{"jsonrpc": "2.0", "method": "x", "params": {"id": 3}, "id": 4}', None),  # id after a nested object
    (b'{"jsonrpc": "2.0", "method": "initialized", "params": {}}', None),
    (b"[1, 2]", None),
])
def test_request_id_is_read_only_from_the_top_level(prefix: bytes, expected: Any):
    assert request_id(prefix) == expected


# -- command arguments -------------------------------------------------------------------

@pytest.fixture(scope="module")
def command_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[RawServer, Path]]:
    root = tmp_path_factory.mktemp("commands")
    (root / ".git").mkdir()
    server = start(root)
    try:
        yield server, root
    finally:
        server.close()


FP = {"reason": "test data", "fingerprint": "abc"}
"""A well-formed decision, so each row below is wrong in exactly one field."""

MALFORMED: list[tuple[str, list[Any], str]] = [
    # (command, arguments, what the error message names)
    *[(command, [5], "one object argument") for command in (
        "teamlore.status", "teamlore.recordFix", "teamlore.showMatches", "teamlore.markFalsePositive",
        "teamlore.acceptRisk", "teamlore.addPolicy", "teamlore.applyDecision", "teamlore.pendingFixes",
        "teamlore.acceptFix", "teamlore.dismissFix", "teamlore.debtReport", "teamlore.applyRememberedEdit",
        "teamlore.showRememberedDiff", "teamlore.clearTerminalErrors", "teamlore.rejectMatch",
        "teamlore.confirmMatch")],
    ("teamlore.clearTerminalErrors", [{"uri": 5}], "'uri'"),
    ("teamlore.rejectMatch", [{"id": 5, "error": "E: x"}], "'id'"),
    ("teamlore.rejectMatch", [{"id": "fix-1", "error": ["E: x"]}], "'error'"),
    ("teamlore.confirmMatch", [{"id": "fix-1", "error": "E: x", "author": 3}], "'author'"),
    ("teamlore.confirmMatch", [{"id": "fix-1", "error": "E: x", "uri": 3}], "'uri'"),
    ("teamlore.status", [{"uri": 5}], "'uri'"),
    ("teamlore.status", [{"folder": ["x"]}], "'folder'"),
    ("teamlore.pendingFixes", [{"uri": {"a": 1}}], "'uri'"),
    ("teamlore.debtReport", [{"uri": True}], "'uri'"),
    ("teamlore.recordFix", [{"error": 5, "fix": "f"}], "'error'"),
    ("teamlore.recordFix", [{"error": "E: x", "fix": ["f"]}], "'fix'"),
    ("teamlore.recordFix", [{"error": "E: x", "fix": "f", "rootCause": 1}], "'root_cause'"),
    ("teamlore.recordFix", [{"error": "E: x", "fix": "f", "author": {}}], "'author'"),
    ("teamlore.recordFix", [{"error": "E: x", "fix": "f", "file": 3}], "'file'"),
    ("teamlore.recordFix", [{"error": "E: x", "fix": "f", "minutes": "ten"}], "'minutes'"),
    ("teamlore.recordFix", [{"error": "E: x", "fix": "f", "minutes": -1}], "'minutes'"),
    ("teamlore.recordFix", [{"error": "E: x", "fix": "f", "uri": 7}], "'uri'"),
    ("teamlore.showMatches", [{"error": None}], "'error'"),
    ("teamlore.showMatches", [{"error": "E: x", "all": "yes"}], "'all'"),
    ("teamlore.showMatches", [{"error": "E: x", "includeWeak": 1}], "'include_weak'"),
    ("teamlore.markFalsePositive", [{**FP, "fingerprint": None, "fingerprints": 5}], "'fingerprints'"),
    ("teamlore.markFalsePositive", [{**FP, "fingerprint": None, "fingerprints": [1, 2]}], "'fingerprints'"),
    ("teamlore.markFalsePositive", [{**FP, "fingerprint": 5}], "'fingerprint'"),
    ("teamlore.markFalsePositive", [{**FP, "reason": 5}], "'reason'"),
    ("teamlore.markFalsePositive", [{**FP, "author": 5}], "'author'"),
    ("teamlore.markFalsePositive", [{**FP, "findings": {"tool": "x"}}], "'findings'"),
    ("teamlore.markFalsePositive", [{**FP, "findings": [{"tool": 1, "path": "a.py"}]}], "'findings[0].tool'"),
    ("teamlore.markFalsePositive", [{**FP, "findings": [{"tool": "b", "path": "a.py", "line": "7"}]}],
     "'findings[0].line'"),
    ("teamlore.acceptRisk", [{**FP, "findings": [{"fingerprint": "a"}, {"fingerprint": 3}]}],
     "'findings[1].fingerprint'"),
    ("teamlore.acceptRisk", [{**FP, "uri": 3}], "'uri'"),
    ("teamlore.addPolicy", [{"rules": 5, "paths": "a/*", "reason": "r"}], "'rules'"),
    ("teamlore.addPolicy", [{"rules": [None], "paths": "a/*", "reason": "r"}], "'rules'"),
    ("teamlore.addPolicy", [{"rules": ["B1"], "paths": ["a/*"], "reason": "r"}], "'paths'"),
    ("teamlore.addPolicy", [{"rules": ["B1"], "paths": "a/*", "reason": False}], "'reason'"),
    ("teamlore.addPolicy", [{"rules": ["B1"], "paths": "a/*", "reason": "r", "tool": 1}], "'tool'"),
    ("teamlore.addPolicy", [{"rules": ["B1"], "paths": "a/*", "reason": "r", "decision": 1}], "'decision'"),
    ("teamlore.applyDecision", [{"id": 5}], "'id'"),
    ("teamlore.acceptFix", [{"id": 5}], "'id'"),
    ("teamlore.acceptFix", [{"id": "p1", "fix": 5}], "'fix'"),
    ("teamlore.dismissFix", [{"id": []}], "'id'"),
    ("teamlore.applyRememberedEdit", [{"id": 1, "edit": {}}], "'id'"),
    ("teamlore.applyRememberedEdit", [{"id": "b1", "edit": "x"}], "'edit'"),
    ("teamlore.showRememberedDiff", [{"id": None}], "'id'"),
    ("teamlore.showRememberedDiff", [{"id": "b1", "uri": 2}], "'uri'"),
]


def test_the_table_covers_every_command():
    from server.lsp.server import build_server

    assert set(build_server().protocol.fm.commands) == {command for command, _, _ in MALFORMED}


@pytest.mark.parametrize(("command", "arguments", "named"), MALFORMED,
                         ids=[f"{c}-{n}-{i}" for i, (c, _, n) in enumerate(MALFORMED)])
def test_malformed_command_argument_is_invalid_params(command_server: tuple[RawServer, Path], command: str,
                                                      arguments: list[Any], named: str):
    server, _ = command_server
    msg_id = 1000 + MALFORMED.index((command, arguments, named))
    server.send({"id": msg_id, "method": "workspace/executeCommand",
                 "params": {"command": command, "arguments": arguments}})
    error = server.response(msg_id)["error"]
    assert error["code"] == -32602, error
    assert command in error["message"] and named in error["message"], error
    assert server.proc.poll() is None
