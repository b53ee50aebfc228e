"""Technical-debt trajectory: marker counts in comments, snapshots, backfill from git
history, honest forecasts and the report.

Modules: ``markers`` (counting), ``files`` (which files, work-tree scan), ``snapshots``
(the record files), ``backfill`` (history from git objects), ``forecast`` (backtested
forecasters), ``report`` and ``chart``. History from elsewhere (the seed tool's file, CSV) is
imported by :mod:`memory_store.seed_import.debt_history`.
"""

from __future__ import annotations
