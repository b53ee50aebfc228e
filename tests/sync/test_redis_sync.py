"""Sync against a real redis-server: sharing, outages, catch-up, credentials, status."""

from __future__ import annotations

import json
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from memory_store.bugs.records import BugStore
from memory_store.sync.config import load_config
from memory_store.sync.events import make_event
from memory_store.sync.outbox import Outbox
from memory_store.sync.stream import Consumer, Follower, Publisher, connect, flush_outbox
from memory_store.workspace import Workspace
from tests.conftest import run_cli
from tests.sync.conftest import RedisServer, make_workspace, wait_until

pytestmark = pytest.mark.e2e

STREAM = "teamlore:test"


def error_text(n: int) -> str:
    return (f"Traceback (most recent call last):\n  File \"app/handlers_{n}.py\", line 12, in handle_{n}\n"
            f"    return payload['field_{n}']\nKeyError: 'field_{n}'\n")


def add(ws: Workspace, n: int) -> str:
    rec, created = BugStore(ws).add(error_text(n), f"check for field_{n} first", author="ann", minutes=5)
    assert created
    return rec["id"]


def bug_files(ws: Workspace) -> dict[str, bytes]:
    directory = ws.store / "bugs"
    if not directory.is_dir():
        return {}
    return {p.stem: p.read_bytes() for p in directory.glob("*.json")}


def stream_events(server: RedisServer) -> list[str]:
    client = redis.Redis.from_url(server.url)
    try:
        return [fields[b"event"].decode() for _, fields in client.xrange(STREAM)]
    finally:
        client.close()


