"""Who is asking: the session cookie or an API token, resolved on every request; CSRF tokens.

Dependencies for the routers: `page_user` (pages: 303 to the login page), `api_user` (API: 401),
`role_user(...)` (403 for other roles). A session whose user has been disabled or removed ends on
its next request; tokens are checked against the directory on every call.
"""

from __future__ import annotations

import hashlib
import hmac

from fastapi import Depends, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from .checks import BUSY
from .errors import Refusal
from .state import State, where
from .users import NOT_CACHED, User, verify_token

SESSION_COOKIE = "likstall_session"
LOGIN_COOKIE = "likstall_login"
BUSY_TEXT = "Många inloggningar just nu; försök igen om en stund."


def state_of(request: Request) -> State:
    return request.app.state.likstall


def cookie_name(request: Request, base: str) -> str:
    # Behind TLS the __Host- prefix makes the browser refuse the cookie from anything but this host over HTTPS.
    return f"__Host-{base}" if state_of(request).settings.https_only else base


def set_cookie(response: Response, request: Request, base: str, value: str, max_age: int | None = None) -> None:
    response.set_cookie(cookie_name(request, base), value, max_age=max_age, path="/", httponly=True,
                        samesite="strict", secure=state_of(request).settings.https_only)


def drop_cookie(response: Response, request: Request, base: str) -> None:
    response.delete_cookie(cookie_name(request, base), path="/", httponly=True, samesite="strict",
                           secure=state_of(request).settings.https_only)


def client_of(request: Request) -> str:
    """The client's address, for throttling only (it is never logged)."""
    return request.client.host if request.client else "?"


def current_session(request: Request):
    if getattr(request.state, "session_checked", False):
        return request.state.session
    st = state_of(request)
    st.sweep()
    session, expired = st.sessions.get(request.cookies.get(cookie_name(request, SESSION_COOKIE)))
    st.staging.remove(expired)
    request.state.session, request.state.session_checked = session, True
    return session


def end_session(request: Request) -> None:
    """End this request's session now, with its staged import."""
    st = state_of(request)
    session = current_session(request)
    if session is not None:
        st.staging.remove(st.sessions.end(session))
    request.state.session = None


def current_user(request: Request, *, cached_only: bool = False) -> User | None | object:
    """The user of the request's API token or session. `cached_only`: NOT_CACHED where a token would need
    its argon2 check (see `page_user_async`)."""
    st = state_of(request)
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        user = verify_token(st.directory(), auth[7:].strip(), run=st.checks.run_sync, cached_only=cached_only)
        if user is BUSY:
            raise Refusal(503, BUSY_TEXT, headers={"Retry-After": "2"})
        return user
    session = current_session(request)
    if session is None:
        return None
    user = st.directory().user(session.username)
    if user is None:  # disabled or removed since the login
        end_session(request)
    return user


def page_user(request: Request) -> User:
    user = current_user(request)
    if user is None:
        raise Refusal(303, "Inloggning krävs.", headers={"Location": "/login"})
    return user


def api_user(request: Request) -> User:
    user = current_user(request)
    if user is None:
        raise Refusal(401, "Inloggning krävs.", headers={"WWW-Authenticate": "Bearer"})
    return user


async def _on_loop(request: Request, dependency) -> User:
    """`dependency` (page_user or api_user) on the event loop when it needs no argon2 check (a session, or an
    API token checked in the last minutes): a read of the side file, under a millisecond. Else on a worker
    thread, as FastAPI runs a plain dependency. The hot routes use these: a hop to the thread pool and back
    per dependency cost more than the look-up itself under load (docs/performance.md §7)."""
    user = current_user(request, cached_only=True)
    if user is NOT_CACHED:
        return await run_in_threadpool(dependency, request)
    if user is None:
        return dependency(request)  # raises the same refusal (303 or 401)
    return user


async def page_user_async(request: Request) -> User:
    return await _on_loop(request, page_user)


async def api_user_async(request: Request) -> User:
    return await _on_loop(request, api_user)


def role_user(*roles: str, api: bool = False):
    """A dependency: the user, if its role is one of `roles`; 403 otherwise (and logged)."""
    def dependency(request: Request, user: User = Depends(api_user if api else page_user)) -> User:
        if user.role not in roles:
            state_of(request).log(user, "denied", where(request), None, 403)
            raise Refusal(403, "Din roll får inte se den här sidan.")
        return user
    return dependency


def check_csrf(request: Request, token: str) -> None:
    session = current_session(request)
    if session is None or not token or not hmac.compare_digest(session.csrf, token):
        raise Refusal(403, "Formuläret saknar en giltig kontrollkod (CSRF). Ladda om sidan och försök igen.")


def login_token(request: Request, nonce: str) -> str:
    """The login form's CSRF token: bound to a random cookie by the server's key (before any session)."""
    return hmac.new(request.app.state.login_key, nonce.encode(), hashlib.sha256).hexdigest()
