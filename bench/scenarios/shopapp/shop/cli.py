"""`python -m shop.cli NAME`: run one bug."""

import sys

from shop.bugs import trigger


def main(argv):
    trigger(argv[1])


if __name__ == "__main__":
    main(sys.argv)
