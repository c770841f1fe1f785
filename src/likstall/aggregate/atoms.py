"""Atomic counts per measure: the finest cross-tabulations the publication is built from.

Every published count table is a sum of these atoms, so every margin equals the sum of its
cells and the disclosure attacker sees the same structure the tables have. Definitions:

- known victims in year Y: persons with a case opened in Y. A person with several cases in the
  year is counted once, with the district, sex, age band, target group and flags of the first
  case opened, so districts add up to the city. Cases opened the same day are ordered by those
  attributes themselves, each lowest first (the lowest district code, then "K" before "M", and
  so on), not by their pseudonyms: a pseudonym's order depends on the secret key, and the same
  data must give the same numbers under any key. The convention is arbitrary but fixed;
- applications in year Y: placement applications with `applied` in Y, by district of the case,
  type, decision and the case's target group;
- placements in year Y: granted placements that started in Y, by district, type, referring
  unit and the case's target group (trend tables use every year up to Y);
- persons placed in year Y: persons with a granted skyddat-boende placement started in Y, in the
  district of their first such placement (on the same day: the lowest district code).
Missing codes are counted as "okänd" (unknown) so nothing falls out of a total.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from ..categories import UNKNOWN  # noqa: F401 (one definition, in categories.py)

FLAG_MEASURES = {
    "disability": "victims_with_disability",
    "interpreter_needed": "victims_with_interpreter_need",
    "freda_screening": "victims_freda_screening",
    "freda_risk_assessment": "victims_freda_risk_assessment",
}

# Ties (cases opened the same day) are broken on every attribute a count reads, then on the case key,
# which can then no longer change a count: with the key first, one run's district or sex depended on
# the secret key (a 13-district city published 230 or 231 women in a district, run by run). Keep this
# list and the columns `victims` reads together: a counted column missing here lets the key decide again.
_COUNTED = ("district", "sex", "age_band", "target_group", *FLAG_MEASURES)
_PERSON_YEAR = f"""
    SELECT * FROM (
        SELECT c.*, year(c.opened) AS year,
               row_number() OVER (PARTITION BY c.person_key, year(c.opened)
                                  ORDER BY c.opened, {', '.join(f'c.{a}' for a in _COUNTED)}, c.case_key) AS k
        FROM cases c WHERE year(c.opened) BETWEEN ? AND ?
    ) WHERE k = 1
"""


def victims(con: duckdb.DuckDBPyConnection, first_year: int, last_year: int) -> pd.DataFrame:
    flags = ", ".join(f"count(*) FILTER (WHERE {f}) AS {f}" for f in FLAG_MEASURES)
    return con.execute(
        f"""SELECT district, year, coalesce(sex, 'okänt') AS sex, coalesce(age_band, '{UNKNOWN}') AS age_band,
                   coalesce(target_group, '{UNKNOWN}') AS target_group, count(*) AS n, {flags}
            FROM ({_PERSON_YEAR}) GROUP BY ALL ORDER BY ALL""",
        [first_year, last_year],
    ).df()


def applications(con: duckdb.DuckDBPyConnection, first_year: int, last_year: int) -> pd.DataFrame:
    return con.execute(
        f"""SELECT c.district, year(p.applied) AS year, p.type AS placement_type, p.decision,
                  coalesce(c.target_group, '{UNKNOWN}') AS target_group, count(*) AS n
           FROM placements p JOIN cases c USING (case_key)
           WHERE year(p.applied) BETWEEN ? AND ? GROUP BY ALL ORDER BY ALL""",
        [first_year, last_year],
    ).df()


def placements(con: duckdb.DuckDBPyConnection, first_year: int, last_year: int) -> pd.DataFrame:
    return con.execute(
        f"""SELECT c.district, year(p.start) AS year, p.type AS placement_type,
                   coalesce(p.referring_unit, '{UNKNOWN}') AS referring_unit,
                   coalesce(c.target_group, '{UNKNOWN}') AS target_group, count(*) AS n
            FROM placements p JOIN cases c USING (case_key)
            WHERE p.decision = 'beviljad' AND p.start IS NOT NULL AND year(p.start) BETWEEN ? AND ?
            GROUP BY ALL ORDER BY ALL""",
        [first_year, last_year],
    ).df()


def persons_placed(con: duckdb.DuckDBPyConnection, year: int) -> pd.DataFrame:
    return con.execute(
        """SELECT district, count(*) AS n FROM (
               SELECT c.district, row_number() OVER (PARTITION BY c.person_key ORDER BY p.start, c.district, p.placement_key) AS k
               FROM placements p JOIN cases c USING (case_key)
               WHERE p.decision = 'beviljad' AND p.type = 'skyddat_boende' AND year(p.start) = ?
           ) WHERE k = 1 GROUP BY ALL ORDER BY ALL""",
        [year],
    ).df()


def districts(con: duckdb.DuckDBPyConnection, year: int) -> pd.DataFrame:
    """Reference data for the year (the latest year at or before it, if the year itself is missing)."""
    return con.execute(
        """SELECT code, name, region, has_emergency_flats, rvt_refers_to_shis FROM districts
           WHERE year = (SELECT max(year) FROM districts WHERE year <= ?) ORDER BY code""",
        [year],
    ).df()


def years_with_data(con: duckdb.DuckDBPyConnection) -> list[int]:
    return [r[0] for r in con.execute("SELECT DISTINCT year(opened) FROM cases ORDER BY 1").fetchall()]

