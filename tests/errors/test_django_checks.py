"""Django's system checks: the first finding under the generic headline is the error."""

from __future__ import annotations

from memory_store.bugs.match import BugIndex
from memory_store.bugs.records import BugStore
from memory_store.errors import parse_error
from memory_store.workspace import Workspace

MANAGE = """SystemCheckError: System check identified some issues:

ERRORS:
shop.Product.price: (fields.E130) DecimalFields must define a 'decimal_places' attribute.
shop.Product.price: (fields.E132) DecimalFields must define a 'max_digits' attribute.

System check identified 2 issues (0 silenced).
"""

RUNSERVER = (
    "Watching for file changes with StatReloader\n"
    "Performing system checks...\n\n"
    "Exception in thread django-main-thread:\n"
    "Traceback (most recent call last):\n"
    '  File "/usr/local/lib/python3.12/site-packages/django/core/management/base.py", line 569, in check\n'
    "    raise SystemCheckError(msg)\n"
    "django.core.management.base.SystemCheckError: SystemCheckError: System check identified some issues:\n\n"
    "WARNINGS:\n"
    "blog.Post: (models.W042) Auto-created primary key used when not defining a primary key type, by default "
    "'django.db.models.AutoField'.\n"
    "\tHINT: Configure the DEFAULT_AUTO_FIELD setting.\n\n"
    "ERRORS:\n"
    "?: (admin.E403) A 'django.template.backends.django.DjangoTemplates' instance must be configured in TEMPLATES "
    "in order to use the admin application.\n"
)


def test_the_first_check_is_the_error_with_its_id() -> None:
    parsed = parse_error(MANAGE)
    assert parsed is not None
    assert (parsed.exc_type, parsed.code) == ("SystemCheckError", "fields.E130")
    assert parsed.message == "DecimalFields must define a 'decimal_places' attribute."
    assert parsed.detail.startswith("shop.Product.price")


def test_an_error_comes_before_a_warning() -> None:
    parsed = parse_error(RUNSERVER)
    assert parsed is not None and parsed.code == "admin.E403"
    assert parsed.message.startswith("A 'django.template.backends.django.DjangoTemplates' instance must be configured")


def test_other_headlines_are_left_alone() -> None:
    parsed = parse_error("ValueError: ERRORS:\nshop.x: (fields.E130) looks like a check\n")
    assert parsed is not None and parsed.code is None and parsed.message == "ERRORS:"


def test_the_same_check_in_another_project_matches(workspace: Workspace) -> None:
    store = BugStore(workspace)
    rec = store.build(MANAGE, "give every DecimalField max_digits and decimal_places", author="test")
    other = store.build("KeyError: 'sku'", "send the sku field", author="test")
    query = MANAGE.replace("shop.Product.price", "billing.Invoice.total")
    found = BugIndex([rec, other]).match(query)
    assert found and found[0].record["id"] == rec["id"] and found[0].confident
