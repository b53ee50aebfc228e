"""One error in one wording: what two runtime versions print for one failure shares its
template, and a fix recorded under one wording is found from the other."""

from __future__ import annotations

import pytest

from memory_store.bugs.match import BugIndex
from memory_store.bugs.records import BugStore
from memory_store.errors import ParsedError, fingerprint, message_template, parse_error
from memory_store.errors.wording import EQUIVALENTS, canonical_wording
from memory_store.workspace import Workspace


def _same(a: tuple[str, str], b: tuple[str, str]) -> bool:
    return fingerprint(ParsedError(exc_type=a[0], message=a[1])) == \
        fingerprint(ParsedError(exc_type=b[0], message=b[1]))


@pytest.mark.parametrize("old, new", [
    pytest.param(("TypeError", "Cannot read property 'map' of undefined"),
                 ("TypeError", "Cannot read properties of undefined (reading 'map')"), id="v8-read-property"),
    pytest.param(("TypeError", "Cannot set property 'innerHTML' of null"),
                 ("TypeError", "Cannot set properties of null (setting 'innerHTML')"), id="v8-set-property"),
    pytest.param(("UnboundLocalError", "local variable 'total' referenced before assignment"),
                 ("UnboundLocalError", "cannot access local variable 'total' where it is not associated with a value"),
                 id="cpython-3.11-unbound-local"),
    pytest.param(("NameError", "free variable 'conn' referenced before assignment in enclosing scope"),
                 ("NameError", "cannot access free variable 'conn' where it is not associated with a value in "
                               "enclosing scope"), id="cpython-3.11-free-variable"),
    pytest.param(("ImportError", "No module named yaml"), ("ImportError", "No module named 'yaml'"),
                 id="python2-unquoted-module"),
    pytest.param(("NameError", "name 'sys' is not defined. Did you forget to import 'sys'?"),
                 ("NameError", "name 'sys' is not defined"), id="cpython-3.12-import-hint"),
    pytest.param(("AttributeError", "module 'os' has no attribute 'getcwdu'. Did you mean: 'getcwd'?"),
                 ("AttributeError", "module 'os' has no attribute 'getcwdu'"), id="cpython-3.10-suggestion"),
    pytest.param(("OperationalError", "database is locked:"), ("OperationalError", "database is locked"),
                 id="closing-colon"),
    pytest.param(("AppRegistryNotReady", "Apps aren't loaded yet."), ("AppRegistryNotReady", "Apps aren't loaded yet"),
                 id="closing-period"),
])
def test_one_error_in_two_wordings_has_one_fingerprint(old: tuple[str, str], new: tuple[str, str]) -> None:
    assert _same(old, new)


@pytest.mark.parametrize("a, b", [
    pytest.param(("SyntaxError", "Unexpected token :"), ("SyntaxError", "Unexpected token"),
                 id="a-lone-mark-is-the-subject"),
    pytest.param(("TypeError", "Cannot read property 'map' of undefined"),
                 ("TypeError", "Cannot read properties of undefined (reading 'filter')"), id="another-property"),
    pytest.param(("ImportError", "No module named yaml"), ("ImportError", "No module named 'toml'"),
                 id="another-module"),
    pytest.param(("AttributeError", "module 'os' has no attribute 'getcwdu'. Did you mean: 'getcwd'?"),
                 ("AttributeError", "module 'os' has no attribute 'walkk'. Did you mean: 'walk'?"),
                 id="another-name-with-a-suggestion"),
])
def test_a_rewording_never_merges_two_errors(a: tuple[str, str], b: tuple[str, str]) -> None:
    assert not _same(a, b)


def test_every_rewrite_says_why() -> None:
    assert EQUIVALENTS and all(len(eq.reason) > 20 for eq in EQUIVALENTS)


def test_a_suggestion_inside_the_message_stays() -> None:
    text = "Did you mean to call it? 'NoneType' object is not callable"
    assert canonical_wording(text) == text


def test_operating_system_texts_keep_their_platform_words() -> None:
    """A bare OS error says what was refused, not why: the Windows and Linux texts are not made
    equal (see the module docstring), so they never become exact look-alikes of each other."""
    win = ("ConnectionRefusedError", "[WinError 10061] No connection could be made because the target machine "
                                     "actively refused it")
    assert not _same(win, ("ConnectionRefusedError", "[Errno 111] Connection refused"))


def test_a_jvm_descriptor_still_reads_as_a_class_without_its_closing_semicolon() -> None:
    template = message_template("java.lang.NoSuchMethodError",
                                "com.google.common.base.Splitter.splitToList(Ljava/lang/CharSequence;)Ljava/util/List;")
    assert template.endswith("(java.lang.CharSequence)java.util.List")


def test_the_stored_message_keeps_its_own_words(workspace: Workspace) -> None:
    rec = BugStore(workspace).build("TypeError: Cannot read property 'map' of undefined", "guard the list",
                                    author="test")
    assert rec["error"]["message"] == "Cannot read property 'map' of undefined"


NODE14 = """TypeError: Cannot read property 'map' of undefined
    at renderRows ({root}/src/table.js:14:22)
    at Object.<anonymous> ({root}/src/index.js:3:1)
"""
NODE18 = """TypeError: Cannot read properties of undefined (reading 'map')
    at renderRows ({root}/src/table.js:15:22)
    at Object.<anonymous> ({root}/src/index.js:3:1)
"""


def test_a_fix_recorded_on_an_older_runtime_answers_the_newer_wording(workspace: Workspace) -> None:
    store = BugStore(workspace)
    rec = store.build(NODE14.format(root="/home/ana/shop"), "renderRows: default rows to [] until the fetch resolves",
                      author="test")
    found = BugIndex([rec]).match(NODE18.format(root="/home/li/code/shop"))
    assert found and found[0].record["id"] == rec["id"] and found[0].confident


def test_the_newer_wording_from_another_function_is_still_no_answer(workspace: Workspace) -> None:
    """A generic message is confident only when the same function raised it, in either wording."""
    store = BugStore(workspace)
    rec = store.build(NODE14.format(root="/home/ana/shop"), "renderRows: default rows to [] until the fetch resolves",
                      author="test")
    other = NODE18.replace("renderRows", "drawChart").replace("table.js", "chart.js")
    assert not BugIndex([rec]).match(other.format(root="/home/li/code/shop"))


def test_parsing_is_unchanged_by_the_shared_wording() -> None:
    parsed = parse_error("UnboundLocalError: local variable 'total' referenced before assignment")
    assert parsed is not None and parsed.message == "local variable 'total' referenced before assignment"
