"""Technical-debt trajectory: marker counts in comments, snapshots, backfill from git
history, honest forecasts and the report.

Modules: ``markers`` (counting), ``files`` (which files, work-tree scan), ``snapshots``
(the record files), ``backfill`` (history from git objects), ``importer`` (seed history,
CSV), ``forecast`` (backtested forecasters), ``report`` and ``chart``.
"""

from __future__ import annotations
