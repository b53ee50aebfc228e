"""Message templates and fingerprints. FIRST CUT."""

from __future__ import annotations

import hashlib
import re

from memory_store.errors.model import ParsedError

_NUM = re.compile(r"\b\d+\b")


def message_template(exc_type: str, message: str) -> str:
    return _NUM.sub("<n>", message)


def fingerprint(parsed: ParsedError) -> str:
    key = f"{parsed.exc_type}|{message_template(parsed.exc_type, parsed.message)}"
    return hashlib.sha256(key.encode()).hexdigest()[:16]
