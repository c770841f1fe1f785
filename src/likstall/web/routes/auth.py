"""Login and logout (ASVS V2.2, V3): throttled, argon2 off the event loop, a new session id per login."""

from __future__ import annotations

import hmac
import math
import secrets

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool

from ..auth import (BUSY_TEXT, LOGIN_COOKIE, SESSION_COOKIE, check_csrf, client_of, cookie_name, drop_cookie,
                    end_session, login_token, page_user, set_cookie, state_of)
from ..checks import BUSY
from ..errors import Refusal
from ..render import templates
from ..throttle import Reservation
from ..users import check_password, loggable_name

router = APIRouter(include_in_schema=False)
WRONG = "Fel användarnamn eller lösenord."
EXPIRED_FORM = "Inloggningsformuläret har gått ut. Ladda om sidan och försök igen."


def _form(request: Request, nonce: str, error: str | None = None, status: int = 200, headers: dict | None = None):
    # The text shown is always one of ours: nothing from the query string (no `?fel=`) reaches the page.
    response = templates.TemplateResponse(request, "login.html", {"csrf": login_token(request, nonce), "error": error,
                                                                  "user": None, "pages": []},
                                          status_code=status, headers=headers)
    set_cookie(response, request, LOGIN_COOKIE, nonce, max_age=3600)
    return response


def _nonce(request: Request) -> str:
    nonce = request.cookies.get(cookie_name(request, LOGIN_COOKIE), "")
    return nonce if 20 <= len(nonce) <= 64 and nonce.replace("-", "").replace("_", "").isalnum() else ""


@router.get("/login")
def login_form(request: Request):
    return _form(request, _nonce(request) or secrets.token_urlsafe(24))


@router.post("/login")
async def login(request: Request, username: str = Form(""), password: str = Form(""), csrf: str = Form("")):
    st = state_of(request)
    nonce = _nonce(request)
    if not nonce or not hmac.compare_digest(login_token(request, nonce), csrf):
        raise Refusal(403, EXPIRED_FORM)
    name = username.strip().lower()[:100]
    shown = loggable_name(name)
    reservation = st.throttle.reserve(name, client_of(request))
    if not isinstance(reservation, Reservation):
        wait = max(1, math.ceil(reservation))
        await run_in_threadpool(st.log, None, "login_throttled", "/login", shown, 429)
        return _form(request, nonce, f"För många misslyckade försök. Vänta {wait} sekunder och försök igen.", 429,
                     {"Retry-After": str(wait)})
    directory = await run_in_threadpool(st.directory)
    stored, user = directory.login_hash(name)
    ok = await st.checks.run(check_password, stored, password)  # known or not: one argon2 check
    if ok is BUSY:
        st.throttle.not_checked(reservation)
        await run_in_threadpool(st.log, None, "login_busy", "/login", shown, 503)
        return _form(request, nonce, BUSY_TEXT, 503, {"Retry-After": "2"})
    if not ok or user is None:
        await run_in_threadpool(st.log, None, "login_failed", "/login", shown, 401)
        return _form(request, nonce, WRONG, 401)
    st.throttle.succeeded(reservation)
    return await run_in_threadpool(_start_session, request, user)


def _start_session(request: Request, user):
    st = state_of(request)
    end_session(request)  # whatever session this browser had ends; the new one gets a new id
    session_id, _ = st.sessions.new(user.username)
    response = RedirectResponse("/", status_code=303)
    set_cookie(response, request, SESSION_COOKIE, session_id)
    drop_cookie(response, request, LOGIN_COOKIE)
    st.log(user, "login", "/login", None, 303)
    return response


@router.post("/logout")
def logout(request: Request, csrf: str = Form(""), user=Depends(page_user)):
    check_csrf(request, csrf)
    end_session(request)
    response = RedirectResponse("/login", status_code=303)
    drop_cookie(response, request, SESSION_COOKIE)
    state_of(request).log(user, "logout", "/logout", None, 303)
    return response
