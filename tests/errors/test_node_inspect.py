"""The properties Node prints after an error (``{ code: 'ERR_OSSL_EVP_UNSUPPORTED' }``) and an
error printed by ``console.log(err)`` without its stack (``[Error: msg] { ... }``)."""

from __future__ import annotations

from memory_store.bugs.match import BugIndex
from memory_store.bugs.records import BugStore
from memory_store.errors import extract_errors, parse_error
from memory_store.workspace import Workspace

OSSL = """Error: error:0308010C:digital envelope routines::unsupported
    at new Hash (node:internal/crypto/hash:71:19)
    at Object.createHash (node:crypto:133:10)
    at module.exports (/app/node_modules/webpack/lib/util/createHash.js:135:53) {
  opensslErrorStack: [ 'error:03000086:digital envelope routines::initialization error' ],
  library: 'digital envelope routines',
  reason: 'unsupported',
  code: 'ERR_OSSL_EVP_UNSUPPORTED'
}

Node.js v18.19.0
"""

INSPECTED = """[Error: ENOENT: no such file or directory, open '/app/config.json'] {
  errno: -2,
  code: 'ENOENT',
  syscall: 'open',
  path: '/app/config.json'
}
"""


def test_the_code_after_a_stack_is_the_errors_code() -> None:
    parsed = parse_error(OSSL)
    assert parsed is not None and parsed.code == "ERR_OSSL_EVP_UNSUPPORTED"
    assert parsed.message == "error:0308010C:digital envelope routines::unsupported"
    assert [f.function for f in parsed.frames] == ["module.exports", "Object.createHash", "new Hash"]


def test_an_error_logged_without_its_stack_is_read_with_its_code() -> None:
    parsed = parse_error(INSPECTED)
    assert parsed is not None
    assert (parsed.exc_type, parsed.code) == ("Error", "ENOENT")
    assert parsed.message == "ENOENT: no such file or directory, open '/app/config.json'"


def test_property_lines_are_never_errors_of_their_own() -> None:
    assert [(e.code, e.message[:6]) for e in extract_errors(INSPECTED)] == [("ENOENT", "ENOENT")]
    assert [e.code for e in extract_errors(OSSL)] == ["ERR_OSSL_EVP_UNSUPPORTED"]


def test_the_closing_brace_ends_the_error_so_the_next_one_is_read_whole() -> None:
    parsed = parse_error(INSPECTED + OSSL)
    assert parsed is not None and parsed.code == "ERR_OSSL_EVP_UNSUPPORTED" and len(parsed.frames) == 3


def test_a_code_in_the_error_line_is_kept_over_a_property() -> None:
    text = "Error [ERR_REQUIRE_ESM]: require() of ES Module /a/x.js not supported.\n    at f (/a/b.js:1:1) {\n" \
           "  code: 'SOMETHING_ELSE'\n}\n"
    parsed = parse_error(text)
    assert parsed is not None and parsed.code == "ERR_REQUIRE_ESM"


def test_a_line_after_an_unclosed_block_is_read_again() -> None:
    text = "[Error: boom] {\nTypeError: Cannot read properties of undefined (reading 'id')\n    at load (/a/u.js:3:9)\n"
    parsed = parse_error(text)
    assert parsed is not None and parsed.exc_type == "TypeError"


def test_the_same_openssl_error_from_another_project_matches(workspace: Workspace) -> None:
    store = BugStore(workspace)
    rec = store.build(OSSL, "webpack 4 on Node 17+: set NODE_OPTIONS=--openssl-legacy-provider or upgrade webpack",
                      author="test")
    other = store.build(INSPECTED, "create config.json from config.example.json", author="test")
    query = OSSL.replace("/app/", "/home/li/site/").replace("135:53", "135:40")
    found = BugIndex([rec, other]).match(query)
    assert found and found[0].record["id"] == rec["id"] and found[0].confident


ESM_SYNTAX = """/app/index.js:1
import express from 'express';
^^^^^^

SyntaxError: Cannot use import statement outside a module
    at internalCompileFunction (node:internal/vm:73:18)
    at wrapSafe (node:internal/modules/cjs/loader:1178:20)

Node.js v18.17.0
"""


def test_a_node_syntax_error_is_located_at_the_file_node_prints_above_it() -> None:
    parsed = parse_error(ESM_SYNTAX)
    assert parsed is not None and parsed.exc_type == "SyntaxError"
    assert parsed.location is not None and (parsed.location.path, parsed.location.line) == ("/app/index.js", 1)


def test_a_node_syntax_error_in_a_command_output_is_located_too() -> None:
    """What ``teamlore run`` reads: each error located at the head printed before it."""
    output = "> node app.js\n" + ESM_SYNTAX + "\n> node other.js\n" + ESM_SYNTAX.replace(
        "/app/index.js:1", "/app/other.js:4").replace("Cannot use import statement", "Unexpected token 'export' in")
    errors = extract_errors(output)
    assert [(e.location.path, e.location.line) if e.location else None for e in errors] == [
        ("/app/index.js", 1), ("/app/other.js", 4)]


def test_a_syntax_error_without_that_header_has_no_invented_location() -> None:
    parsed = parse_error("SyntaxError: Unexpected token } in JSON at position 42\n    at JSON.parse (<anonymous>)\n")
    assert parsed is not None and parsed.location is None
