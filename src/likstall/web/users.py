"""Users, passwords (argon2id) and API tokens (shown once, stored hashed). No default password anywhere.

The store holds the users and tokens; the command line changes them (`likstall user ...`). The web
server reads them into a `Directory` (a snapshot in memory, re-read when the store file changes),
so that checking a request needs no lock and no database.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from ..contract.personnummer import contains_personnummer
from ..errors import LikstallError
from ..store.connection import connect
from .sessions import Sessions
from .sidedb import SideDB, side_path
from .staging import Staging

ROLES = ("admin", "analytiker", "stadsdel", "lasare")
_ph = PasswordHasher()
# A login for a name without a (usable) password is checked against this hash: one argon2
# verification with the same parameters as a real one, so the answer takes the same time.
DUMMY_HASH = _ph.hash(secrets.token_urlsafe(24))
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,39}$")
TOKEN = re.compile(r"lst_([0-9a-f]{16})\.([A-Za-z0-9_-]{20,})")
MIN_PASSWORD = 12


@dataclass(frozen=True)
class User:
    username: str
    role: str
    district: str | None
    disabled: bool = False


@dataclass(frozen=True)
class Account:
    user: User
    password_hash: str | None


@dataclass(frozen=True)
class TokenRow:
    token_id: str
    username: str
    secret_hash: str
    created: object
    revoked: bool


@dataclass(frozen=True)
class Directory:
    """Users and tokens as the store had them when read."""

    accounts: dict[str, Account]
    tokens: dict[str, TokenRow]

    @classmethod
    def read(cls, con) -> "Directory":
        accounts = {r[0]: Account(User(r[0], r[1], r[2], bool(r[3])), r[4]) for r in con.execute(
            "SELECT username, role, district, disabled, password_hash FROM users").fetchall()}
        tokens = {r[0]: TokenRow(r[0], r[1], r[2], r[3], bool(r[4])) for r in con.execute(
            "SELECT token_id, username, secret_hash, created, revoked FROM api_tokens").fetchall()}
        return cls(accounts, tokens)

    def user(self, username: str) -> User | None:
        """The user if it exists and is not disabled."""
        a = self.accounts.get(username)
        return a.user if a is not None and not a.user.disabled else None

    def login_hash(self, username: str) -> tuple[str, User | None]:
        """The hash a login for this name is checked against, and the user a right password logs in.
        Unknown, disabled and password-less names get the dummy hash and no user."""
        a = self.accounts.get(username)
        if a is None or a.user.disabled or not a.password_hash:
            return DUMMY_HASH, None
        return a.password_hash, a.user


def check_password(stored_hash: str, password: str) -> bool:
    """One argon2id verification (slow by design: run it on `web.checks`, not on a request's thread)."""
    try:
        return _ph.verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


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
    """Disable a user and its tokens, and end its sessions in a running server at once."""
    con = connect(db)
    try:
        if not con.execute("SELECT count(*) FROM users WHERE username = ?", [username]).fetchone()[0]:
            raise LikstallError(f"Användaren {username} finns inte.")
        con.execute("UPDATE users SET disabled = true WHERE username = ?", [username])
        con.execute("UPDATE api_tokens SET revoked = true WHERE username = ?", [username])
    finally:
        con.close()
    end_sessions(db, username)


def end_sessions(db, username: str) -> int:
    """End every web session of a user (in the server's side file next to the store); their staged
    imports are deleted. Returns how many sessions there were."""
    path = side_path(Path(db))
    if not path.exists():
        return 0
    side = SideDB(path)
    try:
        staged = Sessions(side).end_user(username)
    finally:
        side.close()
    staging = Staging(Path(db), create=False)
    for name in staged:
        staging.remove(name)
    return len(staged)


def new_token(db, username: str) -> str:
    """A new API token `lst_<id>.<secret>`; only the argon2 hash of the secret is stored. The id
    (`lst_<id>`) names the token in `likstall user tokens` and `likstall user revoke`."""
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


def token_id_of(text: str) -> str:
    """The id of a token given as `lst_<id>`, `<id>` or the whole token."""
    m = re.fullmatch(r"(?:lst_)?([0-9a-f]{16})(?:\..*)?", (text or "").strip())
    if not m:
        raise LikstallError("Ange nyckelns id: lst_ följt av 16 hextecken (det som står före punkten).")
    return m.group(1)


def revoke_token(db, token: str) -> str:
    """Revoke one API token (the user's other tokens and sessions keep working). Returns the user."""
    token_id = token_id_of(token)
    con = connect(db)
    try:
        row = con.execute("SELECT username FROM api_tokens WHERE token_id = ?", [token_id]).fetchone()
        if row is None:
            raise LikstallError(f"Ingen API-nyckel med id lst_{token_id}.")
        con.execute("UPDATE api_tokens SET revoked = true WHERE token_id = ?", [token_id])
    finally:
        con.close()
    return row[0]


def list_tokens(db, username: str | None = None) -> list[dict]:
    con = connect(db)
    try:
        rows = con.execute("SELECT token_id, username, created, revoked FROM api_tokens "
                           + ("WHERE username = ? " if username else "") + "ORDER BY username, created",
                           [username] if username else []).fetchall()
    finally:
        con.close()
    return [{"id": f"lst_{r[0]}", "username": r[1], "created": r[2], "revoked": r[3]} for r in rows]


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


NOT_CACHED = object()  # `verify_token(..., cached_only=True)`: the argon2 check would be needed


def verify_token(directory: Directory, token: str, run=None, *, cached_only: bool = False) -> User | None | object:
    """The user of a valid, unrevoked token of an enabled user; else None. `run(fn, *args)` runs the
    argon2 check (web.checks.Checks.run_sync); whatever it returns instead of a bool (BUSY) is passed on.
    `cached_only`: NOT_CACHED instead of running argon2 (the caller then asks again on a worker thread)."""
    m = TOKEN.fullmatch(token or "")
    if not m:
        return None
    row = directory.tokens.get(m.group(1))
    user = directory.user(row.username) if row is not None else None
    if row is None or row.revoked or user is None:
        return None
    key, now = (row.token_id, row.secret_hash), time.monotonic()
    cached = _token_cache.get(key)
    if cached and now - cached[1] < TOKEN_CACHE_SECONDS and hmac.compare_digest(cached[0], _digest(m.group(2))):
        return user
    if cached_only:
        return NOT_CACHED
    ok = (run or (lambda f, *a: f(*a)))(check_password, row.secret_hash, m.group(2))
    if ok is not True:
        return None if ok is False else ok
    _token_cache[key] = (_digest(m.group(2)), now)
    return user
