"""Comparing districts: the overview of every indicator × district (`/jamfor`), and one metadata page
per indicator (`/indikator/{id}`, the list at `/indikatorer`). Sorting and filtering are GET
parameters and plain links; no JavaScript. Every number comes from the year's release."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request

from ...disclosure.keys import TOTAL
from ..auth import page_user, state_of
from ..errors import Refusal
from ..render import page, shared_page
from ..roles import PAGES
from .pages import check_draft, release_of
from ..state import where

router = APIRouter(include_in_schema=False)
ORDERS = ("stigande", "fallande")
ROW_SORTS = ("stadsdel", "region")
ALL = "alla"
SHORT = {"overview": "Översikt", "placements": "Fråga 1", "stays": "Fråga 2", "shis": "Fråga 3",
         "target_groups": "Målgrupper", "vulnerable": "Sårbara grupper", "trends": "Trender",
         "data_quality": "Datakvalitet"}


def spine_of(st, year: int, draft: bool = False):
    from ..spine import build

    return st.derived("spine", year, lambda: build(release_of(st, year, draft)), draft=draft)


def question_title(q: str) -> str:
    from ...text import t

    return t(f"question.{q}", "sv")


def _sort_key(spine, key: str):
    if key == "stadsdel":
        return lambda r: (0, r.name.casefold())
    if key == "region":
        return lambda r: (0, r.region.casefold(), r.name.casefold())

    def by_value(r):
        c = spine.cell(r.code, key)
        return (1, 0.0) if c.value is None else (0, c.value)
    return by_value


def sorted_rows(spine, region: str, sort: str | None, order: str) -> list:
    """The districts shown (one region's, or all), sorted; empty and suppressed cells last either way;
    the whole city last of all."""
    rows = [r for r in spine.rows if r.code != TOTAL and (not region or r.region == region)]
    if sort:
        key = _sort_key(spine, sort)
        present = [r for r in rows if key(r)[0] == 0]
        absent = [r for r in rows if key(r)[0] != 0]
        rows = sorted(present, key=key, reverse=order == "fallande") + absent
    return rows + [r for r in spine.rows if r.code == TOTAL]


@router.get("/jamfor")
def compare_page(request: Request, year: int | None = Query(None), fraga: str = Query(ALL, max_length=40),
                 region: str = Query("", max_length=80), sortera: str | None = Query(None, max_length=120),
                 ordning: str = Query("stigande", max_length=20), utkast: bool = Query(False),
                 user=Depends(page_user)):
    check_draft(request, user, utkast)
    from ..spine import COMPARISON_SYMBOL, COMPARISON_TEXT

    sortera = sortera or None  # the form's "release order"
    st = state_of(request)
    y = st.year_of(year, draft=utkast)
    rel = release_of(st, y, utkast)
    spine = spine_of(st, y, utkast)
    # The request's own text is never echoed: a fixed sentence names what was wrong.
    if fraga != ALL and fraga not in spine.questions:
        raise Refusal(400, "Okänd fråga. Välj en fråga i listan på sidan.")
    if region and region not in rel.regions:
        raise Refusal(400, "Okänd region. Välj en region i listan på sidan.")
    if sortera is not None and sortera not in ROW_SORTS and spine.column(sortera) is None:
        raise Refusal(400, "Okänd kolumn att sortera efter.")
    if ordning not in ORDERS:
        raise Refusal(400, "Ordningen ska vara stigande eller fallande.")

    def context():
        groups = [(q, question_title(q), [c for c in spine.columns if c.question == q])
                  for q in spine.questions if fraga in (ALL, q)]
        rows = sorted_rows(spine, region, sortera, ordning)
        base = {"year": y, **({"fraga": fraga} if fraga != ALL else {}), **({"region": region} if region else {}),
                **({"utkast": 1} if utkast else {})}

        def sort_link(key: str, order: str) -> str:
            return "/jamfor?" + urlencode({**base, "sortera": key, "ordning": order})

        def filter_link(**change) -> str:
            q = {**base, **({"sortera": sortera, "ordning": ordning} if sortera else {}), **change}
            return "/jamfor?" + urlencode({k: v for k, v in q.items() if v not in ("", None, ALL)})

        return "compare.html", dict(
            title=PAGES["jamfor"][0], page="jamfor", year=y, years=st.data_years() if utkast else st.years(),
            draft=utkast, release_label=rel.label, demodata=bool(rel.provenance.get("synthetic")), spine=spine,
            groups=groups, rows=rows, questions=[(q, question_title(q)) for q in spine.questions], short=SHORT,
            regions=rel.regions, fraga=fraga, region=region, sortera=sortera, ordning=ordning, sort_link=sort_link,
            filter_link=filter_link, sorted_title=_sorted_title(spine, sortera, ordning), symbols=COMPARISON_SYMBOL,
            comparisons=COMPARISON_TEXT)

    if utkast:  # drafts are never cached (analysts and admins only, checked above)
        template, ctx = context()
        response = page(request, user, template, **ctx)
    else:  # only validated parameters reach the key
        response = shared_page(request, user, st.page_key("jamfor", (y, fraga, region, sortera, ordning), user),
                               context)
    st.log(user, "view", where(request), "jamfor" + (" utkast" if utkast else ""), 200)
    return response


def _sorted_title(spine, key: str | None, order: str) -> str:
    if not key:
        return ""
    what = {"stadsdel": "stadsdel", "region": "region"}.get(key) or spine.column(key).title
    return f"Sorterat efter {what}, {order}."


def _catalogue_entry(indicator: str) -> dict:
    from ...indicators.metadata import catalogue_metadata

    entry = next((e for e in catalogue_metadata("sv") if e["id"] == indicator), None)
    if entry is None:
        raise Refusal(404, "Ingen indikator med det namnet.")
    return entry


@router.get("/indikatorer")
def indicators_page(request: Request, year: int | None = Query(None), user=Depends(page_user)):
    from ...indicators.metadata import catalogue_metadata

    st = state_of(request)
    y = st.year_of(year)
    rel = st.follow_up(y)

    def context():
        entries = catalogue_metadata("sv")
        groups = [(q, question_title(q), [e for e in entries if e["question"] == q])
                  for q in dict.fromkeys(e["question"] for e in entries)]
        return "indicators.html", dict(title="Indikatorer", page="indikatorer", year=y, groups=groups,
                                       published=set(rel.publication.tables), release_label=rel.label,
                                       demodata=bool(rel.provenance.get("synthetic")))

    response = shared_page(request, user, st.page_key("indikatorer", (y,), user), context)
    st.log(user, "view", where(request), None, 200)
    return response


@router.get("/indikator/{indicator}")
def indicator_page(request: Request, indicator: str, year: int | None = Query(None), user=Depends(page_user)):
    from ...render.report import provenance_line
    from ..metadata import dimension_words, disclosure_treatment, values_of

    entry = _catalogue_entry(indicator)
    st = state_of(request)
    y = st.year_of(year)
    rel = st.follow_up(y)

    def context():
        tab = rel.publication.tables.get(indicator)
        return "indicator.html", dict(
            title=entry["title"] or indicator, page="indikator", year=y, years=st.years(), entry=entry,
            question=question_title(entry["question"]), treatment=disclosure_treatment(rel, entry, tab),
            provenance=provenance_line(rel), created=str(rel.created)[:10], release_label=rel.label,
            release_id=rel.release_id, demodata=bool(rel.provenance.get("synthetic")),
            values=values_of(rel, tab) if tab else [], table=tab, dimensions=dimension_words(entry["dimensions"]),
            breakdown=bool(tab) and len(tab.dims) > 1)

    # `indicator` is a catalogue id here (checked above), never free text
    response = shared_page(request, user, st.page_key("indikator", (y, indicator), user), context)
    st.log(user, "view", where(request), indicator, 200)
    return response
