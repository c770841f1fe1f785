"""Set-based validation in DuckDB: every staged row is typed, checked against every rule, and
either accepted or written to the quarantine list with a reason per failed rule.

No Python runs per row, and a table is read as few times as the rules allow (docs/performance.md):
1. `u_<table>`: a view over the table's staged files (trimmed text, the row number, and the
   columns in which something looks like a personnummer);
2. one statement finds the distinct values of every code column (they become CASE or lookups);
3. one statement types every column, evaluates every rule (`_bad`: the row fails one), computes
   the keyed pseudonyms and the row hash, and classifies the row against the store (insert,
   update, unchanged or older): `c_<table>`, the table's only full copy besides the rows as read.
   A second statement lists the failures (column, rule, Swedish message) of the rows that failed,
   and only of those;
4. duplicates within the load (on the pseudonymised key), and for placements the case that must
   exist; rows that failed anything are then deleted from `c_<table>`, which leaves the accepted.
Raw values stay in the in-memory `stg` catalog; messages never quote a person key, and quote a
bad value only when it is a short code-like value that five persons share (`shown_value_sql`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb

from ..contract.codes import BOOL_FALSE, BOOL_TRUE, SWEDISH_LABELS, alias_rows
from ..contract.personnummer import (SQL_DATED_RUN, SQL_SEPARATORS, SQL_SPACES, SQL_ZERO_WIDTH, contains_personnummer,
                                     sql_dated_hit)
from ..contract.columns import AGE_BANDS, BOOL, CODE, DATE, FLAG_COLUMNS, INT, NUMBER, TABLES, Table
from ..errors import InputError
from ..store.schema import data_columns, row_hash_sql
from .mapping import Mapping
from .pseudonym import CASE, PLACEMENT, id_key_sql, person_key_sql, trim_sql
from .reader import StagedFile, safe_name

ZERO_WIDTH = f"[{SQL_ZERO_WIDTH}]"
# 10 or 12 digits (any script's digits), optionally with a separator before the last four, not part of a longer
# number; the separators and spaces are those of contract/personnummer.py (not chr(31), which joins a row's
# columns for the check, `Validator._pnr_sql`).
PNR_PATTERN = (rf"(^|[^\p{{Nd}}])(\p{{Nd}}{{2}})?\p{{Nd}}{{6}}[{SQL_SPACES}]*[{SQL_SEPARATORS}]?[{SQL_SPACES}]*"
               rf"\p{{Nd}}{{4}}([^\p{{Nd}}]|$)")
# A necessary condition for PNR_PATTERN after the zero-width characters are removed: ten digits with
# nothing but zero-width characters between them, except spaces and one separator before the last
# four. Checked on the text as read, it spares almost every row the removal and the exact pattern.
_ZW = ZERO_WIDTH[1:-1]
# And for the forms with _ . or / before the last four (contract/personnummer.py, DATED): a date (month and day
# checked, so that amounts and ids seldom take the exact test), the separator, four digits, zero-width characters
# anywhere between them.
_Z = f"[{_ZW}]*"
_MONTH = f"(?:0{_Z}[1-9]|1{_Z}[0-2])"
_DAY = f"(?:0{_Z}[1-9]|[12]{_Z}[0-9]|3{_Z}[01]|6{_Z}[1-9]|[78]{_Z}[0-9]|9{_Z}[01])"
PNR_CANDIDATE = (rf"\p{{Nd}}(?:[{_ZW}]*\p{{Nd}}){{5}}[{SQL_SPACES}{_ZW}]*[{SQL_SEPARATORS}]?[{SQL_SPACES}{_ZW}]*"
                 rf"\p{{Nd}}(?:[{_ZW}]*\p{{Nd}}){{3}}"
                 rf"|[0-9]{_Z}[0-9]{_Z}{_MONTH}{_Z}{_DAY}{_Z}[._/]{_Z}(?:[0-9]{_Z}){{4}}")
EARLIEST_DATE = dt.date(1990, 1, 1)


def lit(text: str) -> str:
    """A SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def norm_sql(x: str) -> str:
    """SQL twin of contract.codes.normalise_code."""
    return f"trim(regexp_replace(lower(strip_accents(trim({x}))), '[^a-z0-9+]+', '_', 'g'), '_')"


# A bad value is quoted in its message only when it is short, has fewer than four digits, no control or
# invisible characters and not two capitalised words (a name), and occurs in its column for at least this many different persons in the load (a
# case's person; a placement's case's person, or the case itself where the case is unknown; in the tables
# without persons, rows): a code the export spells its own way (which the message then helps to map), not a
# name or a note about one person that an export error put in a code column, however many of that person's
# rows it is in (those are never written to the quarantine).
QUOTE_FROM_PERSONS = 5


def shown_value_sql(x: str, table: str, column: str) -> str:
    """SQL: ' ("value")' for a value that may be quoted (see QUOTE_FROM_PERSONS), else ''. Needs
    `stg.common_<table>` (`Validator._common_values`)."""
    return (
        f"CASE WHEN length({x}) <= 30 AND length(regexp_replace({x}, '[^\\p{{Nd}}]', '', 'g')) < 4 "
        f"AND NOT regexp_matches({x}, '[\\p{{Cc}}\\p{{Cf}}]') "
        # Two capitalised words are taken for a name (a case officer's, in many persons' rows), not a code.
        f"AND NOT regexp_matches({x}, '\\p{{Lu}}\\p{{Ll}}+[\\s\\p{{Zs}}-]+\\p{{Lu}}\\p{{Ll}}') "
        f"AND EXISTS (SELECT 1 FROM stg.common_{table} k WHERE k.col = {lit(column)} AND k.v = {x}) "
        f"THEN ' (\"' || {x} || '\")' ELSE '' END"
    )


def date_value_sql(x: str) -> str:
    return f"CASE WHEN regexp_full_match({x}, '[0-9]{{1,4}}[-/.][0-9]{{1,2}}[-/.][0-9]{{1,4}}') THEN ' (\"' || {x} || '\")' ELSE '' END"


