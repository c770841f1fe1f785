"""`likstall rapport`: the year's release (or a draft) → report files."""

from __future__ import annotations

from pathlib import Path

from .errors import LikstallError
from .render import helper
from .render.report import FORMATS, write_report


def make_report(db: str | Path, year: int, out: str | Path, *, formats=FORMATS, lang: str = "sv", draft: bool = False,
                release_id: int | None = None, progress=None) -> dict:
    say = progress or (lambda *_: None)
    with helper.running():  # charts and workbook in a second process (render/helper.py)
        if draft:
            from .release import draft as make_draft

            say("Utkast: statistik och röjandekontroll")
            rel = make_draft(db, year)
        else:
            from .release import load_release

            rel = load_release(db, year, release_id=release_id)
            if rel is None:
                raise LikstallError(f"{year} är inte publicerat än. Skapa releasen med `likstall publish --db {db} "
                                    f"--year {year}`, eller skriv ett utkast med --draft.")
        written = write_report(rel.in_language(lang), out, formats, progress=say)
    a = rel.publication.audit
    return {"written": written, "release_id": rel.release_id, "draft": rel.is_draft, "n_suppressed": a.n_suppressed,
            "n_cells": a.n_cells, "share_suppressed": a.share_suppressed, "findings": [f.text_sv for f in rel.findings],
            "release": rel}
