"""The published follow-up as pages: the report's sections and one page per district, for every role."""

from __future__ import annotations

from copy import copy

from fastapi import APIRouter, Depends, Query, Request
from starlette.concurrency import run_in_threadpool

from ...disclosure.keys import TOTAL
from ..auth import page_user_async, state_of
from ..errors import Refusal
from ..render import cached_page, page, shared_page
from ..roles import PAGES
from ..state import where

router = APIRouter(include_in_schema=False)
SECTION_OF = {"oversikt": "oversikt", "placeringar": "likstallighet", "vistelsetid": "vistelsetid", "shis": "shis",
              "malgrupper": "malgrupper", "sarbara": "sarbara", "trender": "trender", "datakvalitet": "datakvalitet"}


DRAFT_ROLES = ("admin", "analytiker")


def release_of(st, year: int, draft: bool = False):
    return st.draft(year) if draft else st.follow_up(year)


def views_of(st, year: int, draft: bool = False) -> list:
    from ...render.views import all_views

    return st.derived("views", year, lambda: all_views(release_of(st, year, draft)), draft=draft)


def sections_of(st, year: int, draft: bool = False) -> dict:
    from ...render.report import sections

    def build():
        return {s.id: s for s in sections(release_of(st, year, draft), {v.name: v for v in views_of(st, year, draft)})}

    return st.derived("sections", year, build, draft=draft)


def warm(st) -> None:
    """Build every published year's release, views, sections and comparison once, before the first
    visitor asks (a server process started under load would otherwise build them while requests queue)."""
    from . import api
    from .compare import spine_of

    try:
        for y in st.years():
            views_of(st, y)
            sections_of(st, y)
            spine_of(st, y)
            api.warm(st, y)
    except Exception:  # noqa: BLE001 — the first request builds it again and says what went wrong
        pass


def check_draft(request: Request, user, draft: bool) -> None:
    """Drafts are internal: analysts and admins only; readers and districts see releases. A refusal is
    logged, as the role check's are."""
    if draft and user.role not in DRAFT_ROLES:
        state_of(request).log(user, "denied", where(request), "utkast", 403)
        raise Refusal(403, "Utkast visas bara för analytiker och administratörer.")


def section_page(request: Request, name: str, year: int | None, user, draft: bool = False):
    check_draft(request, user, draft)
    st = state_of(request)
    y = st.year_of(year, draft=draft)

    def context():
        fu = release_of(st, y, draft)
        secs = sections_of(st, y, draft)
        sec = secs[SECTION_OF[name]]
        paragraphs, findings, subsections = list(sec.paragraphs), None, []
        if name == "oversikt":
            paragraphs = secs["svaren"].paragraphs + paragraphs
            subsections = secs["svaren"].subsections
            findings = [f.text_sv for f in fu.findings]
        return "page.html", dict(title=PAGES[name][0], page=name, year=y,
                                 years=st.data_years() if draft else st.years(), paragraphs=paragraphs,
                                 views=sec.views, figures=sec.figures, findings=findings, subsections=subsections,
                                 draft=draft, release_label=fu.label, demodata=bool(fu.provenance.get("synthetic")))

    if draft:  # drafts are never cached (analysts and admins only, checked above)
        template, ctx = context()
        response = page(request, user, template, **ctx)
    else:
        response = shared_page(request, user, st.page_key(name, (y,), user), context)
    st.log(user, "view", where(request), name + (" utkast" if draft else ""), 200)
    return response


async def section_page_async(request: Request, name: str, year: int | None, user, draft: bool = False):
    """`section_page`, answered on the event loop when the page is already rendered (most requests: a
    release never changes); built on a worker thread otherwise. Same page, same log entry."""
    if not draft:
        st = state_of(request)
        y = st.year_of(year)
        response = cached_page(request, user, st.page_key(name, (y,), user))
        if response is not None:
            st.log(user, "view", where(request), name, 200)
            return response
    return await run_in_threadpool(section_page, request, name, year, user, draft)


@router.get("/")
async def home(request: Request, year: int | None = Query(None), utkast: bool = Query(False),
               user=Depends(page_user_async)):
    return await section_page_async(request, "oversikt", year, user, utkast)


def _section_route(name: str):
    async def handler(request: Request, year: int | None = Query(None), utkast: bool = Query(False),
                      user=Depends(page_user_async)):
        return await section_page_async(request, name, year, user, utkast)
    return handler


for _name in SECTION_OF:
    router.add_api_route(f"/{_name}", _section_route(_name), methods=["GET"], name=f"page_{_name}")


@router.get("/stadsdel/{code}")
async def district_page_async(request: Request, code: str, year: int | None = Query(None),
                              user=Depends(page_user_async)):
    """`district_page` on the event loop when the page is already rendered (it is cached only for a
    district of the release), else on a worker thread."""
    st = state_of(request)
    response = cached_page(request, user, st.page_key("stadsdel", (st.year_of(year), code), user))
    if response is not None:
        st.log(user, "view", where(request), code, 200)
        return response
    return await run_in_threadpool(district_page, request, code, year, user)


def district_page(request: Request, code: str, year: int | None, user):
    """One district beside the whole city: its rows of every table. Released numbers are public, so
    every role sees every district."""
    st = state_of(request)
    y = st.year_of(year)
    fu = st.follow_up(y)
    if code not in fu.codes:
        raise Refusal(404, "Ingen sådan stadsdel.")

    def context():
        views = []
        for v in views_of(st, y):
            if not v.row_keys or code not in v.row_keys:
                continue
            keep = [i for i, k in enumerate(v.row_keys) if k in (code, TOTAL)]
            nv = copy(v)
            nv.rows, nv.row_keys = [v.rows[i] for i in keep], [v.row_keys[i] for i in keep]
            views.append(nv)
        from ..history import district_lines
        from ..spine import COMPARISON_SYMBOL
        from .compare import question_title, spine_of

        years = [x for x in st.years() if x <= y]
        spines = [spine_of(st, x) for x in years]
        lines = district_lines(spines, code)
        groups = [(q, question_title(q), [ln for ln in lines if ln.column.question == q])
                  for q in spines[-1].questions]
        return "page.html", dict(
            title=fu.name(code), page="stadsdel", year=y, years=st.years(),
            paragraphs=[f"{fu.name(code)} jämfört med hela staden, {y}."], views=views, figures=[],
            findings=[f.text_sv for f in fu.findings if f.district == code], release_label=fu.label,
            demodata=bool(fu.provenance.get("synthetic")), history={
                "years": years, "groups": groups, "previous": years[-2] if len(years) > 1 else None,
                "labels": [s.release_label for s in spines], "symbols": COMPARISON_SYMBOL})

    response = shared_page(request, user, st.page_key("stadsdel", (y, code), user), context)
    st.log(user, "view", where(request), code, 200)
    return response
