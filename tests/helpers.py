"""Helpers for tests: small hand-made export files, and reading a store."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import duckdb

EXTRACT = dt.date(2022, 1, 31)


def store_rows(db: Path, sql: str, params=()) -> list[tuple]:
    """The rows of one query on a store, opened read-only and closed again."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, params).fetchall()
    finally:
        con.close()


def write_csv(path: Path, rows: list[dict], *, delimiter: str = ",", encoding: str = "utf-8") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding=encoding) as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]), delimiter=delimiter)
        w.writeheader()
        w.writerows(rows)
    return path


def base_tables() -> dict[str, list[dict]]:
    """A tiny valid export: three districts (one without cases), three cases, three placements."""
    districts = [
        {"code": "norr", "name": "Norrby", "region": "RVC Nord", "year": 2021, "has_emergency_flats": "ja",
         "rvt_refers_to_shis": "nej"},
        {"code": "soder", "name": "Söderby", "region": "RVC Syd", "year": 2021, "has_emergency_flats": "nej",
         "rvt_refers_to_shis": "ja"},
        {"code": "ost", "name": "Östby", "region": "RVC Syd", "year": 2021, "has_emergency_flats": "",
         "rvt_refers_to_shis": ""},
    ]
    population = [
        {"district": d, "year": 2021, "sex": s, "age_band": "25-44", "count": 1000}
        for d in ("norr", "soder") for s in ("K", "M")
    ]
    socio = [{"district": d, "year": 2021, "indicator": "median_income", "value": v}
             for d, v in (("norr", 250000), ("soder", 400000))]
    cases = [
        {"case_id": "AR-1", "person_id": "P-1", "district": "norr", "opened": "2021-03-01", "closed": "",
         "sex": "K", "birth_year": "1985", "target_group": "vald_i_nara_relation", "handling_unit": "rvt",
         "disability": "nej", "interpreter_needed": "ja"},
        {"case_id": "AR-2", "person_id": "P-2", "district": "soder", "opened": "2021-05-10", "closed": "2021-09-01",
         "sex": "kvinna", "birth_year": "1950", "target_group": "Hedersrelaterat", "handling_unit": "RVT",
         "disability": "1", "interpreter_needed": "0"},
        {"case_id": "AR-3", "person_id": "P-3", "district": "Norrby", "opened": "2021-06-01", "closed": "",
         "sex": "M", "birth_year": "2000", "target_group": "sexuellt_vald", "handling_unit": "annan",
         "disability": "", "interpreter_needed": ""},
    ]
    placements = [
        {"placement_id": "IN-1", "case_id": "AR-1", "type": "skyddat_boende", "referring_unit": "rvt",
         "applied": "2021-03-02", "decision": "beviljad", "decided": "2021-03-03", "start": "2021-03-03",
         "end": "2021-04-01", "children": "1", "cost_sek": "60900"},
        {"placement_id": "IN-2", "case_id": "AR-2", "type": "SHIS", "referring_unit": "Ekonomiskt bistånd",
         "applied": "2021-05-11", "decision": "Beviljad", "decided": "2021-05-12", "start": "2021-05-12",
         "end": "", "children": "0", "cost_sek": ""},
        {"placement_id": "IN-3", "case_id": "AR-3", "type": "Skyddat boende", "referring_unit": "",
         "applied": "2021-06-02", "decision": "avslag", "decided": "2021-06-03", "start": "", "end": "",
         "children": "", "cost_sek": ""},
    ]
    return {"districts": districts, "population": population, "socioeconomics": socio, "cases": cases,
            "placements": placements}


def write_tables(folder: Path, tables: dict[str, list[dict]]) -> Path:
    for name, rows in tables.items():
        write_csv(folder / f"{name}.csv", rows)
    return folder
