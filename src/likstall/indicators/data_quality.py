"""Question 6b — data quality: cases opened in the year without birth year, target group, handling
unit or known sex, and cases registered late (after the first export that covered their date)."""

from __future__ import annotations

import pandas as pd

from .. import stats as S
from ..disclosure.keys import TOTAL
from .base import Row, count_cells, indicator

FIELDS = {"missing_age_band": "age_band", "missing_target_group": "target_group",
          "missing_handling_unit": "handling_unit", "missing_sex": "sex"}


def _yes_no(ctx, frame: pd.DataFrame, dim: str, yes_col: str) -> dict:
    yes = frame.assign(**{dim: "ja"}, n=frame[yes_col])
    no = frame.assign(**{dim: "nej"}, n=frame["cases"] - frame[yes_col])
    return count_cells(ctx, pd.concat([yes, no], ignore_index=True), "cases",
                       {"district": ctx.all_rows, dim: ["ja", "nej", TOTAL]}, {"year": ctx.year})


for _dim, _col in FIELDS.items():
    indicator(f"cases_{_dim}", "data_quality", "count", "cases", ("district", _dim), varying=_dim, row_total=TOTAL)(
        lambda ctx, _d=_dim, _c=_col: _yes_no(ctx, ctx.inputs.get("missing_fields"), _d, _c))


@indicator("cases_late", "data_quality", "count", "cases", ("district", "late"), varying="late", row_total=TOTAL)
def cases_late(ctx):
    return _yes_no(ctx, ctx.inputs.get("late_registrations"), "late", "late")


def _share_rows(ctx, dim):
    rows = []
    for a in ctx.areas:
        yes = ctx.key("cases", district=a, **{dim: "ja"})
        no = ctx.key("cases", district=a, **{dim: "nej"})
        tot = ctx.key("cases", district=a)
        n = ctx.v(tot)
        if n == 0:
            rows.append(Row({"district": a}, (yes, no, tot), None))
            continue
        e = S.proportion(ctx.v(yes), n, conf=ctx.conf)
        rows.append(Row({"district": a}, (yes, no, tot), e.value, e.lower, e.upper))
    return rows


for _dim in FIELDS:
    indicator(_dim, "data_quality", "derived", _dim, ("district",),
              tests=("tests/stats/test_intervals_reference.py",))(lambda ctx, _d=_dim: _share_rows(ctx, _d))

indicator("late_registrations", "data_quality", "derived", "late_registrations", ("district",),
          tests=("tests/stats/test_intervals_reference.py",))(lambda ctx: _share_rows(ctx, "late"))
