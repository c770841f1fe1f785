"""The yearly report as files (HTML, PDF, Excel, CSV), built once per release and format."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse
from starlette.concurrency import run_in_threadpool

from ..auth import page_user, state_of
from ..downloads import MEDIA
from ..errors import Refusal, computing
from ..render import page

router = APIRouter(include_in_schema=False)


def formats() -> tuple[str, ...]:
    from ...render.report import FORMATS

    return tuple(FORMATS)


@router.get("/rapporter")
def reports(request: Request, user=Depends(page_user)):
    from .pages import views_of

    st = state_of(request)
    years = st.years()
    # The tables of the latest release, one file each (the same names for every year).
    tables = [(v.name, v.title) for v in views_of(st, years[-1])] if years else []
    st.log(user, "view", "/rapporter", None, 200)
    return page(request, user, "reports.html", title="Rapporter", page="rapporter", years=years, formats=formats(),
                tables=tables, latest=years[-1] if years else None)


@router.get("/rapporter/{year}/{fmt}")
async def report_file(request: Request, year: int, fmt: str, user=Depends(page_user)):
    if fmt not in formats():
        raise Refusal(404, "Okänt format.")
    st = state_of(request)
    y = await run_in_threadpool(st.year_of, year)  # may read the store: not on the event loop
    key = await run_in_threadpool(st.release_key, y)

    def build(folder: Path) -> Path:
        from ...render.report import write_report

        with computing():
            return Path(write_report(st.follow_up(y), folder, [fmt])[fmt])

    path = await st.reports.get((*key, y), fmt, build)  # the year too: other years' files stay
    await run_in_threadpool(st.log, user, "export", request.url.path, fmt, 200)
    name = path.name if fmt != "csv" else f"tables-{y}.csv"
    return FileResponse(path, media_type=MEDIA[fmt], filename=name)
