"""Set-based validation in DuckDB: every staged row is typed, checked against every rule, and
either accepted or written to the quarantine list with a reason per failed rule.

No Python runs per row: each rule is one SQL statement over the whole staged table. The
output of a table is `stg.ok_<table>`: the accepted rows, pseudonymised, in the store's shape.
Raw values stay in the in-memory `stg` catalog; messages never quote a person key and only
quote a value when it cannot be a personnummer.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb

from ..contract.codes import BOOL_FALSE, BOOL_TRUE, SWEDISH_LABELS, alias_rows
from ..contract.columns import AGE_BANDS, BOOL, CODE, DATE, FLAG_COLUMNS, INT, NUMBER, TABLES, Table
from ..errors import InputError
from .mapping import Mapping
from .pseudonym import CASE, PLACEMENT, id_key_sql, person_key_sql
from .reader import StagedFile

ZERO_WIDTH = r"[\x{200B}-\x{200F}\x{2060}\x{FEFF}\x{00AD}]"
# 10 or 12 digits (any script's digits), optionally with - or + before the last four, not part of a longer number.
PNR_PATTERN = r"(^|[^\p{Nd}])(\p{Nd}{2})?\p{Nd}{6}\s*[-+]?\s*\p{Nd}{4}([^\p{Nd}]|$)"
EARLIEST_DATE = dt.date(1990, 1, 1)


def lit(text: str) -> str:
    """A SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def norm_sql(x: str) -> str:
    """SQL twin of contract.codes.normalise_code."""
    return f"trim(regexp_replace(lower(strip_accents(trim({x}))), '[^a-z0-9+]+', '_', 'g'), '_')"


def shown_value_sql(x: str) -> str:
    """Quote a bad value in a message only when it is short and has no run of four digits."""
    return (
        f"CASE WHEN length({x}) <= 30 AND NOT regexp_matches({x}, '\\p{{Nd}}{{4}}') "
        f"AND NOT regexp_matches({x}, '[\\x00-\\x1f]') THEN ' (\"' || {x} || '\")' ELSE '' END"
    )


def date_value_sql(x: str) -> str:
    return f"CASE WHEN regexp_full_match({x}, '[0-9]{{1,4}}[-/.][0-9]{{1,2}}[-/.][0-9]{{1,4}}') THEN ' (\"' || {x} || '\")' ELSE '' END"


def age_band_sql(age: str) -> str:
    return (
        f"CASE WHEN {age} < 18 THEN '0-17' WHEN {age} < 25 THEN '18-24' WHEN {age} < 45 THEN '25-44' "
        f"WHEN {age} < 65 THEN '45-64' WHEN {age} < 80 THEN '65-79' ELSE '80+' END"
    )


assert age_band_sql("a").count("THEN") + 1 == len(AGE_BANDS)  # five limits, six bands


@dataclass
class Context:
    con: duckdb.DuckDBPyConnection
    extract_date: dt.date
    mapping: Mapping
    key_params: dict[str, bytes]


