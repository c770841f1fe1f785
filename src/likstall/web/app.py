"""The dashboard (server-rendered Jinja2 pages) and the JSON API, over the same follow-up and gate as
the report. `create_app` wires the parts; each area's routes live in `web/routes/`.

Security in one paragraph (docs/security.md has the threat model): every route but /login and
/static needs a server-side session or an API token; logins are throttled by increasing delays
and checked with argon2 on threads of their own; every form carries a CSRF token; bodies are
capped before they are read; errors never repeat the input; headers forbid framing, inline
scripts and referrers; behind TLS, cookies are Secure and HSTS is sent; only known host names
are answered. Roles: docs/web.md and `web/roles.py`.
"""

from __future__ import annotations

import json
import secrets
import threading
from contextlib import asynccontextmanager
from dataclasses import fields, replace
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.middleware.trustedhost import TrustedHostMiddleware

from .errors import BY_STATUS, text_of
from .render import HERE, error_page
from .roles import PAGES  # noqa: F401 (re-exported for tests)
from .routes import admin, api, auth, compare, imports, pages, quality, reports, tables
from .settings import LoginPolicy, Settings
from .state import State

CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; object-src 'none'; "
       "frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
MAX_FORM = 64 * 1024  # every body but an upload's


class SecurityHeaders:
    """A pure ASGI middleware (it does not buffer responses, so files still stream)."""

    def __init__(self, app, hsts: bool):
        self.app, self.hsts = app, hsts

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                h = MutableHeaders(scope=message)
                h["Content-Security-Policy"] = CSP
                h["Referrer-Policy"] = "no-referrer"
                h["X-Content-Type-Options"] = "nosniff"
                h["X-Frame-Options"] = "DENY"
                h["Cache-Control"] = "no-store"
                if self.hsts:
                    h["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
            await send(message)

        await self.app(scope, receive, send_with_headers)


def settings_from(https_only: bool, allowed_hosts, login_delay: float | None, login: LoginPolicy | None,
                  options: dict) -> Settings:
    known = {f.name for f in fields(Settings)}
    unknown = set(options) - known
    if unknown:
        raise TypeError(f"create_app: unknown options {sorted(unknown)}")
    policy = login or LoginPolicy()
    if login_delay is not None:
        policy = replace(policy, delay=login_delay)
    hosts = tuple(allowed_hosts) if allowed_hosts else Settings.allowed_hosts
    return Settings(https_only=https_only, allowed_hosts=hosts, login=policy, **options)


def create_app(db: str | Path, *, https_only: bool = False, allowed_hosts=None, login_delay: float | None = None,
               login: LoginPolicy | None = None, session_secret: str | None = None, workers: int = 1,
               warm: bool = False, **options) -> FastAPI:
    """The web app over the store `db`. `https_only` (behind TLS): Secure cookies and HSTS;
    `allowed_hosts`: the host names answered; other keyword arguments set `Settings` fields
    (session_idle, max_file, password_checks, ...); `login_delay` the base delay of `LoginPolicy`.
    `workers` > 1: one of that many server processes (`serve_processes`) — the login throttle is
    shared through the side file, the folders are not emptied here (the parent did it), and
    `session_secret` must be the same in all of them. `warm`: build the published years' pages' parts
    on a thread at start-up (`likstall serve`), not at the first visit."""
    settings = settings_from(https_only, allowed_hosts, login_delay, login, options)
    state = State(Path(db), settings, shared=workers > 1)

    @asynccontextmanager
    async def lifespan(_app):
        if warm:
            threading.Thread(target=pages.warm, args=(state,), name="likstall-warm", daemon=True).start()
        yield

    app = FastAPI(title="likstall API", version="1", docs_url=None, redoc_url=None, openapi_url=None,
                  redirect_slashes=False, max_body_size=MAX_FORM, lifespan=lifespan)
    app.state.likstall = state
    app.state.login_key = (session_secret or secrets.token_hex(32)).encode()
    app.add_middleware(SecurityHeaders, hsts=https_only)
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=list(settings.allowed_hosts))
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    for area in (auth, pages, compare, reports, tables, imports, quality, admin, api):
        app.include_router(area.router)
    add_error_handlers(app)
    return app


def add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException):
        if exc.status_code == 303:
            return RedirectResponse(exc.headers["Location"], status_code=303)  # always a path, never a host
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": text_of(exc)}, status_code=exc.status_code, headers=exc.headers)
        return error_page(exc.status_code, text_of(exc), headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError):
        # FastAPI's default answer echoes the offending input; a query string may carry anything,
        # a personnummer too. Say where and what, never the value.
        errors = [{"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
                  for e in exc.errors()]
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": errors}, status_code=422)
        names = ", ".join(str(e["loc"][-1]) for e in errors if e["loc"])
        return error_page(422, f"Ogiltigt värde för {names}." if names else BY_STATUS[422])


# ---- several server processes --------------------------------------------------------------------
SERVE_ENV = "LIKSTALL_SERVE"  # what `likstall serve --workers N` passes to its processes (no secret)
LOGIN_KEY_ENV = "LIKSTALL_LOGIN_KEY"  # the login form's key, the same in every process; taken out of the environment


def serve_processes(db: Path, *, host: str, port: int, workers: int, https_only: bool = False,
                    allowed_hosts=None) -> None:
    """Run the app in `workers` uvicorn processes on one socket. Each opens the store read-only when it
    reads it and keeps its own caches; sessions, the access log and the login throttle are in the
    shared side file (SQLite, WAL; each write locks it for a moment). The staging and report folders
    are emptied here, once, before the processes start."""
    import os

    import uvicorn

    from .downloads import reset_reports_root
    from .sidedb import SideDB, side_path
    from .staging import Staging

    db = Path(db)
    Staging(db).clear()
    reset_reports_root(db)
    SideDB(side_path(db)).close()  # created (0600) before several processes race to make it
    os.environ[SERVE_ENV] = json.dumps({"db": str(db), "https_only": https_only,
                                        "allowed_hosts": list(allowed_hosts) if allowed_hosts else None,
                                        "workers": workers})
    os.environ[LOGIN_KEY_ENV] = secrets.token_hex(32)
    from .serving import NoDelayH11Protocol

    uvicorn.run("likstall.web.app:app_from_environment", factory=True, host=host, port=port, workers=workers,
                http=NoDelayH11Protocol, log_level="warning", access_log=False)


def app_from_environment() -> FastAPI:
    """One of `serve_processes`' apps (uvicorn calls this in each process)."""
    import os

    cfg = json.loads(os.environ[SERVE_ENV])
    key = os.environ.pop(LOGIN_KEY_ENV)
    workers = int(cfg["workers"])
    # argon2 checks are per process: together no more than one process alone would run.
    checks = max(1, Settings.password_checks // workers)
    return create_app(cfg["db"], https_only=cfg["https_only"], allowed_hosts=cfg["allowed_hosts"],
                      session_secret=key, workers=workers, password_checks=checks, warm=True)
