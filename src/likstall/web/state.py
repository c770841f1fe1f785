"""What the server knows about the store, without holding it open; the one source of the numbers.

DuckDB lets one process write a file, or several read it, never both; a server that kept the store
open would lock out `likstall ingest` and `likstall user` in other processes. So the store is opened
read-only for a moment when the file has changed (its size, time or write-ahead log), users and
tokens are read into a `Directory`, and a year's follow-up is built once per (year, load version).
While another process writes, the server keeps answering from what it read before: readers see
the old data or the new, never a mix.

The published numbers come only from releases: `follow_up(year)` is the year's latest release (read
once per release id: a release never changes), and `release_key(year)` names it — pages and report
files are built once per release and cached under it. A year without a release is not published;
`draft(year)` builds today's follow-up for analysts and admins only, marked UTKAST, never cached as
a release and never shown to readers or district users.
"""

from __future__ import annotations

import re

import threading
import time
from contextlib import contextmanager
from pathlib import Path

from ..contract.personnummer import mask_personnummer
from ..errors import StoreError
from ..store.connection import connect
from .checks import Checks
from .downloads import ReportFiles
from .pagecache import RenderedCache
from .errors import STORE_BUSY, Refusal, computing
from .sessions import Sessions
from .settings import Settings
from .sidedb import AccessLog, SideDB, side_path
from .staging import Staging
from .storelock import StoreBusy, StoreLock
from .throttle import LoginThrottle, SharedLoginThrottle
from .users import Directory

SWEEP_EVERY = 60.0  # seconds between sweeps of expired sessions and their staged imports


