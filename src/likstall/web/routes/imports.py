"""Import (admins): upload, check against a copy of the store, then commit or discard.

The request is authenticated before its body is read and refused at once when it declares more
than the limit; the check and the commit run on worker threads, never on the event loop; the
staged files are deleted on commit, discard, logout, session expiry and start-up.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool

from ...errors import LikstallError
from ...ingest import load
from ..auth import check_csrf, current_session, role_user, state_of
from ..errors import import_message
from ..render import page
from ..roles import ADMINS
from ..storelock import StoreBusy
from ..uploads import CEILING, UPLOAD_TYPES, UploadRefused, check_length, extract_date, read_upload
from ...ingest.workbook_limits import WorkbookRefused, check_workbook

router = APIRouter(include_in_schema=False)
admin = role_user(*ADMINS)


def _page(request, user, status=200, **ctx):
    return page(request, user, "import.html", status=status, title="Import", page="import",
                **{"summary": None, "quarantine": [], "error": None, **ctx})


@router.get("/import")
def import_page(request: Request, user=Depends(admin)):
    state_of(request).log(user, "view", "/import", None, 200)
    return _page(request, user)


def _check(st, files: list[Path], folder: Path, date):
    """Workbook limits, then a trial load into a copy of the store; the copy is deleted after."""
    from ...ingest.quarantine import quarantine

    for p in files:
        if p.suffix.lower() == ".xlsx":
            check_workbook(p, max_cells=st.settings.max_xlsx_cells, max_bytes=st.settings.max_xlsx_bytes)
    trial = folder / "prov" / "prov.duckdb"
    trial.parent.mkdir(mode=0o700)
    try:
        with st.import_lock:
            # A read-only connection keeps every writer out while the file (and its write-ahead log,
            # if a writer left one) is copied: the copy is one consistent state of the store.
            with st.reading(wait=st.settings.store_wait):
                shutil.copy(st.db, trial)
                wal = Path(str(st.db) + ".wal")
                if wal.exists():
                    shutil.copy(wal, Path(str(trial) + ".wal"))
            result = load.ingest(files, trial, extract_date=date)
            rows = quarantine(trial, load_id=result.load_id).head(200).to_dict("records")
    finally:
        shutil.rmtree(trial.parent, ignore_errors=True)
    return result, rows


@router.post("/import", max_body_size=CEILING)
async def import_upload(request: Request, user=Depends(admin)):
    st = state_of(request)
    session = current_session(request)
    staged, uploaded = None, set()
    try:
        check_length(request, st.settings)  # before a byte of the body is read
        if session is None:
            raise UploadRefused("Importen kräver en inloggad session.", 403)
        st.staging.remove(session.staging)  # a new upload replaces what the session had staged
        staged = st.staging.new()
        await run_in_threadpool(st.sessions.set_staging, session, staged[0], None)  # the sweep leaves it alone
        up = await read_upload(request, staged[1], st.settings)
        check_csrf(request, up.csrf)
        uploaded = up.names
        date = extract_date(up.extract_date)
        result, rows = await run_in_threadpool(_check, st, up.files, staged[1], date)
    except Exception as exc:
        if staged is not None:
            await run_in_threadpool(_drop, st, session, staged[0])
        refused = _refusal(exc, uploaded)
        if refused is None:
            raise
        await run_in_threadpool(st.log, user, "import", "/import", "refused", refused[0])
        return _page(request, user, status=refused[0], error=refused[1])
    await run_in_threadpool(st.sessions.set_staging, session, staged[0], date.isoformat())
    await run_in_threadpool(st.log, user, "import", "/import", "checked", 200)
    return _page(request, user, summary=result, quarantine=rows)


def _refusal(exc: Exception, uploaded: set[str]) -> tuple[int, str] | None:
    """(status, fixed text) for an upload that cannot go on; None for what is not the upload's fault."""
    if isinstance(exc, UploadRefused):
        return exc.status, exc.text
    if isinstance(exc, WorkbookRefused):
        return 400, str(exc)
    if isinstance(exc, LikstallError | StoreBusy | ValueError):
        return 400, import_message(exc, uploaded)
    return None


def _drop(st, session, name) -> None:
    st.staging.remove(name)
    if session is not None and name is not None:
        st.sessions.set_staging(session, None, None)


@router.post("/import/commit")
def import_commit(request: Request, csrf: str = Form(""), user=Depends(admin)):
    check_csrf(request, csrf)
    st = state_of(request)
    session = current_session(request)
    folder = st.staging.path(session.staging)
    if folder is None or not session.staging_date:
        return RedirectResponse("/import", status_code=303)
    files = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in UPLOAD_TYPES)
    try:
        with st.import_lock, st.store.exclusive(wait=st.settings.store_wait):
            load.ingest(files, st.db, extract_date=dt.date.fromisoformat(session.staging_date))
    except Exception as exc:
        refused = _refusal(exc, {p.name for p in files})
        if refused is None:
            raise
        st.log(user, "import", "/import/commit", "refused", refused[0])
        return _page(request, user, status=refused[0], error=refused[1])
    finally:
        st.invalidate()
    _drop(st, session, session.staging)
    st.log(user, "import", "/import/commit", "committed", 303)
    return RedirectResponse("/datakvalitet", status_code=303)


@router.post("/import/discard")
def import_discard(request: Request, csrf: str = Form(""), user=Depends(admin)):
    check_csrf(request, csrf)
    st = state_of(request)
    session = current_session(request)
    _drop(st, session, session.staging)
    st.log(user, "import", "/import/discard", "discarded", 303)
    return RedirectResponse("/import", status_code=303)
