"""Typed language-server settings, layered and validated.

Precedence (later wins): the project config (:mod:`memory_store.config`: the user's
config file, the repository's ``.teamlore/config.toml`` — its gated values only once
allowed — and the environment), then ``workspace/configuration`` (section ``teamlore``,
or what ``workspace/didChangeConfiguration`` pushes), then ``initializationOptions``.
Keys may be camelCase (editors) or snake_case (config.toml). A bad value is reported
with the name of the field and the default is used instead; no setting is required.
Validation and documentation of each key live in :data:`memory_store.config.KEYS`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any

from memory_store.config import BY_DOTTED, ConfigProblem, ProjectConfig

SECTION = "teamlore"


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


@dataclass
class Resolved:
    settings: Settings
    problems: list[ConfigProblem] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


EDITOR_KEYS: dict[str, str] = {
    "store_root": "lsp.store_root",
    "match_threshold": "lsp.match_threshold",
    "scanners_on_save": "lsp.scanners_on_save",
    "debt_hints": "lsp.debt_hints",
    "redis_url": "sync.redis_url",
    "show_suppressed": "lsp.show_suppressed",
    "log_level": "lsp.log_level",
}
"""Editor setting (snake_case of ``teamlore.<camelCase>``) -> project config key."""

VALIDATORS: dict[str, Callable[[Any], Any]] = {name: BY_DOTTED[dotted].check for name, dotted in EDITOR_KEYS.items()}


def project_layer(config: ProjectConfig) -> dict[str, Any]:
    """The project config's values that differ from the built-in defaults, as editor keys."""
    return {name: config.value(dotted) for name, dotted in EDITOR_KEYS.items() if dotted in config.origin}


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
    problems: list[ConfigProblem] = []
    changes: dict[str, Any] = {}
    for name, value in values.items():
        try:
            changes[name] = VALIDATORS[name](value)
        except ValueError as exc:
            default = getattr(settings, name)
            problems.append(ConfigProblem(f"teamlore setting ({origin[name]})", f"'{camel(name)}'",
                                          f"{exc}; using the default {default!r}"))
    return Resolved(replace(settings, **changes), problems, unknown)
