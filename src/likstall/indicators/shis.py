"""Question 3a — SHIS and referral pathways: who refers to SHIS (RVT or ekonomiskt bistånd), SHIS
use per district."""

from __future__ import annotations

from .. import stats as S
from ..disclosure.keys import TOTAL
from .base import Row, count_cells, indicator
from .dims import REFERRERS
from .overview import sb_key


def shis_key(ctx, a, **kw):
    return ctx.key("placements", district=a, placement_type="shis", **kw)


@indicator("shis_by_referrer", "shis", "count", "placements", ("district", "referring_unit"),
           varying="referring_unit", row_total=TOTAL)
def shis_by_referrer(ctx):
    return count_cells(ctx, ctx.inputs.get("placements"), "placements",
                       {"district": ctx.all_rows, "referring_unit": [*REFERRERS, TOTAL]},
                       {"year": ctx.year, "placement_type": "shis"})


@indicator("shis_per_100_sb", "shis", "derived", "shis_per_100_sb", ("district",), finding="shis",
           tests=("tests/stats/test_intervals_reference.py",))
def shis_per_100_sb(ctx):
    rows = []
    for a in ctx.areas:
        counts = (shis_key(ctx, a), sb_key(ctx, a))
        s, b = ctx.v(counts[0]), ctx.v(counts[1])
        if b == 0:
            rows.append(Row({"district": a}, counts, None))
            continue
        e = S.rate(s, b, per=100, conf=ctx.conf, unit="per 100 placeringar i skyddat boende")
        rows.append(Row({"district": a}, counts, e.value, e.lower, e.upper))
    return rows


@indicator("shis_share_rvt", "shis", "derived", "shis_share_rvt", ("district",), finding="shis_pathway",
           tests=("tests/stats/test_intervals_reference.py",))
def shis_share_rvt(ctx):
    rows = []
    for a in ctx.areas:
        rvt, tot = shis_key(ctx, a, referring_unit="rvt"), shis_key(ctx, a)
        n = ctx.v(tot)
        # The complement (every other referrer) is total − rvt: protected as a hidden sum (C6).
        if n == 0:
            rows.append(Row({"district": a}, (rvt, tot), None))
            continue
        e = S.proportion(ctx.v(rvt), n, conf=ctx.conf)
        rows.append(Row({"district": a}, (rvt, tot), e.value, e.lower, e.upper))
    return rows
