"""The finding kinds, one per question: each proposes a comparison per unit with its p-value."""

from __future__ import annotations

import math

import numpy as np
from scipy import stats as st

from .. import stats as S
from ..disclosure.keys import TOTAL
from ..indicators import placements as Q1
from ..indicators import stays as Q2
from ..indicators import target_groups as Q4
from ..indicators.overview import sb_key
from ..indicators.shis import shis_key
from ..indicators.vulnerable import _vk
from ..text import t
from .build import Candidate


def published(pub, table: str, **coords):
    """(value, lower, upper) of a released cell, or None."""
    tab = pub.tables.get(table)
    c = tab.cell(**coords) if tab else None
    return (c.value, c.ci_low, c.ci_high) if c is not None and c.published else None


def area_name(ctx, area: str, lang: str) -> str:
    if area == TOTAL:
        return t("ui.city", lang)
    if area.startswith("region:"):
        return area[len("region:"):]
    return dict(zip(ctx.districts["code"], ctx.districts["name"])).get(area, area)


def q_text(q: float, lang: str) -> str:
    return t("ui.q_below", lang) if q < 0.001 else t("ui.q_equals", lang, q=q)


def exact_and_funnel(ests, k, n) -> list[float]:
    """A share against the rest: the larger of the funnel's arcsine p (with the overdispersion τ² the
    estimates carry) and Fisher's exact p. The arcsine test alone flags 14–28 % of units with a few
    cases under no difference (docs/statistics/calibration.md); Fisher's test keeps the level there,
    and the funnel's p keeps the between-district variation. A finding is thus always a point outside
    the drawn funnel, and beyond chance by the exact test."""
    exact = S.fisher_vs_rest(k, n)
    return [max(e.extra.get("p", math.nan), float(x)) if not math.isnan(x) else math.nan for e, x in zip(ests, exact)]


def loo_tau2(k, n) -> np.ndarray:
    """Each unit's τ² (arcsine scale, Spiegelhalter's winsorised estimate) from the other units."""
    out = np.zeros(len(k))
    for i in range(len(k)):
        keep = np.arange(len(k)) != i
        try:
            out[i] = S.overdispersion(k[keep], n[keep], method="CQC", statistic="PR").tau2_used
        except ValueError:
            out[i] = 0.0
    return out


_GH_X, _GH_W = np.polynomial.hermite.hermgauss(24)


def poisson_predictive_two_sided(o: float, e: float, logvar: float) -> float:
    """Two-sided p of an observed count against an expected value that is itself estimated (a model
    fitted without the unit): O ~ Poisson(μ), log μ ~ N(log e, logvar), the Poisson–lognormal
    predictive distribution by Gauss–Hermite quadrature (24 nodes). logvar = 0 gives the Poisson p.
    Without it a district at the edge of the covariates, predicted by extrapolation, was reported with
    q < 0,001 in cities without any district effect (calibration.md)."""
    if e <= 0:
        return math.nan
    if not (logvar > 0 and math.isfinite(logvar)):
        return poisson_two_sided(o, e)
    # Clipped in the log: with a huge logvar (a model fitted without the district that hardly constrains it) the
    # outer nodes would overflow to inf; μ = e^±700 gives the same limits (cdf 0 or 1) without the overflow.
    mu = np.exp(np.clip(math.log(e) + math.sqrt(2 * logvar) * _GH_X, -700.0, 700.0))
    w = _GH_W / math.sqrt(math.pi)
    low, high = float(w @ st.poisson.cdf(o, mu)), float(w @ st.poisson.sf(o - 1, mu))
    return float(min(1.0, 2 * min(low, high)))


def poisson_two_sided(o: float, e: float) -> float:
    if e <= 0:
        return math.nan
    return float(min(1.0, 2 * min(st.poisson.cdf(o, e), st.poisson.sf(o - 1, e))))


# ---- Question 1: placements, grant rate -----------------------------------------------------------------

