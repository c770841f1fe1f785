"""Releases: the unit of publication. One immutable, audited snapshot per year of everything
likstall serves; the report, the workbook, the CSV files, the dashboard and the API read only these.

    likstall.release(db, 2021)              # build, protect jointly with every earlier release, store
    likstall.draft(db, 2021)                # the same, not stored, marked UTKAST (analysts, admins)
    likstall.load_release(db, 2021)         # the latest release of 2021 (a `Release`)
"""

from __future__ import annotations

from pathlib import Path

from .content import Release

__all__ = ["Release", "draft", "list_releases", "load_release", "make_release"]


def _connect(db, read_only=False):
    from ..store.connection import connect

    return connect(db, read_only=read_only)


def make_release(db: str | Path, year: int, *, policy=None, revise: bool = False,
                 suppression: str = "greedy", charts: bool = True) -> tuple[Release, bool]:
    """Build the year's release and store it. Returns (release, new): an identical release of the
    year (same data, history and policy) is not stored twice. `charts=False` stores it without its
    drawn charts (as releases of older versions are): the report and the pages then draw them when
    they are first shown; every number is the same (the charts are not part of the digest)."""
    from . import store
    from .build import build

    con = _connect(db)
    try:
        built = build(con, year, policy=policy, revise=revise, suppression=suppression)
        if not built.summary["passed"]:
            # Never stored, so never served: a refused release in the store would be the year's latest, its
            # report would say so, and whether it is refused can depend on one person's record.
            from ..errors import LikstallError

            raise LikstallError("Röjandekontrollen kunde inte godkänna releasen; ingenting har sparats. Ett utkast "
                                f"(`likstall rapport --db {db} --year {year} --draft`) visar granskningens fynd.")
        # The charts drawn once from the release's own values and kept with it: a report from the release
        # then draws nothing (docs/performance.md §2). Not part of the digest (store.content_digest).
        # Only a new release is drawn: the same data and history give the same digest, and that
        # release already has its charts.
        content = built.content
        digest = store.content_digest(content)  # the same with the charts: they are not part of it
        prev = store.latest(con, year)
        if charts and not (prev and prev["digest"] == digest):
            from ..render.charts import release_svgs

            content = {**content, "svg": release_svgs(content)}
        rid, version, new = store.save(con, content, built.structure, built.frames, built.cells, built.summary,
                                       digest=digest)
        content = store.load_content(con, rid)
    finally:
        con.close()
    return Release(content), new


def draft(db: str | Path, year: int, *, policy=None, revise: bool = True) -> Release:
    """The year as a release would show it today, not stored and marked UTKAST."""
    from .build import build

    con = _connect(db)
    try:
        built = build(con, year, policy=policy, revise=revise, draft=True)
    finally:
        con.close()
    return Release(built.content)


def load_release(db: str | Path, year: int | None = None, *, release_id: int | None = None) -> Release | None:
    """A stored release: by id, else the latest of `year`; None when the year has none."""
    from . import store

    con = _connect(db, read_only=Path(db).exists())
    try:
        if release_id is None:
            latest = store.latest(con, year)
            if latest is None:
                return None
            release_id = latest["release_id"]
        return Release(store.load_content(con, release_id))
    finally:
        con.close()


def list_releases(db: str | Path) -> list[dict]:
    from . import store

    con = _connect(db, read_only=Path(db).exists())
    try:
        return store.list_releases(con)
    finally:
        con.close()


def follow_up(db: str | Path, year: int) -> Release:
    """The year's follow-up as the outputs show it: its latest release, or — when the year has none yet — a
    draft (marked UTKAST, not stored). Kept for callers of the earlier `likstall.follow_up`."""
    return load_release(db, year) or draft(db, year)
