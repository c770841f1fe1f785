"""Templates and the page frame: the menu for the user's role and the session's CSRF token."""

from __future__ import annotations

from pathlib import Path

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from .pagecache import CSRF_MARK, anonymous, personalise
from .roles import nav

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=HERE / "templates")


def page(request: Request, user, template: str, status: int = 200, **ctx):
    session = getattr(request.state, "session", None)
    return templates.TemplateResponse(request, template, {"user": user, "pages": nav(user) if user else [],
                                                          "csrf": session.csrf if session else "", **ctx},
                                      status_code=status)


def shared_page(request: Request, user, key: tuple, build_context) -> HTMLResponse:
    """A published page, rendered once per `key` (State.page_key: releases, route, parameters, role,
    district) and personalised per request with this session's CSRF token and user name.
    `build_context()` returns (template, context) and runs only when the page is not cached."""
    from .auth import state_of

    def render() -> str:
        template, ctx = build_context()
        shown = anonymous(user)
        return templates.get_template(template).render({"request": request, "user": shown, "pages": nav(shown),
                                                        "csrf": CSRF_MARK, **ctx})

    return _personalised(request, user, state_of(request).pages.get(key, render))


def cached_page(request: Request, user, key: tuple) -> HTMLResponse | None:
    """`shared_page` when the page is already rendered (personalised the same way); None otherwise. It
    builds nothing, so it may run on the event loop."""
    from .auth import state_of

    html = state_of(request).pages.peek(key)
    return None if html is None else _personalised(request, user, html)


def _personalised(request: Request, user, html: str) -> HTMLResponse:
    session = getattr(request.state, "session", None)
    return HTMLResponse(personalise(html, user, session.csrf if session else ""))


def error_page(status: int, text: str, headers: dict | None = None) -> HTMLResponse:
    return HTMLResponse(templates.get_template("error.html").render(status=status, detail=text, user=None, pages=[]),
                        status_code=status, headers=headers)
