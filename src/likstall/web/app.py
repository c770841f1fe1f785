"""The dashboard (server-rendered Jinja2 pages) and the JSON API, over the same FollowUp and gate as the report.

Security: every route but /login and /static needs a session or an API token; sessions are signed,
HttpOnly, SameSite=Strict cookies that expire; every form carries a CSRF token; logins are slowed
and then locked after repeated failures; headers forbid framing, inline scripts and referrers.
Roles: admin (everything), analytiker (all districts, exports), stadsdel (own district in detail,
others only at region and city level), lasare (the public publication only).
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
from fastapi import Depends, FastAPI, Form, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.middleware.sessions import SessionMiddleware

from ..contract.personnummer import mask_personnummer
from ..disclosure.cells import TOTAL
from ..errors import StoreError
from ..store.connection import connect
from . import users as U

HERE = Path(__file__).parent
CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; object-src 'none'; "
       "frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
PAGES = {
    # path name: (title, roles)
    "oversikt": ("Översikt", U.ROLES),
    "placeringar": ("Placeringar", U.ROLES),
    "vistelsetid": ("Vistelsetid", U.ROLES),
    "shis": ("SHIS och remittering", U.ROLES),
    "malgrupper": ("Målgrupper", U.ROLES),
    "sarbara": ("Särskilt sårbara grupper", U.ROLES),
    "trender": ("Trender", U.ROLES),
    "datakvalitet": ("Datakvalitet", ("admin", "analytiker", "stadsdel")),
    "rapporter": ("Rapporter", U.ROLES),
    "import": ("Import", ("admin",)),
    "logg": ("Åtkomstlogg", ("admin",)),
}
MAX_FAILURES_BEFORE_LOCK = 5
LOCK_SECONDS = 15 * 60


class SecurityHeaders(BaseHTTPMiddleware):
    async def dispatch(self, request, call_next):
        response = await call_next(request)
        response.headers["Content-Security-Policy"] = CSP
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Cache-Control"] = "no-store"
        return response


@dataclass
class State:
    """What the server knows about the store, without holding it open.

    DuckDB lets one process write a file, or several read it, never both; a server that kept the
    store open would lock out `likstall ingest` and `likstall user` in other processes. So the store
    is opened read-only for a moment when the file has changed (its size, time or write-ahead log),
    the small tables a request needs (users, tokens, the load version, the years) are copied into
    memory, and a FollowUp is built per (year, load version). While another process writes, the
    server keeps answering from what it read before: readers see the old data or the new, never a
    mix. The access log is a SQLite file of its own next to the store (`AccessLog`), so that a
    request never needs the store's write lock.
    """

    db: Path
    lock: threading.RLock = field(default_factory=threading.RLock)
    cache: dict = field(default_factory=dict)
    failures: dict = field(default_factory=dict)  # username → (count, locked_until)
    login_delay: float = 1.0
    snapshot: object = None  # in-memory DuckDB with users and api_tokens
    signature: tuple | None = None
    _version: int = 0
    _years: list = field(default_factory=list)
    _next_try: float = 0.0
    access: "AccessLog | None" = None
    store_wait: float = 10.0  # how long a request waits for another process's write before 503

    def __post_init__(self):
        self.access = AccessLog(access_log_path(self.db))

    def _file_signature(self) -> tuple:
        out = []
        for p in (self.db, Path(str(self.db) + ".wal")):
            try:
                st = p.stat()
                out.append((st.st_mtime_ns, st.st_size))
            except FileNotFoundError:
                out.append(None)
        return tuple(out)

    @contextmanager
    def reading(self, wait: float = 2.0):
        """A short read-only connection to the store (waits while another process writes)."""
        con = connect(self.db, read_only=True, wait=wait)
        try:
            yield con
        finally:
            con.close()

    def refresh(self) -> None:
        """Re-read users, tokens, version and years if the store file changed since last time."""
        with self.lock:
            sig = self._file_signature()
            if sig == self.signature and self.snapshot is not None:
                return
            if self.snapshot is not None and time.monotonic() < self._next_try:
                return  # the store was busy a moment ago: keep serving what we have
            try:
                with self.reading(wait=0 if self.snapshot is not None else self.store_wait) as con:
                    mem = duckdb.connect()
                    for table in ("users", "api_tokens"):
                        cols = con.execute(f"SELECT * FROM {table}").fetchdf()
                        mem.register("src", cols)
                        mem.execute(f"CREATE TABLE {table} AS SELECT * FROM src")
                        mem.unregister("src")
                    version = con.execute("SELECT coalesce(max(load_id), 0) FROM loads").fetchone()[0]
                    years = [r[0] for r in con.execute("SELECT DISTINCT year(opened) FROM cases ORDER BY 1").fetchall()]
            except StoreError:
                if self.snapshot is None:
                    raise HTTPException(503, "Databasen uppdateras just nu; försök igen om en stund.") from None
                self._next_try = time.monotonic() + 1.0
                return
            old, self.snapshot = self.snapshot, mem
            if old is not None:
                old.close()
            self.signature, self._version, self._years = sig, version, years

    def users(self):
        """The in-memory copy of users and tokens, for `users.get_user` and `users.verify_*`."""
        self.refresh()
        return self.snapshot

    def version(self) -> tuple:
        self.refresh()
        return (self._version,)

    def years(self) -> list[int]:
        self.refresh()
        return list(self._years)

    def year_of(self, year: int | None) -> int:
        """The requested year, or the latest with data; 404 when there is none."""
        years = self.years()
        if not years:
            raise HTTPException(404, "Databasen har inga ärenden än. En administratör läser in data under Import.")
        if year is None:
            return years[-1]
        if year not in years:
            # Echo only what can be a year: a query string is user input and may carry anything.
            raise HTTPException(404, f"Inga ärenden för {year}." if 1900 <= year <= 2200 else
                                "Inga ärenden för det begärda året.")
        return year

    def follow_up(self, year: int):
        """The FollowUp of a year, cached per load version (a new load gives a new one). It is built from
        one read-only connection, and cached under the version that connection saw."""
        from ..followup.build import follow_up

        with self.lock:
            key = (year, self.version())
            if key not in self.cache:
                try:
                    with self.reading(wait=self.store_wait) as con:
                        seen = (con.execute("SELECT coalesce(max(load_id), 0) FROM loads").fetchone()[0],)
                        fu = follow_up(con, year)
                except StoreError:
                    raise HTTPException(503, "Databasen uppdateras just nu; försök igen om en stund.") from None
                self.cache = {k: v for k, v in self.cache.items() if k[1] == seen}
                self.cache[(year, seen)] = fu
                if seen != key[1]:
                    self.signature = None  # the store moved on while we read: refresh next time
                    return fu
            return self.cache[key]

    def log(self, user, action: str, path: str, detail: str | None, status: int) -> None:
        # Paths and details come from requests: whatever looks like a personnummer is masked.
        self.access.add(user.username if user else "(okänd)", user.role if user else "", action,
                        mask_personnummer(path)[:200], mask_personnummer(detail) if detail else detail, status)


def access_log_path(db: Path) -> Path:
    return db.with_name(db.name + ".access.sqlite")


class AccessLog:
    """Who saw what, when (never a client address): an append-only SQLite table in WAL mode, in its own
    file so that logging never needs the store's lock. The file is created 0600."""

    COLUMNS = ("ts", "username", "role", "action", "path", "detail", "status")

    def __init__(self, path: Path):
        import os
        import sqlite3

        self.path = path
        if not path.exists():
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
        self._con = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._con.execute("PRAGMA journal_mode=WAL")
        self._con.execute("""CREATE TABLE IF NOT EXISTS access_log (ts TEXT NOT NULL, username TEXT NOT NULL,
            role TEXT NOT NULL, action TEXT NOT NULL, path TEXT NOT NULL, detail TEXT, status INTEGER NOT NULL)""")
        self._lock = threading.Lock()

    def add(self, username, role, action, path, detail, status) -> None:
        import datetime as dt

        with self._lock:
            self._con.execute("INSERT INTO access_log VALUES (?, ?, ?, ?, ?, ?, ?)",
                              [dt.datetime.now().isoformat(timespec="seconds"), username, role, action, path,
                               detail, status])

    def rows(self, sql: str, params=()) -> list[tuple]:
        with self._lock:
            return self._con.execute(sql, params).fetchall()

    def recent(self, n: int = 500) -> list[tuple]:
        """The latest entries, newest first, with the time as a datetime."""
        import datetime as dt

        return [(dt.datetime.fromisoformat(r[0]), *r[1:])
                for r in self.rows("SELECT * FROM access_log ORDER BY rowid DESC LIMIT ?", (n,))]


