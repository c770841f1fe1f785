"""The store holds no raw person key, no personnummer and no unkeyed hash of one."""

from __future__ import annotations

import copy
import hashlib
import os
import stat

import duckdb
import pytest

from likstall.errors import InputError
from likstall.ingest.load import ingest
from likstall.ingest.pseudonym import load_key

from helpers import EXTRACT, base_tables, write_tables


def luhn_pnr(birth: str, serial: str) -> str:
    """A personnummer-shaped test value with a valid check digit (generated, belongs to no one)."""
    digits = birth[2:] + serial
    total = 0
    for i, ch in enumerate(digits):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return f"{birth}-{serial}{(10 - total % 10) % 10}"


PNRS = [luhn_pnr("19850101", "123"), luhn_pnr("19500615", "987"), luhn_pnr("20001231", "555")]


def _store_bytes(db) -> bytes:
    data = b""
    for suffix in ("", ".wal"):
        p = str(db) + suffix
        if os.path.exists(p):
            with open(p, "rb") as f:
                data += f.read()
    return data


def test_store_bytes_hold_no_personnummer_raw_key_or_plain_hash(tmp_path):
    tables = copy.deepcopy(base_tables())
    for row, pnr in zip(tables["cases"], PNRS):
        row["person_id"] = pnr
    db = tmp_path / "s.duckdb"
    r = ingest([write_tables(tmp_path / "e", tables)], db, extract_date=EXTRACT)
    assert r.quarantined == 0
    blob = _store_bytes(db)
    for pnr in PNRS:
        compact = pnr.replace("-", "")
        forms = {pnr, compact, compact[2:], pnr[2:]}
        for form in forms:
            assert form.encode() not in blob, "raw personnummer in the store"
            for h in (hashlib.sha256(form.encode()).hexdigest(), hashlib.md5(form.encode()).hexdigest()):
                assert h.encode() not in blob, "unkeyed hash of a personnummer in the store"
    for case_id in ("AR-1", "AR-2", "AR-3"):
        assert hashlib.sha256(case_id.encode()).hexdigest().encode() not in blob


def test_same_person_same_pseudonym_across_loads_and_spellings(tmp_path):
    db = tmp_path / "s.duckdb"
    a = copy.deepcopy(base_tables())
    a["cases"][0]["person_id"] = PNRS[0]  # 19850101-1234 form
    ingest([write_tables(tmp_path / "a", a)], db, extract_date=EXTRACT)
    b = copy.deepcopy(base_tables())
    b["cases"] = [dict(b["cases"][0], case_id="AR-9", person_id=PNRS[0].replace("-", "")[2:])]  # 8501011234 form
    b["placements"] = [dict(b["placements"][0], placement_id="IN-9", case_id="AR-9")]
    ingest([write_tables(tmp_path / "b", b)], db, extract_date=EXTRACT)
    con = duckdb.connect(str(db), read_only=True)
    keys = con.execute("SELECT person_key, count(*) FROM cases GROUP BY 1 HAVING count(*) > 1").fetchall()
    con.close()
    assert len(keys) == 1 and keys[0][1] == 2


def test_key_file_is_created_private_and_a_store_refuses_another_key(tmp_path, monkeypatch):
    key_path = tmp_path / "k" / "secret.key"
    monkeypatch.setenv("LIKSTALL_KEY_FILE", str(key_path))
    db = tmp_path / "s.duckdb"
    ingest([write_tables(tmp_path / "e", base_tables())], db, extract_date=EXTRACT)
    assert stat.S_IMODE(key_path.stat().st_mode) == 0o600
    assert load_key(key_path).fingerprint  # readable
    monkeypatch.setenv("LIKSTALL_KEY_FILE", str(tmp_path / "other.key"))
    with pytest.raises(InputError, match="annan pseudonymiseringsnyckel"):
        ingest([write_tables(tmp_path / "e2", base_tables())], db, extract_date=EXTRACT)


def test_key_file_readable_by_others_is_refused(tmp_path, monkeypatch):
    key_path = tmp_path / "open.key"
    key_path.write_text("ab" * 32)
    key_path.chmod(0o644)
    monkeypatch.setenv("LIKSTALL_KEY_FILE", str(key_path))
    with pytest.raises(Exception, match="chmod 600"):
        ingest([write_tables(tmp_path / "e", base_tables())], tmp_path / "s.duckdb", extract_date=EXTRACT)


def test_key_from_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("LIKSTALL_SECRET_KEY", "0f" * 32)
    r = ingest([write_tables(tmp_path / "e", base_tables())], tmp_path / "s.duckdb", extract_date=EXTRACT)
    assert r.inserted > 0


def test_birth_year_is_stored_only_as_an_age_band(tmp_path):
    db = tmp_path / "s.duckdb"
    ingest([write_tables(tmp_path / "e", base_tables())], db, extract_date=EXTRACT)
    con = duckdb.connect(str(db), read_only=True)
    cols = [r[0] for r in con.execute("DESCRIBE cases").fetchall()]
    bands = sorted(r[0] for r in con.execute("SELECT age_band FROM cases").fetchall())
    con.close()
    assert "birth_year" not in cols and "person_id" not in cols and "case_id" not in cols
    assert bands == ["18-24", "25-44", "65-79"]  # 2021-2000=21, 2021-1985=36, 2021-1950=71
