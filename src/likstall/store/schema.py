"""The store's tables. Microdata are stored only after validation and pseudonymisation.

Person, case and placement keys are keyed hashes; birth year is stored only as an age band;
nothing from a column outside the contract is ever stored. `MIGRATIONS` is applied in order,
and `meta.schema_version` records how far a store has come.
"""

from __future__ import annotations

import re

from ..contract.columns import FLAG_COLUMNS

_FLAGS = ",\n    ".join(f"{name} BOOLEAN" for name, _, _ in FLAG_COLUMNS)

# Columns every microdata and reference row carries about its own history.
_LOAD_META = """
    row_hash VARCHAR NOT NULL,
    load_id INTEGER NOT NULL,
    extract_date DATE NOT NULL,
    first_load_id INTEGER NOT NULL,
    first_extract_date DATE NOT NULL"""

SCHEMA_V1 = f"""
CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL);

CREATE TABLE IF NOT EXISTS districts (
    code VARCHAR NOT NULL,
    year INTEGER NOT NULL,
    name VARCHAR NOT NULL,
    region VARCHAR NOT NULL,
    has_emergency_flats BOOLEAN,
    rvt_refers_to_shis BOOLEAN,{_LOAD_META},
    PRIMARY KEY (code, year)
);

CREATE TABLE IF NOT EXISTS population (
    district VARCHAR NOT NULL,
    year INTEGER NOT NULL,
    sex VARCHAR NOT NULL,
    age_band VARCHAR NOT NULL,
    count BIGINT NOT NULL CHECK (count >= 0),{_LOAD_META},
    PRIMARY KEY (district, year, sex, age_band)
);

CREATE TABLE IF NOT EXISTS socioeconomics (
    district VARCHAR NOT NULL,
    year INTEGER NOT NULL,
    indicator VARCHAR NOT NULL,
    value DOUBLE NOT NULL,{_LOAD_META},
    PRIMARY KEY (district, year, indicator)
);

CREATE TABLE IF NOT EXISTS cases (
    case_key VARCHAR PRIMARY KEY,
    person_key VARCHAR NOT NULL,
    district VARCHAR NOT NULL,
    opened DATE NOT NULL,
    closed DATE,
    sex VARCHAR,
    age_band VARCHAR,
    target_group VARCHAR,
    handling_unit VARCHAR,
    {_FLAGS},{_LOAD_META}
);

CREATE TABLE IF NOT EXISTS placements (
    placement_key VARCHAR PRIMARY KEY,
    case_key VARCHAR NOT NULL,
    type VARCHAR NOT NULL,
    referring_unit VARCHAR,
    applied DATE NOT NULL,
    decision VARCHAR NOT NULL,
    decided DATE,
    start DATE,
    "end" DATE,
    children INTEGER CHECK (children >= 0),
    cost_sek DOUBLE CHECK (cost_sek >= 0),{_LOAD_META}
);

CREATE TABLE IF NOT EXISTS loads (
    load_id INTEGER PRIMARY KEY,
    started TIMESTAMP NOT NULL,
    finished TIMESTAMP NOT NULL,
    extract_date DATE NOT NULL,
    files VARCHAR NOT NULL,          -- JSON: name, sha256, table, rows, unknown columns
    rows_read BIGINT NOT NULL,
    inserted BIGINT NOT NULL,
    updated BIGINT NOT NULL,
    unchanged BIGINT NOT NULL,
    quarantined BIGINT NOT NULL,
    by_rule VARCHAR NOT NULL,        -- JSON: rule -> quarantined rows
    tool_version VARCHAR NOT NULL
);

CREATE TABLE IF NOT EXISTS quarantine (
    load_id INTEGER NOT NULL,
    file VARCHAR NOT NULL,
    table_name VARCHAR NOT NULL,
    row_number BIGINT NOT NULL,
    column_name VARCHAR,
    rule VARCHAR NOT NULL,
    message VARCHAR NOT NULL
);
"""

