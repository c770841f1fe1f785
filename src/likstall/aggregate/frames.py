"""The inputs of one year's follow-up: small aggregate frames per year, read from the store or
taken from an earlier release.

A release keeps the frames it was built from (they are aggregates: counts per district and
category, risk sets of stays, populations — never a row per person). A later release that covers
the same year takes them from there instead of from today's store, so every number ever served for
a year comes from one vintage of the data: the trend table of 2022 shows 2019 exactly as the 2019
release did, and the attacker's equations across releases hold. Late registrations enter a year
only through a deliberate revision (`revise`), which makes a new vintage of that year.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import duckdb
import pandas as pd

from . import atoms as A
from . import inputs as I

TREND_YEARS = 7  # the report year and the six before it

# name → (reader(con, year), needed for every year of the window or only the report year)
READERS = {
    "districts": (lambda con, y: A.districts(con, y), False),
    "victims": (lambda con, y: A.victims(con, y, y), False),
    "applications": (lambda con, y: A.applications(con, y, y), False),
    "placements": (lambda con, y: A.placements(con, y, y), True),
    "persons_placed": (lambda con, y: A.persons_placed(con, y), False),
    "durations": (lambda con, y: I.durations(con, y, y), True),
    "population": (lambda con, y: I.population(con, y, y), True),
    "socioeconomics": (lambda con, y: I.socioeconomics(con, y), False),
    "sb_by_stratum": (lambda con, y: I.sb_by_stratum(con, y), False),
    "missing_fields": (lambda con, y: I.missing_fields(con, y), False),
    "late_registrations": (lambda con, y: I.late_registrations(con, y), False),
}


# Reference data that carries no count: always today's (a corrected district name shows at once).
FRESH = {"districts"}


def frame_to_json(df: pd.DataFrame) -> dict:
    return {"columns": list(map(str, df.columns)),
            "data": json.loads(df.to_json(orient="values", date_format="iso"))}


def frame_from_json(obj: dict) -> pd.DataFrame:
    return pd.DataFrame(obj["data"], columns=obj["columns"])


@dataclass
class Inputs:
    """Frames by (name, year), and where each came from (None: today's store; else a release id)."""

    year: int
    first_year: int
    frames: dict[tuple[str, int], pd.DataFrame] = field(default_factory=dict)
    vintage: dict[tuple[str, int], int | None] = field(default_factory=dict)

    @property
    def years(self) -> list[int]:
        return list(range(self.first_year, self.year + 1))

    def get(self, name: str, year: int | None = None) -> pd.DataFrame:
        return self.frames[(name, self.year if year is None else year)]

    def window(self, name: str) -> pd.DataFrame:
        """A window frame for all years, with a `year` column."""
        parts = []
        for y in self.years:
            df = self.frames[(name, y)]
            parts.append(df.assign(year=y) if "year" not in df.columns else df)
        return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()

    def to_json(self) -> dict:
        # "from": the release a kept frame was taken from (None: read from the store for this release). The history
        # tells by it which earlier releases show a year from the same data (release/history.py).
        return {"year": self.year, "first_year": self.first_year,
                "frames": [{"name": n, "year": y, "frame": frame_to_json(df), "from": self.vintage.get((n, y))}
                           for (n, y), df in sorted(self.frames.items())]}


def load(con: duckdb.DuckDBPyConnection, year: int, earlier: dict[tuple[str, int], tuple[int, dict]] | None = None,
         revise: bool = False, trend_years: int = TREND_YEARS) -> Inputs:
    """The frames for `year`'s follow-up. `earlier`: (name, year) → (release id, frame JSON) kept by
    earlier releases; those are used unless `revise` asks for today's data for the report year."""
    earlier = earlier or {}
    inp = Inputs(year, year - trend_years + 1)
    for name, (reader, windowed) in READERS.items():
        for y in (inp.years if windowed else [year]):
            kept = earlier.get((name, y)) if name not in FRESH else None
            if kept is not None and not (revise and y == year):
                inp.frames[(name, y)] = frame_from_json(kept[1])
                inp.vintage[(name, y)] = kept[0]
            else:
                inp.frames[(name, y)] = reader(con, y)
                inp.vintage[(name, y)] = None
    return inp
