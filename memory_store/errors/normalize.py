"""Message templates, tokens and fingerprints.

A template is built from the message in its shared wording (memory_store.errors.wording: the
same runtime error before and after a runtime version reworded it), without a closing mark.
It keeps what names the problem and masks what varies between occurrences:
numbers, hex addresses, UUIDs, timestamps, IP addresses and the user-specific part of
paths become placeholders, while identifiers stay (``No module named 'structlog'`` and
``No module named 'redis'`` are different templates). Quoted text keeps its quotes so the
identifier inside stays one visible unit. Versions stay too (see :func:`_is_version`):
``requires go >= 1.21`` and ``requires go >= 1.18`` are two errors of one kind, so their
templates differ while their words (:func:`template_tokens`) are the same.
"""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache

from memory_store.errors.faulthandler import RUNTIME_TYPES as _DUMP_TYPES
from memory_store.errors.model import Frame, ParsedError
from memory_store.errors.wording import canonical_wording, without_closing_mark

_WS = re.compile(r"\s+")
_URL = re.compile(r"\b([a-z][a-z0-9+.-]*)://([^/\s'\"<>]*@)?([^/\s:'\"<>]+)(?::\d+)?(/[^\s'\"<>]*)?", re.IGNORECASE)
_UUID = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", re.IGNORECASE)
_CHAR_ESCAPE = re.compile(r"\\(?:u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|x[0-9a-fA-F]{2})")
_HEX_ADDR = re.compile(r"\b0x[0-9a-f]+\b", re.IGNORECASE)
_LONG_HEX = re.compile(r"\b(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{8,}\b", re.IGNORECASE)
_TIMESTAMP = re.compile(
    r"\b\d{4}-\d{2}-\d{2}(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?\b"
    r"|\b\d{1,2}:\d{2}:\d{2}(?:[.,]\d+)?\b")
_IP = re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}\b|(?<![\w:])(?:[0-9a-f]{0,4}:){2,7}[0-9a-f]{0,4}(?![\w:])", re.IGNORECASE)
_WIN_PATH = re.compile(r"\b[A-Za-z]:[\\/][^\s'\"<>|:*?]*")
_POSIX_PATH = re.compile(r"(?<![\w.:/<>-])(?:~|\.{1,2})?/[^\s'\"<>:,;()]*[^\s'\"<>:,;().]")
_LIB_IN_PATH = re.compile(r"(?:^|/)(site-packages|dist-packages|node_modules)/(.+)$")
_NUMBER = re.compile(r"(?<![\w.])(?<![A-Za-z]-)-?\d+(?:[.,]\d+)*(?:ms|s|kb|mb|gb|b|px|%)?(?![\w])", re.IGNORECASE)
_NUMBER_OR_SUFFIX = re.compile(_NUMBER.pattern + r"|(?<=[A-Za-z]-)\d+(?:\.\d+)+(?!\w)|(?<=version)\d+(?!\w)",
                               re.IGNORECASE)
"""A number, or a version ending a name, which _NUMBER leaves in the name: after a dash
(``kotlin-stdlib-1.8.21``) or after the word version (``grpc.SupportPackageIsVersion7``,
``ProtoPackageIsVersion4``: generated code naming the runtime version it needs)."""
_VERSION_MARK = re.compile(r"(?:(?:\b|_|(?<=[a-z])(?=V))(?:[Vv]ersion|VERSION)\s*[=:]?|[=!<>~]=|~>|\^|@)\s*$"
                           r"|\d\.\d+-$")
