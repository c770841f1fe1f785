"""Vega-Lite specifications (Altair) for the report's charts, from plain rows.

The rows come from `charts.py`, which takes them from the FollowUp's published cells only; this
module just draws. It is kept apart so that the drawing — Altair and vl-convert — can run in the
report's helper process (render/helper.py) and the main process never imports Altair. The rows go to
Altair as inline values, not data frames: pandas cost the helper ≈ 0,6 s of import per report.

Swedish charts read as Swedish text does: the spec carries the sv-SE number locale (decimal comma,
a non-breaking space between thousands as in the tables, and "100 %" with the space), so every axis,
legend and label formats like the report. Every text is dark on white, or on a tile map white or
black by the tile's own colour, whichever gives the higher contrast (≥ 4,5:1, WCAG AA); the tile
colours are fixed classes computed here so that the contrast can be checked from the spec.
"""

from __future__ import annotations

import math

import altair as alt

from .i18n import t

BLUE = "#2b6cb0"
TEXT = "#1a1a1a"  # 17:1 on white
WHITE = "#ffffff"
BLACK = "#000000"  # on a tile: white or black always reaches ≥ 4,58:1 (√21), a dark grey not always
NO_VALUE = "#d9d9d9"  # a tile whose value is suppressed
# ColorBrewer Blues, 5 classes (light to dark): sequential, no judgement in the colour.
TILE_CLASSES = ["#eff3ff", "#bdd7e7", "#6baed6", "#3182bd", "#08519c"]

# d3-format locales. sv-SE as vl-convert ships it (decimal comma, U+00A0 thousands, as fmt.py's Babel
# output), plus the per-cent sign with its space: "100 %".
FORMAT_LOCALE = {
    "sv": {"decimal": ",", "thousands": "\u00a0", "grouping": [3], "currency": ["", "\u00a0kr"], "percent": "\u00a0%"},
    "en": {"decimal": ".", "thousands": ",", "grouping": [3], "currency": ["£", ""]},
}


def spec(kind: str, data: dict, lang: str, *, validate: bool = False) -> dict:
    """The chart's Vega-Lite specification. Not validated against the Vega-Lite schema by default: the
    specs are this module's code, not input, and the check cost ≈ 0,6 s of jsonschema per release
    (eight charts); tests/report/test_charts.py validates every chart a release draws."""
    out = _base_config(DRAW[kind](data, lang), lang).to_dict(validate=validate)
    out["description"] = DESCRIBE[kind](data, lang)
    return out


def with_title(svg: str, text: str) -> str:
    """The SVG with a <title> as its first child: the chart's text alternative, read by screen readers
    in the HTML and used by WeasyPrint as the Alt text of the Figure in the tagged PDF."""
    import html

    end = svg.index(">", svg.index("<svg")) + 1
    return f"{svg[:end]}<title>{html.escape(text, quote=False)}</title>{svg[end:]}"


def _dec(x: float, decimals: int, lang: str) -> str:
    text = f"{x:.{decimals}f}"
    return text.replace(".", ",") if lang == "sv" else text


def _describe_tiles(data: dict, lang: str) -> str:
    values = ", ".join(f"{r['name']} {r['label']}" for r in data["rows"])
    return f"{t('map', lang)}: {values}."


def _describe_funnel(data: dict, lang: str) -> str:
    ratios = ", ".join(f"{p['name']} {_dec(p['ratio'], 2, lang)}" for p in data["points"])
    lead = "observerat/förväntat per stadsdel" if lang == "sv" else "observed/expected by district"
    return f"{t('funnel', lang)}. {lead.capitalize()}: {ratios}."


def _describe_with_table(key: str):
    def describe(data: dict, lang: str) -> str:
        rest = "Värdena står i tabellen under diagrammet." if lang == "sv" else "The values are in the table below the chart."
        return f"{t(key, lang)}. {rest}"
    return describe


def _base_config(chart, lang: str):
    # One configure() call: a later configure(...) would replace what configure_axis() etc. had set.
    return chart.configure(
        locale={"number": FORMAT_LOCALE.get(lang, FORMAT_LOCALE["en"])},
        view={"stroke": None},
        axis={"labelFontSize": 11, "titleFontSize": 11, "labelColor": TEXT, "titleColor": TEXT,
              "labelOverlap": True, "labelFlush": True},
        legend={"labelColor": TEXT, "titleColor": TEXT, "labelFontSize": 11, "titleFontSize": 11,
                "titleLimit": 0, "labelLimit": 0},  # 0: never cut a legend text ("per 10 000 invånare" in full)
        title={"fontSize": 13, "anchor": "start", "color": TEXT, "limit": 0},
    )


# --- contrast (WCAG 2.x) ------------------------------------------------------------------------------