def placements(ctx):
    """Observed against expected after age, sex and socio-economics (leave-one-out model). The test's τ²
    is estimated without the district tested (as for the grant rate): the τ² of all districts absorbed
    a district with twice the placements (calibration.md); and the expected value's own uncertainty
    (var of log Ê from the model without the district) widens it. The funnel is drawn with all
    districts' τ² and no model uncertainty, so a finding can lie just inside its 95 % line."""
    a = Q1.analysis(ctx)
    o_all, e_all = a["observed"], a["e_adj"]
    pvals = a["p"]
    v_all = a.get("loo_logvar")
    if a["od_estimated"] and len(o_all) >= 4:
        pvals = []
        for i in range(len(o_all)):
            keep = np.arange(len(o_all)) != i
            try:
                t2 = S.overdispersion(o_all[keep], e_all[keep], method="CQC").tau2_used
            except ValueError:
                t2 = a["od"].tau2_used
            # The expected value's own uncertainty (its model fitted without the district): on the CQC
            # scale √(O/E) it adds var(log Ê)/4.
            v = float(v_all[i]) if v_all is not None and math.isfinite(v_all[i]) else 0.0
            z = (math.sqrt(o_all[i] / e_all[i]) - 1) / math.sqrt(1 / (4 * e_all[i]) + t2 + v / 4)
            pvals.append(float(2 * st.norm.sf(abs(z))))
    out = []
    for c, o, e, p in zip(a["codes"], o_all, e_all, pvals):
        direction = "higher" if o > e else "lower"

        def sentence(pub, lang, q, c=c, direction=direction):
            n, rate, ratio = (published(pub, "placements_by_type", district=c, placement_type="skyddat_boende"),
                              published(pub, "rate_sb", district=c), published(pub, "sb_ratio_socio", district=c))
            if not (n and rate and ratio):
                return None
            return t(f"finding.placements.{direction}", lang, name=area_name(ctx, c, lang), n=n[0], rate=rate[0],
                     rate_lo=rate[1], rate_hi=rate[2], ratio=ratio[0], lo=ratio[1], hi=ratio[2], q=q_text(q, lang))
        r = S.isr(o, e, conf=ctx.conf, method="phe")
        out.append(Candidate("placements", "1", c, direction, float(p), (sb_key(ctx, c),), sentence, r.value,
                             r.lower, r.upper, "observerat/förväntat"))
    return out


def grant_rate(ctx):
    codes = [c for c in ctx.codes if ctx.v(Q1.applied_key(ctx, c)) > 0]
    if len(codes) < 3:
        return []
    k = np.array([ctx.v(Q1.granted_key(ctx, c)) for c in codes])
    n = np.array([ctx.v(Q1.applied_key(ctx, c)) for c in codes])
    tau2 = 0.0
    try:
        od = S.overdispersion(k, n, method="CQC", statistic="PR")
        tau2 = od.tau2_used
    except ValueError:
        pass
    ests = S.proportion_vs_rest(k, n, conf=ctx.conf, tau2=tau2)
    # The test uses τ² estimated without the district tested: with two districts at 50 % among others at
    # 90 %, the τ² of all thirteen is inflated by the very units tested and hid them (calibration.md).
    target = float(k.sum() / n.sum())
    p_loo = [float(S.Overdispersion.fixed("PR", tau2=t2, target=target).pvalues(k, n, exclude_self=True)[i])
             for i, t2 in enumerate(loo_tau2(k, n))]
    exact = S.fisher_vs_rest(k, n)
    pvals = [max(a, float(b)) if not math.isnan(b) else math.nan for a, b in zip(p_loo, exact)]
    out = []
    for c, e, p in zip(codes, ests, pvals):
        if math.isnan(e.value):
            continue
        direction = "higher" if e.value > 0 else "lower"

        def sentence(pub, lang, q, c=c, direction=direction):
            share = published(pub, "sb_grant_rate", district=c)
            g_c = published(pub, "applications_sb", district=TOTAL, decision="beviljad")
            n_c = published(pub, "applications_sb", district=TOTAL, decision=TOTAL)
            g_d = published(pub, "applications_sb", district=c, decision="beviljad")
            n_d = published(pub, "applications_sb", district=c, decision=TOTAL)
            if not (share and g_c and n_c and g_d and n_d) or n_c[0] - n_d[0] <= 0:
                return None
            rest = 100 * (g_c[0] - g_d[0]) / (n_c[0] - n_d[0])
            return t(f"finding.grant_rate.{direction}", lang, name=area_name(ctx, c, lang), share=share[0],
                     lo=share[1], hi=share[2], n=n_d[0], rest=rest, q=q_text(q, lang))
        cells = (Q1.granted_key(ctx, c), Q1.applied_key(ctx, c), Q1.granted_key(ctx, TOTAL), Q1.applied_key(ctx, TOTAL))
        out.append(Candidate("grant_rate", "1", c, direction, p, cells, sentence, e.value, e.lower, e.upper,
                             "procentenheter"))
    return out


