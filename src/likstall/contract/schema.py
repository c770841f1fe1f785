"""The import contract as JSON Schema (draft 2020-12) and as a readable Swedish overview."""

from __future__ import annotations

from typing import Any

from .codes import BOOL_FALSE, BOOL_TRUE, SWEDISH_LABELS
from .columns import BOOL, CODE, DATE, INT, NUMBER, TABLES, Column, Table

PERSONNUMMER_RULE_SV = (
    "Allt som har formen av ett person- eller samordningsnummer (10 eller 12 siffror, med eller utan "
    "- eller +, giltig kontrollsiffra eller inte) i någon annan kolumn än person_id sätter raden i karantän."
)


def _column_schema(col: Column) -> dict[str, Any]:
    s: dict[str, Any] = {"description": col.description_sv, "x-aliases": list(col.aliases), "x-kind": col.kind}
    if col.kind == DATE:
        s.update(type="string", format="date")
    elif col.kind == INT:
        s.update(type="integer")
    elif col.kind == NUMBER:
        s.update(type="number")
    elif col.kind == BOOL:
        s.update(type="boolean", **{"x-accepted-true": list(BOOL_TRUE), "x-accepted-false": list(BOOL_FALSE)})
    elif col.kind == CODE and col.codes in SWEDISH_LABELS:
        s.update(type="string", enum=list(SWEDISH_LABELS[col.codes]),
                 **{"x-labels-sv": SWEDISH_LABELS[col.codes], "x-case-insensitive": True})
    else:
        s.update(type="string")
    if col.codes == "district":
        s["x-references"] = "districts.code"
    if col.minimum is not None:
        s["minimum"] = col.minimum
    if col.unique:
        s["x-unique"] = True
    if not col.required:
        s["type"] = [s["type"], "null"]
    return s


def table_schema(table: Table) -> dict[str, Any]:
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": table.name,
        "description": table.description_sv,
        "x-swedish-name": table.swedish,
        "x-file-names": list(table.aliases),
        "x-key": list(table.key),
        "type": "object",
        "properties": {c.name: _column_schema(c) for c in table.columns},
        "required": list(table.required),
        "additionalProperties": False,
    }


def contract_schema() -> dict[str, Any]:
    """All five tables; `additionalProperties: false` because unknown columns are never stored."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "likstall import contract",
        "description": "Importkontraktet för likstall. " + PERSONNUMMER_RULE_SV,
        "$defs": {name: table_schema(t) for name, t in TABLES.items()},
    }
