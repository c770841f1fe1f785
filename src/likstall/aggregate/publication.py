"""The count tables of the yearly publication, built from the atoms of `atoms.py`.

Every table lists every category (zeros included) and its margins: district totals, the four
regions (relationsvåldscentrum catchments) and the city; trend tables also the span of years.
These tables are what the disclosure control protects as one publication; rates, shares and
durations attach to their cells and are suppressed with them.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import duckdb
import pandas as pd

from ..contract.codes import SWEDISH_LABELS
from ..disclosure.cells import TOTAL, CellKey, CountTable, Registry
from . import atoms as A

# Published categories. Rare ones are merged before publication (as statistics offices do), since
# a category of 0–2 persons in every district only produces suppressed cells: X and okänt kön
# become "annat_okant"; 65–79 and 80+ become "65+" (the seed asks about the 65+ group).
SEX = ("K", "M", "annat_okant")
AGE = ("0-17", "18-24", "25-44", "45-64", "65+", A.UNKNOWN)
SEX_MAP = {"X": "annat_okant", "okänt": "annat_okant"}
AGE_MAP = {"65-79": "65+", "80+": "65+"}
TARGET = (*SWEDISH_LABELS["target_group"], A.UNKNOWN)
TYPES = tuple(SWEDISH_LABELS["placement_type"])
REFERRERS = (*SWEDISH_LABELS["referring_unit"], A.UNKNOWN)
DECISIONS = tuple(SWEDISH_LABELS["decision"])
TREND_YEARS = 7  # 2015–2021 for report year 2021

UNITS = {
    "known_victims": "personer",
    "applications": "ansökningar",
    "placements": "placeringar",
    "persons_placed": "personer",
    **{m: "personer" for m in A.FLAG_MEASURES.values()},
}


def region_group(region: str) -> str:
    return f"region:{region}"


def years_group(first: int, last: int) -> str:
    return f"years:{first}-{last}"


@dataclass
class PublicationData:
    """The atoms and reference data one publication is built from (small frames, no person rows)."""

    year: int
    first_year: int
    districts: pd.DataFrame  # code, name, region, has_emergency_flats, rvt_refers_to_shis
    victims: pd.DataFrame
    applications: pd.DataFrame
    placements: pd.DataFrame
    persons_placed: pd.DataFrame
    categories: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def district_codes(self) -> tuple[str, ...]:
        return tuple(self.districts["code"])

    @property
    def regions(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for code, region in zip(self.districts["code"], self.districts["region"]):
            out.setdefault(region, []).append(code)
        return out


def load_publication_data(con: duckdb.DuckDBPyConnection, year: int, trend_years: int = TREND_YEARS) -> PublicationData:
    first = year - trend_years + 1
    d = A.districts(con, year)
    data = PublicationData(year, first, d, A.victims(con, year, year), A.applications(con, year, year),
                           A.placements(con, first, year), A.persons_placed(con, year))
    # Districts seen in the data but missing from the year's reference data still count.
    seen = set(data.victims["district"]) | set(data.placements["district"]) | set(data.applications["district"])
    missing = sorted(seen - set(d["code"]))
    if missing:
        extra = pd.DataFrame({"code": missing, "name": missing, "region": "okänd region",
                              "has_emergency_flats": None, "rvt_refers_to_shis": None})
        data.districts = pd.concat([d, extra], ignore_index=True)
    return data


def _cells(frame: pd.DataFrame, measure: str, value_col: str, varying: dict[str, list[str]],
           fixed: dict[str, str], groups: dict[str, dict[str, frozenset[str]]]) -> dict[CellKey, int]:
    """Sum the atoms into every cell of the table (every category, group and total of the varying dims).

    One pass over the atoms: each atom adds its value to every cell whose coordinates contain it
    (its own category, its groups, the total). Linear in atoms × margins, not cells × rows.
    """
    dims = list(varying)
    keep = pd.Series(True, index=frame.index)
    for d, v in fixed.items():
        if v != TOTAL and d in frame.columns:
            keep &= frame[d].astype(str).isin(groups.get(d, {}).get(v, frozenset([v])))
    sub = frame.loc[keep]
    active = [d for d in dims if d in sub.columns]
    # For each varying dimension: atom value → the table's values along it that contain the atom.
    # A dimension the frame does not have is not a split: every atom belongs to all its values.
    containing: dict[str, dict[str, list[str]]] = {}
    for d in active:
        index: dict[str, list[str]] = {}
        for cell_value in varying[d]:
            if cell_value == TOTAL:
                continue
            for member in groups.get(d, {}).get(cell_value, frozenset([cell_value])):
                index.setdefault(member, []).append(cell_value)
        containing[d] = index
    out = {CellKey.of(measure, **(dict(zip(dims, combo)) | fixed)): 0
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
            out[CellKey.of(measure, **(dict(zip(dims, combo)) | fixed))] += int(s)
    return out


def build_registry(data: PublicationData) -> Registry:
    """All count tables of the publication for `data.year`, in one registry."""
    reg = Registry()
    y = str(data.year)
    years = [str(v) for v in range(data.first_year, data.year + 1)]
    span = years_group(data.first_year, data.year)
    for region, codes in sorted(data.regions.items()):
        reg.add_group("district", region_group(region), codes)
    reg.add_group("year", span, years)
    reg.add_categories("district", data.district_codes)
    for dim, cats in (("sex", SEX), ("age_band", AGE), ("target_group", TARGET), ("placement_type", TYPES),
                      ("referring_unit", REFERRERS), ("decision", DECISIONS)):
        reg.add_categories(dim, cats)
    # Region rows only where counts are large enough to carry them: a region cell of a rare
    # category usually equals one district's cell, and then neither can be protected.
    districts = [*data.district_codes, TOTAL]
    with_regions = [*data.district_codes, *[region_group(r) for r in sorted(data.regions)], TOTAL]
    regions_only = [*[region_group(r) for r in sorted(data.regions)], TOTAL]
    g = reg.groups
    v = data.victims.assign(year=data.victims["year"].astype(str),
                            sex=data.victims["sex"].replace(SEX_MAP), age_band=data.victims["age_band"].replace(AGE_MAP))
    ap = data.applications.assign(year=data.applications["year"].astype(str))
    pl = data.placements.assign(year=data.placements["year"].astype(str))
    pp = data.persons_placed.assign(year=y)

    def add(name, measure, frame, varying, fixed, title, value_col="n"):
        cells = _cells(frame, measure, value_col, varying, fixed, g)
        reg.add_table(CountTable(name, measure, UNITS[measure], tuple(varying), cells, title))

    add("victims_by_sex", "known_victims", v, {"district": districts, "sex": [*SEX, TOTAL]},
        {"year": y, "age_band": TOTAL, "target_group": TOTAL}, "Kända våldsutsatta efter kön")
    add("victims_by_age", "known_victims", v, {"district": districts, "age_band": [*AGE, TOTAL]},
        {"year": y, "sex": TOTAL, "target_group": TOTAL}, "Kända våldsutsatta efter åldersgrupp")
    add("victims_by_target_group", "known_victims", v, {"district": districts, "target_group": [*TARGET, TOTAL]},
        {"year": y, "sex": TOTAL, "age_band": TOTAL}, "Kända våldsutsatta efter målgrupp")
    add("victims_by_region", "known_victims", v, {"district": regions_only},
        {"year": y, "sex": TOTAL, "age_band": TOTAL, "target_group": TOTAL}, "Kända våldsutsatta per region")
    add("applications_sb", "applications", ap, {"district": districts, "decision": [*DECISIONS, TOTAL]},
        {"year": y, "placement_type": "skyddat_boende"}, "Ansökningar om skyddat boende efter beslut")
    # No all-types total per district: a rare type (förtur, jourlägenhet) with 1–4 placements would
    # otherwise force the district's skyddat-boende count to be hidden as its complement.
    add("placements_by_type", "placements", pl, {"district": districts, "placement_type": list(TYPES)},
        {"year": y, "referring_unit": TOTAL}, "Beviljade placeringar som startade under året, efter insatstyp")
    add("shis_by_referrer", "placements", pl, {"district": districts, "referring_unit": [*REFERRERS, TOTAL]},
        {"year": y, "placement_type": "shis"}, "SHIS-placeringar efter remitterande enhet")
    add("sb_trend", "placements", pl, {"district": with_regions, "year": [*years, span]},
        {"placement_type": "skyddat_boende", "referring_unit": TOTAL},
        f"Placeringar i skyddat boende per år {data.first_year}–{data.year}")
    add("persons_placed", "persons_placed", pp, {"district": with_regions}, {"year": y},
        "Personer placerade i skyddat boende")
    for flag, measure in A.FLAG_MEASURES.items():
        flag_frame = v.assign(n=v[flag])
        add(measure, measure, flag_frame, {"district": districts}, {"year": y}, FLAG_TITLES[flag])
    return reg


FLAG_TITLES = {
    "disability": "Kända våldsutsatta med funktionsnedsättning",
    "interpreter_needed": "Kända våldsutsatta med tolkbehov",
    "freda_screening": "Kända våldsutsatta där FREDA kortfrågor använts",
    "freda_risk_assessment": "Kända våldsutsatta där FREDA farlighetsbedömning gjorts",
}
