"""Redaction: every made-up secret of the corpus disappears, ordinary error text stays as it is."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from memory_store.bugs.records import author_name
from memory_store.debt.markers import MAX_TEXT, count_text
from memory_store.redact import KINDS, find_secrets, redact

CORPUS_PATH = Path(__file__).parent / "data" / "secrets" / "corpus.jsonl"
CORPUS: list[dict[str, str]] = [json.loads(line) for line in CORPUS_PATH.read_text(encoding="utf-8").splitlines()
                                if line.strip()]
_PLACEHOLDER = re.compile(r"<redacted:[\w-]+>")


def leaked_pieces(secret: str, text: str, redacted: str, size: int = 6) -> list[str]:
    """Pieces of ``secret`` (``size`` characters) still in ``redacted`` that were not elsewhere in ``text``.

    A partly redacted secret leaks too: checking only for the whole secret would miss it.
    """
    context = text.replace(secret, "\0")
    rest = _PLACEHOLDER.sub("\0", redacted)
    size = min(size, len(secret))
    pieces = {secret[i:i + size] for i in range(len(secret) - size + 1)}
    return sorted(p for p in pieces if p.strip() and p in rest and p not in context)


def test_corpus_is_large_and_varied() -> None:
    assert len(CORPUS) >= 60
    assert len({e["id"] for e in CORPUS}) == len(CORPUS)
    assert len({e["kind"] for e in CORPUS}) >= 26
    for entry in CORPUS:
        assert entry["secret"] in entry["text"], entry["id"]


@pytest.mark.parametrize("entry", CORPUS, ids=[e["id"] + "-" + e["kind"] for e in CORPUS])
def test_corpus_secret_disappears(entry: dict[str, str]) -> None:
    out = redact(entry["text"])
    assert leaked_pieces(entry["secret"], entry["text"], out) == []
    assert "<redacted:" in out
    assert redact(out) == out, "redacting twice changes nothing"


def test_every_kind_is_exercised_by_the_corpus() -> None:
    seen = {kind for entry in CORPUS for kind in find_secrets(entry["text"])}
    assert set(KINDS) <= seen, f"no corpus entry for {sorted(set(KINDS) - seen)}"


def test_leak_check_sees_a_partial_leak() -> None:
    text = "password=Sup3r)Secret"
    assert leaked_pieces("Sup3r)Secret", text, "password=<redacted:assignment>)Secret") == [")Secre", "Secret"]
    assert leaked_pieces("Sup3r)Secret", text, "password=<redacted:assignment>") == []


ORDINARY = [
    "KeyError: 'password'",
    "jwt.exceptions.InvalidTokenError: Not enough segments",
    "TokenError: Token is invalid or expired",
    "django.core.exceptions.ImproperlyConfigured: The SECRET_KEY setting must not be empty.",
    "TypeError: connect() got an unexpected keyword argument 'passwd'",
    "ValueError: Invalid password: must be at least 8 characters",
    "java.lang.IllegalArgumentException: token=null",
    "Caused by: org.postgresql.util.PSQLException: FATAL: password authentication failed for user \"app\"",
    "    conn = psycopg2.connect(dbname=dbname, user=user, password=password, host=host)",
    "    password = os.environ['DB_PASSWORD']",
    "    token = get_token(user)",
    "    tokenizer = AutoTokenizer.from_pretrained(name)",
    "run(password_file=/etc/app/pw, token_type=bearer)",
    "openai.BadRequestError: max_tokens=4096 is too large",
    "session=<sqlalchemy.orm.session.Session object at 0x7f3a2b1c>",
    "kombu: Cannot connect to amqp://guest:**@127.0.0.1:5672//: timed out.",
    "fatal: could not read from git@github.com:acme/repo.git",
    "GET http://localhost:8080/api/v1/items failed",
    "$ mkdir -p build && cmake .. && make -j4",
    "commit 3f2a9c1e0b8d7a6f5e4d3c2b1a0f9e8d7c6b5a49 id=550e8400-e29b-41d4-a716-446655440000",
    "  File \"/usr/lib/python3.11/site-packages/requests/auth.py\", line 28, in _basic_auth_str",
    "    at Object.<anonymous> (/app/node_modules/jsonwebtoken/verify.js:75:21)",
    "http.cookies.CookieError: Illegal key 'a b'",
    "secrets.token_hex(16) returned 32 characters",
]


@pytest.mark.parametrize("text", ORDINARY)
def test_ordinary_error_text_is_untouched(text: str) -> None:
    assert redact(text) == text


def test_a_password_keeps_its_own_bracket_and_leaves_the_calls() -> None:
    assert redact("connect(password=s3cr)t)") == "connect(password=<redacted:assignment>)"


@pytest.mark.parametrize("raw", ["Ann password=hunter2xyz", "ghp_" + "Q7w" * 12, "Ann --token s3cretvalue1"])
def test_author_is_redacted(raw: str) -> None:
    name = author_name(raw)
    assert "hunter2xyz" not in name and "Q7wQ7w" not in name and "s3cretvalue1" not in name
    assert "<redacted:" in name


def test_author_is_one_line_and_capped() -> None:
    assert author_name("Ann\n  Smith") == "Ann Smith"
    assert len(author_name("x" * 10_000)) <= 200


def test_long_marker_text_is_redacted_before_it_is_cut() -> None:
    secret = "AKIA" + "Q7W2E9R4T6Y1U3I8"
    line = "# TODO rotate: " + "the key in the deploy job " * 5 + secret + " before release\n"
    [marker] = count_text("deploy.py", line, ["TODO"])
    assert len(marker.text) <= MAX_TEXT and secret[:8] not in marker.text


def test_url_password_cut_at_the_at_sign_is_redacted() -> None:
    assert redact("failed: https://AC12:0f9e8d7c6b5a@") == "failed: https://AC12:<redacted:url-password>@"
