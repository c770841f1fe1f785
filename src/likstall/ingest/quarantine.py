"""Reading the quarantine back: file, row, column, rule and message — never a value of a person."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..store.connection import connect
from .rules import describe

COLUMNS_SV = {
    "load_id": "inläsning",
    "file": "fil",
    "table_name": "tabell",
    "row_number": "rad",
    "column_name": "kolumn",
    "rule": "regel",
    "message": "meddelande",
}


def quarantine(db: str | Path, *, load_id: int | None = None) -> pd.DataFrame:
    """Quarantined rows of every load (or one), ordered by load, file and row."""
    con = connect(db, read_only=True)
    try:
        where = "WHERE load_id = ?" if load_id is not None else ""
        df = con.execute(
            f"SELECT load_id, file, table_name, row_number, column_name, rule, message FROM quarantine {where} "
            "ORDER BY load_id, file, row_number, rule",
            [load_id] if load_id is not None else [],
        ).df()
    finally:
        con.close()
    df["rule_description"] = df["rule"].map(describe)
    return df
