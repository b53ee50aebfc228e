"""`python -m shop.richtb NAME`: the uncaught error as Rich's traceback box prints it
(``rich.traceback.install()``, what Typer shows by default)."""

import sys

import rich.traceback

from shop.bugs import trigger

if __name__ == "__main__":
    rich.traceback.install(width=160)
    trigger(sys.argv[1])