"""What makes any number after it a version: an operator of a version requirement (``>=18``,
``==2.0``, ``~> 7.0``, ``^19``, ``pkg@18``), the word version (``NODE_MODULE_VERSION 93``,
``class file version 61.0``, ``Version=13.0.0.0``) or a version it is the pre-release of
(``7.0.0-0``)."""
_NAME_BEFORE = re.compile(r"(?:\w[-:_/@]?\s?\(?|[<>~]|\s=)\s*$")
"""A name or a range operator right before a number: ``Python 3.11``, ``gradle:8.2``,
``jdk8-1.6``, ``numpy (2.0``, ``<3.12``, ``(= 7.0``."""
_MEASURE_AFTER = re.compile(r"(?:ms|s|secs?|seconds?|mins?|minutes?|h|hours?|bytes?|[kmgt]i?b|%|px)\b", re.IGNORECASE)
_VERSION_LOOKBACK = 24
_VERSION_MAX_DIGITS = 4
"""A version's leading number is short (``2023.1`` at most); ``1701234567.25`` or ``@12345678``
is a time or an object id."""
_JVM_DESCRIPTOR = re.compile(r"\bL(?P<name>[A-Za-z_$][\w$]*(?:/[A-Za-z_$][\w$]*)+);")
"""A class in a JVM type descriptor (``Ljavax/xml/bind/JAXBContext;``, in ``NoSuchMethodError``
signatures and JNI messages): no other language writes this shape."""
_JVM_INTERNAL = re.compile(r"(?<![\w$./\\:~-])(?P<name>[a-z_$][\w$]*(?:/[a-z_$][\w$]*)+/[A-Z][\w$]*)(?![\w$./\\-])")
"""A class in the JVM's internal form (``javax/xml/bind/JAXBContext``): lower-case package
names then a capitalized class, no file extension; read so only in the message of an
exception about a class (:data:`_JVM_CLASS_ERRORS`)."""
_JVM_CLASS_ERRORS = frozenset({
    "java.lang.ClassNotFoundException", "java.lang.NoClassDefFoundError", "java.lang.LinkageError",
    "java.lang.IncompatibleClassChangeError", "java.lang.NoSuchMethodError", "java.lang.NoSuchFieldError",
    "java.lang.AbstractMethodError", "java.lang.IllegalAccessError", "java.lang.InstantiationError",
    "java.lang.VerifyError", "java.lang.ClassFormatError", "java.lang.UnsupportedClassVersionError",
    "java.lang.ExceptionInInitializerError"})
"""The JVM's exceptions whose message names a class, which the JVM may print in its internal
form (a ``FileNotFoundException``'s ``src/main/App`` is a path and stays one)."""
_PLACEHOLDER = re.compile(r"<(?:n|hex|chr|uuid|time|ip|path|url|redacted:[\w-]+)>")
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*|\d+[A-Za-z_][A-Za-z0-9_]*")
_CONTRACTION = re.compile(r"([A-Za-z])'([a-z]{1,2})\b")
_CODE_SPAN = re.compile(r"`([^`\n]+)`")
"""A markdown/rustc code span: its backticks are lost when a message is copied from a
rendered page, so the template drops them (Ruby's unpaired `` `name' `` stays)."""
_QUOTED = re.compile(r"'([^'\s]{1,80})'|\"([^\"\s]{1,80})\"|`([^`\s]{1,80})`")

STOPWORDS = frozenset({
    "a", "an", "the", "of", "to", "in", "on", "at", "for", "from", "by", "with", "as", "is", "are", "was",
    "were", "be", "been", "being", "it", "its", "this", "that", "these", "those", "or", "and", "but", "if",
    "then", "than", "so", "do", "does", "did", "has", "have", "had", "will", "would", "can", "could",
    "should", "may", "might", "must", "you", "your", "we", "our", "they", "their", "he", "she", "his", "her",
    "there", "here", "which", "who", "what", "when", "where", "while", "into", "onto",
})


def short_type(exc_type: str) -> str:
    """``django.core.exceptions.ImproperlyConfigured`` -> ``ImproperlyConfigured``."""
    return exc_type.strip().rsplit(".", 1)[-1]


def _mask_path(path: str) -> str:
    norm = path.replace("\\", "/")
    lib = _LIB_IN_PATH.search(norm)
    if lib:
        return f"<path>/{lib.group(1)}/{lib.group(2)}"
    base = norm.rstrip("/").rsplit("/", 1)[-1]
    return f"<path>/{base}" if base else "<path>"


