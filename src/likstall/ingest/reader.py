"""Read export files into staging tables of text columns, in an in-memory DuckDB catalog.

Every value is read as text and parsed later by the SQL rules, so that a bad value becomes a
quarantined row with a reason instead of a failed file. Staging lives in memory (and in spill
files in a private temporary folder): raw person keys never reach the store file.

Formats: CSV with `,`, `;` or tab (detected from the header), UTF-8 with or without BOM or
Windows-1252; XLSX (one table per sheet named after the table, or one file per table);
Parquet. Row numbers count the header as row 1, as a spreadsheet shows them.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import hashlib
import io
import os
import re
import shutil
import stat
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa

from ..contract.columns import TABLES
from ..errors import InputError
from ..contract.personnummer import is_ten_digit_personnummer, safe_name
from .mapping import Mapping, canonical_header, detect_table
from .workbook_limits import WorkbookRefused, check_workbook

CSV_SUFFIXES = {".csv", ".tsv", ".txt"}
DISCOVERED = {".csv", ".tsv", ".xlsx", ".xlsm", ".parquet", ".pq"}  # .txt only when named explicitly
XLSX_SUFFIXES = {".xlsx", ".xlsm"}
PARQUET_SUFFIXES = {".parquet", ".pq"}
MAX_LINE_SIZE = 20_000_000  # bytes of one CSV record
SUPPORTED = CSV_SUFFIXES | XLSX_SUFFIXES | PARQUET_SUFFIXES



@dataclass
class StagedFile:
    file: str  # display name: file name, plus #sheet for workbooks
    sha256: str
    table: str
    stage: str  # staging table name in the stg catalog
    rows: int  # data rows read (rejected CSV records included)
    columns: dict[str, str]  # contract column -> staging column
    unknown: list[tuple[str, str]]  # (header, staging column) outside the contract
    rejects: list[tuple[int, str]] = field(default_factory=list)  # (row, message) for unreadable records
    row_expr: str = "_row"  # SQL for a record's spreadsheet row (header = row 1) in the staging table
    # Reading the data itself, when it has not happened yet (`Reader.stage`): a load reads one
    # table's files at a time, so that the other tables' rows are not held (and spilled) meanwhile.
    pending: Callable[[], None] | None = field(default=None, repr=False)


class Reader:
    """Reads files into `stg.<name>` tables on one connection."""

    def __init__(self, con: duckdb.DuckDBPyConnection, mapping: Mapping, tmpdir: Path):
        self.con = con
        self.mapping = mapping
        self.tmpdir = tmpdir
        self._n = 0

    def _stage_name(self) -> str:
        self._n += 1
        return f"stg.f{self._n}"

    # -- entry point ---------------------------------------------------------------------
    def stage(self, staged: StagedFile) -> None:
        """Read the rows of a file that `read` has only looked at (its headers), into its staging table."""
        if staged.pending is not None:
            load, staged.pending = staged.pending, None
            load()

    def read(self, path: Path, display: str | None = None) -> list[StagedFile]:
        """The tables in a file, with their headers mapped; CSV and Parquet rows are read by `stage`.
        `display` names the file in messages and the quarantine (default: its name)."""
        self._display = safe_name(display or path.name)
        suffix = path.suffix.lower()
        if not path.is_file():
            raise InputError("Filen finns inte eller är ingen vanlig fil", file=safe_name(str(path)))
        if suffix in CSV_SUFFIXES:
            return [self._read_csv(path)]
        if suffix in XLSX_SUFFIXES:
            return self._read_xlsx(path)
        if suffix in PARQUET_SUFFIXES:
            return [self._read_parquet(path)]
        raise InputError(
            f"Okänt filformat {suffix or '(inget)'}; väntade CSV, XLSX eller Parquet", file=self._display
        )

    # -- helpers -------------------------------------------------------------------------
    def _map_headers(self, name: str, headers: list[str], display: str) -> tuple[str, dict[str, str], list[tuple[str, str]]]:
        table = detect_table(name, headers, self.mapping)
        if table is None:
            raise InputError(
                "Kunde inte avgöra vilken tabell filen innehåller. Döp filen eller bladet efter tabellen "
                "(cases/arenden, placements/insatser, districts/stadsdelar, population/befolkning, "
                "socioeconomics/socioekonomi) eller ange den i mappningsfilen under [tables]",
                file=display,
            )
        t = TABLES[table]
        columns: dict[str, str] = {}
        unknown: list[tuple[str, str]] = []
        for i, h in enumerate(headers):
            canon = canonical_header(t, h, self.mapping) if h.strip() else None
            if canon is None:
                unknown.append((safe_name(h.strip() or f"(kolumn {i + 1} utan rubrik)"), f"c{i}"))
            elif canon in columns:
                raise InputError(
                    f"Kolumnen {canon} förekommer två gånger (rubriken {safe_name(h)!r} och en tidigare)",
                    file=display, row=1, column=canon, rule="duplicate_column",
                )
            else:
                columns[canon] = f"c{i}"
        missing = [c for c in t.required if c not in columns]
        if missing:
            # The first row is listed only when it looks like a header row: a file without one has a record
            # there (ids, names), which must not be printed. A third of its cells named after the contract's
            # columns is a header row with some unmapped names (which the analyst then needs to see).
            if columns and len(columns) * 3 >= len(headers):
                seen = f"Rubriker i filen: {', '.join(safe_name(h) for h in headers)}"
            else:
                seen = ("Den första raden ser inte ut som en rubrikrad (nästan inga kända kolumnnamn); den visas inte, "
                        "eftersom den kan vara en rad med data. Lägg till rubrikraden eller ange rubrikerna i mappningsfilen")
            raise InputError(
                f"Obligatoriska kolumner saknas i tabellen {table}: {', '.join(missing)}. {seen}",
                file=display, row=1, column=missing[0], rule="missing_column",
            )
        return table, columns, unknown

    # -- CSV -----------------------------------------------------------------------------
    def _read_csv(self, path: Path) -> StagedFile:
        display = self._display
        lines = _Lines()
        digest, encoding = _hash_and_detect_encoding(path, display, lines=lines)
        source = path
        if encoding == "cp1252":
            source = self.tmpdir / f"transcoded{self._n + 1}.csv"
            with open(path, encoding="cp1252", newline="") as src, open(source, "w", encoding="utf-8", newline="") as dst:
                while chunk := src.read(1 << 20):
                    dst.write(chunk)
        with open(source, encoding="utf-8-sig", newline="") as f:
            first = f.readline()
        if not first.strip():
            raise InputError("Filen är tom eller saknar rubrikrad", file=display, row=1)
        delim = max((";", ",", "\t"), key=lambda d: _count_outside_quotes(first, d))
        headers = next(csv.reader([first], delimiter=delim))
        if len(headers) > 2000:
            raise InputError(f"Filen har {len(headers)} kolumner; högst 2000 tillåts", file=display, row=1)
        table, columns, unknown = self._map_headers(path.stem, headers, display)
        stage = self._stage_name()
        spec = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(len(headers))) + "}"
        rej = f"rej{self._n}"
        staged = StagedFile(display, digest, table, stage, 0, columns, unknown)
        staged.pending = lambda: self._stage_csv(staged, source, path, delim, spec, rej, lines.lines)
        return staged

    def _stage_csv(self, staged: StagedFile, source: Path, path: Path, delim: str, spec: str, rej: str,
                   lines: int = 0) -> None:
        stage = staged.stage
        try:
            self.con.execute(
                f"""CREATE TABLE {stage} AS SELECT * FROM read_csv(?, delim = ?, header = true, quote = '"',
                    escape = '"', columns = {spec}, auto_detect = false, store_rejects = true,
                    rejects_table = '{rej}', rejects_scan = '{rej}_scan', max_line_size = {MAX_LINE_SIZE},
                    parallel = true)""",
                [str(source), delim],
            )
        except duckdb.Error as exc:
            raise InputError(f"Filen kunde inte läsas som CSV: {_clean_duckdb_message(exc)}", file=staged.file) from None
        # Record numbers of rows the CSV reader rejected (wrong number of fields and similar).
        rejects = [
            (int(line), _reject_message(err_type, msg))
            for line, err_type, msg in self.con.execute(
                f"SELECT line, error_type, error_message FROM {rej} ORDER BY line"
            ).fetchall()
        ]
        # The reader may report one record more than once (one per bad field): count records.
        rejects = list({r: (r, m) for r, m in rejects}.values())
        accepted = self.con.execute(f"SELECT count(*) FROM {stage}").fetchone()[0]
        unterminated = [line for line, err_type, msg in self.con.execute(f"SELECT line, error_type, error_message FROM {rej}").fetchall()
                        if "unterminated quote" in str(msg).lower() or str(err_type).upper() == "MISSING QUOTES"]
        if unterminated:
            _refuse_if_a_quote_swallowed_the_rest(source, accepted + len(rejects), min(unterminated), staged.file)
        # rowid follows insertion order, which follows the file: without rejected records or blank lines
        # before data a record's row is rowid + 2, computed where it is read (an UPDATE of every row cost
        # 1-2 s per 10 M rows). DuckDB skips blank lines but counts them in its rejected records' numbers,
        # as a spreadsheet shows them: the rows after a blank line are numbered past it too.
        skipped = [r for r, _ in rejects] + (_blank_records(source, delim) if accepted + len(rejects) + 1 < lines else [])
        staged.row_expr = self._number_rows(stage, sorted(set(skipped)))
        self.con.execute(f"DROP TABLE IF EXISTS {rej}; DROP TABLE IF EXISTS {rej}_scan")
        if source != path:
            os.unlink(source)
        staged.rows, staged.rejects = accepted + len(rejects), rejects

    def _number_rows(self, stage: str, rejected_rows: list[int]) -> str:
        """SQL for the spreadsheet row of each accepted record (header = row 1); a column `_row` when
        the reader skipped records (rejected ones, blank lines), since the rows after one are then shifted."""
        if not rejected_rows:
            return "rowid + 2"
        self.con.execute(f"ALTER TABLE {stage} ADD COLUMN _row BIGINT")
        total = self.con.execute(f"SELECT count(*) FROM {stage}").fetchone()[0] + len(rejected_rows)
        self.con.execute("CREATE OR REPLACE TEMP TABLE _rej(r BIGINT)")
        # One statement (executemany ran an INSERT per row: 3 000 rows/s, minutes for a double-spaced file).
        self.con.execute("INSERT INTO _rej SELECT unnest(?::BIGINT[])", [rejected_rows])
        self.con.execute(
            f"""UPDATE {stage} SET _row = m.r FROM (
                    SELECT r, row_number() OVER (ORDER BY r) - 1 AS idx
                    FROM range(2, {total} + 2) t(r) WHERE r NOT IN (SELECT r FROM _rej)
                ) m WHERE m.idx = {stage}.rowid"""
        )
        return "_row"

    # -- XLSX ----------------------------------------------------------------------------
    def _read_xlsx(self, path: Path) -> list[StagedFile]:
        from python_calamine import CalamineWorkbook

        display = self._display
        digest, _ = _hash_and_detect_encoding(path, display, text=False)
        try:
            check_workbook(path, max_cells=MAX_SHEET_CELLS, max_bytes=MAX_WORKBOOK_BYTES)
        except WorkbookRefused as exc:
            raise InputError(str(exc), file=display) from None
        try:
            wb = CalamineWorkbook.from_path(str(path))
            sheet_names = list(wb.sheet_names)
        except Exception as exc:  # calamine raises its own error types for corrupt workbooks
            raise InputError(f"Arbetsboken kunde inte läsas (skadad eller inte XLSX): {_short(exc)}", file=display) from None
        staged = []
        for sheet in sheet_names:
            try:
                rows = wb.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
            except Exception as exc:
                raise InputError(f"Bladet kunde inte läsas: {_short(exc)}", file=f"{display}#{safe_name(sheet)}") from None
            rows = [r for r in rows]
            while rows and all(_cell_text(v) is None for v in rows[-1]):
                rows.pop()
            if not rows or all(_cell_text(v) is None for v in rows[0]):
                continue  # an empty sheet (notes, a blank second sheet) holds no table
            headers = [(_cell_text(v) or "") for v in rows[0]]
            shown = f"{display}#{safe_name(sheet)}"
            if any(f.file == shown for f in staged):  # two sheet names that read the same once masked
                shown = f"{shown} ({len(staged) + 1})"
            # A sheet named after a table holds that table; otherwise the file name (or the headers) decide.
            name = sheet if detect_table(sheet, [], self.mapping) else path.stem
            table, columns, unknown = self._map_headers(name, headers, shown)
            width = len(headers)
            person = int(columns["person_id"][1:]) if "person_id" in columns else None
            data = {f"c{i}": [] for i in range(width)}
            row_numbers = []
            for n, r in enumerate(rows[1:], start=2):
                # (calamine gives every row the sheet's full width, the header row too: a cell beyond the named
                # columns is in a column "utan rubrik", read and checked like any column outside the contract.)
                texts = [_cell_text(v) for v in r[:width]] + [None] * max(0, width - len(r))
                if person is not None and person < len(r):
                    texts[person] = _person_id_text(r[person], texts[person])
                if all(t is None for t in texts):
                    continue  # blank line inside a sheet: not a row
                row_numbers.append(n)
                for i, t in enumerate(texts):
                    data[f"c{i}"].append(t)
            arrow = pa.table({**{k: pa.array(v, pa.string()) for k, v in data.items()}, "_row": pa.array(row_numbers, pa.int64())})
            stage = self._stage_name()
            self.con.register("_xlsx_arrow", arrow)
            self.con.execute(f"CREATE TABLE {stage} AS SELECT * FROM _xlsx_arrow")
            self.con.unregister("_xlsx_arrow")
            staged.append(StagedFile(shown, digest, table, stage, len(row_numbers), columns, unknown))
        if not staged:
            raise InputError("Arbetsboken innehåller inga blad med data", file=display)
        return staged

    # -- Parquet -------------------------------------------------------------------------
    def _read_parquet(self, path: Path) -> StagedFile:
        display = self._display
        digest, _ = _hash_and_detect_encoding(path, display, text=False)
        try:
            described = self.con.execute("DESCRIBE SELECT * FROM read_parquet(?)", [str(path)]).fetchall()
            import pyarrow.parquet as pq

            # The names as written: DuckDB renames a repeated one (case_id, case_id_1), which would hide it.
            written = pq.read_schema(path).names
        except (duckdb.Error, OSError, pa.ArrowException) as exc:
            raise InputError(f"Filen kunde inte läsas som Parquet: {_clean_duckdb_message(exc)}", file=display) from None
        names, types = [d[0] for d in described], [str(d[1]) for d in described]
        headers = written if len(written) == len(names) else names
        table, columns, unknown = self._map_headers(path.stem, headers, display)
        staged = StagedFile(display, digest, table, self._stage_name(), 0, columns, unknown)
        staged.pending = lambda: self._stage_parquet(staged, path, names, types)
        return staged

    def _stage_parquet(self, staged: StagedFile, path: Path, names: list[str], types: list[str]) -> None:
        casts = ", ".join(f"{_parquet_text(_ident(h), t)} AS c{i}" for i, (h, t) in enumerate(zip(names, types)))
        try:
            self.con.execute(
                f"CREATE TABLE {staged.stage} AS SELECT {casts}, file_row_number + 2 AS _row "
                f"FROM read_parquet(?, file_row_number = true)",
                [str(path)],
            )
        except duckdb.Error as exc:
            raise InputError(f"Filen kunde inte läsas som Parquet: {_clean_duckdb_message(exc)}", file=staged.file) from None
        staged.rows = self.con.execute(f"SELECT count(*) FROM {staged.stage}").fetchone()[0]


def _blank_records(source: Path, delim: str) -> list[int]:
    """The rows (header = row 1) that are blank lines, as a spreadsheet numbers them: records, so that a
    quoted value over several lines is one row, as in DuckDB's numbers for the records it rejects."""
    out = []
    csv.field_size_limit(max(csv.field_size_limit(), MAX_LINE_SIZE))  # as DuckDB's reader allows (a process-wide limit)
    with open(source, encoding="utf-8-sig", newline="") as f:
        try:
            for n, record in enumerate(csv.reader(f, delimiter=delim, quotechar='"', doublequote=True), start=1):
                if not record:
                    out.append(n)
        except csv.Error:
            pass  # a record the CSV reader rejected: numbered from DuckDB's rejects; rows before it are counted
    return out


