"""`likstall rapport`: FollowUp → report files, and the release log entry."""

from __future__ import annotations

from pathlib import Path

from .disclosure import release_log
from .disclosure.policy import Policy
from .errors import LikstallError
from .followup.build import Settings, follow_up
from .render import helper
from .render.report import FORMATS, write_report
from .store.connection import connect


def make_report(db: str | Path, year: int, out: str | Path, *, formats=FORMATS, lang: str = "sv", record: bool = True,
                zeros: str = "visible", progress=None) -> dict:
    say = progress or (lambda *_: None)
    with helper.running():  # charts and workbook in a second process (render/helper.py)
        return _make_report(db, year, out, formats=formats, lang=lang, record=record, zeros=zeros, say=say)


def _make_report(db, year, out, *, formats, lang, record, zeros, say) -> dict:
    con = connect(db)
    try:
        say("Statistik och röjandekontroll")
        fu = follow_up(con, year, Settings(policy=Policy(zeros=zeros), lang=lang))
        pub = fu.publication
        if not pub.audit.passed:
            raise LikstallError("Röjandekontrollen godkände inte publiceringen; ingen rapport skrivs. Kör "
                                f"`likstall audit --db {db} --year {year}` för detaljer.")
        written = write_report(fu, out, formats, progress=say)
        release_id = release_log.record(con, pub, "rapport")[0] if record else None
    finally:
        con.close()
    return {"written": written, "release_id": release_id, "n_suppressed": pub.audit.n_suppressed,
            "n_cells": pub.audit.n_cells, "share_suppressed": pub.audit.share_suppressed,
            "findings": [f.text_sv for f in fu.findings], "followup": fu}