class Validator:
    """Validates the staged files of one load, table by table, in LOAD_ORDER."""

    def __init__(self, ctx: Context):
        self.ctx = ctx
        self.con = ctx.con
        self._cases_accepted = False
        self.con.execute(
            "CREATE OR REPLACE TABLE stg.q (table_name VARCHAR, file VARCHAR, row_number BIGINT, "
            "column_name VARCHAR, rule VARCHAR, message VARCHAR)"
        )
        self.con.execute("CREATE OR REPLACE TABLE stg.q_district (file VARCHAR, row_number BIGINT, district VARCHAR)")
        self.con.execute("CREATE OR REPLACE TABLE stg.code_alias (list VARCHAR, alias VARCHAR, code VARCHAR)")
        self.con.executemany("INSERT INTO stg.code_alias VALUES (?, ?, ?)", [list(r) for r in alias_rows()])
        for col, values in ctx.mapping.codes.items():
            list_name = self._code_list_of(col)
            for alias, code in values.items():
                if code not in SWEDISH_LABELS.get(list_name, {code: None}) and list_name != "district":
                    raise InputError(
                        f"Mappningsfilen översätter till koden {code!r}, som inte finns i kodlistan {list_name}",
                        column=col, rule="mapping",
                    )
        # Districts known before this load, by code and by name (normalised).
        self.con.execute(
            f"CREATE OR REPLACE TABLE stg.district_alias AS SELECT DISTINCT {norm_sql('code')} AS alias, code "
            f"FROM main.districts UNION SELECT DISTINCT {norm_sql('name')}, code FROM main.districts"
        )

    @staticmethod
    def _code_list_of(col_spec: str) -> str:
        col = col_spec.split(".")[-1]
        for t in TABLES.values():
            for c in t.columns:
                if c.name == col and c.codes:
                    return c.codes
        raise InputError(f"Mappningsfilen har koder för {col_spec!r}, som inte är en kodkolumn", rule="mapping")

    def _q(self, table: str, where_from: str, column: str | None, rule: str, message_sql: str) -> None:
        col = lit(column) if column else "NULL"
        self.con.execute(
            f"INSERT INTO stg.q SELECT {lit(table)}, _file, _row, {col}, {lit(rule)}, {message_sql} {where_from}"
        )

    # ------------------------------------------------------------------------------------------
    def validate(self, table: Table, files: list[StagedFile]) -> None:
        if not files:
            return
        for f in files:
            self._check_personnummer(table, f)
            for row, message in f.rejects:
                self.con.execute(
                    "INSERT INTO stg.q VALUES (?, ?, ?, NULL, 'csv_format', ?)", [table.name, f.file, row, message]
                )
        self._union(table, files)
        self._type(table)
        self._column_rules(table)
        getattr(self, f"_rules_{table.name}")(table)
        self._duplicates(table)
        self._accept(table)
        self._districts_of_quarantined(table)
        # From here on only the accepted rows are needed: free the file's copies now, so that a large
        # load keeps one or two copies of a table in memory, not four (less spilling to disk).
        self.con.execute(f"DROP VIEW stg.u_{table.name}")
        self.con.execute(f"DROP TABLE stg.t_{table.name}")
        for f in files:
            self.con.execute(f"DROP TABLE {f.stage}")

    def _check_personnummer(self, table: Table, f: StagedFile) -> None:
        """Quarantine rows with anything personnummer-shaped outside person_id, naming the column."""
        checked = [(col, stg) for col, stg in f.columns.items() if col != "person_id"] + [
            (f"{hdr} (utanför kontraktet)", stg) for hdr, stg in f.unknown
        ]
        if not checked:
            return
        clean = lambda c: f"regexp_replace({c}, '{ZERO_WIDTH}', '', 'g')"  # noqa: E731
        whole = "concat_ws(chr(31), " + ", ".join(stg for _, stg in checked) + ")"
        hits = ", ".join(
            f"CASE WHEN regexp_matches({clean(stg)}, '{PNR_PATTERN}') THEN {lit(name)} END" for name, stg in checked
        )
        self.con.execute(
            f"""INSERT INTO stg.q
                SELECT {lit(table.name)}, {lit(f.file)}, _row, col, 'personnummer',
                       'Värdet i kolumnen ' || col || ' har formen av ett person- eller samordningsnummer; '
                       || 'raden lagras inte'
                FROM (SELECT _row, unnest(list_filter([{hits}], x -> x IS NOT NULL)) AS col
                      FROM {f.stage} WHERE regexp_matches({clean(whole)}, '{PNR_PATTERN}'))"""
        )

    def _union(self, table: Table, files: list[StagedFile]) -> None:
        parts = []
        for f in files:
            cols = ", ".join(
                f"NULLIF(trim({f.columns[c.name]}), '') AS r_{c.name}" if c.name in f.columns else f"NULL::VARCHAR AS r_{c.name}"
                for c in table.columns
            )
            parts.append(f"SELECT {lit(f.file)} AS _file, _row, {cols} FROM {f.stage}")
        self.con.execute(f"CREATE OR REPLACE VIEW stg.u_{table.name} AS " + " UNION ALL ".join(parts))

    MAX_DISTINCT = 5000  # above this many distinct raw values a column is normalised per row in SQL

    def _distinct_norms(self, table: Table, raw: str) -> dict[str, str] | None:
        """raw value → normalised value, computed once per distinct value (codes have few of them)."""
        # DISTINCT first, then the (regex and accent) normalisation on the few values left.
        rows = self.con.execute(
            f"SELECT v, {norm_sql('v')} FROM (SELECT DISTINCT {raw} AS v FROM stg.u_{table.name} "
            f"WHERE {raw} IS NOT NULL LIMIT {self.MAX_DISTINCT + 1})"
        ).fetchall()
        return None if len(rows) > self.MAX_DISTINCT else dict(rows)

    def _lookup_case(self, raw: str, norms: dict[str, str], lookup: dict[str, object]) -> str:
        """CASE on the raw value itself: no accent stripping or regex per row."""
        whens = []
        for value, n in norms.items():
            code = lookup.get(n)
            if code is not None:
                target = lit(code) if isinstance(code, str) else ("true" if code else "false")
                whens.append(f"WHEN {lit(value)} THEN {target}")
        return f"CASE {raw} {' '.join(whens)} END" if whens else "NULL"

    def _code_lookup(self, table: Table, col: str) -> dict[str, str]:
        c = table.column(col)
        user = self.ctx.mapping.code_map(table.name, col)
        if c.codes == "district":
            lookup = dict(self.con.execute(
                "SELECT alias, min(code) FROM stg.district_alias GROUP BY alias").fetchall())
        else:
            lookup = dict(self.con.execute(
                "SELECT alias, code FROM stg.code_alias WHERE list = ?", [c.codes]).fetchall())
        lookup.update(user)  # a user mapping comes first
        return lookup

    def _code_sql(self, table: Table, col: str, raw: str) -> str:
        c = table.column(col)
        norms = self._distinct_norms(table, raw)
        if norms is not None:
            return self._lookup_case(raw, norms, self._code_lookup(table, col))
        # Many distinct values (a broken or unmapped column): normalise per row.
        user = self.ctx.mapping.code_map(table.name, col)
        n = norm_sql(raw)
        if c.codes == "district":
            user_cases = " ".join(f"WHEN {lit(k)} THEN {lit(v)}" for k, v in user.items())
            inner = (f"(SELECT min(code) FROM stg.district_alias d WHERE d.alias = {n})")
            return f"coalesce(CASE {n} {user_cases} END, {inner})" if user else inner
        aliases = self._code_lookup(table, col)
        whens = " ".join(f"WHEN {lit(a)} THEN {lit(code)}" for a, code in sorted(aliases.items()))
        return f"CASE {n} {whens} END"

    def _bool_sql(self, table: Table, raw: str) -> str:
        norms = self._distinct_norms(table, raw)
        lookup = {**{v: True for v in BOOL_TRUE}, **{v: False for v in BOOL_FALSE}}
        if norms is not None:
            return self._lookup_case(raw, norms, lookup)
        n = norm_sql(raw)
        return (f"CASE WHEN {n} IN ({', '.join(map(lit, BOOL_TRUE))}) THEN true "
                f"WHEN {n} IN ({', '.join(map(lit, BOOL_FALSE))}) THEN false END")

    def _type(self, table: Table) -> None:
        exprs = []
        for c in table.columns:
            raw = f"r_{c.name}"
            if c.kind == CODE:
                e = self._code_sql(table, c.name, raw)
            elif c.kind == DATE:
                e = f"TRY_CAST({raw} AS DATE)"
            elif c.kind == INT:
                d = f"TRY_CAST(replace(replace({raw}, ' ', ''), chr(160), '') AS DOUBLE)"
                e = f"CASE WHEN {d} = floor({d}) AND abs({d}) < 1e15 THEN CAST({d} AS BIGINT) END"
            elif c.kind == NUMBER:
                d = f"TRY_CAST(replace(replace(replace({raw}, ' ', ''), chr(160), ''), ',', '.') AS DOUBLE)"
                e = f"CASE WHEN isfinite({d}) THEN {d} END"
            elif c.kind == BOOL:
                e = self._bool_sql(table, raw)
            else:
                e = raw
            exprs.append(f"{e} AS {_q(c.name)}")
        if table.name == "placements":
            # The case's pseudonym, to check that the case exists; computed here, not by a later UPDATE.
            exprs.append(f"CASE WHEN r_case_id IS NOT NULL THEN {id_key_sql(CASE, 'r_case_id')} END AS case_key")
        self.con.execute(
            f"CREATE OR REPLACE TABLE stg.t_{table.name} AS SELECT u.*, {', '.join(exprs)} FROM stg.u_{table.name} u",
            self.ctx.key_params if table.name == "placements" else None,
        )

    def _column_rules(self, table: Table) -> None:
        t = f"FROM stg.t_{table.name}"
        x = self.ctx.extract_date.isoformat()
        for c in table.columns:
            raw, v = f"r_{c.name}", _q(c.name)
            if c.required:
                self._q(table.name, f"{t} WHERE {raw} IS NULL", c.name, "required",
                        lit(f"Obligatoriskt fält saknas: {c.name}"))
            if c.kind == CODE:
                if c.codes == "district":
                    self._q(table.name, f"{t} WHERE {raw} IS NOT NULL AND {v} IS NULL", c.name, "unknown_district",
                            lit(f"Stadsdelen i kolumnen {c.name} finns inte i referensdata") + f" || {shown_value_sql(raw)}")
                else:
                    allowed = ", ".join(SWEDISH_LABELS[c.codes])
                    self._q(table.name, f"{t} WHERE {raw} IS NOT NULL AND {v} IS NULL", c.name, "invalid_code",
                            lit(f"Okänd kod i kolumnen {c.name}") + f" || {shown_value_sql(raw)} || "
                            + lit(f"; tillåtna: {allowed}"))
            elif c.kind == BOOL:
                self._q(table.name, f"{t} WHERE {raw} IS NOT NULL AND {v} IS NULL", c.name, "invalid_code",
                        lit(f"Kolumnen {c.name} ska vara ja/nej (1/0, true/false)") + f" || {shown_value_sql(raw)}")
            elif c.kind == DATE:
                self._q(table.name, f"{t} WHERE {raw} IS NOT NULL AND {v} IS NULL", c.name, "invalid_date",
                        lit(f"Ogiltigt datum i kolumnen {c.name}") + f" || {date_value_sql(raw)}")
                self._q(table.name, f"{t} WHERE {v} > DATE '{x}'", c.name, "date_after_extract",
                        lit(f"Datumet i kolumnen {c.name} ligger efter uttagsdatumet {x}"))
                self._q(table.name, f"{t} WHERE {v} < DATE '{EARLIEST_DATE}'", c.name, "implausible_date",
                        lit(f"Datumet i kolumnen {c.name} ligger före {EARLIEST_DATE}"))
            elif c.kind in (INT, NUMBER):
                self._q(table.name, f"{t} WHERE {raw} IS NOT NULL AND {v} IS NULL", c.name, "invalid_number",
                        lit(f"Kolumnen {c.name} ska vara {'ett heltal' if c.kind == INT else 'ett tal'}")
                        + f" || {shown_value_sql(raw)}")
                if c.minimum == 0:
                    self._q(table.name, f"{t} WHERE {v} < 0", c.name, "negative_value",
                            lit(f"Kolumnen {c.name} får inte vara negativ"))
                elif c.minimum is not None:
                    self._q(table.name, f"{t} WHERE {v} < {c.minimum} OR {v} > {self.ctx.extract_date.year}",
                            c.name, "implausible_value",
                            lit(f"Kolumnen {c.name} ska ligga mellan {int(c.minimum)} och {self.ctx.extract_date.year}"))

    # Table-specific rules ----------------------------------------------------------------------
    def _rules_districts(self, table: Table) -> None:
        pass

    def _rules_population(self, table: Table) -> None:
        pass

    def _rules_socioeconomics(self, table: Table) -> None:
        pass

    def _rules_cases(self, table: Table) -> None:
        t = "FROM stg.t_cases"
        self._q("cases", f"{t} WHERE closed < opened", "closed", "date_order",
                lit("Ärendet avslutades (closed) före det aktualiserades (opened)"))
        self._q("cases", f"{t} WHERE birth_year > year(opened)", "birth_year", "implausible_value",
                lit("Födelseåret ligger efter aktualiseringsåret"))
        self._q("cases", f"{t} WHERE year(opened) - birth_year > 110", "birth_year", "implausible_value",
                lit("Personen skulle vara över 110 år vid aktualiseringen"))

    def _rules_placements(self, table: Table) -> None:
        t = "FROM stg.t_placements"
        self._q("placements", f"{t} WHERE decided < applied", "decided", "date_order",
                lit("Beslutsdatum (decided) före ansökningsdatum (applied)"))
        self._q("placements", f'{t} WHERE "end" < start', "end", "date_order",
                lit("Slutdatum (end) före startdatum (start)"))
        self._q("placements", f'{t} WHERE "end" IS NOT NULL AND start IS NULL', "end", "date_order",
                lit("Slutdatum (end) utan startdatum (start)"))
        self._q("placements", f"{t} WHERE start IS NOT NULL AND decision = 'avslag'", "start", "start_without_grant",
                lit("Startdatum på en insats som fått avslag"))
        # The case must be accepted in this load or already be in the store.
        self._q("placements",
                "FROM stg.t_placements p WHERE p.case_key IS NOT NULL "
                "AND p.case_key NOT IN (SELECT case_key FROM stg.ok_cases) "
                "AND p.case_key NOT IN (SELECT case_key FROM main.cases)",
                "case_id", "case_missing",
                lit("Ärendet (case_id) finns inte bland godkända ärenden i denna eller tidigare inläsningar"))

    def _duplicates(self, table: Table) -> None:
        """The same key twice in one load: identical copies keep the first; conflicting copies all go."""
        key = [f"r_{k}" if table.column(k).kind not in (CODE, INT) else _q(k) for k in table.key]
        content = "md5(concat_ws(chr(31), " + ", ".join(f"coalesce(r_{c.name}, chr(30))" for c in table.columns) + "))"
        not_null = " AND ".join(f"{k} IS NOT NULL" for k in key)
        # Keys seen twice first (cheap); the content hash only for the rows of those keys.
        self.con.execute(
            f"""CREATE OR REPLACE TEMP TABLE _dupkeys AS
                SELECT {', '.join(key)} FROM stg.t_{table.name} WHERE {not_null} GROUP BY ALL HAVING count(*) > 1"""
        )
        if not self.con.execute("SELECT count(*) FROM _dupkeys").fetchone()[0]:
            return
        on = " AND ".join(f"t.{k} = d.{k}" for k in key)
        self.con.execute(
            f"""CREATE OR REPLACE TEMP TABLE _dupkeys AS
                SELECT {', '.join(f't.{k}' for k in key)}, count(DISTINCT {content}) AS variants
                FROM stg.t_{table.name} t SEMI JOIN _dupkeys d ON {on} GROUP BY ALL"""
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
                    FROM stg.t_{table.name} t JOIN _dupkeys d ON {' AND '.join(f't.{k} = d.{k}' for k in key)}
                    WINDOW w AS (PARTITION BY {part} ORDER BY t._file, t._row)
                ) WHERE variants > 1 OR k > 1"""
        )

    def _districts_of_quarantined(self, table: Table) -> None:
        """The district of each quarantined case (its own, when it is a known code) and placement (its
        case's, from this load or the store): the dashboard shows a district's users their own rows."""
        if table.name == "cases":
            district = "t.district"
        elif table.name == "placements":
            # stg.ok_cases has a district when this load had cases (not the empty stand-in).
            here = ("(SELECT min(c.district) FROM stg.ok_cases c WHERE c.case_key = t.case_key)"
                    if self._cases_accepted else "NULL")
            district = f"coalesce({here}, (SELECT min(m.district) FROM main.cases m WHERE m.case_key = t.case_key))"
        else:
            return
        self.con.execute(
            f"""INSERT INTO stg.q_district SELECT t._file, t._row, {district} FROM stg.t_{table.name} t
                SEMI JOIN stg.q q ON q.table_name = {lit(table.name)} AND q.file = t._file AND q.row_number = t._row
                WHERE {district} IS NOT NULL"""
        )

    def _accept(self, table: Table) -> None:
        """Accepted rows in the store's shape, with keyed pseudonyms and a content hash."""
        rejected = f"(SELECT DISTINCT file, row_number FROM stg.q WHERE table_name = {lit(table.name)})"
        base = f"stg.t_{table.name} t ANTI JOIN {rejected} q ON t._file = q.file AND t._row = q.row_number"
        if table.name == "cases":
            flags = [name for name, _, _ in FLAG_COLUMNS]
            cols = {
                "case_key": id_key_sql(CASE, "t.r_case_id"),
                "person_key": person_key_sql("t.r_person_id"),
                "district": "t.district", "opened": "t.opened", "closed": "t.closed",
                "sex": "t.sex",
                "age_band": f"CASE WHEN t.birth_year IS NOT NULL THEN {age_band_sql('year(t.opened) - t.birth_year')} END",
                "target_group": "t.target_group", "handling_unit": "t.handling_unit",
                **{f: f"t.{f}" for f in flags},
            }
        elif table.name == "placements":
            cols = {
                "placement_key": id_key_sql(PLACEMENT, "t.r_placement_id"),
                "case_key": "t.case_key",
                **{c: f"t.{_q(c)}" for c in ("type", "referring_unit", "applied", "decision", "decided", "start",
                                              "end", "children", "cost_sek")},
            }
        else:
            cols = {c.name: f"t.{_q(c.name)}" for c in table.columns}
        select = ", ".join(f"{e} AS {_q(n)}" for n, e in cols.items())
        row_hash = "md5(concat_ws(chr(31), " + ", ".join(f"coalesce(CAST({_q(n)} AS VARCHAR), chr(30))" for n in cols) + "))"
        self.con.execute(
            f"CREATE OR REPLACE TABLE stg.ok_{table.name} AS SELECT *, {row_hash} AS row_hash FROM (SELECT t._file, t._row, {select} FROM {base})",
            self.ctx.key_params if table.name in ("cases", "placements") else None,
        )
        if table.name == "cases":
            self._cases_accepted = True
        if table.name == "districts":
            self.con.execute(
                f"INSERT INTO stg.district_alias SELECT DISTINCT {norm_sql('code')}, code FROM stg.ok_districts "
                f"UNION SELECT DISTINCT {norm_sql('name')}, code FROM stg.ok_districts"
            )

    def empty_accepted(self, table: Table) -> None:
        """No file for this table in this load: an empty accepted set keeps later SQL simple."""
        key = {"cases": "case_key", "placements": "placement_key"}.get(table.name)
        if key:
            self.con.execute(f"CREATE OR REPLACE TABLE stg.ok_{table.name} ({key} VARCHAR)")


def _q(name: str) -> str:
    return f'"{name}"'
