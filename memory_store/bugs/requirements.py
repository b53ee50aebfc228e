"""Python requirement lines: the distribution a line names and its PEP 503 form.

One place for the rules the dependency diffs of fix capture (:mod:`memory_store.bugs.diffs`),
remembered edits (:mod:`memory_store.bugs.edits`) and the package line of a failed install
(:mod:`memory_store.bugs.error_manifests`) share.
"""

from __future__ import annotations

import re

_REQ_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?\s*([<>=!~;@ ].*)?$")
_QUOTED_REQ = re.compile(r"^\s*[\"']([A-Za-z0-9][A-Za-z0-9._-]*(?:\[[^\]]*\])?\s*(?:[<>=!~;@ ][^\"']*)?)[\"']\s*,?\s*$")


def normalize_package(name: str) -> str:
    """PEP 503 normalized distribution name (``Ruamel_YAML.clib`` -> ``ruamel-yaml-clib``)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_name(line: str) -> str | None:
    """Distribution name of a requirements.txt line (None for comments, options, URLs)."""
    text = line.split(" #", 1)[0].strip()
    if not text or text.startswith(("#", "-", "git+", "http:", "https:", "file:", ".")):
        return None
    m = _REQ_NAME.match(text)
    return m.group(1) if m else None


def quoted_requirement(line: str) -> str | None:
    """The requirement in a pyproject dependency-array line like ``"structlog>=24",``."""
    m = _QUOTED_REQ.match(line)
    return m.group(1).strip() if m else None