def _is_version(text: str, start: int, end: int) -> bool:
    """Is ``text[start:end]``, a number or dotted quad, a version rather than a volatile value?

    The one rule: a version is the number of a requirement (after a version operator or the
    word version: any number), a number with two or more dots (``16.3.0``: no count, size or
    float has two), or a number with one dot attached to a name (``Python 3.11``,
    ``kotlin-stdlib-1.8``, ``.NET 8.0``). Followed by a unit it is a measure (``1.5 s``,
    ``2.0 MB``). A whole number after a plain name stays masked: ``port 5432``, ``line 42``
    and ``Java 17`` cannot be told apart without a list of names."""
    value = text[start:end]
    if not value.replace(".", "").isdigit() or len(value.partition(".")[0]) > _VERSION_MAX_DIGITS:
        return False  # signed, thousands-separated, with a unit attached, or an epoch time or id
    if _MEASURE_AFTER.match(text, end + (text[end:end + 1] == " ")):
        return False
    before = text[max(0, start - _VERSION_LOOKBACK):start]
    if _VERSION_MARK.search(before):
        return True
    dots = value.count(".")
    return dots >= 2 or (dots == 1 and bool(_NAME_BEFORE.search(before)))


def _mask_number(m: re.Match[str]) -> str:
    return m.group(0) if _is_version(m.string, m.start(), m.end()) else "<n>"


def _mask_version(m: re.Match[str]) -> str:
    return "<n>" if _is_version(m.string, m.start(), m.end()) else m.group(0)


def _words_view(template: str) -> str:
    """The template with its versions masked too: what its words and quoted names are
    compared on, so two errors that differ only in a version share all their words."""
    return _NUMBER_OR_SUFFIX.sub(_mask_version, template) if any(c.isdigit() for c in template) else template


def _mask_ip(m: re.Match[str]) -> str:
    """An IP address, unless a version requirement's (``Version=4.0.0.0``)."""
    text = m.string
    keep = "." in m.group(0) and _VERSION_MARK.search(text[max(0, m.start() - _VERSION_LOOKBACK):m.start()])
    return m.group(0) if keep else "<ip>"


def _mask_url(m: re.Match[str]) -> str:
    return f"{m.group(1).lower()}://{m.group(3).lower()}" + ("/<path>" if m.group(4) and m.group(4) != "/" else "")


@lru_cache(maxsize=4096)
def message_template(exc_type: str, message: str) -> str:
    """The message with volatile values masked (see the module docstring)."""
    text = _WS.sub(" ", message or "").strip()
    if len(text) > 2 and text[0] == text[-1] == '"' and text.count('"') == 2:
        text = text[1:-1].strip()
    text = canonical_wording(text[:2000])
    if "/" in text:
        text = jvm_class_names(exc_type, text)
    if "`" in text:
        text = _CODE_SPAN.sub(r"\1", text)
    text = _URL.sub(_mask_url, text)
    text = _UUID.sub("<uuid>", text)
    text = _TIMESTAMP.sub("<time>", text)
    text = _IP.sub(_mask_ip, text)
    text = _HEX_ADDR.sub("<hex>", text)
    text = _WIN_PATH.sub(lambda m: _mask_path(m.group(0)), text)
    text = _POSIX_PATH.sub(lambda m: _mask_path(m.group(0)) if m.group(0).count("/") >= 2 or
                           m.group(0).startswith(("~", "/")) else m.group(0), text)
    text = _CHAR_ESCAPE.sub("<chr>", text)
    text = _LONG_HEX.sub("<hex>", text)
    text = _NUMBER.sub(_mask_number, text)
    return without_closing_mark(text)


def _descriptor_class(m: re.Match[str]) -> str:
    """A descriptor's class, dotted; a comma between parameters (``(Ljava/util/Map;I)V`` gives
    ``(java.util.Map, I)V``)."""
    name = m.group("name").replace("/", ".")
    nxt = m.string[m.end():m.end() + 1]
    return f"{name}, " if nxt and nxt != ")" else name


def jvm_class_names(exc_type: str, text: str) -> str:
    """JVM class names in one dotted form: ``Ljavax/xml/bind/JAXBContext;`` anywhere, and
    ``javax/xml/bind/JAXBContext`` in the message of a JVM exception about a class
    (``NoClassDefFoundError``), give ``javax.xml.bind.JAXBContext`` as ``ClassNotFoundException`` prints it."""
    text = _JVM_DESCRIPTOR.sub(_descriptor_class, text)
    if exc_type.strip() in _JVM_CLASS_ERRORS:
        text = _JVM_INTERNAL.sub(lambda m: m.group("name").replace("/", "."), text)
    return text


