"""Contract-valid CSV exports of any size, generated in DuckDB (for the 10 M-row ingest benchmark).

`likstall demo-data` builds its calibrated data set in pandas and needs about 2 GB of memory per
million placements, so it stops being practical near 10 M. This script writes the same five files
with DuckDB's `range()`: the reference tables (districts, population, socio-economics) come from
`demo-data --districts D`, and cases and placements are drawn uniformly over those districts and
2015–2021 with every column filled in the contract's codes, so that the ingest does all of its
validation, pseudonymisation and writing. The numbers mean nothing; only the volume does.

    python benchmarks/bigdata.py OUT --placements 10000000 [--cases-per-placement 1] [--districts 290]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb

CASES = """
COPY (
  SELECT 'AR-B-' || lpad(i::VARCHAR, 8, '0') AS case_id,
         'P-B-' || lpad((i * 7 % {people})::VARCHAR, 8, '0') AS person_id,
         'D' || lpad((1 + i % {districts})::VARCHAR, 5, '0') AS district,
         opened, CASE WHEN i % 5 = 0 THEN NULL ELSE opened + (i % 200)::INT END AS closed,
         ['K', 'K', 'K', 'M', 'X'][1 + i % 5] AS sex,
         1940 + i % 65 AS birth_year,
         ['vald_i_nara_relation', 'vald_i_nara_relation', 'hedersrelaterat', 'sex_mot_ersattning',
          'manniskohandel', 'sexuellt_vald'][1 + i % 6] AS target_group,
         ['rvt', 'ekonomiskt_bistand', 'barn_och_unga', 'annan'][1 + i % 4] AS handling_unit,
         i % 13 = 0 AS disability, i % 11 = 0 AS addiction, i % 5 = 0 AS economic_vulnerability,
         i % 17 = 0 AS honour_context, i % 19 = 0 AS interpreter_needed, i % 7 <> 0 AS freda_screening,
         i % 3 = 0 AS freda_risk_assessment
  FROM (SELECT i, DATE '2015-01-01' + (i * 37 % 2400)::INT AS opened FROM range({n_cases}) t(i))
) TO '{out}/cases.csv' (HEADER, DELIMITER ',')
"""

PLACEMENTS = """
COPY (
  SELECT 'IN-B-' || lpad(i::VARCHAR, 8, '0') AS placement_id,
         'AR-B-' || lpad((i % {n_cases})::VARCHAR, 8, '0') AS case_id,
         ['skyddat_boende', 'skyddat_boende', 'shis', 'jourlagenhet', 'fortur'][1 + i % 5] AS type,
         ['rvt', 'ekonomiskt_bistand', 'annan'][1 + i % 3] AS referring_unit,
         applied,
         CASE WHEN i % 10 = 0 THEN 'avslag' ELSE 'beviljad' END AS decision,
         applied + (i % 3)::INT AS decided,
         CASE WHEN i % 10 = 0 THEN NULL ELSE applied + (i % 3)::INT END AS start,
         CASE WHEN i % 10 = 0 OR i % 9 = 0 THEN NULL ELSE applied + (i % 3)::INT + (1 + i % 120)::INT END AS "end",
         i % 3 AS children,
         1000 * (1 + i % 150) AS cost_sek
  FROM (SELECT i, DATE '2015-01-01' + ((i % {n_cases}) * 37 % 2400)::INT + (i % 30)::INT AS applied
        FROM range({n_placements}) t(i))
) TO '{out}/placements.csv' (HEADER, DELIMITER ',')
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--placements", type=int, required=True)
    ap.add_argument("--cases-per-placement", type=float, default=1.0)
    ap.add_argument("--districts", type=int, default=290)
    a = ap.parse_args()
    a.out.mkdir(parents=True, exist_ok=True)
    ref = a.out / "reference"
    subprocess.run([sys.executable, "-m", "likstall", "demo-data", "--out", str(ref), "--districts", str(a.districts)],
                   check=True, stdout=subprocess.DEVNULL)
    for name in ("districts.csv", "population.csv", "socioeconomics.csv"):
        (ref / name).rename(a.out / name)
    shutil.rmtree(ref)
    n_cases = max(1, int(a.placements * a.cases_per_placement))
    if max(n_cases, a.placements) >= 10**8:
        sys.exit("högst 99 999 999 rader per tabell (id:n har 8 siffror, så att de inte liknar personnummer)")
    con = duckdb.connect()
    fill = {"out": a.out.as_posix(), "n_cases": n_cases, "n_placements": a.placements, "districts": a.districts,
            "people": max(1, int(n_cases * 0.8))}
    con.execute(CASES.format(**fill))
    con.execute(PLACEMENTS.format(**fill))
    print(f"{n_cases} ärenden, {a.placements} placeringar, {a.districts} distrikt i {a.out}")


if __name__ == "__main__":
    main()
