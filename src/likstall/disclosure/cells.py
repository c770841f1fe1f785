"""Count cells, the tables they sit in, and the linear relations between them.

A *count table* publishes counts of one *measure* (persons, placements, applications …) over
some dimensions, margins included. Every cell is identified by its coordinates: for each
dimension of the measure either one category, a named group of categories (a region = its
districts, a span of years, the stays beyond day 60), or "total" (all categories). The same cell
can sit in several tables (a district's total is the margin of the table by sex and of the table
by age); it is one cell with one status. Cells of one measure are sums of *atoms*: the cross
product of the finest categories of every dimension the measure uses (DISCLOSURE.md §2.2). That is
what lets the attacker, and the secondary suppression, see every table of a publication — and of
every earlier release — at once.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
from scipy import sparse

from .keys import TOTAL, CellKey, is_city_total, row_level  # noqa: F401 (re-exported)


@dataclass
class CountTable:
    """A table of counts of one measure, margins included; `cells` maps each cell to its true value.

    `varying` is the dimension (besides the district) that varies across the table's columns, and
    `row_total` the value of it that is a row's total (TOTAL, or a span of years): the small-total
    rule looks there. `internal` tables are never shown: their cells only carry equations (the
    stays per interval of days behind a Kaplan–Meier curve), so the attacker sees them as unknowns.
    """

    name: str
    measure: str
    unit: str
    dims: tuple[str, ...]  # the dimensions that vary in this table (for display and relations)
    cells: dict[CellKey, int]
    title: str = ""
    varying: str | None = None
    row_total: str | None = None
    internal: bool = False
    show_regions: bool = False  # region rows are shown at the district level too (else only when coarsened)
    # Values of `varying` that are nested (stays beyond 7, 14, 30 … days): a row is shown up to its
    # last value of at least T — a curve stops where fewer than T remain.
    cumulative: tuple[str, ...] = ()
    # 1: a headline table (counts per district the reader looks up first); 2: a breakdown. A problem in
    # a breakdown is never fixed by hiding a headline cell: the fallback ladder lifts the breakdown.
    tier: int = 2

    def __post_init__(self):
        if self.varying is None:
            others = [d for d in self.dims if d != "district"]
            self.varying = others[0] if len(others) == 1 else None


@dataclass
class Relation:
    """total = Σ members: one published equation (a row, a column, or a level of a hierarchy)."""

    total: CellKey
    members: tuple[CellKey, ...]
    dim: str


@dataclass
class Universe:
    """The atoms of one measure and each cell's indicator row over them."""

    measure: str
    dims: tuple[str, ...]
    categories: dict[str, tuple[str, ...]]
    groups: dict[str, dict[str, frozenset[str]]]

    @property
    def size(self) -> int:
        return int(np.prod([len(self.categories[d]) for d in self.dims])) if self.dims else 1

    def members(self, dim: str, value: str) -> frozenset[str]:
        if value == TOTAL:
            return frozenset(self.categories[dim])
        if value in self.groups.get(dim, {}):
            return self.groups[dim][value]
        return frozenset([value])

    def indicator(self, key: CellKey) -> np.ndarray:
        """Indices of the atoms a cell sums."""
        axes = []
        for d in self.dims:
            cats = self.categories[d]
            want = self.members(d, key.get(d))
            axes.append([i for i, c in enumerate(cats) if c in want])
        shape = [len(self.categories[d]) for d in self.dims]
        grids = np.meshgrid(*[np.asarray(a, dtype=np.int64) for a in axes], indexing="ij")
        return np.ravel_multi_index([g.ravel() for g in grids], shape) if grids else np.zeros(1, dtype=np.int64)

    def atoms(self) -> list[CellKey]:
        """Every atom as a cell key (all dimensions at their finest category)."""
        return [CellKey.of(self.measure, **dict(zip(self.dims, combo)))
                for combo in itertools.product(*[self.categories[d] for d in self.dims])]


