"""The demo data set: synthetic, deterministic per seed, in the import contract.

The model (vectorised with numpy, so `--districts 50000` still runs in seconds):
- districts with a population by sex and age band, a median income and a share of economic
  assistance; 13 = the Stockholm districts of `stockholm.py`, any other N = synthetic districts;
- known victims (cases) per district and year, higher where incomes are low; ~90 % women;
- applications for skyddat boende, SHIS, jourlägenhet and förtur; ~15 % refused;
- durations of skyddat boende: gamma-distributed around a district mean, with one or two very long
  stays in the small districts the seed describes; in the final year the closed placements'
  means are calibrated exactly to the seed's figures; placements still running at the extract
  date have no end date (right-censored).
Every identifier is synthetic (person ids "P-…", case ids "AR-…"); nothing is a personnummer.

`truth=` (CLI `--truth`) gives a city with *known truth* for the calibration benchmark
(`benchmarks/calibration.py`, docs/statistics/calibration.md): every district follows the same model
(no district effects: the same stays, grant rate, SHIS use and pathway, target-group shares and
vulnerability shares; victims' ages follow the district's population; no trend over the years),
optionally with a socio-economic gradient in victims and placements, and one kind of effect planted
in a recorded set of districts (`DemoData.truth`). The default data (no `truth`) are unchanged.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..contract.columns import AGE_BANDS
from . import stockholm as sthlm

TARGET_GROUPS = ("vald_i_nara_relation", "hedersrelaterat", "sexuellt_vald", "sex_mot_ersattning", "manniskohandel")
TARGET_SHARES = np.array([0.775, 0.10, 0.07, 0.035, 0.02])
VICTIM_AGE_SHARES = np.array([0.025, 0.18, 0.50, 0.22, 0.06, 0.015])  # per AGE_BANDS
VICTIM_AGE_RANGES = ((15, 17), (18, 24), (25, 44), (45, 64), (65, 79), (80, 92))
POP_AGE_SHARES = np.array([0.20, 0.08, 0.35, 0.23, 0.10, 0.04])

# ---- known truth (calibration) ---------------------------------------------------------------------------
# mode → (socio-economic gradient?, planted effect: the finding kind that should report it, its direction)
TRUTHS = {
    "null": (False, None),
    "null-socio": (True, None),
    "placements": (True, ("placements", "higher")),
    "stays": (True, ("stays", "higher")),
    "grant_rate": (True, ("grant_rate", "lower")),
    "absent_target_group": (True, ("target_groups", "lower")),
    "shis_pathway": (True, ("shis_pathway", "lower")),
}
TRUTH_SB_PER_1000 = 0.40  # skyddat boende per 1 000 inhabitants without a gradient
TRUTH_GRADIENT = 0.22  # log rate of placements per percentage point of economic assistance
TRUTH_VICTIM_GRADIENT = 0.08  # the same for known victims
TRUTH_MEAN_DAYS = 25.0
TRUTH_REFUSED_PER_GRANTED = 0.11  # about 90 % granted
TRUTH_SHIS_PER_100_SB = 20.0
TRUTH_SHIS_RVT = 0.75  # SHIS referred by RVT; ekonomiskt bistånd 0,15, others 0,10
TRUTH_ABSENT_GROUP = "sex_mot_ersattning"
# The planted effects: placements rate ×2, stays ×4 longer, grant rate 50 %, the group absent, SHIS
# referred by RVT in 15 % (ekonomiskt bistånd 75 %).
TRUTH_EFFECT = {"placements": 2.0, "stays": 4.0, "grant_rate": 1.0, "absent_target_group": 0.0, "shis_pathway": 0.15}
TRUTH_EFFECT_TEXT = {"placements": "placeringar i skyddat boende ×2", "stays": "vistelser ×4 längre",
                     "grant_rate": "beviljandegrad 50 % (övriga ~90 %)",
                     "absent_target_group": "målgruppen sex mot ersättning saknas",
                     "shis_pathway": "SHIS remitteras till 15 % av RVT (övriga 75 %)"}


def effect_districts_count(n: int) -> int:
    """How many districts carry the planted effect: two in a city of 13, three in 30."""
    return max(1, min(n - 3, max(2, n // 10)))


def _truth_frame(d: pd.DataFrame, mode: str, rng: np.random.Generator) -> tuple[pd.DataFrame, dict]:
    """The district frame of a known-truth city: the same model everywhere, the effect in a few districts."""
    if mode not in TRUTHS:
        raise ValueError(f"okänd sanning {mode!r}; välj {', '.join(TRUTHS)}")
    gradient, planted = TRUTHS[mode]
    d = d.copy()
    n = len(d)
    ea = d["economic_assistance_pct"].to_numpy(float)
    ea_c = ea - 3.5
    d["sb_per_1000"] = TRUTH_SB_PER_1000 * (np.exp(TRUTH_GRADIENT * ea_c) if gradient else 1.0)
    d["victim_weight"] = np.exp(TRUTH_VICTIM_GRADIENT * ea_c) if gradient else np.ones(n)
    d["mean_days"] = TRUTH_MEAN_DAYS
    d["long_stays"] = 0
    d["refused_per_granted"] = TRUTH_REFUSED_PER_GRANTED
    d["shis_per_100_sb"] = TRUTH_SHIS_PER_100_SB
    d["shis_rvt"] = TRUTH_SHIS_RVT
    d["shis_referrer"] = "rvt"
    d["sex_mot_ersattning"] = True
    effects: list[str] = []
    if planted is not None:
        idx = np.sort(rng.choice(n, effect_districts_count(n), replace=False))
        effects = [str(c) for c in d["code"].to_numpy()[idx]]
        size = TRUTH_EFFECT[mode]
        if mode == "placements":
            d.loc[idx, "sb_per_1000"] *= size
        elif mode == "stays":
            d.loc[idx, "mean_days"] *= size
        elif mode == "grant_rate":
            d.loc[idx, "refused_per_granted"] = size
        elif mode == "absent_target_group":
            d.loc[idx, "sex_mot_ersattning"] = False
        elif mode == "shis_pathway":
            d.loc[idx, "shis_rvt"] = size
            d.loc[idx, "shis_referrer"] = "ekonomiskt_bistand"
    truth = {"mode": mode, "socio_gradient": gradient, "kind": planted[0] if planted else None,
             "direction": planted[1] if planted else None, "effect_districts": effects,
             "effect": TRUTH_EFFECT.get(mode), "description": TRUTH_EFFECT_TEXT.get(mode, "inga effekter"),
             "target_group": TRUTH_ABSENT_GROUP if mode == "absent_target_group" else None}
    return d, truth


@dataclass
class DemoData:
    districts: pd.DataFrame
    population: pd.DataFrame
    socioeconomics: pd.DataFrame
    cases: pd.DataFrame
    placements: pd.DataFrame
    extract_date: dt.date
    truth: dict | None = field(default=None)  # only with generate(truth=…): which districts have which effect

    def tables(self) -> dict[str, pd.DataFrame]:
        return {"districts": self.districts, "population": self.population, "socioeconomics": self.socioeconomics,
                "cases": self.cases, "placements": self.placements}


def parse_years(spec: str) -> list[int]:
    a, _, b = spec.partition("-")
    first, last = int(a), int(b or a)
    if not 1990 <= first <= last <= 2100:
        raise ValueError(f"ogiltigt årsintervall {spec!r}; skriv t.ex. 2015-2021")
    return list(range(first, last + 1))


def _district_frame(n: int, rng: np.random.Generator) -> pd.DataFrame:
    if n == len(sthlm.DISTRICTS):
        return pd.DataFrame([d.__dict__ for d in sthlm.DISTRICTS])
    # Synthetic districts: the same model with drawn parameters.
    income = rng.normal(330, 70, n).clip(180, 550)
    z = (income - 330) / 70
    pop = np.round(rng.lognormal(np.log(35_000), 0.6, n)).astype(int).clip(3_000, 400_000)
    n_regions = max(1, round(n / 3.25))
    long_stays = np.where(pop < 25_000, rng.integers(0, 3, n), 0)
    shis = rng.random(n) < 0.3
    return pd.DataFrame({
        "code": [f"D{i:05d}" for i in range(1, n + 1)],
        "name": [f"Distrikt {i}" for i in range(1, n + 1)],
        "region": [f"Region {1 + i * n_regions // n:03d}" for i in range(n)],
        "population": pop,
        "median_income_tkr": income.round(0),
        "economic_assistance_pct": (4.0 - 2.5 * z).clip(0.5, 12).round(1),
        "sb_per_1000": (0.45 - 0.25 * z).clip(0.05, 1.2) * rng.uniform(0.8, 1.2, n),
        "mean_days": rng.uniform(12, 40, n) + 15 * long_stays,
        "long_stays": long_stays,
        "has_emergency_flats": rng.random(n) < 0.5,
        "shis_per_100_sb": np.where(shis, rng.uniform(5, 25, n), 0.0),
        "shis_referrer": np.where(shis, np.where(rng.random(n) < 0.6, "rvt", "ekonomiskt_bistand"), None),
        "sex_mot_ersattning": rng.random(n) < 0.8,
    })


def generate(seed: int = 2021, years: list[int] | None = None, n_districts: int = 13,
             extract_date: dt.date | None = None, truth: str | None = None) -> DemoData:
    years = years or list(range(2015, 2022))
    final = years[-1]
    extract = extract_date or dt.date(final + 1, 1, 31)
    rng = np.random.default_rng(seed)
    d = _district_frame(n_districts, rng)
    nd = len(d)
    known = None
    if truth is not None:
        d, known = _truth_frame(d, truth, rng)
    # Growth over the period: the final year is the calibrated one (no trend with known truth).
    year_factor = {y: 1.0 if known else 1.0 - 0.025 * (final - y) for y in years}

    districts = pd.DataFrame([
        {"code": r.code, "name": r.name, "region": r.region, "year": y,
         "has_emergency_flats": bool(r.has_emergency_flats), "rvt_refers_to_shis": r.shis_referrer == "rvt"}
        for y in years for r in d.itertuples()
    ])

    # Population by sex and age band; inner-city profile has fewer children.
    pop_rows = []
    for y in years:
        growth = 1.0 - 0.008 * (final - y)
        for r in d.itertuples():
            total = r.population * growth
            shares = POP_AGE_SHARES.copy()
            if r.median_income_tkr > 400:
                shares = shares + np.array([-0.04, 0.01, 0.04, 0.0, -0.01, 0.0])
            shares = shares / shares.sum()
            for sex, sex_share in (("K", 0.505), ("M", 0.495)):
                for band, s in zip(AGE_BANDS, shares):
                    pop_rows.append((r.code, y, sex, band, int(round(total * sex_share * s))))
    population = pd.DataFrame(pop_rows, columns=["district", "year", "sex", "age_band", "count"])

    socio = pd.DataFrame(
        [(r.code, y, "median_income", round(r.median_income_tkr * (1 - 0.02 * (final - y)) * 1000, -2))
         for y in years for r in d.itertuples()]
        + [(r.code, y, "share_economic_assistance", round(r.economic_assistance_pct * (1 + 0.01 * (final - y)), 2))
           for y in years for r in d.itertuples()],
        columns=["district", "year", "indicator", "value"],
    )

    # --- cases: known victims per district and year -------------------------------------------
    pop = d["population"].to_numpy(float)
    weight = pop * (0.55 + 0.09 * d["economic_assistance_pct"].to_numpy(float))
    per_capita_final = sthlm.KNOWN_VICTIMS_FINAL_YEAR / weight[: len(sthlm.DISTRICTS)].sum() if nd == 13 else \
        sthlm.KNOWN_VICTIMS_FINAL_YEAR / (np.array([x.population for x in sthlm.DISTRICTS]) *
                                          (0.55 + 0.09 * np.array([x.economic_assistance_pct for x in sthlm.DISTRICTS]))).sum()
    if known:
        # Log-linear in economic assistance (what the models fit), scaled to the seed's 2 779 in Stockholm.
        weight = pop * d["victim_weight"].to_numpy(float)
        sthlm_w = np.array([x.population for x in sthlm.DISTRICTS]) * (
            np.exp(TRUTH_VICTIM_GRADIENT * (np.array([x.economic_assistance_pct for x in sthlm.DISTRICTS]) - 3.5))
            if known["socio_gradient"] else 1.0)
        per_capita_final = sthlm.KNOWN_VICTIMS_FINAL_YEAR / float(np.sum(sthlm_w))
    pop_shares = np.tile(POP_AGE_SHARES, (nd, 1))
    pop_shares[d["median_income_tkr"].to_numpy(float) > 400] += np.array([-0.04, 0.01, 0.04, 0.0, -0.01, 0.0])
    pop_shares /= pop_shares.sum(axis=1, keepdims=True)
    # With known truth, victims' ages follow the district's population (so the age-standardised
    # expectations and the 65+ comparison with the population are right under the null).
    victim_age_p = VICTIM_AGE_SHARES * pop_shares / POP_AGE_SHARES
    victim_age_p /= victim_age_p.sum(axis=1, keepdims=True)
    case_frames = []
    next_case = 1
    person_pool_start = 1
    for y in years:
        lam = weight * per_capita_final * year_factor[y]
        exact = y == final and nd == 13 and not known
        counts = np.round(lam).astype(int) if exact else rng.poisson(lam)
        if exact:
            counts[np.argmax(counts)] += sthlm.KNOWN_VICTIMS_FINAL_YEAR - counts.sum()
        n = int(counts.sum())
        dist_idx = np.repeat(np.arange(nd), counts)
        opened = _random_dates(rng, y, n, extract)
        age_band_idx = (_choice_rows(rng, victim_age_p[dist_idx]) if known
                        else rng.choice(len(AGE_BANDS), n, p=VICTIM_AGE_SHARES))
        lo = np.array([a for a, _ in VICTIM_AGE_RANGES])[age_band_idx]
        hi = np.array([b for _, b in VICTIM_AGE_RANGES])[age_band_idx]
        age = rng.integers(lo, hi + 1)
        sex = rng.choice(np.array(["K", "M", "X", "okänt"]), n, p=[sthlm.SHARE_WOMEN, 0.093, 0.004, 0.003])
        tg_p = np.tile(TARGET_SHARES, (nd, 1))
        tg_p[~d["sex_mot_ersattning"].to_numpy(bool), 3] = 0.0
        tg_p = tg_p / tg_p.sum(axis=1, keepdims=True)
        tg = _choice_rows(rng, tg_p[dist_idx])
        ea = d["economic_assistance_pct"].to_numpy(float)[dist_idx]
        if known:  # no district differences in the vulnerability shares
            ea = np.full(n, 3.5)
        # Repeat victims: about 12 % of cases belong to a person seen in an earlier year.
        repeat = (rng.random(n) < 0.12) & (person_pool_start > 1)
        person_no = np.where(repeat, rng.integers(1, max(person_pool_start, 2), n),
                             person_pool_start + np.arange(n))
        person_pool_start += n
        closed_after = rng.gamma(2.0, 90, n).astype(int) + 7
        closed = opened + closed_after.astype("timedelta64[D]")
        closed_str = np.where(closed <= np.datetime64(extract), closed.astype(str), "")
        hu = rng.choice(np.array(["rvt", "ekonomiskt_bistand", "barn_och_unga", "annan"]), n, p=[0.74, 0.11, 0.10, 0.05])
        case_frames.append(pd.DataFrame({
            "case_id": [f"AR-{y}-{k:07d}" for k in range(next_case, next_case + n)],
            "person_id": [f"P-{p:08d}" for p in person_no],
            "district": d["code"].to_numpy()[dist_idx],
            "opened": opened.astype(str),
            "closed": closed_str,
            "sex": sex,
            "birth_year": (y - age).astype(int),
            "target_group": np.array(TARGET_GROUPS)[tg],
            "handling_unit": hu,
            "disability": rng.random(n) < 0.07,
            "addiction": rng.random(n) < 0.09,
            "economic_vulnerability": rng.random(n) < (0.18 + 0.035 * ea),
            "honour_context": (np.array(TARGET_GROUPS)[tg] == "hedersrelaterat") | (rng.random(n) < 0.02),
            "interpreter_needed": rng.random(n) < (0.05 + 0.02 * ea),
            "freda_screening": rng.random(n) < (0.85 - 0.02 * ea),
            "freda_risk_assessment": rng.random(n) < (0.55 - 0.015 * ea),
            "_d": dist_idx,
            "_year": y,
        }))
        next_case += n
    cases = pd.concat(case_frames, ignore_index=True)

    placements = _placements(rng, d, cases, years, final, year_factor, extract, calibrate=(nd == 13 and not known),
                             truth=known is not None)
    return DemoData(districts, population, socio, cases.drop(columns=["_d", "_year"]), placements, extract, known)


def _random_dates(rng, year: int, n: int, extract: dt.date, lo_day: int = 0) -> np.ndarray:
    start = np.datetime64(f"{year}-01-01")
    end = min(np.datetime64(f"{year}-12-31"), np.datetime64(extract))
    span = int((end - start).astype(int)) + 1
    return start + rng.integers(lo_day, max(span, lo_day + 1), n).astype("timedelta64[D]")


def _choice_rows(rng, p: np.ndarray) -> np.ndarray:
    """One categorical draw per row of a probability matrix."""
    u = rng.random(len(p))[:, None]
    return (p.cumsum(axis=1) < u).sum(axis=1).clip(0, p.shape[1] - 1)


def _placements(rng, d, cases, years, final, year_factor, extract, *, calibrate: bool,
                truth: bool = False) -> pd.DataFrame:
    nd = len(d)
    frames = []
    next_id = 1
    ext = np.datetime64(extract)
    for y in years:
        in_year = cases[cases["_year"] == y]
        case_d = in_year["_d"].to_numpy()
        if len(in_year) == 0:
            continue
        order = np.argsort(case_d, kind="stable")
        case_ids = in_year["case_id"].to_numpy()[order]
        case_opened = in_year["opened"].to_numpy().astype("datetime64[D]")[order]
        counts_by_d = np.bincount(case_d, minlength=nd)
        offsets = np.concatenate([[0], counts_by_d.cumsum()[:-1]])

        sb_lam = d["population"].to_numpy(float) * d["sb_per_1000"].to_numpy(float) / 1000 * year_factor[y]
        sb = np.round(sb_lam).astype(int) if (calibrate and y == final) else rng.poisson(sb_lam)
        shis = rng.poisson(sb_lam * d["shis_per_100_sb"].to_numpy(float) / 100)
        flats = np.where(d["has_emergency_flats"].to_numpy(bool), rng.poisson(sb_lam * 0.35), 0)
        fortur = rng.poisson(sb_lam * 0.15)
        refused_sb = rng.poisson(sb_lam * (d["refused_per_granted"].to_numpy(float) if truth else 0.15))
        refused_shis = rng.poisson(shis * 0.1)

        kinds = []  # (type, granted, counts per district)
        kinds += [("skyddat_boende", True, sb), ("skyddat_boende", False, refused_sb)]
        kinds += [("shis", True, shis), ("shis", False, refused_shis)]
        kinds += [("jourlagenhet", True, flats), ("fortur", True, fortur)]
        for ptype, granted, cnt in kinds:
            cnt = np.where(counts_by_d > 0, cnt, 0)
            n = int(cnt.sum())
            if n == 0:
                continue
            dist = np.repeat(np.arange(nd), cnt)
            pick = offsets[dist] + (rng.random(n) * counts_by_d[dist]).astype(int)
            opened = case_opened[pick]
            # Applications and decisions fall in the case's year, so each year's placements are that year's.
            year_end = min(np.datetime64(f"{y}-12-31"), ext)
            applied = np.minimum(opened + rng.integers(0, 20, n).astype("timedelta64[D]"), year_end)
            decided = np.minimum(applied + rng.integers(0, 4, n).astype("timedelta64[D]"), year_end)
            if ptype == "shis" and truth:
                u, p_rvt = rng.random(n), d["shis_rvt"].to_numpy(float)[dist]
                referrer = np.where(u < p_rvt, "rvt", np.where(u < 0.90, "ekonomiskt_bistand", "annan"))
            elif ptype == "shis":
                referrer = np.where(rng.random(n) < 0.85, d["shis_referrer"].to_numpy(object)[dist], "annan")
                referrer = np.where(referrer == None, "annan", referrer)  # noqa: E711
            elif ptype == "skyddat_boende":
                referrer = rng.choice(np.array(["rvt", "ekonomiskt_bistand", "annan"]), n, p=[0.86, 0.06, 0.08])
            else:
                referrer = rng.choice(np.array(["rvt", "ekonomiskt_bistand", "annan"]), n, p=[0.7, 0.2, 0.1])
            start = np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")
            end = np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")
            if granted:
                start = decided.copy()
                dur = _durations(rng, ptype, d, dist, n)
                end = start + dur.astype("timedelta64[D]")
                if ptype == "skyddat_boende" and calibrate and y == final:
                    start, end = _calibrate_final_year(rng, d, dist, start, ext, y)
                    # Calibration moves start dates: keep application ≤ decision ≤ start.
                    decided = start - rng.integers(0, 3, n).astype("timedelta64[D]")
                    applied = decided - rng.integers(0, 5, n).astype("timedelta64[D]")
            frames.append(pd.DataFrame({
                "_d": dist, "_year": y, "case_id": case_ids[pick], "type": ptype, "referring_unit": referrer,
                "applied": applied, "decision": "beviljad" if granted else "avslag", "decided": decided,
                "start": start, "end": end,
                "children": rng.poisson(0.9, n) if ptype in ("skyddat_boende", "shis", "jourlagenhet") else 0,
            }))
    p = pd.concat(frames, ignore_index=True)
    # Cost: a day rate per type times the days within the extract (none for refusals).
    day_rate = p["type"].map({"skyddat_boende": 2_100, "shis": 380, "jourlagenhet": 450, "fortur": 0})
    days = (p["end"].fillna(pd.Timestamp(ext)) - p["start"]).dt.days
    p["cost_sek"] = (day_rate * days).where(p["start"].notna())
    # Placements still running at the extract date have no end date yet.
    p.loc[p["end"] > pd.Timestamp(ext), "end"] = pd.NaT
    p = p.sort_values(["_year", "applied", "_d"], kind="stable").reset_index(drop=True)
    p.insert(0, "placement_id", [f"IN-{y}-{k:07d}" for k, y in zip(range(1, len(p) + 1), p["_year"])])
    for c in ("applied", "decided", "start", "end"):
        p[c] = p[c].dt.strftime("%Y-%m-%d").fillna("")
    p["cost_sek"] = p["cost_sek"].round(0).astype("Int64")
    return p.drop(columns=["_d", "_year"])


def _durations(rng, ptype: str, d: pd.DataFrame, dist: np.ndarray, n: int) -> np.ndarray:
    if ptype == "skyddat_boende":
        mean = d["mean_days"].to_numpy(float)[dist]
        dur = rng.gamma(1.6, mean / 1.6)
        # The seed's point: one or two very long stays in small districts.
        long_p = d["long_stays"].to_numpy(float)[dist] * 0.08
        dur = np.where(rng.random(n) < long_p, rng.uniform(150, 300, n), dur)
    elif ptype == "shis":
        dur = rng.gamma(2.0, 200, n)
    elif ptype == "jourlagenhet":
        dur = rng.gamma(2.0, 45, n)
    else:
        dur = rng.gamma(1.5, 60, n)
    return np.maximum(1, np.round(dur)).astype(int)


def _calibrate_final_year(rng, d, dist, start, ext, year):
    """Final year, skyddat boende: closed placements' mean days per district exactly as in the seed.

    Per district: a few placements started late in the year are still running at the extract date;
    the closed ones get gamma durations, the long-stay districts one or two stays of 150–300 days,
    and the remaining durations are rescaled so that the mean of the closed placements is the
    target. Start dates are then drawn so every closed placement ends before the extract date.
    """
    start = start.copy()
    end = np.full(len(start), np.datetime64("NaT"), dtype="datetime64[D]")
    for k in np.unique(dist):
        idx = np.flatnonzero(dist == k)
        row = d.iloc[k]
        n = len(idx)
        n_open = min(max(1, int(round(n * 0.08))), max(n - 3, 0))
        open_idx, closed_idx = idx[:n_open], idx[n_open:]
        # Ongoing: started in the last weeks of the year, no end.
        start[open_idx] = np.datetime64(f"{year}-12-01") + rng.integers(0, 31, len(open_idx)).astype("timedelta64[D]")
        m = len(closed_idx)
        if m == 0:
            continue
        target = float(row.mean_days)
        dur = rng.gamma(1.6, target / 1.6, m)
        n_long = min(int(row.long_stays), m - 1)
        long_vals = rng.uniform(0.30, 0.40, n_long) * target * m if n_long else np.array([])
        long_vals = np.minimum(long_vals, 320)
        rest_total = target * m - long_vals.sum()
        rest = dur[: m - n_long]
        rest = np.maximum(1, rest * rest_total / rest.sum())
        durs = np.concatenate([long_vals, rest])
        durs = np.maximum(1, np.round(durs)).astype(int)
        # Put the rounding remainder on the largest short stay so the mean is on target.
        diff = int(round(target * m)) - durs.sum()
        j = n_long + int(np.argmax(durs[n_long:])) if m > n_long else 0
        durs[j] = max(1, durs[j] + diff)
        rng.shuffle(durs)
        latest = np.minimum(np.datetime64(f"{year}-12-31"), ext - durs.astype("timedelta64[D]"))
        first = np.datetime64(f"{year}-01-01")
        span = np.maximum((latest - first).astype(int), 0)
        s = first + (rng.random(m) * (span + 1)).astype(int).astype("timedelta64[D]")
        start[closed_idx] = s
        end[closed_idx] = s + durs.astype("timedelta64[D]")
    return start, end
