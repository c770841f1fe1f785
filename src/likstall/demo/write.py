"""Writing the demo data set to files in the import contract (CSV, XLSX or Parquet)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import duckdb
import pandas as pd

from .generate import DemoData, generate
from .messy import make_messy

FORMATS = ("csv", "xlsx", "parquet")

README_SV = """SYNTETISKA DEMODATA — inga verkliga personer.

Skapade av `likstall demo-data` (seed {seed}, år {years}, {n} stadsdelar{messy}).
Uttagsdatum: {extract}. Läs in med:

    likstall ingest {out} --db likstall-demo.duckdb --extract-date {extract}

Befolkningstal, inkomster och placeringsnivåer är ungefärliga och kalibrerade mot
socialförvaltningens tjänsteutlåtande (Dnr 1.3.1-297/2022); de är inte officiell statistik.
"""


def write_demo_data(out: str | Path, *, seed: int = 2021, years: list[int] | None = None, districts: int = 13,
                    messy: bool = False, fmt: str = "csv", extract_date: dt.date | None = None,
                    truth: str | None = None) -> dict:
    """Generate the demo data set and write one file per table (one workbook for XLSX). Returns a summary.

    With `truth` (a mode of `generate.TRUTHS`) the city has known truth, recorded under "truth" in
    demo-data.json (which districts carry which planted effect, and its size)."""
    if fmt not in FORMATS:
        raise ValueError(f"okänt format {fmt!r}; välj {', '.join(FORMATS)}")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    data = generate(seed=seed, years=years, n_districts=districts, extract_date=extract_date, truth=truth)
    tables = data.tables()
    special: dict[str, dict] = {}
    if messy:
        tables, special = make_messy(tables, seed=seed, extract=data.extract_date)
    written = []
    if fmt == "xlsx":
        path = out / "likstall-demo.xlsx"
        with pd.ExcelWriter(path, engine="openpyxl") as xw:
            for name, df in tables.items():
                _excel_ready(df).to_excel(xw, sheet_name=name, index=False)
        written.append(path.name)
    else:
        con = duckdb.connect()
        con.execute("SET enable_progress_bar = false")
        for name, df in tables.items():
            opts = special.get(name, {})
            path = out / f"{opts.get('file_stem', name)}.{fmt}"
            if fmt == "parquet":
                con.register("_t", df)
                con.execute(f"COPY (SELECT * FROM _t) TO '{path}' (FORMAT parquet)")
                con.unregister("_t")
            elif opts.get("encoding") == "cp1252":
                # What Swedish Excel writes: semicolons and Windows-1252.
                df.to_csv(path, sep=";", index=False, encoding="cp1252", lineterminator="\r\n")
            else:
                con.register("_t", df)
                con.execute(f"COPY (SELECT * FROM _t) TO '{path}' (HEADER, DELIMITER ',')")
                con.unregister("_t")
            written.append(path.name)
        con.close()
    summary = {
        "out": str(out), "files": written, "seed": seed, "districts": districts, "messy": messy,
        "extract_date": data.extract_date.isoformat(),
        "years": f"{(years or [2015])[0]}-{(years or [2021])[-1]}" if years else "2015-2021",
        "rows": {name: int(len(df)) for name, df in tables.items()},
    }
    if data.truth is not None:
        summary["truth"] = data.truth
    (out / "LASMIG.txt").write_text(README_SV.format(
        seed=seed, years=summary["years"], n=districts,
        messy=(", med fel" if messy else "") + (f", känd sanning {truth}" if truth else ""),
        extract=summary["extract_date"], out=out), encoding="utf-8")
    (out / "demo-data.json").write_text(json.dumps(summary, ensure_ascii=False, indent=2), encoding="utf-8")
    return summary


def _excel_ready(df: pd.DataFrame) -> pd.DataFrame:
    """Dates as real Excel dates, as a case system's export would have them."""
    df = df.copy()
    for c in ("opened", "closed", "applied", "decided", "start", "end"):
        if c in df.columns:
            # A value that is no calendar date (a --messy fault) stays text, as it would in a real export.
            parsed = pd.to_datetime(df[c].replace("", None), errors="coerce", format="%Y-%m-%d")
            df[c] = [p.date() if not pd.isna(p) else (v or None) for p, v in zip(parsed, df[c])]
    return df


__all__ = ["DemoData", "FORMATS", "generate", "write_demo_data"]
