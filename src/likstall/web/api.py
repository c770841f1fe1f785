"""JSON API under /api/v1: the long-format published cells (as tables.csv) and the findings, scoped by role."""

from __future__ import annotations

from fastapi import Depends, HTTPException, Query, Request
from fastapi.responses import JSONResponse

from ..render.tables_csv import cell_row
from .scoping import api_row_visible


def register_api(app, state, api_user):
    year_of = state.year_of

    @app.get("/api/v1/tables", tags=["publicering"], summary="Publicerade celler i lång form (som tables.csv)")
    def tables(request: Request, year: int | None = Query(None), table: str | None = Query(None),
               district: str | None = Query(None), user=Depends(api_user)):
        y = year_of(year)
        fu = state.follow_up(y)
        pub = fu.publication
        if table is not None and table not in pub.tables:
            # The request's own text is not echoed (it may carry anything); the valid names are.
            raise HTTPException(404, "Ingen tabell med det namnet. Tabeller: " + ", ".join(sorted(pub.tables)))
        if district is not None and user.role == "stadsdel" and district not in (user.district, "total"):
            state.log(user, "api", request.url.path, district, 403)
            raise HTTPException(403, "Du ser bara din egen stadsdel i detalj")
        rows = []
        for t in pub.tables.values():
            if table and t.name != table:
                continue
            for c in t.cells:
                row = cell_row(pub, t, c)
                if district and row["district"] != district:
                    continue
                if not api_row_visible(user, row):
                    continue
                row = {k: (None if v == "" else v) for k, v in row.items()}
                for k in ("value", "ci_low", "ci_high"):
                    if row[k] is not None:
                        row[k] = float(row[k])
                rows.append(row)
        state.log(user, "api", request.url.path, table, 200)
        return {"year": y, "rows": rows}

    @app.get("/api/v1/findings", tags=["publicering"], summary="Fynd (högre/lägre än förväntat), bara från publicerade celler")
    def findings(request: Request, year: int | None = Query(None), user=Depends(api_user)):
        y = year_of(year)
        fu = state.follow_up(y)
        out = [{"district": f.district, "indicator": f.indicator, "direction": f.direction, "estimate": _n(f.estimate),
                "ci_low": _n(f.ci_low), "ci_high": _n(f.ci_high), "q_value": _n(f.q_value), "text": f.text_sv}
               for f in fu.findings if user.role != "stadsdel" or f.district == user.district]
        state.log(user, "api", request.url.path, None, 200)
        return {"year": y, "findings": out}

    @app.get("/api/v1/openapi.json", include_in_schema=False)
    def openapi(user=Depends(api_user)):
        return JSONResponse(app.openapi())


def _n(x):
    import math

    return None if x is None or (isinstance(x, float) and math.isnan(x)) else float(x)