def _refuse_if_a_quote_swallowed_the_rest(source: Path, records: int, row: int, display: str) -> None:
    """A quote that opens and never closes makes the rest of the file one value, which DuckDB rejects as one
    record: the rows after it would be lost without a word. When the file has more non-blank lines than
    records were read, the file is refused, naming the row. (A file whose values also span lines legitimately
    is refused too then, with the same message: better a refusal than a silent loss.)"""
    lines = 0
    with open(source, "rb") as f:
        for line in f:
            lines += sum(1 for part in line.split(b"\r") if part.strip())
    lines -= 1  # the header
    if records < lines:
        raise InputError(
            f"Ett citattecken på rad {row} stängs aldrig, så resten av filen lästes som ett enda värde: "
            f"{lines - records} rader efter den kunde inte läsas. Rätta citattecknet (eller ta bort det) och läs in "
            "filen igen. Inget har lästs in; databasen är oförändrad", file=display, row=row, rule="csv_format")


LOCAL_TIME_ZONE = "Europe/Stockholm"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _parquet_text(col: str, sql_type: str) -> str:
    """A Parquet column as the text the rules read, as a workbook's cell is (`_cell_text`): whole numbers
    without decimals (a yes/no or year column that pandas wrote as float because of a missing value), and a
    timestamp with a time zone as the local time in Sweden (as text in UTC, a placement starting at midnight
    would start the day before)."""
    t = sql_type.upper()
    if t in ("DOUBLE", "FLOAT", "REAL") or t.startswith("DECIMAL"):
        return (f"CASE WHEN isfinite({col}::DOUBLE) AND {col} = trunc({col}) AND abs({col}) < 1e15 "
                f"THEN CAST(CAST({col} AS BIGINT) AS VARCHAR) ELSE CAST({col} AS VARCHAR) END")
    if t in ("TIMESTAMP WITH TIME ZONE", "TIMESTAMPTZ"):
        return f"CAST(timezone('{LOCAL_TIME_ZONE}', {col}) AS VARCHAR)"
    return f"CAST({col} AS VARCHAR)"


