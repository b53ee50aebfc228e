"""`python -m shop.pool NAME`: run one bug in a thread pool."""

import sys
from concurrent.futures import ThreadPoolExecutor

from shop.bugs import trigger


def main(argv):
    with ThreadPoolExecutor(max_workers=2) as pool:
        pool.submit(trigger, argv[1]).result()


if __name__ == "__main__":
    main(sys.argv)