# A date with - or /, optionally with a time of day (a workbook's or Parquet file's timestamp). DuckDB's own cast
# ignores whatever follows a space ("2020-01-01 (ungefär)", "2020-01-01 BC" became 2020-01-01). Not with a time
# zone (Z, +01:00): the cast would keep the date as written, the day before in Sweden for a late UTC time.
# (Written without braces: the typed row's SQL is a str.format template.)
DATE_TIME = (r"[0-9][0-9][0-9][0-9][-/][0-9][0-9]?[-/][0-9][0-9]?"
             r"([ T][0-9][0-9]?:[0-9][0-9](:[0-9][0-9](\.[0-9]+)?)?)?")


def date_shape_sql(x: str) -> str:
    """True when the text `x` has the shape of a date (with or without a time), so that its cast means it."""
    # The GLOB answers the plain ÅÅÅÅ-MM-DD almost every row has for a third of the pattern's cost (5 M dates:
    # 0,17 s against 0,38 s); a LIKE with any character in each place let "2021-03-1Z" through.
    return f"({x} GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]' OR regexp_full_match({x}, '{DATE_TIME}'))"


def age_band_sql(age: str) -> str:
    return (
        f"CASE WHEN {age} < 18 THEN '0-17' WHEN {age} < 25 THEN '18-24' WHEN {age} < 45 THEN '25-44' "
        f"WHEN {age} < 65 THEN '45-64' WHEN {age} < 80 THEN '65-79' ELSE '80+' END"
    )


assert age_band_sql("a").count("THEN") + 1 == len(AGE_BANDS)  # five limits, six bands


def blank_is_null_sql(x: str) -> str:
    """SQL: the value trimmed, and NULL when nothing is left, or when it holds only spaces, tabs and invisible
    characters (a zero-width space, a soft hyphen), which trim leaves: such an id was taken as a real one, and
    every case with it as one person. The pattern runs only for a value whose first character (ascii() is
    its code point) is below "0" or outside ASCII: one that starts with a digit or a letter is not blank."""
    return (f"NULLIF(CASE WHEN (ascii({x}) < 48 OR ascii({x}) > 127) "
            f"AND regexp_full_match({x}, '[\\s\\p{{Zs}}\\p{{Cf}}\\p{{Cc}}]+') THEN '' ELSE {trim_sql(x)} END, '')")


def pnr_hit_sql(x: str) -> str:
    """True when the text `x` holds something personnummer-shaped (zero-width characters ignored)."""
    visible = f"regexp_replace({x}, '{ZERO_WIDTH}', '', 'g')"
    dated = (f"list_bool_or(list_transform(regexp_extract_all({visible}, '{SQL_DATED_RUN}'), "
             f"r -> {sql_dated_hit('r')}))")
    exact = f"(regexp_matches({visible}, '{PNR_PATTERN}') OR coalesce({dated}, false))"
    # CASE evaluates its THEN only for the rows that pass the cheap test.
    return f"CASE WHEN regexp_matches({x}, '{PNR_CANDIDATE}') THEN {exact} ELSE false END"


@dataclass(frozen=True)
class Rule:
    """One check of one column: `cond` is SQL over the typed row (raw text `r_<col>`, typed `"<col>"`)."""

    column: str
    rule: str
    cond: str
    message: str  # SQL giving the Swedish message


@dataclass
class Context:
    con: duckdb.DuckDBPyConnection
    extract_date: dt.date
    mapping: Mapping
    key_params: dict[str, bytes]


def column_rules(table: Table, extract: dt.date) -> list[Rule]:
    """Every rule on single columns of `table`, in the order the contract lists the columns."""
    x = extract.isoformat()
    out: list[Rule] = []
    for c in table.columns:
        raw, v = f"r_{c.name}", _q(c.name)
        unparsed = f"{raw} IS NOT NULL AND {v} IS NULL"
        if c.required:
            out.append(Rule(c.name, "required", f"{raw} IS NULL", lit(f"Obligatoriskt fält saknas: {c.name}")))
        if c.kind == CODE:
            if c.codes == "district":
                out.append(Rule(c.name, "unknown_district", unparsed,
                                lit(f"Stadsdelen i kolumnen {c.name} finns inte i referensdata")
                                + f" || {shown_value_sql(raw, table.name, c.name)}"))
            else:
                allowed = ", ".join(SWEDISH_LABELS[c.codes])
                out.append(Rule(c.name, "invalid_code", unparsed,
                                lit(f"Okänd kod i kolumnen {c.name}") + f" || {shown_value_sql(raw, table.name, c.name)} || "
                                + lit(f"; tillåtna: {allowed}")))
        elif c.kind == BOOL:
            out.append(Rule(c.name, "invalid_code", unparsed,
                            lit(f"Kolumnen {c.name} ska vara ja/nej (1/0, true/false)")
                            + f" || {shown_value_sql(raw, table.name, c.name)}"))
        elif c.kind == DATE:
            out.append(Rule(c.name, "invalid_date", unparsed,
                            lit(f"Ogiltigt datum i kolumnen {c.name}") + f" || {date_value_sql(raw)}"))
            out.append(Rule(c.name, "date_after_extract", f"{v} > DATE '{x}'",
                            lit(f"Datumet i kolumnen {c.name} ligger efter uttagsdatumet {x}")))
            out.append(Rule(c.name, "implausible_date", f"{v} < DATE '{EARLIEST_DATE}'",
                            lit(f"Datumet i kolumnen {c.name} ligger före {EARLIEST_DATE}")))
        elif c.kind in (INT, NUMBER):
            out.append(Rule(c.name, "invalid_number", unparsed,
                            lit(f"Kolumnen {c.name} ska vara {'ett heltal' if c.kind == INT else 'ett tal'}")))
            if c.minimum == 0:
                out.append(Rule(c.name, "negative_value", f"{v} < 0", lit(f"Kolumnen {c.name} får inte vara negativ")))
            elif c.minimum is not None:
                out.append(Rule(c.name, "implausible_value", f"{v} < {c.minimum} OR {v} > {extract.year}",
                                lit(f"Kolumnen {c.name} ska ligga mellan {int(c.minimum)} och {extract.year}")))
    return out