# ---- Question 2: lengths of stay ------------------------------------------------------------------------

def stays(ctx):
    """District against the rest of the city: the published RMST difference (to 90 days) with R's rmean
    z-test, and the same difference by permutation (RMST pseudo-values); the larger p counts. The z-test
    alone flags 12–21 % of districts with 5–8 stays under no difference (calibration.md): a finding is
    thus a difference whose published interval excludes 0 and that the permutation test confirms."""
    if "rmst_p" not in ctx.memo:
        Q2.los_rmst_difference(ctx)
    frame = Q2.stays_frame(ctx)
    all_t, all_e = Q2.durations_of(frame)
    member = np.repeat(frame["district"].to_numpy(), frame["n"].to_numpy(int))
    out = []
    for c, p in ctx.memo.get("rmst_p", {}).items():
        if p is None or math.isnan(p):
            continue
        perm = S.rmst_permutation_vs_rest(all_t, all_e, member == c, Q2.RMST_HORIZON)["p"]
        p = max(p, perm) if not math.isnan(perm) else p

        def sentence(pub, lang, q, c=c):
            d = published(pub, "los_rmst_difference", district=c)
            own = published(pub, "los_rmst", district=c)
            if not (d and own):
                return None
            direction = "longer" if d[0] > 0 else "shorter"
            return t(f"finding.stays.{direction}", lang, name=area_name(ctx, c, lang), diff=abs(d[0]), lo=d[1],
                     hi=d[2], rmst=own[0], q=q_text(q, lang))
        d = ctx.memo.get("rmst_d", {}).get(c, 0.0)
        out.append(Candidate("stays", "2", c, "higher" if d > 0 else "lower", float(p), (sb_key(ctx, c),), sentence,
                             d, unit="dygn"))
    return out


# ---- Question 3: SHIS and referral; support for the focus groups ----------------------------------------

def shis(ctx):
    out = []
    city_s, city_b = ctx.v(shis_key(ctx, TOTAL)), ctx.v(sb_key(ctx, TOTAL))
    for c in ctx.codes:
        s, b = ctx.v(shis_key(ctx, c)), ctx.v(sb_key(ctx, c))
        rest_s, rest_b = city_s - s, city_b - b
        if b == 0 or rest_b <= 0 or rest_s <= 0:
            continue
        e = b * rest_s / rest_b
        direction = "higher" if s > e else "lower"

        def sentence(pub, lang, q, c=c, direction=direction):
            n = published(pub, "placements_by_type", district=c, placement_type="shis")
            per = published(pub, "shis_per_100_sb", district=c)
            cs, cb = (published(pub, "placements_by_type", district=TOTAL, placement_type="shis"),
                      published(pub, "placements_by_type", district=TOTAL, placement_type="skyddat_boende"))
            db = published(pub, "placements_by_type", district=c, placement_type="skyddat_boende")
            if not (n and per and cs and cb and db) or cb[0] - db[0] <= 0:
                return None
            rest = 100 * (cs[0] - n[0]) / (cb[0] - db[0])
            return t(f"finding.shis.{direction}", lang, name=area_name(ctx, c, lang), n=n[0], per=per[0], lo=per[1],
                     hi=per[2], rest=rest, q=q_text(q, lang))
        cells = (shis_key(ctx, c), sb_key(ctx, c), shis_key(ctx, TOTAL), sb_key(ctx, TOTAL))
        out.append(Candidate("shis", "3", c, direction, poisson_two_sided(s, e), cells, sentence, s / e if e else None,
                             unit="observerat/förväntat"))
    return out