def _split_identifier(token: str) -> list[str]:
    parts = re.split(r"[^A-Za-z0-9]+", token)
    return [p.lower() for p in parts if p and not p.isdigit()]


@lru_cache(maxsize=8192)
def template_tokens(template: str) -> tuple[str, ...]:
    """Lower-case word tokens of a template, versions aside; quoted identifiers also count as
    one whole token (``'node:events'`` gives ``node:events``, ``node`` and ``events``)."""
    without = _CONTRACTION.sub(r"\1\2", _PLACEHOLDER.sub(" ", _words_view(template)))
    tokens: list[str] = []
    for m in _QUOTED.finditer(without):
        whole = (m.group(1) or m.group(2) or m.group(3) or "").lower().rstrip(".,;:")
        if whole and not _WORD.fullmatch(whole) and len(_split_identifier(whole)) > 1:
            tokens.append(f"'{whole}'")
    tokens.extend(w.lower() for w in _WORD.findall(without))
    seen: dict[str, None] = {}
    for t in tokens:
        seen.setdefault(t, None)
    return tuple(seen)


def quoted_values(template: str) -> frozenset[str]:
    """Quoted identifiers of a template (``'cv2'``, ``'user_id'``): the names an error is about,
    versions masked (``'react@<n>'``)."""
    out = set()
    for m in _QUOTED.finditer(_words_view(template)):
        value = (m.group(1) or m.group(2) or m.group(3) or "").lower().rstrip(".,;:")
        if value and not _PLACEHOLDER.fullmatch(value) and not value.startswith("<path>"):
            out.add(value)
    return frozenset(out)


# Exception types every program can raise (Python and JavaScript built-ins): general language
# knowledge. A message of such a type that names no identifier has many possible causes.
_BUILTIN_NAMES = (
    "Exception BaseException ArithmeticError AssertionError AttributeError BlockingIOError BrokenPipeError "
    "BufferError ChildProcessError ConnectionAbortedError ConnectionError ConnectionRefusedError "
    "ConnectionResetError EOFError EnvironmentError FileExistsError FileNotFoundError FloatingPointError "
    "GeneratorExit IOError ImportError IndentationError IndexError InterruptedError IsADirectoryError KeyError "
    "KeyboardInterrupt LookupError MemoryError ModuleNotFoundError NameError NotADirectoryError "
    "NotImplementedError OSError OverflowError PermissionError ProcessLookupError RecursionError "
    "ReferenceError RuntimeError StopIteration SyntaxError SystemError SystemExit TabError TimeoutError "
    "TypeError UnboundLocalError UnicodeDecodeError UnicodeEncodeError UnicodeError ValueError "
    "ZeroDivisionError Error RangeError EvalError URIError AggregateError error "
    # the runtimes of the other languages: Go and Rust panics, the JVM's and .NET's own
    # exceptions (namespace dropped: see _RUNTIME_NAMESPACE), Ruby's core errors
    "panic NullPointerException KotlinNullPointerException ArrayIndexOutOfBoundsException "
    "IndexOutOfBoundsException StringIndexOutOfBoundsException ArithmeticException ClassCastException "
    "ConcurrentModificationException NoSuchElementException NumberFormatException IllegalArgumentException "
    "IllegalStateException UnsupportedOperationException StackOverflowError OutOfMemoryError "
    "NullReferenceException IndexOutOfRangeException ArgumentOutOfRangeException DivideByZeroException "
    "InvalidCastException InvalidOperationException ArgumentNullException ArgumentException FormatException "
    "StackOverflowException KeyNotFoundException NoMethodError ArgumentError FrozenError LocalJumpError "
    "SystemStackError FloatDomainError")
