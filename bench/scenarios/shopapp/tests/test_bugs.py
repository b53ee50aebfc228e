"""Each bug as a pytest test (select one with -k)."""

import pytest
from shop.bugs import BUGS, trigger


@pytest.mark.parametrize("name", sorted(BUGS))
def test_bug(name):
    trigger(name)
