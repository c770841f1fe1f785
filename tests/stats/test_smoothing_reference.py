"""Empirical Bayes against esda (NC SIDS 1974) and SpatialEpi (Scottish lip cancer)."""

from __future__ import annotations

import warnings

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



def test_clayton_kaldor_finds_the_inner_maximum_where_the_boundary_is_a_local_one():
    # With unequal expected counts the NB2 likelihood can have a local maximum at alpha = 0 (its slope
    # there, ½ Σ((Oᵢ − μ̂Eᵢ)² − Oᵢ), is −6,56 here) and a higher one inside. A shortcut that answered the
    # boundary whenever that slope was not positive was tried and withdrawn (it gave μ 2,0514, no
    # smoothing); the fit must find the inner maximum: alpha_NB2 0,1379, log-likelihood −10,6277
    # against −10,8218 for the Poisson fit.
    from scipy import stats as st

    from likstall.stats.smoothing import _nb2_fit

    o = np.array([16, 3, 64], dtype=float)
    e = np.array([4.6962, 4.0532, 31.7101])
    mu0 = o.sum() / e.sum()
    assert 0.5 * ((o - mu0 * e) ** 2 - o).sum() < 0
    mu, shape = _nb2_fit(o, e)
    assert mu == pytest.approx(2.0729, rel=1e-3) and 1 / shape == pytest.approx(0.1379, rel=1e-2)
    n = shape
    nb2 = st.nbinom.logpmf(o, n, n / (n + mu * e)).sum()
    assert nb2 == pytest.approx(-10.6277, abs=1e-3) and nb2 > st.poisson.logpmf(o, mu0 * e).sum() + 0.19


def test_clayton_kaldor_on_the_boundary_stops_newton_at_its_step_outside_the_model(monkeypatch):
    # An 8-district city of the property tests with no extra-Poisson variation: BFGS ends at
    # alpha_NB2 ≈ 4,8·10⁻⁹ and Newton's polish steps to a negative alpha, where the next Hessian took
    # scipy 6,5 s (and then NaN, discarded). The polish now stops at that step.
    from likstall.stats import smoothing

    steps = []
    stop = smoothing._stop_outside_the_model

    def spy(params):
        steps.append(np.array(params))
        stop(params)

    monkeypatch.setattr(smoothing, "_stop_outside_the_model", spy)
    o = np.array([13, 7, 5, 11, 2, 36, 12, 96], dtype=float)
    e = np.array([10.4003, 11.2632, 6.1178, 8.0351, 3.4131, 32.8919, 11.5496, 110.6541])
    # statsmodels' BFGS gives up its line search here and warns; the fit keeps that to itself now (it reached the
    # analyst's terminal in English): nothing escapes.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        mu, shape = smoothing._nb2_fit(o, e)
    assert steps[-1][-1] <= 0 and all(s[-1] > 0 for s in steps[:-1])  # stopped at the first step outside
    # On the boundary the answer is the Poisson's MLE μ₀ = ΣO/ΣE = 182/194,3251 exactly, and no extra-Poisson
    # variation (the shape's sentinel 10¹²). BFGS's own end point (μ 0,93657511 on one machine, 0,93657384 on
    # another with other BLAS kernels; shape 8,98·10⁷) is only within its gradient tolerance of it.
    assert mu == pytest.approx(182 / 194.3251, rel=1e-12) and shape == 1e12


def test_clayton_kaldor_on_the_boundary_with_thirty_districts_is_the_poisson_mle():
    # A review's case: BFGS ends at alpha_NB2 ≈ 2,3·10⁻⁹, where statsmodels' NB2 log-likelihood (−81,7518027) is
    # rounded above the Poisson's at ΣO/ΣE (−81,7518201) although the slope at the boundary is −141: comparing the
    # two likelihoods returned BFGS's μ (off by 5·10⁻⁶). The answer on the boundary is ΣO/ΣE with no extra variation.
    from likstall.stats.smoothing import _nb2_fit

    o = np.array([10, 37, 2, 6, 14, 11, 48, 26, 14, 1, 32, 35, 19, 30, 34, 11, 52, 29, 12, 3, 10, 35, 21, 10, 20, 38,
                  15, 16, 0, 22], dtype=float)
    e = np.array([9.12, 47.04, 3.18, 9.61, 22.33, 13.69, 57.18, 32.99, 18.26, 3.27, 33.98, 33.3, 22.45, 31.94, 32.06,
                  13.66, 53.55, 27.65, 23.75, 11.66, 15.75, 39.41, 19.14, 13.69, 31.83, 45.26, 16.43, 21.59, 2.01,
                  29.96])
    assert ((o - o.sum() / e.sum() * e) ** 2 - o).sum() < 0  # the boundary is a local maximum
    mu, shape = _nb2_fit(o, e)
    assert mu == pytest.approx(o.sum() / e.sum(), rel=1e-12) and shape == 1e12
