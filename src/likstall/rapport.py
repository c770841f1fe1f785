"""`likstall rapport`: the year's release (or a draft) → report files."""

from __future__ import annotations

import contextlib
from pathlib import Path

from .errors import LikstallError
from .render import helper
from .render.charts import has_stored_svgs
from .render.report import FORMATS, write_report


def make_report(db: str | Path, year: int, out: str | Path, *, formats=FORMATS, lang: str = "sv", draft: bool = False,
                release_id: int | None = None, progress=None) -> dict:
    say = progress or (lambda *_: None)
    if draft:
        with helper.running():  # charts and workbook in a second process (render/helper.py)
            from .release import draft as make_draft

            say("Utkast: statistik och röjandekontroll")
            rel = make_draft(db, year)
            written = write_report(rel.in_language(lang), out, formats, progress=say)
    else:
        from .release import load_release

        rel = load_release(db, year, release_id=release_id)
        if rel is None:
            raise LikstallError(f"{year} är inte publicerat än. Skapa releasen med `likstall publish --db {db} "
                                f"--year {year}`, eller skriv ett utkast med --draft.")
        shown = rel.in_language(lang)
        # A release made by this version keeps its charts drawn (render/charts.py): nothing to draw, no
        # helper. An older release's charts are drawn in the helper, as for a draft.
        needs_drawing = {"html", "pdf"} & set(formats) and not has_stored_svgs(shown)
        with helper.running() if needs_drawing else contextlib.nullcontext():
            written = write_report(shown, out, formats, progress=say)
    a = rel.publication.audit
    return {"written": written, "release_id": rel.release_id, "draft": rel.is_draft, "n_suppressed": a.n_suppressed,
            "n_cells": a.n_cells, "share_suppressed": a.share_suppressed, "findings": [f.text_sv for f in rel.findings],
            "release": rel}
