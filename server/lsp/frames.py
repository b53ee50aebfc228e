"""Bounded reading of the language server's input frames (``Content-Length`` framing).

pygls reads a header line with an unbounded ``readline()`` and then exactly
``Content-Length`` bytes, so one header like ``Content-Length: 99999999999`` (or a header
line without end) makes it allocate until the process dies. :class:`FrameLimitedInput`
stands in for stdin: it refuses a body larger than the limit without reading it into
memory, remembers the refusal (with the request id when the start of the body shows it)
for the protocol to answer, and resynchronises at the next ``Content-Length`` header. Any
memory it holds is bounded by a few chunks.
"""

from __future__ import annotations

import json
import logging
import re
from collections import deque
from dataclasses import dataclass
from typing import BinaryIO

log = logging.getLogger(__name__)

MAX_FRAME_BYTES = 64 * 1024 * 1024
"""Largest message body accepted (a whole-document change of a big file fits easily)."""
MAX_HEADER_LINE = 8 * 1024
"""A longer header line is dropped (as an unknown header would be)."""
CHUNK = 64 * 1024
REFUSED_BODY = b"null"
"""What the reader loop gets instead of a refused body (decodes to no message)."""

_HEADER = re.compile(rb"Content-Length: \d{1,20}\r\n")
"""The header as pygls reads it."""
_TAIL = 64
"""Bytes kept from the previous chunk so a header split between two chunks is still found."""
_STRING = rb'"(?:[^"\\]|\\.)*"'
_SCALAR = rb"(?:" + _STRING + rb"|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null)"
_REQUEST_ID = re.compile(rb"\s*\{(?:\s*" + _STRING + rb"\s*:\s*" + _SCALAR + rb"\s*,)*?\s*\"id\"\s*:\s*(-?\d{1,18}|"
                         + _STRING + rb")")
"""The top-level ``id`` of a JSON-RPC message, when only plain members (``jsonrpc``,
``method``) come before it, which is how editors write requests."""


@dataclass(frozen=True)
class RefusedFrame:
    length: int
    request_id: int | str | None
    """The request's id when the start of the body shows it (None: a notification, or unknown)."""


def request_id(prefix: bytes) -> int | str | None:
    match = _REQUEST_ID.match(prefix)
    if match is None:
        return None
    try:
        value = json.loads(match.group(1))
    except ValueError:
        return None
    return value if isinstance(value, (int, str)) else None


class FrameLimitedInput:
    """A binary stdin for pygls' reader loop (``readline()`` and ``read(n)``) that bounds
    header lines and bodies. Refused frames are queued in :attr:`refused`, in order; each
    one reaches the loop as the body :data:`REFUSED_BODY`."""

    def __init__(self, raw: BinaryIO, limit: int = MAX_FRAME_BYTES):
        self._raw = raw
        self.limit = limit
        self._pending = b""
        """Bytes read ahead (while looking for a header); served before the stream."""
        self._resync = False
        self.refused: deque[RefusedFrame] = deque()

    def _read_some(self) -> bytes:
        """What is available now (at least one byte, or b"" at the end), at most CHUNK."""
        read1 = getattr(self._raw, "read1", None)
        return read1(CHUNK) if read1 is not None else self._raw.read(CHUNK)

    def _raw_line(self, limit: int) -> bytes:
        if self._pending:
            end = self._pending.find(b"\n", 0, limit)
            if end >= 0 or len(self._pending) >= limit:
                cut = end + 1 if end >= 0 else limit
                line, self._pending = self._pending[:cut], self._pending[cut:]
                return line
            line, self._pending = self._pending, b""
            return line + self._raw.readline(limit - len(line))
        return self._raw.readline(limit)

    def readline(self) -> bytes:
        if self._resync:
            self._skip_to_header()
        line = self._raw_line(MAX_HEADER_LINE)
        if len(line) >= MAX_HEADER_LINE and not line.endswith(b"\n"):
            skipped = len(line)
            while line and not line.endswith(b"\n"):  # drop the rest of the line, chunk by chunk
                line = self._raw_line(CHUNK)
                skipped += len(line)
            log.warning("dropped a message header line of %d bytes (more than %d)", skipped, MAX_HEADER_LINE)
            return b"X-Dropped-Header: too long\r\n"
        return line

    def read(self, n: int) -> bytes:
        if n <= self.limit:
            head, self._pending = self._pending[:n], self._pending[n:]
            return head + self._raw.read(n - len(head)) if len(head) < n else head
        start = self._pending or self._read_some()
        self._pending = start
        self._resync = True
        refusal = RefusedFrame(n, request_id(start))
        log.warning("refused a message of %d bytes (the limit is %d)%s", n, self.limit,
                    f"; request id {refusal.request_id!r}" if refusal.request_id is not None else "")
        self.refused.append(refusal)
        return REFUSED_BODY

    def _skip_to_header(self) -> None:
        """Discard input up to the next ``Content-Length`` header (the refused body, however
        long its declared length was): valid JSON never holds that header's bytes."""
        self._resync = False
        tail, data = b"", self._pending
        self._pending = b""
        while True:
            if not data:
                data = self._read_some()
                if not data:
                    return
            window = tail + data
            match = _HEADER.search(window)
            if match is not None:
                self._pending = window[match.start():]
                return
            tail, data = window[-_TAIL:], b""
