"""One ingest: read → validate → pseudonymise → load, in one transaction.

Counting rule: every row read is exactly one of inserted, updated, unchanged or quarantined.
- inserted: its key is new to the store;
- updated: its key is in the store with other content, from the same or an earlier extract
  (a later export corrects earlier rows: the latest extract wins);
- unchanged: same key, same content (the row's `extract_date` moves forward to the newest
  extract that contained it, so ongoing placements are censored at the right date);
- quarantined: failed a rule, including `older_extract` (the store already has the row from a
  later extract; an older export never overwrites a newer one).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import duckdb

from .. import __version__
from ..contract.columns import LOAD_ORDER, TABLES
from ..errors import InputError, LikstallError
from ..store.connection import connect, get_meta
from ..store.schema import ROW_HASH_CANARY, rehash_sql
from .mapping import Mapping, load_mapping
from .pseudonym import SecretKey, load_key
from .reader import DISCOVERED, Reader, StagedFile, make_tmpdir, safe_name
from .validate import Context, Validator, store_keys

ProgressFn = Callable[[str, float], None]


@dataclass
class IngestResult:
    load_id: int
    extract_date: str
    rows_read: int
    inserted: int
    updated: int
    unchanged: int
    quarantined: int
    by_rule: dict[str, int]
    by_table: dict[str, dict[str, int]]
    files: list[dict]
    ignored_files: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def to_dict(self) -> dict:
        return asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False)


ONE_THREAD_BELOW = 16 * 1024 * 1024  # bytes of input files; see `ingest`
KEEP_FREED_PAGES_BELOW = 1024 * 1024 * 1024  # the same


def is_synthetic(paths: Sequence[str | Path]) -> bool:
    """Files written by `likstall demo-data` (its demo-data.json beside them): every release made from
    them is marked DEMODATA, so generated numbers are never mistaken for a city's."""
    return any(((p if p.is_dir() else p.parent) / "demo-data.json").is_file() for p in map(Path, paths))


def display_names(files: Sequence[Path]) -> list[str]:
    """How each file is named in messages, the quarantine and the load log: its name, or, where two files
    of the load have the same name (cases.csv from the 2020 and the 2021 folder), its folder and name
    (`2020/cases.csv`), else its whole path. Quarantined rows are kept apart by this name and row."""
    names = [f.name for f in files]
    # The folder's own name ("x" for ../x/cases.csv, not ".."), from the resolved path.
    shown = [f"{f.resolve().parent.name}/{f.name}" if names.count(f.name) > 1 else f.name for f in files]
    shown = [safe_name(str(f) if shown.count(d) > 1 else d) for f, d in zip(files, shown)]
    # Names that read the same once a personnummer in them is masked, or once cut, are numbered: the
    # quarantine keeps rows apart by file name and row.
    return [f"{d} ({i + 1})" if shown.count(d) > 1 else d for i, d in enumerate(shown)]


def collect_files(paths: Sequence[str | Path]) -> tuple[list[Path], list[str]]:
    """Files to read: given files, and the supported files directly inside given folders. A file given
    twice (or found again in a given folder) is read once."""
    files: list[Path] = []
    ignored: list[str] = []
    for p in map(Path, paths):
        if p.is_dir():
            for child in sorted(p.iterdir()):
                if child.name.startswith((".", "~$")) or not child.is_file():
                    continue
                if child.suffix.lower() in DISCOVERED:
                    files.append(child)
                else:
                    ignored.append(safe_name(child.name))
        elif p.exists():
            files.append(p)
        else:
            raise InputError("Filen eller mappen finns inte", file=safe_name(str(p)))
    unique: dict[Path, Path] = {}
    for f in files:
        unique.setdefault(f.resolve(), f)
    files = list(unique.values())
    if not files:
        raise InputError("Inga filer att läsa in (CSV, XLSX eller Parquet)", file=", ".join(safe_name(str(p)) for p in paths))
    return files, ignored


