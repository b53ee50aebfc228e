"""Data shapes of a parsed error."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

FrameKind = Literal["app", "library", "stdlib"]


@dataclass(frozen=True)
class Frame:
    """One stack frame. ``path`` is workspace-relative for app frames, normalized otherwise."""

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
        return cls(path=str(obj.get("path") or ""), line=obj.get("line"),
                   function=obj.get("function"), module=obj.get("module"),
                   kind=obj.get("kind") or "app")


@dataclass
class ParsedError:
    """An error understood from text: its type, message and frames (outermost first)."""

    exc_type: str
    message: str
    frames: list[Frame] = field(default_factory=list)
    language: str = "generic"
    text: str = ""
    """The (redacted) text the error was parsed from."""

    @property
    def headline(self) -> str:
        return f"{self.exc_type}: {self.message}" if self.message else self.exc_type

    def innermost_app_frame(self) -> Frame | None:
        for frame in reversed(self.frames):
            if frame.kind == "app":
                return frame
        return None

    def to_json(self) -> dict[str, Any]:
        return {"type": self.exc_type, "message": self.message, "language": self.language,
                "frames": [f.to_json() for f in self.frames], "traceback": self.text}

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> ParsedError:
        return cls(exc_type=str(obj.get("type") or ""), message=str(obj.get("message") or ""),
                   frames=[Frame.from_json(f) for f in obj.get("frames") or [] if isinstance(f, dict)],
                   language=str(obj.get("language") or "generic"), text=str(obj.get("traceback") or ""))
