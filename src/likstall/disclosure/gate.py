"""The gate: the only way a number reaches an output.

`gate()` takes the count tables of a publication (true values), protects them, and returns a
`Publication` that holds only checked cells: a suppressed cell's value is *removed*, not hidden
(there is no attribute a renderer could read it from). Numbers derived from counts — rates,
shares, intervals, ratios, means and medians — enter through `Publication.derive()`, which
suppresses them with their base cell, and suppresses means and medians over fewer than T
persons. Renderers receive the Publication and nothing else.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field
from types import MappingProxyType

from .attacker import PUBLISHED, HistoryCell
from .cells import TOTAL, CellKey, Registry
from .policy import NOT_APPLICABLE, NOT_REPORTED, SUPPRESSED, Policy
from .secondary import Protection, protect


@dataclass(frozen=True)
class PublishedCell:
    key: CellKey
    value: float | None  # None unless published
    status: str  # "" published, ".." suppressed, "-" not reported, "." not applicable
    ci_low: float | None = None
    ci_high: float | None = None

    @property
    def published(self) -> bool:
        return self.status == ""


@dataclass(frozen=True)
class PublishedTable:
    name: str
    measure: str
    unit: str
    title: str
    dims: tuple[str, ...]
    cells: tuple[PublishedCell, ...]
    kind: str = "count"  # "count" or "derived"
    method: str = ""

    def cell(self, **coords) -> PublishedCell | None:
        for c in self.cells:
            if all(c.key.get(d) == str(v) for d, v in coords.items()):
                return c
        return None


@dataclass(frozen=True)
class AuditSummary:
    passed: bool
    findings: tuple[str, ...]
    share_suppressed: float
    n_cells: int
    n_suppressed: int
    n_primary: int
    scenarios: tuple[str, ...]
    notes: tuple[str, ...]


class Publication:
    """Checked tables of one publication. Holds no value of a suppressed cell."""

    def __init__(self, year: int, policy: Policy, tables: dict[str, PublishedTable], audit: AuditSummary,
                 pattern: dict[CellKey, str], regions: dict[str, str], labels: dict[str, str]):
        self.year = year
        self.policy = policy
        self._tables = dict(tables)
        self.audit = audit
        # status per count cell: "published" or "suppressed" (primary vs secondary is not kept here: one symbol)
        self._pattern = MappingProxyType(dict(pattern))
        self._count_values = {c.key: c.value for t in tables.values() for c in t.cells if c.published}
        self.regions = MappingProxyType(dict(regions))  # district code → region name
        self.labels = MappingProxyType(dict(labels))  # district code → name

    @property
    def tables(self):
        return MappingProxyType(self._tables)

    def is_published(self, key: CellKey) -> bool:
        return self._pattern.get(key) == "published"

    def count(self, key: CellKey) -> int | None:
        """A published count, or None when suppressed (or not in the publication)."""
        v = self._count_values.get(key)
        return None if v is None else int(v)

    def derive(self, name: str, measure: str, unit: str, title: str, dims: tuple[str, ...], rows, *,
               method: str = "") -> PublishedTable:
        """Add a table of derived numbers. Each row: (key, base, value, ci_low, ci_high, n_persons).

        A row is published only when its base count cell (or every cell of a tuple of bases) is
        published (a base of None means the number rests on no single cell, e.g. a city-wide model
        coefficient) and, for means and
        medians, when it rests on at least T persons (n_persons). NaN values are "not reported" (-).
        """
        cells = []
        for key, base, value, lo, hi, n_persons in rows:
            bases = () if base is None else (base if isinstance(base, tuple) else (base,))
            if any(not self.is_published(b) for b in bases):
                cells.append(PublishedCell(key, None, SUPPRESSED))
            elif n_persons is not None and 0 < n_persons < self.policy.T:
                cells.append(PublishedCell(key, None, SUPPRESSED))
            elif value is None or (isinstance(value, float) and math.isnan(value)):
                cells.append(PublishedCell(key, None, NOT_REPORTED))
            else:
                cells.append(PublishedCell(key, float(value), "", _num(lo), _num(hi)))
        table = PublishedTable(name, measure, unit, title, dims, tuple(cells), "derived", method)
        if name in self._tables:
            raise ValueError(f"table {name} already in the publication")
        self._tables[name] = table
        return table

    def pattern_hash(self) -> str:
        """SHA-256 of the suppression pattern and published values: same input, same hash."""
        rows = sorted((k.as_json(), s, self._count_values.get(k)) for k, s in self._pattern.items())
        return hashlib.sha256(json.dumps(rows, ensure_ascii=False).encode()).hexdigest()

    def release_cells(self) -> list[tuple[str, str, int | None]]:
        return sorted((k.as_json(), "published" if s == "published" else "suppressed", self.count(k))
                      for k, s in self._pattern.items())


def _num(v):
    if v is None:
        return None
    v = float(v)
    return None if math.isnan(v) else v


def gate(registry: Registry, year: int, policy: Policy | None = None, *,
         history: dict[CellKey, HistoryCell] | None = None, regions: dict[str, str] | None = None,
         labels: dict[str, str] | None = None, protection: Protection | None = None) -> Publication:
    """Protect the count tables of `registry` and return the checked Publication."""
    policy = policy or Policy()
    prot = protection or protect(registry, policy, history=history)
    pattern = {k: ("published" if s == PUBLISHED else "suppressed") for k, s in prot.status.items()}
    tables = {}
    for name, t in registry.tables.items():
        cells = tuple(
            PublishedCell(k, float(v) if pattern[k] == "published" else None,
                          "" if pattern[k] == "published" else SUPPRESSED)
            for k, v in t.cells.items()
        )
        tables[name] = PublishedTable(name, t.measure, t.unit, t.title, t.dims, cells)
    a = prot.audit
    summary = AuditSummary(
        passed=a.passed,
        findings=tuple(f"{f.criterion} {f.scenario} {f.cell.label() if f.cell else ''} {f.detail}".strip()
                       for f in a.findings),
        share_suppressed=prot.share_suppressed(),
        n_cells=len(prot.status),
        n_suppressed=len(prot.suppressed),
        n_primary=sum(1 for s in prot.status.values() if s == "primary"),
        scenarios=tuple(a.scenarios_run),
        notes=tuple(a.notes),
    )
    return Publication(year, policy, tables, summary, pattern, regions or {}, labels or {})


__all__ = ["NOT_APPLICABLE", "NOT_REPORTED", "SUPPRESSED", "TOTAL", "Publication", "PublishedCell",
           "PublishedTable", "gate"]