@pytest.fixture(autouse=True)
def _no_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("TEAMLORE_REDIS_URL", "TEAMLORE_REDIS_PASSWORD", "TEAMLORE_REDIS_USERNAME",
                 "TEAMLORE_SYNC_STREAM"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def followers() -> Iterator[list[Follower]]:
    running: list[Follower] = []
    yield running
    for f in running:
        f.stop()


def follow(running: list[Follower], ws: Workspace) -> Follower:
    f = Follower(ws, block_ms=200, max_backoff=0.3).run_in_thread()
    running.append(f)
    return f


def test_a_record_written_in_one_workspace_arrives_identical_in_the_other(
        tmp_path: Path, redis_server: RedisServer) -> None:
    a = make_workspace(tmp_path, "a", redis_server.url)
    b = make_workspace(tmp_path, "b", redis_server.url)
    rid = add(a, 1)
    flush_outbox(a)
    assert len(Outbox(a)) == 0
    config = load_config(b)
    assert config is not None
    result = Consumer(b, config).pull()
    assert (result.written, result.existing, result.rejected) == (1, 0, [])
    assert bug_files(b) == bug_files(a) and rid in bug_files(b)
    # B wrote it as a received record: nothing queued to echo it back.
    assert len(Outbox(b)) == 0
    again = Consumer(b, config).pull()
    assert (again.written, again.existing) == (0, 0)
    assert len(stream_events(redis_server)) == 1


def test_two_running_servers_share_records_both_ways(
        tmp_path: Path, redis_server: RedisServer, followers: list[Follower]) -> None:
    a = make_workspace(tmp_path, "a", redis_server.url)
    b = make_workspace(tmp_path, "b", redis_server.url)
    follow(followers, a)
    follow(followers, b)
    from_a = add(a, 1)
    wait_until(lambda: from_a in bug_files(b), what="A's record in B")
    from_b = add(b, 2)
    wait_until(lambda: from_b in bug_files(a), what="B's record in A")
    assert bug_files(a) == bug_files(b)
    wait_until(lambda: not len(Outbox(a)) and not len(Outbox(b)), what="empty outboxes")
    events = stream_events(redis_server)
    assert len(events) == 2, "received records must not be published again"


def test_redis_killed_and_restarted_midway_loses_and_duplicates_nothing(
        tmp_path: Path, redis_server: RedisServer, followers: list[Follower]) -> None:
    a = make_workspace(tmp_path, "a", redis_server.url)
    b = make_workspace(tmp_path, "b", redis_server.url)
    follow(followers, a)
    follow(followers, b)
    before = [add(a, n) for n in range(5)]
    wait_until(lambda: set(before) <= set(bug_files(b)), what="records before the outage")

    redis_server.kill()  # SIGKILL, no persistence: the stream itself is gone
    during = [add(a, n) for n in range(5, 10)]
    during_b = add(b, 99)
    assert len(Outbox(a)) == 5 and len(Outbox(b)) == 1  # local writes went through
    assert BugStore(a).get(during[0])["fix"]

    redis_server.start()
    after = [add(a, n) for n in range(10, 12)]
    expected = set(before + during + after + [during_b])
    wait_until(lambda: set(bug_files(b)) == expected and set(bug_files(a)) == expected,
               what="both memories complete after the restart")
    wait_until(lambda: not len(Outbox(a)) and not len(Outbox(b)), what="outboxes drained")
    assert bug_files(a) == bug_files(b)
    events = stream_events(redis_server)
    assert len(events) == len(set(events)), "an event was added to the stream twice"
    assert len(events) == len(expected)


def test_offline_consumer_catches_up_from_its_last_id(
        tmp_path: Path, persistent_redis: RedisServer) -> None:
    a = make_workspace(tmp_path, "a", persistent_redis.url)
    b = make_workspace(tmp_path, "b", persistent_redis.url)
    config = load_config(b)
    assert config is not None
    first = [add(a, n) for n in range(3)]
    flush_outbox(a)
    assert Consumer(b, config).pull().written == 3

    later = [add(a, n) for n in range(3, 7)]
    flush_outbox(a)
    persistent_redis.kill()  # B is offline meanwhile; redis comes back with its data
    persistent_redis.start()
    result = Consumer(b, config).pull()
    assert (result.written, result.existing) == (4, 0), "catch-up must start after the last applied id"
    assert set(bug_files(b)) == set(first + later)
    assert len(stream_events(persistent_redis)) == 7


def test_resending_an_event_after_a_lost_reply_adds_it_once(tmp_path: Path, redis_server: RedisServer) -> None:
    a = make_workspace(tmp_path, "a")  # no url in the config: nothing is sent in the background
    event = make_event("bug", BugStore(a).get(add(a, 1)))
    config = load_config(a, redis_server.url)
    assert config is not None
    publisher = Publisher(a, config, connect(config))
    assert publisher.send(event) is not None
    assert publisher.send(event) is None  # as if the first reply was lost
    assert len(stream_events(redis_server)) == 1


def test_wrong_password_gives_a_clear_error_and_local_work_continues(
        tmp_path: Path, redis_with_password: RedisServer, monkeypatch: pytest.MonkeyPatch) -> None:
    ws = make_workspace(tmp_path, "a")
    monkeypatch.setenv("TEAMLORE_REDIS_URL", redis_with_password.url)
    monkeypatch.setenv("TEAMLORE_REDIS_PASSWORD", "not-the-password")
    rid = add(ws, 1)
    assert BugStore(ws).get(rid)["fix"]

    push = run_cli("sync", "push", root=ws.root)
    assert push.returncode == 2
    assert "refused the credentials" in push.stderr and "TEAMLORE_REDIS_PASSWORD" in push.stderr
    assert "not-the-password" not in push.stderr
    assert len(push.stderr.strip().splitlines()) == 1

    status = run_cli("sync", "status", "--json", root=ws.root)
    report = json.loads(status.stdout)
    assert status.returncode == 1
    assert report["connected"] is False and "credentials" in report["error"]
    assert report["outbox"] == 1

    monkeypatch.delenv("TEAMLORE_REDIS_PASSWORD")
    no_pass = run_cli("sync", "pull", root=ws.root)
    assert no_pass.returncode == 2 and "credentials" in no_pass.stderr

    monkeypatch.setenv("TEAMLORE_REDIS_PASSWORD", redis_with_password.password or "")
    ok = run_cli("sync", "push", "--json", root=ws.root)
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["sent"] == 1
    for path in (ws.store / "bugs").glob("*.json"):
        assert redis_with_password.password not in path.read_text()


def test_cli_push_pull_and_status_json_shape(tmp_path: Path, redis_server: RedisServer) -> None:
    a = make_workspace(tmp_path, "a", redis_server.url)
    b = make_workspace(tmp_path, "b", redis_server.url)
    ids = {add(a, n) for n in range(3)}
    pushed = run_cli("sync", "push", "--all", "--json", root=a.root)
    assert pushed.returncode == 0, pushed.stderr
    assert json.loads(pushed.stdout)["remaining"] == 0

    status = run_cli("sync", "status", "--json", root=b.root)
    assert status.returncode == 0, status.stderr
    report = json.loads(status.stdout)
    assert set(report) == {"configured", "url", "stream", "connected", "error", "outbox", "last_id",
                           "stream_length", "last_stream_id", "lag", "trimmed_unread", "server_version"}
    assert report["configured"] is True and report["connected"] is True and report["error"] is None
    assert report["stream"] == STREAM and report["url"] == redis_server.url
    assert report["outbox"] == 0 and report["last_id"] is None
    assert report["stream_length"] == 3 and report["lag"] == 3

    pulled = run_cli("sync", "pull", "--json", root=b.root)
    assert pulled.returncode == 0, pulled.stderr
    assert json.loads(pulled.stdout)["written"] == 3
    assert set(bug_files(b)) == ids
    after = json.loads(run_cli("sync", "status", "--json", root=b.root).stdout)
    assert after["lag"] == 0 and after["last_id"] == after["last_stream_id"]

    table = run_cli("sync", "status", root=b.root)
    assert "connected" in table.stdout and "lag" in table.stdout


def test_status_when_redis_is_down(tmp_path: Path, redis_server: RedisServer) -> None:
    a = make_workspace(tmp_path, "a", redis_server.url)
    redis_server.kill()
    add(a, 1)
    out = run_cli("sync", "status", "--json", root=a.root)
    report = json.loads(out.stdout)
    assert out.returncode == 1
    assert report["connected"] is False and report["outbox"] == 1
    assert "cannot reach redis" in report["error"]


def test_decisions_and_their_later_changes_are_shared(tmp_path: Path, redis_server: RedisServer) -> None:
    from memory_store.security.decisions import DecisionStore

    a = make_workspace(tmp_path, "a", redis_server.url)
    b = make_workspace(tmp_path, "b", redis_server.url)
    config = load_config(b)
    assert config is not None
    policy = DecisionStore(a).add_policy(["B101"], "tests/**", "asserts are how tests check", author="ann")
    flush_outbox(a)
    assert Consumer(b, config).pull().written == 1
    path_a = DecisionStore(a).files.path_for(policy["id"])
    path_b = DecisionStore(b).files.path_for(policy["id"])
    assert path_b.read_bytes() == path_a.read_bytes()

    DecisionStore(a).reject(policy["id"], author="bob")
    flush_outbox(a)
    assert Consumer(b, config).pull().written == 1
    assert DecisionStore(b).get(policy["id"])["status"] == "rejected"
    assert path_b.read_bytes() == path_a.read_bytes()
    assert len(Outbox(b)) == 0


def test_records_with_escaping_paths_or_ids_are_rejected_by_the_consumer(
        tmp_path: Path, redis_server: RedisServer) -> None:
    b = make_workspace(tmp_path, "b", redis_server.url)
    config = load_config(b)
    assert config is not None
    src = make_workspace(tmp_path, "src")
    record = BugStore(src).get(add(src, 1))
    client = redis.Redis.from_url(redis_server.url)
    hostile = [
        {**record, "file": "../../etc/passwd"},
        {**record, "file": "/etc/passwd"},
        {**record, "id": "../../escape"},
        {**record, "error": "not an object"},
        {**record, "schema": "teamlore.bug/99"},
    ]
    for rec in hostile:
        client.xadd(STREAM, {"v": "1", "event": "x", "kind": "bug", "id": str(rec["id"]),
                             "record": json.dumps(rec)})
    client.xadd(STREAM, {"v": "1", "event": "y", "kind": "bug", "id": record["id"], "record": json.dumps(record)})
    client.close()
    result = Consumer(b, config).pull()
    assert len(result.rejected) == len(hostile)
    assert result.written == 1
    assert set(bug_files(b)) == {record["id"]}
    assert not (tmp_path / "etc").exists()


def test_sync_run_follows_for_the_given_time(tmp_path: Path, redis_server: RedisServer) -> None:
    a = make_workspace(tmp_path, "a", redis_server.url)
    b = make_workspace(tmp_path, "b", redis_server.url)
    rid = add(a, 1)
    flush_outbox(a)
    seconds = 4.0
    done: dict[str, object] = {}

    def follow() -> None:
        started = time.monotonic()
        done["out"] = run_cli("sync", "run", "--seconds", str(seconds), root=b.root)
        done["elapsed"] = time.monotonic() - started

    runner = threading.Thread(target=follow)
    runner.start()
    wait_until(lambda: rid in bug_files(b), timeout=20, what="the catch-up")  # the process is running now
    late = add(a, 2)  # published while it runs: it keeps following, not only catching up once
    flush_outbox(a)
    wait_until(lambda: late in bug_files(b), timeout=seconds, what="the record published meanwhile")
    runner.join(60)
    out = done["out"]
    assert isinstance(out, subprocess.CompletedProcess)
    assert out.returncode == 0, out.stderr
    assert f"received bug {rid}" in out.stdout and f"received bug {late}" in out.stdout
    elapsed = done["elapsed"]
    assert isinstance(elapsed, float)
    assert seconds <= elapsed < seconds + 10, f"sync run --seconds {seconds} took {elapsed:.1f} s"


def test_entries_trimmed_before_they_were_read_are_reported(tmp_path: Path, redis_server: RedisServer) -> None:
    a = make_workspace(tmp_path, "a", redis_server.url)
    b = make_workspace(tmp_path, "b", redis_server.url)
    config = load_config(b)
    assert config is not None
    add(a, 0)
    flush_outbox(a)
    assert Consumer(b, config).pull().written == 1
    for n in range(1, 6):
        add(a, n)
    flush_outbox(a)
    client = redis.Redis.from_url(redis_server.url)
    client.xtrim(STREAM, maxlen=2, approximate=False)  # as MAXLEN ~ does on a busy stream
    client.close()
    status = json.loads(run_cli("sync", "status", "--json", root=b.root).stdout)
    assert status["trimmed_unread"] is True and status["lag"] == 2
    pulled = run_cli("sync", "pull", "--json", root=b.root)
    result = json.loads(pulled.stdout)
    assert result["missed"] is True and result["written"] == 2
    assert "trimmed" in pulled.stderr


def test_a_restricted_acl_user_from_the_url_can_sync(
        tmp_path: Path, redis_server: RedisServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """The permissions the README lists are enough; the user and password come from the url."""
    admin = redis.Redis.from_url(redis_server.url)
    admin.execute_command("ACL", "SETUSER", "teammate", "on", ">team-pass-1", "~teamlore:*", "resetchannels",
                          "-@all", "+ping", "+xadd", "+xread", "+xrange", "+xrevrange", "+xlen", "+xinfo",
                          "+set", "+get", "+eval")
    admin.close()
    a, b = make_workspace(tmp_path, "a"), make_workspace(tmp_path, "b")
    monkeypatch.setenv("TEAMLORE_REDIS_URL", f"redis://teammate:team-pass-1@127.0.0.1:{redis_server.port}/0")
    rid = add(a, 1)
    pushed = run_cli("sync", "push", "--json", root=a.root)
    assert pushed.returncode == 0, pushed.stderr
    pulled = run_cli("sync", "pull", "--json", root=b.root)
    assert pulled.returncode == 0, pulled.stderr
    assert rid in bug_files(b)
    status = run_cli("sync", "status", "--json", root=b.root)
    report = json.loads(status.stdout)
    assert status.returncode == 0 and report["connected"] is True and report["lag"] == 0
    assert report["url"] == f"redis://teammate:***@127.0.0.1:{redis_server.port}/0"
    assert "team-pass-1" not in status.stdout + status.stderr