# A workbook read from the command line (the web's limits are its settings): the sheets' cells, and the
# rectangle from the first to the last used cell, which the reader builds whole (calamine, then a Python
# object per cell); larger tables belong in CSV. And the XML unpacked.
MAX_SHEET_CELLS = 10_000_000
MAX_WORKBOOK_BYTES = 4 * 1024 ** 3


def _count_outside_quotes(line: str, ch: str) -> int:
    n, quoted = 0, False
    for c in line:
        if c == '"':
            quoted = not quoted
        elif c == ch and not quoted:
            n += 1
    return n


class _Lines:
    """Fed a file chunk by chunk: how many lines it has up to its last non-blank character. DuckDB's CSV reader
    skips blank lines, so when it read fewer records than that (a blank line before data, or a quoted value over
    several lines), the rows are numbered again (`_blank_records`); blank lines at the end shift nothing.
    Counting newlines runs at memory speed (0,05 s per 130 MB; a search for blank lines took 0,27 s)."""

    def __init__(self):
        self.newlines = 0
        self._trailing = 0  # newlines in the blank run at the end so far

    def feed(self, chunk: bytes) -> None:
        self.newlines += chunk.count(b"\n")
        tail = chunk.rstrip(b"\r\n")  # (a line of spaces is a record to DuckDB's reader, not a blank line)
        if len(tail) == 0:
            self._trailing += chunk.count(b"\n")
        else:
            self._trailing = chunk.count(b"\n", len(tail))

    @property
    def lines(self) -> int:
        return self.newlines - self._trailing + 1