def _check_zeroed_memory() -> None:
    """Raw input must not reach the store through memory DuckDB hands out again uncleared (heap.py)."""
    from ..heap import JEMALLOC_CONF, duckdb_allocations_zeroed

    if duckdb_allocations_zeroed() is False:
        raise LikstallError(
            "DuckDB har använt minne i den här processen innan likstall importerades, så dess minne nollställs "
            "inte och rådata skulle kunna hamna i databasfilen. Importera likstall före första DuckDB-anropet "
            f"(eller sätt miljövariabeln {JEMALLOC_CONF}=zero:true) och starta om processen.")


def ingest(
    paths: Sequence[str | Path],
    db: str | Path,
    *,
    extract_date: dt.date | None = None,
    mapping: str | Path | Mapping | None = None,
    key_file: str | Path | None = None,
    progress: ProgressFn | None = None,
) -> IngestResult:
    """Validate, pseudonymise and load export files into the store at `db` in one transaction."""
    t0 = time.perf_counter()
    say = progress or (lambda _msg, _frac: None)
    extract = extract_date or dt.date.today()
    if extract > dt.date.today():
        raise InputError(f"Uttagsdatumet {extract} ligger i framtiden", rule="extract_date")
    m = mapping if isinstance(mapping, Mapping) else load_mapping(mapping)
    key = load_key(Path(key_file) if key_file else None)
    files, ignored = collect_files(paths)

    _check_zeroed_memory()  # before the store is even opened
    con = connect(db, wait=30)  # a running `likstall serve` holds the store only for moments
    tmpdir = make_tmpdir()
    # The settings below belong to the DuckDB instance, not to this connection. Where this process already
    # has the store open (a notebook), the ingest joins that instance: they are put back at the end.
    before = _settings(con)
    try:
        _check_key(con, key, db)
        _check_row_hash(con)
        try:
            con.execute(f"SET temp_directory = '{tmpdir}'")
        except duckdb.Error:
            raise InputError(
                "Databasen är redan öppen i den här processen, och DuckDB har redan skrivit över data till disk "
                "där; inläsningen kan inte få en egen privat mapp för sina mellanlager. Stäng den andra "
                "anslutningen (eller starta om processen) och läs in igen. Databasen är oförändrad.",
                rule="store_open") from None
        # DuckDB takes up to 80 % of the machine's memory by default (10 GB for 7 M rows here); with a
        # limit it spills to temp_directory instead, at the same speed in our measurements.
        con.execute("SET memory_limit = ?", [os.environ.get("LIKSTALL_MEMORY_LIMIT", "1500MB")])
        size = sum(f.stat().st_size for f in files)
        if size < KEEP_FREED_PAGES_BELOW:
            # After every large free (512 MiB) DuckDB hands its allocator's free pages back to the
            # kernel; with zeroing on (heap.py) every later use of those pages is then a page fault and a
            # kernel clearing. Kept in the process they are cleared with memset: 2 M rows (240 MB of
            # CSV) 12,5–13,2 → 9,8–10,9 s. Larger exports keep the default, which bounds the memory.
            con.execute("SET allocator_bulk_deallocation_flush_threshold = '8GB'")
        else:
            # Large exports: each thread's cache (heap.py: blocks up to 8 MiB) is flushed after every
            # task that used 32 MiB rather than 128, so that it does not add to the peak: at 20 M rows
            # 2 494 → 2 156 MB peak RSS at the same speed (108 s; docs/performance.md).
            con.execute("SET allocator_flush_threshold = '32MB'")
            # And jemalloc's background threads (DuckDB's documented setting) hand freed pages back to the
            # kernel while the ingest goes on, instead of keeping them until a foreground thread gets round
            # to it: the pages a finished statement freed are then not still resident when the next one
            # fills its memory. 10 M + 10 M rows: peak RSS 2 201–2 421 → 1 918–1 957 MB (four runs each),
            # time 0–5 % more (docs/performance.md §7). The threads are process-wide: where another DuckDB
            # instance of this process closes meanwhile (the web server's own connections), DuckDB turns
            # them off again, and only the peak is higher; the zeroing of memory (heap.py) is separate.
            con.execute("SET allocator_background_threads = true")
        if size < ONE_THREAD_BELOW:
            # Small exports (a city's month or year) go faster on one thread: DuckDB's tasks cost more
            # to share out than they save (2,9 MB: 1,19 s vs 1,24–1,34 s, CPU 1,2 vs 1,4–1,5 s; 54 MB:
            # 5,3–5,7 s vs 4,8–5,0 s, so larger files keep every core).
            con.execute("SET threads = 1")
        con.execute("ATTACH ':memory:' AS stg")
        reader = Reader(con, m, tmpdir)
        staged: list[StagedFile] = []
        for i, (f, shown) in enumerate(zip(files, display_names(files))):
            say(f"Läser {safe_name(shown)}", 0.1 * i / len(files))  # headers; the rows table by table below
            staged.extend(reader.read(f, shown))
        by_table = {t: [s for s in staged if s.table == t] for t in LOAD_ORDER}

        validator = Validator(Context(con, extract, m, key.sql_pads()))
        for i, name in enumerate(LOAD_ORDER):
            say(f"Läser och kontrollerar {name}", 0.1 + 0.8 * i / len(LOAD_ORDER))
            if by_table[name]:
                for s in by_table[name]:
                    reader.stage(s)  # one table's rows at a time
                validator.validate(TABLES[name], by_table[name])  # also classifies against the store
            else:
                validator.empty_accepted(TABLES[name])
        _drop_raw_staging(con)
        say("Skriver", 0.9)
        result = _commit(con, db, staged, by_table, extract, key, ignored, synthetic=is_synthetic(paths))
        result.seconds = round(time.perf_counter() - t0, 3)
        say("Klart", 1.0)
        return result
    except duckdb.Error as exc:
        # An engine error here is a bug or a resource problem, not a user's data: say so without values.
        raise InputError(f"Inläsningen avbröts av databasmotorn ({type(exc).__name__}); databasen är oförändrad") from None
    finally:
        _leave_instance_as_found(con, before)
        con.close()
        shutil.rmtree(tmpdir, ignore_errors=True)


