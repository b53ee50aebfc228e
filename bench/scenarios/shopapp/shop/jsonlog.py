"""`python -m shop.jsonlog NAME`: the error of `shop.logged` written as one JSON record per
line, its traceback in an ``exc_info`` field (what python-json-logger and cloud log agents write)."""

import json
import logging
import sys

from shop.logged import main


class JsonFormatter(logging.Formatter):
    def format(self, record):
        doc = {"time": self.formatTime(record), "level": record.levelname, "logger": record.name,
               "message": record.getMessage()}
        if record.exc_info:
            doc["exc_info"] = self.formatException(record.exc_info)
        return json.dumps(doc)


if __name__ == "__main__":
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    logging.getLogger().addHandler(handler)
    sys.exit(main(sys.argv))