def shis_pathway(ctx):
    codes = [c for c in ctx.codes if ctx.v(shis_key(ctx, c)) > 0]
    if len(codes) < 3:
        return []
    k = np.array([ctx.v(shis_key(ctx, c, referring_unit="rvt")) for c in codes])
    n = np.array([ctx.v(shis_key(ctx, c)) for c in codes])
    ests = S.proportion_vs_rest(k, n, conf=ctx.conf)
    pvals = exact_and_funnel(ests, k, n)
    out = []
    for c, e, p in zip(codes, ests, pvals):
        if math.isnan(e.value):
            continue
        direction = "higher" if e.value > 0 else "lower"

        def sentence(pub, lang, q, c=c, direction=direction):
            share = published(pub, "shis_share_rvt", district=c)
            city = published(pub, "shis_share_rvt", district=TOTAL)
            if not (share and city):
                return None
            return t(f"finding.shis_pathway.{direction}", lang, name=area_name(ctx, c, lang), share=share[0],
                     lo=share[1], hi=share[2], city=city[0], q=q_text(q, lang))
        cells = (shis_key(ctx, c, referring_unit="rvt"), shis_key(ctx, c))
        out.append(Candidate("shis_pathway", "3", c, direction, p, cells, sentence, e.value, e.lower,
                             e.upper, "procentenheter"))
    return out


def support(ctx):
    out = []
    for g in Q4.FOCUS:
        e_all = Q4.expected_support(ctx, "applications", g)
        Q4.expected_victims(ctx, g)
        v_all = ctx.memo.get(("expected_tg_logvar", g), np.zeros(len(e_all)))  # the victims' model's
        for c, e, v in zip(ctx.codes, e_all, v_all):
            o = ctx.v(Q4.support_key(ctx, "applications", c, g))
            if e <= 0:
                continue
            direction = "higher" if o > e else "lower"

            def sentence(pub, lang, q, c=c, g=g, direction=direction):
                n = published(pub, "applications_by_target", district=c, target_group=g)
                ex = published(pub, "support_expected", district=c, target_group=g, support="applications")
                if not (n and ex):
                    return None
                key = "none" if n[0] == 0 else direction
                return t(f"finding.support.{key}", lang, name=area_name(ctx, c, lang), group=t(f"ui.{g}", lang),
                         n=n[0], expected=ex[0], q=q_text(q, lang))
            out.append(Candidate("support", "3", c, direction, poisson_predictive_two_sided(o, e, v),
                                 (Q4.support_key(ctx, "applications", c, g),), sentence, float(o / e),
                                 unit="observerat/förväntat", extra={"target_group": g}))
    return out


# ---- Question 4: every target group in every district ---------------------------------------------------

def target_groups(ctx):
    out = []
    for g in Q4.FOCUS + tuple(x for x in ("hedersrelaterat", "sexuellt_vald") if x not in Q4.FOCUS):
        e_all = Q4.expected_victims(ctx, g)
        v_all = ctx.memo.get(("expected_tg_logvar", g), np.zeros(len(e_all)))
        for c, e, v in zip(ctx.codes, e_all, v_all):
            o = ctx.v(Q4.victims_tg_key(ctx, c, g))
            if e <= 0:
                continue
            direction = "higher" if o > e else "lower"

            def sentence(pub, lang, q, c=c, g=g, direction=direction):
                n = published(pub, "victims_by_target_group", district=c, target_group=g)
                ex = published(pub, "target_group_expected", district=c, target_group=g)
                if not (n and ex):
                    return None
                key = "none" if n[0] == 0 else direction
                return t(f"finding.target_groups.{key}", lang, name=area_name(ctx, c, lang), group=t(f"ui.{g}", lang),
                         n=n[0], expected=ex[0], q=q_text(q, lang))
            out.append(Candidate("target_groups", "4", c, direction, poisson_predictive_two_sided(o, e, v),
                                 (Q4.victims_tg_key(ctx, c, g),), sentence, float(o / e), unit="observerat/förväntat",
                                 extra={"target_group": g}))
    return out


