"""`python run_bug.py NAME`: run one bug as a plain script."""

import sys

from shop.bugs import trigger

if __name__ == "__main__":
    trigger(sys.argv[1])
