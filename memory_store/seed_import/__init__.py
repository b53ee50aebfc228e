"""Import of the seed tool's memory (empathy-framework 4.x), one module per part it kept.

The seed tool kept its memory in a ``patterns/`` directory:

- ``debugging/bug_<date>_<hash>.json``: one bug each (error type, message, fix, status);
  :mod:`~memory_store.seed_import.patterns` turns them into bug records and hands the two
  files below to their parts (keeping a file pending in ``.teamlore/.inbox/empathy-pending/``
  when its part fails on it).
- ``security/team_decisions.json``: triage decisions (per finding hash, per file, for a whole
  vulnerability type); :mod:`~memory_store.seed_import.security_decisions`.
- ``tech_debt/debt_history.json``: dated debt snapshots;
  :mod:`~memory_store.seed_import.debt_history` (which also reads plain CSV history).

Every original object is kept on the record it became (under ``"empathy"``), so nothing is lost.
"""
