"""The project's settings: one typed reader for every part, and the trust rule.

Layers, later wins:

1. built-in defaults;
2. the user's own config file, ``$XDG_CONFIG_HOME/teamlore/config.toml`` (trusted);
3. the repository's ``.teamlore/config.toml``, committed with the memory and therefore
   written by someone else: its keys marked *gated* below (they make teamlore connect
   somewhere, run a program, or read and write outside the repository) take effect only
   once the user allowed exactly those values (:mod:`memory_store.trust`,
   ``teamlore allow``); until then they are *withheld* and reported;
4. the environment (trusted).

Front ends put their own trusted layer on top (the editor's settings in the language
server). A bad value never stops anything: it becomes a :class:`ConfigProblem` naming
the file, the key and the reason, and the default is used. Files are read with a size
cap, only when they are regular files (a FIFO or ``/dev/zero`` is refused, never read),
and a symlinked ``config.toml`` in the repository is not followed.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from memory_store import trust
from memory_store.jsonio import MemoryFileError, read_bounded
from memory_store.workspace import Workspace

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

MAX_CONFIG_BYTES = 256 * 1024
CONFIG_NAME = "config.toml"
KNOWN_SCANNERS = ("bandit", "ruff", "semgrep")
LOG_LEVELS = ("error", "warning", "info", "debug")
DEFAULT_MARKERS: tuple[str, ...] = ("TODO", "FIXME", "HACK", "XXX")
DEFAULT_MAXLEN = 100_000
_MARKER_RE = re.compile(r"^\w{2,40}$")
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


# -- validators: raw value -> typed value, ValueError naming what was expected -------------
def optional_str(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ValueError(f"expected a string, got {value!r}")
    return value


def threshold(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
        raise ValueError(f"expected a number between 0 and 1, got {value!r}")
    return float(value)


def scanners(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"expected a list of scanner names, got {value!r}")
    unknown = [v for v in value if v not in KNOWN_SCANNERS]
    if unknown:
        raise ValueError(f"unknown {'scanner' if len(unknown) == 1 else 'scanners'} {unknown}; "
                         f"known: {', '.join(KNOWN_SCANNERS)}")
    return tuple(dict.fromkeys(value))


def boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"expected true or false, got {value!r}")
    return value


def redis_url(value: Any) -> str | None:
    url = optional_str(value)
    if url is not None and not url.startswith(("redis://", "rediss://", "unix://")):
        raise ValueError(f"expected a redis://, rediss:// or unix:// url, got {url!r}")
    return url


def stream(value: Any) -> str | None:
    name = optional_str(value)
    if name is not None and (not name.strip() or len(name) > 200 or any(c.isspace() for c in name)):
        raise ValueError(f"expected a stream name without spaces, got {name!r}")
    return name


def log_level(value: Any) -> str:
    if not isinstance(value, str) or value.lower() not in LOG_LEVELS:
        raise ValueError(f"expected one of {', '.join(LOG_LEVELS)}, got {value!r}")
    return value.lower()


def markers(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not value:
        raise ValueError("expected a non-empty list of words")
    for m in value:
        if not isinstance(m, str) or not _MARKER_RE.match(m):
            raise ValueError(f"{m!r} is not a single word")
    return tuple(dict.fromkeys(value))


def maxlen(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ValueError(f"expected a whole number >= 1, got {value!r}")
    return value


@dataclass(frozen=True)
class Key:
    """One setting: where it lives, how it is checked, and why it may need consent."""

    section: str
    name: str
    check: Callable[[Any], Any]
    default: Any
    doc: str
    gated: str | None = None
    """Why a committed value needs the user's consent (None: a committed value is used as is)."""
    env: str | None = None

    @property
    def dotted(self) -> str:
        return f"{self.section}.{self.name}"