# Rules across columns of one row. (A placement's case must also exist: that needs the cases, see
# `Validator._case_missing`.)
TABLE_RULES: dict[str, list[Rule]] = {
    "cases": [
        Rule("closed", "date_order", "closed < opened",
             lit("Ärendet avslutades (closed) före det aktualiserades (opened)")),
        Rule("birth_year", "implausible_value", "birth_year > year(opened)",
             lit("Födelseåret ligger efter aktualiseringsåret")),
        Rule("birth_year", "implausible_value", "year(opened) - birth_year > 110",
             lit("Personen skulle vara över 110 år vid aktualiseringen")),
    ],
    "placements": [
        Rule("decided", "date_order", "decided < applied", lit("Beslutsdatum (decided) före ansökningsdatum (applied)")),
        Rule("end", "date_order", '"end" < start', lit("Slutdatum (end) före startdatum (start)")),
        Rule("end", "date_order", '"end" IS NOT NULL AND start IS NULL', lit("Slutdatum (end) utan startdatum (start)")),
        Rule("start", "start_without_grant", "start IS NOT NULL AND decision = 'avslag'",
             lit("Startdatum på en insats som fått avslag")),
    ],
}


def rules(table: Table, extract: dt.date) -> list[Rule]:
    return column_rules(table, extract) + TABLE_RULES.get(table.name, [])


def _struct(column: str, rule: str, message: str) -> str:
    return f"{{'column_name': {column}, 'rule': {lit(rule)}, 'message': {message}}}"


# Below this many rows the distinct values of the code columns come from one DISTINCT over (column, value)
# pairs; from here on from a grouping set per column. Both give the same pairs (tests/ingest/
# test_sql_shortcuts.py). The grouping sets cost DuckDB ≈ 25 ms even for three rows of cases (a third of a
# one-file ingest), the pairs ≈ 10 ms; at a million rows the pairs cost 0,1–0,2 s more.
GROUPING_SETS_FROM_ROWS = 100_000


def distinct_values_sql(source: str, cols: list[str], rows: int) -> str:
    """SELECT col, v, n: each distinct non-NULL value v of each column r_<col> of `source`, in n rows."""
    raws = [f"r_{c}" for c in cols]
    if rows < GROUPING_SETS_FROM_ROWS:
        pairs = ", ".join(f"{{'col': {lit(c)}, 'v': {r}}}" for c, r in zip(cols, raws))
        return (f"SELECT p.col, p.v, count(*) AS n FROM (SELECT unnest([{pairs}]) AS p FROM {source}) "
                f"WHERE p.v IS NOT NULL GROUP BY ALL")
    which = "CASE " + " ".join(f"WHEN GROUPING({r}) = 0 THEN {lit(c)}" for r, c in zip(raws, cols)) + " END"
    return (f"SELECT col, v, n FROM (SELECT {which} AS col, coalesce({', '.join(raws)}) AS v, count(*) AS n "
            f"FROM {source} GROUP BY GROUPING SETS ({', '.join(f'({r})' for r in raws)})) WHERE v IS NOT NULL")


