"""Two-group comparisons for the findings: one unit against the rest (issue 13 §2).

- `rmst_difference`: the difference in restricted mean time (a − b) up to τ, each group's RMST
  and SE by R's `rmean` (survival:::survmean, as `KaplanMeier.rmst`), combined as independent:
  SE = √(SEa² + SEb²), normal CI and two-sided p. This is what survRM2's `rmst2` reports as
  "RMST (arm=1)-(arm=0)" (Uno et al. 2014; Royston & Parmar 2013), with R's variance.
- `proportion_vs_rest`: each unit's share against the pooled share of all other units (a
  grant rate against the rest of the city), optionally with overdispersion τ². The decision
  (z, p) is the arcsine-scale test of the proportion funnel with `exclude_self`
  (`Overdispersion.flag(..., exclude_self=True)` gives the same flags); the interval is
  Newcombe's hybrid score interval for the difference (statsmodels
  `confint_proportions_2indep(method="newcomb")`, Newcombe 1998 method 10) at the effective
  sample sizes n/(1 + 4nτ²) that the same τ² implies.
- `fisher_vs_rest`: each unit's share against the rest by Fisher's exact test (R `fisher.test`
  on the 2×2 table unit/rest × yes/no). The arcsine z-test is far from its nominal level when a
  unit has few cases (measured: 20–28 % false flags at n = 4–8 and p = 0,75; see
  docs/statistics/calibration.md); the findings require both tests (`findings/kinds.py`).
- `logrank_vs_rest`: one group's durations against the rest by the log-rank statistic O − E,
  its p by permutation of the pooled log-rank scores (Monte Carlo, as R coin's
  `logrank_test(distribution = approximate())`) for small groups and by R's `survdiff` (χ², 1 df)
  for large ones. The RMST z-test with R's `rmean` variance gives 12–21 % false flags with 5–8
  stays; the permutation test keeps its level at every size.
"""

from __future__ import annotations

import functools
import math

import numpy as np
from scipy import stats as st
from statsmodels.stats.proportion import confint_proportions_2indep

from ._common import Estimate, check_count, check_same_length, conf_level, z_value
from .intervals import proportion_ci
from .overdispersion import Overdispersion
from .survival import _check_durations, kaplan_meier


def rmst_difference(durations_a, ended_a, durations_b, ended_b, tau: float, conf: float = 0.95,
                    unit: str = "dagar") -> Estimate:
    """RMST(a) − RMST(b) up to τ with SE from R's rmean variance, a normal CI and two-sided p.

    Positive: group a stays longer on average (up to τ). `extra` has p, z, std_err, and each
    group's rmst/std_err/n/events, and `tau_beyond_follow_up` when τ exceeds a group's last
    time (R's rmean then carries the last value of the curve on to τ; survRM2 refuses).
    """
    c = conf_level(conf)
    ta, ea = _check_durations(durations_a, ended_a, ("durations_a", "ended_a"))
    tb, eb = _check_durations(durations_b, ended_b, ("durations_b", "ended_b"))
    if len(ta) == 0 or len(tb) == 0:
        raise ValueError("each group needs at least one duration")
    if not (isinstance(tau, (int, float, np.integer, np.floating)) and math.isfinite(tau) and tau > 0):
        raise ValueError(f"tau must be a positive number, not {tau!r}")
    ka, kb = kaplan_meier(ta, ea, c), kaplan_meier(tb, eb, c)
    ra, sa = ka.rmst(tau)
    rb, sb = kb.rmst(tau)
    d = ra - rb
    se = math.sqrt(sa ** 2 + sb ** 2)
    zc = z_value(c)
    if se > 0:
        zs = d / se
        p = float(2 * st.norm.sf(abs(zs)))
    else:
        zs, p = math.nan, math.nan
    extra = {"p": p, "z": zs, "std_err": se, "tau": float(tau),
             "rmst_a": ra, "std_err_a": sa, "n_a": len(ta), "events_a": int(ea.sum()),
             "rmst_b": rb, "std_err_b": sb, "n_b": len(tb), "events_b": int(eb.sum()),
             "tau_beyond_follow_up": bool(tau > ta.max() or tau > tb.max())}
    return Estimate(d, d - zc * se, d + zc * se, f"{unit} (skillnad i restrikterat medelvärde till {tau:g})",
                    "RMST-skillnad, Kaplan–Meier (R rmean), normalapproximation", c,
                    n=float(len(ta) + len(tb)), extra=extra)


