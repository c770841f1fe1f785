"""Server-rendered pages: the report's sections, scoped to the user's role, plus reports, import and the log."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from fastapi import Depends, File, Form, HTTPException, Query, Request, UploadFile
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse

from ..disclosure.cells import TOTAL
from ..render.report import FORMATS, sections, write_report
from ..render.views import all_views
from .scoping import scope_view

SECTION_OF = {"oversikt": "oversikt", "placeringar": "likstallighet", "vistelsetid": "vistelsetid", "shis": "shis",
              "malgrupper": "malgrupper", "sarbara": "sarbara", "trender": "trender", "datakvalitet": "datakvalitet"}
PER_DISTRICT_FIGURES = {"oversikt", "likstallighet"}  # tile map and funnel show every district
MAX_UPLOAD = 50 * 1024 * 1024
UPLOAD_TYPES = {".csv", ".tsv", ".xlsx", ".parquet"}


def register_pages(app, state, templates, page_user, csrf_token, check_csrf, allowed):
    from .app import PAGES

    year_of = state.year_of

    def section_cache(fu):
        key = ("sections", fu.year, id(fu))
        if key not in state.cache:
            views = {v.name: v for v in all_views(fu)}
            state.cache[key] = {s.id: s for s in sections(fu, views)}
        return state.cache[key]

    def nav(user):
        return [(p, title) for p, (title, roles) in PAGES.items() if user.role in roles]

    def render(request, user, template, status=200, **ctx):
        return templates.TemplateResponse(request, template, {"user": user, "pages": nav(user),
                                                              "csrf": csrf_token(request), **ctx}, status_code=status)

    def section_page(request: Request, page: str, year: int | None, user):
        if not allowed(user, page):
            state.log(user, "view", request.url.path, page, 403)
            raise HTTPException(403, "Din roll får inte se den här sidan.")
        y = year_of(year)
        fu = state.follow_up(y)
        sec = section_cache(fu)[SECTION_OF[page]]
        views = [scope_view(user, v) for v in sec.views]
        figures = [] if (user.role == "stadsdel" and sec.id in PER_DISTRICT_FIGURES) else sec.figures
        findings = None
        paragraphs = list(sec.paragraphs)
        if page == "oversikt":
            summary = section_cache(fu)["sammanfattning"]
            paragraphs = summary.paragraphs + paragraphs
            findings = [f.text_sv for f in fu.findings if user.role != "stadsdel" or f.district == user.district]
        state.log(user, "view", request.url.path, page, 200)
        return render(request, user, "page.html", title=PAGES[page][0], page=page, year=y, years=state.years(),
                      paragraphs=paragraphs, views=views, figures=figures, findings=findings)

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def home(request: Request, year: int | None = Query(None), user=Depends(page_user)):
        return section_page(request, "oversikt", year, user)

    for page in SECTION_OF:
        def handler(request: Request, year: int | None = Query(None), user=Depends(page_user), _page=page):
            return section_page(request, _page, year, user)

        app.add_api_route(f"/{page}", handler, methods=["GET"], response_class=HTMLResponse, include_in_schema=False,
                          name=f"page_{page}")

    @app.get("/stadsdel/{code}", response_class=HTMLResponse, include_in_schema=False)
    def district_page(request: Request, code: str, year: int | None = Query(None), user=Depends(page_user)):
        y = year_of(year)
        fu = state.follow_up(y)
        if code not in fu.codes:
            raise HTTPException(404, "Ingen sådan stadsdel.")
        if user.role == "stadsdel" and code != user.district:
            state.log(user, "view", request.url.path, code, 403)
            raise HTTPException(403, "Du ser bara din egen stadsdel i detalj.")
        views = []
        for v in all_views(fu):
            if not v.row_keys or code not in v.row_keys:
                continue
            keep = [i for i, k in enumerate(v.row_keys) if k in (code, TOTAL)]
            from copy import copy

            nv = copy(v)
            nv.rows, nv.row_keys = [v.rows[i] for i in keep], [v.row_keys[i] for i in keep]
            views.append(nv)
        findings = [f.text_sv for f in fu.findings if f.district == code]
        state.log(user, "view", request.url.path, code, 200)
        return render(request, user, "page.html", title=fu.name(code), page="stadsdel", year=y, years=state.years(),
                      paragraphs=[f"{fu.name(code)} jämfört med hela staden, {y}."], views=views, figures=[],
                      findings=findings)

    @app.get("/rapporter", response_class=HTMLResponse, include_in_schema=False)
    def reports(request: Request, user=Depends(page_user)):
        state.log(user, "view", "/rapporter", None, 200)
        return render(request, user, "reports.html", title="Rapporter", page="rapporter", years=state.years(),
                      formats=FORMATS)

    @app.get("/rapporter/{year}/{fmt}", include_in_schema=False)
    def report_file(request: Request, year: int, fmt: str, user=Depends(page_user)):
        if fmt not in FORMATS:
            raise HTTPException(404, "Okänt format.")
        y = year_of(year)
        fu = state.follow_up(y)
        folder = Path(tempfile.mkdtemp(prefix="likstall-rapport-"))
        try:
            written = write_report(fu, folder, [fmt])
            path = Path(written[fmt])
            data = path.read_bytes()
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        state.log(user, "export", request.url.path, fmt, 200)
        media = {"html": "text/html; charset=utf-8", "pdf": "application/pdf", "csv": "text/csv; charset=utf-8",
                 "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}[fmt]
        from fastapi.responses import Response

        name = path.name if fmt != "csv" else f"tables-{y}.csv"
        return Response(data, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'})

    @app.get("/logg", response_class=HTMLResponse, include_in_schema=False)
    def access_log(request: Request, user=Depends(page_user)):
        if not allowed(user, "logg"):
            raise HTTPException(403, "Bara administratörer läser åtkomstloggen.")
        rows = state.access.recent()
        state.log(user, "view", "/logg", None, 200)
        return render(request, user, "log.html", title="Åtkomstlogg", page="logg", rows=rows)

    # ---- import (admins): upload, check against a copy of the store, then commit or discard -----
    def staging_dir(request) -> Path | None:
        d = request.session.get("import_dir")
        return Path(d) if d and Path(d).is_dir() else None

    def require_import(request, user, csrf: str | None = None) -> None:
        """Import is for admins only; every POST of it carries the CSRF token."""
        if csrf is not None:
            check_csrf(request, csrf)
        if not allowed(user, "import"):
            raise HTTPException(403, "Bara administratörer läser in data.")

    @app.get("/import", response_class=HTMLResponse, include_in_schema=False)
    def import_page(request: Request, user=Depends(page_user)):
        require_import(request, user)
        state.log(user, "view", "/import", None, 200)
        return render(request, user, "import.html", title="Import", page="import", summary=None, quarantine=[],
                      error=None)

    @app.post("/import", response_class=HTMLResponse, include_in_schema=False)
    async def import_upload(request: Request, csrf: str = Form(""), extract_date: str = Form(""),
                            files: list[UploadFile] = File(...), user=Depends(page_user)):
        import datetime as dt

        from ..errors import LikstallError
        from ..ingest.load import ingest
        from ..ingest.quarantine import quarantine
        from ..ingest.reader import safe_name

        require_import(request, user, csrf)
        folder = Path(tempfile.mkdtemp(prefix="likstall-import-"))
        try:
            for f in files:
                name = safe_name(Path(f.filename or "fil").name).replace("/", "_")
                if Path(name).suffix.lower() not in UPLOAD_TYPES:
                    raise LikstallError(f"{name}: bara CSV, XLSX och Parquet tas emot.")
                data = await f.read(MAX_UPLOAD + 1)
                if len(data) > MAX_UPLOAD:
                    raise LikstallError(f"{name}: filen är större än {MAX_UPLOAD // (1024 * 1024)} MB.")
                (folder / name).write_bytes(data)
            date = dt.date.fromisoformat(extract_date) if extract_date else dt.date.today()
            trial = folder / "prov.duckdb"
            # A read-only connection keeps every writer out while the file (and its write-ahead log,
            # if a writer left one) is copied: the copy is one consistent state of the store.
            with state.lock, state.reading(wait=10):
                shutil.copy(state.db, trial)
                wal = Path(str(state.db) + ".wal")
                if wal.exists():
                    shutil.copy(wal, Path(str(trial) + ".wal"))
            result = ingest([p for p in folder.iterdir() if p.suffix.lower() in UPLOAD_TYPES], trial, extract_date=date)
            q = quarantine(trial, load_id=result.load_id).head(200)
        except (LikstallError, ValueError) as exc:
            shutil.rmtree(folder, ignore_errors=True)
            state.log(user, "import", "/import", "refused", 400)
            return render(request, user, "import.html", status=400, title="Import", page="import", summary=None,
                          quarantine=[], error=str(exc))
        request.session["import_dir"] = str(folder)
        request.session["import_date"] = date.isoformat()
        state.log(user, "import", "/import", "checked", 200)
        return render(request, user, "import.html", title="Import", page="import", summary=result, error=None,
                      quarantine=q.to_dict("records"))

    @app.post("/import/commit", include_in_schema=False)
    def import_commit(request: Request, csrf: str = Form(""), user=Depends(page_user)):
        import datetime as dt

        from ..ingest.load import ingest

        require_import(request, user, csrf)
        folder = staging_dir(request)
        if folder is None:
            return RedirectResponse("/import", status_code=303)
        with state.lock:
            ingest([p for p in folder.iterdir() if p.suffix.lower() in UPLOAD_TYPES], state.db,
                   extract_date=dt.date.fromisoformat(request.session.get("import_date")))
            state.cache.clear()
            state.signature = None
        shutil.rmtree(folder, ignore_errors=True)
        request.session.pop("import_dir", None)
        state.log(user, "import", "/import/commit", "committed", 303)
        return RedirectResponse("/datakvalitet", status_code=303)

    @app.post("/import/discard", include_in_schema=False)
    def import_discard(request: Request, csrf: str = Form(""), user=Depends(page_user)):
        require_import(request, user, csrf)
        folder = staging_dir(request)
        if folder:
            shutil.rmtree(folder, ignore_errors=True)
        request.session.pop("import_dir", None)
        state.log(user, "import", "/import/discard", "discarded", 303)
        return RedirectResponse("/import", status_code=303)