@dataclass
class Registry:
    """All cells of a publication (and of earlier releases), their tables, groups and relations."""

    groups: dict[str, dict[str, frozenset[str]]] = field(default_factory=dict)  # dim → group name → categories
    partitions: dict[str, list[tuple[str, tuple[str, ...]]]] = field(default_factory=dict)  # dim → (whole, parts)
    categories: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    values: dict[CellKey, int] = field(default_factory=dict)
    tables: dict[str, CountTable] = field(default_factory=dict)
    cell_tables: dict[CellKey, list[str]] = field(default_factory=lambda: defaultdict(list))
    # Equations given as such (an earlier release's, under its own groups); tables whose name starts
    # with `fixed_prefix` add cells but no derived equations.
    extra_relations: list[Relation] = field(default_factory=list)
    fixed_prefix: str = "history:"

    def add_group(self, dim: str, name: str, members) -> None:
        members = frozenset(map(str, members))
        old = self.groups.get(dim, {}).get(name)
        if old is not None and old != members:
            raise ValueError(f"group {dim}={name} defined twice with different members")
        self.groups.setdefault(dim, {})[name] = members
        self.categories[dim].update(members)

    def add_partition(self, dim: str, whole: str, parts) -> None:
        """Declare that `whole` (TOTAL or a group) is the sum of `parts` (groups or categories)."""
        entry = (whole, tuple(parts))
        if entry not in self.partitions.setdefault(dim, []):
            self.partitions[dim].append(entry)

    def add_categories(self, dim: str, cats) -> None:
        self.categories[dim].update(map(str, cats))

    def add_table(self, table: CountTable) -> None:
        if table.name in self.tables:
            raise ValueError(f"table {table.name} added twice")
        self.tables[table.name] = table
        for key, v in table.cells.items():
            if key.measure != table.measure:
                raise ValueError(f"cell {key.label()} is not of measure {table.measure}")
            if v < 0 or int(v) != v:
                raise ValueError(f"cell {key.label()} must be a non-negative whole number")
            old = self.values.get(key)
            if old is not None and old != v:
                raise ValueError(f"cell {key.label()} has two values ({old} and {v}) in one publication")
            self.values[key] = int(v)
            self.cell_tables[key].append(table.name)
            for d, val in key.coords:
                if val != TOTAL and val not in self.groups.get(d, {}):
                    self.categories[d].add(val)
        self._relations_cache = {}

    def measures(self) -> list[str]:
        return sorted({k.measure for k in self.values})

    def subset(self, measures) -> "Registry":
        """The tables of some measures only (the attack and the protection are per measure)."""
        keep = set(measures)
        out = Registry(groups=self.groups, partitions=self.partitions, fixed_prefix=self.fixed_prefix)
        for d, cats in self.categories.items():
            out.categories[d] = set(cats)
        for t in self.tables.values():
            if t.measure in keep:
                out.add_table(t)
        out.extra_relations = [r for r in self.extra_relations if r.total.measure in keep]
        return out

    def universe(self, measure: str, extra_cells=()) -> Universe:
        keys = [k for k in self.values if k.measure == measure] + [k for k in extra_cells if k.measure == measure]
        dims = sorted({d for k in keys for d, _ in k.coords})
        # A dimension's categories are those the measure's cells use: a year fixed in every table of a
        # measure gives one category, not every year of the publication.
        cats = {}
        for d in dims:
            used: set[str] = set()
            for k in keys:
                v = k.get(d)
                if v == TOTAL:
                    used |= self.categories.get(d, set())
                elif v in self.groups.get(d, {}):
                    used |= self.groups[d][v]
                else:
                    used.add(v)
            cats[d] = tuple(sorted(used))
        return Universe(measure, tuple(dims), cats, {d: self.groups.get(d, {}) for d in dims})

    def relations(self, extra_keys=()) -> list[Relation]:
        """Every equation total = Σ members whose cells all exist (in the publication, plus `extra_keys`)."""
        cache_key = (len(self.values), len(self.tables), len(self.extra_relations), frozenset(extra_keys))
        cached = getattr(self, "_relations_cache", {})
        if cache_key in cached:
            return cached[cache_key]
        out: list[Relation] = []
        by_measure: dict[str, set[CellKey]] = defaultdict(set)
        own = {k for name, t in self.tables.items() if not name.startswith(self.fixed_prefix) for k in t.cells}
        for k in (*own, *extra_keys):
            by_measure[k.measure].add(k)
        seen = set()
        for r in self.extra_relations:
            sig = (r.total, frozenset(r.members))
            if sig not in seen:
                seen.add(sig)
                out.append(r)
        partitions: dict[tuple[str, str], list[list[str]]] = {}
        for measure, keys in by_measure.items():
            # The cells that differ from a cell in one dimension only, by that dimension and the other
            # coordinates: a cell's children are looked up, not built (a national release has 10^5 cells
            # with splits of 290 districts).
            siblings: dict[tuple[str, tuple], dict[str, CellKey]] = defaultdict(dict)
            for k in keys:
                for i, (d, val) in enumerate(k.coords):
                    siblings[d, k.coords[:i] + k.coords[i + 1:]][val] = k
            for k in sorted(keys, key=CellKey.order):
                for i, (d, val) in enumerate(k.coords):
                    if (d, val) not in partitions:
                        partitions[d, val] = self._partitions(d, val)
                    row = siblings[d, k.coords[:i] + k.coords[i + 1:]]
                    for members in partitions[d, val]:
                        if len(members) > 1 and all(m in row for m in members):
                            children = tuple(row[m] for m in members)
                            sig = (k, frozenset(children))
                            if sig not in seen:
                                seen.add(sig)
                                out.append(Relation(k, children, d))
        self._relations_cache = {**cached, cache_key: out}
        return out

    def tables_of(self, measure: str) -> list[CountTable]:
        return [t for t in self.tables.values() if t.measure == measure]

    def cell_model_is_exact(self, measure: str) -> bool:
        """True when every table of the measure varies at most one dimension besides the district.

        Then, within a district, the published cells are one-way margins (of nested sub-populations)
        and any non-negative values satisfying the tables' equations can be realised by non-negative
        atoms: the attacker over cells and equations knows exactly what the attacker over atoms knows.
        """
        return all(len([d for d in t.dims if d != "district"]) <= 1 for t in self.tables_of(measure))

    def _partitions(self, dim: str, value: str) -> list[list[str]]:
        """Ways a value splits into published sub-values: categories, sub-groups (regions), declared parts."""
        groups = self.groups.get(dim, {})
        parts = [list(p) for whole, p in self.partitions.get(dim, []) if whole == value]
        if value == TOTAL:
            cats = sorted(self.categories.get(dim, set()))
            parts.append(cats)
            if dim == "district" and not any(w == TOTAL for w, _ in self.partitions.get(dim, [])):
                # Regions added as groups only: a set of groups that partition all districts.
                disjoint = [g for g in sorted(groups) if not g.startswith("years:")]
                if disjoint:
                    covered = [m for g in disjoint for m in groups[g]]
                    if len(covered) == len(set(covered)) and set(covered) == set(cats):
                        parts.append(disjoint)
            years = [g for g in sorted(groups) if g.startswith("years:") and groups[g] == frozenset(cats)]
            if years:
                parts.append(years)
            return parts
        if value in groups:
            parts.append(sorted(groups[value]))
        return parts

    def matrix(self, universe: Universe, keys: list[CellKey]) -> sparse.csr_matrix:
        rows, cols = [], []
        for i, k in enumerate(keys):
            idx = universe.indicator(k)
            rows.extend([i] * len(idx))
            cols.extend(idx.tolist())
        return sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(keys), universe.size))
