"""What a publication holds after the gate: tables of checked cells. Light (no numpy, no solver), so
a release read back from the store renders without the statistics stack."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType

from .keys import TOTAL, CellKey

SUPPRESSED = ".."  # one symbol for every suppressed cell, primary or secondary
NOT_REPORTED = "-"
NOT_APPLICABLE = "."


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
    level: str = "district"  # the finest geography shown (the fallback ladder may lift it)
    small_rows: tuple[str, ...] = ()  # rows shown as their total alone (the small-total rule)
    decimals: int = 0
    question: str = ""
    texts: dict = field(default_factory=dict, compare=False)  # lang → {title, unit, method, note}

    def cell(self, **coords) -> PublishedCell | None:
        index = self.__dict__.get("_index")
        dims = tuple(sorted(coords))
        if index is None or index[0] != dims:
            idx = {}
            for c in self.cells:
                idx.setdefault(tuple(c.key.get(d) for d in dims), c)
            object.__setattr__(self, "_index", (dims, idx))
            index = self.__dict__["_index"]
        return index[1].get(tuple(str(coords[d]) for d in dims))


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
    warnings: tuple[str, ...] = ()
    steps: tuple[tuple[str, str, tuple[str, ...]], ...] = ()  # (table, level, criteria) of the fallback ladder


class Publication:
    """Checked tables of one publication. Holds no value of a suppressed cell."""

    def __init__(self, year: int, policy, tables: dict[str, PublishedTable], audit: AuditSummary,
                 pattern: dict[CellKey, str], regions: dict[str, str], labels: dict[str, str]):
        self.year = year
        self.policy = policy
        self._tables = dict(tables)
        self.audit = audit
        # status per count cell: published, suppressed or omitted (primary vs secondary is not kept: one symbol)
        self._pattern = MappingProxyType(dict(pattern))
        self._count_values = {c.key: c.value for t in tables.values() if t.kind == "count" for c in t.cells
                              if c.published}
        self.regions = MappingProxyType(dict(regions))  # district code → region name
        self.labels = MappingProxyType(dict(labels))  # district code → name
        # Derived numbers earlier releases published: (table, coordinates with the year) → value (`gate.derive`).
        self.earlier_derived: dict[tuple[str, tuple], set] = {}
        # And the findings an earlier release of the same year showed: key → their numbers (`findings.build`).
        self.earlier_findings: dict[tuple, tuple] = {}
        # Some count differs by 1–4 from an earlier release's (release/build.py): then nothing an earlier release
        # showed for the year is shown again, changed or not (which numbers changed would tell who changed).
        self.small_revision = False

    @property
    def tables(self):
        return MappingProxyType(self._tables)

    @property
    def pattern(self):
        return self._pattern

    def is_published(self, key: CellKey) -> bool:
        return self._pattern.get(key) == "published"

    def count(self, key: CellKey) -> int | None:
        """A published count, or None when suppressed (or not in the publication)."""
        v = self._count_values.get(key)
        return None if v is None else int(v)

    def add(self, table: PublishedTable) -> None:
        if table.name in self._tables:
            raise ValueError(f"table {table.name} already in the publication")
        self._tables[table.name] = table


__all__ = ["NOT_APPLICABLE", "NOT_REPORTED", "SUPPRESSED", "TOTAL", "AuditSummary", "Publication", "PublishedCell",
           "PublishedTable"]
