"""`python -m shop.logged NAME`: the error reported by logger.exception."""

import logging
import sys

from shop.bugs import trigger

log = logging.getLogger("shop")


def main(argv):
    try:
        trigger(argv[1])
    except Exception:
        log.exception("request failed")
        return 1
    return 0


if __name__ == "__main__":
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    sys.exit(main(sys.argv))
