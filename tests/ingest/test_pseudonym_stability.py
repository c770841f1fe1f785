"""The same key and secret give the same pseudonym as before: against Python's hmac (RFC 2104) and
against a store written by likstall before pseudonyms were computed per distinct key (schema 5,
MD5 row hashes), which is migrated and then takes the same export as unchanged."""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import hmac
import json
import re
from pathlib import Path

import duckdb
import pytest

from likstall.ingest.load import ingest
from likstall.ingest.validate import Validator
from likstall.store import connection, schema

from helpers import EXTRACT, base_tables, write_tables

FIXTURE = json.loads((Path(__file__).parent / "data" / "store_v5.json").read_text(encoding="utf-8"))
FIXTURE_KEY = "5a" * 32  # the key the fixture's store was made with (LIKSTALL_SECRET_KEY, hex)
DATA = schema.DATA_TABLES


def reference_person(person_id: str) -> str:
    """The person part of the HMAC message, written out independently of the SQL."""
    v = person_id.strip(" ")
    compact = re.sub(r"[\s+-]", "", v)
    return compact[-10:] if re.fullmatch(r"(19|20)?[0-9]{10}", compact) else v.upper()


def reference_hmac(key: bytes, message: str) -> str:
    return hmac.new(key, message.encode("utf-8"), hashlib.sha256).hexdigest()


def keys_in(db) -> dict[str, set]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {
            "case": {r[0] for r in con.execute("SELECT case_key FROM cases").fetchall()},
            "person": {r[0] for r in con.execute("SELECT person_key FROM cases").fetchall()},
            "placement": {r[0] for r in con.execute("SELECT placement_key FROM placements").fetchall()},
            "placement_case": {r[0] for r in con.execute("SELECT case_key FROM placements").fetchall()},
        }
    finally:
        con.close()


@pytest.mark.parametrize("person_map", [False, True], ids=["per-row", "per-person"])
@pytest.mark.parametrize("secret,raw", [
    ("0f" * 32, bytes.fromhex("0f" * 32)),  # 32 bytes as hex: the key as it is
    ("en lång lösenfras som nyckel, längre än ett SHA-256-block på 64 byte, för RFC 2104:s gren",
     "en lång lösenfras som nyckel, längre än ett SHA-256-block på 64 byte, för RFC 2104:s gren".encode()),
], ids=["32-byte-key", "long-key"])
def test_pseudonyms_are_hmac_sha256_of_the_labelled_key(tmp_path, monkeypatch, secret, raw, person_map):
    monkeypatch.setenv("LIKSTALL_SECRET_KEY", secret)
    monkeypatch.setattr(Validator, "_persons_repeat", lambda self: person_map)
    tables = copy.deepcopy(base_tables())
    people = ["19850101-1237", " 500615+9874", "p-3 "]
    for row, pid in zip(tables["cases"], people):
        row["person_id"] = pid
    # A case named by a placement but loaded earlier: its pseudonym is computed, not joined.
    db = tmp_path / "s.duckdb"
    ingest([write_tables(tmp_path / "a", tables)], db, extract_date=EXTRACT)
    later = {"placements": [dict(tables["placements"][0], placement_id="IN-9")]}
    ingest([write_tables(tmp_path / "b", later)], db, extract_date=EXTRACT)

    got = keys_in(db)
    assert got["person"] == {reference_hmac(raw, "person:" + reference_person(p)) for p in people}
    assert reference_person(people[0]) == "8501011237" and reference_person(people[2]) == "P-3"
    assert got["case"] == {reference_hmac(raw, f"case:{r['case_id']}") for r in tables["cases"]}
    assert got["placement_case"] == got["case"]
    assert got["placement"] == {reference_hmac(raw, f"placement:{p}") for p in ("IN-1", "IN-2", "IN-3", "IN-9")}


def test_many_cases_of_few_persons_are_hashed_per_person_with_the_same_pseudonyms(tmp_path, monkeypatch):
    monkeypatch.setenv("LIKSTALL_SECRET_KEY", FIXTURE_KEY)
    decisions = []
    real = Validator._persons_repeat
    monkeypatch.setattr(Validator, "_persons_repeat", lambda self: decisions.append(real(self)) or decisions[-1])
    tables = copy.deepcopy(base_tables())
    tables["cases"] = [dict(tables["cases"][i % 3], case_id=f"AR-{i + 1}", person_id=("19850101-1237", "P-2")[i % 2])
                       for i in range(12)]
    db = tmp_path / "s.duckdb"
    r = ingest([write_tables(tmp_path / "e", tables)], db, extract_date=EXTRACT)
    assert decisions == [True] and r.quarantined == 0
    key = bytes.fromhex(FIXTURE_KEY)
    assert keys_in(db)["person"] == {reference_hmac(key, "person:8501011237"), reference_hmac(key, "person:P-2")}


