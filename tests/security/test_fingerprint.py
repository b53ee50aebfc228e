"""Scopes, normalized statements and occurrence indexes, without a scanner."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from memory_store.security.findings import Finding
from memory_store.security.fingerprint import Fingerprinter, PythonIndex, TextIndex

SOURCE = '''\
import os


class Store:
    class Inner:
        def save(self, q):
            if q:  # check
                os.system(q)
            os.system(q)
            os.system(q)

    @staticmethod
    @cache(
        size=3)
    def load(path):
        return open(path).read()


async def main():
    eval("1")
'''


def locate(line: int, text: str = SOURCE):
    import ast

    return PythonIndex(ast.parse(text)).locate(line)


@pytest.mark.parametrize("line, scope, statement, occurrence", [
    pytest.param(1, "<module>", "import os", 0, id="module"),
    pytest.param(7, "Store.Inner.save", "if q:", 0, id="compound-header-only"),
    pytest.param(8, "Store.Inner.save", "os.system(q)", 0, id="nested-in-if"),
    pytest.param(9, "Store.Inner.save", "os.system(q)", 1, id="second-identical"),
    pytest.param(10, "Store.Inner.save", "os.system(q)", 2, id="third-identical"),
    pytest.param(14, "Store", "@cache(size=3)", 0, id="decorator-line"),
    pytest.param(15, "Store", "def load(path):", 0, id="def-header"),
    pytest.param(16, "Store.load", "return open(path).read()", 0, id="method-body"),
    pytest.param(20, "main", "eval('1')", 0, id="async-def"),
])
def test_python_scope_and_statement(line, scope, statement, occurrence):
    found = locate(line)
    assert (found.scope, found.statement, found.occurrence) == (scope, statement, occurrence)


def test_formatting_and_comments_do_not_matter():
    a = locate(3, "def f(x):\n    y = 1\n    run(x, shell=True)  # ok\n")
    b = locate(5, "def f(x):\n    y = 1\n\n    run( x ,\n        shell = True )\n")
    assert a == b


def test_text_index_for_other_languages():
    js = "function render(el, html) {\n  if (el) {\n    el.innerHTML = html;\n  }\n}\nel.innerHTML=html;\n"
    idx = TextIndex(js)
    inner, outer = idx.locate(3), idx.locate(6)
    assert inner.statement == outer.statement == "el.innerHTML=html;"
    assert inner.scope == "function render(el,html){ > if(el){" and outer.scope == "<module>"
    assert TextIndex(js.replace("el.innerHTML = html", "el.innerHTML   =   html")).locate(3) == inner


def test_hit_index_separates_two_findings_on_one_statement(workspace):
    (workspace.root / "a.py").write_text("x = eval(a) + eval(b)\n")
    findings = [Finding("bandit", "B307", "a.py", 1, column=c) for c in (14, 4)]
    Fingerprinter(workspace).apply(findings)
    assert sorted(f.hit for f in findings) == [0, 1]
    assert findings[0].fingerprint != findings[1].fingerprint


def test_missing_file_falls_back_to_line(workspace):
    [f] = Fingerprinter(workspace).apply([Finding("bandit", "B101", "gone.py", 4)])
    assert f.statement == "<line 4>" and f.extra["located"] is False and f.fingerprint


TOKENS = ["subprocess", ".", "call", "(", "'systemctl restart '", "+", "name", ",", "shell", "=", "True", ")"]


@given(st.lists(st.sampled_from(["", " ", "  ", "\n        "]), min_size=len(TOKENS), max_size=len(TOKENS)),
       st.sampled_from(["", "  # noqa", "  # restart it"]), st.integers(0, 5))
@settings(max_examples=60, deadline=None)
def test_reformatting_and_moving_never_change_the_fingerprint(gaps, comment, blank_lines_above):
    call, depth = "", 0
    for tok, gap in zip(TOKENS, gaps, strict=True):
        # Line breaks are only legal inside the parentheses.
        call += (gap if depth > 0 or "\n" not in gap else " ") + tok
        depth += {"(": 1, ")": -1}.get(tok, 0)
    base = "class D:\n    def restart(self, name):\n        x = 1\n        {}\n        return x\n"
    original = locate(4, base.format("subprocess.call('systemctl restart ' + name, shell=True)"))
    text = "\n" * blank_lines_above + base.format(call.strip() + comment)
    assert locate(4 + blank_lines_above, text) == original
