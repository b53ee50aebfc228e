"""Requests a typed client cannot send (malformed params of standard methods), written as
raw JSON-RPC to the server's stdin: each gets an error response and the server keeps serving."""

from __future__ import annotations

import json
import os
import selectors
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from tests.lsp.conftest import server_command

pytestmark = pytest.mark.e2e


class RawServer:
    def __init__(self, root: Path):
        self.proc = subprocess.Popen(server_command(), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, cwd=root)
        self.buffer = b""
        self.selector = selectors.DefaultSelector()
        assert self.proc.stdout is not None
        os.set_blocking(self.proc.stdout.fileno(), False)
        self.selector.register(self.proc.stdout, selectors.EVENT_READ)

    def send(self, message: dict[str, Any]) -> None:
        body = json.dumps({"jsonrpc": "2.0", **message}).encode()
        assert self.proc.stdin is not None
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.proc.stdin.flush()

    def _message(self) -> dict[str, Any] | None:
        head, sep, rest = self.buffer.partition(b"\r\n\r\n")
        if not sep:
            return None
        length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n")
                      if line.lower().startswith(b"content-length"))
        if len(rest) < length:
            return None
        self.buffer = rest[length:]
        return json.loads(rest[:length])

    def response(self, msg_id: int, timeout: float = 15.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            while (msg := self._message()) is not None:
                if msg.get("id") == msg_id and "method" not in msg:
                    return msg
            for _ in self.selector.select(timeout=0.1):
                assert self.proc.stdout is not None
                chunk = self.proc.stdout.read()
                if chunk:
                    self.buffer += chunk
        raise AssertionError(f"no response to request {msg_id} within {timeout}s")

    def close(self) -> None:
        self.proc.kill()
        self.proc.wait(timeout=10)


def test_malformed_requests_get_error_responses(tmp_path: Path):
    server = RawServer(tmp_path)
    try:
        server.send({"id": 1, "method": "initialize",
                     "params": {"capabilities": {}, "rootUri": tmp_path.as_uri(), "processId": None}})
        assert "capabilities" in server.response(1)["result"]
        server.send({"method": "initialized", "params": {}})
        server.send({"id": 2, "method": "textDocument/hover", "params": {"textDocument": 5, "position": "x"}})
        error = server.response(2)["error"]
        assert error["code"] == -32602 and "textDocument/hover" in error["message"]
        server.send({"id": 3, "method": "textDocument/codeAction", "params": []})
        assert server.response(3)["error"]["code"] == -32602
        server.send({"id": 4, "method": "teamlore/unknownRequest", "params": {}})
        assert server.response(4)["error"]["code"] == -32601
        server.send({"id": 6, "method": "textDocument/didOpen", "params": {"textDocument": {
            "uri": (tmp_path / "a.py").as_uri(), "languageId": "python", "version": 1, "text": ""}}})
        assert server.response(6)["error"]["code"] == -32600  # a notification sent as a request
        server.send({"id": 5, "method": "textDocument/hover", "params": {
            "textDocument": {"uri": (tmp_path / "a.py").as_uri()}, "position": {"line": 0, "character": 0}}})
        assert server.response(5)["result"] is None
        assert server.proc.poll() is None
    finally:
        server.close()


def test_tcp_mode_serves_and_bad_address_is_rejected(tmp_path: Path):
    import socket

    from tests.conftest import run_cli

    bad = run_cli("lsp", "--tcp", "localhost")
    assert bad.returncode == 2 and "HOST:PORT" in bad.stderr
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    proc = subprocess.Popen([*server_command(), "--tcp", f"127.0.0.1:{port}"], cwd=tmp_path,
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                conn = socket.create_connection(("127.0.0.1", port), timeout=1)
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise AssertionError("the server did not listen on the TCP port") from None
                time.sleep(0.05)
        with conn:
            body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
                "capabilities": {}, "rootUri": tmp_path.as_uri(), "processId": None}}).encode()
            conn.sendall(b"Content-Length: %d\r\n\r\n" % len(body) + body)
            data, answer = b"", None
            while answer is None:  # whole messages: headers, then Content-Length bytes
                head, sep, rest = data.partition(b"\r\n\r\n")
                if sep:
                    length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
                    if len(rest) >= length:
                        message, data = json.loads(rest[:length]), rest[length:]
                        if message.get("id") == 1:
                            answer = message
                        continue
                chunk = conn.recv(65536)
                assert chunk, "connection closed before the initialize answer"
                data += chunk
            assert "teamlore.recordFix" in answer["result"]["capabilities"]["executeCommandProvider"]["commands"]
    finally:
        proc.kill()
        proc.wait(timeout=10)
