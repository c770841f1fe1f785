"""Count cells, the tables they sit in, and the linear relations between them.

A *count table* publishes counts of one *measure* (persons, placements, applications …) over
some dimensions, margins included. Every cell is identified by its coordinates: for each
dimension of the measure either one category, a named group of categories (a region = its
districts, a span of years), or "total" (all categories). The same cell can sit in several
tables (a district's total is the margin of the table by sex and of the table by age); it is
one cell with one status. Cells of one measure are sums of *atoms*: the cross product of the
finest categories of every dimension the measure uses (DISCLOSURE.md §2.2). That is what lets
the attacker, and the secondary suppression, see every table of a publication at once.
"""

from __future__ import annotations

import itertools
import json
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
from scipy import sparse

TOTAL = "total"


@dataclass(frozen=True, order=True)
class CellKey:
    """A cell: its measure and its coordinates, as sorted (dimension, value) pairs."""

    measure: str
    coords: tuple[tuple[str, str], ...]

    @staticmethod
    def of(measure: str, **coords: str) -> "CellKey":
        return CellKey(measure, tuple(sorted((k, str(v)) for k, v in coords.items())))

    def get(self, dim: str, default: str = TOTAL) -> str:
        for d, v in self.coords:
            if d == dim:
                return v
        return default

    def replace(self, dim: str, value: str) -> "CellKey":
        c = dict(self.coords)
        c[dim] = value
        return CellKey.of(self.measure, **c)

    def as_json(self) -> str:
        return json.dumps([self.measure, dict(self.coords)], ensure_ascii=False, sort_keys=True)

    @staticmethod
    def from_json(text: str) -> "CellKey":
        measure, coords = json.loads(text)
        return CellKey.of(measure, **coords)

    def label(self) -> str:
        parts = [f"{d}={v}" for d, v in self.coords if v != TOTAL]
        return f"{self.measure}[{', '.join(parts) or 'total'}]"


@dataclass
class CountTable:
    """A table of counts of one measure, margins included; `cells` maps each cell to its true value."""

    name: str
    measure: str
    unit: str
    dims: tuple[str, ...]  # the dimensions that vary in this table (for display and relations)
    cells: dict[CellKey, int]
    title: str = ""


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
    categories: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    values: dict[CellKey, int] = field(default_factory=dict)
    tables: dict[str, CountTable] = field(default_factory=dict)
    cell_tables: dict[CellKey, list[str]] = field(default_factory=lambda: defaultdict(list))

    def add_group(self, dim: str, name: str, members) -> None:
        self.groups.setdefault(dim, {})[name] = frozenset(map(str, members))
        self.categories[dim].update(map(str, members))

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

    def measures(self) -> list[str]:
        return sorted({k.measure for k in self.values})

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
        cache_key = (len(self.values), len(self.tables), frozenset(extra_keys))
        cached = getattr(self, "_relations_cache", {})
        if cache_key in cached:
            return cached[cache_key]
        out: list[Relation] = []
        by_measure: dict[str, set[CellKey]] = defaultdict(set)
        for k in (*self.values, *extra_keys):
            by_measure[k.measure].add(k)
        for measure, keys in by_measure.items():
            for k in sorted(keys):
                for d, val in k.coords:
                    for members in self._partitions(d, val):
                        children = tuple(k.replace(d, m) for m in members)
                        if all(c in keys for c in children):
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
        """Ways a group value splits into published sub-values: categories, or sub-groups (regions)."""
        groups = self.groups.get(dim, {})
        if value == TOTAL:
            cats = sorted(self.categories.get(dim, set()))
            parts = [cats]
            # A total also splits into a set of groups that partition all categories (the regions).
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
            return [sorted(groups[value])]
        return []

    def matrix(self, universe: Universe, keys: list[CellKey]) -> sparse.csr_matrix:
        rows, cols = [], []
        for i, k in enumerate(keys):
            idx = universe.indicator(k)
            rows.extend([i] * len(idx))
            cols.extend(idx.tolist())
        return sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(keys), universe.size))
