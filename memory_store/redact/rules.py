"""The redaction rules: documented token formats first, then secrets recognised by context.

Token formats follow the formats their issuers document (and that secret scanners such as
gitleaks and detect-secrets check for). Context rules catch secrets that have no format of
their own: a password inside a URL or a connection string, the value of ``PASSWORD=``, a
``--password`` flag, a cookie header. They never guess from entropy alone: identifiers,
hashes and paths in ordinary error text stay intact, because matching depends on them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Rule:
    kind: str
    pattern: re.Pattern[str]
    groups: tuple[int, ...] = (0,)
    """Groups that may hold the secret; the first one that matched is replaced (0: the whole match)."""
    keep: Callable[[re.Match[str]], bool] | None = None
    """Returns True for a match that is no secret (left as it is)."""
    needles: tuple[str, ...] = ()
    """Lower-case strings of which every match holds one: text holding none skips the pattern."""


def _r(kind: str, pattern: str, *groups: int, flags: int = 0,
       keep: Callable[[re.Match[str]], bool] | None = None, needles: tuple[str, ...] = ()) -> Rule:
    return Rule(kind, re.compile(pattern, flags), groups or (0,), keep, needles)


_B = r"(?<![A-Za-z0-9_-])"
"""Start of a token: not inside a longer word (``\\b`` would also accept a preceding ``-``)."""
_E = r"(?![A-Za-z0-9_-])"
"""End of a token."""

TOKEN_FORMATS: tuple[Rule, ...] = (
    _r("private-key",
       r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----[\s\S]*?(-----END [A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----|\Z)",
       needles=("private key",)),
    _r("putty-key", r"PuTTY-User-Key-File-\d+:[\s\S]*?(?:Private-(?:MAC|Hash):[ \t]*[0-9A-Fa-f]+|\Z)",
       needles=("putty-user-key-file-",)),
    _r("age-key", r"AGE-SECRET-KEY-1[0-9A-Z]{58}", needles=("age-secret-key-1",)),
    _r("github-token", _B + r"(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})" + _E,
       needles=("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_")),
    _r("gitlab-token", _B + r"gl(?:pat|dt|rt|ptt|ft|imt|oas|cbt|soat|agent)-[A-Za-z0-9_-]{20,}",
       needles=("glpat-", "gldt-", "glrt-", "glptt-", "glft-", "glimt-", "gloas-", "glcbt-", "glsoat-", "glagent-")),
    _r("npm-token", _B + r"npm_[A-Za-z0-9]{36}" + _E, needles=("npm_",)),
    _r("pypi-token", _B + r"pypi-Ag[A-Za-z0-9_-]{50,}", needles=("pypi-ag",)),
    _r("huggingface-token", _B + r"(?:hf_[A-Za-z0-9]{30,}|api_org_[A-Za-z0-9]{30,})" + _E, needles=("hf_", "api_org_")),
    _r("aws-access-key", r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[A-Z0-9]{16}\b",
       needles=("akia", "asia", "agpa", "aida", "aroa", "anpa", "anva", "aipa")),
    _r("aws-secret-key", r"(?i)\baws_?secret_?access_?key\b[\"']?\s*[:=]\s*[\"']?([A-Za-z0-9/+=]{40})", 1,
       needles=("secret",)),
    _r("slack-token", r"\bxox[abposre]-[A-Za-z0-9-]{10,}\b", needles=("xox",)),
    _r("slack-webhook", r"https://hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9/_-]+",
       needles=("hooks.slack.com",)),
    _r("discord-webhook", r"https://(?:(?:ptb|canary)\.)?discord(?:app)?\.com/api/webhooks/\d+/[A-Za-z0-9_-]+",
       needles=("/api/webhooks/",)),
    _r("telegram-bot-token", r"(?<![0-9])[0-9]{5,16}:A[A-Za-z0-9_-]{34}" + _E, needles=(":a",)),
    _r("sendgrid-key", _B + r"SG\.[A-Za-z0-9_-]{16,32}\.[A-Za-z0-9_-]{30,64}" + _E, needles=("sg.",)),
    _r("twilio-key", r"\bSK[0-9a-fA-F]{32}\b"),
    _r("stripe-key", _B + r"(?:[rsp]k_(?:live|test)_[A-Za-z0-9]{16,}|whsec_[A-Za-z0-9+/=]{20,})" + _E,
       needles=("k_live_", "k_test_", "whsec_")),
    _r("openai-key", _B + r"sk-(?:proj-|live-|test-|ant-)?[A-Za-z0-9_-]{20,}" + _E, needles=("sk-",)),
    _r("google-api-key", _B + r"AIza[0-9A-Za-z_-]{35}" + _E, needles=("aiza",)),
    _r("jwt", r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\b", needles=("eyj",)),
    _r("django-secret-key", r"django-insecure-[^\s'\"]{20,}", needles=("django-insecure-",)),
    _r("api-token", _B + r"(?:shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}|do[opr]_v1_[a-f0-9]{64}|hv[sb]\.[A-Za-z0-9_-]{24,}"
       r"|glsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8}|glc_[A-Za-z0-9+/]{32,}={0,2}|PMAK-[a-f0-9]{24}-[a-f0-9]{34}"
       r"|lin_api_[A-Za-z0-9]{40}|NRAK-[A-Z0-9]{27}|dapi[a-f0-9]{32}(?:-\d)?|dp\.(?:pt|st|sa|ct)\.[A-Za-z0-9]{40,}"
       r"|sq0(?:atp|csp)-[A-Za-z0-9_-]{22,}|key-[0-9a-f]{32}|rk_live_[A-Za-z0-9]{24,})" + _E),
)

_PASSWORDISH = (r"(?:password|passwd|passphrase|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|private[_-]?key"
                r"|client[_-]?secret|credentials?|auth[_-]?key|signing[_-]?key|encryption[_-]?key|master[_-]?key"
                r"|session(?:[_-]?(?:id|key|token))?|sessid|secret[_-]?key[_-]?base)")

_NOT_A_VALUE = re.compile(
    r"(?i)(?:none|null|nil|true|false|undefined|empty|required|missing|not|is|was|must|should|\*+|x{3,}|\.{3}|…"
    r"|\$\{?[A-Za-z_][A-Za-z0-9_]*\}?|%\(?[A-Za-z_]*\)?s|\{[A-Za-z_.]*\}|<[^>]*>?)[.,;:)\]}]*"
)
"""Values of ``password=...`` that are placeholders, references or prose, not secrets."""

_NOT_A_SECRET_KEY = re.compile(
    r"(?i)(?:file|path|dir|type|len|length|count|size|limit|field|prompt|env|var|name|ttl|timeout|expiry|expires"
    r"|expires_in|expiration|hint|policy|manager|error|exception|warning|url|uri|endpoint|class|provider|store"
    r"|storage|backend|format|mode|scheme|header|param|policy|min|max|s)$"
)
"""Endings of a key that names something about a secret (``password_file``, ``token_type``), not the secret."""


_CODE_REFERENCE = re.compile(r"[A-Za-z_][\w.]*[(\[]|(?:self|this|cls|settings|config|process\.env)\.[A-Za-z_][\w.]*$")
"""A bare value that is code (a call, a subscript, an attribute of a well-known object), not a secret."""


def _assignment_is_no_secret(m: re.Match[str]) -> bool:
    key = m.group("key")
    ending = re.split(_PASSWORDISH, key, flags=re.IGNORECASE)[-1].strip("_.-")
    if ending and _NOT_A_SECRET_KEY.search(ending):
        return True
    value = m.group("q1") or m.group("q2") or m.group("v") or ""
    if m.group("v") is not None:
        if _NOT_A_VALUE.fullmatch(value) or (value.isdigit() and len(value) < 6):
            return True
        if value.lower() == key.lower().rsplit(".", 1)[-1]:
            return True  # ``password=password``: a keyword argument passing a variable on
        if _CODE_REFERENCE.match(value):
            return True  # ``token = get_token(user)``, ``password = os.environ[...]`` in a source line
    return False


def _url_password_is_no_secret(m: re.Match[str]) -> bool:
    return _NOT_A_VALUE.fullmatch(m.group(2)) is not None


_VALUE = r"(?:\"(?P<q1>[^\"\r\n]+)\"|'(?P<q2>[^'\r\n]+)'|(?P<v>[^\s\"',;]{3,}))"
"""A value: double- or single-quoted (spaces and any punctuation allowed) or bare."""

CONTEXT_RULES: tuple[Rule, ...] = (
    _r("azure-key", r"(?i)\b(?:AccountKey|SharedAccessKey|SharedAccessSignature|SharedSecretValue)\s*=\s*([^;\"'\s]+)",
       1, needles=("accountkey", "sharedaccess", "sharedsecretvalue")),
    _r("connection-string-password",
       r"(?i)(?:^|[;\s\"'{(])(?:password|pwd)\s*=\s*(?![\"'<])([^;\r\n\"'=]*[^;\r\n\"'=\s])\s*;", 1,
       needles=("password", "pwd")),
    _r("connection-string-password", r"(?i);\s*(?:password|pwd)\s*=\s*(?![\"'<])([^;\r\n\"']*[^;\r\n\"'\s])", 1,
       needles=("password", "pwd")),
    _r("url-secret",
       r"(?i)[?&](?:sig|signature|key|api[_-]?key|apikey|token|access[_-]?token|auth[_-]?token|refresh[_-]?token"
       r"|id[_-]?token|client[_-]?secret|secret|password|passwd|pwd|auth|code|private[_-]?token|x-amz-signature"
       r"|x-amz-security-token|x-goog-signature)=([^&\s#\"'<>]+)", 1, needles=("=",)),
    _r("url-password",
       r"(?i)\b([a-z][a-z0-9+.-]*://[^\s:/@\"'<>]*:)(?!\d+(?:/|$))([^\s\"'<>]+)@"
       r"(?=[A-Za-z0-9.\[\]_-]*(?::\d+)?(?:[/?#\s\"',;)>\]]|$))", 2, keep=_url_password_is_no_secret, needles=("://",)),
    _r("url-token", r"(?i)\b[a-z][a-z0-9+.-]*://([A-Za-z0-9_-]{20,})@", 1, needles=("://",)),
    _r("authorization",
       r"(?i)\b(authorization|proxy-authorization)\b([\"']?\s*[:=]\s*[\"']?)"
       r"((?:bearer|basic|token|digest)\s+)?([^\s\"',;]+)", 4, needles=("authorization",)),
    _r("bearer-token", r"(?i)\bbearer\s+([A-Za-z0-9._~+/=-]{12,})", 1, needles=("bearer",)),
    _r("cookie", r"(?i)\b(?:set-)?cookie\b[\"']?\s*[:=]\s*[\"']?([^\r\n\"']+)", 1, needles=("cookie",)),
    _r("cli-password",
       r"(?i)(?<![\w-])--?(?:[\w-]*-)?(?:password|passwd|pass|pwd|token|secret|api-?key|apikey|auth-?token"
       r"|access-?key|secret-?key|client-?secret)(?:=|[ \t]+)(?!-)(?:\"([^\"\r\n]+)\"|'([^'\r\n]+)'|([^\s\"']+))",
       1, 2, 3),
    _r("cli-password", r"\b(?:mysql\w*|mariadb\w*)\b[^\n]*?[ \t]-p([^\s\"']+)", 1),
    _r("cli-password", r"\bsshpass\b[^\n]*?[ \t]-p[ \t]*([^\s\"']+)", 1),
    _r("cli-password", r"\bredis-cli\b[^\n]*?[ \t]-a[ \t]+([^\s\"']+)", 1),
    _r("cli-password", r"(?<![\w-])(?:-u|--user)[ \t]+[\"']?[^\s:\"']+:([^\s\"']+)", 1),
    _r("sql-password", r"(?i)\bidentified\s+(?:with\s+\w+\s+)?by\s+(?:password\s+)?(['\"])([^'\"\r\n]+)\1", 2,
       needles=("identified",)),
    _r("assignment",
       r"(?i)(?<![A-Za-z0-9_.-])(?P<key>[A-Za-z0-9_.-]*" + _PASSWORDISH + r"(?:[_.-][A-Za-z0-9_]*|(?-i:[A-Z])\w*|s)?)"
       r"(?![A-Za-z0-9])"
       r"(?P<sep>[\"']?[ \t]*(?:=>|:=|[:=])[ \t]*)(?!<redacted)" + _VALUE,
       3, 4, 5, keep=_assignment_is_no_secret,
       needles=("pass", "pwd", "secret", "token", "key", "credential", "session", "sessid")),
)

RULES: tuple[Rule, ...] = TOKEN_FORMATS + CONTEXT_RULES