BUILTIN_TYPES = frozenset([*_BUILTIN_NAMES.lower().split(), "fatal error", *_DUMP_TYPES])
"""Built-in types; Python's fatal-error dumps (``Fatal Python error: Segmentation fault``) are
among them, their every message in the runtime's own words: only frames can confirm a match."""
_RUNTIME_NAMESPACE = re.compile(r"^(?:java\.lang|java\.util|kotlin|System(?:\.Collections\.Generic)?)\.(?=\w+$)")
"""Namespaces of a runtime's own exceptions (``java.lang.NullPointerException``,
``System.NullReferenceException``): dropped before the type is looked up."""
_IDENTIFIER = re.compile(r"\b(?:[A-Za-z]+_[A-Za-z0-9_]*|_[A-Za-z0-9_]+|[A-Za-z_]\w*\.[A-Za-z_][\w.]*"
                         r"|[a-z]+[A-Z]\w*|[A-Z]{2,}[a-z]+[A-Z]\w*|[A-Z][A-Z0-9]{2,}|[A-Za-z]+\d+[A-Za-z0-9]*)\b")


def _language_names() -> tuple[frozenset[str], frozenset[str]]:
    """Names that belong to the language itself rather than to a team's code or a library:
    Python's built-in names, the attributes of its built-in types, and JavaScript's global
    values and the methods of its built-in objects. A message that quotes only these
    (``'NoneType' object has no attribute 'get'``, ``'int' and 'str'``) names nothing particular."""
    import builtins

    names: set[str] = set(dir(builtins))
    for t in (object, type(None), bool, int, float, complex, str, bytes, bytearray, list, tuple, dict, set,
              frozenset, range, slice, memoryview, type, BaseException):
        names.add(t.__name__)
        names.update(n for n in dir(t) if not n.startswith("__"))
    names.update(("NoneType", "function", "method", "module", "builtin_function_or_method", "generator",
                  "coroutine", "cell", "code", "frame", "NotImplementedType", "ellipsis", "dict_keys",
                  "dict_values", "dict_items"))
    js_names = ("undefined null NaN Infinity Object Array String Number Boolean Symbol BigInt Promise Function Map "
                "Set Date RegExp Math length map forEach filter reduce find push pop shift slice splice split "
                "join then catch finally call apply bind toString valueOf constructor prototype keys values "
                "entries includes indexOf trim replace match")
    return frozenset(n.lower() for n in names), frozenset(n.lower() for n in js_names.split())


PYTHON_NAMES, JS_NAMES = _language_names()
RUST_NAMES = frozenset(("option::unwrap()", "result::unwrap()", "option::expect()", "result::expect()", "none", "err",
                        "some", "ok", "unwrap()", "expect()"))
LANGUAGE_NAMES = {"python": PYTHON_NAMES, "javascript": JS_NAMES, "typescript": JS_NAMES, "rust": RUST_NAMES}
"""The language's own names, by the error's language; an unknown language uses them all."""
_ALL_NAMES = PYTHON_NAMES | JS_NAMES | RUST_NAMES


