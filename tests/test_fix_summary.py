"""The proposed summary of a captured fix names the code change nearest the error's frame."""

from __future__ import annotations

from memory_store.bugs.diffs import code_blocks, parse_unified_diff, summarize

DIFF = '''\
diff --git a/shop/stats.py b/shop/stats.py
--- a/shop/stats.py
+++ b/shop/stats.py
@@ -1,14 +1,16 @@
 def avg(xs):
-    """Average of xs."""
+    """Average of xs; an empty list averages to 0."""
     # the mean
-    return sum(xs) / len(xs)
+    if not xs:
+        return 0.0
+    return sum(xs) / len(xs)
|
|
 def spread(xs):
-    # TODO: handle one value
+    # one value: no spread
     return max(xs) - min(xs)
|
|
diff --git a/shop/report.py b/shop/report.py
--- a/shop/report.py
+++ b/shop/report.py
@@ -10,3 +10,6 @@ def render(rows):
     """Render rows.
-
-    Rows are dicts.
+
+    Rows are dicts with a
+    'total' key.
     """
     return [avg(r["xs"]) for r in rows]
'''.replace("\n|", "\n ")  # "|": an empty context line (a single space in a diff)


def test_summary_quotes_the_code_change_not_the_docstring_or_comment() -> None:
    files = parse_unified_diff(DIFF)
    # the frame points at line 2 (the docstring's line): the nearest *code* change is the guard
    summary = summarize(files, {"shop/report.py": [15], "shop/stats.py": [2]})
    assert "changed shop/stats.py (+5 -3): `if not xs:`" in summary
    assert "Average" not in summary and "one value" not in summary
    # the edited comment on line 8 is no fix either: the guard is still the change quoted
    assert "`if not xs:`" in summarize(files, {"shop/stats.py": [8]})


def test_a_file_whose_only_change_is_prose_gets_no_quote() -> None:
    files = parse_unified_diff(DIFF)
    summary = summarize(files, {"shop/report.py": [12]})
    assert "changed shop/report.py (+3 -2)" in summary
    assert "Rows are" not in summary and "total" not in summary


def test_code_blocks_mark_docstring_and_comment_runs_as_empty() -> None:
    hunk = parse_unified_diff(DIFF)[0].hunks[0]
    blocks = code_blocks(hunk)
    assert [b[2] for b in blocks] == [[], ["if not xs:", "return 0.0", "return sum(xs) / len(xs)"], []]
    assert [b[0] for b in blocks] == [2, 4, 8]