# The release log: what was published when, with which pattern. A published cell's value is kept
# (it is public); a suppressed cell's is not.
SCHEMA_V2 = """
CREATE TABLE IF NOT EXISTS releases (
    release_id INTEGER PRIMARY KEY,
    year INTEGER NOT NULL,
    created TIMESTAMP NOT NULL,
    kind VARCHAR NOT NULL,            -- publish, rapport
    policy VARCHAR NOT NULL,          -- JSON
    pattern_sha256 VARCHAR NOT NULL,
    n_cells INTEGER NOT NULL,
    n_suppressed INTEGER NOT NULL,
    audit_passed BOOLEAN NOT NULL,
    last_load_id INTEGER
);
CREATE TABLE IF NOT EXISTS release_cells (
    release_id INTEGER NOT NULL,
    cell VARCHAR NOT NULL,            -- JSON [measure, {dimension: value}]
    status VARCHAR NOT NULL,          -- published, suppressed
    value BIGINT                      -- only when published
);
"""

# Users of the dashboard, their API tokens (hashed), and the access log (who saw what, when;
# never a client address).
SCHEMA_V3 = """
CREATE TABLE IF NOT EXISTS users (
    username VARCHAR PRIMARY KEY,
    role VARCHAR NOT NULL,            -- admin, analytiker, stadsdel, lasare
    district VARCHAR,                 -- for stadsdel
    password_hash VARCHAR,            -- argon2id; NULL until a password is set
    disabled BOOLEAN NOT NULL DEFAULT false,
    created TIMESTAMP NOT NULL
);
CREATE TABLE IF NOT EXISTS api_tokens (
    token_id VARCHAR PRIMARY KEY,     -- public part of the token
    username VARCHAR NOT NULL,
    secret_hash VARCHAR NOT NULL,     -- argon2id of the secret part
    created TIMESTAMP NOT NULL,
    revoked BOOLEAN NOT NULL DEFAULT false
);
CREATE TABLE IF NOT EXISTS access_log (
    ts TIMESTAMP NOT NULL,
    username VARCHAR NOT NULL,
    role VARCHAR NOT NULL,
    action VARCHAR NOT NULL,          -- view, export, api, login, login_failed, import
    path VARCHAR NOT NULL,
    detail VARCHAR,                   -- table or format
    status INTEGER NOT NULL
);
"""

# Suppression patterns already computed: the pattern is a deterministic function of the counts,
# the release history and the policy, so the same key gives the same pattern (no values stored).
SCHEMA_V4 = """
CREATE TABLE IF NOT EXISTS protection_cache (
    cache_key VARCHAR PRIMARY KEY,    -- SHA-256 of counts, history and policy
    created TIMESTAMP NOT NULL,
    pattern VARCHAR NOT NULL,         -- JSON: cell → primary/secondary/published
    audit VARCHAR NOT NULL            -- JSON: passed, findings, scenarios, notes, iterations
);
"""
def _rebuilt_without_primary_key(table: str) -> str:
    """SQL that rebuilds a v1 table with the same columns, NOT NULL and CHECK rules but no primary key."""
    body = re.search(rf"CREATE TABLE IF NOT EXISTS {table} \((.*?)\n\);", SCHEMA_V1, re.S).group(1)
    body = re.sub(r",\s*PRIMARY KEY \([^)]*\)", "", body).replace(" PRIMARY KEY", " NOT NULL")
    return (f"CREATE TABLE {table}_v5 ({body}\n);\nINSERT INTO {table}_v5 SELECT * FROM {table};\n"
            f"DROP TABLE {table};\nALTER TABLE {table}_v5 RENAME TO {table};\n")


# The data tables without primary keys. Every row's key is already unique when it is written: the
# ingest quarantines duplicates within a load and classifies each row against the store as insert,
# update or unchanged before writing. The keys' ART indexes only cost time (≈ 35 % of an ingest at
# 55 k placements) and memory.
SCHEMA_V5 = "".join(_rebuilt_without_primary_key(t)
                    for t in ("districts", "population", "socioeconomics", "cases", "placements"))

DATA_TABLES = ("districts", "population", "socioeconomics", "cases", "placements")


