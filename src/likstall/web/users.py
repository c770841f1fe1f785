"""Users, passwords (argon2id) and API tokens (shown once, stored hashed). No default password anywhere."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from ..contract.personnummer import contains_personnummer
from ..errors import LikstallError
from ..store.connection import connect

ROLES = ("admin", "analytiker", "stadsdel", "lasare")
_ph = PasswordHasher()
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,39}$")
MIN_PASSWORD = 12


@dataclass(frozen=True)
class User:
    username: str
    role: str
    district: str | None
    disabled: bool = False


def _check_name(name: str) -> str:
    if not USERNAME.match(name):
        raise LikstallError("Användarnamnet får bara innehålla a–z, 0–9, punkt, bindestreck och understreck (2–40 tecken).")
    if contains_personnummer(name):
        raise LikstallError("Användarnamnet får inte se ut som ett personnummer.")
    return name


def loggable_name(name: str) -> str:
    """A typed user name as the access log may keep it: only well-formed names that cannot be a personnummer."""
    return name if USERNAME.match(name) and not contains_personnummer(name) else "(ogiltigt namn)"


def add_user(db, username: str, role: str, district: str | None, password: str | None) -> User:
    _check_name(username)
    if role not in ROLES:
        raise LikstallError(f"Okänd roll {role!r}; välj {', '.join(ROLES)}.")
    if role == "stadsdel" and not district:
        raise LikstallError("En stadsdelsanvändare behöver --district.")
    if role != "stadsdel" and district:
        raise LikstallError("Bara rollen stadsdel har en stadsdel.")
    if password is not None and len(password) < MIN_PASSWORD:
        raise LikstallError(f"Lösenordet måste ha minst {MIN_PASSWORD} tecken.")
    con = connect(db)
    try:
        if district and not con.execute("SELECT count(*) FROM districts WHERE code = ?", [district]).fetchone()[0]:
            raise LikstallError(f"Stadsdelen {district!r} finns inte i databasen.")
        if con.execute("SELECT count(*) FROM users WHERE username = ?", [username]).fetchone()[0]:
            raise LikstallError(f"Användaren {username} finns redan.")
        con.execute("INSERT INTO users VALUES (?, ?, ?, ?, false, now())",
                    [username, role, district, _ph.hash(password) if password else None])
    finally:
        con.close()
    return User(username, role, district)


def list_users(db) -> list[dict]:
    con = connect(db)
    try:
        rows = con.execute("SELECT username, role, district, disabled, password_hash IS NOT NULL, created "
                           "FROM users ORDER BY username").fetchall()
    finally:
        con.close()
    return [{"username": r[0], "role": r[1], "district": r[2], "disabled": r[3], "has_password": r[4],
             "created": r[5]} for r in rows]


def disable_user(db, username: str) -> None:
    con = connect(db)
    try:
        if not con.execute("SELECT count(*) FROM users WHERE username = ?", [username]).fetchone()[0]:
            raise LikstallError(f"Användaren {username} finns inte.")
        con.execute("UPDATE users SET disabled = true WHERE username = ?", [username])
        con.execute("UPDATE api_tokens SET revoked = true WHERE username = ?", [username])
    finally:
        con.close()


def new_token(db, username: str) -> str:
    """A new API token `lst_<id>.<secret>`; only the argon2 hash of the secret is stored."""
    con = connect(db)
    try:
        row = con.execute("SELECT disabled FROM users WHERE username = ?", [username]).fetchone()
        if row is None:
            raise LikstallError(f"Användaren {username} finns inte.")
        if row[0]:
            raise LikstallError(f"Användaren {username} är avstängd.")
        token_id, secret = secrets.token_hex(8), secrets.token_urlsafe(32)
        con.execute("INSERT INTO api_tokens VALUES (?, ?, ?, now(), false)", [token_id, username, _ph.hash(secret)])
    finally:
        con.close()
    return f"lst_{token_id}.{secret}"


def verify_password(con, username: str, password: str) -> User | None:
    row = con.execute("SELECT username, role, district, disabled, password_hash FROM users WHERE username = ?",
                      [username]).fetchone()
    if row is None or row[3] or not row[4]:
        _ph.hash("likstall-constant-time")  # same work whether or not the user exists
        return None
    try:
        _ph.verify(row[4], password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return None
    return User(row[0], row[1], row[2])


# Tokens already verified in this process: (token id, stored hash) → keyed digest of the secret and
# when it was verified. argon2 costs ~0.1 s by design (against guessing passwords); a token's secret
# is 256 random bits, so after one argon2 check a keyed digest comparison is as safe and makes an API
# call cost milliseconds. The row is still read on every call, so a revoked token or a disabled user
# stops working at once; entries expire after TOKEN_CACHE_SECONDS; only this process's memory holds them.
TOKEN_CACHE_SECONDS = 300
_token_cache: dict[tuple[str, str], tuple[bytes, float]] = {}
_cache_key = secrets.token_bytes(32)


def _digest(secret: str) -> bytes:
    return hmac.new(_cache_key, secret.encode(), hashlib.sha256).digest()


def verify_token(con, token: str) -> User | None:
    m = re.fullmatch(r"lst_([0-9a-f]{16})\.([A-Za-z0-9_-]{20,})", token or "")
    if not m:
        return None
    row = con.execute(
        "SELECT t.secret_hash, u.username, u.role, u.district, u.disabled, t.revoked FROM api_tokens t "
        "JOIN users u USING (username) WHERE t.token_id = ?", [m.group(1)]).fetchone()
    if row is None or row[4] or row[5]:
        return None
    key, now = (m.group(1), row[0]), time.monotonic()
    cached = _token_cache.get(key)
    if cached and now - cached[1] < TOKEN_CACHE_SECONDS and hmac.compare_digest(cached[0], _digest(m.group(2))):
        return User(row[1], row[2], row[3])
    try:
        _ph.verify(row[0], m.group(2))
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return None
    _token_cache[key] = (_digest(m.group(2)), now)
    return User(row[1], row[2], row[3])


def get_user(con, username: str) -> User | None:
    row = con.execute("SELECT username, role, district, disabled FROM users WHERE username = ?", [username]).fetchone()
    if row is None or row[3]:
        return None
    return User(row[0], row[1], row[2])