def create_app(db: str | Path, *, session_secret: str | None = None, session_max_age: int = 8 * 3600,
               login_delay: float = 1.0, https_only: bool = False, store_wait: float = 10.0) -> FastAPI:
    state = State(Path(db), login_delay=login_delay, store_wait=store_wait)
    app = FastAPI(title="likstall API", version="1", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.likstall = state
    app.add_middleware(SecurityHeaders)
    app.add_middleware(SessionMiddleware, secret_key=session_secret or secrets.token_hex(32),
                       session_cookie="likstall_session", max_age=session_max_age, same_site="strict",
                       https_only=https_only)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    templates = Jinja2Templates(directory=HERE / "templates")

    # ---- authentication ----------------------------------------------------------------------
    def optional_user(request: Request) -> U.User | None:
        auth = request.headers.get("authorization", "")
        with state.lock:
            con = state.users()
            if auth.lower().startswith("bearer "):
                return U.verify_token(con, auth[7:].strip())
            name = request.session.get("user")
            if name and request.session.get("expires", 0) > time.time():
                return U.get_user(con, name)
        return None

    def page_user(request: Request) -> U.User:
        user = optional_user(request)
        if user is None:
            raise HTTPException(status_code=303, headers={"Location": "/login"})
        return user

    def api_user(request: Request) -> U.User:
        user = optional_user(request)
        if user is None:
            raise HTTPException(status_code=401, detail="Inloggning krävs", headers={"WWW-Authenticate": "Bearer"})
        return user

    def csrf_token(request: Request) -> str:
        tok = request.session.get("csrf")
        if not tok:
            tok = secrets.token_urlsafe(32)
            request.session["csrf"] = tok
        return tok

    def check_csrf(request: Request, token: str) -> None:
        expected = request.session.get("csrf")
        if not expected or not token or not hmac.compare_digest(expected, token):
            raise HTTPException(status_code=403, detail="Ogiltig eller saknad CSRF-token")

    def allowed(user: U.User, page: str) -> bool:
        return user.role in PAGES[page][1]

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException):
        if exc.status_code == 303:
            return RedirectResponse(exc.headers["Location"], status_code=303)
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)
        return HTMLResponse(templates.get_template("error.html").render(status=exc.status_code, detail=exc.detail,
                                                                         user=None, pages=[]),
                            status_code=exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError):
        # FastAPI's default answer echoes the offending input; a query string may carry anything,
        # a personnummer too. Say where and what, never the value.
        errors = [{"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
                  for e in exc.errors()]
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": errors}, status_code=422)
        detail = "Ogiltigt värde för " + ", ".join(str(e["loc"][-1]) for e in errors if e["loc"]) + "."
        return HTMLResponse(templates.get_template("error.html").render(status=422, detail=detail, user=None, pages=[]),
                            status_code=422)

    @app.get("/login", response_class=HTMLResponse, include_in_schema=False)
    def login_form(request: Request, fel: str | None = None):
        return templates.TemplateResponse(request, "login.html", {"csrf": csrf_token(request), "error": fel})

    @app.post("/login", include_in_schema=False)
    def login(request: Request, username: str = Form(""), password: str = Form(""), csrf: str = Form("")):
        check_csrf(request, csrf)
        name = username.strip().lower()
        shown = U.loggable_name(name)
        count, locked_until = state.failures.get(name, (0, 0.0))
        if locked_until > time.time():
            state.log(None, "login_locked", "/login", shown, 429)
            return templates.TemplateResponse(request, "login.html", {
                "csrf": csrf_token(request), "error": "För många misslyckade försök: kontot är tillfälligt låst."},
                status_code=429)
        with state.lock:
            user = U.verify_password(state.users(), name, password)
        if user is None:
            count += 1
            if count >= 3:
                time.sleep(min(state.login_delay * (count - 2), 3.0))  # slowed, then locked
            state.failures[name] = (count, time.time() + LOCK_SECONDS if count >= MAX_FAILURES_BEFORE_LOCK else 0.0)
            state.log(None, "login_failed", "/login", shown, 401)
            return templates.TemplateResponse(request, "login.html", {
                "csrf": csrf_token(request), "error": "Fel användarnamn eller lösenord."}, status_code=401)
        state.failures.pop(name, None)
        request.session.clear()
        request.session.update(user=user.username, expires=time.time() + session_max_age,
                               csrf=secrets.token_urlsafe(32))
        state.log(user, "login", "/login", None, 303)
        return RedirectResponse("/", status_code=303)

    @app.post("/logout", include_in_schema=False)
    def logout(request: Request, csrf: str = Form(""), user: U.User = Depends(page_user)):
        check_csrf(request, csrf)
        request.session.clear()
        return RedirectResponse("/login", status_code=303)

    # ---- pages -------------------------------------------------------------------------------
    from .pages import register_pages

    register_pages(app, state, templates, page_user, csrf_token, check_csrf, allowed)

    # ---- API -----------------------------------------------------------------------------------
    from .api import register_api

    register_api(app, state, api_user)
    return app
