"""The report's charts in Swedish: sv-SE numbers, texts that fit, WCAG AA contrast, intervals where promised."""

from __future__ import annotations

import re

import pytest

from likstall.render import helper
from likstall.render.chart_specs import BLACK, WHITE, contrast, spec, text_on, tile_colours

TEXT_RE = re.compile(r'<text([^>]*)>([^<]*)</text>')
GROUP_RE = re.compile(r'<g class="mark-text role-axis-label"[^>]*>(.*?)</g>', re.S)


@pytest.fixture(scope="module")
def svgs(demo_out):
    html = (demo_out / "uppfoljning-2021.html").read_text(encoding="utf-8")
    found = re.findall(r"<svg.*?</svg>", html, re.S)
    assert len(found) == 4
    return dict(zip(("tile_map", "funnel", "km_curves", "trend_chart"), found))


def tile_fills(svg: str) -> dict[str, str]:
    """Each drawn tile's description (name: label) → its fill colour, from the SVG."""
    return dict(re.findall(r'<path aria-label="([^"]*)" role="graphics-symbol" aria-roledescription="rect mark"'
                           r'[^>]*fill="(#[0-9a-f]{6})"', svg))


def texts(svg: str) -> list[tuple[str, str]]:
    return [(attrs, t) for attrs, t in TEXT_RE.findall(svg)]


def attr(attrs: str, name: str) -> str:
    m = re.search(rf'{name}="([^"]*)"', attrs)
    return m.group(1) if m else ""


def test_numbers_are_swedish(svgs):
    for kind, svg in svgs.items():
        for _, t in texts(svg):
            assert not re.search(r"\d\.\d", t), (kind, t)  # 1,4 not 1.4
            assert not re.search(r"\d%", t), (kind, t)  # 100 % with its space
    km = [t for _, t in texts(svgs["km_curves"])]
    assert "100\u00a0%" in km and "50\u00a0%" not in km and "20\u00a0%" in km
    funnel = [t for _, t in texts(svgs["funnel"])]
    assert "1,0" in funnel and "0,5" in funnel


def test_thousands_use_a_space_in_swedish():
    rows = [{"expected": e, "ratio": 1.0, "name": "A"} for e in (100.0, 12000.0)]
    svg = helper.chart_svg("funnel", {"points": rows, "grid": [], "limits": []}, "sv")
    labels = [t for _, t in texts(svg)]
    assert "10\u00a0000" in labels and not [t for t in labels if re.search(r"\d,\d{3}\b", t)]
    en = [t for _, t in texts(helper.chart_svg("funnel", {"points": rows, "grid": [], "limits": []}, "en"))]
    assert "10,000" in en


def test_no_text_is_cut_and_the_legend_title_is_whole(svgs):
    for kind, svg in svgs.items():
        assert "…" not in "".join(t for _, t in texts(svg)), kind
    tile_texts = [t for _, t in texts(svgs["tile_map"])]
    assert "per 10 000 invånare" in tile_texts
    # the classes written out, first and last open-ended (no bare thresholds crowding one bar)
    classes = [t for t in tile_texts if re.fullmatch(r"under \d+,\d|\d+,\d–\d+,\d|\d+,\d och mer", t)]
    assert len(classes) == 5 and classes[0].startswith("under ") and classes[-1].endswith(" och mer")


def _extent(attrs: str, t: str) -> tuple[float, float, float]:
    x, y = map(float, re.search(r"translate\(([-\d.e]+),([-\d.e]+)\)", attrs).groups())
    size = float(attr(attrs, "font-size").rstrip("px"))
    width = 0.62 * size * len(t)  # DejaVu/sans digits are ≈ 0,6 em wide: an upper bound for these labels
    anchor = attr(attrs, "text-anchor") or "start"
    left = {"start": x, "middle": x - width / 2, "end": x - width}[anchor]
    return left, left + width, y


def test_axis_labels_do_not_overlap(svgs):
    checked = 0
    for kind, svg in svgs.items():
        for group in GROUP_RE.findall(svg):
            labels = [_extent(a, t) for a, t in texts(group) if 'opacity="0"' not in a]
            if len({round(y) for *_, y in labels}) == 1:  # a horizontal axis: left to right
                labels.sort()
                for (l1, r1, _), (l2, r2, _) in zip(labels, labels[1:]):
                    assert r1 <= l2, (kind, l1, r1, l2)
                    checked += 1
            else:  # a vertical axis: at least one line apart
                ys = sorted(y for *_, y in labels)
                assert all(b - a >= 11 for a, b in zip(ys, ys[1:])), (kind, ys)
                checked += 1
    assert checked > 20


def test_every_text_has_aa_contrast(svgs):
    for kind, svg in svgs.items():
        if kind == "tile_map":
            continue
        for attrs, t in texts(svg):
            assert contrast(attr(attrs, "fill") or "#000000", WHITE) >= 4.5, (kind, t)


def data_of(spec) -> list[list[dict]]:
    """Every data set in a Vega-Lite spec: top-level `datasets` and inline `{"values": [...]}` anywhere."""
    out = list(spec.get("datasets", {}).values()) if isinstance(spec, dict) else []

    def walk(x):
        if isinstance(x, dict):
            if isinstance(x.get("values"), list) and x["values"] and isinstance(x["values"][0], dict):
                out.append(x["values"])
            for v in x.values():
                walk(v)
        elif isinstance(x, list):
            for v in x:
                walk(v)
    walk(spec)
    return out


