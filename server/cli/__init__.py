"""The ``teamlore`` command line."""
