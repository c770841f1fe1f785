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
from dataclasses import dataclass, field
from pathlib import Path

from fastapi import Depends, FastAPI, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.middleware.sessions import SessionMiddleware

from ..disclosure.cells import TOTAL
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
    db: Path
    # One re-entrant lock around the store: an import commits while readers wait, so every reader
    # sees the data before or after it, never a mix.
    lock: threading.RLock = field(default_factory=threading.RLock)
    cache: dict = field(default_factory=dict)
    failures: dict = field(default_factory=dict)  # username → (count, locked_until)
    login_delay: float = 1.0
    con: object = None

    def connection(self):
        if self.con is None:
            self.con = connect(self.db)
        return self.con

    def version(self) -> tuple:
        with self.lock:
            return (self.connection().execute("SELECT coalesce(max(load_id), 0) FROM loads").fetchone()[0],)

    def years(self) -> list[int]:
        """Years with cases, remembered per store version (every page asks; a scan of all cases each time
        was the largest part of a page view)."""
        with self.lock:
            v = self.version()
            if self.cache.get("years", (None,))[0] != v:
                self.cache["years"] = (v, [r[0] for r in self.connection().execute(
                    "SELECT DISTINCT year(opened) FROM cases ORDER BY 1").fetchall()])
            return list(self.cache["years"][1])

    def year_of(self, year: int | None) -> int:
        """The requested year, or the latest with data; 404 when there is none."""
        years = self.years()
        if not years:
            raise HTTPException(404, "Databasen har inga ärenden än. En administratör läser in data under Import.")
        if year is None:
            return years[-1]
        if year not in years:
            raise HTTPException(404, f"Inga ärenden för {year}.")
        return year

    def follow_up(self, year: int):
        """The FollowUp of a year, cached per store version (a new load gives a new one)."""
        from ..followup.build import follow_up

        with self.lock:
            key = (year, self.version())
            if key not in self.cache:
                self.cache = {k: v for k, v in self.cache.items() if k == "years" or k[1] == key[1]}
                self.cache[key] = follow_up(self.connection(), year)
            return self.cache[key]

    def log(self, user, action: str, path: str, detail: str | None, status: int) -> None:
        with self.lock:
            self.connection().execute("INSERT INTO access_log VALUES (now(), ?, ?, ?, ?, ?, ?)",
                                      [user.username if user else "(okänd)", user.role if user else "",
                                       action, path[:200], detail, status])


def create_app(db: str | Path, *, session_secret: str | None = None, session_max_age: int = 8 * 3600,
               login_delay: float = 1.0, https_only: bool = False) -> FastAPI:
    state = State(Path(db), login_delay=login_delay)
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
            con = state.connection()
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

    @app.get("/login", response_class=HTMLResponse, include_in_schema=False)
    def login_form(request: Request, fel: str | None = None):
        return templates.TemplateResponse(request, "login.html", {"csrf": csrf_token(request), "error": fel})

    @app.post("/login", include_in_schema=False)
    def login(request: Request, username: str = Form(""), password: str = Form(""), csrf: str = Form("")):
        check_csrf(request, csrf)
        name = username.strip().lower()
        shown = name if U.USERNAME.match(name) else "(ogiltigt namn)"
        count, locked_until = state.failures.get(name, (0, 0.0))
        if locked_until > time.time():
            state.log(None, "login_locked", "/login", shown, 429)
            return templates.TemplateResponse(request, "login.html", {
                "csrf": csrf_token(request), "error": "För många misslyckade försök: kontot är tillfälligt låst."},
                status_code=429)
        with state.lock:
            user = U.verify_password(state.connection(), name, password)
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
