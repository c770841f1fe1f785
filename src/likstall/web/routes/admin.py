"""Admins: the access log, and the users with their tokens and sessions (a user's sessions can be ended)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse

from ..auth import check_csrf, role_user, state_of
from ..errors import Refusal
from ..render import page
from ..roles import ADMINS

router = APIRouter(include_in_schema=False)
admin = role_user(*ADMINS)


@router.get("/logg")
def access_log(request: Request, user=Depends(admin)):
    st = state_of(request)
    rows = st.access.recent()
    st.log(user, "view", "/logg", None, 200)
    return page(request, user, "log.html", title="Åtkomstlogg", page="logg", rows=rows)


@router.get("/anvandare")
def users_page(request: Request, user=Depends(admin)):
    st = state_of(request)
    directory = st.directory()
    sessions = st.sessions.per_user()
    accounts = sorted(directory.accounts.values(), key=lambda a: a.user.username)
    tokens = sorted(directory.tokens.values(), key=lambda t: (t.username, str(t.created)))
    st.log(user, "view", "/anvandare", None, 200)
    return page(request, user, "users.html", title="Användare", page="anvandare", accounts=accounts, tokens=tokens,
                sessions=sessions)


@router.post("/anvandare/{username}/logga-ut")
def end_user_sessions(request: Request, username: str, csrf: str = Form(""), user=Depends(admin)):
    check_csrf(request, csrf)
    st = state_of(request)
    if username not in st.directory().accounts:
        raise Refusal(404, "Ingen sådan användare.")
    for staged in st.sessions.end_user(username):
        st.staging.remove(staged)
    st.log(user, "end_sessions", "/anvandare", username, 303)
    return RedirectResponse("/anvandare", status_code=303)
