"""Read-only resources: ``teamlore://bugs``, ``teamlore://bugs/{id}`` and the decision twins."""

from __future__ import annotations

import json
from typing import Any

import anyio.to_thread
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ResourceError, ResourceNotFoundError

from memory_store.bugs.records import BugStore, summary
from memory_store.jsonio import MemoryFileError
from memory_store.security.decisions import DecisionStore
from memory_store.workspace import UnsafePathError, Workspace, check_id

JSON = "application/json"


def _dump(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, indent=2, sort_keys=True)


async def _read(fn: Any, what: str, record_id: str) -> str:
    """Run a blocking read off the event loop with the failures a client should see."""
    try:
        check_id(record_id)
        return await anyio.to_thread.run_sync(fn)
    except UnsafePathError as exc:
        raise ResourceError(f"rejected: {exc}") from exc
    except FileNotFoundError as exc:
        raise ResourceNotFoundError(f"unknown {what}: {record_id}") from exc
    except MemoryFileError as exc:
        raise ResourceError(f"unreadable memory file (left untouched): {exc}") from exc


def _register_bugs(app: MCPServer, workspace: Workspace) -> None:
    store = BugStore(workspace)

    @app.resource("teamlore://bugs", name="bugs", mime_type=JSON,
                  description="Every remembered error and its fix (summary); unreadable files under problems.")
    async def bug_list() -> str:
        def work() -> str:
            loaded = store.load()
            records = sorted(loaded.records.values(), key=lambda r: (r.get("created") or "", r["id"]))
            return _dump({"bugs": [summary(r) for r in records],
                          "problems": [p.to_json(workspace.root) for p in loaded.problems]})

        return await anyio.to_thread.run_sync(work)

    @app.resource("teamlore://bugs/{id}", name="bug", mime_type=JSON,
                  description="One bug record, as stored in .teamlore/bugs/<id>.json.")
    async def bug(id: str) -> str:
        def work() -> str:
            if not store.files.exists(id):
                raise FileNotFoundError(id)
            return _dump(store.get(id))

        return await _read(work, "bug record", id)


def _register_decisions(app: MCPServer, workspace: Workspace) -> None:
    store = DecisionStore(workspace)

    @app.resource("teamlore://decisions", name="decisions", mime_type=JSON,
                  description="Every security triage decision, proposal and policy; unreadable files under problems.")
    async def decision_list() -> str:
        def work() -> str:
            loaded = store.load()
            records = sorted(loaded.records.values(), key=lambda r: (r.get("date") or "", r["id"]))
            return _dump({"decisions": records, "problems": [p.to_json(workspace.root) for p in loaded.problems]})

        return await anyio.to_thread.run_sync(work)

    @app.resource("teamlore://decisions/{id}", name="decision", mime_type=JSON,
                  description="One security decision, proposal or policy, as stored in .teamlore/security/decisions/.")
    async def decision(id: str) -> str:
        def work() -> str:
            if not store.files.exists(id):
                raise FileNotFoundError(id)
            return _dump(store.get(id))

        return await _read(work, "decision", id)


def register(app: MCPServer, workspace: Workspace) -> None:
    _register_bugs(app, workspace)
    _register_decisions(app, workspace)
