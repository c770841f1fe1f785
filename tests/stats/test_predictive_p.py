"""The Poisson–lognormal predictive p of the findings (`findings.kinds.poisson_predictive_two_sided`): its
Gauss–Hermite quadrature agrees with direct numerical integration, and an expected value with a huge
uncertainty gives p = 1 without an overflow (a model fitted without the district that hardly constrains it)."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import scipy.integrate as integrate
import scipy.stats as st

from likstall.findings.kinds import poisson_predictive_two_sided, poisson_two_sided


def _integrated(o: int, e: float, logvar: float) -> float:
    # An independent oracle: integrate over log μ ~ N(log e, logvar) with adaptive quadrature.
    sd = math.sqrt(logvar)

    def side(f):
        return integrate.quad(lambda z: f(math.exp(math.log(e) + sd * z)) * st.norm.pdf(z), -12, 12, limit=200)[0]

    return min(1.0, 2 * min(side(lambda mu: st.poisson.cdf(o, mu)), side(lambda mu: st.poisson.sf(o - 1, mu))))


@pytest.mark.parametrize("o,e,logvar", [(5, 3.0, 0.01), (0, 2.5, 0.2), (12, 4.0, 0.3), (30, 28.0, 0.05), (1, 9.0, 0.5)])
def test_the_quadrature_is_the_integral(o, e, logvar):
    assert poisson_predictive_two_sided(o, e, logvar) == pytest.approx(_integrated(o, e, logvar), abs=1e-6)


def test_no_model_uncertainty_is_the_poisson_p():
    assert poisson_predictive_two_sided(7, 3.0, 0.0) == poisson_two_sided(7, 3.0)


@pytest.mark.parametrize("logvar", [1e4, 1e8, 1e300])
def test_a_huge_uncertainty_gives_p_one_without_overflow(logvar):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        p = poisson_predictive_two_sided(5, 3.0, logvar)
    assert p == 1.0 and np.isfinite(p)
