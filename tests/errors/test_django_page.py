"""Django's debug page (technical 500) pasted as the error: read as the traceback it shows."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from memory_store.bugs.match import BugIndex
from memory_store.bugs.records import BugStore
from memory_store.errors import parse_error
from memory_store.errors.django_page import as_traceback
from memory_store.workspace import Workspace

PAGES = Path(__file__).parent.parent / "data" / "django_pages"


def page(name: str) -> str:
    return (PAGES / f"{name}.txt").read_text(encoding="utf-8")


CONSOLE = """Internal Server Error: /shop/
Traceback (most recent call last):
  File "/srv/app/venv/lib/python3.11/site-packages/django/db/backends/utils.py", line 89, in _execute
    return self.cursor.execute(sql, params)
  File "/srv/app/venv/lib/python3.11/site-packages/django/db/backends/sqlite3/base.py", line 328, in execute
    return super().execute(query, params)
sqlite3.OperationalError: no such table: shop_product

The above exception was the direct cause of the following exception:

Traceback (most recent call last):
  File "/srv/app/venv/lib/python3.11/site-packages/django/core/handlers/exception.py", line 55, in inner
    response = get_response(request)
  File "/srv/app/shop/views.py", line 14, in index
    products = list(Product.objects.all())
  File "/srv/app/venv/lib/python3.11/site-packages/django/db/backends/sqlite3/base.py", line 328, in execute
    return super().execute(query, params)
django.db.utils.OperationalError: no such table: shop_product
"""


def test_the_copy_and_paste_view_gives_the_exception_and_the_final_frames() -> None:
    parsed = parse_error(page("copy_paste_view"))
    assert parsed is not None
    assert (parsed.exc_type, parsed.message) == ("OperationalError", "no such table: shop_product")
    functions = [f.function for f in parsed.frames]
    assert "index" in functions and "inner" in functions
    assert functions.count("_execute") == 1  # the cause's own frames, before Django's chain line, are not its
    app = parsed.innermost_app_frame()
    assert app is not None and app.function == "index" and app.path.endswith("shop/views.py")


def test_the_old_copy_and_paste_view_gives_frames_with_their_lines() -> None:
    parsed = parse_error(page("copy_paste_view_old"))
    assert parsed is not None
    assert (parsed.exc_type, parsed.message) == ("ZeroDivisionError", "division by zero")
    assert [f.function for f in parsed.frames][-1] == "create_order"
    assert parsed.frames[-1].line == 41 and parsed.frames[0].line == 35


def test_the_page_summary_gives_the_raising_frame() -> None:
    parsed = parse_error(page("summary"))
    assert parsed is not None
    assert (parsed.exc_type, parsed.message) == ("OperationalError", "no such table: shop_product")
    assert [(f.function, f.line) for f in parsed.frames] == [("execute", 328)]


def test_the_pasted_page_is_the_text_kept() -> None:
    parsed = parse_error(page("copy_paste_view"))
    assert parsed is not None and "Exception Type: OperationalError at /shop/" in parsed.text


def test_a_multi_line_value_ends_at_the_next_field() -> None:
    text = ("Exception Type: ValidationError at /api/\nException Value: ['Enter a valid date.',\n"
            " 'Enter a valid time.']\nException Location: /srv/app/api/forms.py, line 9, in clean\n")
    parsed = parse_error(text)
    assert parsed is not None and parsed.message == "['Enter a valid date.', 'Enter a valid time.']"
    assert parsed.frames and parsed.frames[0].function == "clean"


def test_prose_naming_the_fields_is_no_page() -> None:
    assert as_traceback("Look at Exception Type: and Exception Value: on the page") is None
    assert as_traceback("KeyError: 'id'") is None


def test_the_page_and_the_server_console_match_as_one_error(workspace: Workspace) -> None:
    """The console of one machine and the debug page of another: the same bug, a confident answer."""
    store = BugStore(workspace)
    rec = store.build(CONSOLE, "run python manage.py migrate: the shop app's tables were never created",
                      author="test")
    other = store.build("KeyError: 'sku'", "send the sku field", author="test")
    found = BugIndex([rec, other]).match(page("copy_paste_view"))
    assert found and found[0].record["id"] == rec["id"] and found[0].confident


@given(st.text(alphabet=st.sampled_from(list("Exception TypeValu:\n\t ()'\"FileLocatin,0123abc.")), max_size=400))
def test_any_text_with_the_field_names_parses_without_error(noise: str) -> None:
    text = "Exception Type: KeyError\n" + noise + "\nException Value: " + noise
    result = as_traceback(text)
    assert result is None or result.startswith("Traceback (most recent call last):")
    parse_error(text)
