"""Bug memory tools: ``match_error`` and ``record_fix``."""

from __future__ import annotations

import logging
import os
import threading
import time
from typing import Annotated, Any

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import Field

from memory_store.bugs.cache import load_index
from memory_store.bugs.match import BugIndex
from memory_store.bugs.records import BugStore, validate_bug
from memory_store.jsonio import MemoryFileError
from memory_store.workspace import Workspace
from server.mcp.agent import agent_author
from server.mcp.errors import off_loop

log = logging.getLogger(__name__)

MAX_ERROR_CHARS = 1_000_000
"""A traceback is rarely more than a few kilobytes; far beyond this is a mistake."""

ErrorText = Annotated[str, Field(min_length=1, max_length=MAX_ERROR_CHARS,
                                 description="the error: a traceback, test output or the final error line")]
FixText = Annotated[str, Field(min_length=1, max_length=20_000, description="what fixed it, in a sentence or two")]
RootCause = Annotated[str | None, Field(max_length=20_000, description="why it happened")]
FilePath = Annotated[str | None, Field(max_length=4096, description="workspace-relative path of the changed file")]
Minutes = Annotated[float | None, Field(ge=0, le=60 * 24 * 365, description="how long the fix took, in minutes")]
Limit = Annotated[int, Field(ge=1, le=50, description="at most this many matches")]


class MatchIndex:
    """The bug index of one workspace, kept in step with ``.teamlore/bugs/`` between queries.

    The first query loads every record through the index cache (``load_index``). Records
    are written with an atomic rename, so any added, replaced or deleted file
    changes the directory's modification time: while it is unchanged the index is reused
    as is. When it changed, only files whose (mtime, size) changed are read again. A time
    too recent to be trusted (another write could land within the same clock tick) is not
    remembered, so the next query looks again.
    """

    SETTLED_NS = 2_000_000_000

    def __init__(self, workspace: Workspace):
        self.store = BugStore(workspace)
        self._lock = threading.Lock()
        self._dir_key: tuple[int, int] | None = None
        self._files: dict[str, tuple[int, int] | None] = {}
        self._index = BugIndex()
        self._loaded = False
        self.reads = 0
        """Record files looked at so far (for tests and benchmarks; the first load counts
        every file, though it takes unchanged ones from the index cache)."""

    def _settled(self, mtime_ns: int) -> bool:
        return time.time_ns() - mtime_ns >= self.SETTLED_NS

    def _dir_signature(self) -> tuple[int, int] | None:
        try:
            st = self.store.files.directory.stat()
        except FileNotFoundError:
            return (0, 0)
        return (st.st_mtime_ns, st.st_ino) if self._settled(st.st_mtime_ns) else None

    def _listing(self) -> dict[str, tuple[int, int] | None]:
        """``{file name: (mtime, size) or None when too recent}`` of the record files."""
        seen: dict[str, tuple[int, int] | None] = {}
        try:
            with os.scandir(self.store.files.directory) as entries:
                for entry in entries:
                    if not entry.name.endswith(".json") or entry.name.startswith("."):
                        continue
                    try:
                        st = entry.stat()
                    except OSError:
                        continue
                    seen[entry.name] = (st.st_mtime_ns, st.st_size) if self._settled(st.st_mtime_ns) else None
        except FileNotFoundError:
            pass
        return seen

    def _refresh(self) -> None:
        seen = self._listing()
        for gone in self._files.keys() - seen.keys():
            self._index.remove(gone[: -len(".json")])
        for name, signature in seen.items():
            if signature is not None and self._files.get(name) == signature:
                continue
            path = self.store.files.directory / name
            self._index.remove(path.stem)
            self.reads += 1
            try:
                rec = self.store.files.read_path(path)
                validate_bug(path, rec)
            except MemoryFileError as exc:  # reported by doctor and the bugs resource; never touched
                log.warning("skipped unreadable memory file %s", exc.problem)
                continue
            self._index.add(rec)
        self._files = seen

    def _load(self) -> None:
        """The first load, through the index cache in ``.teamlore/.cache/`` (the record
        files stay the truth: changed ones are read again, unreadable ones reported)."""
        key = self._dir_signature()
        seen = self._listing()  # before loading: a file changed meanwhile is read again later
        index, result = load_index(self.store)
        for problem in result.problems:  # reported by doctor and the bugs resource; never touched
            log.warning("skipped unreadable memory file %s", problem)
        self._index = index
        self._files = seen
        self._dir_key = key
        self.reads += len(seen)

    def get(self) -> BugIndex:
        with self._lock:
            if not self._loaded:
                self._load()
                self._loaded = True
            key = self._dir_signature()
            if key is None or key != self._dir_key:
                self._refresh()
                self._dir_key = key
            return self._index


def register(app: MCPServer, workspace: Workspace) -> MatchIndex:
    """Add ``record_fix`` and ``match_error``; returns the match index they share."""
    store = BugStore(workspace)

    @app.tool(name="record_fix", description=(
        "Remember how an error was fixed, so the team (and you) find it next time. "
        "Secrets are redacted and paths made workspace-relative before storing; the record "
        "is marked as written by this agent. Returns {\"id\": ...}."))
    async def record_fix(
        error_text: ErrorText,
        fix: FixText,
        ctx: Context,
        root_cause: RootCause = None,
        file: FilePath = None,
        minutes: Minutes = None,
    ) -> dict[str, Any]:
        if not fix.strip():
            raise ToolError("fix: must not be blank")
        rec, created = await off_loop(store.add, error_text, fix, root_cause=root_cause or "", file=file,
                                      minutes=minutes, author=agent_author(ctx), source="mcp")
        return {"id": rec["id"], "created": created}

    index = MatchIndex(workspace)

    @app.tool(name="match_error", description=(
        "Ask the team's memory before guessing: past fixes of this error, best first, each with "
        "a score in [0, 1] and the reasons it matched. An empty list means nothing confident is "
        "known. Same shape as `teamlore bugs match --json`."))
    async def match_error(error_text: ErrorText, limit: Limit = 5) -> dict[str, Any]:
        def work() -> dict[str, Any]:
            matches = index.get().match(error_text, limit=limit, workspace_root=workspace.root)
            return {"matches": [m.to_json() for m in matches]}

        return await off_loop(work)

    return index
