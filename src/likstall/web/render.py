"""Templates and the page frame: the menu for the user's role and the session's CSRF token."""

from __future__ import annotations

from pathlib import Path

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from .roles import nav

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=HERE / "templates")


def page(request: Request, user, template: str, status: int = 200, **ctx):
    session = getattr(request.state, "session", None)
    return templates.TemplateResponse(request, template, {"user": user, "pages": nav(user) if user else [],
                                                          "csrf": session.csrf if session else "", **ctx},
                                      status_code=status)


def error_page(status: int, text: str, headers: dict | None = None) -> HTMLResponse:
    return HTMLResponse(templates.get_template("error.html").render(status=status, detail=text, user=None, pages=[]),
                        status_code=status, headers=headers)
