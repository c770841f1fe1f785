"""Findings: every comparison of the release that stands out, after multiplicity control.

Each finding kind (one per question of the statement; `kinds.py`) proposes one comparison per
district (or region) with its p-value: always against an expected value or the rest of the city,
with overdispersion where the units vary more than chance, and never with the unit tested in its
own baseline. Benjamini–Hochberg runs across all comparisons of the release together; a
comparison with q < 0,05 is a finding when every count it rests on is published. Its sentence is
built only from released cells (the numbers a reader can check in the tables).
"""

from __future__ import annotations

from .build import Q_LEVEL, build_findings, candidates

__all__ = ["Q_LEVEL", "build_findings", "candidates"]