# What a language runtime itself says when a line of code meets a value it cannot handle
# (general language knowledge, CPython and JavaScript engines, not tuned to any data). Such a
# message can come from any line of any program; a built-in exception with other wording was
# written by a library or a team (``Working outside of application context``) or reports an
# operating-system condition (``[Errno 98] Address already in use``): it names its cause.
_RUNTIME_WORDING = re.compile("|".join((
    # Python
    r"division by zero", r"division or modulo by zero", r"float (?:modulo|divmod)", r"math domain error",
    r"index out of range", r"pop from (?:an )?empty", r"has no attribute", r"values to unpack",
    r"cannot unpack non-iterable", r"object is not (?:subscriptable|callable|iterable|an iterator|reversible)",
    r"does not support item (?:assignment|deletion)", r"unsupported operand type", r"can only concatenate",
    r"must be (?:str|int|real number|a number|an integer|a string|a mapping|iterable)",
    r"can't multiply sequence", r"bad operand type", r"not supported between instances",
    r"takes (?:<n>|no) (?:positional |keyword )?arguments?", r"required (?:positional|keyword(?:-only)?) argument",
    r"unexpected keyword argument", r"multiple values for (?:keyword )?argument", r"is not defined",
    r"referenced before assignment", r"cannot access (?:local|free) variable", r"invalid literal for",
    r"could not convert string to", r"too large to convert", r"result (?:too large|out of range)",
    r"maximum recursion depth exceeded", r"changed size during iteration", r"unhashable type",
    r"has no len", r"cannot be interpreted as an integer", r"is not in list", r"not in list",
    r"substring not found", r"empty separator", r"dictionary is empty", r"empty sequence", r"empty range",
    r"(?:str|bytes|int|float|list|tuple|dict|set)\(\) argument", r"object cannot be", r"unexpected EOF",
    r"invalid syntax", r"unexpected indent", r"expected an indented block", r"unindent does not match",
    # JavaScript engines
    r"cannot read propert(?:y|ies) of", r"cannot set propert(?:y|ies) of", r"is not a function",
    r"is not a constructor", r"is not iterable", r"call stack size exceeded", r"assignment to constant",
    r"before initialization", r"invalid array length", r"is not an object", r"is undefined", r"is null",
    r"has no properties", r"unexpected token", r"unexpected end of", r"is not valid json",
    r"reduce of empty array", r"too much recursion",
    # Go, Rust, the JVM, .NET and Ruby
    r"goroutines are asleep", r"nil pointer dereference", r"invalid memory address", r"concurrent map",
    r"slice bounds out of range", r"integer divide by zero", r"entry in nil map",
    r"(?:send on|close of) (?:closed|nil) channel",
    r"stack overflow", r"interface conversion", r"out of memory", r"on an? `?(?:none|err)`? value",
    r"index out of bounds", r"out of bounds for length", r"with overflow", r"attempt to divide by zero",
    r"/ by zero", r"object reference not set", r"outside the bounds of the array", r"attempted to divide by zero",
    r"specified cast is not valid", r"collection was modified", r"sequence contains no", r"key was not present",
    r"not in a correct format", r"undefined method", r"undefined local variable", r"divided by <n>",
    r"wrong number of arguments", r"can't modify frozen", r"no implicit conversion",
    # the shell's report of the signal that ended a process (any crashing program prints it)
    r"segmentation fault", r"core dumped", r"bus error", r"floating point exception", r"illegal instruction",
    r"^(?:killed|aborted)$",
)), re.IGNORECASE)
_UNQUOTED_SUBJECT = re.compile(r"^\s*([A-Za-z_$][\w$]*) is not (?:defined|a function|a constructor|iterable)\b"
                               r"|^undefined (?:method|local variable or method) [`']([^`'\s]+)'")
"""An unquoted name the message is about (JavaScript's ``fetch is not defined``, Ruby's
``undefined method `total' for nil``)."""


OUTCOME_ONLY = re.compile(
    r"\bexit(?:ed)? (?:with )?(?:code|status)[:=]? ?(?:-?\d+|<n>)|\breturned (?:-?\d+|<n>) exit status"
    r"|\*\*\* .*\bError (?:\d+|<n>)|^(?:\d+|<n>) (?:errors?|warnings? and (?:\d+|<n>) errors?) generated\b"
    r"|^found (?:\d+|<n>) errors?\b|^compilation terminated\b|^build (?:failed|stopped)\b"
    r"|\bfailed building wheel for\b|^failed to build\b|\bcould not build wheels for\b"
    r"|^resolutionimpossible\b|^(?:\d+|<n>) errors?, (?:\d+|<n>) warnings?, (?:\d+|<n>) (?:informations?|notes?)\b",
    re.IGNORECASE)
"""A tool's line that says *that* something failed, not why: an exit status (``command 'gcc'
failed with exit code 1``, ``make: *** [all] Error 2``, ``ld returned 1 exit status``), a
count of errors (``Found 3 errors in 2 files``, ``1 error generated.``, ``2 errors, 0 warnings,
0 informations``), a verdict
(``Failed building wheel for cffi``, pip's ``ResolutionImpossible``). The reason is on
another line; two such lines say nothing about whether two failures share a cause."""


