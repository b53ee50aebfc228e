"""The steps of ``teamlore demo`` that show one part each (security triage, debt), beside the demo."""
