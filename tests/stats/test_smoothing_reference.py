"""Empirical Bayes against esda (NC SIDS 1974) and SpatialEpi (Scottish lip cancer)."""

from __future__ import annotations

import numpy as np
import pytest

from likstall.stats import eb_smooth, marshall_moments

from conftest import ref

SIDS = ref("smoothing/eb_marshall_global_sids74.csv")
LIP = ref("smoothing/eb_clayton_kaldor_scotland_lip.csv")


def test_marshall_every_county():
    out = eb_smooth(SIDS["SID74"], SIDS["BIR74"], method="marshall")
    rel = SIDS["rel_tol"].iloc[0]
    np.testing.assert_allclose(out["eb_rate"], SIDS["eb_rate"], rtol=rel)
    np.testing.assert_allclose(out["weight"], SIDS["shrinkage_weight"], rtol=rel)
    assert out.attrs["m"] == pytest.approx(SIDS["global_mean_m"].iloc[0], rel=1e-9)
    assert out.attrs["s2"] == pytest.approx(SIDS["weighted_var_s2"].iloc[0], rel=1e-6)
    assert out.attrs["A"] == pytest.approx(SIDS["between_var_A"].iloc[0], rel=1e-6)
    # Ashe: 1/1091 with weight 0.2934 (METHODS.md §5)
    assert out.loc[0, "weight"] == pytest.approx(0.2934, abs=1e-4)


def test_marshall_floors_negative_between_area_variance():
    # Identical rates up to Poisson noise: A < 0, so every district shrinks fully to the mean.
    events = np.array([10, 11, 9, 10, 10])
    pop = np.full(5, 10_000)
    assert marshall_moments(events, pop)["A_raw"] < 0
    out = eb_smooth(events, pop)
    assert (out["weight"] == 0).all()
    np.testing.assert_allclose(out["eb_rate"], events.sum() / pop.sum())


def test_clayton_kaldor_every_district():
    out = eb_smooth(LIP["observed"], expected=LIP["expected"], method="clayton-kaldor")
    rel = LIP["rel_tol"].iloc[0]
    assert out.attrs["mu"] == pytest.approx(LIP["mu_hat"].iloc[0], rel=rel)
    assert out.attrs["alpha"] == pytest.approx(LIP["theta_shape_hat"].iloc[0], rel=rel)
    np.testing.assert_allclose(out["eb_rr"], LIP["eb_rr_posterior_mean"], rtol=rel)
    np.testing.assert_allclose(out["eb_rr_median"], LIP["eb_rr_posterior_median"], rtol=rel)
    np.testing.assert_allclose(out["weight"], LIP["weight_on_smr"], rtol=rel)


def test_clayton_kaldor_probability_above_city():
    events = np.array([2, 30, 5, 60, 12])
    pop = np.array([5_000, 40_000, 20_000, 50_000, 30_000])
    out = eb_smooth(events, pop, method="clayton-kaldor", per=10_000)
    assert ((out["p_above"] >= 0) & (out["p_above"] <= 1)).all()
    # The district with by far the highest rate is the most likely to exceed the city.
    assert out["p_above"].idxmax() == int(np.argmax(events / pop))
    assert "eb_rate" in out


def test_clayton_kaldor_without_extra_poisson_variation_shrinks_fully_instead_of_nan():
    # Under-dispersed counts: the NB2 α is at its boundary 0; Newton's polish used to step to a
    # negative α and return NaN for every district. Now: no between-district variance, eb_rr = μ̂.
    e = np.array([3, 9, 1, 14, 6])
    b = np.array([21000, 48000, 9000, 61000, 30000])
    out = eb_smooth(e, b, method="clayton-kaldor")
    assert out[["eb_rr", "weight", "p_above"]].notna().all().all()
    assert np.allclose(out["eb_rr"], out.attrs["mu"], rtol=1e-3) and (out["weight"] < 1e-3).all()


def _nb2_loglike_grid(o, e, mus, alphas):
    """The NB2 log-likelihood Σ log NB(Oᵢ; mean μEᵢ, alpha_NB2) over a grid of (μ, alpha), vectorised."""
    from scipy import stats as st

    m = mus[:, None, None] * e[None, None, :]
    n = 1.0 / alphas[None, :, None]
    return st.nbinom.logpmf(o[None, None, :], n, n / (n + m)).sum(axis=2)


def test_clayton_kaldor_on_the_boundary_is_the_maximum_likelihood():
    # `_nb2_fit` answers (ΣO/ΣE, shape 1e12) without an optimiser when the likelihood's slope in
    # alpha_NB2 at 0 is not positive. Checked here, on an 8-district city where the optimisers took
    # 5,7 s and stopped short (μ 0,9365781, shape 2,1e8), and on 300 random sets of counts: whenever the
    # slope is not positive, no (μ, alpha > 0) on a fine grid has a higher likelihood than the Poisson fit.
    from scipy import stats as st

    from likstall.stats.smoothing import _nb2_fit

    city_o = np.array([13, 7, 5, 11, 2, 36, 12, 96], dtype=float)
    city_e = np.array([10.4003, 11.2632, 6.1178, 8.0351, 3.4131, 32.8919, 11.5496, 110.6541])
    mu, shape = _nb2_fit(city_o, city_e)
    assert mu == pytest.approx(city_o.sum() / city_e.sum(), rel=1e-12) and shape == 1e12
    assert mu == pytest.approx(0.9365781, rel=1e-5)  # what the optimisers had reached
    rng = np.random.default_rng(2026)
    sets = [(city_o, city_e)]
    while len(sets) < 300:
        k = int(rng.integers(3, 40))
        e = rng.uniform(0.5, 80, k)
        o = rng.poisson(e * rng.uniform(0.7, 1.3)).astype(float)  # Poisson counts: about half the sets on the boundary
        if o.sum() > 0:
            sets.append((o, e))
    alphas = np.geomspace(1e-6, 5, 60)
    boundary = 0
    for o, e in sets:
        mu0 = o.sum() / e.sum()
        if 0.5 * ((o - mu0 * e) ** 2 - o).sum() > 0:
            continue
        boundary += 1
        mus = mu0 * np.linspace(0.8, 1.2, 81)
        poisson = st.poisson.logpmf(o, mu0 * e).sum()
        assert _nb2_loglike_grid(o, e, mus, alphas).max() <= poisson + 1e-9
        assert _nb2_fit(o, e) == (pytest.approx(mu0, rel=1e-12), 1e12)
    assert boundary > 50