KEYS: tuple[Key, ...] = (
    Key("lsp", "store_root", optional_str, None,
        "directory whose .teamlore/ holds the memory (default: the workspace folder)",
        gated="reads and writes the memory in another directory"),
    Key("lsp", "match_threshold", threshold, None,
        "confidence needed for a past fix to be shown (default: the matcher's calibrated one)"),
    Key("lsp", "scanners_on_save", scanners, ("bandit",),
        "security scanners run on each saved file when installed (bandit, ruff, semgrep)",
        gated="runs programs on every save"),
    Key("lsp", "debt_hints", boolean, False, "hints on TODO/FIXME/HACK/XXX lines"),
    Key("lsp", "show_suppressed", boolean, False, "show suppressed findings as hints carrying the reason"),
    Key("lsp", "log_level", log_level, "info", "level of messages sent to the editor's log"),
    Key("sync", "redis_url", redis_url, None, "team sync server (redis://, rediss:// or unix://)",
        gated="connects to this server, sends your Redis credentials and writes what it pushes",
        env="TEAMLORE_REDIS_URL"),
    Key("sync", "stream", stream, None, "stream name (default: teamlore:<origin remote>)",
        gated="publishes new records to this stream", env="TEAMLORE_SYNC_STREAM"),
    Key("sync", "maxlen", maxlen, DEFAULT_MAXLEN, "approximate length the stream is trimmed to"),
    Key("debt", "markers", markers, DEFAULT_MARKERS, "comment markers counted as debt"),
    Key("agents", "may_decide", boolean, False,
        "AI agents' security decisions take effect directly instead of as proposals",
        gated="lets agents suppress findings without a person", env="TEAMLORE_AGENTS_MAY_DECIDE"),
)
BY_DOTTED: dict[str, Key] = {k.dotted: k for k in KEYS}
SECTIONS: tuple[str, ...] = tuple(dict.fromkeys(k.section for k in KEYS))


@dataclass(frozen=True)
class ConfigProblem:
    """A setting that was not used, and why."""

    source: str
    key: str
    message: str

    def __str__(self) -> str:
        return f"{self.source}: {self.key}: {self.message}" if self.key else f"{self.source}: {self.message}"


@dataclass(frozen=True)
class Withheld:
    """A committed gated value that is not in effect because the user has not allowed it."""

    key: str
    value: Any
    why: str


@dataclass(frozen=True)
class LspConfig:
    store_root: str | None = None
    match_threshold: float | None = None
    scanners_on_save: tuple[str, ...] = ("bandit",)
    debt_hints: bool = False
    show_suppressed: bool = False
    log_level: str = "info"


@dataclass(frozen=True)
class SyncSettings:
    redis_url: str | None = None
    stream: str | None = None
    maxlen: int = DEFAULT_MAXLEN


@dataclass(frozen=True)
class DebtSettings:
    markers: tuple[str, ...] = DEFAULT_MARKERS


@dataclass(frozen=True)
class AgentSettings:
    may_decide: bool = False


@dataclass(frozen=True)
class ProjectConfig:
    """The effective settings of one repository, with where each came from."""

    lsp: LspConfig = field(default_factory=LspConfig)
    sync: SyncSettings = field(default_factory=SyncSettings)
    debt: DebtSettings = field(default_factory=DebtSettings)
    agents: AgentSettings = field(default_factory=AgentSettings)
    origin: Mapping[str, str] = field(default_factory=dict)
    """``"sync.redis_url" -> "environment"``: the layer each non-default value came from."""
    problems: tuple[ConfigProblem, ...] = ()
    withheld: tuple[Withheld, ...] = ()
    committed_gated: Mapping[str, Any] = field(default_factory=dict)
    """Every gated value the repository commits (what ``teamlore allow`` would allow)."""
    allowed: bool = False
    """The user allowed exactly :attr:`committed_gated` for this repository."""

    def value(self, dotted: str) -> Any:
        section, name = dotted.split(".", 1)
        return getattr(getattr(self, section), name)

    def withheld_notice(self, how: str = "run `teamlore allow` in this repository") -> str | None:
        """One line telling the user what is ignored and ``how`` to allow it (None: nothing is)."""
        if not self.withheld:
            return None
        parts = ", ".join(f"{w.key} ({w.why})" for w in self.withheld)
        return f"this repository's .teamlore/config.toml sets {parts}; ignored until you review them and {how}"


def user_config_path() -> Path:
    return trust.user_config_dir() / CONFIG_NAME


def project_config_path(workspace: Workspace) -> Path:
    return workspace.store / CONFIG_NAME


def _read_toml(path: Path, source: str, problems: list[ConfigProblem], follow_symlink: bool) -> dict[str, Any]:
    if not os.path.lexists(path):
        return {}
    if not follow_symlink and os.path.islink(path):
        problems.append(ConfigProblem(source, "", "is a symbolic link; not read (settings must be a file "
                                                  "inside the repository)"))
        return {}
    try:
        raw = read_bounded(path, MAX_CONFIG_BYTES)
        data: dict[str, Any] = tomllib.loads(raw.decode("utf-8"))
        return data
    except FileNotFoundError:
        return {}
    except MemoryFileError as exc:
        problems.append(ConfigProblem(source, "", exc.problem.reason))
    except UnicodeDecodeError as exc:
        problems.append(ConfigProblem(source, "", f"not valid UTF-8 (byte {exc.start}); file ignored"))
    except tomllib.TOMLDecodeError as exc:
        problems.append(ConfigProblem(source, "", f"invalid TOML: {exc}; file ignored"))
    except RecursionError:
        problems.append(ConfigProblem(source, "", "nested too deeply; file ignored"))
    return {}


