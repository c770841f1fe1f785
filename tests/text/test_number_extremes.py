"""Numbers far outside what Babel's default decimal context holds are still written (seen in a generated
city with 8 districts whose income model did not converge), and such a model gets no sentence."""

from __future__ import annotations

from types import SimpleNamespace

from likstall.release.sentences import sentences
from likstall.text.numbers import num


def test_a_huge_number_is_formatted_not_raised():
    # 28 digits is decimal's default precision; Babel rounds in the current context.
    assert num(-1.5e40, 1, "sv").replace("\u00a0", " ").startswith("-15 000 000 000")
    assert num(2.5e30, 0, "en").startswith("2,500,000,000")
    assert num(1234.56, 1, "sv").replace("\u00a0", " ") == "1 234,6"


def test_a_model_that_did_not_converge_gets_no_sentence():
    pub = SimpleNamespace(tables={})
    ctx = SimpleNamespace(publication=pub, year=2021, codes=[])
    blown = {"model": {"coef": {"median_income": 0.3}, "ci": {"median_income": {"lower": -120.0, "upper": 95.0}}}}
    assert "model" not in sentences(ctx, [], blown, "sv")
    fine = {"model": {"coef": {"median_income": -0.2}, "ci": {"median_income": {"lower": -0.3, "upper": -0.1}}}}
    assert "model" in sentences(ctx, [], fine, "sv")


def test_a_rounded_negative_zero_has_no_sign():
    from likstall.text.numbers import pct

    assert num(-0.0, 1) == num(-0.04, 1) == "0,0" and num(-0.06, 1) == "-0,1"
    assert pct(-0.0001).replace("\u00a0", " ") == "0,0 %" and pct(-0.256).replace("\u00a0", " ") == "-25,6 %"
    # Babel rounds half-even in decimal: -0,0005 is -0,05 % and rounds to zero there, not to -0,1 %.
    assert pct(-0.0005, 1).replace("\u00a0", " ") == "0,0 %" and pct(-5e-05, 2).replace("\u00a0", " ") == "0,00 %"