def _hash_and_detect_encoding(path: Path, display: str, *, text: bool = True,
                              lines: _Lines | None = None) -> tuple[str, str | None]:
    """SHA-256 of the file and, for text files, its encoding: utf-8 (BOM or not) or cp1252."""
    h = hashlib.sha256()
    decoder = codecs.getincrementaldecoder("utf-8")()
    utf8 = True
    try:
        with open(path, "rb") as f:
            first = True
            while chunk := f.read(1 << 20):
                h.update(chunk)
                if lines is not None:
                    lines.feed(chunk)
                if text:
                    if first and chunk[:2] in (b"\xff\xfe", b"\xfe\xff"):
                        raise InputError("Filen är kodad som UTF-16; spara den som UTF-8 (eller Windows-1252) och läs in "
                                         "igen", file=display)
                    if first and b"\x00" in chunk[:65536]:
                        raise InputError("Filen är ingen textfil (innehåller NUL-tecken)", file=display)
                    first = False
                    if utf8:
                        try:
                            decoder.decode(chunk)
                        except UnicodeDecodeError:
                            utf8 = False
            if text and utf8:
                try:
                    decoder.decode(b"", final=True)
                except UnicodeDecodeError:
                    utf8 = False
    except OSError as exc:
        raise InputError(f"Filen kunde inte läsas: {exc.strerror}", file=display) from None
    if not text:
        return h.hexdigest(), None
    if utf8:
        return h.hexdigest(), "utf-8"
    try:
        with open(path, encoding="cp1252") as f:
            while f.read(1 << 20):
                pass
    except UnicodeDecodeError:
        raise InputError("Okänd teckenkodning: filen är varken UTF-8 eller Windows-1252", file=display) from None
    _refuse_mixed_encodings(path, display)
    return h.hexdigest(), "cp1252"


