"""Data shapes of a parsed error."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

FrameKind = Literal["app", "library", "stdlib"]


@dataclass(frozen=True)
class Frame:
    """One stack frame. ``path`` is workspace-relative for app frames, normalized otherwise
    (``site-packages/django/db/base.py``, ``node_modules/node-fetch/src/index.js``,
    ``<stdlib>/ssl.py``, ``~/proj/app.py`` for an app file outside the workspace)."""

    path: str
    line: int | None = None
    function: str | None = None
    module: str | None = None
    kind: FrameKind = "app"

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "line": self.line, "function": self.function,
                "module": self.module, "kind": self.kind}

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> Frame:
        kind = obj.get("kind")
        line = obj.get("line")
        return cls(path=str(obj.get("path") or ""),
                   line=line if isinstance(line, int) and not isinstance(line, bool) else None,
                   function=obj.get("function") if isinstance(obj.get("function"), str) else None,
                   module=obj.get("module") if isinstance(obj.get("module"), str) else None,
                   kind=kind if kind in ("app", "library", "stdlib") else "app")


@dataclass
class ParsedError:
    """An error understood from text: its type, message and frames (outermost first)."""

    exc_type: str
    message: str
    frames: list[Frame] = field(default_factory=list)
    language: str = "generic"
    text: str = ""
    """The (redacted) text the error was parsed from."""
    code: str | None = None
    """A machine-readable error code printed with the type (Node's ``ERR_REQUIRE_ESM``)."""
    chain: list[str] = field(default_factory=list)
    """Headlines of the exceptions this one was raised from or while handling, first first."""
    detail: str = ""
    """Continuation lines of a multi-line message (bounded)."""
    location: Frame | None = None
    """Where a SyntaxError points (file and line of the offending code)."""

    @property
    def headline(self) -> str:
        head = f"{self.exc_type} [{self.code}]" if self.code else self.exc_type
        return f"{head}: {self.message}" if self.message else head

    def innermost_app_frame(self) -> Frame | None:
        for frame in reversed(self.frames):
            if frame.kind == "app":
                return frame
        if self.location is not None and self.location.kind == "app":
            return self.location
        return None

    def innermost_source_frame(self) -> Frame | None:
        """The innermost in-app frame in a file of the project: not a pseudo-file such as an
        IPython cell (``<cell>``), ``<stdin>`` or ``<string>``, which no editor can open."""
        def in_a_file(frame: Frame) -> bool:
            return frame.kind == "app" and bool(frame.path) and not frame.path.startswith("<")

        for frame in reversed(self.frames):
            if in_a_file(frame):
                return frame
        if self.location is not None and in_a_file(self.location):
            return self.location
        return None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.exc_type, "message": self.message, "language": self.language,
                               "frames": [f.to_json() for f in self.frames], "traceback": self.text}
        if self.code:
            out["code"] = self.code
        if self.chain:
            out["chain"] = list(self.chain)
        if self.detail:
            out["detail"] = self.detail
        if self.location is not None:
            out["location"] = self.location.to_json()
        return out

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> ParsedError:
        loc = obj.get("location")
        chain = obj.get("chain")
        return cls(exc_type=str(obj.get("type") or ""), message=str(obj.get("message") or ""),
                   frames=[Frame.from_json(f) for f in obj.get("frames") or [] if isinstance(f, dict)],
                   language=str(obj.get("language") or "generic"), text=str(obj.get("traceback") or ""),
                   code=obj.get("code") if isinstance(obj.get("code"), str) else None,
                   chain=[str(c) for c in chain] if isinstance(chain, list) else [],
                   detail=str(obj.get("detail") or ""),
                   location=Frame.from_json(loc) if isinstance(loc, dict) else None)
