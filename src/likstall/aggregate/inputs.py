"""Small aggregate tables the statistics need beyond the published counts.

Still aggregates: populations, socio-economic indicators, placements by stratum, and durations
as risk-set counts (district × days × ended → number of placements), never a row per person.
"""

from __future__ import annotations

import duckdb
import pandas as pd

SB = "skyddat_boende"


def population(con: duckdb.DuckDBPyConnection, first_year: int, last_year: int) -> pd.DataFrame:
    return con.execute(
        "SELECT district, year, sex, age_band, count FROM population WHERE year BETWEEN ? AND ? ORDER BY ALL",
        [first_year, last_year],
    ).df()


def socioeconomics(con: duckdb.DuckDBPyConnection, year: int) -> pd.DataFrame:
    """Indicators for the year (the latest year at or before it), wide: one column per indicator."""
    df = con.execute(
        """SELECT district, indicator, value FROM socioeconomics s
           WHERE year = (SELECT max(year) FROM socioeconomics WHERE year <= ? AND indicator = s.indicator)""",
        [year],
    ).df()
    return df.pivot_table(index="district", columns="indicator", values="value").reset_index() if len(df) else df


def sb_by_stratum(con: duckdb.DuckDBPyConnection, year: int) -> pd.DataFrame:
    """Skyddat-boende placements started in the year by district, sex and age band of the person."""
    return con.execute(
        """SELECT c.district, c.sex, c.age_band, count(*) AS n
           FROM placements p JOIN cases c USING (case_key)
           WHERE p.decision = 'beviljad' AND p.type = ? AND year(p.start) = ? GROUP BY ALL ORDER BY ALL""",
        [SB, year],
    ).df()


def durations(con: duckdb.DuckDBPyConnection, first_year: int, last_year: int) -> pd.DataFrame:
    """Risk sets of skyddat-boende stays: (year, district, target group, days, ended) → placements.

    Days run from start to end; a stay still running is censored at the extract date of the load
    that last contained it (days to that date, ended = false).
    """
    return con.execute(
        """SELECT year(p.start) AS year, c.district, coalesce(c.target_group, 'okänd') AS target_group,
                  CAST(coalesce(p."end", p.extract_date) - p.start AS INTEGER) AS days,
                  p."end" IS NOT NULL AS ended, count(*) AS n
           FROM placements p JOIN cases c USING (case_key)
           WHERE p.decision = 'beviljad' AND p.type = ? AND p.start IS NOT NULL
             AND year(p.start) BETWEEN ? AND ?
           GROUP BY ALL ORDER BY ALL""",
        [SB, first_year, last_year],
    ).df()


def missing_fields(con: duckdb.DuckDBPyConnection, year: int) -> pd.DataFrame:
    """Cases opened in the year per district, and how many lack each optional field."""
    return con.execute(
        """SELECT district, count(*) AS cases,
                  count(*) FILTER (WHERE sex IS NULL OR sex = 'okänt') AS sex,
                  count(*) FILTER (WHERE age_band IS NULL) AS age_band,
                  count(*) FILTER (WHERE target_group IS NULL) AS target_group,
                  count(*) FILTER (WHERE handling_unit IS NULL) AS handling_unit
           FROM cases WHERE year(opened) = ? GROUP BY ALL ORDER BY ALL""",
        [year],
    ).df()


def late_registrations(con: duckdb.DuckDBPyConnection, year: int) -> pd.DataFrame:
    """Cases opened in the year that first appeared in a later load than the first one whose extract
    date covered their opening date: registered late in the case system, per district."""
    return con.execute(
        """WITH first_cover AS (
               SELECT c.case_key, min(l.load_id) AS covering
               FROM cases c JOIN loads l ON l.extract_date >= c.opened
               WHERE year(c.opened) = ? GROUP BY ALL)
           SELECT c.district, count(*) AS cases, count(*) FILTER (WHERE c.first_load_id > f.covering) AS late
           FROM cases c JOIN first_cover f USING (case_key) GROUP BY ALL ORDER BY ALL""",
        [year],
    ).df()

