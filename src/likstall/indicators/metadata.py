"""The catalogue as metadata: what each indicator is, for the API, the dashboard and the workbook."""

from __future__ import annotations

from ..text import has, t
from . import catalogue

FIELDS = ("title", "unit", "numerator", "denominator", "method")


def catalogue_metadata(lang: str = "sv") -> list[dict]:
    out = []
    for ind in catalogue():
        if ind.internal:
            continue
        entry = {"id": ind.id, "question": ind.question, "kind": ind.kind, "measure": ind.measure,
                 "dimensions": list(ind.dims), "decimals": ind.decimals, "finding": ind.finding,
                 "tests": list(ind.tests)}
        for f in FIELDS:
            key = f"ind.{ind.id}.{f}"
            entry[f] = t(key, lang) if has(key, lang) else ""
        entry["question_text"] = t(f"question.{ind.question}", lang)
        out.append(entry)
    return out
