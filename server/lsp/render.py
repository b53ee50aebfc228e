"""Markdown for hovers and messages, from match results (no LSP types here).

Everything taken from a record, decision or finding is untrusted and goes through
:mod:`server.text_safety`: shown literally (no links, images, HTML or emphasis of its own),
and a record's commit url is linked only when it is ``https:``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from memory_store.authorship import agent_written
from memory_store.bugs.feedback import counts_text
from memory_store.bugs.match import Match
from memory_store.duration import format_minutes
from server.text_safety import markdown_code, markdown_link, markdown_text

MAX_FIXES_SHOWN = 3
RECORD_HINT = ("Record one with the code action **Record fix for this error**, "
               "or `teamlore bugs add --error FILE --fix TEXT`.")


def _one_line(text: object, limit: int = 160) -> str:
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _code(text: object) -> str:
    return markdown_code(_one_line(text, 200))


def _text(text: Any, limit: int = 160) -> str:
    """Untrusted text on one line, shown literally."""
    return markdown_text(_one_line(text, limit))


_IDENTIFIER = re.compile(r"[A-Za-z_][\w.<>-]*")


def _reason(reason: object) -> str:
    """A match reason; the names in "shared frames: os.__getitem__, app.load" (frames,
    libraries) become code spans, so ``__x__`` reads as a name, never as bold."""
    label, sep, names = str(reason).partition(": ")
    items = [n.strip() for n in names.split(",")]
    if sep and all(_IDENTIFIER.fullmatch(n) for n in items):
        return f"{_text(label)}: " + ", ".join(_code(n) for n in items)
    return _text(reason)


def _date(value: Any) -> str:
    return str(value)[:10] if value else ""


def _stats_line(stats: Any) -> str:
    """``fix_time_stats`` result -> "took 20 min (median), 5 min – 1.0 h over 3 fixes"."""
    if not isinstance(stats, dict):
        stats = getattr(stats, "__dict__", None) or {}
    median = stats.get("median")
    if median is None:
        return ""
    low, high, n = stats.get("min"), stats.get("max"), stats.get("count") or stats.get("n")
    line = f"Past fixes of this pattern took {format_minutes(median)} (median)"
    if low is not None and high is not None and low != high:
        line += f", {format_minutes(low)} – {format_minutes(high)}"
    if n:
        line += f" over {n} fix{'es' if n != 1 else ''}"
    return line + "."


def _commit(rec: dict[str, Any]) -> str:
    url = rec.get("commit_url")
    commit = rec.get("commit") or rec.get("fix_commit")
    if isinstance(commit, dict):
        url = url or commit.get("url")
        commit = commit.get("sha") or commit.get("id")
    if not commit and not url:
        return ""
    label = f"commit {str(commit)[:10]}" if commit else "commit"
    return markdown_link(label, url)


def _authorship(rec: dict[str, Any]) -> list[str]:
    """Who wrote the record, who wrote its fix text and who accepted it, agents flagged."""
    who = rec.get("author") or "unknown"
    meta = [f"by {_text(who, 80)}"]
    fix_by = rec.get("fix_by")
    if fix_by and fix_by != who:
        meta.append(f"fix text by {_text(fix_by, 80)}")
    if agent_written(rec):
        meta.append("**agent-written**")
    if rec.get("accepted_by"):
        meta.append(f"accepted by {_text(rec['accepted_by'], 80)}")
    return meta


def match_markdown(match: Match, n: int, link: str | None = None) -> str:
    """One past fix, one paragraph per line (a single newline is a soft break in markdown:
    the lines would run together); ``link``: where the record file can be opened."""
    rec = match.record
    lines = [f"**{n}. Fix:** {_text(rec.get('fix') or '(no fix text)', 400)}"]
    if rec.get("root_cause"):
        lines.append(f"*Root cause:* {_text(rec['root_cause'], 300)}")
    meta = _authorship(rec)
    if _date(rec.get("created")):
        meta.append(_text(_date(rec.get("created"))))
    if rec.get("minutes") is not None and format_minutes(rec.get("minutes")):
        meta.append(f"took {format_minutes(rec['minutes'])}")
    commit = _commit(rec)
    if commit:
        meta.append(commit)
    counts = counts_text(int(getattr(match, "confirmations", 0)), int(getattr(match, "rejections", 0)))
    if counts:
        meta.append(f"**{counts}**")
    lines.append(" · ".join(meta))
    reasons = ", ".join(_reason(r) for r in match.reasons)
    score = f"score {float(match.score or 0):.2f}"
    # the link is the server's own (file: uri of the record, made only for a safe record id)
    record_id = f"[{_code(rec.get('id'))}]({link})" if link else _code(rec.get("id"))
    lines.append(f"*Matched:* {score}" + (f" — {reasons}" if reasons else "") + f" · {record_id}")
    return "\n\n".join(lines)


def hover_markdown(error: str, matches: list[Match], stats: Any = None, weak: list[Match] | None = None,
                   links: dict[str, str] | None = None) -> str:
    """The hover over a known error: its best past fixes, or an honest "none" (naming the
    closest unconfident candidate, clearly marked, when there is one). ``links``: record id
    -> where its file can be opened."""
    head = f"**teamlore** · {_code(error.strip().splitlines()[-1] if error.strip() else error)}"
    if not matches and weak:
        best = weak[0]
        reasons = ", ".join(_reason(r) for r in best.reasons)
        return (f"{head}\n\nNo confident past fix for this error. The closest record "
                f"(score {float(best.score or 0):.2f}{' — ' + reasons if reasons else ''}) may not apply:"
                f" {_text(best.record.get('fix') or '', 200)} · {_code(best.record.get('id'))}\n\n"
                f"{RECORD_HINT}\n")
    if not matches:
        return f"{head}\n\nNo past fix recorded for this error. {RECORD_HINT}"
    count = len(matches)
    parts = [head, "", f"**Seen before:** {count} past fix{'es' if count != 1 else ''}."]
    stats_line = _stats_line(stats)
    if stats_line:
        parts += ["", stats_line]
    parts.append("")
    for n, m in enumerate(matches[:MAX_FIXES_SHOWN], 1):
        parts.append(match_markdown(m, n, (links or {}).get(str(m.record.get("id")))))
        parts.append("")
    if count > MAX_FIXES_SHOWN:
        parts.append(f"…and {count - MAX_FIXES_SHOWN} more (code action **Show {count} past fixes**).")
    return "\n".join(parts).rstrip() + "\n"


_STATUS_TEXT = {
    "active": "no team decision yet: mark it as a false positive or accept the risk (code actions), or fix it",
    "suppressed": "suppressed by a team decision",
    "stale": "the code flagged when the team decided changed: please re-review the decision",
}


def finding_markdown(data: Mapping[str, Any]) -> str:
    """A security finding and what the team's memory says about it."""
    status = str(data.get("status") or "active")
    head = (f"**teamlore** · {_text(data.get('tool') or 'scanner', 40)} {_code(data.get('rule') or '?')} · "
            f"**{_text(status, 40)}**")
    lines = [head, (_STATUS_TEXT.get(status) or _text(status, 40)) + "."]
    if data.get("decision"):
        reason = f": {_text(data['reason'], 200)}" if data.get("reason") else ""
        lines.append(f"Decision {_code(data['decision'])}{reason}")
    if data.get("suggestion"):
        lines.append(f"*Suggestion:* {_text(data['suggestion'], 300)}")
    if data.get("fingerprint"):
        lines.append(f"Fingerprint {_code(data['fingerprint'])}")
    return "\n\n".join(lines) + "\n"