def is_specific(exc_type: str, template: str, language: str = "", code: str = "") -> bool:
    """Does the error name something particular: an error code (``TS2307``, ``E0277``), a
    library's own exception type, a quoted value, a code identifier (``SECRET_KEY``, ``cv2``,
    ``os.path``) or wording of its own?

    The rule is about the language, not any data: a built-in exception in the runtime's own
    words (:data:`_RUNTIME_WORDING`) naming nothing beyond the language's own names
    (:data:`LANGUAGE_NAMES`) can come from any line of any program (``division by zero``,
    ``list index out of range``, ``'NoneType' object has no attribute 'get'``, ``not enough
    values to unpack``); so can a built-in exception with no message at all, and a tool's
    line that reports only an outcome (:data:`OUTCOME_ONLY`)."""
    if code:
        return True
    name = _RUNTIME_NAMESPACE.sub("", exc_type.strip())
    if name.startswith("builtins."):
        name = name[len("builtins."):]
    if "." in name or name.lower() not in BUILTIN_TYPES:  # a library's own exception class
        return True
    if OUTCOME_ONLY.search(template):
        return False
    own = LANGUAGE_NAMES.get(language, _ALL_NAMES)
    if any(v not in own for v in quoted_values(template)):
        return True
    words = _PLACEHOLDER.sub(" ", template)
    if any(m.group(0).lower() not in own for m in _IDENTIFIER.finditer(words)):
        return True
    subject = _UNQUOTED_SUBJECT.match(template)  # ``fetch is not defined``: the name is unquoted
    if subject and (subject.group(1) or subject.group(2)).lower() not in own:
        return True
    if name.lower() in _DUMP_TYPES:
        return False
    return bool(_WORD.search(words)) and not _RUNTIME_WORDING.search(template)


def type_tokens(exc_type: str) -> tuple[str, ...]:
    st = short_type(exc_type).lower()
    return (st,) if st and st != "error" else ()


def fingerprint(parsed: ParsedError) -> str:
    """Stable id of the error's kind: exception type (without module path), error code and
    message template. Call sites, line numbers and machines do not change it."""
    key = "|".join((short_type(parsed.exc_type), parsed.code or "",
                    message_template(parsed.exc_type, parsed.message).lower()))
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]


def frame_key(frame: Frame) -> str | None:
    """A frame as ``module.function`` (no path, no line): what stays the same across machines."""
    func = (frame.function or "").strip()
    if func in ("<module>", "<anonymous>", "Object.<anonymous>", ""):
        func = ""
    mod = frame.module or ""
    if not mod and not func:
        return None
    if frame.kind == "app" and mod:
        mod = mod.replace("/", ".").rsplit(".", 1)[-1]  # the file name; its folder differs per checkout
    return f"{mod}:{func}" if func else mod


_NOT_A_FOLDER = ("", "~", "<tmp>", "..", ".", "/")


def app_function_key(frame: Frame) -> str | None:
    """An in-app frame as ``folder/file:function`` (``billing/invoice:unit_price``): the
    file's own folder is kept (two ``utils.py`` in two packages differ) but not the checkout
    above it. None for module-level code or an unknown function."""
    key = frame_key(frame)
    if key is None or ":" not in key:
        return None
    parts = [p for p in frame.path.replace("\\", "/").split("/")[:-1] if p not in _NOT_A_FOLDER]
    return f"{parts[-1]}/{key}" if parts else key


_ENTRY_POINTS = frozenset(("main", "<main>", "<top (required)>"))


def is_entry_point(key: str) -> bool:
    """Is a frame key (``:main.main``, ``app/cli:main``, ``Shop.Program.Main``) a program's entry
    point? Every program has one, so two errors raised there share no particular code."""
    function = key.rpartition(":")[2].rpartition(".")[2]
    return function.lower() in _ENTRY_POINTS


def same_function(a: str, b: str) -> bool:
    """Do two :func:`app_function_key` values name one function? A file printed without its
    folder (a top-level script, relative to its checkout) matches that file in any folder.
    A function printed with its package (Go's ``github.com/acme/shop/cart.(*Cart).Total``,
    ``com.acme.Cart.total``, ``shop::cart::total``) is the same function from any path."""
    if a == b:
        return True
    func_a, func_b = a.rpartition(":")[2], b.rpartition(":")[2]
    if func_a == func_b and ("/" in func_a or "::" in func_a or func_a.count(".") >= 2):
        return True
    folder_a, _, rest_a = a.rpartition("/")
    folder_b, _, rest_b = b.rpartition("/")
    return rest_a == rest_b and not (folder_a and folder_b)
