"""Each bug as a unittest test: python -m unittest tests.test_unit.BugTest.test_NAME"""

import unittest

from shop.bugs import BUGS, trigger


class BugTest(unittest.TestCase):
    pass


for _name in BUGS:
    setattr(BugTest, f"test_{_name}", lambda self, n=_name: trigger(n))
