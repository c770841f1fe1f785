"""Vega-Lite specifications (Altair) for the report's charts, from plain rows.

The rows come from `charts.py`, which takes them from the FollowUp's published cells only; this
module just draws. It is kept apart so that the drawing — Altair and vl-convert — can run in the
report's helper process (render/helper.py) and the main process never imports Altair.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from .i18n import t

BLUE = "#2b6cb0"


def spec(kind: str, data: dict, lang: str) -> dict:
    return _base_config(DRAW[kind](data, lang)).to_dict()


def _base_config(chart):
    return chart.configure_view(stroke=None).configure_axis(labelFontSize=11, titleFontSize=11) \
        .configure_title(fontSize=13, anchor="start")


def tile_map(data: dict, lang: str):
    df = pd.DataFrame(data["rows"])
    base = alt.Chart(df).encode(x=alt.X("col:O", axis=None), y=alt.Y("row:O", axis=None))
    rect = base.mark_rect(stroke="white", strokeWidth=3).encode(
        color=alt.condition("datum.value === null", alt.value("#d9d9d9"),
                            alt.Color("value:Q", scale=alt.Scale(scheme="blues"),
                                      legend=alt.Legend(title="per 10 000" if lang == "sv" else "per 10,000"))))
    name = base.mark_text(dy=-8, fontSize=9).encode(text="name:N")
    val = base.mark_text(dy=8, fontSize=12, fontWeight="bold").encode(text="label:N")
    return (rect + name + val).properties(width=110 * 5, height=70 * 4, title=t("map", lang))


def funnel(data: dict, lang: str):
    layers = []
    grid = data["grid"]
    for lower, upper, dash in data["limits"]:
        lines = pd.DataFrame({"expected": grid * 2, "limit": lower + upper,
                              "side": ["lower"] * len(grid) + ["upper"] * len(grid)})
        layers.append(alt.Chart(lines).mark_line(color="#888", strokeDash=dash).encode(
            x="expected:Q", y="limit:Q", detail="side:N"))
    target = alt.Chart(pd.DataFrame({"y": [1.0]})).mark_rule(color="#444").encode(y="y:Q")
    pts = pd.DataFrame(data["points"])
    points = alt.Chart(pts).mark_circle(size=70, color=BLUE).encode(
        x=alt.X("expected:Q", title="förväntat antal" if lang == "sv" else "expected count"),
        y=alt.Y("ratio:Q", title="observerat/förväntat" if lang == "sv" else "observed/expected"))
    labels = alt.Chart(pts).mark_text(dx=6, align="left", fontSize=9).encode(
        x="expected:Q", y="ratio:Q", text="name:N")
    return alt.layer(*layers, target, points, labels).properties(width=520, height=300, title=t("funnel", lang))


def km_curves(data: dict, lang: str):
    city = data["city"]
    return alt.Chart(pd.DataFrame(data["rows"])).mark_line(interpolate="step-after").encode(
        x=alt.X("time:Q", title="dygn" if lang == "sv" else "days", scale=alt.Scale(domain=[0, 180], clamp=True)),
        y=alt.Y("survival:Q", title="andel kvar" if lang == "sv" else "share remaining", axis=alt.Axis(format="%")),
        color=alt.Color("group:N", scale=alt.Scale(scheme="tableau10"), title=None),
        strokeDash=alt.condition(f"datum.group === '{city}'", alt.value([1, 0]), alt.value([4, 2])),
    ).properties(width=520, height=280, title=t("km", lang))


def trend_chart(data: dict, lang: str):
    return alt.Chart(pd.DataFrame(data["rows"])).mark_line(point=True).encode(
        x=alt.X("year:O", title=None), y=alt.Y("rate:Q", title=t("per_10000", lang)),
        color=alt.Color("group:N", scale=alt.Scale(scheme="tableau10"), title=None),
    ).properties(width=520, height=260, title=t("trend_chart", lang))


DRAW = {"tile_map": tile_map, "funnel": funnel, "km_curves": km_curves, "trend_chart": trend_chart}
