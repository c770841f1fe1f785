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

import errno
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from ..contract.codes import normalise_code
from ..contract.columns import TABLES, Table
from ..contract.personnummer import safe_name
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


class _NoAliases(yaml.SafeLoader):
    """YAML without anchors and aliases: a mapping has no use for them, and nested aliases expand
    exponentially (478 bytes of them asked for 750 MB)."""

    def compose_node(self, parent, index):
        if self.check_event(yaml.events.AliasEvent):
            raise yaml.YAMLError("alias")
        return super().compose_node(parent, index)


_OS_ERRORS = {errno.ENOENT: "filen finns inte", errno.EISDIR: "det är en mapp", errno.EACCES: "filen får inte läsas"}


def _read(path: Path) -> str:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        why = _OS_ERRORS.get(exc.errno, "filen kunde inte öppnas")
        raise InputError(f"Mappningsfilen kunde inte läsas: {why}", file=safe_name(str(path))) from None
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return _refuse(path, "Mappningsfilen är varken UTF-8 eller Windows-1252")


def _refuse(path: Path, message: str):
    raise InputError(message, file=safe_name(str(path)), rule="mapping")


def _text(value, path: Path, where: str) -> str:
    """A name or code from the file: a text (or a number, as YAML reads 01 or 1.0), nothing nested."""
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        return str(value)
    return _refuse(path, f"Mappningsfilen har under {where} något annat än ett namn eller en kod (en lista eller "
                         "ett avsnitt där ett namn väntas)")


def _section(value, path: Path, where: str) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        return _refuse(path, f"Mappningsfilen: {where} ska vara ett avsnitt med namn = värde, inte en lista eller ett "
                             "enskilt värde")
    return value


def _codes(section: dict):
    """(column, values) of [codes]: `[codes.cases.sex]` in TOML (and `cases: {sex: ...}` in YAML) nests the table
    above the column; it means the column "cases.sex"."""
    for column, values in section.items():
        if isinstance(column, str) and column in TABLES and isinstance(values, dict) \
                and values and all(isinstance(v, dict) for v in values.values()):
            for col, inner in values.items():
                yield f"{column}.{col}", inner
        else:
            yield column, values


def load_mapping(path: str | Path | None) -> Mapping:
    if path is None:
        return Mapping()
    path = Path(path)
    text = _read(path)
    try:
        data = tomllib.loads(text) if path.suffix.lower() == ".toml" else yaml.load(text, Loader=_NoAliases)
    except yaml.YAMLError as exc:
        if str(exc) == "alias":
            _refuse(path, "Mappningsfilen använder YAML-ankare och alias (& och *), som inte tas emot")
        raise InputError(f"Mappningsfilen har fel syntax: {safe_name(str(exc).splitlines()[0])}",
                         file=safe_name(str(path)), rule="mapping") from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"Mappningsfilen har fel syntax: {safe_name(str(exc).splitlines()[0])}",
                         file=safe_name(str(path)), rule="mapping") from None
    if not isinstance(data, dict):
        _refuse(path, "Mappningsfilen ska innehålla avsnitten [tables], [columns] och/eller [codes].")
    unknown = {str(k) for k in data} - {"tables", "columns", "codes"}
    if unknown:
        _refuse(path, f"Okänt avsnitt i mappningsfilen: {', '.join(safe_name(u) for u in sorted(unknown))}")

    m = Mapping()
    for name, table in _section(data.get("tables"), path, "[tables]").items():
        table = _text(table, path, "[tables]")
        if table not in TABLES:
            _refuse(path, f"Mappningsfilen nämner tabellen {safe_name(table)!r}, som inte finns i kontraktet")
        m.tables[normalise_code(_text(name, path, "[tables]"))] = table
    for header, target in _section(data.get("columns"), path, "[columns]").items():
        header = _text(header, path, "[columns]")
        if isinstance(target, dict):
            if header not in TABLES:
                _refuse(path, f"[columns.{safe_name(header)}]: ingen sådan tabell")
            cols = {c.name for c in TABLES[header].columns}
            for h, col in target.items():
                col = _text(col, path, f"[columns.{header}]")
                if col not in cols:
                    _refuse(path, f"[columns.{header}]: kolumnen {safe_name(col)!r} finns inte i tabellen")
                m.table_columns.setdefault(header, {})[normalise_code(_text(h, path, f"[columns.{header}]"))] = col
        else:
            target = _text(target, path, "[columns]")
            all_cols = {c.name for t in TABLES.values() for c in t.columns}
            if target not in all_cols:
                _refuse(path, f"[columns]: kolumnen {safe_name(target)!r} finns inte i kontraktet")
            m.columns[normalise_code(header)] = target
    for column, values in _codes(_section(data.get("codes"), path, "[codes]")):
        column = _text(column, path, "[codes]")
        where = f"[codes.{safe_name(column)}]"
        if not isinstance(values, dict):
            _refuse(path, f"{where} ska vara en tabell med värde = kod")
        m.codes[column] = {normalise_code(_text(k, path, where)): _text(v, path, where) for k, v in values.items()}
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
