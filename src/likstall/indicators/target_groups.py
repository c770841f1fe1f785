"""Questions 3b and 4 — every target group in every district, and the support given to people with
experience of sex for compensation and of human trafficking: observed against the number expected
from each district's population and socio-economics, and the chance of seeing none."""

from __future__ import annotations

import math

import numpy as np

from .. import stats as S
from ..disclosure.keys import TOTAL
from .base import Context, Row, count_cells, indicator
from .dims import NAMED_TARGETS, SB, TARGET
from .overview import population_totals, victims_frame
from .placements import COVARIATES

FOCUS = ("sex_mot_ersattning", "manniskohandel")  # the statement's third question
# Support kind → (measure, fixed coordinates). Decisions by target group are not split: with the few
# persons per district in the focus groups, a decision per group and district would give each one away.
SUPPORT = {
    "applications": ("applications", {}),
    "sb": ("placements", {"placement_type": SB}),
    "shis": ("placements", {"placement_type": "shis"}),
}


def victims_tg_key(ctx, a, g):
    return ctx.key("known_victims", district=a, target_group=g)


def support_key(ctx, kind, a, g=TOTAL):
    measure, fixed = SUPPORT[kind]
    return ctx.key(measure, district=a, target_group=g, **fixed)


def expected_victims(ctx: Context, g: str) -> np.ndarray:
    """Expected known victims of group g per district: a Poisson GLM on population and socio-economics
    fitted without the district itself; the city's rate times the population where a model cannot be fitted."""
    key = ("expected_tg", g)
    if key in ctx.memo:
        return ctx.memo[key]
    codes = ctx.codes
    pop = population_totals(ctx)
    p = np.array([max(float(pop.get(c, 0)), 1.0) for c in codes])
    o = np.array([ctx.v(victims_tg_key(ctx, c, g)) for c in codes], dtype=float)
    e = o.sum() / p.sum() * p
    ctx.memo[("expected_tg_logvar", g)] = np.full(len(codes), 1.0 / max(o.sum(), 1.0))  # the city rate's
    socio = ctx.inputs.get("socioeconomics")
    covars = [c for c in COVARIATES if c in getattr(socio, "columns", [])]
    if covars and o.sum() >= 5 and len(codes) > len(covars) + 3:
        X = socio.set_index("district").reindex(codes)[covars]
        X = X.fillna(X.mean())
        try:
            fit = S.expected_from_model(o, p, X, family="poisson", leave_one_out=True)
            e = fit.expected_loo
            ctx.memo[("expected_tg_logvar", g)] = fit.expected_loo_logvar
        except (ValueError, np.linalg.LinAlgError):
            pass
    ctx.memo[key] = np.maximum(e, 0.0)
    return ctx.memo[key]


# ---- count tables ---------------------------------------------------------------------------------------

def _support_table(ctx, kind):
    measure, fixed = SUPPORT[kind]
    frame = ctx.inputs.get("applications" if measure == "applications" else "placements")
    return count_cells(ctx, frame, measure, {"district": ctx.all_rows, "target_group": [*TARGET, TOTAL]},
                       {"year": ctx.year, **fixed})


for _kind in SUPPORT:
    indicator(f"{_kind}_by_target", "target_groups", "count", SUPPORT[_kind][0], ("district", "target_group"),
              varying="target_group", row_total=TOTAL)(lambda ctx, _k=_kind: _support_table(ctx, _k))


# ---- derived --------------------------------------------------------------------------------------------

@indicator("target_group_expected", "target_groups", "derived", "target_group_expected",
           ("district", "target_group"), tests=("tests/stats/test_standardise_reference.py",))
def target_group_expected(ctx):
    rows = []
    for g in NAMED_TARGETS:
        e = expected_victims(ctx, g)
        for c, ev in zip(ctx.codes, e):
            rows.append(Row({"district": c, "target_group": g}, (), float(ev)))
    return rows


@indicator("target_group_p_so_few", "target_groups", "derived", "target_group_p_so_few",
           ("district", "target_group"), decimals=3, finding="target_groups",
           tests=("tests/stats/test_counts_and_properties.py",))
def target_group_p_so_few(ctx):
    rows = []
    for g in NAMED_TARGETS:
        e = expected_victims(ctx, g)
        for c, ev in zip(ctx.codes, e):
            k = victims_tg_key(ctx, c, g)
            if ev <= 0:
                rows.append(Row({"district": c, "target_group": g}, (k,), None))
                continue
            rows.append(Row({"district": c, "target_group": g}, (k,), S.coverage(ctx.v(k), float(ev)).p_at_most))
    return rows


def expected_support(ctx: Context, kind: str, g: str) -> np.ndarray:
    """Expected support of a kind for group g per district: the city's support per expected victim of
    the group, times the district's expected victims."""
    e = expected_victims(ctx, g)
    city = ctx.v(support_key(ctx, kind, TOTAL, g))
    return city * e / e.sum() if e.sum() > 0 else np.zeros(len(e))


@indicator("support_p_none", "target_groups", "derived", "support_p_none", ("district", "target_group", "support"),
           decimals=3, finding="support", tests=("tests/stats/test_counts_and_properties.py",))
def support_p_none(ctx):
    """The chance of seeing no support at all of a kind for the group in a district if it got the
    city's level given its expected victims (e^−E): shown for every district, whatever it observed."""
    rows = []
    for g in FOCUS:
        for kind in ("applications", "sb", "shis"):
            for c, ev in zip(ctx.codes, expected_support(ctx, kind, g)):
                rows.append(Row({"district": c, "target_group": g, "support": kind}, (),
                                math.exp(-float(ev)) if ev > 0 else None, n=None))
    return rows


@indicator("support_expected", "target_groups", "derived", "support_expected", ("district", "target_group", "support"),
           tests=("tests/stats/test_counts_and_properties.py",))
def support_expected(ctx):
    rows = []
    for g in FOCUS:
        for kind in ("applications", "sb", "shis"):
            for c, ev in zip(ctx.codes, expected_support(ctx, kind, g)):
                rows.append(Row({"district": c, "target_group": g, "support": kind}, (), float(ev)))
    return rows
