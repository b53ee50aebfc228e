"""Secret redaction: applied to every text before it is stored or published.

Each rule has a ``kind``; a match is replaced by ``<redacted:KIND>``. Order matters:
specific token formats come before the generic ``key=value`` rule.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Rule:
    kind: str
    pattern: re.Pattern[str]
    group: int = 0
    """Which group holds the secret (0: the whole match)."""


def _r(kind: str, pattern: str, group: int = 0, flags: int = 0) -> Rule:
    return Rule(kind, re.compile(pattern, flags), group)


RULES: tuple[Rule, ...] = (
    _r(
        "private-key",
        r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----[\s\S]*?(-----END [A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----|\Z)",
    ),
    _r("github-token", r"\b(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})\b"),
    _r("aws-access-key", r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[A-Z0-9]{16}\b"),
    _r(
        "aws-secret-key",
        r"(?i)\baws_?secret_?access_?key\b[\"']?\s*[:=]\s*[\"']?([A-Za-z0-9/+=]{40})",
        1,
    ),
    _r("slack-token", r"\bxox[abposr]-[A-Za-z0-9-]{10,}\b"),
    _r("slack-webhook", r"https://hooks\.slack\.com/services/[A-Za-z0-9/_-]+"),
    _r("openai-key", r"\bsk-(?:proj-|live-|test-)?[A-Za-z0-9_-]{20,}\b"),
    _r("stripe-key", r"\b[rsp]k_(?:live|test)_[A-Za-z0-9]{16,}\b"),
    _r("google-api-key", r"\bAIza[0-9A-Za-z_-]{35}\b"),
    _r("jwt", r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\b"),
    _r(
        "authorization",
        r"(?i)\b(authorization|proxy-authorization)\b([\"']?\s*[:=]\s*[\"']?)"
        r"((?:bearer|basic|token|digest)\s+)?([^\s\"',;]+)",
        4,
    ),
    _r("bearer-token", r"(?i)\bbearer\s+([A-Za-z0-9._~+/=-]{12,})", 1),
    _r("url-password", r"\b([a-z][a-z0-9+.-]*://[^\s:/@]*:)([^\s@/]+)(@)", 2, re.IGNORECASE),
    _r(
        "assignment",
        r"(?i)\b([A-Za-z0-9_.-]*(?:password|passwd|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|private[_-]?key|client[_-]?secret|credentials?)[A-Za-z0-9_]*)"
        r"(?<!error)(?<!exception)(?<!warning)"  # an exception name followed by its message is no secret
        r"(\s*[\"']?\s*[:=]\s*)(?!<redacted)([\"']?)([^\s\"',;)}\]]{3,})\3",
        4,
    ),
)

KINDS: tuple[str, ...] = tuple(rule.kind for rule in RULES)


def redact(text: str) -> str:
    """Replace every secret in ``text`` with ``<redacted:KIND>``."""
    if not text:
        return text
    for rule in RULES:
        text = _apply(rule, text)
    return text


def _apply(rule: Rule, text: str) -> str:
    if rule.group == 0:
        return rule.pattern.sub(f"<redacted:{rule.kind}>", text)

    def repl(m: re.Match[str]) -> str:
        start, end = m.span(rule.group)
        if start < 0:
            return m.group(0)
        value = m.group(rule.group)
        if value.startswith("<redacted:"):
            return m.group(0)
        s0 = m.start(0)
        whole = m.group(0)
        return whole[: start - s0] + f"<redacted:{rule.kind}>" + whole[end - s0 :]

    return rule.pattern.sub(repl, text)


def find_secrets(text: str) -> list[str]:
    """Kinds of secret present in ``text`` (for tests and warnings)."""
    return [rule.kind for rule in RULES if rule.pattern.search(text)]