def data_columns(table: str) -> list[tuple[str, str]]:
    """(column, type) of a data table's own columns, in the store's order, without the load columns."""
    body = re.search(rf"CREATE TABLE IF NOT EXISTS {table} \((.*?)\n\);", SCHEMA_V1, re.S).group(1)
    cols = []
    for line in body.splitlines():
        m = re.match(r'\s+("?\w+"?) ([A-Z]+)', line)
        if m and m.group(1) != "PRIMARY":
            cols.append((m.group(1).strip('"'), m.group(2)))
    meta = [c for c, _ in cols].index("row_hash")
    return cols[:meta]


def row_hash_sql(table: str, prefix: str = "") -> str:
    """The content hash of a row, for telling a changed row from an unchanged one (ingest/load.py).

    DuckDB's own 64-bit `hash()` of the typed values, each cast to its store type so that a row
    hashes the same in staging and in the store. It is ≈ 7× cheaper than MD5 over the values as
    text, and a collision costs nothing but a missed correction with odds of 2⁻⁶⁴ (docs/security.md).
    DuckDB does not promise the same `hash()` across versions or platforms, so the store records a
    canary (`ROW_HASH_CANARY`) and an ingest rehashes the store when the canary differs.
    """
    return "hash(" + ", ".join(f'CAST({prefix}"{c}" AS {t})' for c, t in data_columns(table)) + ")"


# One value of every type the row hash sees; if this hashes differently, so may the stored rows.
ROW_HASH_CANARY = ("SELECT CAST(hash('likstall', CAST(2021 AS INTEGER), CAST(3 AS BIGINT), CAST(1.5 AS DOUBLE), "
                   "DATE '2021-06-30', true, CAST(NULL AS VARCHAR)) AS VARCHAR)")


def rehash_sql() -> str:
    """Every stored row's hash computed afresh, and the canary that says with which `hash()`."""
    return "".join(f"UPDATE {t} SET row_hash = {row_hash_sql(t)};\n" for t in DATA_TABLES) + (
        f"INSERT OR REPLACE INTO meta VALUES ('row_hash_canary', ({ROW_HASH_CANARY}));\n")


# The row hash: MD5 of the values as text (VARCHAR) becomes `row_hash_sql` (UBIGINT) — see there.
SCHEMA_V6 = "".join(
    f"ALTER TABLE {t} ALTER COLUMN row_hash SET DATA TYPE UBIGINT USING {row_hash_sql(t)};\n" for t in DATA_TABLES
) + f"INSERT OR REPLACE INTO meta VALUES ('row_hash_canary', ({ROW_HASH_CANARY}));\n"

# The district a quarantined row belongs to, when it names one (a case's district, a placement's
# case's district): a district's users see their own quarantine in the dashboard. Idempotent, so
# that it can sit anywhere among later migrations.
SCHEMA_V7 = "ALTER TABLE quarantine ADD COLUMN IF NOT EXISTS district VARCHAR;"

# Releases as immutable snapshots (format 2): everything a release serves (`content`, compressed
# JSON), the structure its protection rested on (tables, groups, partitions: so that a later release
# keeps this one's equations), the aggregate inputs it was built from (`frames`: internal, so that a
# later release shows the same year from the same vintage), and per cell its kind and true value
# (internal: the joint protection of later releases audits this release's hidden cells too).
# Releases logged by earlier versions keep format NULL and are used as history only.
SCHEMA_V8 = """
ALTER TABLE releases ADD COLUMN IF NOT EXISTS format INTEGER;
ALTER TABLE releases ADD COLUMN IF NOT EXISTS version INTEGER;
ALTER TABLE releases ADD COLUMN IF NOT EXISTS content BLOB;
ALTER TABLE releases ADD COLUMN IF NOT EXISTS structure BLOB;
ALTER TABLE releases ADD COLUMN IF NOT EXISTS frames BLOB;
ALTER TABLE release_cells ADD COLUMN IF NOT EXISTS table_name VARCHAR;
ALTER TABLE release_cells ADD COLUMN IF NOT EXISTS kind VARCHAR;
ALTER TABLE release_cells ADD COLUMN IF NOT EXISTS true_value BIGINT;
"""

MIGRATIONS: tuple[str, ...] = (SCHEMA_V1, SCHEMA_V2, SCHEMA_V3, SCHEMA_V4, SCHEMA_V5, SCHEMA_V6, SCHEMA_V7, SCHEMA_V8)
