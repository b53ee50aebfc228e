"""Security triage memory: scanner findings, stable fingerprints, decisions and policies.

Entry point for front ends: :class:`memory_store.security.api.SecurityMemory`.
"""

from __future__ import annotations

from memory_store.security.decisions import DecisionStore
from memory_store.security.findings import Finding

__all__ = ["DecisionStore", "Finding"]
