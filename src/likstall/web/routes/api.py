"""JSON API under /api/v1: the long-format published cells (as tables.csv) and the findings.

Released numbers are public, so every role gets every district's rows; `district=` only filters.
"""

from __future__ import annotations

import gzip
import json
import math

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from ..auth import api_user, api_user_async, state_of
from ...disclosure.keys import TOTAL
from ..errors import Refusal
from ..state import where

router = APIRouter(prefix="/api/v1")
NO_DISTRICT = "\x00none"  # matches no row


def _encode(value) -> tuple[bytes, bytes]:
    body = json.dumps(value, ensure_ascii=False, allow_nan=False, indent=None, separators=(",", ":")).encode()
    return body, gzip.compress(body, 6, mtime=0)


def encoded(request: Request, st, key: tuple, build) -> Response:
    """A published answer as JSON, encoded once per key (State.page_key: the releases, the route and its
    checked parameters) — the same bytes FastAPI's JSONResponse would write — and gzipped once when the
    client accepts it. Compressing is safe here: an answer holds published numbers only, no session
    secret and nothing the request chose (BREACH needs both)."""
    return _respond(request, *st.pages.get(key, lambda: _encode(build())))


def _respond(request: Request, plain: bytes, zipped: bytes) -> Response:
    if "gzip" in request.headers.get("accept-encoding", "").lower() and len(zipped) < len(plain):
        return Response(zipped, media_type="application/json",
                        headers={"Content-Encoding": "gzip", "Vary": "Accept-Encoding"})
    return Response(plain, media_type="application/json", headers={"Vary": "Accept-Encoding"})


@router.get("/releases", tags=["publicering"], summary="Alla releaser (år, version, tid)")
def releases(request: Request, user=Depends(api_user)):
    st = state_of(request)
    out = []
    for y in st.years():
        rel = st.follow_up(y)
        out.append({"release_id": rel.release_id, "year": rel.year, "version": rel.version,
                    "created": str(rel.created)})
    st.log(user, "api", where(request), None, 200)
    return {"releases": out}


@router.get("/structure", tags=["publicering"], summary="Tabellernas struktur: grupper och finaste kategorier")
def structure(request: Request, year: int | None = Query(None), user=Depends(api_user)):
    """What a reader needs to add the tables up: regions, spans of years, groups of days, categories."""
    st = state_of(request)
    rel = st.follow_up(st.year_of(year))
    st.log(user, "api", where(request), None, 200)
    return {"year": rel.year, "release_id": rel.release_id, **rel.content["dimensions"]}


@router.get("/indicators", tags=["publicering"], summary="Indikatorkatalogen: definition, täljare, nämnare, metod")
def indicators(request: Request, user=Depends(api_user)):
    from ...indicators.metadata import catalogue_metadata

    st = state_of(request)
    st.log(user, "api", where(request), None, 200)
    return {"indicators": catalogue_metadata("sv")}


def cached_answer(request: Request, st, key: tuple) -> Response | None:
    """`encoded` when the answer is already encoded; None otherwise (nothing is built: event loop)."""
    hit = st.pages.peek(key)
    return None if hit is None else _respond(request, *hit)


@router.get("/tables", tags=["publicering"], summary="Publicerade celler i lång form (som tables.csv)")
async def tables_async(request: Request, year: int | None = Query(None), table: str | None = Query(None),
                       district: str | None = Query(None), user=Depends(api_user_async)):
    # On the event loop when the answer is encoded already: its key holds only checked values, so a
    # table or district this release does not have never hits and goes the long way (404, or no rows).
    st = state_of(request)
    y = st.year_of(year)
    released = st.follow_up_if_loaded(y)
    if released is not None and (table is None or table in released.publication.tables):
        response = cached_answer(request, st, st.page_key("api/tables", (y, table, _wanted(released, district))))
        if response is not None:
            st.log(user, "api", where(request), table, 200)
            return response
    return await run_in_threadpool(tables, request, year, table, district, user)