# Å, Ä, Ö, é and the other Latin-1 letters as UTF-8 bytes: as Windows-1252 they read "Ã" and a symbol, which
# Swedish text never has.
_UTF8_LETTER = re.compile(rb"\xc3[\x80-\xbf]")


def _refuse_mixed_encodings(path: Path, display: str) -> None:
    """A file that is not UTF-8 throughout but has UTF-8 letters in it (lines pasted from two sources) is
    refused: read as Windows-1252, its UTF-8 lines would be stored as "SÃ¶dermalm" without a word."""
    with open(path, "rb") as f:
        mixed = any(_UTF8_LETTER.search(line) for line in f)
    if not mixed:
        return
    with open(path, "rb") as f:
        for n, line in enumerate(f, start=1):
            try:
                line.decode("utf-8")
            except UnicodeDecodeError:
                break
    raise InputError(
        f"Filen blandar teckenkodningar: den har bokstäver kodade som UTF-8 (å, ä, ö), men rad {n} är inte UTF-8 "
        "(troligen Windows-1252). Spara hela filen med en kodning, helst UTF-8, och läs in igen",
        file=display, row=n, rule="encoding")


def _person_id_text(v, text: str | None) -> str | None:
    """A person id from a number cell: a personnummer of someone born 2000–2009 typed into one loses its leading
    zero (050101-1234 → 501011234); given back where the ten digits are a personnummer (a date, a birth number
    and the check digit), so that the child is the same person as in an export that kept the zero."""
    if isinstance(v, (int, float)) and not isinstance(v, bool) and text and len(text) == 9 and text.isdigit():
        return "0" + text if is_ten_digit_personnummer("0" + text) else text
    return text