# Instance-wide settings an ingest changes (`_leave_instance_as_found` puts them back).
_INSTANCE_SETTINGS = ("temp_directory", "memory_limit", "allocator_bulk_deallocation_flush_threshold",
                      "allocator_flush_threshold", "allocator_background_threads", "threads")


def _leave_instance_as_found(con: duckdb.DuckDBPyConnection, before: dict) -> None:
    """Detach the staging database (it held the rows as read) and restore the instance's settings.

    Both belong to the DuckDB instance: on its own it ends with this connection, but a process that keeps
    the store open (a notebook) shares its instance with the ingest, and there the next ingest would fail
    on the staging left behind, or run with this one's memory limit and thread count."""
    try:
        con.execute("DETACH DATABASE IF EXISTS stg")
    except duckdb.Error:
        # In a transaction that failed, DuckDB refuses the detach until it is rolled back.
        try:
            con.execute("ROLLBACK")
        except duckdb.Error:
            pass
        try:
            con.execute("DETACH DATABASE IF EXISTS stg")
        except duckdb.Error:
            pass
    try:
        now = _settings(con)
    except duckdb.Error:
        now = {}
    for name, value in before.items():
        try:
            if now.get(name) == value:
                continue  # one this ingest left alone (the allocator's, on the other path)
            # The default back exactly with RESET; SET only where it was something else (DuckDB prints a
            # memory limit rounded, and a SET of the printed value gives a lower one).
            con.execute(f"RESET {name}")
            if _setting(con, name) != value:
                con.execute(f"SET {name} = ?", [value])
        except duckdb.Error:
            pass  # temp_directory once spilled to stays; the next ingest then says so (InputError above)


def _setting(con: duckdb.DuckDBPyConnection, name: str):
    return con.execute("SELECT current_setting(?)", [name]).fetchone()[0]


