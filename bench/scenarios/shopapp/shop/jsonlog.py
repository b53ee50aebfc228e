"""`python -m shop.jsonlog NAME`: the error logged as one JSON record per line, its traceback
in an ``exc_info`` field (what python-json-logger and cloud log agents write)."""

import json
import logging
import sys

from shop.bugs import trigger


class JsonFormatter(logging.Formatter):
    def format(self, record):
        doc = {"time": self.formatTime(record), "level": record.levelname, "logger": record.name,
               "message": record.getMessage()}
        if record.exc_info:
            doc["exc_info"] = self.formatException(record.exc_info)
        return json.dumps(doc)


def main(argv):
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    log = logging.getLogger("shop")
    log.addHandler(handler)
    log.info("request started")
    try:
        trigger(argv[1])
    except Exception:
        log.exception("request failed")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
