"""The report's charts: which published values each one shows, drawn offline as SVG.

Every mark is a published cell of the FollowUp; a suppressed value is not drawn, and the chart's
caption says which and why. Colours carry no judgement: one sequential blue scale, and
higher/lower rather than good/bad. This module only selects the values; `chart_specs.py` turns
them into Vega-Lite (Altair) and vl-convert into SVG — in the report's helper process when one
runs (render/helper.py), here otherwise.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..disclosure.cells import TOTAL
from . import helper

if TYPE_CHECKING:
    from ..followup.build import FollowUp

# Approximate positions of Stockholm's 13 districts in a tile map (column, row): north-west to south-east.
STOCKHOLM_TILES = {
    "hasselby_vallingby": (0, 0), "spanga_tensta": (1, 0), "rinkeby_kista": (2, 0),
    "bromma": (1, 1), "kungsholmen": (2, 1), "norrmalm": (3, 1), "ostermalm": (4, 1),
    "hagersten_alvsjo": (1, 2), "sodermalm": (3, 2), "skarholmen": (0, 3),
    "enskede_arsta_vantor": (2, 3), "skarpnack": (4, 3), "farsta": (3, 3),
}


def draw(kind: str, data: dict, lang: str) -> str | helper.PendingChart:
    """The chart as SVG; drawn in the report's helper process when one runs."""
    return helper.PendingChart(kind, data, lang) if helper.active() else helper.chart_svg(kind, data, lang)


def tile_map(fu: FollowUp) -> tuple[str, list[str]]:
    lang = fu.settings.lang
    rows, hidden = [], []
    for i, c in enumerate(fu.codes):
        col, row = STOCKHOLM_TILES.get(c, (i % 5, i // 5))
        cell = fu.publication.tables["rate_sb"].cell(district=c)
        if cell is None or not cell.published:
            hidden.append(fu.name(c))
            rows.append({"col": col, "row": row, "name": fu.name(c), "value": None, "label": ".."})
        else:
            rows.append({"col": col, "row": row, "name": fu.name(c), "value": cell.value,
                         "label": f"{cell.value:.1f}".replace(".", ",") if lang == "sv" else f"{cell.value:.1f}"})
    return draw("tile_map", {"rows": rows}, lang), hidden


def funnel(fu: FollowUp) -> tuple[str, list[str]]:
    lang = fu.settings.lang
    pts, hidden = [], []
    for c in fu.codes:
        cell = fu.publication.tables["sb_ratio_socio"].cell(district=c)
        if cell is None or not cell.published:
            hidden.append(fu.name(c))
            continue
        pts.append({"expected": fu.funnel["points"][c], "ratio": cell.value, "name": fu.name(c)})
    limits = [(list(fu.funnel[f"lower{lv}"]), list(fu.funnel[f"upper{lv}"]), dash)
              for lv, dash in ((0.95, [4, 2]), (0.998, [1, 0])) if f"lower{lv}" in fu.funnel]
    data = {"points": pts, "grid": list(fu.funnel.get("expected", [])), "limits": limits}
    return draw("funnel", data, lang), hidden


def km_curves(fu: FollowUp) -> str | None:
    lang = fu.settings.lang
    if not fu.curves:
        return None
    city = "Hela staden" if lang == "sv" else "Whole city"
    rows = []
    for name, tab in fu.curves.items():
        label = city if name == TOTAL else name
        rows.extend({"time": float(t), "survival": float(s), "group": label}
                    for t, s in zip(tab["time"], tab["survival"]))
    return draw("km_curves", {"rows": rows, "city": city}, lang)


def trend_chart(fu: FollowUp) -> tuple[str, list[str]]:
    lang = fu.settings.lang
    rows, hidden = [], []
    areas = [*[f"region:{r}" for r in sorted(set(fu.districts["region"]))], TOTAL]
    for a in areas:
        for y in range(fu.year - 6, fu.year + 1):
            c = fu.publication.tables["sb_trend_rate"].cell(district=a, year=str(y))
            if c is None or not c.published:
                hidden.append(f"{fu.name(a)} {y}")
                continue
            rows.append({"year": str(y), "rate": c.value, "group": fu.name(a)})
    return draw("trend_chart", {"rows": rows}, lang), hidden
