"""Published categories and the groups of the catalogue's count tables.

Rare categories are merged before publication (as statistics offices do), since a category of 0–2
persons in every district only produces suppressed cells: X and okänt kön become "annat_okant";
65–79 and 80+ become "65+" (the statement asks about the 65+ group). Lengths of stay are counted in
intervals of days; a stay of d days is still placed at day t when d > t.
"""

from __future__ import annotations

from ..categories import AGE, SEX, STAY_EDGES, TARGET, UNKNOWN  # noqa: F401 (one definition, re-exported)
from ..contract.codes import SWEDISH_LABELS
from ..disclosure.keys import TOTAL
from .base import Context, region_row

SEX_MAP = {"X": "annat_okant", "okänt": "annat_okant"}
AGE_MAP = {"65-79": "65+", "80+": "65+"}
NAMED_TARGETS = tuple(SWEDISH_LABELS["target_group"])
TYPES = tuple(SWEDISH_LABELS["placement_type"])
REFERRERS = (*SWEDISH_LABELS["referring_unit"], UNKNOWN)
DECISIONS = tuple(SWEDISH_LABELS["decision"])
YES_NO = ("ja", "nej")  # nej: no, or not recorded
ENDED = ("avslutad", "pagaende")
SB = "skyddat_boende"

LONG_STAY = 60


def stay_atoms() -> list[str]:
    """Intervals of days: d001-007, d008-014, …, d181+ (a stay of 0 days counts in the first)."""
    out, lo = [], 0
    for hi in STAY_EDGES:
        out.append(f"d{lo + 1:03d}-{hi:03d}" if lo else f"d000-{hi:03d}")
        lo = hi
    out.append(f"d{lo + 1:03d}+")
    return out


def stay_atom(days: int) -> str:
    atoms = stay_atoms()
    for edge, atom in zip(STAY_EDGES, atoms):
        if days <= edge:
            return atom
    return atoms[-1]


def over(t: int) -> str:
    return f"over:{t}"


UPTO_60 = "upto:60"


def register_groups(ctx: Context) -> None:
    """Regions, the span of years and the stay groups, with the partitions they make."""
    reg = ctx.registry
    for region, codes in ctx.regions.items():
        reg.add_group("district", region_row(region), codes)
    reg.add_partition("district", TOTAL, ctx.region_rows)
    reg.add_group("year", ctx.span, [str(y) for y in ctx.inputs.years])
    atoms = stay_atoms()
    for i, t in enumerate(STAY_EDGES):
        reg.add_group("stay", over(t), atoms[i + 1:])
    reg.add_group("stay", UPTO_60, atoms[:STAY_EDGES.index(LONG_STAY) + 1])
    reg.add_partition("stay", TOTAL, [UPTO_60, over(LONG_STAY)])
    reg.add_categories("stay", atoms)
    for dim, cats in (("sex", SEX), ("age_band", AGE), ("target_group", TARGET), ("placement_type", TYPES),
                      ("referring_unit", REFERRERS), ("decision", DECISIONS), ("ended", ENDED)):
        reg.add_categories(dim, cats)
    for dim in ("disability", "interpreter_needed", "freda_screening", "freda_risk_assessment", "missing_sex",
                "missing_age_band", "missing_target_group", "missing_handling_unit", "late"):
        reg.add_categories(dim, YES_NO)