def luminance(hex_colour: str) -> float:
    """Relative luminance of an sRGB colour '#rrggbb' (WCAG 2.x)."""
    h = hex_colour.lstrip("#")
    rgb = [int(h[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast(a: str, b: str) -> float:
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def text_on(fill: str) -> str:
    """White or black text, whichever contrasts more with `fill`: the two ratios multiply to 21, so the
    larger is at least √21 ≈ 4,58 — AA for any fill."""
    return WHITE if contrast(WHITE, fill) >= contrast(BLACK, fill) else BLACK


# --- charts --------------------------------------------------------------------------------------------

def _classes(values: list[float]) -> list[float]:
    """Four thresholds for five classes: quintiles of the shown values, rounded to one decimal and
    kept strictly increasing (equal values would leave a class with no tiles and a legend of repeats)."""
    s = sorted(float(v) for v in values)
    cuts = []
    for q in (0.2, 0.4, 0.6, 0.8):
        c = round(_quantile(s, q), 1)
        if not cuts or c > cuts[-1]:
            cuts.append(c)
    return cuts


def _quantile(s: list[float], q: float) -> float:
    """The q-quantile of sorted values with linear interpolation (pandas' and numpy's default)."""
    pos = (len(s) - 1) * q
    lo = math.floor(pos)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (pos - lo)


def _data(rows: list[dict]) -> alt.Data:
    return alt.Data(values=[dict(r) for r in rows])


def _palette(k: int) -> list[str]:
    """k classes spread over the five blues (light to dark)."""
    if k <= 1:
        return [TILE_CLASSES[2]]
    return [TILE_CLASSES[round(i * (len(TILE_CLASSES) - 1) / (k - 1))] for i in range(k)]


def tile_colours(rows: list[dict]) -> tuple[list[float], list[str], list[str]]:
    """The tile map's thresholds, its class colours and each row's tile colour (grey where no value is shown)."""
    shown = [r["value"] for r in rows if r["value"] is not None]
    cuts = _classes(shown) if shown else []
    colours = _palette(len(cuts) + 1)
    fills = []
    for r in rows:
        if r["value"] is None:
            fills.append(NO_VALUE)
        else:
            fills.append(colours[sum(r["value"] >= c for c in cuts)])
    return cuts, colours, fills


def class_labels(cuts: list[float], lang: str) -> list[str]:
    """'under 1,4', '1,4–2,3', …, '8,2 och mer' for the classes between the thresholds."""
    if not cuts:
        return []
    d = [_dec(c, 1, lang) for c in cuts]
    under, over = ("under", "och mer") if lang == "sv" else ("under", "and over")
    return [f"{under} {d[0]}", *[f"{a}–{b}" for a, b in zip(d, d[1:])], f"{d[-1]} {over}"]


def tile_map(data: dict, lang: str):
    rows = [dict(r) for r in data["rows"]]
    cuts, colours, fills = tile_colours(rows)
    for r, fill in zip(rows, fills):
        r["fill"], r["ink"] = fill, text_on(fill)
        r["description"] = f"{r['name']}: {r['label']}"
    base = alt.Chart(_data(rows)).encode(x=alt.X("col:O", axis=None), y=alt.Y("row:O", axis=None))
    # Each tile is filled with the colour computed above (`fill`), so that the label's contrast is
    # checked against exactly what is drawn; the text colour per tile (`ink`) is in the data too.
    rect = base.mark_rect(stroke="white", strokeWidth=3).encode(
        description="description:N", fill=alt.Fill("fill:N", scale=None, legend=None))
    name = base.mark_text(dy=-8, fontSize=9, aria=False).encode(text="name:N", fill=alt.Fill("ink:N", scale=None, legend=None))
    val = base.mark_text(dy=8, fontSize=12, fontWeight="bold", aria=False).encode(
        text="label:N", fill=alt.Fill("ink:N", scale=None, legend=None))
    tiles = alt.layer(rect, name, val).properties(width=110 * 5, height=70 * 4, title=t("map", lang))
    return alt.vconcat(tiles, _class_legend(cuts, colours, any(f == NO_VALUE for f in fills), lang), spacing=6)


def _class_legend(cuts: list[float], colours: list[str], suppressed: bool, lang: str):
    """The classes as a row of squares with their ranges written out (Vega's threshold legend puts the
    bare thresholds under one bar, where close ones overlap)."""
    items = [{"i": k, "fill": c, "label": lab} for k, (c, lab) in enumerate(zip(colours, class_labels(cuts, lang)))]
    if suppressed:
        items.append({"i": len(items), "fill": NO_VALUE, "label": ".. undertryckt" if lang == "sv" else ".. suppressed"})
    legend = alt.Chart(_data(items)).encode(x=alt.X("i:O", axis=None, scale=alt.Scale(paddingInner=0.05)))
    box = legend.mark_square(size=150, opacity=1, stroke="#94a3b8", strokeWidth=0.5, xOffset=-36, aria=False).encode(
        y=alt.value(9), fill=alt.Fill("fill:N", scale=None, legend=None))
    text = legend.mark_text(align="left", baseline="middle", dx=-26, fontSize=10, color=TEXT, aria=False).encode(
        y=alt.value(9), text="label:N")
    title = "per 10 000 invånare" if lang == "sv" else "per 10,000 inhabitants"
    return alt.layer(box, text).properties(width=110 * 5, height=18, title=alt.Title(
        title, fontSize=11, fontWeight="bold", anchor="start"))


def funnel(data: dict, lang: str):
    layers = []
    grid = data["grid"]
    # The limits rise steeply at small expected counts; the axis follows the points, the lines are clipped.
    ratios = [p["ratio"] for p in data["points"]] or [1.0]
    top = max(2.0, math.ceil(1.25 * max(ratios) * 2) / 2)
    y_scale = alt.Scale(domain=[0, top], nice=False)
    for lower, upper, dash in data["limits"]:
        lines = [{"expected": e, "limit": v, "side": side}
                 for e, v, side in zip(grid * 2, lower + upper, ["lower"] * len(grid) + ["upper"] * len(grid))]
        layers.append(alt.Chart(_data(lines)).mark_line(color="#888", strokeDash=dash, clip=True).encode(
            x="expected:Q", y=alt.Y("limit:Q", scale=y_scale), detail="side:N"))
    target = alt.Chart(_data([{"y": 1.0}])).mark_rule(color="#444").encode(y="y:Q")
    pts = _data(data["points"])
    points = alt.Chart(pts).mark_circle(size=70, color=BLUE).encode(
        x=alt.X("expected:Q", title="förväntat antal" if lang == "sv" else "expected count",
                axis=alt.Axis(tickCount=8)),
        y=alt.Y("ratio:Q", title="observerat/förväntat" if lang == "sv" else "observed/expected",
                axis=alt.Axis(format=".1f", tickCount=6), scale=y_scale))
    labels = alt.Chart(pts).mark_text(dx=6, align="left", fontSize=9, color=TEXT).encode(
        x="expected:Q", y="ratio:Q", text="name:N")
    return alt.layer(*layers, target, points, labels).properties(width=520, height=300, title=t("funnel", lang))


def km_curves(data: dict, lang: str):
    city = data["city"]
    return alt.Chart(_data(data["rows"])).mark_line(interpolate="step-after").encode(
        x=alt.X("time:Q", title="dygn" if lang == "sv" else "days", scale=alt.Scale(domain=[0, 180], clamp=True),
                axis=alt.Axis(values=[0, 30, 60, 90, 120, 150, 180])),
        y=alt.Y("survival:Q", title="andel kvar" if lang == "sv" else "share remaining",
                axis=alt.Axis(format=".0%", values=[0, 0.2, 0.4, 0.6, 0.8, 1.0])),
        color=alt.Color("group:N", scale=alt.Scale(scheme="tableau10"), title=None),
        strokeDash=alt.condition(f"datum.group === '{city}'", alt.value([1, 0]), alt.value([4, 2])),
    ).properties(width=520, height=280, title=t("km", lang))


def has_intervals(rows: list[dict]) -> bool:
    return bool(rows) and all(r.get("lower") is not None and r.get("upper") is not None for r in rows)


def trend_chart(data: dict, lang: str):
    """Rates per group and year; with `lower`/`upper` in every row the 95 % interval is drawn as a band
    and the axis says so — without them the axis promises no interval."""
    rows = data["rows"]
    intervals = has_intervals(rows)
    unit = "per 10 000 invånare" if lang == "sv" else "per 10,000 inhabitants"
    title = f"{unit} ({'95 % KI, skuggat' if lang == 'sv' else '95% CI, shaded'})" if intervals else unit
    df = _data(rows)
    colour = alt.Color("group:N", scale=alt.Scale(scheme="tableau10"), title=None)
    x = alt.X("year:O", title=None, axis=alt.Axis(labelAngle=0))
    line = alt.Chart(df).mark_line(point=True).encode(x=x, y=alt.Y("rate:Q", title=title), color=colour)
    layers = [line]
    if intervals:
        band = alt.Chart(df).mark_area(opacity=0.15).encode(x=x, y=alt.Y("lower:Q", title=title), y2="upper:Q",
                                                              color=colour)
        layers.insert(0, band)
    return alt.layer(*layers).properties(width=520, height=260, title=t("trend_chart", lang))


DRAW = {"tile_map": tile_map, "funnel": funnel, "km_curves": km_curves, "trend_chart": trend_chart}
DESCRIBE = {"tile_map": _describe_tiles, "funnel": _describe_funnel, "km_curves": _describe_with_table("km"),
            "trend_chart": _describe_with_table("trend_chart")}