def test_tile_labels_contrast_with_their_own_tile(demo_fu):
    from likstall.render import charts

    rows = []
    # the rows charts.py hands over, taken from the published cells
    orig = charts._chart  # the rows go there whether the release has the chart drawn or not
    charts._chart = lambda fu, kind, data: rows.extend(data["rows"]) or ""
    try:
        charts.tile_map(demo_fu)
    finally:
        charts._chart = orig
    s = spec("tile_map", {"rows": rows}, "sv")
    values = next(d for d in data_of(s) if d and "ink" in d[0])
    assert {v["ink"] for v in values} == {BLACK, WHITE}  # dark tiles get white text, light ones black
    for v in values:
        assert contrast(v["fill"], v["ink"]) >= 4.5, v
    # and the SVG draws exactly these colours: every tile's fill and both of its labels' fills
    svg = helper.vegalite_to_svg(s)
    assert tile_fills(svg) == {v["description"]: v["fill"] for v in values}
    inks = [attr(a, "fill") for a, t in texts(svg) if t in {v["name"] for v in values} | {v["label"] for v in values}]
    assert sorted(inks) == sorted([v["ink"] for v in values] * 2)


def test_text_colour_choice_reaches_aa_on_every_class_colour():
    for fill in ("#eff3ff", "#bdd7e7", "#6baed6", "#3182bd", "#08519c", "#d9d9d9", "#2b6cb0"):
        assert contrast(fill, text_on(fill)) >= 4.5, fill
    # the WCAG formula itself: black on white is 21:1, #777 on white 4,48:1
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)


def test_suppressed_tiles_are_grey_and_classes_follow_the_values():
    rows = [{"col": i, "row": 0, "name": f"D{i}", "value": v, "label": ".." if v is None else str(v)}
            for i, v in enumerate([1.0, 2.0, None, 3.0, 4.0, 5.0, 6.0])]
    cuts, colours, fills = tile_colours(rows)
    assert cuts == sorted(cuts) and len(cuts) == 4 and len(colours) == 5
    assert fills[2] == "#d9d9d9" and fills[0] == colours[0] and fills[-1] == colours[-1]
    svg = helper.chart_svg("tile_map", {"rows": rows}, "sv")
    assert tile_fills(svg) == {f"D{i}: {r['label']}": f for i, (r, f) in enumerate(zip(rows, fills))}


def test_the_trend_axis_promises_intervals_only_when_they_are_drawn(svgs):
    plain = [t for _, t in texts(svgs["trend_chart"])]
    if "area mark" not in svgs["trend_chart"]:
        assert not [t for t in plain if "KI" in t]
    rows = [{"year": str(y), "rate": 4.0 + i / 10, "lower": 3.0 + i / 10, "upper": 5.0 + i / 10, "group": g}
            for g in ("Hela staden", "RVC City") for i, y in enumerate(range(2015, 2022))]
    svg = helper.chart_svg("trend_chart", {"rows": rows}, "sv")
    assert "per 10 000 invånare (95 % KI, skuggat)" in [t for _, t in texts(svg)]
    assert svg.count('aria-roledescription="area mark"') == 2  # one band per group
    without = [{k: v for k, v in r.items() if k not in ("lower", "upper")} for r in rows]
    svg = helper.chart_svg("trend_chart", {"rows": without}, "sv")
    assert "area mark" not in svg and not [t for _, t in texts(svg) if "KI" in t]


def test_a_release_keeps_its_charts_drawn_from_its_own_values(demo_fu):
    """A release made now has its charts drawn (content["svg"]); they are the drawing of its own chart values."""
    from likstall.render import charts
    from likstall.release.content import Release

    assert set(demo_fu.content["svg"]) == {"sv", "en"}
    bare = Release({k: v for k, v in demo_fu.content.items() if k != "svg"})
    assert not charts.has_stored_svgs(bare)
    norm = lambda svg: re.sub(r"clip\d+", "clipN", re.sub(r"gradient_\d+", "gradient_N", str(svg)))  # noqa: E731
    assert norm(charts.tile_map(demo_fu)[0]) == norm(charts.tile_map(bare)[0])
    assert norm(charts.trend_chart(demo_fu)[0]) == norm(charts.trend_chart(bare)[0])


def test_every_chart_a_release_draws_is_valid_vega_lite(demo_released, monkeypatch):
    """The release draws its charts without the schema check (chart_specs.spec); here each one it draws,
    in both languages, is checked against the Vega-Lite schema."""
    import altair as alt
    import jsonschema

    from likstall.render import charts
    from likstall.release import load_release

    drawn = []
    real = helper.chart_svg
    monkeypatch.setattr(helper, "chart_svg", lambda kind, data, lang: drawn.append((kind, data, lang)) or real(kind, data, lang))
    content = {k: v for k, v in load_release(demo_released, 2021).content.items() if k != "svg"}  # draw anew
    charts.release_svgs(content)
    assert {k for k, _, _ in drawn} == {"tile_map", "funnel", "trend_chart", "km_curves"}
    assert {lang for _, _, lang in drawn} == {"sv", "en"}
    for kind, data, lang in drawn:
        spec(kind, data, lang, validate=True)  # raises on a spec the schema refuses
    with pytest.raises(jsonschema.ValidationError):  # and the check can fail
        alt.Chart(alt.Data(values=[{"x": 1}])).mark_point().encode(x="x:Q").properties(width="wide").to_dict()