def _cell_text(v) -> str | None:
    """A workbook cell as text: dates as ISO dates, whole numbers without decimals."""
    if v is None:
        return None
    if isinstance(v, dt.datetime):
        return v.date().isoformat() if v.time() == dt.time() else v.isoformat(sep=" ")
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (float, int)):
        if v != v:
            return None
        if not (float(v).is_integer() and abs(v) < 1e15):
            return repr(v)
        return str(int(v))
    if isinstance(v, dt.timedelta):
        return str(v)
    s = str(v)
    return s if s.strip() else None


def _short(exc: BaseException) -> str:
    return safe_name(str(exc).splitlines()[0] if str(exc) else type(exc).__name__)[:160]


# DuckDB's reasons for refusing a whole file, in Swedish where we know what they mean.
_DUCKDB_REASONS = {
    "state machine reached an invalid state": "raderna slutar på olika sätt (både CRLF och LF, t.ex. en fil som satts "
                                              "ihop av två) eller har tecken som CSV inte tillåter; spara filen på nytt "
                                              "med ett radslut",
}


def _clean_duckdb_message(exc: BaseException) -> str:
    # DuckDB quotes the offending line in its messages; keep only the first sentence so no value leaks.
    first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    first = re.sub(r"^[A-Za-z ]+Error: ", "", first)
    for english, swedish in _DUCKDB_REASONS.items():
        if english in first:
            return swedish
    return safe_name(first)[:160]


