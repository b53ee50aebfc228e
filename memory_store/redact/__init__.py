"""Secret redaction: applied to every text before it is stored or published.

Each rule (:mod:`memory_store.redact.rules`) has a ``kind``; a match is replaced by
``<redacted:KIND>``. Order matters: documented token formats come before the context
rules, and the generic ``key=value`` rule comes last. Redacting twice changes nothing.
"""

from __future__ import annotations

import re

from memory_store.redact.rules import RULES, Rule

KINDS: tuple[str, ...] = tuple(dict.fromkeys(rule.kind for rule in RULES))

_CLOSERS = {")": "(", "]": "[", "}": "{"}


def redact(text: str) -> str:
    """Replace every secret in ``text`` with ``<redacted:KIND>``."""
    if not text:
        return text
    lowered = text.lower()
    for rule in RULES:
        if not rule.needles or any(needle in lowered for needle in rule.needles):
            text = _apply(rule, text)
    return text


def _apply(rule: Rule, text: str) -> str:
    placeholder = f"<redacted:{rule.kind}>"

    def repl(m: re.Match[str]) -> str:
        if rule.keep is not None and rule.keep(m):
            return m.group(0)
        group = next((g for g in rule.groups if m.start(g) >= 0), None)
        if group is None:
            return m.group(0)
        if group == 0:
            return placeholder
        value = m.group(group)
        if value.startswith("<redacted:"):
            return m.group(0)
        start = m.start(group) - m.start(0)
        end = start + _secret_length(value)
        whole = m.group(0)
        return whole[:start] + placeholder + whole[end:]

    return rule.pattern.sub(repl, text)


def _secret_length(value: str) -> int:
    """Length of ``value`` without the closing brackets (and a final full stop) of the text around it.

    ``connect(password=s3cr)t)`` keeps the password's own ``)`` and leaves the call's.
    """
    end = len(value)
    while end > 1:
        last = value[end - 1]
        unbalanced = last in _CLOSERS and value.count(last, 0, end) > value.count(_CLOSERS[last], 0, end)
        if unbalanced or (last == "." and end == len(value)):
            end -= 1
        else:
            break
    return end


def find_secrets(text: str) -> list[str]:
    """Kinds of secret present in ``text`` (for tests and warnings)."""
    return list(dict.fromkeys(rule.kind for rule in RULES if _hits(rule, text)))


def _hits(rule: Rule, text: str) -> bool:
    return _apply(rule, text) != text
