"""A small hand-made store whose follow-up values are computed by hand."""

from __future__ import annotations

import datetime as dt
import math

import duckdb
import pytest
from scipy import stats as st

from likstall.disclosure.cells import TOTAL
from likstall.release import make_release
from likstall.ingest.load import ingest

from helpers import write_tables

# District A: 10 000 inhabitants (K 5 000 / M 5 000, all 25-44), 40 known victims (30 women), 12 placements
# in skyddat boende lasting 5, 10, …, 60 days, all closed; 20 applications (12 granted, 8 refused).
# District B: 20 000 inhabitants, 60 known victims (50 women), 8 placements of 20 days, 14 applications.


def build(tmp_path):
    districts = [{"code": c, "name": n, "region": r, "year": 2021, "has_emergency_flats": f, "rvt_refers_to_shis": "ja"}
                 for c, n, r, f in (("a", "Adal", "Norr", "ja"), ("b", "Bedal", "Syd", "nej"))]
    population = [{"district": d, "year": 2021, "sex": s, "age_band": "25-44", "count": n}
                  for d, per in (("a", 5000), ("b", 10000)) for s, n in (("K", per), ("M", per))]
    socio = [{"district": d, "year": 2021, "indicator": "median_income", "value": v} for d, v in (("a", 250000), ("b", 400000))]
    cases, placements = [], []
    for d, n_cases, n_women, stays, n_apps in (("a", 40, 30, [5 * (i + 1) for i in range(12)], 20),
                                                ("b", 60, 50, [20] * 8, 14)):
        for i in range(n_cases):
            cases.append({"case_id": f"AR-{d}-{i}", "person_id": f"P-{d}-{i}", "district": d,
                          "opened": "2021-02-01", "closed": "", "sex": "K" if i < n_women else "M",
                          "birth_year": "1985", "target_group": "vald_i_nara_relation", "handling_unit": "rvt"})
        for j in range(n_apps):
            granted = j < len(stays)
            start = dt.date(2021, 3, 1)
            placements.append({
                "placement_id": f"IN-{d}-{j}", "case_id": f"AR-{d}-{j}", "type": "skyddat_boende",
                "referring_unit": "rvt", "applied": "2021-02-20", "decision": "beviljad" if granted else "avslag",
                "decided": "2021-02-25", "start": start.isoformat() if granted else "",
                "end": (start + dt.timedelta(days=stays[j])).isoformat() if granted else "", "children": "0",
                "cost_sek": ""})
    folder = write_tables(tmp_path / "golden", {"districts": districts, "population": population,
                                                 "socioeconomics": socio, "cases": cases, "placements": placements})
    db = tmp_path / "golden.duckdb"
    r = ingest([folder], db, extract_date=dt.date(2022, 1, 31))
    assert r.quarantined == 0
    return make_release(db, 2021)[0]


def garwood(x, conf=0.95):
    a = 1 - conf
    return (0.0 if x == 0 else st.chi2.ppf(a / 2, 2 * x) / 2), st.chi2.ppf(1 - a / 2, 2 * x + 2) / 2


def test_golden_values(tmp_path):
    fu = build(tmp_path)
    pub = fu.publication
    # Values are released as they are shown: rounded to the indicator's decimals.
    # Known victims per 10 000: A 40/10 000 → 40,0; city 100/30 000 → 33,3
    a = pub.tables["rate_victims"].cell(district="a")
    lo, hi = garwood(40)
    assert a.value == pytest.approx(40.0) and a.ci_low == pytest.approx(round(lo, 1)) and a.ci_high == pytest.approx(round(hi, 1))
    assert pub.tables["rate_victims"].cell(district=TOTAL).value == pytest.approx(round(100 / 30_000 * 10_000, 1))
    # Women per 10 000 women 18+: B 50/10 000 → 50,0
    assert pub.tables["rate_women_victims"].cell(district="b").value == pytest.approx(50.0)
    # Skyddat boende per 10 000: A 12 → 12,0; B 8/20 000 → 4,0
    assert pub.tables["rate_sb"].cell(district="a").value == pytest.approx(12.0)
    assert pub.tables["rate_sb"].cell(district="b").value == pytest.approx(4.0)
    # Grant rate A: 12/20 = 60 %, Wilson interval by hand.
    g = pub.tables["sb_grant_rate"].cell(district="a")
    z = st.norm.ppf(0.975)
    k, n = 12, 20
    centre = (2 * k + z * z) / (2 * (n + z * z))
    half = z * math.sqrt(z * z + 4 * k * (1 - k / n)) / (2 * (n + z * z))
    assert g.value == pytest.approx(60.0) and g.ci_low == pytest.approx(round(100 * (centre - half), 1))
    # Lengths of stay A: 5, 10, …, 60 days, none censored: S(30) = 6/12 = 0,5 exactly, so R's median is the
    # midpoint of 30 and 35.
    assert pub.tables["los_median"].cell(district="a").value == pytest.approx(32.5)
    # Mean of closed stays 390/12 = 32,5 → 33 (whole days, half up); without the longest (60): 330/11 = 30;
    # without 60 and 55: 275/10 = 27,5 → 28
    assert pub.tables["los_mean_closed"].cell(district="a").value == 33
    assert pub.tables["los_mean_without_longest"].cell(district="a").value == 30
    assert pub.tables["los_mean_without_two_longest"].cell(district="a").value == 28
    # RMST to 90 days = the mean (nothing censored, all end before 90) = 32,5
    assert pub.tables["los_rmst"].cell(district="a").value == pytest.approx(32.5)
    # Share still placed after 60 days: 0
    assert pub.tables["los_share_over_60"].cell(district="a").value == pytest.approx(0.0)
    # Days: A 5+10+…+60 = 390
    assert pub.tables["sb_days"].cell(district="a").value == pytest.approx(390)
