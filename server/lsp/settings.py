"""Typed language-server settings, layered and validated.

Precedence (later wins): ``[lsp]`` table of ``.teamlore/config.toml`` (plus
``[sync] redis_url``), then ``workspace/configuration`` (section ``teamlore``, or what
``workspace/didChangeConfiguration`` pushes), then ``initializationOptions``.
Keys may be camelCase (editors) or snake_case (config.toml). A bad value is reported
with the name of the field and the default is used instead; no setting is required.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

SECTION = "teamlore"
KNOWN_SCANNERS = ("bandit", "ruff", "semgrep")
LOG_LEVELS = ("error", "warning", "info", "debug")


@dataclass(frozen=True)
class Settings:
    store_root: str | None = None
    """Directory whose ``.teamlore/`` holds the memory (default: the workspace folder)."""
    match_threshold: float | None = None
    """Confidence needed for a past fix to be shown (default: the matcher's calibrated one)."""
    scanners_on_save: tuple[str, ...] = ("bandit",)
    """Security scanners run on the saved file when installed."""
    debt_hints: bool = False
    """Hints on TODO/FIXME/HACK/XXX lines."""
    redis_url: str | None = None
    """Team sync (``redis://`` or ``rediss://``)."""
    show_suppressed: bool = False
    """Show suppressed security findings as hints carrying the reason."""
    log_level: str = "info"
    """Level of messages sent to the editor's log."""

    def to_json(self) -> dict[str, Any]:
        out = {}
        for f in fields(self):
            value = getattr(self, f.name)
            out[camel(f.name)] = list(value) if isinstance(value, tuple) else value
        return out


@dataclass(frozen=True)
class SettingProblem:
    field: str
    message: str
    layer: str

    def __str__(self) -> str:
        return f"teamlore setting '{self.field}' ({self.layer}): {self.message}"


@dataclass
class Resolved:
    settings: Settings
    problems: list[SettingProblem] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


def _optional_str(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ValueError(f"expected a string, got {value!r}")
    return value


def _threshold(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
        raise ValueError(f"expected a number between 0 and 1, got {value!r}")
    return float(value)


def _scanners(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"expected a list of scanner names, got {value!r}")
    unknown = [v for v in value if v not in KNOWN_SCANNERS]
    if unknown:
        raise ValueError(f"unknown scanner(s) {unknown}; known: {', '.join(KNOWN_SCANNERS)}")
    return tuple(dict.fromkeys(value))


def _bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"expected true or false, got {value!r}")
    return value


def _redis_url(value: Any) -> str | None:
    url = _optional_str(value)
    if url is not None and not url.startswith(("redis://", "rediss://", "unix://")):
        raise ValueError(f"expected a redis://, rediss:// or unix:// url, got {url!r}")
    return url


def _log_level(value: Any) -> str:
    if not isinstance(value, str) or value.lower() not in LOG_LEVELS:
        raise ValueError(f"expected one of {', '.join(LOG_LEVELS)}, got {value!r}")
    return value.lower()


VALIDATORS: dict[str, Callable[[Any], Any]] = {
    "store_root": _optional_str,
    "match_threshold": _threshold,
    "scanners_on_save": _scanners,
    "debt_hints": _bool,
    "redis_url": _redis_url,
    "show_suppressed": _bool,
    "log_level": _log_level,
}


def section_of(payload: Any) -> dict[str, Any]:
    """The teamlore part of a settings payload: ``{"teamlore": {...}}`` or a flat dict."""
    if not isinstance(payload, Mapping):
        return {}
    inner = payload.get(SECTION)
    if isinstance(inner, Mapping):
        return dict(inner)
    return {k: v for k, v in payload.items() if snake(str(k)) in VALIDATORS}


def resolve(layers: Iterable[tuple[str, Mapping[str, Any] | None]]) -> Resolved:
    """Merge ``(layer name, raw dict)`` pairs, lowest precedence first, and validate."""
    values: dict[str, Any] = {}
    origin: dict[str, str] = {}
    unknown: list[str] = []
    for layer, raw in layers:
        if not raw:
            continue
        for key, value in raw.items():
            name = snake(str(key))
            if name not in VALIDATORS:
                unknown.append(f"{key} ({layer})")
                continue
            values[name] = value
            origin[name] = layer
    settings = Settings()
    problems: list[SettingProblem] = []
    changes: dict[str, Any] = {}
    for name, value in values.items():
        try:
            changes[name] = VALIDATORS[name](value)
        except ValueError as exc:
            default = getattr(settings, name)
            problems.append(SettingProblem(camel(name), f"{exc}; using the default {default!r}",
                                           origin[name]))
    return Resolved(replace(settings, **changes), problems, unknown)


def read_project_file(store: Path) -> tuple[dict[str, Any], str | None]:
    """The ``[lsp]`` table of ``<store>/config.toml`` (and ``[sync] redis_url``); an
    unreadable file yields ``({}, reason)``."""
    path = store / "config.toml"
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}, None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        return {}, f"{path}: {exc}"
    out: dict[str, Any] = {}
    sync = data.get("sync")
    if isinstance(sync, dict) and "redis_url" in sync:
        out["redis_url"] = sync["redis_url"]
    lsp = data.get("lsp")
    if isinstance(lsp, dict):
        out.update(lsp)
    return out, None
