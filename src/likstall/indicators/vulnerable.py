"""Question 5 — are especially vulnerable groups reached? The share of known victims who are 65+,
have a disability, need an interpreter, or were asked the FREDA questions, against the population."""

from __future__ import annotations

from .. import stats as S
from ..disclosure.keys import TOTAL
from .base import Row, count_cells, indicator
from .overview import area_sum, victims_frame

FLAGS = ("disability", "interpreter_needed", "freda_screening", "freda_risk_assessment")


def _flag_table(ctx, flag):
    v = victims_frame(ctx)
    frame = v.assign(**{flag: "ja"}, n=v[flag])
    rest = v.assign(**{flag: "nej"}, n=v["n"] - v[flag])
    import pandas as pd

    return count_cells(ctx, pd.concat([frame, rest], ignore_index=True), "known_victims",
                       {"district": ctx.all_rows, flag: ["ja", "nej", TOTAL]}, {"year": ctx.year})


for _flag in FLAGS:
    indicator(f"victims_{_flag}", "vulnerable", "count", "known_victims", ("district", _flag), varying=_flag,
              row_total=TOTAL)(lambda ctx, _f=_flag: _flag_table(ctx, _f))


def _share(ctx, num_key, total_key, complement_key=None):
    rows = []
    for a in ctx.areas:
        k, n = num_key(a), total_key(a)
        counts = (k, n) if complement_key is None else (k, complement_key(a), n)
        if ctx.v(n) == 0:
            rows.append(Row({"district": a}, counts, None))
            continue
        e = S.proportion(ctx.v(k), ctx.v(n), conf=ctx.conf)
        rows.append(Row({"district": a}, counts, e.value, e.lower, e.upper))
    return rows


def _vk(ctx, a, **kw):
    return ctx.key("known_victims", district=a, **kw)


@indicator("share_65plus", "vulnerable", "derived", "share_65plus", ("district",), finding="vulnerable",
           tests=("tests/stats/test_intervals_reference.py",))
def share_65plus(ctx):
    return _share(ctx, lambda a: _vk(ctx, a, age_band="65+"), lambda a: _vk(ctx, a))


for _flag, _id in (("disability", "share_disability"), ("interpreter_needed", "share_interpreter"),
                   ("freda_screening", "share_freda_screening"), ("freda_risk_assessment", "share_freda_risk")):
    indicator(_id, "vulnerable", "derived", _id, ("district",), finding="vulnerable",
              tests=("tests/stats/test_intervals_reference.py",))(
        lambda ctx, _f=_flag: _share(ctx, lambda a: _vk(ctx, a, **{_f: "ja"}), lambda a: _vk(ctx, a),
                                     lambda a: _vk(ctx, a, **{_f: "nej"})))


@indicator("pop_share_65plus", "vulnerable", "derived", "pop_share_65plus", ("district",),
           tests=("tests/stats/test_intervals_reference.py",))
def pop_share_65plus(ctx):
    pop = ctx.population()
    p65 = pop[pop["age_band"].isin(["65-79", "80+"])].groupby("district")["count"].sum()
    p18 = pop[pop["age_band"] != "0-17"].groupby("district")["count"].sum()
    rows = []
    for a in ctx.areas:
        d = area_sum(ctx, p18, a)
        rows.append(Row({"district": a}, (), 100 * area_sum(ctx, p65, a) / d if d else None))
    return rows
