"""The hover's markdown as a renderer shows it: each part of a past fix on its own
paragraph (a single newline is only a soft break), frame names as code, never emphasis."""

from __future__ import annotations

from markdown_it import MarkdownIt

from memory_store.bugs.match import Match
from server.lsp.render import hover_markdown

RENDERER = MarkdownIt("commonmark")

RECORD = {"id": "bug-1", "fix": "export HOME before starting", "root_cause": "HOME unset in cron",
          "author": "Dana", "created": "2026-12-05T10:00:00Z", "minutes": 20}


def paragraphs(markdown: str) -> list[str]:
    tokens = RENDERER.parse(markdown)
    return [tokens[i + 1].content for i, t in enumerate(tokens) if t.type == "paragraph_open"]


def test_fix_author_and_match_are_separate_paragraphs():
    text = hover_markdown("KeyError: 'HOME'", [Match(RECORD, 0.93, ["same exception type"], True)],
                          {"median": 20, "min": 5, "max": 60, "n": 3})
    shown = paragraphs(text)
    assert "**1. Fix:** export HOME before starting" in shown
    assert "*Root cause:* HOME unset in cron" in shown
    assert "by Dana · 2026-12-05 · took 20 min" in shown
    assert any(p.startswith("Past fixes of this pattern took") for p in shown)
    assert any(p.startswith("*Matched:* score 0.93 — same exception type") for p in shown)


def test_frame_names_render_as_code_not_bold():
    reasons = ["shared frames: os.__getitem__, app.jobs.run", "same library: urllib3"]
    html = RENDERER.render(hover_markdown("KeyError: 'HOME'", [Match(RECORD, 0.9, reasons, True)]))
    assert "<code>os.__getitem__</code>" in html and "<code>app.jobs.run</code>" in html
    assert "<code>urllib3</code>" in html
    assert "<strong>getitem</strong>" not in html


def test_reason_with_prose_after_the_colon_stays_escaped_text():
    html = RENDERER.render(hover_markdown("E", [Match(RECORD, 0.9, ["note: *not* a [link](x)"], True)]))
    assert "<em>not</em>" not in html and "<a " not in html and "*not*" in html
