"""The one duration wording shared by the CLI, the demo and the hover."""

import pytest

from memory_store.duration import format_minutes


@pytest.mark.parametrize(("value", "text"), [
    pytest.param(0.5, "under a minute", id="seconds"),
    pytest.param(26, "26 min", id="minutes"),
    pytest.param(59.5, "59.5 min", id="just-under-an-hour"),
    pytest.param(66, "1.1 h", id="hours"),
    pytest.param("n/a", "", id="not-a-number"),
    pytest.param(None, "", id="missing"),
])
def test_format_minutes(value: object, text: str) -> None:
    assert format_minutes(value) == text
