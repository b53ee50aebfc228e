"""Django's debug page, read as the traceback it shows.

With ``DEBUG = True`` a failing view answers with Django's technical 500 page, and what
developers paste into issues and chats is that page: its "copy-and-paste view" or the text of
its summary. Neither ends in a Python exception line; the exception is given in two fields::

    Traceback (most recent call last):
      File "/srv/venv/.../django/core/handlers/exception.py", line 55, in inner
        response = get_response(request)
      File "/srv/shop/shop/views.py", line 12, in index
        products = list(Product.objects.all())

    Exception Type: OperationalError at /shop/
    Exception Value: no such table: shop_product

Django before 2.2 printed its frames in its own shape (``File "path" in inner`` then
``  34. response = get_response(request)``), and the page's summary gives the raising frame as
``Exception Location: path, line 328, in execute``. :func:`as_traceback` rewrites any of these
into a plain Python traceback, which memory_store.errors.parse then reads like any other; the
text that is stored and shown is the one pasted.

Django links chained exceptions in its own words (``The above exception (no such table:
shop_product) was the direct cause of the following exception:``); the frames after the last
such line are the final exception's, as in Python's own output.
"""

from __future__ import annotations

import re

_TYPE = re.compile(r"^Exception Type:\s*(?P<type>[A-Za-z_][\w.]*)(?:\s+at\s+\S*)?\s*$")
_VALUE = re.compile(r"^Exception Value:[ \t]*(?P<msg>.*?)\s*$")
_LOCATION = re.compile(r"^Exception Location:\s*(?P<path>.+?), line (?P<line>\d+), in (?P<func>[\w.<>]+)\s*$")
_FRAME = re.compile(r'^\s*File "[^"]+", line \d+')
_OLD_FRAME = re.compile(r'^\s*File "(?P<path>[^"]+)" in (?P<func>\S+)\s*$')
_OLD_CODE = re.compile(r"^\s*(?P<line>\d+)\.\s+(?P<code>\S.*?)\s*$")
_CHAIN = re.compile(r"^\s*(?:The above exception \(.*\) was the direct cause of the following exception"
                    r"|During handling of the above exception \(.*\), another exception occurred):?\s*$")
_FIELD = re.compile(r"^[A-Z][A-Za-z ]{2,30}:(?:\s|$)")
"""A field of the page (``Exception Location:``, ``Raised during:``, ``Python Executable:``):
the end of a multi-line exception value."""
MAX_PAGE_LINES = 5000
MAX_PAGE_CHARS = 1_000_000
"""A debug page is a few hundred lines; a longer text is read from its end."""


def as_traceback(text: str) -> str | None:
    """The plain Python traceback of a Django debug page in ``text`` (None when there is none)."""
    if "Exception Value:" not in text or "Exception Type:" not in text:
        return None
    lines = [line.rstrip() for line in text[-MAX_PAGE_CHARS:].splitlines()[-MAX_PAGE_LINES:]]
    fields = [line.strip().replace("\t", " ") for line in lines]
    typed = next((i for i, f in enumerate(fields) if _TYPE.match(f)), None)
    valued = next((i for i, f in enumerate(fields) if _VALUE.match(f)), None)
    if typed is None or valued is None:
        return None
    type_match, value_match = _TYPE.match(fields[typed]), _VALUE.match(fields[valued])
    assert type_match is not None and value_match is not None
    message = [value_match.group("msg")]
    for field in fields[valued + 1:valued + 12]:
        if not field or _FIELD.match(field):
            break
        message.append(field)
    frames = _frames(lines[:min(typed, valued)])
    if not frames:
        located = next((m for m in map(_LOCATION.match, fields) if m), None)
        if located:
            frames = [f'  File "{located["path"]}", line {located["line"]}, in {located["func"]}']
    exception = f"{type_match['type']}: {' '.join(p for p in message if p)}".rstrip(": ")
    return "\n".join(["Traceback (most recent call last):", *frames, exception])


def _frames(lines: list[str]) -> list[str]:
    """The frame and code lines of the final exception, in Python's own shape."""
    out: list[str] = []
    pending: tuple[str, str] | None = None
    for line in lines:
        if _CHAIN.match(line):
            out, pending = [], None
            continue
        old = _OLD_FRAME.match(line)
        if old:
            pending = (old["path"], old["func"])
            continue
        if pending is not None:
            code = _OLD_CODE.match(line)
            if code:
                out += [f'  File "{pending[0]}", line {code["line"]}, in {pending[1]}', f"    {code['code']}"]
                pending = None
            continue
        if _FRAME.match(line):
            out.append("  " + line.strip())
        elif out and out[-1].startswith("  File ") and line.strip():
            out.append("    " + line.strip())
    return out