class Validator:
    """Validates the staged files of one load, table by table, in LOAD_ORDER."""

    MAX_DISTINCT = 5000  # above this many distinct raw values a column is normalised per row in SQL
    MAX_CASE = 16  # up to this many distinct values a CASE types a code column; above, a join to a lookup

    def __init__(self, ctx: Context):
        self.ctx = ctx
        self.con = ctx.con
        self._cases_accepted = False
        self._lookups = 0
        self.con.execute(
            "CREATE OR REPLACE TABLE stg.q (table_name VARCHAR, file VARCHAR, row_number BIGINT, "
            "column_name VARCHAR, rule VARCHAR, message VARCHAR)"
        )
        self.con.execute("CREATE OR REPLACE TABLE stg.q_district (file VARCHAR, row_number BIGINT, district VARCHAR)")
        self.con.execute("CREATE OR REPLACE TABLE stg.code_alias (list VARCHAR, alias VARCHAR, code VARCHAR)")
        # One statement for the ≈ 120 aliases (executemany ran one INSERT per row: 18 ms of a small ingest).
        aliases = list(alias_rows())
        self.con.execute(
            "INSERT INTO stg.code_alias SELECT unnest($l::VARCHAR[]), unnest($a::VARCHAR[]), unnest($c::VARCHAR[])",
            {"l": [r[0] for r in aliases], "a": [r[1] for r in aliases], "c": [r[2] for r in aliases]},
        )
        for col, values in ctx.mapping.codes.items():
            lists = self._code_lists_of(col)
            for alias, code in values.items():
                if "district" in lists:
                    # Checked against the reference data when the column is typed (`_code_lookup`); a
                    # personnummer as a district code is refused here, without repeating it.
                    if contains_personnummer(str(code)) or contains_personnummer(str(alias)):
                        raise InputError("Mappningsfilen har något med formen av ett personnummer bland "
                                         "stadsdelskoderna", column=col, rule="mapping")
                elif not any(code in SWEDISH_LABELS.get(name, {}) for name in lists):
                    # The value is not repeated: a mapping file can hold anything.
                    raise InputError(
                        f"Mappningsfilen översätter ett värde i {col} till en kod som inte finns i kodlistan "
                        f"{' / '.join(sorted(lists))} (tillåtna: {', '.join(sorted({k for n in lists for k in SWEDISH_LABELS.get(n, {})}))})",
                        column=col, rule="mapping",
                    )
        # Districts known before this load, by code and by name (normalised).
        self.con.execute(
            f"CREATE OR REPLACE TABLE stg.district_alias AS SELECT DISTINCT {norm_sql('code')} AS alias, code "
            f"FROM main.districts UNION SELECT DISTINCT {norm_sql('name')}, code FROM main.districts"
        )

    @staticmethod
    def _code_lists_of(col_spec: str) -> set[str]:
        """The code lists a mapping's `[codes.<column>]` or `[codes.<table>.<column>]` translates into: a bare
        column name means that column in every table that has it (sex: the cases' list and the population's)."""
        table, _, col = col_spec.rpartition(".")
        lists = {c.codes for t in TABLES.values() if not table or t.name == table for c in t.columns
                 if c.name == col and c.codes}
        if not lists:
            raise InputError(f"Mappningsfilen har koder för {safe_name(col_spec)!r}, som inte är en kodkolumn",
                             rule="mapping")
        return lists

    # ------------------------------------------------------------------------------------------
    def validate(self, table: Table, files: list[StagedFile]) -> None:
        if not files:
            return
        for f in files:
            for row, message in f.rejects:
                self.con.execute(
                    "INSERT INTO stg.q VALUES (?, ?, ?, NULL, 'csv_format', ?)", [table.name, f.file, row, message]
                )
        self._union(table, files)
        self._check_and_classify(table, files)
        if table.name == "placements":
            self._case_missing()
        self._duplicates(table)
        self._older_extract(table)
        self._districts_of_quarantined(table)
        self._drop_rejected(table)
        # The rows as read are needed no more (every rule that quotes them has run).
        self.con.execute(f"DROP VIEW stg.u_{table.name}")
        for f in files:
            self.con.execute(f"DROP TABLE {f.stage}")
        for n in range(self._lookups):
            self.con.execute(f"DROP TABLE IF EXISTS stg.lk{n}")
        self.con.execute("DROP TABLE IF EXISTS stg.person_map")
        self.con.execute(f"DROP TABLE IF EXISTS stg.common_{table.name}")
        self.con.execute(f"DROP TABLE IF EXISTS stg.many_{table.name}")
        if table.name == "cases":
            self._cases_accepted = True
        if table.name == "districts":
            self.con.execute(
                f"INSERT INTO stg.district_alias SELECT DISTINCT {norm_sql('code')}, code FROM stg.c_districts "
                f"UNION SELECT DISTINCT {norm_sql('name')}, code FROM stg.c_districts"
            )

    @staticmethod
    def _pnr_checked(f: StagedFile) -> list[tuple[str, str]]:
        """(name, staged column) of every column searched for personnummer: all but person_id, and those outside the contract."""
        return [(col, stg) for col, stg in f.columns.items() if col != "person_id"] + [
            (f"{hdr} (utanför kontraktet)", stg) for hdr, stg in f.unknown
        ]

    def _pnr_sql(self, f: StagedFile) -> str:
        """True when some column of a staged row holds something personnummer-shaped.

        One pattern over the whole row (the columns joined by chr(31)). A match cannot span two
        columns: the pattern allows only digits, whitespace (which chr(31) is not) and one - or +
        between its digits, and it needs a non-digit or an end on each side, which chr(31) and the
        ends of the row give exactly where a column's own ends would. So the row matches exactly when
        one of its columns does. A pattern with \\p{Nd} costs DuckDB ≈ 2 ms to compile, at every
        statement that reads the view: one pair per row instead of one per column saves ≈ 40 ms per
        statement on the cases (the columns that matched are named only for rows that failed, `_pnr_columns_sql`)."""
        checked = self._pnr_checked(f)
        if not checked:
            return "false"
        return pnr_hit_sql("concat_ws(chr(31), " + ", ".join(stg for _, stg in checked) + ")")

    def _pnr_columns_sql(self, f: StagedFile) -> str:
        """The columns of a staged row in which something looks like a personnummer (NULL when none)."""
        checked = self._pnr_checked(f)
        if not checked:
            return "NULL::VARCHAR[]"
        hits = ", ".join(f"CASE WHEN {pnr_hit_sql(stg)} THEN {lit(name)} END" for name, stg in checked)
        return f"CASE WHEN {self._pnr_sql(f)} THEN list_filter([{hits}], x -> x IS NOT NULL) END"

    def _union(self, table: Table, files: list[StagedFile], *, pnr_columns: bool = False) -> None:
        """The rows as read of every file of the table, trimmed, as one view (`stg.u_<table>`): `_pnr` is
        true for a row with a personnummer in it. With `pnr_columns` the view is `stg.w_<table>` and `_pnr`
        lists the columns instead (for the failed rows' messages)."""
        parts = []
        for f in files:
            cols = ", ".join(
                f"{blank_is_null_sql(f.columns[c.name])} AS r_{c.name}" if c.name in f.columns else f"NULL::VARCHAR AS r_{c.name}"
                for c in table.columns
            )
            pnr = self._pnr_columns_sql(f) if pnr_columns else self._pnr_sql(f)
            parts.append(f"SELECT {lit(f.file)} AS _file, {f.row_expr} AS _row, {cols}, {pnr} AS _pnr FROM {f.stage}")
        view = f"stg.{'w' if pnr_columns else 'u'}_{table.name}"
        self.con.execute(f"CREATE OR REPLACE VIEW {view} AS " + " UNION ALL ".join(parts))

    # Typing ------------------------------------------------------------------------------------
    def _distinct_values(self, table: Table, rows: int) -> dict[str, dict[str, str] | None]:
        """For each code and ja/nej column: raw value → normalised value, over its distinct values
        (None when there are more than MAX_DISTINCT). One statement for all columns."""
        cols = [c.name for c in table.columns if c.kind in (CODE, BOOL)]
        if not cols:
            return {}
        self.con.execute(f"CREATE OR REPLACE TEMP TABLE _distinct AS {distinct_values_sql(f'stg.u_{table.name}', cols, rows)}")
        # The values in enough rows to be in enough persons' rows to be quoted (`_common_values`).
        self.con.execute(f"CREATE OR REPLACE TABLE stg.many_{table.name} AS "
                         f"SELECT col, v FROM _distinct WHERE n >= {QUOTE_FROM_PERSONS}")
        counts = dict(self.con.execute("SELECT col, count(*) FROM _distinct GROUP BY col").fetchall())
        out: dict[str, dict[str, str] | None] = {c: ({} if counts.get(c, 0) <= self.MAX_DISTINCT else None) for c in cols}
        small = [c for c in cols if out[c] is not None and counts.get(c)]
        if small:
            # The (regex and accent) normalisation on the few distinct values only.
            for col, v, n in self.con.execute(
                f"SELECT col, v, {norm_sql('v')} FROM _distinct WHERE col IN ({', '.join(map(lit, small))})"
            ).fetchall():
                out[col][v] = n
        self.con.execute("DROP TABLE _distinct")
        return out

    def _user_codes(self, table: Table, col: str) -> dict[str, str | None]:
        """The mapping file's codes for a column: each value → its code, or None where the code is not one the
        column may take. A district must be in the reference data (this load's or an earlier one's): anything
        else would be stored as a district code unchecked (a name, a personnummer). A bare `[codes.sex]` serves
        both tables with a sex column, and each takes only its own list's codes. A value mapped to None is then
        unknown itself, not read as it stands."""
        c = table.column(col)
        if c.codes == "district":
            allowed = {code for (code,) in self.con.execute("SELECT DISTINCT code FROM stg.district_alias").fetchall()}
        else:
            allowed = SWEDISH_LABELS.get(c.codes, {})
        return {alias: (code if code in allowed else None)
                for alias, code in self.ctx.mapping.code_map(table.name, col).items()}

    def _code_lookup(self, table: Table, col: str) -> dict[str, str | None]:
        c = table.column(col)
        if c.codes == "district":
            lookup = dict(self.con.execute(
                "SELECT alias, min(code) FROM stg.district_alias GROUP BY alias").fetchall())
        else:
            lookup = dict(self.con.execute(
                "SELECT alias, code FROM stg.code_alias WHERE list = ?", [c.codes]).fetchall())
        lookup.update(self._user_codes(table, col))  # a user mapping comes first
        return lookup

    def _mapped(self, raw: str, norms: dict[str, str], lookup: dict, sql_type: str, joins: list[str]) -> str:
        """SQL for the code of each raw value: a CASE on the raw value itself when there are few, a join
        to a lookup table when there are many (a CASE is a chain of comparisons; 290 districts cost 5×)."""
        pairs = [(value, lookup[n]) for value, n in norms.items() if lookup.get(n) is not None]
        if not pairs:
            return f"NULL::{sql_type}"
        if len(pairs) <= self.MAX_CASE:
            whens = " ".join(f"WHEN {lit(v)} THEN {lit(str(code).lower()) if sql_type == 'BOOLEAN' else lit(code)}"
                             for v, code in pairs)
            return f"CAST(CASE {raw} {whens} END AS {sql_type})"
        name = f"lk{self._lookups}"
        self._lookups += 1
        self.con.execute(
            f"CREATE OR REPLACE TABLE stg.{name} AS SELECT unnest($raw::VARCHAR[]) AS raw, "
            f"CAST(unnest($code::VARCHAR[]) AS {sql_type}) AS code",
            {"raw": [v for v, _ in pairs], "code": [str(c).lower() if sql_type == "BOOLEAN" else c for _, c in pairs]},
        )
        joins.append(f"LEFT JOIN stg.{name} {name} ON {name}.raw = u.{raw}")
        return f"{name}.code"

    def _code_sql(self, table: Table, col: str, norms: dict[str, str] | None, joins: list[str]) -> str:
        raw = f"r_{col}"
        c = table.column(col)
        if norms is not None:
            return self._mapped(raw, norms, self._code_lookup(table, col), "VARCHAR", joins)
        # Many distinct values (a broken or unmapped column): normalise per row.
        n = norm_sql(f"u.{raw}")
        if c.codes == "district":
            user = self._user_codes(table, col)
            unknown = [k for k, v in user.items() if v is None]
            user_cases = " ".join(f"WHEN {lit(k)} THEN {lit(v)}" for k, v in user.items() if v is not None)
            inner = f"(SELECT min(code) FROM stg.district_alias d WHERE d.alias = {n})"
            mapped = f"coalesce(CASE {n} {user_cases} END, {inner})" if user_cases else inner
            return f"CASE WHEN {n} IN ({', '.join(map(lit, unknown))}) THEN NULL ELSE {mapped} END" if unknown else mapped
        aliases = self._code_lookup(table, col)
        whens = " ".join(f"WHEN {lit(a)} THEN {lit(code)}" for a, code in sorted(aliases.items()) if code is not None)
        return f"CAST(CASE {n} {whens} END AS VARCHAR)"

    def _bool_sql(self, col: str, norms: dict[str, str] | None, joins: list[str]) -> str:
        raw = f"r_{col}"
        lookup = {**{v: True for v in BOOL_TRUE}, **{v: False for v in BOOL_FALSE}}
        if norms is not None:
            return self._mapped(raw, norms, lookup, "BOOLEAN", joins)
        n = norm_sql(f"u.{raw}")
        return (f"CASE WHEN {n} IN ({', '.join(map(lit, BOOL_TRUE))}) THEN true "
                f"WHEN {n} IN ({', '.join(map(lit, BOOL_FALSE))}) THEN false END")

    def _typed(self, table: Table, joins: list[str], rows: int) -> list[str]:
        distinct = self._distinct_values(table, rows)
        exprs = []
        for c in table.columns:
            raw = f"u.r_{c.name}"
            if c.kind == CODE:
                e = self._code_sql(table, c.name, distinct[c.name], joins)
            elif c.kind == DATE:
                e = f"CASE WHEN {date_shape_sql(raw)} THEN TRY_CAST({raw} AS DATE) END"
            elif c.kind == INT:
                # DuckDB's cast reads "1_000" as 1000 (a programming language's digit separator, not a
                # Swedish export's): such a value is invalid, as the spreadsheet would have it.
                d = f"TRY_CAST(replace(replace(CASE WHEN NOT contains({raw}, '_') THEN {raw} END, ' ', ''), chr(160), '') AS DOUBLE)"
                e = f"CASE WHEN {d} = floor({d}) AND abs({d}) < 1e15 THEN CAST({d} AS BIGINT) END"
            elif c.kind == NUMBER:
                d = (f"TRY_CAST(replace(replace(replace(CASE WHEN NOT contains({raw}, '_') THEN {raw} END, ' ', ''), "
                     f"chr(160), ''), ',', '.') AS DOUBLE)")
                e = f"CASE WHEN isfinite({d}) THEN {d} END"
            elif c.kind == BOOL:
                e = self._bool_sql(c.name, distinct[c.name], joins)
            else:
                e = raw
            exprs.append(f"{e} AS {_q(c.name)}")
        if table.name == "placements":
            # The case's pseudonym: from the cases accepted in this load (a join on the case id, which
            # they carry until the load is written), else computed here, for a case of an earlier load.
            joins.append("LEFT JOIN (SELECT _k, case_key FROM stg.c_cases) m ON m._k = u.r_case_id")
            exprs.append(f"coalesce(m.case_key, CASE WHEN u.r_case_id IS NOT NULL THEN {id_key_sql(CASE, 'u.r_case_id')} END) "
                         "AS case_key")
            exprs.append("m.case_key IS NOT NULL AS _case_in_load")
        return exprs

    def _check_and_classify(self, table: Table, files: list[StagedFile]) -> None:
        """One statement per table: type every column, evaluate every rule (`_bad`: the row fails
        one), compute the row in the store's shape with its keyed pseudonyms and row hash, and
        classify it against the store (insert, update, unchanged, older): `stg.c_<table>`.

        Every row is pseudonymised here, also those that fail (they are deleted from `c_<table>`
        by `_drop_rejected`; few rows fail, and a second typed copy of the table cost more: one
        materialisation of every row, which at 10 M rows spills to disk). The failures themselves
        (column, rule, message) are listed by a second statement that types and checks again, but
        only the rows that failed: building the list in the first statement cost DuckDB as much as
        the typing even where no row failed (≈ 3 s per million).
        """
        name = table.name
        joins: list[str] = []
        typed = self._typed(table, joins, sum(f.rows for f in files))
        checks = rules(table, self.ctx.extract_date)
        bad = " OR ".join([f"({r.cond}) IS TRUE" for r in checks] + ["_pnr IS TRUE"])
        keep = [_q(c.name) for c in table.columns] + (["case_key", "_case_in_load"] if name == "placements" else [])
        params = self.ctx.key_params if name in ("cases", "placements") else None
        row = (f"SELECT u._file, u._row, u._pnr, {', '.join(f'u.r_{c.name}' for c in table.columns)}, {', '.join(typed)} "
               f"FROM {{source}} u {' '.join(joins)}")
        select, person_join = self._store_shape(table)
        # The cases keep their id (as read) until the load is written, for the placements' join.
        extra = ", t.case_id AS _k" if name == "cases" else ", t._case_in_load" if name == "placements" else ""
        keys = store_keys(name)
        on = " AND ".join(f'o."{k}" = s."{k}"' for k in keys)
        x = self.ctx.extract_date.isoformat()
        self.con.execute(
            f"""CREATE OR REPLACE TABLE stg.c_{name} AS
                SELECT o.*, s.first_load_id AS old_first_load_id, s.first_extract_date AS old_first_extract_date,
                       CASE WHEN s.row_hash IS NULL THEN 'insert'
                            WHEN s.row_hash = o.row_hash THEN 'unchanged'
                            WHEN s.extract_date > DATE '{x}' THEN 'older'
                            ELSE 'update' END AS status
                FROM (SELECT *, {row_hash_sql(name)} AS row_hash
                      FROM (SELECT t._file, t._row, t._bad, {select}{extra}
                            FROM (SELECT _file, _row, {', '.join(keep)}, {bad} AS _bad
                                  FROM ({row.format(source=f"stg.u_{name}")})) t
                            {person_join})) o
                LEFT JOIN main.{name} s ON {on}""",
            params,
        )
        if not self.con.execute(f"SELECT count(*) FROM stg.c_{name} WHERE _bad").fetchone()[0]:
            return
        errs = ", ".join(f"CASE WHEN ({r.cond}) IS TRUE THEN {_struct(lit(r.column), r.rule, r.message)} END"
                         for r in checks)
        pnr = _struct("c", "personnummer",
                      "'Värdet i kolumnen ' || c || ' har formen av ett person- eller samordningsnummer; raden lagras inte'")
        errors = (f"list_concat(list_filter([{errs}], e -> e IS NOT NULL), "
                  f"list_transform(coalesce(_pnr, []), c -> {pnr}))")
        self._common_values(table)
        # The rows as read again, with the columns that hold a personnummer listed (`_pnr_columns_sql`).
        self._union(table, files, pnr_columns=True)
        failed = (f"(SELECT * FROM stg.w_{name} WHERE (_file, _row) IN "
                  f"(SELECT (_file, _row) FROM stg.c_{name} WHERE _bad))")
        self.con.execute(
            f"""INSERT INTO stg.q SELECT {lit(name)}, _file, _row, e.column_name, e.rule, e.message
                FROM (SELECT _file, _row, unnest({errors}) AS e FROM ({row.format(source=failed)}))""",
            self.ctx.key_params if name == "placements" else None,
        )
        self.con.execute(f"DROP VIEW stg.w_{name}")

    def _common_values(self, table: Table) -> None:
        """`stg.common_<table>`: the (column, value) pairs that a failed row has in a code or ja/nej column
        and that at least QUOTE_FROM_PERSONS different persons have in that column in this load (the only
        values `shown_value_sql` may quote). Counted only for the values of failed rows, so only when
        something failed; persons are counted by pseudonym, so two spellings of one id are one person."""
        name = table.name
        cols = [c.name for c in table.columns if c.kind in (CODE, BOOL)]
        if not cols:
            self.con.execute(f"CREATE OR REPLACE TABLE stg.common_{name} (col VARCHAR, v VARCHAR)")
            return
        pairs = "[" + ", ".join(f"{{'col': {lit(c)}, 'v': u.r_{c}}}" for c in cols) + "]"
        # A value that did not type (read, but NULL in the store's shape) is one a message may quote.
        invalid = "[" + ", ".join(f"{{'col': {lit(c)}, 'v': CASE WHEN c.{_q(c)} IS NULL THEN u.r_{c} END}}"
                                  for c in cols) + "]"
        joins = f"JOIN stg.c_{name} c ON c._file = u._file AND c._row = u._row"
        if name == "cases":
            who = "c.person_key"
        elif name == "placements":
            # The case's person, from this load's cases or the store's; a case known to neither counts as its own.
            # (stg.c_cases is an empty stand-in without persons when this load had no cases.)
            here = "lc.person_key, " if self._cases_accepted else ""
            who = f"coalesce({here}sc.person_key, c.case_key)"
            if self._cases_accepted:
                joins += " LEFT JOIN stg.c_cases lc ON lc.case_key = c.case_key"
            joins += " LEFT JOIN main.cases sc ON sc.case_key = c.case_key"
        else:
            who = "(u._file, u._row)"
        # The invalid values of the failed rows that at least as many rows have (`_distinct_values`); the
        # persons are counted only where there are such values.
        self.con.execute(
            f"""CREATE OR REPLACE TEMP TABLE _cand AS
                SELECT DISTINCT p.col, p.v FROM (SELECT unnest({invalid}) AS p FROM stg.u_{name} u {joins} WHERE c._bad)
                WHERE p.v IS NOT NULL
                  AND (p.col, p.v) IN (SELECT (col, v) FROM stg.many_{name})"""
        )
        if not self.con.execute("SELECT count(*) FROM _cand").fetchone()[0]:
            self.con.execute(f"CREATE OR REPLACE TABLE stg.common_{name} (col VARCHAR, v VARCHAR)")
            return
        self.con.execute(
            f"""CREATE OR REPLACE TABLE stg.common_{name} AS
                WITH cand AS (SELECT * FROM _cand),
                seen AS (
                    SELECT {who} AS who, unnest({pairs}) AS p FROM stg.u_{name} u {joins}
                    WHERE {' OR '.join(f"u.r_{c} IN (SELECT v FROM cand WHERE col = {lit(c)})" for c in cols)})
                SELECT s.p.col AS col, s.p.v AS v FROM seen s JOIN cand k ON k.col = s.p.col AND k.v = s.p.v
                GROUP BY ALL HAVING count(DISTINCT s.who) >= {QUOTE_FROM_PERSONS}"""
        )

    def _store_shape(self, table: Table) -> tuple[str, str]:
        """The SELECT list (over the typed row `t`) that gives a row of the store's table, with keyed
        pseudonyms for the keys of persons, cases and placements; and the join it needs, if any."""
        name = table.name
        person_join = ""
        if name == "cases":
            flags = [f for f, _, _ in FLAG_COLUMNS]
            person = person_key_sql("t.person_id")
            if self._persons_repeat():
                # Each person once: the pseudonyms of the distinct ids, joined to their cases. (The
                # typed person_id is the trimmed text as read, r_person_id.)
                self.con.execute(
                    f"""CREATE OR REPLACE TABLE stg.person_map AS
                        SELECT person_id, {person} AS person_key
                        FROM (SELECT DISTINCT r_person_id AS person_id FROM stg.u_cases WHERE r_person_id IS NOT NULL) t""",
                    self.ctx.key_params,
                )
                person, person_join = "pm.person_key", "LEFT JOIN stg.person_map pm ON pm.person_id = t.person_id"
            cols = {
                "case_key": id_key_sql(CASE, "t.case_id"),
                "person_key": person,
                "district": "t.district", "opened": "t.opened", "closed": "t.closed",
                "sex": "t.sex",
                "age_band": f"CASE WHEN t.birth_year IS NOT NULL THEN {age_band_sql('year(t.opened) - t.birth_year')} END",
                "target_group": "t.target_group", "handling_unit": "t.handling_unit",
                **{f: f"t.{f}" for f in flags},
            }
        elif name == "placements":
            cols = {
                "placement_key": id_key_sql(PLACEMENT, "t.placement_id"),
                "case_key": "t.case_key",
                **{c: f"t.{_q(c)}" for c in ("type", "referring_unit", "applied", "decision", "decided", "start",
                                              "end", "children", "cost_sek")},
            }
        else:
            cols = {c.name: f"t.{_q(c.name)}" for c in table.columns}
        assert sorted(cols) == sorted(c for c, _ in data_columns(name)), name  # exactly the store's columns
        return ", ".join(f"{e} AS {_q(n)}" for n, e in cols.items()), person_join

    # Rules that need more than the row ------------------------------------------------------------
    def _case_missing(self) -> None:
        """The case must be accepted in this load or already be in the store."""
        self.con.execute(
            """INSERT INTO stg.q SELECT 'placements', _file, _row, 'case_id', 'case_missing',
                   'Ärendet (case_id) finns inte bland godkända ärenden i denna eller tidigare inläsningar'
               FROM stg.c_placements p
               WHERE p.case_key IS NOT NULL AND NOT p._case_in_load
                 AND p.case_key NOT IN (
                     -- only the store's cases that these placements name: the join is then built on a few keys
                     SELECT case_key FROM main.cases WHERE case_key IN (
                         SELECT case_key FROM stg.c_placements WHERE case_key IS NOT NULL AND NOT _case_in_load))
                 -- a case of this load whose id the placement spells otherwise (the same key: `id_key_sql`)
                 AND p.case_key NOT IN (
                     SELECT case_key FROM stg.c_cases WHERE case_key IN (
                         SELECT case_key FROM stg.c_placements WHERE case_key IS NOT NULL AND NOT _case_in_load))"""
        )

    def _duplicates(self, table: Table) -> None:
        """The same key twice in one load: identical copies keep the first; conflicting copies all go.

        The key is the store's: typed (a code or a number in two spellings is the same key), and for
        cases and placements the keyed pseudonym of the trimmed id, which is equal exactly when the
        ids are (HMAC-SHA256)."""
        key = [_q(k) for k in store_keys(table.name)]
        not_null = " AND ".join(f"{k} IS NOT NULL" for k in key)
        # Keys seen twice first (cheap); the content only for the rows of those keys. Grouped on the
        # key's 64-bit hash() first, then exactly on the few keys whose hash is seen twice: a key seen
        # twice always has its hash seen twice, and grouping 10 M pseudonyms of 64 characters cost
        # 9 CPU seconds.
        hashed = f"hash({', '.join(key)})"
        self.con.execute(
            f"""CREATE OR REPLACE TEMP TABLE _duphash AS
                SELECT {hashed} AS h FROM stg.c_{table.name} WHERE {not_null} GROUP BY ALL HAVING count(*) > 1"""
        )
        if not self.con.execute("SELECT count(*) FROM _duphash").fetchone()[0]:
            return
        self.con.execute(
            f"""CREATE OR REPLACE TEMP TABLE _dupkeys AS
                SELECT {', '.join(key)} FROM stg.c_{table.name}
                WHERE {not_null} AND {hashed} IN (SELECT h FROM _duphash) GROUP BY ALL HAVING count(*) > 1"""
        )
        if not self.con.execute("SELECT count(*) FROM _dupkeys").fetchone()[0]:
            return
        on = " AND ".join(f"t.{k} = d.{k}" for k in key)
        # "Identical" means the same text as read (trimmed), so the content comes from the staged rows.
        content = "md5(concat_ws(chr(31), " + ", ".join(f"coalesce(u.r_{c.name}, chr(30))" for c in table.columns) + "))"
        self.con.execute(
            f"""CREATE OR REPLACE TEMP TABLE _duprows AS
                SELECT t._file, t._row, {', '.join(f't.{k}' for k in key)}, {content} AS content
                FROM (SELECT t.* FROM stg.c_{table.name} t SEMI JOIN _dupkeys d ON {on}) t
                JOIN stg.u_{table.name} u ON u._file = t._file AND u._row = t._row"""
        )
        names = ", ".join(table.key)
        part = ", ".join(f"t.{k}" for k in key)
        self.con.execute(
            f"""INSERT INTO stg.q
                SELECT {lit(table.name)}, _file, _row, {lit(table.key[0])}, 'duplicate_id',
                       CASE WHEN variants = 1
                            THEN 'Dubblett av rad ' || first_row || ' i ' || first_file || ' ({names})'
                            ELSE 'Flera olika rader med samma nyckel ({names}); ingen av dem läses in' END
                FROM (
                    SELECT t._file, t._row, d.variants,
                           row_number() OVER w AS k,
                           first_value(t._file) OVER w AS first_file,
                           first_value(t._row) OVER w AS first_row
                    FROM _duprows t
                    JOIN (SELECT {', '.join(key)}, count(DISTINCT content) AS variants FROM _duprows GROUP BY ALL) d
                      ON {on}
                    WINDOW w AS (PARTITION BY {part} ORDER BY t._file, t._row)
                ) WHERE variants > 1 OR k > 1"""
        )
        self.con.execute("DROP TABLE _duprows")

    def _districts_of_quarantined(self, table: Table) -> None:
        """The district of each quarantined case (its own, when it is a known code) and placement (its
        case's, from this load or the store): the dashboard shows a district's users their own rows."""
        if table.name == "cases":
            district = "t.district"
        elif table.name == "placements":
            # stg.c_cases has a district when this load had cases (not the empty stand-in).
            here = ("(SELECT min(c.district) FROM stg.c_cases c WHERE c.case_key = t.case_key)"
                    if self._cases_accepted else "NULL")
            district = f"coalesce({here}, (SELECT min(m.district) FROM main.cases m WHERE m.case_key = t.case_key))"
        else:
            return
        self.con.execute(
            f"""INSERT INTO stg.q_district SELECT t._file, t._row, {district} FROM stg.c_{table.name} t
                SEMI JOIN stg.q q ON q.table_name = {lit(table.name)} AND q.file = t._file AND q.row_number = t._row
                WHERE {district} IS NOT NULL"""
        )

    # Accepting ---------------------------------------------------------------------------------
    def _older_extract(self, table: Table) -> None:
        """A row the store already has from a later extract is not overwritten (when it passed the rest)."""
        name = table.name
        self.con.execute(
            f"""INSERT INTO stg.q SELECT {lit(name)}, c._file, c._row, NULL, 'older_extract',
                    'Raden finns redan från ett senare uttag; den äldre versionen skrivs inte över'
                FROM stg.c_{name} c
                ANTI JOIN (SELECT file, row_number FROM stg.q WHERE table_name = {lit(name)}) q
                       ON c._file = q.file AND c._row = q.row_number
                WHERE c.status = 'older' AND NOT c._bad"""
        )

    def _drop_rejected(self, table: Table) -> None:
        """What is left in `stg.c_<table>` is the accepted rows: every row in the quarantine goes."""
        name = table.name
        if self.con.execute(f"SELECT count(*) FROM stg.q WHERE table_name = {lit(name)}").fetchone()[0]:
            self.con.execute(
                f"""DELETE FROM stg.c_{name} c USING (SELECT DISTINCT file, row_number FROM stg.q
                                                     WHERE table_name = {lit(name)}) q
                    WHERE c._file = q.file AND c._row = q.row_number"""
            )
        # (A row that failed a rule is in the quarantine; this also covers one that did not get there.)
        self.con.execute(f"DELETE FROM stg.c_{name} WHERE _bad")

    PERSONS_REPEAT_BELOW = 0.6  # distinct persons per case under which a person map pays (measured)

    def _persons_repeat(self) -> bool:
        """True when so few persons have so many cases that hashing each distinct id once and joining
        is cheaper than hashing every row: the join and the DISTINCT cost about what 60 % of the
        rows' HMACs do (1 M cases, docs/performance.md). An estimate (HyperLogLog) decides."""
        distinct, rows = self.con.execute(
            "SELECT approx_count_distinct(r_person_id), count(r_person_id) FROM stg.u_cases").fetchone()
        return bool(rows) and distinct < self.PERSONS_REPEAT_BELOW * rows

    def empty_accepted(self, table: Table) -> None:
        """No file for this table in this load: the placements still look up their cases here."""
        if table.name == "cases":
            self.con.execute("CREATE OR REPLACE TABLE stg.c_cases (_k VARCHAR, case_key VARCHAR)")


def store_keys(name: str) -> list[str]:
    return {"cases": ["case_key"], "placements": ["placement_key"]}.get(name) or list(TABLES[name].key)


def _q(name: str) -> str:
    return f'"{name}"'