def proportion_vs_rest(numerators, denominators, *, conf: float = 0.95, tau2: float = 0.0) -> list[Estimate]:
    """Each unit's share minus the rest's pooled share, in percentage points, with CI and p.

    numerators/denominators per unit (e.g. granted/applied per district). τ² (arcsine scale,
    from `overdispersion(k, n, statistic="PR")` when `adjusted`) widens both the test and the
    interval. A unit with n = 0 gets NaN with a reason. `extra`: p, z, share, rest_share,
    share_lower/share_upper (the unit's own Wilson CI at its effective n), n_effective,
    rest_n_effective.
    """
    c = conf_level(conf)
    k = check_count(numerators, "numerators", integer=True)
    n = check_count(denominators, "denominators", integer=True)
    check_same_length(numerators=k, denominators=n)
    if np.any(k > n):
        raise ValueError("numerators cannot exceed denominators")
    t2 = float(tau2)
    if not (math.isfinite(t2) and t2 >= 0):
        raise ValueError(f"tau2 must be a finite number ≥ 0, got {tau2!r}")
    ok = n > 0
    if ok.sum() < 2:
        raise ValueError("need at least two units with a positive denominator")
    ko, no = k[ok], n[ok]
    od = Overdispersion.fixed("PR", tau2=t2, target=float(ko.sum() / no.sum()))
    z = od.zscores(ko, no, exclude_self=True)
    p = 2 * st.norm.sf(np.abs(z))
    ref = od.reference(ko, no, exclude_self=True)
    out: list[Estimate] = []
    j = 0
    unit_name = "procentenheter (andel − övrigas andel)"
    method = "Newcombe (hybrid score), arcsinus-test mot övriga" + (" med överspridning τ²" if t2 > 0 else "")
    for i in range(len(k)):
        if not ok[i]:
            out.append(Estimate(math.nan, math.nan, math.nan, unit_name, method, c, n=float(k[i]), denominator=0.0,
                                reason="nämnaren är 0"))
            continue
        share, rest = float(ko[j] / no[j]), float(ref["target"].iloc[j])
        n_eff = 1 / (4 * (1 / (4 * no[j]) + t2))
        rest_eff = 1 / (4 * float(ref["target_var"].iloc[j]))
        lo, hi = confint_proportions_2indep(share * n_eff, n_eff, rest * rest_eff, rest_eff, method="newcomb",
                                            compare="diff", alpha=1 - c)
        s_lo, s_hi = proportion_ci(share * n_eff, n_eff, c)
        out.append(Estimate(float(100 * (share - rest)), 100 * float(lo), 100 * float(hi), unit_name, method, c,
                            n=float(ko[j]), denominator=float(no[j]),
                            extra={"p": float(p[j]), "z": float(z[j]), "share": 100 * share, "rest_share": 100 * rest,
                                   "share_lower": 100 * s_lo, "share_upper": 100 * s_hi, "n_effective": n_eff,
                                   "rest_n_effective": rest_eff, "tau2": t2}))
        j += 1
    return out


def fisher_vs_rest(numerators, denominators) -> np.ndarray:
    """Two-sided Fisher exact p of each unit's share against the pooled rest (NaN where n = 0).

    The 2×2 table per unit is [[kᵢ, nᵢ − kᵢ], [K − kᵢ, (N − nᵢ) − (K − kᵢ)]], as R's
    `fisher.test(matrix(c(k, K - k, n - k, N - n - K + k), 2))` (the same p: both sum the
    probabilities of the tables no more likely than the observed one).
    """
    k = check_count(numerators, "numerators", integer=True)
    n = check_count(denominators, "denominators", integer=True)
    check_same_length(numerators=k, denominators=n)
    if np.any(k > n):
        raise ValueError("numerators cannot exceed denominators")
    big_k, big_n = k.sum(), n.sum()
    out = np.full(len(k), math.nan)
    for i in range(len(k)):
        if n[i] == 0 or big_n - n[i] == 0:
            continue
        table = [[int(k[i]), int(n[i] - k[i])], [int(big_k - k[i]), int(big_n - n[i] - big_k + k[i])]]
        out[i] = float(st.fisher_exact(table).pvalue)
    return out


