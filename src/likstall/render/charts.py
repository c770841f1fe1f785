"""Charts as Vega-Lite specs (Altair) rendered to SVG offline with vl-convert.

Every mark is a published cell of the FollowUp; a suppressed value is not drawn, and the chart's
caption says which and why. Colours carry no judgement: one sequential blue scale, and
higher/lower rather than good/bad.
"""

from __future__ import annotations

import altair as alt
import pandas as pd
import vl_convert as vlc

from ..disclosure.cells import TOTAL
from ..followup.build import FollowUp
from . import helper
from .i18n import t

# Approximate positions of Stockholm's 13 districts in a tile map (column, row): north-west to south-east.
STOCKHOLM_TILES = {
    "hasselby_vallingby": (0, 0), "spanga_tensta": (1, 0), "rinkeby_kista": (2, 0),
    "bromma": (1, 1), "kungsholmen": (2, 1), "norrmalm": (3, 1), "ostermalm": (4, 1),
    "hagersten_alvsjo": (1, 2), "sodermalm": (3, 2), "skarholmen": (0, 3),
    "enskede_arsta_vantor": (2, 3), "skarpnack": (4, 3), "farsta": (3, 3),
}
BLUE = "#2b6cb0"


def svg(chart: alt.Chart) -> str | helper.PendingSvg:
    """The chart as SVG; drawn in the report's helper process when one runs (render/helper.py)."""
    spec = chart.to_dict()
    return helper.PendingSvg(spec) if helper.active() else vlc.vegalite_to_svg(spec)


def _base_config(chart):
    return chart.configure_view(stroke=None).configure_axis(labelFontSize=11, titleFontSize=11) \
        .configure_title(fontSize=13, anchor="start")


def tile_map(fu: FollowUp) -> tuple[str, list[str]]:
    lang = fu.settings.lang
    rows, hidden = [], []
    n = len(fu.codes)
    for i, c in enumerate(fu.codes):
        col, row = STOCKHOLM_TILES.get(c, (i % 5, i // 5))
        cell = fu.publication.tables["rate_sb"].cell(district=c)
        if cell is None or not cell.published:
            hidden.append(fu.name(c))
            rows.append({"col": col, "row": row, "name": fu.name(c), "value": None, "label": ".."})
        else:
            rows.append({"col": col, "row": row, "name": fu.name(c), "value": cell.value,
                         "label": f"{cell.value:.1f}".replace(".", ",") if lang == "sv" else f"{cell.value:.1f}"})
    df = pd.DataFrame(rows)
    base = alt.Chart(df).encode(x=alt.X("col:O", axis=None), y=alt.Y("row:O", axis=None))
    rect = base.mark_rect(stroke="white", strokeWidth=3).encode(
        color=alt.condition("datum.value === null", alt.value("#d9d9d9"),
                            alt.Color("value:Q", scale=alt.Scale(scheme="blues"), legend=alt.Legend(title="per 10 000" if lang == "sv" else "per 10,000"))))
    name = base.mark_text(dy=-8, fontSize=9).encode(text="name:N")
    val = base.mark_text(dy=8, fontSize=12, fontWeight="bold").encode(text="label:N")
    chart = (rect + name + val).properties(width=110 * 5, height=70 * 4, title=t("map", lang))
    return svg(_base_config(chart)), hidden


def funnel(fu: FollowUp) -> tuple[str, list[str]]:
    lang = fu.settings.lang
    pts, hidden = [], []
    for c in fu.codes:
        cell = fu.publication.tables["sb_ratio_socio"].cell(district=c)
        if cell is None or not cell.published:
            hidden.append(fu.name(c))
            continue
        pts.append({"expected": fu.funnel["points"][c], "ratio": cell.value, "name": fu.name(c)})
    layers = []
    grid = fu.funnel.get("expected", [])
    for lv, dash in ((0.95, [4, 2]), (0.998, [1, 0])):
        if f"lower{lv}" not in fu.funnel:
            continue
        lines = pd.DataFrame({"expected": grid * 2, "limit": fu.funnel[f"lower{lv}"] + fu.funnel[f"upper{lv}"],
                              "side": ["lower"] * len(grid) + ["upper"] * len(grid)})
        layers.append(alt.Chart(lines).mark_line(color="#888", strokeDash=dash).encode(
            x="expected:Q", y="limit:Q", detail="side:N"))
    target = alt.Chart(pd.DataFrame({"y": [1.0]})).mark_rule(color="#444").encode(y="y:Q")
    points = alt.Chart(pd.DataFrame(pts)).mark_circle(size=70, color=BLUE).encode(
        x=alt.X("expected:Q", title="förväntat antal" if lang == "sv" else "expected count"),
        y=alt.Y("ratio:Q", title="observerat/förväntat" if lang == "sv" else "observed/expected"))
    labels = alt.Chart(pd.DataFrame(pts)).mark_text(dx=6, align="left", fontSize=9).encode(
        x="expected:Q", y="ratio:Q", text="name:N")
    chart = alt.layer(*layers, target, points, labels).properties(width=520, height=300, title=t("funnel", lang))
    return svg(_base_config(chart)), hidden


def km_curves(fu: FollowUp) -> str | None:
    lang = fu.settings.lang
    frames = []
    for name, tab in fu.curves.items():
        label = ("Hela staden" if lang == "sv" else "Whole city") if name == TOTAL else name
        frames.append(tab.assign(group=label))
    if not frames:
        return None
    df = pd.concat(frames)
    chart = alt.Chart(df).mark_line(interpolate="step-after").encode(
        x=alt.X("time:Q", title="dygn" if lang == "sv" else "days", scale=alt.Scale(domain=[0, 180], clamp=True)),
        y=alt.Y("survival:Q", title="andel kvar" if lang == "sv" else "share remaining", axis=alt.Axis(format="%")),
        color=alt.Color("group:N", scale=alt.Scale(scheme="tableau10"), title=None),
        strokeDash=alt.condition(f"datum.group === '{'Hela staden' if lang == 'sv' else 'Whole city'}'",
                                 alt.value([1, 0]), alt.value([4, 2])),
    ).properties(width=520, height=280, title=t("km", lang))
    return svg(_base_config(chart))


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
    chart = alt.Chart(pd.DataFrame(rows)).mark_line(point=True).encode(
        x=alt.X("year:O", title=None), y=alt.Y("rate:Q", title=t("per_10000", lang)),
        color=alt.Color("group:N", scale=alt.Scale(scheme="tableau10"), title=None),
    ).properties(width=520, height=260, title=t("trend_chart", lang))
    return svg(_base_config(chart)), hidden
