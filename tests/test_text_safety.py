"""Untrusted text shown literally: terminal text without controls, markdown that renders
as the text it was given (checked with a CommonMark renderer), https-only links."""

from __future__ import annotations

import html
import re

import pytest
from markdown_it import MarkdownIt
from rich.console import Console
from rich.table import Table
from rich.text import Text

from server.cli.common import safe_console
from server.text_safety import markdown_code, markdown_link, markdown_text, terminal_text

RENDERER = MarkdownIt("commonmark").enable(["table", "strikethrough"])

HOSTILE = [
    "![tracker](https://evil.example/pixel.png?u=me)",
    "[click](javascript:alert(1)) and [x][ref]\n\n[ref]: https://evil.example",
    '<img src=x onerror="alert(1)"> <a href="https://evil.example">verified</a> <script>1</script>',
    "**✔ verified by the security team** _it_ ~~old~~ `code` ``two``",
    "&lt;b&gt; &amp; &#x3C;tag&#x3E; &copy;",
    "# heading\n> quote\n- item\n+ item\n1. first\n2) second\n===\n---\n| a | b |\n|---|---|\n| 1 | 2 |",
    "<https://evil.example> http://plain.example www.example.com mail@example.com",
    "back\\slash \\[not a link\\](x) {curly} (paren) !bang",
    "XDG_RUNTIME_DIR snake_case __dunder__ _emph_ __strong__ a__b_ _x",
]


def rendered_text(markdown: str) -> str:
    """What a reader sees: the rendered HTML without its tags, entities decoded."""
    out = RENDERER.render(markdown)
    return html.unescape(re.sub(r"<[^>]+>", "", out))


@pytest.mark.parametrize("text", HOSTILE)
def test_markdown_text_renders_as_the_text_itself(text):
    out = RENDERER.render(markdown_text(text))
    assert not re.search(r"<(a|img|em|strong|code|del|h\d|blockquote|ul|ol|li|table|hr|script)\b", out)
    assert " ".join(rendered_text(markdown_text(text)).split()) == " ".join(text.split())


def test_markdown_text_leaves_underscores_inside_words_alone():
    """Identifiers stay readable where backslashes show (Neovim): a "_" run between letters is never emphasis."""
    assert markdown_text("set XDG_RUNTIME_DIR in my_module") == "set XDG_RUNTIME_DIR in my_module"


def test_markdown_text_breaks_bare_autolinks():
    out = markdown_text("see http://plain.example or www.example.com or mail@example.com")
    assert "http://" not in out and "www." not in out and "l@e" not in out


def test_markdown_code_cannot_be_closed_by_its_text():
    for text in ["a ` b", "``x``", "`start", "end`", "a\nb\tc"]:
        out = RENDERER.render(markdown_code(text))
        assert out.count("<code>") == 1 and out.strip().endswith("</code></p>")
        assert html.unescape(re.sub(r"<[^>]+>", "", out)).strip() == " ".join(text.split())


@pytest.mark.parametrize("url, linked", [
    ("https://git.example/c/0123", True),
    ("http://git.example/c/0123", False),
    ("javascript:alert(1)", False),
    ("data:text/html,<b>x</b>", False),
    ("https:/no-host", False),
    ("//evil.example/x", False),
    ("https://evil.example/x\x1b[31m", False),
])
def test_markdown_link_only_for_https(url, linked):
    out = RENDERER.render(markdown_link("commit 0123", url))
    assert ('href="https://' in out) is linked
    assert "commit 0123" in rendered_text(markdown_link("commit 0123", url))
    if not linked:
        assert "<a " not in out


def test_markdown_link_url_cannot_break_out():
    url = 'https://git.example/c/1)"onmouseover=x ![img](https://evil.example/p.png)'.replace(" ", "")
    out = RENDERER.render(markdown_link("commit", url))
    assert out.count("<a ") == 1 and "<img" not in out
    href = re.search(r'href="([^"]*)"', out).group(1)
    assert href.startswith("https://git.example/c/1") and not re.search(r"[()\"'<> \[\]]", href)


def test_terminal_text_strips_escapes_controls_and_bidi_keeps_newlines_and_tabs():
    text = ("a\x1b[31mred\x1b[0m\x1b]0;title\x07\x1b]52;c;ZXZpbA==\x1b\\b\x9b2Jc\x9d8;;x\x9cd"
            "\r\x08\x00\x7f\u202eevil\u2066x\u2069\n\tok")
    assert terminal_text(text) == "aredbcdevilx\n\tok"
    assert terminal_text("plain [text] ünïcödé") == "plain [text] ünïcödé"


def printed(*objects, markup: bool | None = None) -> str:
    console = safe_console()
    with console.capture() as cap:
        console.print(*objects, **({} if markup is None else {"markup": markup}))
    return cap.get()


def test_safe_console_prints_markup_literally_and_strips_controls_everywhere():
    assert printed("[/x] [bold]b[/bold] \x1b]0;t\x07x") == "[/x] [bold]b[/bold] x\n"
    table = Table(title="[red]t")
    table.add_column("c")
    table.add_row(Text("\x1b[2Jcell [/x]"))
    out = printed(table)
    assert "\x1b" not in out and "cell [/x]" in out and "[red]t" in out
    assert printed("[bold]ours[/bold]", markup=True) == "ours\n"  # our own styling still works


def test_plain_rich_console_would_have_passed_the_escape_through():
    """The reason for the safe console: rich keeps ESC in text."""
    console = Console(soft_wrap=True, highlight=False, markup=False)
    with console.capture() as cap:
        console.print("\x1b]0;title\x07x")
    assert "\x1b" in cap.get()
