"""Bug memory tools: ``match_error``, ``record_fix`` and the feedback on a match:
``reject_match`` ("Not this fix") and ``confirm_match`` ("This fixed it")."""

from __future__ import annotations

import logging
from typing import Annotated, Any

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import Field

from memory_store.bugs import feedback
from memory_store.bugs.live import LiveBugMemory
from memory_store.bugs.match import BugIndex, Match
from memory_store.bugs.records import BugStore
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
RecordId = Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$",
                                description="the id of the record match_error returned")]
Limit = Annotated[int, Field(ge=1, le=50, description="at most this many matches")]


class MatchIndex:
    """The bug memory of one workspace for the tools: a :class:`LiveBugMemory` that follows
    ``.teamlore/bugs/`` by polling timestamps before each query (records from ``git pull``,
    the CLI or the editor are seen on the next query; unchanged files are not read again)."""

    SETTLED_NS = LiveBugMemory.SETTLED_NS

    def __init__(self, workspace: Workspace):
        self.live = LiveBugMemory(workspace)

    @property
    def reads(self) -> int:
        """Record files looked at so far (for tests and benchmarks)."""
        return self.live.reads

    def get(self) -> BugIndex:
        """The index, brought up to date with the record files."""
        self.live.refresh()
        assert self.live.index is not None
        return self.live.index

    def match(self, error_text: str, limit: int) -> list[Match]:
        self.live.refresh()
        return self.live.match(error_text, limit=limit)


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
            return {"matches": [m.to_json() for m in index.match(error_text, limit)]}

        return await off_loop(work)

    def give(verdict: feedback.Verdict, matched_id: str, error_text: str, author: str) -> dict[str, Any]:
        index.live.refresh()
        rec, created = feedback.give_feedback(workspace, verdict, matched_id, error_text, author=author,
                                              source="mcp", known=index.live.records)
        index.live.add_feedback(rec)
        confirmations, rejections = index.live.feedback.counts(matched_id)
        return {"id": rec["id"], "created": created, "verdict": verdict, "record": matched_id,
                "confirmations": confirmations, "rejections": rejections}

    @app.tool(name="reject_match", description=(
        "Not this fix: a record match_error returned did not apply to this error. That record is "
        "never offered again for errors of this pattern (same type, message and function); it still "
        "is for other errors. Stored as a record of its own (committed and synced), marked as written "
        "by this agent. Same as `teamlore bugs reject ID --error FILE --json`."))
    async def reject_match(matched_id: RecordId, error_text: ErrorText, ctx: Context) -> dict[str, Any]:
        return await off_loop(give, "rejected", matched_id, error_text, agent_author(ctx))

    @app.tool(name="confirm_match", description=(
        "This fixed it: a record match_error returned solved this error. Counts as a confirmation "
        "of that record (shown as \"fixed it N times\") and lifts an earlier reject_match for this "
        "error. Same as `teamlore bugs confirm ID --error FILE --json`."))
    async def confirm_match(matched_id: RecordId, error_text: ErrorText, ctx: Context) -> dict[str, Any]:
        return await off_loop(give, "confirmed", matched_id, error_text, agent_author(ctx))

    return index
