"""`python -m shop.aio NAME`: run one bug inside an asyncio task."""

import asyncio
import sys

from shop.bugs import trigger


async def handle(name):
    await asyncio.sleep(0)
    return trigger(name)


def main(argv):
    asyncio.run(handle(argv[1]))


if __name__ == "__main__":
    main(sys.argv)