def _settings(con: duckdb.DuckDBPyConnection) -> dict:
    """Every setting in `_INSTANCE_SETTINGS`, read in one statement (as `_setting` reads each)."""
    row = con.execute("SELECT " + ", ".join(f"current_setting('{name}')" for name in _INSTANCE_SETTINGS)).fetchone()
    return dict(zip(_INSTANCE_SETTINGS, row))


def _check_key(con: duckdb.DuckDBPyConnection, key: SecretKey, db) -> str | None:
    """Refuse a key other than the one the store was made with; the stored fingerprint (None before the first load)."""
    stored = get_meta(con, "key_fingerprint")
    if stored is not None and stored != key.fingerprint:
        raise InputError(
            f"Databasen {safe_name(str(db))} är skapad med en annan pseudonymiseringsnyckel än den i "
            f"{key.source}. Samma person skulle få olika pseudonymer; inläsningen avbryts.",
            rule="wrong_key",
        )
    return stored


def _check_row_hash(con: duckdb.DuckDBPyConnection) -> None:
    """Rehash the stored rows when DuckDB's `hash()` is not the one they were hashed with (a new
    DuckDB version or platform), so that an unchanged row is still recognised as unchanged."""
    if get_meta(con, "row_hash_canary") != con.execute(ROW_HASH_CANARY).fetchone()[0]:
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(rehash_sql())
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise


def _drop_raw_staging(con: duckdb.DuckDBPyConnection) -> None:
    """Free every staging table that holds input as read before anything is written to the store.

    Under memory pressure DuckDB may hand an evicted buffer to a new storage block as it is, and a
    block's unused tail can reach the file (see likstall/heap.py). From here on only pseudonymised
    rows (c_) and the quarantine's messages are in memory, so nothing else can. The accepted cases
    carry their case id as read (`_k`, for the placements' join) until here.
    """
    for database, table in con.execute(
        "SELECT database_name, table_name FROM duckdb_tables() WHERE database_name IN ('stg', 'temp')"
    ).fetchall():
        if table not in ("q", "q_district") and not table.startswith("c_"):
            con.execute(f'DROP TABLE {database}."{table}"')
    con.execute("ALTER TABLE stg.c_cases DROP COLUMN IF EXISTS _k")


