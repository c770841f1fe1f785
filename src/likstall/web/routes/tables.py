"""One table of a release as a file: `/rapporter/{year}/tabell/{name}.csv` and `.xlsx`.

The tables are the release's views (the tables of the report and the pages), written by the report's
own writers (`render.report.view_csv`, `render.workbook.table_workbook`) with the provenance line
above the header (and DEMODATA when the release is synthetic). Built once per release and file on the
report files' pool and served from disk; a release never changes, so neither do the bytes.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse
from starlette.concurrency import run_in_threadpool

from ..auth import page_user, state_of
from ..downloads import MEDIA
from ..errors import Refusal, computing
from .pages import views_of

router = APIRouter(include_in_schema=False)
FILE = re.compile(r"([a-z0-9_]{1,60})\.(csv|xlsx)")


def table_names(st, year: int) -> list[str]:
    return [v.name for v in views_of(st, year)]


def write_table(rel, view, fmt: str, folder: Path) -> Path:
    from ...render.report import provenance_lines, view_csv
    from ...render.workbook import table_workbook

    lang = rel.settings.lang
    preamble = provenance_lines(rel)
    path = folder / f"{view.name}-{rel.year}.{fmt}"
    if fmt == "csv":
        path.write_bytes(view_csv(view, lang, preamble))
    else:
        when = dt.datetime.fromisoformat(str(rel.created)[:19])
        path.write_bytes(table_workbook(view, lang, preamble, when))
    return path


@router.get("/rapporter/{year}/tabell/{file}")
async def table_file(request: Request, year: int, file: str, user=Depends(page_user)):
    m = FILE.fullmatch(file)
    if m is None:
        raise Refusal(404, "Ingen sådan tabell. Tabellerna finns under Rapporter.")
    name, fmt = m.groups()
    st = state_of(request)
    y = await run_in_threadpool(st.year_of, year)  # may read the store: not on the event loop
    key = await run_in_threadpool(st.release_key, y)
    views = await run_in_threadpool(lambda: {v.name: v for v in views_of(st, y)})
    if name not in views:
        raise Refusal(404, "Ingen sådan tabell. Tabellerna finns under Rapporter.")

    def build(folder: Path) -> Path:
        with computing():
            return write_table(st.follow_up(y), views[name], fmt, folder)

    path = await st.reports.get((*key, y), f"tabell-{name}.{fmt}", build)
    await run_in_threadpool(st.log, user, "export", request.url.path, f"{name}.{fmt}", 200)
    return FileResponse(path, media_type=MEDIA[fmt], filename=path.name)