def _store_from_fixture(db: Path, monkeypatch) -> None:
    """The fixture's rows written into a schema-5 store, as the earlier likstall left it."""
    monkeypatch.setattr(connection, "MIGRATIONS", schema.MIGRATIONS[:5])
    con = connection.connect(db)
    try:
        assert con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0] == FIXTURE["schema_version"]
        for t in DATA:
            spec = FIXTURE["tables"][t]
            cols = ", ".join(f'"{c}"' for c in spec["columns"])
            con.executemany(f"INSERT INTO {t} ({cols}) VALUES ({', '.join('?' * len(spec['columns']))})", spec["rows"])
        rows = sum(len(FIXTURE["tables"][t]["rows"]) for t in DATA)
        con.execute("INSERT INTO loads VALUES (1, now(), now(), ?, '[]', ?, ?, 0, 0, 0, '{}', 'före')",
                    [FIXTURE["extract_date"], rows, rows])
        con.execute("INSERT INTO meta VALUES ('key_fingerprint', ?)", [FIXTURE["key_fingerprint"]])
    finally:
        con.close()
    monkeypatch.setattr(connection, "MIGRATIONS", schema.MIGRATIONS)


def _fixture_export(tmp_path: Path) -> Path:
    tables = copy.deepcopy(base_tables())
    for row, pid in zip(tables["cases"], FIXTURE["person_ids"]):
        row["person_id"] = pid
    return write_tables(tmp_path / "export", tables)


def test_a_store_from_before_keeps_its_pseudonyms_and_takes_the_same_export_as_unchanged(tmp_path, monkeypatch):
    monkeypatch.setenv("LIKSTALL_SECRET_KEY", FIXTURE_KEY)
    db = tmp_path / "old.duckdb"
    _store_from_fixture(db, monkeypatch)
    before = keys_in(db)

    r = ingest([_fixture_export(tmp_path)], db, extract_date=EXTRACT)  # migrates to the current schema first
    assert (r.inserted, r.updated, r.quarantined) == (0, 0, 0) and r.unchanged == r.rows_read == 15
    assert keys_in(db) == before

    con = duckdb.connect(str(db), read_only=True)
    types = {t: con.execute(f"SELECT data_type FROM information_schema.columns WHERE table_name = '{t}' "
                            "AND column_name = 'row_hash'").fetchone()[0] for t in DATA}
    version = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0]
    con.close()
    assert types == {t: "UBIGINT" for t in DATA} and version == str(len(schema.MIGRATIONS))

    # The same person in another spelling, in a new case, is the same pseudonym as in the old store.
    new = {"cases": [dict(base_tables()["cases"][0], case_id="AR-7", person_id="198501011237")]}
    ingest([write_tables(tmp_path / "again", new)], db, extract_date=EXTRACT)
    assert keys_in(db)["person"] == before["person"]


def test_row_hashes_are_recomputed_when_duckdbs_hash_changes(tmp_path, monkeypatch):
    monkeypatch.setenv("LIKSTALL_SECRET_KEY", FIXTURE_KEY)
    db = tmp_path / "s.duckdb"
    export = _fixture_export(tmp_path)
    ingest([export], db, extract_date=EXTRACT)
    con = duckdb.connect(str(db))
    canary = con.execute("SELECT value FROM meta WHERE key = 'row_hash_canary'").fetchone()[0]
    assert canary == con.execute(schema.ROW_HASH_CANARY).fetchone()[0]
    # As if another DuckDB had hashed the rows: every stored hash differs from what this one computes.
    for t in DATA:
        con.execute(f"UPDATE {t} SET row_hash = row_hash + 1")
    con.close()

    r = ingest([export], db, extract_date=EXTRACT)  # the canary still matches: the rows look corrected
    assert r.updated == r.rows_read

    con = duckdb.connect(str(db))
    for t in DATA:
        con.execute(f"UPDATE {t} SET row_hash = row_hash + 1")
    con.execute("UPDATE meta SET value = 'another hash' WHERE key = 'row_hash_canary'")
    con.close()
    r = ingest([export], db, extract_date=dt.date(2022, 2, 28))  # now the store is rehashed first
    assert r.unchanged == r.rows_read and r.updated == 0
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT value FROM meta WHERE key = 'row_hash_canary'").fetchone()[0] == canary
    con.close()
