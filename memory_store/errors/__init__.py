"""Understanding an error: parse text into a :class:`ParsedError`, normalize, fingerprint."""

from memory_store.errors.model import Frame, ParsedError
from memory_store.errors.normalize import fingerprint, message_template
from memory_store.errors.parse import extract_errors, parse_error

__all__ = ["Frame", "ParsedError", "extract_errors", "fingerprint", "message_template", "parse_error"]
