"""The report's charts: which published values each one shows, drawn offline as SVG.

Every mark is a published cell of the release (its chart values); a suppressed value is not drawn, and the chart's
caption says which and why. Colours carry no judgement: one sequential blue scale, and
higher/lower rather than good/bad. This module only selects the values; `chart_specs.py` turns
them into Vega-Lite (Altair) and vl-convert into SVG — in the report's helper process when one
runs (render/helper.py), here otherwise.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..disclosure.keys import TOTAL
from . import helper

if TYPE_CHECKING:
    from ..release.content import Release as FollowUp

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


def _chart(fu: FollowUp, kind: str, data: dict) -> str | helper.PendingChart:
    """The release's own drawing of the chart when it has one (drawn from the same values when the
    release was made, `release_svgs`), else drawn now."""
    lang = fu.settings.lang
    stored = fu.content.get("svg", {}).get(lang, {}).get(kind)
    return stored if stored is not None else draw(kind, data, lang)


def has_stored_svgs(fu: FollowUp) -> bool:
    return bool(fu.content.get("svg", {}).get(fu.settings.lang))


def release_svgs(content: dict) -> dict:
    """Every chart of a release drawn once, in both languages, for the release to keep: {lang: {kind: svg}}.
    A release never changes, so neither do its charts; the report and the pages then need no drawing."""
    from ..release.content import Release

    out = {}
    for lang in ("sv", "en"):
        fu = Release(content, lang)
        svgs = {"tile_map": tile_map(fu)[0], "funnel": funnel(fu)[0], "trend_chart": trend_chart(fu)[0]}
        km = km_curves(fu)
        if km is not None:
            svgs["km_curves"] = km
        out[lang] = {k: str(v) for k, v in svgs.items()}
    return out


def tile_map(fu: FollowUp) -> tuple[str, list[str]]:
    lang = fu.settings.lang
    rows, hidden = [], []
    values = {r["code"]: r["value"] for r in fu.charts.get("tile_map", [])}
    for i, c in enumerate(fu.codes):
        col, row = STOCKHOLM_TILES.get(c, (i % 5, i // 5))
        v = values.get(c)
        if v is None:
            hidden.append(fu.name(c))
            rows.append({"col": col, "row": row, "name": fu.name(c), "value": None, "label": ".."})
        else:
            rows.append({"col": col, "row": row, "name": fu.name(c), "value": v,
                         "label": f"{v:.1f}".replace(".", ",") if lang == "sv" else f"{v:.1f}"})
    return _chart(fu, "tile_map", {"rows": rows}), hidden


def funnel(fu: FollowUp) -> tuple[str, list[str]]:
    lang = fu.settings.lang
    f = fu.charts.get("funnel", {})
    shown = {p["code"]: p for p in f.get("points", [])}
    pts = [{"expected": shown[c]["expected"], "ratio": shown[c]["ratio"], "name": fu.name(c)} for c in fu.codes
           if c in shown]
    hidden = [fu.name(c) for c in fu.codes if c not in shown]
    limits = [(list(f[f"lower{lv}"]), list(f[f"upper{lv}"]), dash)
              for lv, dash in ((0.95, [4, 2]), (0.998, [1, 0])) if f"lower{lv}" in f]
    data = {"points": pts, "grid": list(f.get("expected", [])), "limits": limits}
    return _chart(fu, "funnel", data), hidden


def km_curves(fu: FollowUp) -> str | None:
    lang = fu.settings.lang
    curves = fu.charts.get("km", {})
    if not curves:
        return None
    city = "Hela staden" if lang == "sv" else "Whole city"
    rows = []
    for area, pts in curves.items():
        label = city if area == TOTAL else fu.name(area)
        rows.extend({"time": float(p["day"]), "survival": float(p["survival"]) / 100, "group": label} for p in pts)
    return _chart(fu, "km_curves", {"rows": rows, "city": city})


def trend_chart(fu: FollowUp) -> tuple[str, list[str]]:
    lang = fu.settings.lang
    rows = [{"year": r["year"], "rate": r["rate"], "lower": r["lower"], "upper": r["upper"], "group": fu.name(r["area"])}
            for r in fu.charts.get("trend", [])]
    have = {(r["area"], r["year"]) for r in fu.charts.get("trend", [])}
    hidden = [f"{fu.name(a)} {y}" for a in [*[f"region:{r}" for r in fu.regions], TOTAL]
              for y in range(fu.first_year, fu.year + 1) if (a, str(y)) not in have]
    return _chart(fu, "trend_chart", {"rows": rows}), hidden
