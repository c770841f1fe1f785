"""Which cells a publication shows: the fallback ladder's level per table and the small-total rule.

A table's *level* is the finest geography it is shown at: `district` (districts and the city, and
regions where the table shows them), `region` (regions and the city), `city` (the city row only)
or `omitted` (not shown). The **small-total rule** (DISCLOSURE.md §4): a row whose total is
1..T−1 is shown as its total alone; its breakdown could only hold cells of 0..T−1, and its zeros
would say where the few persons are. A cell no table shows is *omitted*: it stays in the
attacker's equations as an unknown that may be 0.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .cells import CountTable, Registry
from .keys import OMITTED, PRIMARY, PUBLISHED, CellKey, row_level
from .policy import Policy

LEVELS = ("district", "region", "city", "omitted")


def next_level(level: str) -> str:
    return LEVELS[min(LEVELS.index(level) + 1, len(LEVELS) - 1)]


def row_shown(table: CountTable, level: str, key: CellKey) -> bool:
    r = row_level(key)
    if level == "district":
        return r != "region" or table.show_regions
    if level == "region":
        return r in ("region", "city")
    if level == "city":
        return r == "city"
    return False


@dataclass
class Display:
    """What one table shows: its level and the rows whose breakdown the small-total rule hides."""

    level: str = "district"
    small_rows: set[str] = field(default_factory=set)  # district values (codes, region:…, total)


def shown(registry: Registry, policy: Policy, levels: dict[str, str]) -> tuple[set[CellKey], dict[str, Display]]:
    """The cells some table shows, and each table's display."""
    cells: set[CellKey] = set()
    displays: dict[str, Display] = {}
    T = policy.T
    for t in registry.tables.values():
        if t.name.startswith(registry.fixed_prefix):
            continue  # an earlier release's cells: their statuses are fixed, not shown by this release
        level = "omitted" if t.internal else levels.get(t.name, "district")
        disp = Display(level)
        displays[t.name] = disp
        if level == "omitted":
            continue
        cut = _tail_cut(t, registry, T) if t.cumulative else set()
        for k in t.cells:
            if not row_shown(t, level, k) or k in cut:
                continue
            if t.row_total and t.varying and k.get(t.varying) != t.row_total:
                total = k.replace(t.varying, t.row_total)
                if total in registry.values and 1 <= registry.values[total] <= T - 1:
                    disp.small_rows.add(k.get("district"))
                    continue
            cells.add(k)
    return cells, displays


def _tail_cut(t: CountTable, registry: Registry, T: int) -> set[CellKey]:
    """The cells of a cumulative table after (and at) the first value of 1..T−1 in their row."""
    rows: dict[tuple, dict[str, CellKey]] = {}
    for k in t.cells:
        rows.setdefault(tuple((d, v) for d, v in k.coords if d != t.varying), {})[k.get(t.varying)] = k
    out = set()
    for row in rows.values():
        cutting = False
        for value in t.cumulative:
            k = row.get(value)
            if k is None:
                continue
            if not cutting and 1 <= registry.values[k] <= T - 1:
                cutting = True
            if cutting:
                out.add(k)
    return out


def initial_status(registry: Registry, policy: Policy, levels: dict[str, str]) -> tuple[dict[CellKey, str], dict[str, Display]]:
    """Primary suppression of the cells shown; cells shown nowhere are omitted."""
    visible, displays = shown(registry, policy, levels)
    status = {k: (OMITTED if k not in visible else PRIMARY if policy.is_primary(v) else PUBLISHED)
              for k, v in registry.values.items()}
    return status, displays