# ---- Question 5: especially vulnerable groups -----------------------------------------------------------

VULNERABLE = {"share_65plus": {"age_band": "65+"}, "share_disability": {"disability": "ja"},
              "share_interpreter": {"interpreter_needed": "ja"}, "share_freda_screening": {"freda_screening": "ja"},
              "share_freda_risk": {"freda_risk_assessment": "ja"}}


def vulnerable(ctx):
    out = []
    pop = ctx.population()
    p65 = pop[pop["age_band"].isin(["65-79", "80+"])].groupby("district")["count"].sum()
    ptot = pop.groupby("district")["count"].sum()
    for table, coords in VULNERABLE.items():
        codes = [c for c in ctx.codes if ctx.v(_vk(ctx, c)) > 0]
        if len(codes) < 3:
            continue
        k = np.array([ctx.v(_vk(ctx, c, **coords)) for c in codes])
        n = np.array([ctx.v(_vk(ctx, c)) for c in codes])
        if table == "share_65plus":
            # Against the district's population: the city's share among victims, scaled by how many of the
            # district's inhabitants are 65+ compared with the city (exact binomial test).
            city_share = k.sum() / n.sum()
            city_pop = float(p65.sum()) / max(float(ptot.sum()), 1.0)
            pvals, ests = [], []
            for ki, ni, c in zip(k, n, codes):
                rel = (float(p65.get(c, 0)) / max(float(ptot.get(c, 0)), 1.0)) / city_pop if city_pop else 1.0
                p_exp = min(max(city_share * rel, 1e-9), 1 - 1e-9)
                pvals.append(float(st.binomtest(int(ki), int(ni), p_exp).pvalue))
                ests.append((100 * ki / ni, 100 * p_exp))
        else:
            est = S.proportion_vs_rest(k, n, conf=ctx.conf)
            pvals = exact_and_funnel(est, k, n)
            ests = [(e.extra.get("share"), e.extra.get("rest_share")) for e in est]
        for c, p, (share, ref) in zip(codes, pvals, ests):
            if share is None or ref is None:
                continue
            direction = "higher" if share > ref else "lower"

            def sentence(pub, lang, q, c=c, table=table, direction=direction, ref=ref):
                s = published(pub, table, district=c)
                if not s:
                    return None
                return t(f"finding.vulnerable.{direction}", lang, name=area_name(ctx, c, lang),
                         what=t(f"ind.{table}.title", lang), share=s[0], lo=s[1], hi=s[2],
                         ref=ref, reference=t(f"ui.reference_{'population' if table == 'share_65plus' else 'rest'}", lang),
                         q=q_text(q, lang))
            out.append(Candidate("vulnerable", "5", c, direction, p, (_vk(ctx, c, **coords), _vk(ctx, c)), sentence,
                                 share, unit="%", extra={"indicator": table}))
    return out


# ---- Trends ---------------------------------------------------------------------------------------------

def trends(ctx):
    out = []
    for a, (p, n_points, rr_value) in ctx.memo.get("trend_p", {}).items():
        if p is None or math.isnan(p):
            continue
        keys = tuple(sb_key(ctx, a, year=str(y)) for y in ctx.inputs.years)

        def sentence(pub, lang, q, a=a, n_points=n_points):
            rr = published(pub, "sb_trend_rr", district=a)
            if not rr:
                return None
            direction = "up" if rr[0] > 1 else "down"
            return t(f"finding.trends.{direction}", lang, name=area_name(ctx, a, lang), pct=abs(rr[0] - 1) * 100,
                     lo=(rr[1] - 1) * 100, hi=(rr[2] - 1) * 100, years=n_points, q=q_text(q, lang))
        out.append(Candidate("trends", "6", a, "higher" if rr_value > 1 else "lower", p, keys, sentence, rr_value,
                             unit="kvot per år"))
    return out


KINDS = (placements, grant_rate, stays, shis, shis_pathway, support, target_groups, vulnerable, trends)