def _commit(con, db, staged, by_table, extract: dt.date, key: SecretKey, ignored: list[str], *,
            synthetic: bool = False) -> IngestResult:
    rows_read = sum(s.rows for s in staged)
    counts = {
        name: dict(con.execute(f"SELECT status, count(*) FROM stg.c_{name} GROUP BY status").fetchall())
        for name in LOAD_ORDER if by_table[name]
    }
    q_rows = {
        name: n for name, n in con.execute(
            "SELECT table_name, count(*) FROM (SELECT DISTINCT table_name, file, row_number FROM stg.q) GROUP BY 1"
        ).fetchall()
    }
    by_rule = dict(con.execute(
        "SELECT rule, count(*) FROM (SELECT DISTINCT rule, file, row_number FROM stg.q) GROUP BY 1 ORDER BY 1"
    ).fetchall())
    inserted = sum(c.get("insert", 0) for c in counts.values())
    updated = sum(c.get("update", 0) for c in counts.values())
    unchanged = sum(c.get("unchanged", 0) for c in counts.values())
    quarantined = sum(q_rows.values())
    if inserted + updated + unchanged + quarantined != rows_read:
        # This is the promise of the whole ingest; if it ever breaks, nothing is written.
        raise InputError(
            f"Internt räknefel: {rows_read} lästa rader men {inserted}+{updated}+{unchanged}+{quarantined}; "
            "inget har skrivits", rule="accounting"
        )
    files_info = [
        {"file": s.file, "sha256": s.sha256, "table": s.table, "rows": s.rows,
         "unknown_columns": [h for h, _ in s.unknown], **({"synthetic": True} if synthetic else {})}
        for s in staged
    ]
    per_table = {
        name: {"rows_read": sum(s.rows for s in by_table[name]),
               "inserted": counts.get(name, {}).get("insert", 0),
               "updated": counts.get(name, {}).get("update", 0),
               "unchanged": counts.get(name, {}).get("unchanged", 0),
               "quarantined": q_rows.get(name, 0)}
        for name in LOAD_ORDER if by_table[name]
    }

    started = dt.datetime.now()
    con.execute("BEGIN TRANSACTION")
    try:
        load_id = con.execute("SELECT coalesce(max(load_id), 0) + 1 FROM main.loads").fetchone()[0]
        for name in LOAD_ORDER:
            if not by_table[name]:
                continue
            store_cols = [c for c in _store_columns(con, name)]
            data_cols = [c for c in store_cols if c not in _LOAD_META]
            sel = ", ".join(f'"{c}"' for c in data_cols)
            keys = store_keys(name)
            # Corrected rows: out with the old version, then every new or corrected row in one plain
            # INSERT (cheaper than INSERT OR REPLACE, which checks every row for a conflict).
            if counts.get(name, {}).get("update", 0):
                con.execute(
                    f"""DELETE FROM main.{name} s USING stg.c_{name} c
                        WHERE c.status = 'update' AND {' AND '.join(f's."{k}" = c."{k}"' for k in keys)}"""
                )
            con.execute(
                f"""INSERT INTO main.{name} ({sel}, {', '.join(_LOAD_META)})
                    SELECT {sel}, {load_id}, DATE '{extract}',
                           coalesce(old_first_load_id, {load_id}), coalesce(old_first_extract_date, DATE '{extract}')
                    FROM stg.c_{name} WHERE status IN ('insert', 'update')"""
            )
            con.execute(
                f"""UPDATE main.{name} s SET extract_date = DATE '{extract}'
                    FROM stg.c_{name} c
                    WHERE c.status = 'unchanged' AND s.extract_date < DATE '{extract}'
                      AND {' AND '.join(f's."{k}" = c."{k}"' for k in keys)}"""
            )
        # The district of each row (schema 6), for the dashboard's per-district quarantine.
        district = "district" in _store_columns(con, "quarantine")
        con.execute(
            f"INSERT INTO main.quarantine (load_id, file, table_name, row_number, column_name, rule, message"
            f"{', district' if district else ''}) SELECT {load_id}, file, table_name, row_number, column_name, rule, "
            f"message{', d.district' if district else ''} FROM stg.q LEFT JOIN (SELECT file, row_number, "
            "min(district) AS district FROM stg.q_district GROUP BY ALL) d USING (file, row_number) "
            "ORDER BY table_name, file, row_number, rule"
        )
        con.execute(
            "INSERT INTO main.loads VALUES (?, ?, now(), ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [load_id, started, extract, json.dumps(files_info, ensure_ascii=False), rows_read, inserted, updated,
             unchanged, quarantined, json.dumps(by_rule, ensure_ascii=False), __version__],
        )
        # Checked again inside the transaction: another ingest in this process (a shared DuckDB instance) may have
        # loaded since the check at the start. Written on the store's first load only.
        if _check_key(con, key, db) is None:
            con.execute("INSERT INTO main.meta VALUES ('key_fingerprint', ?)", [key.fingerprint])
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return IngestResult(
        load_id=load_id, extract_date=extract.isoformat(), rows_read=rows_read, inserted=inserted,
        updated=updated, unchanged=unchanged, quarantined=quarantined, by_rule=by_rule, by_table=per_table,
        files=files_info, ignored_files=ignored,
    )


_LOAD_META = ["load_id", "extract_date", "first_load_id", "first_extract_date"]


def _store_columns(con, name: str) -> list[str]:
    # The columns of an empty result: the catalogue functions (duckdb_columns(), and information_schema
    # over it) cost 1,5–6 ms a call, this a fraction of one. `name` is one of the store's own tables (a TEMP
    # table of that name would shadow it, here as in the INSERT that follows; the ingest's own are _-prefixed).
    return [d[0] for d in con.execute(f'SELECT * FROM main."{name}" LIMIT 0').description]