def _flatten(data: dict[str, Any], source: str, problems: list[ConfigProblem]) -> dict[str, Any]:
    """``{"sync": {"redis_url": x}}`` -> ``{"sync.redis_url": x}``; unknown keys are problems."""
    out: dict[str, Any] = {}
    for section, table in data.items():
        if section not in SECTIONS:
            problems.append(ConfigProblem(source, f"[{section}]", "unknown section; ignored"))
            continue
        if not isinstance(table, dict):
            problems.append(ConfigProblem(source, f"[{section}]", "must be a table; ignored"))
            continue
        for name, value in table.items():
            dotted = f"{section}.{name}"
            if dotted not in BY_DOTTED:
                problems.append(ConfigProblem(source, f"[{section}] {name}", "unknown setting; ignored"))
                continue
            out[dotted] = value
    return out


def _checked(key: Key, value: Any, source: str, problems: list[ConfigProblem]) -> tuple[bool, Any]:
    try:
        return True, key.check(value)
    except ValueError as exc:
        problems.append(ConfigProblem(source, f"[{key.section}] {key.name}", f"{exc}; using the default"))
        return False, None


def load_project_config(workspace: Workspace, *, restricted: bool = False) -> ProjectConfig:
    """Read and merge every layer for ``workspace``. Never raises for bad content.

    ``restricted``: the editor does not trust this workspace; committed gated values stay
    withheld even when allowed.
    """
    problems: list[ConfigProblem] = []
    values: dict[str, Any] = {}
    origin: dict[str, str] = {}

    user_path = user_config_path()
    user_source = str(user_path)
    for dotted, raw in _flatten(_read_toml(user_path, user_source, problems, True), user_source, problems).items():
        ok, value = _checked(BY_DOTTED[dotted], raw, user_source, problems)
        if ok:
            values[dotted], origin[dotted] = value, "user config"

    repo_path = project_config_path(workspace)
    repo_source = os.path.relpath(repo_path, workspace.root) if repo_path.is_relative_to(workspace.root) \
        else str(repo_path)
    committed: dict[str, Any] = {}
    gated: dict[str, Any] = {}
    for dotted, raw in _flatten(_read_toml(repo_path, repo_source, problems, False), repo_source,
                                problems).items():
        key = BY_DOTTED[dotted]
        ok, value = _checked(key, raw, repo_source, problems)
        if not ok:
            continue
        if dotted == "sync.redis_url" and value and urlsplit(value).password:
            problems.append(ConfigProblem(repo_source, "[sync] redis_url",
                                          "holds a password; config.toml is shared with the repository, so set "
                                          "TEAMLORE_REDIS_PASSWORD in the environment instead; ignored"))
            continue
        committed[dotted] = value
        if key.gated:
            gated[dotted] = raw
    allowed = bool(gated) and not restricted and trust.is_allowed(workspace.root, gated)
    withheld: list[Withheld] = []
    for dotted, value in committed.items():
        key = BY_DOTTED[dotted]
        if key.gated and not allowed:
            withheld.append(Withheld(dotted, gated[dotted], key.gated))
            continue
        values[dotted], origin[dotted] = value, "repository (allowed)" if key.gated else "repository"

    for key in KEYS:
        raw_env: Any = os.environ.get(key.env) if key.env else None
        if raw_env:
            if key.check is boolean and raw_env.strip().lower() in _TRUE | _FALSE:
                raw_env = raw_env.strip().lower() in _TRUE  # environment variables are strings
            ok, value = _checked(key, raw_env, f"environment {key.env}", problems)
            if ok:
                values[key.dotted], origin[key.dotted] = value, "environment"

    def section(name: str, cls: type[Any]) -> Any:
        return cls(**{k.name: values[k.dotted] for k in KEYS if k.section == name and k.dotted in values})

    return ProjectConfig(lsp=section("lsp", LspConfig), sync=section("sync", SyncSettings),
                         debt=section("debt", DebtSettings), agents=section("agents", AgentSettings),
                         origin=origin, problems=tuple(problems), withheld=tuple(withheld),
                         committed_gated=gated, allowed=allowed)


def allow_repository(workspace: Workspace) -> ProjectConfig:
    """Record the user's consent to the repository's committed gated values as they are now."""
    current = load_project_config(workspace)
    if current.committed_gated:
        trust.allow(workspace.root, current.committed_gated)
    return load_project_config(workspace)
