"""Header and code mapping: canonical names, the contract's Swedish aliases, and a user mapping file.

A mapping file (TOML or YAML) says how one case system's export differs from the contract:

    [tables]                       # file or sheet name -> table
    "Export_arenden" = "cases"

    [columns]                      # header -> column, for every table that has that column
    "Ärendenummer" = "case_id"

    [columns.placements]           # header -> column, for one table only
    "Typ av insats" = "type"

    [codes.type]                   # column -> {value in the export -> code}
    "SKB" = "skyddat_boende"
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from ..contract.codes import normalise_code
from ..contract.columns import TABLES, Table
from ..errors import InputError


@dataclass
class Mapping:
    tables: dict[str, str] = field(default_factory=dict)  # normalised file/sheet name -> table
    columns: dict[str, str] = field(default_factory=dict)  # normalised header -> column (all tables)
    table_columns: dict[str, dict[str, str]] = field(default_factory=dict)  # table -> {header -> column}
    codes: dict[str, dict[str, str]] = field(default_factory=dict)  # column or table.column -> {value -> code}

    def code_map(self, table: str, column: str) -> dict[str, str]:
        merged = dict(self.codes.get(column, {}))
        merged.update(self.codes.get(f"{table}.{column}", {}))
        return merged


def load_mapping(path: str | Path | None) -> Mapping:
    if path is None:
        return Mapping()
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise InputError(f"Mappningsfilen kunde inte läsas: {exc.strerror}", file=str(path)) from None
    try:
        data = tomllib.loads(text) if path.suffix.lower() == ".toml" else yaml.safe_load(text)
    except (tomllib.TOMLDecodeError, yaml.YAMLError) as exc:
        raise InputError(f"Mappningsfilen har fel syntax: {str(exc).splitlines()[0]}", file=str(path)) from None
    if not isinstance(data, dict):
        raise InputError("Mappningsfilen ska innehålla avsnitten [tables], [columns] och/eller [codes].", file=str(path))
    unknown = set(data) - {"tables", "columns", "codes"}
    if unknown:
        raise InputError(f"Okänt avsnitt i mappningsfilen: {', '.join(sorted(unknown))}", file=str(path))

    m = Mapping()
    for name, table in (data.get("tables") or {}).items():
        if table not in TABLES:
            raise InputError(f"Mappningsfilen nämner tabellen {table!r}, som inte finns i kontraktet", file=str(path))
        m.tables[normalise_code(str(name))] = table
    for header, target in (data.get("columns") or {}).items():
        if isinstance(target, dict):
            if header not in TABLES:
                raise InputError(f"[columns.{header}]: ingen sådan tabell", file=str(path))
            cols = {c.name for c in TABLES[header].columns}
            for h, col in target.items():
                if col not in cols:
                    raise InputError(f"[columns.{header}]: kolumnen {col!r} finns inte i tabellen", file=str(path))
                m.table_columns.setdefault(header, {})[normalise_code(str(h))] = col
        else:
            all_cols = {c.name for t in TABLES.values() for c in t.columns}
            if target not in all_cols:
                raise InputError(f"[columns]: kolumnen {target!r} finns inte i kontraktet", file=str(path))
            m.columns[normalise_code(str(header))] = target
    for column, values in (data.get("codes") or {}).items():
        if not isinstance(values, dict):
            raise InputError(f"[codes.{column}] ska vara en tabell med värde = kod", file=str(path))
        m.codes[column] = {normalise_code(str(k)): str(v) for k, v in values.items()}
    return m


def canonical_header(table: Table, header: str, mapping: Mapping) -> str | None:
    """The contract column a header means in `table`, or None when it is outside the contract."""
    h = normalise_code(header)
    per_table = mapping.table_columns.get(table.name, {})
    if h in per_table:
        return per_table[h]
    if h in mapping.columns and mapping.columns[h] in {c.name for c in table.columns}:
        return mapping.columns[h]
    for col in table.columns:
        if h == col.name or h in {normalise_code(a) for a in col.aliases}:
            return col.name
    return None


def detect_table(name: str, headers: list[str], mapping: Mapping) -> str | None:
    """Which table a file or sheet holds: by its name first, then by which table's required columns it has."""
    n = normalise_code(name)
    if n in mapping.tables:
        return mapping.tables[n]
    for t in TABLES.values():
        if n in {normalise_code(a) for a in t.aliases}:
            return t.name
    candidates = []
    for t in TABLES.values():
        mapped = {canonical_header(t, h, mapping) for h in headers}
        if set(t.required) <= mapped:
            candidates.append(t.name)
    # A placements file also carries case_id; prefer the table with the most required columns matched.
    if len(candidates) > 1:
        candidates.sort(key=lambda t: -len(TABLES[t].required))
        if len(TABLES[candidates[0]].required) == len(TABLES[candidates[1]].required):
            return None
    return candidates[0] if candidates else None