PERMUTATION_BELOW = 100  # groups with fewer durations get the permutation p
RESAMPLES = 2000
MIN_HITS = 10  # fewer resamples as extreme as the data: the p is in the χ² tail (see logrank_vs_rest)


def logrank_scores(durations, ended) -> np.ndarray:
    """Log-rank scores of the pooled sample: δᵢ − Λ̂(tᵢ) with Λ̂ the Nelson–Aalen cumulative hazard
    (ties included at tᵢ). A group's sum of scores is its O − E of R's `survdiff`."""
    t, e = _check_durations(durations, ended)
    event_times, d = np.unique(t[e == 1], return_counts=True)
    at_risk = len(t) - np.searchsorted(np.sort(t), event_times, side="left")
    cum = np.cumsum(d / at_risk)
    idx = np.searchsorted(event_times, t, side="right") - 1
    return e - np.where(idx >= 0, cum[np.maximum(idx, 0)], 0.0)


# Up to this many keys (resamples × durations) the relabellings' order is kept between tests (`_key_order`).
KEY_ORDER_MAX = 4_000_000


@functools.lru_cache(maxsize=2)  # ≤ 16 MB each
def _key_order(n: int, resamples: int, seed: int) -> np.ndarray:
    """Each row: the positions 0..n−1 sorted by a row of uniform keys (`seed`'s stream, as `_permuted_sums`
    draws it). A random relabelling that gives the group `k` durations gives it the `k` smallest keys: the
    first `k` of the row. One sort serves every group size, and every district tested against the rest of
    the same pooled sample (the same n and seed): a partition per test cost 50 ms at n = 1 000."""
    keys = np.random.default_rng(seed).random((resamples, n))
    order = np.argsort(keys, axis=1).astype(np.int32)
    order.setflags(write=False)
    return order


def _permuted_sums(scores: np.ndarray, g: np.ndarray, resamples: int, seed: int) -> tuple[float, np.ndarray]:
    """The group's sum of (centred) scores and its sums under `resamples` random relabellings."""
    n_a, n = int(g.sum()), len(scores)
    small = min(n_a, n - n_a)
    sign = 1.0 if small == n_a else -1.0  # the other side's sum is −U: relabel the smaller side
    if small / n < 0.1 and resamples * n > 4_000_000:
        pick = np.random.default_rng(seed).integers(0, n, (resamples, small))
    elif resamples * n <= KEY_ORDER_MAX and isinstance(seed, int):  # a fixed seed: the same keys every time
        pick = _key_order(n, resamples, seed)[:, :small]
    else:
        keys = np.random.default_rng(seed).random((resamples, n))
        pick = np.argpartition(keys, small - 1, axis=1)[:, :small]
    return float(scores[g].sum()), sign * scores[pick].sum(axis=1)


def _permutation_p(scores, g, resamples, seed) -> float | None:
    """Two-sided Monte Carlo permutation p of a linear statistic; None when fewer than MIN_HITS
    relabellings are as extreme (the p is then below ~0,005 and its floor 1/(B+1) would stop
    Benjamini–Hochberg over hundreds of comparisons from ever reaching it)."""
    u, u_star = _permuted_sums(scores - scores.mean(), g, resamples, seed)
    tol = 1e-9 * max(1.0, abs(u))
    hits = int(np.sum(np.abs(u_star) >= abs(u) - tol))
    return None if hits < MIN_HITS else float(min(1.0, (1 + hits) / (resamples + 1)))


def _group_vs_rest(durations, ended, in_group):
    """The checked durations, ended flags and group mask of a group-against-the-rest test, with the sizes."""
    t, e = _check_durations(durations, ended)
    g = np.asarray(in_group, dtype=bool)
    check_same_length(durations=t, in_group=g)
    n_a, n = int(g.sum()), len(t)
    if n_a == 0 or n_a == n:
        raise ValueError("in_group must mark some but not all durations")
    return t, e, g, n_a, n


