"""What a personnummer looks like in free text, for keeping it out of names, messages and logs.

Ten or twelve digits, optionally with a separator before the last four (Unicode digits count too:
full-width digits are digits). The separator may be any dash a keyboard, a word processor or a
copy from a PDF produces: hyphen-minus, hyphen, non-breaking hyphen, figure dash, en dash, em dash,
horizontal bar, minus sign, small and full-width hyphen-minus; or a plus (100 years or older);
with or without spaces around it. Invisible characters (zero-width space and joiners, soft
hyphen, BOM) are removed before matching, so that they cannot split a number. The import's own
rule (`ingest/validate.py`) does the same in SQL.
"""

from __future__ import annotations

import re

DASHES = "\\-\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d"
INVISIBLE = re.compile("[\u200b-\u200f\u2060\ufeff\u00ad]")
PNR_IN_TEXT = re.compile(rf"(?<!\d)(\d{{2}})?\d{{6}}\s*[{DASHES}+]?\s*\d{{4}}(?!\d)")


def contains_personnummer(text: str) -> bool:
    return bool(PNR_IN_TEXT.search(INVISIBLE.sub("", text or "")))


def mask_personnummer(text: str) -> str:
    """The text with every personnummer-shaped run replaced by [dolt] (invisible characters dropped)."""
    return PNR_IN_TEXT.sub("[dolt]", INVISIBLE.sub("", text or ""))
