"""What a personnummer looks like in free text, for keeping it out of names, messages and logs.

Ten or twelve digits, optionally with a separator before the last four (Unicode digits count too:
full-width digits are digits). The import's own rule (`ingest/validate.py`) does the same in SQL.
"""

from __future__ import annotations

import re

PNR_IN_TEXT = re.compile(r"(?<!\d)(\d{2})?\d{6}\s*[-+]?\s*\d{4}(?!\d)")


def contains_personnummer(text: str) -> bool:
    return bool(PNR_IN_TEXT.search(text or ""))


def mask_personnummer(text: str) -> str:
    return PNR_IN_TEXT.sub("[dolt]", text or "")