class State:
    def __init__(self, db: Path, settings: Settings, *, shared: bool = False):
        """`shared`: one of several server processes over the same store (web/app.py, `serve_processes`)."""
        self.db, self.settings = db, settings
        self.store = StoreLock()
        self.side = SideDB(side_path(db))
        self.access = AccessLog(self.side)
        self.sessions = Sessions(self.side, idle=settings.session_idle, max_age=settings.session_max_age)
        self.staging = Staging(db)
        if not shared:  # with several processes the parent emptied it before they started
            self.staging.clear()  # nothing staged before this start can be reached any more
        self.throttle = SharedLoginThrottle(settings.login, self.side) if shared else LoginThrottle(settings.login)
        self.checks = Checks(settings.password_checks, settings.password_queue)
        self.reports = ReportFiles(db, settings.report_builds, reset=not shared)
        self.import_lock = threading.Lock()  # one import check or commit at a time
        self._refresh_lock = threading.Lock()
        self._directory: Directory | None = None
        self._signature: tuple | None = None
        self._version, self._years, self._next_try = 0, [], 0.0
        self._releases: dict[int, int] = {}  # year → latest release id
        self._cache: dict = {}  # ("release", id) → Release; ("draft", year, version) → draft; (name, …) → derived
        self._building: dict = {}  # key → lock, so that one key is built once
        self._cache_lock = threading.Lock()
        self._next_sweep = 0.0
        self.pages = RenderedCache()  # pages and API answers of releases (web/pagecache.py)

    # ---- the store ------------------------------------------------------------------------------
    @contextmanager
    def reading(self, wait: float = 2.0):
        """A short read-only connection to the store (waits while a writer, here or elsewhere, has it)."""
        with self.store.shared(wait):
            con = connect(self.db, read_only=True, wait=wait)
            try:
                yield con
            finally:
                con.close()

    def _file_signature(self) -> tuple:
        out = []
        for p in (self.db, Path(str(self.db) + ".wal")):
            try:
                st = p.stat()
                out.append((st.st_mtime_ns, st.st_size))
            except FileNotFoundError:
                out.append(None)
        return tuple(out)

    def refresh(self) -> None:
        """Re-read users, tokens, version and years if the store file changed since last time."""
        sig = self._file_signature()
        if sig == self._signature and self._directory is not None:
            return
        with self._refresh_lock:
            if sig == self._signature and self._directory is not None:
                return
            if self._directory is not None and time.monotonic() < self._next_try:
                return  # the store was busy a moment ago: keep serving what we have
            try:
                with self.reading(wait=0 if self._directory is not None else self.settings.store_wait) as con:
                    directory = Directory.read(con)
                    version = con.execute("SELECT coalesce(max(load_id), 0) FROM loads").fetchone()[0]
                    years = [r[0] for r in con.execute("SELECT DISTINCT year(opened) FROM cases ORDER BY 1").fetchall()]
                    releases = dict(con.execute("SELECT year, max(release_id) FROM releases WHERE format = 2 "
                                                "GROUP BY year").fetchall())
            except (StoreError, StoreBusy):
                if self._directory is None:
                    raise Refusal(503, STORE_BUSY) from None
                self._next_try = time.monotonic() + 1.0
                return
            self._directory, self._signature, self._version, self._years = directory, sig, version, years
            self._releases = releases

    def invalidate(self) -> None:
        """After this process wrote the store: read it again at the next request."""
        self._signature, self._next_try = None, 0.0

    def directory(self) -> Directory:
        self.refresh()
        return self._directory

    def years(self) -> list[int]:
        """The published years (those with a release)."""
        self.refresh()
        return sorted(self._releases)

    def data_years(self) -> list[int]:
        """Years with data in the store (drafts can be built for them)."""
        self.refresh()
        return list(self._years)

    def year_of(self, year: int | None, *, draft: bool = False) -> int:
        """The requested published year, or the latest; 404 when it is not published (yet)."""
        years = self.data_years() if draft else self.years()
        if not years:
            raise Refusal(404, "Inget år är publicerat än. En analytiker skapar årets release med "
                               "`likstall publish`." if not draft else "Databasen har inga ärenden än.")
        if year is None:
            return years[-1]
        if year not in years:
            raise Refusal(404, "Året är inte publicerat än." if not draft else "Inga ärenden för det begärda året.")
        return year

    # ---- the numbers ----------------------------------------------------------------------------
    def release_key(self, year: int) -> tuple:
        """What a year's published numbers are: its latest release."""
        self.refresh()
        rid = self._releases.get(year)
        if rid is None:
            raise Refusal(404, "Året är inte publicerat än.")
        return ("release", rid)

    def releases_signature(self) -> tuple:
        """Every published year's latest release: part of the key of every cached page and answer."""
        self.refresh()
        return tuple(sorted(self._releases.items()))

    def page_key(self, route: str, params: tuple, user=None) -> tuple:
        """The cache key of a published page (with `user`: per role and district) or API answer."""
        who = (user.role, user.district) if user is not None else ()
        return ("page", self.releases_signature(), route, params, who)

    def draft_key(self, year: int) -> tuple:
        self.refresh()
        return ("draft", year, self._version)

    def _once(self, key, build):
        """The cached value of `key`, built by one caller while the others wait for it. A year that
        cannot be computed stays so for its version: the refusal is cached too."""
        if key not in self._cache:
            with self._cache_lock:
                lock = self._building.setdefault(key, threading.Lock())
            with lock:
                if key not in self._cache:
                    try:
                        self._cache[key] = build()
                    except Refusal as exc:
                        if exc.status_code != 422:
                            raise
                        self._cache[key] = exc
        value = self._cache[key]
        if isinstance(value, Refusal):
            raise Refusal(value.status_code, value.detail)
        return value

    def follow_up_if_loaded(self, year: int):
        """The year's latest release if this process has read it already, else None (no store access;
        a year that could not be read is None too, and `follow_up` says why)."""
        value = self._cache.get(self.release_key(year))
        return None if isinstance(value, Refusal) else value

    def follow_up(self, year: int):
        """The year's latest release: the one source of every published number the server shows."""
        key = self.release_key(year)

        def build():
            from ..release import store
            from ..release.content import Release

            with computing(), self.reading(wait=self.settings.store_wait) as con:
                return Release(store.load_content(con, key[1]))

        return self._once(key, build)

    def draft(self, year: int):
        """Today's follow-up of a year, not a release (analysts and admins), cached per load version."""
        key = self.draft_key(year)

        def build():
            from ..release.build import build as build_release
            from ..release.content import Release

            with computing(), self.reading(wait=self.settings.store_wait) as con:
                built = build_release(con, year, draft=True, revise=True)
            self._forget_other_versions(key[2])
            return Release(built.content)

        return self._once(key, build)

    def derived(self, name: str, year: int, build, *, draft: bool = False):
        """Something computed from a year's release (its sections, ...), cached with it."""
        key = (name, *(self.draft_key(year) if draft else self.release_key(year)))
        return self._once(key, lambda: self._computed(build))

    @staticmethod
    def _computed(build):
        with computing():
            return build()

    def _forget_other_versions(self, version: int) -> None:
        """Drafts of earlier load versions are dropped; releases never change and stay."""
        with self._cache_lock:
            for key in [k for k in self._cache if "draft" in k and k[-1] != version]:
                self._cache.pop(key, None)
                self._building.pop(key, None)

    # ---- housekeeping ---------------------------------------------------------------------------
    def sweep(self, force: bool = False) -> None:
        """End expired sessions and delete their staged imports (at most every SWEEP_EVERY seconds)."""
        now = time.monotonic()
        if not force and now < self._next_sweep:
            return
        self._next_sweep = now + SWEEP_EVERY
        gone, live = self.sessions.sweep()
        for name in gone:
            self.staging.remove(name)
        self.staging.clear(keep=live)

    def log(self, user, action: str, path: str, detail: str | None, status: int) -> None:
        """One access-log entry; `path` is best `where(request)`, which says which year or draft was seen."""
        # Paths and details come from requests: whatever looks like a personnummer is masked.
        self.access.add(user.username if user else "(okänd)", user.role if user else "", action,
                        mask_personnummer(path)[:200], mask_personnummer(detail)[:200] if detail else detail, status)


# The query parameters that say what a page or an answer showed, kept in the access log with the path, each only
# in the shape its valid values have (a year, a flag, an order, a catalogue or district code: lower-case
# identifiers), so that a name or an id typed into an address is not logged.
_LOGGED = {
    "year": re.compile(r"[0-9]{4}"),
    "utkast": re.compile(r"0|1|true|false"),
    "ordning": re.compile(r"stigande|fallande"),
    "fraga": re.compile(r"[a-z][a-z0-9_]{0,60}"),
    "table": re.compile(r"[a-z][a-z0-9_]{0,60}"),
    "district": re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,60}"),
}


def where(request, district_known: bool = False) -> str:
    """The request's path and what in its query says what it showed, for the access log: `/?year=2021&utkast=1`
    (with the publication log, the year and time tell which release version it was). A district only where
    the route found it among the release's codes (`district_known`): codes have no single shape to check."""
    kept = [f"{k}={v}" for k, v in request.query_params.multi_items()
            if k in _LOGGED and (k != "district" or district_known) and _LOGGED[k].fullmatch(v)]
    return request.url.path + ("?" + "&".join(kept) if kept else "")
