"""The known-truth mode of the demo generator (calibration benchmark): effects where the truth says."""

from __future__ import annotations

import json

import pytest

from likstall.demo.generate import TRUTHS, generate
from likstall.demo.write import write_demo_data


def _sb(d):
    pl = d.placements.merge(d.cases[["case_id", "district", "target_group"]], on="case_id")
    return pl[pl.type == "skyddat_boende"]


def test_truth_is_recorded_and_planted_where_it_says(tmp_path):
    d = generate(seed=5, truth="grant_rate", years=[2020, 2021])
    eff = d.truth["effect_districts"]
    assert len(eff) == 2 and d.truth["kind"] == "grant_rate" and d.truth["direction"] == "lower"
    sb = _sb(d)
    rate = sb.groupby("district").decision.apply(lambda s: (s == "beviljad").mean())
    assert rate[eff].max() < 0.65 and rate.drop(eff).min() > 0.75  # 50 % against ~90 %
    summary = write_demo_data(tmp_path, seed=5, years=[2021], districts=30, truth="absent_target_group")
    truth = json.loads((tmp_path / "demo-data.json").read_text())["truth"]
    assert truth == summary["truth"] and len(truth["effect_districts"]) == 3
    cases = generate(seed=5, years=[2021], n_districts=30, truth="absent_target_group").cases
    sme = cases[cases.target_group == "sex_mot_ersattning"].district.unique()
    assert not set(truth["effect_districts"]) & set(sme) and len(sme) >= 20


def test_null_has_no_district_effects_and_the_default_has_no_truth():
    d = generate(seed=5, truth="null", years=[2020, 2021])
    assert d.truth["effect_districts"] == [] and generate(seed=5, years=[2021]).truth is None
    sb = _sb(d)
    per_1000 = sb[sb.decision == "beviljad"].groupby("district").size() / d.population[
        d.population.year == 2021].groupby("district")["count"].sum() * 1000 / 2
    assert per_1000.max() / per_1000.min() < 2.5  # one rate everywhere (0,4 ‰), only chance between
    with pytest.raises(ValueError, match="sanning"):
        generate(seed=5, truth="everything")
    assert set(TRUTHS) >= {"null", "null-socio", "placements", "stays", "grant_rate", "absent_target_group",
                           "shis_pathway"}
