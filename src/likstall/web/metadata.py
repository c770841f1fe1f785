"""What an indicator's metadata page says about one release: how disclosure control treated the
indicator, and the indicator's released cells as a list (value, interval, status — nothing else)."""

from __future__ import annotations

from ..disclosure.keys import TOTAL
from ..text import has, numbers, t

DIM_WORDS = {"district": "stadsdel", "sex": "kön", "age_band": "åldersgrupp", "target_group": "målgrupp",
             "placement_type": "insatstyp", "referring_unit": "remitterande enhet", "year": "år", "years": "antal år",
             "day": "dygn", "decision": "beslut", "stay": "vistelsetid", "ended": "avslutad eller pågående",
             "support": "stöd", "disability": "funktionsnedsättning", "interpreter_needed": "tolkbehov",
             "freda_screening": "FREDA kortfrågor", "freda_risk_assessment": "FREDA farlighetsbedömning"}
LEVEL_WORDS = {"region": "per region (inte per stadsdel)", "city": "bara för hela staden",
               "omitted": "inte alls"}


def disclosure_treatment(rel, entry: dict, tab) -> list[str]:
    """Sentences on the indicator's disclosure control, from the release's policy and table."""
    from ..render.views import table_note

    T = rel.publication.policy.threshold
    out = []
    if entry["kind"] == "count":
        out.append(f"Ett antal mellan 1 och {T - 1} publiceras inte (primär undertryckning, tröskel {T}); fler "
                   "celler döljs där det behövs för att ett dolt antal inte ska kunna räknas fram ur summor och "
                   "tidigare releaser (sekundär undertryckning). En dold cell visas som ”..”.")
    else:
        out.append("Talet räknas fram ur antal och publiceras bara när alla antal det bygger på är publicerade; "
                   f"ett medelvärde eller en median bara när det bygger på minst {T} personer. Annars visas ”..”.")
    if tab is None:
        out.append("Indikatorn finns inte i den här releasen.")
        return out
    if tab.level != "district":
        out.append(f"I den här releasen redovisas indikatorn {LEVEL_WORDS.get(tab.level, tab.level)}, "
                   "eftersom uppdelningen per stadsdel inte klarade röjandekontrollen.")
    note = table_note(rel, tab.name)
    if note:
        out.append(note)
    n = len(tab.cells)
    hidden = sum(1 for c in tab.cells if not c.published)
    out.append(f"I {rel.label}: {numbers.integer(n)} celler, varav {numbers.integer(hidden)} inte publicerade.")
    return out


def _area(rel, code: str) -> str:
    return rel.name(code) if code else ""


def _breakdown(tab, cell) -> str:
    parts = []
    for d in tab.dims:
        if d == "district":
            continue
        v = cell.key.get(d)
        if v == TOTAL:
            parts.append("totalt")
        elif v.startswith("years:"):
            parts.append(v[len("years:"):].replace("-", "–"))
        else:
            parts.append(t(f"ui.{v}", "sv") if has(f"ui.{v}", "sv") else v)
    return ", ".join(parts)


def values_of(rel, tab) -> list[dict]:
    """The table's released cells: area, breakdown, value, interval and status."""
    rows = []
    for c in tab.cells:
        value = "" if not c.published or c.value is None else (
            numbers.num(c.value, tab.decimals) if tab.decimals else numbers.integer(c.value))
        interval = numbers.ci(c.ci_low, c.ci_high, tab.decimals) if c.published else ""
        rows.append({"area": _area(rel, c.key.get("district")), "breakdown": _breakdown(tab, c),
                     "value": value or c.status, "interval": interval, "suppressed": not c.published})
    return rows


def dimension_words(dims) -> str:
    return ", ".join(DIM_WORDS.get(d, d) for d in dims)
