"""The indicator catalogue's building blocks: what an indicator is, and what it is computed from.

An *indicator* is data (Fingertips' model): an id, the question of the statement it answers, whether
it is a count table (which enters the disclosure gate with its margins) or a derived number (a rate,
share, ratio, duration … computed from counts), its unit, dimensions, method, and the counts it
declares. Its reader-facing texts — title, unit, numerator, denominator, method, rationale — live in
the message catalogues (`likstall/text/locale/*.po`) under `ind.<id>.<field>`. Every view of the
follow-up (report, dashboard, metadata pages, Excel definitions, API) iterates the catalogue.

A derived indicator's compute function returns rows `Row(coords, counts, value, lo, hi, n)`: `counts`
are the count cells the value is made of (numerator and complement, persons still placed at day
t, the stays behind a mean). The gate publishes the value only when every one of them is published,
so a value together with anything else published can never give a count of 1..T−1.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Callable, NamedTuple

import pandas as pd

from ..disclosure.cells import CountTable, Registry
from ..disclosure.keys import TOTAL, CellKey
from ..disclosure.policy import Policy

QUESTIONS = ("overview", "placements", "stays", "shis", "target_groups", "vulnerable", "trends", "data_quality")

# The dimensions of each measure, in full: every cell of a measure names all of them (TOTAL where a
# table does not split), so one cell is one key in every table it sits in.
MEASURE_DIMS = {
    "known_victims": ("district", "year", "sex", "age_band", "target_group", "disability", "interpreter_needed",
                      "freda_screening", "freda_risk_assessment"),
    "applications": ("district", "year", "placement_type", "decision", "target_group"),
    "placements": ("district", "year", "placement_type", "referring_unit", "target_group", "stay", "ended"),
    "persons_placed": ("district", "year"),
    "cases": ("district", "year", "missing_sex", "missing_age_band", "missing_target_group", "missing_handling_unit",
              "late"),
}


class Row(NamedTuple):
    coords: dict  # the derived cell's coordinates, e.g. {"district": "farsta"}
    counts: tuple  # the count cells the value is made of (empty: rests on public data only)
    value: float | None
    lo: float | None = None
    hi: float | None = None
    n: float | None = None  # persons behind a mean or median (suppressed below T)
    hide: bool = False  # the value itself would give away a small count (a survival share × its n)


@dataclass(frozen=True)
class Indicator:
    id: str
    question: str
    kind: str  # "count" or "derived"
    measure: str
    dims: tuple[str, ...]
    compute: Callable
    decimals: int = 1
    varying: str | None = None  # count tables: the dimension (besides district) that varies
    row_total: str | None = None  # count tables: the value of `varying` that is a row's total
    show_regions: bool = False
    internal: bool = False  # count cells that only carry equations; never shown
    cumulative: tuple[str, ...] = ()  # nested values of `varying` (a row stops at its first small one)
    tier: int = 2  # count tables: 1 headline, 2 breakdown (see disclosure.cells.CountTable)
    finding: str | None = None  # the finding kind this indicator feeds
    tests: tuple[str, ...] = ()  # the tests that check its method against reference values
    order: int = 0


_CATALOGUE: dict[str, Indicator] = {}


def indicator(id: str, question: str, kind: str, measure: str, dims: tuple[str, ...], **kw):
    """Declare an indicator: decorates its compute function."""
    if question not in QUESTIONS:
        raise ValueError(f"unknown question {question}")

    def wrap(fn):
        if id in _CATALOGUE:
            raise ValueError(f"indicator {id} declared twice")
        _CATALOGUE[id] = Indicator(id, question, kind, measure, dims, fn, order=len(_CATALOGUE), **kw)
        return fn

    return wrap


def declared() -> dict[str, Indicator]:
    return _CATALOGUE


@dataclass
class Context:
    """What indicators are computed from: the year's inputs, the districts and, once protected, the
    registry of counts and the publication."""

    inputs: object  # aggregate.frames.Inputs
    policy: Policy
    conf: float = 0.95
    registry: Registry | None = None
    publication: object = None  # disclosure.gate.Publication
    memo: dict = field(default_factory=dict)

    @property
    def year(self) -> int:
        return self.inputs.year

    @property
    def first_year(self) -> int:
        return self.inputs.first_year

    @property
    def span(self) -> str:
        return f"years:{self.first_year}-{self.year}"

    @property
    def districts(self) -> pd.DataFrame:
        if "districts" not in self.memo:
            d = self.inputs.get("districts").copy()
            seen = set()
            for name in ("victims", "applications", "persons_placed"):
                seen |= set(self.inputs.get(name)["district"])
            for y in self.inputs.years:
                seen |= set(self.inputs.get("placements", y)["district"])
            missing = sorted(seen - set(d["code"]))
            if missing:  # districts in the data but not in the year's reference data still count
                d = pd.concat([d, pd.DataFrame({"code": missing, "name": missing, "region": "okänd region",
                                                "has_emergency_flats": None, "rvt_refers_to_shis": None})],
                              ignore_index=True)
            self.memo["districts"] = d.sort_values("code").reset_index(drop=True)
        return self.memo["districts"]

    @property
    def codes(self) -> list[str]:
        return list(self.districts["code"])

    @property
    def regions(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for code, region in zip(self.districts["code"], self.districts["region"]):
            out.setdefault(region, []).append(code)
        return dict(sorted(out.items()))

    @property
    def region_rows(self) -> list[str]:
        return [region_row(r) for r in self.regions]

    @property
    def areas(self) -> list[str]:
        """Districts and the city: the rows of most derived tables."""
        return [*self.codes, TOTAL]

    @property
    def all_rows(self) -> list[str]:
        return [*self.codes, *self.region_rows, TOTAL]

    def members(self, area: str) -> list[str]:
        if area == TOTAL:
            return self.codes
        if area.startswith("region:"):
            return self.regions.get(area[len("region:"):], [])
        return [area]

    def key(self, measure: str, **coords) -> CellKey:
        """A cell of a measure, every dimension named (TOTAL where not given)."""
        dims = MEASURE_DIMS[measure]
        extra = set(coords) - set(dims)
        if extra:
            raise KeyError(f"{measure} has no dimension {sorted(extra)}")
        if "year" not in coords:
            coords["year"] = self.year
        return CellKey.of(measure, **{d: str(coords.get(d, TOTAL)) for d in dims})

    def v(self, key: CellKey) -> int:
        """The true count of a cell (for computing; publishing is the gate's business)."""
        return self.registry.values[key]

    def population(self, year: int | None = None) -> pd.DataFrame:
        return self.inputs.get("population", self.year if year is None else year)


def region_row(region: str) -> str:
    return f"region:{region}"


def count_cells(ctx: Context, frame: pd.DataFrame, measure: str, varying: dict[str, list[str]],
                fixed: dict[str, str], value_col: str = "n") -> dict[CellKey, int]:
    """Sum the frame into every cell of a table (every category, group and total of the varying dims).

    One pass over the frame: each row adds its value to every cell whose coordinates contain it (its
    own category, its groups, the total). Dimensions of the measure that are neither varying nor
    fixed are TOTAL. Linear in rows × margins, not cells × rows.
    """
    groups = ctx.registry.groups
    dims = list(varying)
    fixed = {d: str(v) for d, v in fixed.items()}
    rest = {d: TOTAL for d in MEASURE_DIMS[measure] if d not in varying and d not in fixed}
    fixed_all = {**fixed, **rest}
    keep = pd.Series(True, index=frame.index)
    for d, v in fixed.items():
        if v != TOTAL and d in frame.columns:
            keep &= frame[d].astype(str).isin(groups.get(d, {}).get(v, frozenset([v])))
    sub = frame.loc[keep]
    active = [d for d in dims if d in sub.columns]
    containing: dict[str, dict[str, list[str]]] = {}
    for d in active:
        index: dict[str, list[str]] = {}
        for cell_value in varying[d]:
            if cell_value == TOTAL:
                continue
            for member in groups.get(d, {}).get(cell_value, frozenset([cell_value])):
                index.setdefault(member, []).append(cell_value)
        containing[d] = index
    out = {CellKey.of(measure, **(dict(zip(dims, combo)) | fixed_all)): 0
           for combo in itertools.product(*[varying[d] for d in dims])}
    if sub.empty:
        return out
    if active:
        sums = sub.groupby([sub[d].astype(str) for d in active], sort=False)[value_col].sum()
        atoms = [((k,) if len(active) == 1 else k, s) for k, s in sums.items()]
    else:
        atoms = [((), sub[value_col].sum())]
    for values, s in atoms:
        by_dim = dict(zip(active, values))
        per_dim = []
        for d in dims:
            if d in by_dim:
                hit = containing[d].get(by_dim[d], [])
                per_dim.append(hit + [TOTAL] if TOTAL in varying[d] else hit)
            else:
                per_dim.append(varying[d])
        for combo in itertools.product(*per_dim):
            k = CellKey.of(measure, **(dict(zip(dims, combo)) | fixed_all))
            if k in out:
                out[k] += int(s)
    return out


def as_table(ind: Indicator, cells: dict[CellKey, int], unit: str = "", title: str = "") -> CountTable:
    return CountTable(ind.id, ind.measure, unit, ind.dims, cells, title, varying=ind.varying,
                      row_total=ind.row_total, internal=ind.internal, show_regions=ind.show_regions,
                      cumulative=ind.cumulative, tier=ind.tier)