def _reject_message(err_type: str, msg: str) -> str:
    kinds = {
        "TOO FEW COLUMNS": "raden har för få fält",
        "TOO MANY COLUMNS": "raden har för många fält",
        "UNQUOTED VALUE": "citattecken på fel ställe",
        "LINE SIZE OVER MAXIMUM": "raden är för lång",
        "INVALID UNICODE": "ogiltiga tecken",
        "MISSING QUOTES": "ett citattecken stängs aldrig",
        "INVALID ENCODING": "ogiltig teckenkodning",
    }
    return kinds.get(str(err_type).upper(), "raden kunde inte tolkas som CSV")


def make_tmpdir() -> Path:
    """A private (0700) folder for spill and transcoding files, outside the store's folder. Its name
    carries the process id, so that a later ingest can remove it if this process is killed."""
    remove_orphaned_tmpdirs()
    return Path(tempfile.mkdtemp(prefix=f"likstall-{os.getpid()}-"))


_TMPDIR_NAME = re.compile(r"likstall-(\d+)-[A-Za-z0-9_]{8}")


def remove_orphaned_tmpdirs() -> None:
    """Remove the temporary folders of ingests whose process is gone (killed, or the machine lost power
    mid-run): their spill and transcoding files hold raw rows of the export. Only our own folders (not
    links), and only when no process with that id runs (a reused id keeps a folder until the next time)."""
    for d in Path(tempfile.gettempdir()).glob("likstall-*-*"):
        m = _TMPDIR_NAME.fullmatch(d.name)
        if not m:
            continue
        try:
            st = d.lstat()
            if st.st_uid != os.getuid() or not stat.S_ISDIR(st.st_mode):
                continue
            os.kill(int(m.group(1)), 0)  # succeeds while the process runs (this one included)
        except ProcessLookupError:
            shutil.rmtree(d, ignore_errors=True)
        except (PermissionError, FileNotFoundError):
            continue  # another user's process, or the folder went meanwhile
