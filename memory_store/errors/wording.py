"""One error in one wording, whatever runtime version printed it.

The same failure reaches a team in the words of several runtime versions: Node 16.9 and later
say ``Cannot read properties of undefined (reading 'id')`` where Node 14 said ``Cannot read
property 'id' of undefined``; CPython 3.11 says ``cannot access local variable 'n' where it is
not associated with a value`` where 3.10 said ``local variable 'n' referenced before
assignment``. Message templates (memory_store.errors.normalize.message_template) are built
from the wording this module gives, so such errors share their template, fingerprint and
words, and a fix recorded on one machine is found from the others. The text a developer sees
is never changed.

The list is data: each entry is what a runtime prints, the wording it becomes and why the two
are one error, taken from the runtimes' release notes, never from any team's records.

Operating-system texts are deliberately *not* rewritten (``[WinError 10061] No connection
could be made because the target machine actively refused it`` stays apart from ``[Errno 111]
Connection refused``): a bare OS error says what the system refused, not why, and made equal
across platforms such errors become exact look-alikes of one another, which an exact match
would answer without the frames that tell their causes apart.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Equivalent:
    pattern: re.Pattern[str]
    replacement: str
    reason: str


def _e(pattern: str, replacement: str, reason: str, flags: int = 0) -> Equivalent:
    return Equivalent(re.compile(pattern, flags), replacement, reason)


EQUIVALENTS: tuple[Equivalent, ...] = (
    _e(r"\bCannot read property '([^']*)' of (undefined|null)\b", r"Cannot read properties of \2 (reading '\1')",
       "V8 9.3 (Node 16.9, Chrome 93) reworded the property access error"),
    _e(r"\bCannot set property '([^']*)' of (undefined|null)\b", r"Cannot set properties of \2 (setting '\1')",
       "V8 9.3 (Node 16.9, Chrome 93) reworded the property assignment error"),
    _e(r"\blocal variable '(\w+)' referenced before assignment\b",
       r"cannot access local variable '\1' where it is not associated with a value",
       "CPython 3.11 reworded UnboundLocalError"),
    _e(r"\bfree variable '(\w+)' referenced before assignment in enclosing scope\b",
       r"cannot access free variable '\1' where it is not associated with a value in enclosing scope",
       "CPython 3.11 reworded the closure's NameError"),
    _e(r"^No module named ([A-Za-z_][\w.]*)$", r"No module named '\1'",
       "Python 2 and early Python 3 printed the missing module without quotes"),
    _e(r"\.?\s*Did you (?:mean:?\s*'?[\w.]+'?|forget to import '[\w.]+')\?$", "",
       "CPython 3.10+ appends a guess from the names near the error: it differs between programs, the error does not"),
)
"""Every rewrite, applied in order (see the module docstring)."""

_TRIGGER = re.compile(r"property '|referenced before|^No module named \w|Did you ")
"""A message with none of these is left as it is, without trying each rewrite."""

_TRAILING = re.compile(r"(?<=[\w'\")\]>])[.:;!]+$")
"""Sentence-ending punctuation after a word: ``database is locked:`` and ``Apps aren't loaded
yet.`` are printed with and without it by different versions and loggers. A lone mark after
a space (``Unexpected token :``) is the subject of the message and stays."""


def canonical_wording(message: str) -> str:
    """``message`` (one line, whitespace already collapsed) in the shared wording."""
    text = message
    if _TRIGGER.search(text):
        for eq in EQUIVALENTS:
            text = eq.pattern.sub(eq.replacement, text)
    return text


def without_closing_mark(template: str) -> str:
    """A template without its sentence-ending punctuation (see :data:`_TRAILING`)."""
    return _TRAILING.sub("", template.rstrip())
