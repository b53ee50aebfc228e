"""Debt settings from ``.teamlore/config.toml`` (section ``[debt]``)."""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass

from memory_store.workspace import Workspace

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

DEFAULT_MARKERS: tuple[str, ...] = ("TODO", "FIXME", "HACK", "XXX")
_MARKER_RE = re.compile(r"^\w{2,40}$")


class DebtConfigError(ValueError):
    """``.teamlore/config.toml`` holds a [debt] setting that cannot be used."""


@dataclass(frozen=True)
class DebtConfig:
    markers: tuple[str, ...] = DEFAULT_MARKERS


def load_config(workspace: Workspace) -> DebtConfig:
    """Read ``[debt] markers = [...]``; defaults when the file or the section is absent."""
    path = workspace.store / "config.toml"
    if not path.is_file():
        return DebtConfig()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise DebtConfigError(f"{path}: cannot read: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise DebtConfigError(f"{path}: invalid TOML: {exc}") from None
    section = data.get("debt", {})
    if not isinstance(section, dict):
        raise DebtConfigError(f"{path}: [debt] must be a table")
    markers = section.get("markers", list(DEFAULT_MARKERS))
    if not isinstance(markers, list) or not markers:
        raise DebtConfigError(f"{path}: [debt] markers must be a non-empty list of words")
    for m in markers:
        if not isinstance(m, str) or not _MARKER_RE.match(m):
            raise DebtConfigError(f"{path}: [debt] markers: {m!r} is not a single word")
    return DebtConfig(markers=tuple(dict.fromkeys(markers)))