def tables(request: Request, year: int | None, table: str | None, district: str | None, user):
    st = state_of(request)
    y = st.year_of(year)
    rel = st.follow_up(y)
    pub = rel.publication
    if table is not None and table not in pub.tables:
        # The request's own text is not echoed (it may carry anything); the valid names are.
        raise Refusal(404, "Ingen tabell med det namnet. Tabeller: " + ", ".join(sorted(pub.tables)))
    want = _wanted(rel, district)

    def build():
        return tables_answer(rel, y, table, want)

    response = encoded(request, st, st.page_key("api/tables", (y, table, want)), build)
    st.log(user, "api", where(request, district_known=want not in (None, NO_DISTRICT)), table, 200)
    return response


@router.get("/findings", tags=["publicering"], summary="Fynd (högre/lägre än förväntat), bara från publicerade celler")
async def findings_async(request: Request, year: int | None = Query(None), user=Depends(api_user_async)):
    st = state_of(request)
    response = cached_answer(request, st, st.page_key("api/findings", (st.year_of(year),)))
    if response is not None:
        st.log(user, "api", where(request), None, 200)
        return response
    return await run_in_threadpool(findings, request, year, user)


def findings(request: Request, year: int | None, user):
    st = state_of(request)
    y = st.year_of(year)

    def build():
        return findings_answer(st.follow_up(y), y)

    response = encoded(request, st, st.page_key("api/findings", (y,)), build)
    st.log(user, "api", where(request), None, 200)
    return response


def _wanted(rel, district: str | None) -> str | None:
    """The district filter as it enters the cache key: rows carry a district code or TOTAL, and any other
    text filters every row out (as before) without ever entering the key."""
    return None if not district else district if district in (*rel.codes, TOTAL) else NO_DISTRICT


def tables_answer(rel, year: int, table: str | None, want: str | None) -> dict:
    from ...render.tables_csv import cell_row

    pub = rel.publication
    rows = []
    for t in pub.tables.values():
        if table and t.name != table:
            continue
        for c in t.cells:
            row = cell_row(pub, t, c)
            if want is not None and row["district"] != want:
                continue
            row = {k: (None if v == "" else v) for k, v in row.items()}
            for k in ("value", "ci_low", "ci_high"):
                if row[k] is not None:
                    row[k] = float(row[k])
            rows.append(row)
    return {"year": year, "release_id": rel.release_id, "provenance": _provenance(rel), "rows": rows}


def findings_answer(rel, year: int) -> dict:
    out = [{"district": f.district, "indicator": f.indicator, "question": f.question, "direction": f.direction,
            "estimate": _n(f.estimate), "ci_low": _n(f.ci_low), "ci_high": _n(f.ci_high),
            "q_value": _n(f.q_value), "text": f.text_sv, "text_en": f.text_en}
           for f in rel.findings]
    return {"year": year, "release_id": rel.release_id, "provenance": _provenance(rel), "findings": out}


def warm(st, year: int) -> None:
    """Encode the year's whole-table and findings answers (`encoded`'s keys) before anyone asks."""
    rel = st.follow_up(year)
    for key, build in ((st.page_key("api/tables", (year, None, None)), lambda: tables_answer(rel, year, None, None)),
                       (st.page_key("api/findings", (year,)), lambda: findings_answer(rel, year))):
        st.pages.get(key, lambda b=build: _encode(b()))


@router.get("/openapi.json", include_in_schema=False)
def openapi(request: Request, user=Depends(api_user)):
    state_of(request).log(user, "api", where(request), None, 200)
    return JSONResponse(request.app.openapi())


def _provenance(rel) -> dict:
    """What the numbers are, as the report's provenance line says it: the same words, and the parts as fields."""
    from ... import __version__
    from ...render.report import provenance_lines

    return {"text": list(provenance_lines(rel)), "synthetic": bool(rel.provenance.get("synthetic")),
            "extract_date": rel.provenance.get("extract_date"), "release_id": rel.release_id,
            "created": str(rel.created), "likstall": rel.content.get("likstall", __version__),
            "threshold": rel.publication.policy.threshold}


def _n(x):
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else float(x)
