"""Add or update entries in the message catalogues: `python scripts/po_merge.py entries.py`.

entries.py defines ENTRIES = {key: (swedish, english)}. Existing entries keep their place; new ones
are appended; the catalogues are written sorted by key so diffs stay small.
"""

from __future__ import annotations

import datetime as dt
import runpy
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

LOCALE = Path(__file__).resolve().parent.parent / "src" / "likstall" / "text" / "locale"


def merge(entries: dict[str, tuple[str, str]]) -> None:
    for i, lang in enumerate(("sv", "en")):
        path = LOCALE / lang / "LC_MESSAGES" / "likstall.po"
        if path.exists():
            with open(path, "rb") as f:
                cat = read_po(f, locale=lang)
        else:
            cat = Catalog(locale=lang, project="likstall", charset="utf-8")
        for key, texts in entries.items():
            if key in cat:
                cat[key].string = texts[i]
            else:
                cat.add(key, texts[i])
        stamp = dt.datetime(2026, 12, 1, tzinfo=dt.timezone.utc)  # fixed: the files change only with their texts
        out = Catalog(locale=lang, project="likstall", charset="utf-8", creation_date=stamp, revision_date=stamp,
                      copyright_holder="likstall", msgid_bugs_address="-", last_translator="likstall",
                      language_team=lang, version="1")
        for m in sorted((m for m in cat if m.id), key=lambda m: m.id):
            out.add(m.id, m.string)
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "wb") as f:
            write_po(f, out, width=0, omit_header=False)


if __name__ == "__main__":
    merge(runpy.run_path(sys.argv[1])["ENTRIES"])