def logrank_vs_rest(durations, ended, in_group, *, resamples: int = RESAMPLES, seed: int = 20260) -> dict:
    """O − E of the group (`in_group` true) against the rest, with a two-sided p.

    Fewer than `PERMUTATION_BELOW` durations in the group: p = (1 + #{|U*| ≥ |U|}) / (B + 1) over B
    random relabellings of the pooled log-rank scores (without replacement; with replacement, which
    is slightly conservative, when the group is under a tenth of a large sample). A fixed seed makes
    the same data give the same p. When fewer than `MIN_HITS` relabellings are as extreme (p below
    ~0,005), and for large groups, R's `survdiff` χ² on 1 df (`logrank`).
    """
    from .survival import logrank

    t, e, g, n_a, n = _group_vs_rest(durations, ended, in_group)
    if e.sum() == 0:
        return {"o_minus_e": 0.0, "p": math.nan, "method": "inga avslut"}
    scores = logrank_scores(t, e)
    u = float(scores[g].sum())
    p = None
    if n_a < PERMUTATION_BELOW or n - n_a < PERMUTATION_BELOW:
        p = _permutation_p(scores, g, resamples, seed)
    if p is None:
        return {"o_minus_e": u, "p": float(logrank(t, e, g).p), "method": "log-rank (R survdiff)"}
    return {"o_minus_e": u, "p": p, "method": f"log-rank, permutation ({resamples})"}


def rmst_pseudo_values(durations, ended, tau: float) -> np.ndarray:
    """Jackknife pseudo-values of the RMST to τ (Andersen, Hansen & Klein 2004; Andersen & Perme
    2010): θᵢ = n·RMST − (n − 1)·RMST₋ᵢ of the pooled Kaplan–Meier curve. Their mean is the RMST;
    a group's mean difference estimates its RMST difference. Computed per distinct (time, ended)."""
    t, e = _check_durations(durations, ended)
    n = len(t)
    times = np.unique(t[(e == 1) & (t <= tau)])
    if len(times) == 0:
        return np.full(n, float(tau))
    st_sorted = np.sort(t)
    at_risk = (n - np.searchsorted(st_sorted, times, side="left")).astype(float)
    d = np.array([np.sum((t == x) & (e == 1)) for x in times], dtype=float)
    widths = np.diff(np.concatenate([times, [tau]]))
    first = times[0]

    def rmst_of(nr, dd):
        surv = np.cumprod(1 - np.divide(dd, nr, out=np.zeros_like(dd), where=nr > 0), axis=-1)
        return first + (surv * widths).sum(axis=-1)

    full = rmst_of(at_risk, d)
    pairs, inverse = np.unique(np.column_stack([t, e]), axis=0, return_inverse=True)
    nr = at_risk[None, :] - (pairs[:, :1] >= times[None, :])
    dd = d[None, :] - ((pairs[:, :1] == times[None, :]) & (pairs[:, 1:] == 1))
    loo = rmst_of(nr, dd)
    return (n * full - (n - 1) * loo)[np.asarray(inverse).reshape(-1)]


def rmst_permutation_vs_rest(durations, ended, in_group, tau: float, *, resamples: int = RESAMPLES,
                             seed: int = 20260) -> dict:
    """Permutation test of the group's RMST (to τ) against the rest: the RMST pseudo-values of the
    pooled sample relabelled at random (`resamples` times, fixed seed). When fewer than `MIN_HITS`
    relabellings are as extreme: the normal tail with the permutation variance of the same statistic.
    Exact under no difference (the labels are then exchangeable), whatever the group's size: the
    RMST z-test with R's rmean variance flags 12–21 % of groups with 5–8 stays (calibration.md)."""
    t, e, g, n_a, n = _group_vs_rest(durations, ended, in_group)
    theta = rmst_pseudo_values(t, e, tau)
    diff = float(theta[g].mean() - theta[~g].mean())
    p = _permutation_p(theta, g, resamples, seed)
    if p is not None:
        return {"difference": diff, "p": p, "method": f"RMST, permutation ({resamples})"}
    c = theta - theta.mean()
    var = n_a * (n - n_a) / (n - 1) * float(np.mean(c ** 2))
    u = float(c[g].sum())
    p = float(2 * st.norm.sf(abs(u) / math.sqrt(var))) if var > 0 else math.nan
    return {"difference": diff, "p": p, "method": "RMST, permutationsfördelningens normalsvans"}
