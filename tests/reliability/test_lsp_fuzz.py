"""LSP fuzzing: random well-formed and malformed JSON-RPC messages written straight to the
server's stdin (Content-Length framing done here, so anything can be sent). The server
must never die, and every well-formed request must get a response (result or error)."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from memory_store.bugs.records import BugStore
from memory_store.workspace import Workspace

pytestmark = pytest.mark.e2e

RESPONSE_TIMEOUT = 10.0
REQUESTS = ["textDocument/hover", "textDocument/codeAction", "workspace/executeCommand", "textDocument/completion",
            "workspace/symbol", "textDocument/definition", "teamlore/unknownRequest"]
NOTIFICATIONS = [
    "textDocument/didOpen", "textDocument/didChange", "textDocument/didClose", "textDocument/didSave",
    "workspace/didChangeConfiguration", "workspace/didChangeWatchedFiles", "workspace/didChangeWorkspaceFolders",
    "teamlore/didChangeDiagnostics", "teamlore/terminalOutput", "$/cancelRequest", "$/setTrace", "initialized",
]
METHODS = REQUESTS + NOTIFICATIONS
OTHER_METHOD = st.text(max_size=20).filter(lambda m: m not in (*METHODS, "exit", "shutdown", "initialize"))
COMMANDS = ["teamlore.recordFix", "teamlore.showMatches", "teamlore.markFalsePositive", "teamlore.acceptRisk",
            "teamlore.pendingFixes", "teamlore.acceptFix", "teamlore.dismissFix", "teamlore.debtReport",
            "teamlore.nope"]


class RawClient:
    """A JSON-RPC peer over the server's stdio that answers the server's own requests."""

    def __init__(self, root: Path):
        self.proc = subprocess.Popen([sys.executable, "-m", "server", "lsp"], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=root)
        self.responses: dict[Any, dict[str, Any]] = {}
        self.cond = threading.Condition()
        self.write_lock = threading.Lock()
        self.next_id = 1000
        self.garbage = 0
        """Frames from the server that were not JSON (stdout must carry JSON-RPC only)."""
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def alive(self) -> bool:
        return self.proc.poll() is None

    def write_body(self, body: bytes) -> None:
        assert self.proc.stdin is not None
        with self.write_lock:
            self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
            self.proc.stdin.flush()

    def send(self, message: dict[str, Any]) -> None:
        self.write_body(json.dumps(message).encode())

    def request(self, method: str, params: Any = None) -> int:
        self.next_id += 1
        msg: dict[str, Any] = {"jsonrpc": "2.0", "id": self.next_id, "method": method}
        if params is not None:
            msg["params"] = params
        self.send(msg)
        return self.next_id

    def wait(self, ids: list[Any], timeout: float = RESPONSE_TIMEOUT) -> dict[Any, dict[str, Any]]:
        deadline = time.monotonic() + timeout
        with self.cond:
            while not all(i in self.responses for i in ids):
                left = deadline - time.monotonic()
                if left <= 0 or not self.alive():
                    break
                self.cond.wait(min(left, 0.2))
            return {i: self.responses[i] for i in ids if i in self.responses}

    def _read(self) -> None:
        out = self.proc.stdout
        assert out is not None
        while True:
            length = None
            while True:
                line = out.readline()
                if not line:
                    return
                line = line.strip()
                if not line:
                    break
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            if length is None:
                continue
            try:
                msg = json.loads(out.read(length))
            except ValueError:
                self.garbage += 1
                continue
            if "method" in msg and "id" in msg:  # the server asks something: answer plainly
                self.send({"jsonrpc": "2.0", "id": msg["id"], "result": None})
            elif isinstance(msg.get("id"), (int, str)):  # odd ids sent by the fuzzer may come back
                with self.cond:
                    self.responses[msg["id"]] = msg
                    self.cond.notify_all()

    def close(self) -> int:
        if self.alive():
            rid = self.request("shutdown")
            self.wait([rid], 10)
            self.send({"jsonrpc": "2.0", "method": "exit"})
            try:
                return self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        return self.proc.wait(timeout=10)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[RawClient, Path]]:
    root = tmp_path_factory.mktemp("fuzz").resolve()
    BugStore(Workspace(root)).add("KeyError: 'order_id'", "check the order exists first", author="ann")
    (root / "orders.py").write_text("order = orders['order_id']\n", encoding="utf-8")
    client = RawClient(root)
    rid = client.request("initialize", {"processId": None, "rootUri": root.as_uri(), "capabilities": {}})
    assert "result" in client.wait([rid])[rid]
    client.send({"jsonrpc": "2.0", "method": "initialized", "params": {}})
    yield client, root
    assert client.alive(), "the server died during fuzzing"
    assert client.garbage == 0, "the server wrote something other than JSON-RPC to stdout"
    assert client.close() == 0


# -- strategies ------------------------------------------------------------------------
json_leaf = st.one_of(st.none(), st.booleans(), st.integers(-2**63, 2**63), st.floats(allow_nan=False),
                      st.text(max_size=40))
json_value = st.recursive(json_leaf, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=12), inner, max_size=4)), max_leaves=12)


@st.composite
def uris(draw: st.DrawFn, root: Path) -> str:
    return draw(st.sampled_from([(root / "orders.py").as_uri(), (root / "missing.py").as_uri(), "file:///etc/passwd",
                                 "untitled:Untitled-1", "file:///../../x", "", "not a uri",
                                 (root / "a\x00b.py").as_uri()]))


@st.composite
def positions(draw: st.DrawFn) -> Any:
    num = st.one_of(st.integers(-5, 2**31), st.just(0), st.floats(allow_nan=False), st.text(max_size=3))
    return draw(st.one_of(st.fixed_dictionaries({"line": num, "character": num}), json_value))


@st.composite
def params_for(draw: st.DrawFn, method: str, root: Path) -> Any:
    """Mostly plausible params for ``method``, sometimes arbitrary JSON."""
    if draw(st.integers(0, 4)) == 0:
        return draw(json_value)
    uri = draw(uris(root))
    doc = {"uri": uri}
    pos = draw(positions())
    rng = {"start": pos, "end": draw(positions())}
    if method == "workspace/executeCommand":
        return {"command": draw(st.sampled_from(COMMANDS)), "arguments": draw(st.lists(json_value, max_size=3))}
    if method == "teamlore/didChangeDiagnostics":
        diag = {"range": rng, "message": draw(st.sampled_from(["KeyError: 'order_id'", "", "x" * 2000])),
                "severity": draw(st.integers(-1, 6)), "source": draw(st.text(max_size=8))}
        return {"uri": uri, "diagnostics": draw(st.lists(st.one_of(st.just(diag), json_value), max_size=3))}
    if method == "teamlore/terminalOutput":
        return {"command": draw(st.text(max_size=20)), "cwd": draw(st.sampled_from([str(root), "/", "../.."])),
                "exitCode": draw(st.one_of(st.integers(-2, 300), json_leaf)),
                "output": draw(st.sampled_from(["", "Traceback (most recent call last):\n  File \"orders.py\", "
                                                "line 1, in <module>\nKeyError: 'order_id'\n", "\x00\xff"]))}
    if method == "textDocument/codeAction":
        return {"textDocument": doc, "range": rng, "context": {"diagnostics": draw(st.lists(json_value, max_size=2))}}
    if method.startswith("textDocument/did"):
        return {"textDocument": {**doc, "languageId": "python", "version": draw(st.integers(-1, 5)),
                                 "text": draw(st.text(max_size=60))},
                "contentChanges": draw(st.lists(json_value, max_size=2))}
    return {"textDocument": doc, "position": pos}


@st.composite
def messages(draw: st.DrawFn, root: Path) -> tuple[str, Any]:
    """("request", (method, params)) | ("notify", msg) | ("raw", bytes)."""
    kind = draw(st.sampled_from(["request", "request", "notify", "raw", "odd"]))
    if kind == "request":
        # notification methods too: a request (with an id) always deserves an answer
        method = draw(st.one_of(st.sampled_from(REQUESTS), st.sampled_from(NOTIFICATIONS), OTHER_METHOD))
        return "request", (method, draw(params_for(method, root)))
    method = draw(st.one_of(st.sampled_from(NOTIFICATIONS), OTHER_METHOD))
    if kind == "notify":
        return "notify", {"jsonrpc": "2.0", "method": method, "params": draw(params_for(method, root))}
    if kind == "raw":
        return "raw", draw(st.one_of(st.binary(max_size=200), st.just(b"{"), st.just(b"[]"), st.just(b"null"),
                                     st.just(b'{"jsonrpc": "2.0", "id": 1'), st.just(b"\xff\xfe{}")))
    odd = draw(st.fixed_dictionaries({}, optional={
        "jsonrpc": st.one_of(st.just("2.0"), json_leaf), "id": st.one_of(st.floats(allow_nan=False),
                                                                         st.lists(json_leaf, max_size=2), st.none()),
        "method": st.one_of(st.sampled_from(METHODS), json_value), "params": json_value,
        "result": json_value, "error": json_value}))
    return "raw", json.dumps(odd).encode()


@settings(max_examples=150, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.data_too_large])
@given(data=st.data())
def test_server_survives_and_answers_every_request(server: tuple[RawClient, Path], data: st.DataObject) -> None:
    client, root = server
    batch = data.draw(st.lists(messages(root), min_size=1, max_size=5))
    expected: list[int] = []
    for kind, payload in batch:
        if kind == "request":
            expected.append(client.request(*payload))
        elif kind == "notify":
            client.send(payload)
        else:
            client.write_body(payload)
    # a plain hover after the batch must be answered too
    expected.append(client.request("textDocument/hover", {
        "textDocument": {"uri": (root / "orders.py").as_uri()}, "position": {"line": 0, "character": 1}}))
    got = client.wait(expected)
    assert client.alive(), f"the server died after {batch!r}"
    missing = [i for i in expected if i not in got]
    assert not missing, f"no response to request(s) {missing} after {batch!r}"
    for response in got.values():
        assert ("result" in response) != ("error" in response), response


def test_a_request_for_a_notification_method_is_answered(server: tuple[RawClient, Path]) -> None:
    client, root = server
    rid = client.request("textDocument/didOpen", {"textDocument": {
        "uri": (root / "orders.py").as_uri(), "languageId": "python", "version": 1, "text": ""}})
    response = client.wait([rid], timeout=5).get(rid)
    assert response is not None and "error" in response


@pytest.mark.parametrize("bad", ["../../etc/passwd", "/etc/passwd", "src/a\x00b.py", "..\\..\\boot.ini"])
def test_record_fix_with_an_escaping_file_is_refused(server: tuple[RawClient, Path], bad: str) -> None:
    client, root = server
    before = set((root / ".teamlore" / "bugs").glob("*.json"))
    rid = client.request("workspace/executeCommand", {"command": "teamlore.recordFix", "arguments": [
        {"error": "KeyError: 'escape_attempt'", "fix": "nothing", "file": bad,
         "uri": (root / "orders.py").as_uri()}]})
    response = client.wait([rid])[rid]
    assert "error" in response and response["error"]["code"] == -32602, response
    assert set((root / ".teamlore" / "bugs").glob("*.json")) == before
