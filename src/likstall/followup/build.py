"""The yearly follow-up: `(store, year, settings) → FollowUp`, the one object every renderer uses.

Counts come from the protected publication; every derived number enters it through
`Publication.derive`, so it is suppressed with its base count. Statistics come from likstall.stats
on small aggregate tables. Nothing here formats or writes anything.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats as st

from .. import stats as S
from ..aggregate import inputs as I
from ..disclosure.cells import TOTAL, CellKey, Registry
from ..disclosure.gate import Publication
from ..disclosure.policy import Policy
from ..publish import prepare

SB = "skyddat_boende"
RMST_HORIZON = 90
LONG_STAY = 60
Q_LEVEL = 0.05


@dataclass
class Settings:
    policy: Policy = field(default_factory=Policy)
    conf: float = 0.95
    lang: str = "sv"
    record_release: bool = True


@dataclass
class Finding:
    district: str
    indicator: str
    direction: str  # "higher" or "lower"
    estimate: float
    ci_low: float
    ci_high: float
    q_value: float
    unit: str
    text_sv: str
    text_en: str


@dataclass
class FollowUp:
    year: int
    publication: Publication
    districts: pd.DataFrame  # code, name, region, has_emergency_flats, rvt_refers_to_shis
    findings: list[Finding]
    stats: dict  # city-wide results: model coefficients, φ, τ², log-rank, Cox, trend summaries
    curves: dict[str, pd.DataFrame]  # Kaplan–Meier curves of regions and the city (large groups only)
    funnel: dict  # overdispersion-adjusted limits for the placement funnel (a grid, no person data)
    quarantine: pd.DataFrame  # rows of files per rule
    settings: Settings

    def table(self, name: str):
        return self.publication.tables[name]

    @property
    def codes(self) -> list[str]:
        return list(self.districts["code"])

    def name(self, code: str) -> str:
        if code == TOTAL:
            return "Hela staden" if self.settings.lang == "sv" else "Whole city"
        if code.startswith("region:"):
            return code[len("region:"):]
        return self.publication.labels.get(code, code)


def _key(reg: Registry, table: str, **coords) -> CellKey:
    """The cell of `table` with these coordinates. An index per (table, dimensions asked) is kept on the
    registry: a scan per lookup made the national follow-up quadratic in its cells."""
    dims = tuple(sorted(coords))
    indexes = reg.__dict__.setdefault("_key_index", {})
    index = indexes.get((table, dims))
    if index is None:
        index = {}
        for k in reg.tables[table].cells:
            index.setdefault(tuple(k.get(d) for d in dims), k)  # the first match, as a scan would find
        indexes[(table, dims)] = index
    try:
        return index[tuple(str(coords[d]) for d in dims)]
    except KeyError:
        raise KeyError(f"{table}: {coords}") from None


def _dkey(measure: str, district: str, **extra) -> CellKey:
    return CellKey.of(measure, district=district, **extra)


def follow_up(con, year: int, settings: Settings | None = None) -> FollowUp:
    """Build the FollowUp for `year` from an open store connection."""
    settings = settings or Settings()
    prep = prepare(con, year, settings.policy)
    reg, pub, data = prep.registry, prep.publication, prep.data
    districts = data.districts.reset_index(drop=True)
    codes = list(districts["code"])
    areas = [*codes, TOTAL]
    pop = I.population(con, data.first_year, year)
    pop_y = pop[pop["year"] == year]
    totals = pop_y.groupby("district")["count"].sum()
    women18 = pop_y[(pop_y["sex"] == "K") & (pop_y["age_band"] != "0-17")].groupby("district")["count"].sum()

    def area_sum(series, area):
        return float(series.sum()) if area == TOTAL else float(series.get(area, 0))

    conf = settings.conf
    stats_out: dict = {"conf": conf, "q_level": Q_LEVEL}
    findings: list[Finding] = []
    v = reg.values

    # ---- 1. Overview rates --------------------------------------------------------------------
    def rate_rows(measure, count_key, denom, per=10_000):
        rows = []
        for a in areas:
            k = count_key(a)
            d = area_sum(denom, a)
            if d <= 0:
                rows.append((_dkey(measure, a), k, None, None, None, None))
                continue
            e = S.rate(v[k], d, per=per, conf=conf)
            rows.append((_dkey(measure, a), k, e.value, e.lower, e.upper, None))
        return rows

    victims_total = lambda a: _key(reg, "victims_by_sex", district=a, sex=TOTAL)  # noqa: E731
    victims_women = lambda a: _key(reg, "victims_by_sex", district=a, sex="K")  # noqa: E731
    sb_count = lambda a: _key(reg, "placements_by_type", district=a, placement_type=SB)  # noqa: E731
    pub.derive("rate_victims", "known_victims_per_10000", "per 10 000 invånare",
               "Kända våldsutsatta per 10 000 invånare", ("district",),
               rate_rows("known_victims_per_10000", victims_total, totals), method="exakt Poisson (Garwood)")
    pub.derive("rate_women_victims", "women_victims_per_10000_women_18plus", "per 10 000 kvinnor 18+",
               "Kända våldsutsatta kvinnor per 10 000 kvinnor 18+", ("district",),
               rate_rows("women_victims_per_10000_women_18plus", victims_women, women18), method="exakt Poisson (Garwood)")
    pub.derive("rate_sb", "sb_placements_per_10000", "per 10 000 invånare",
               "Placeringar i skyddat boende per 10 000 invånare", ("district",),
               rate_rows("sb_placements_per_10000", sb_count, totals), method="exakt Poisson (Garwood)")
    placed = lambda a: _key(reg, "persons_placed", district=a)  # noqa: E731
    pub.derive("rate_persons_placed", "persons_placed_per_10000_women_18plus", "per 10 000 kvinnor 18+",
               "Personer placerade i skyddat boende per 10 000 kvinnor 18+", ("district",),
               rate_rows("persons_placed_per_10000_women_18plus", placed, women18), method="exakt Poisson (Garwood)")

    dur_all = I.durations(con, data.first_year, year)
    dur = dur_all[dur_all["year"] == year]
    days_rows = []
    for a in areas:
        part = dur if a == TOTAL else dur[dur["district"] == a]
        days_rows.append((_dkey("sb_days", a), sb_count(a), float((part["days"] * part["n"]).sum()), None, None, None))
    pub.derive("sb_days", "sb_days", "dygn", "Dygn i skyddat boende (placeringar som startade under året)",
               ("district",), days_rows, method="summa dygn till slut eller uttagsdatum")

    # ---- 2. Are placements granted equally? ----------------------------------------------------
    strata = I.sb_by_stratum(con, year)
    known = strata[strata["sex"].isin(["K", "M"]) & strata["age_band"].notna()]
    city_rates = (known.groupby(["sex", "age_band"])["n"].sum()
                  / pop_y.groupby(["sex", "age_band"])["count"].sum()).fillna(0.0)
    e_raw = {c: float((pop_y[pop_y["district"] == c].set_index(["sex", "age_band"])["count"]
                       * city_rates).fillna(0).sum()) for c in codes}
    observed = {c: v[sb_count(c)] for c in codes}
    scale = sum(observed.values()) / max(sum(e_raw.values()), 1e-9)  # persons of unknown sex/age spread evenly
    e_agesex = {c: e_raw[c] * scale for c in codes}
    socio = I.socioeconomics(con, year)
    covars = [c for c in ("median_income", "share_economic_assistance") if c in socio.columns]
    o_arr = np.array([observed[c] for c in codes], dtype=float)
    e_arr = np.array([max(e_agesex[c], 1e-9) for c in codes])
    if covars and len(codes) > len(covars) + 2:
        X = socio.set_index("district").reindex(codes)[covars]
        fit = S.expected_from_model(o_arr, e_arr, X.fillna(X.mean()), family="negbin")
        e_adj = fit.expected
        stats_out["model"] = {"family": "negativ binomial", "covariates": covars,
                              "coef": fit.params.to_dict(), "ci": fit.conf_int.to_dict("index"),
                              "alpha": fit.alpha}
    else:
        e_adj = e_arr
        stats_out["model"] = None
    isr_rows, adj_rows, eb_rows = [], [], []
    for i, c in enumerate(codes):
        base = sb_count(c)
        r1 = S.isr(observed[c], e_arr[i], conf=conf)
        isr_rows.append((_dkey("sb_ratio_agesex", c), base, r1.value, r1.lower, r1.upper, None))
        r2 = S.isr(observed[c], max(e_adj[i], 1e-9), conf=conf)
        adj_rows.append((_dkey("sb_ratio_socio", c), base, r2.value, r2.lower, r2.upper, None))
    pub.derive("sb_ratio_agesex", "sb_ratio_agesex", "observerat/förväntat",
               "Placeringar i skyddat boende: observerat/förväntat efter ålder och kön", ("district",), isr_rows,
               method="indirekt standardisering, exakt Poisson")
    pub.derive("sb_ratio_socio", "sb_ratio_socio", "observerat/förväntat",
               "Placeringar i skyddat boende: observerat/förväntat efter ålder, kön och socioekonomi", ("district",),
               adj_rows, method="negativ binomial-GLM, exakt Poisson")

    # Age/sex-standardised ratios: exact Poisson p, Benjamini–Hochberg across the districts.
    p_as = [2 * min(S.coverage(observed[c], e_arr[i]).p_at_most, S.coverage(observed[c], e_arr[i]).p_at_least)
            for i, c in enumerate(codes)]
    q_as = S.adjust_pvalues(np.minimum(p_as, 1.0))
    for i, c in enumerate(codes):
        if q_as[i] < Q_LEVEL and pub.is_published(sb_count(c)):
            up = o_arr[i] > e_arr[i]
            rr = S.isr(observed[c], e_arr[i], conf=conf)
            rate = S.rate(observed[c], float(totals.get(c, 0)) or 1, per=10_000, conf=conf)
            name = districts.set_index("code").loc[c, "name"]
            findings.append(Finding(
                c, "placeringar_skyddat_boende_alder_kon", "higher" if up else "lower", rr.value, rr.lower, rr.upper,
                float(q_as[i]), "observerat/förväntat",
                f"{name}: {observed[c]} placeringar i skyddat boende, {_sv(rate.value)} per 10 000 invånare "
                f"(95 % KI {_sv(rate.lower)}–{_sv(rate.upper)}); {'fler' if up else 'färre'} än förväntat givet "
                f"befolkningens ålder och kön (observerat/förväntat {_sv(rr.value, 2)}, {_q(q_as[i])}).",
                f"{name}: {observed[c]} placements in protected housing, {rate.value:.1f} per 10,000 inhabitants "
                f"(95% CI {rate.lower:.1f}–{rate.upper:.1f}); {'more' if up else 'fewer'} than expected given the "
                f"population's age and sex (observed/expected {rr.value:.2f}, {_q(q_as[i], 'en')})."))

    od = S.overdispersion(o_arr, e_adj, method="CQC") if len(codes) >= 3 else None
    tau2 = od.tau2 if od and od.adjusted else 0.0
    z = (np.sqrt(o_arr / e_adj) - 1) / np.sqrt(1 / (4 * e_adj) + tau2)
    p = 2 * st.norm.sf(np.abs(z))
    q = S.adjust_pvalues(p)
    stats_out["overdispersion"] = None if od is None else {"phi": od.phi, "tau2": od.tau2, "adjusted": od.adjusted,
                                                          "n_units": od.n_units, "method": "CQC, winsoriserad 10 %"}
    grid = np.linspace(max(min(e_adj) * 0.5, 0.5), max(e_adj) * 1.3, 80)
    funnel = {"expected": grid.tolist()}
    if od is not None:
        for lv in (0.95, 0.998):
            lo, hi = od.limits(grid, lv)
            funnel[f"lower{lv}"], funnel[f"upper{lv}"] = lo.tolist(), hi.tolist()
    funnel["points"] = {c: float(e_adj[i]) for i, c in enumerate(codes)}  # expected counts: from the model, not data cells
    flag_rows = []
    for i, c in enumerate(codes):
        base = sb_count(c)
        flag = 0 if q[i] >= Q_LEVEL else (1 if o_arr[i] > e_adj[i] else -1)
        flag_rows.append((_dkey("sb_flag", c), base, float(flag), None, None, None))
        if flag and pub.is_published(base):
            rr = S.isr(observed[c], e_adj[i], conf=conf)
            rate = S.rate(observed[c], float(totals.get(c, 0)) or 1, per=10_000, conf=conf)
            findings.append(Finding(
                c, "placeringar_skyddat_boende", "higher" if flag > 0 else "lower", rr.value, rr.lower, rr.upper,
                float(q[i]), "observerat/förväntat",
                f"{districts.set_index('code').loc[c, 'name']}: {observed[c]} placeringar i skyddat boende, "
                f"{_sv(rate.value)} per 10 000 invånare (95 % KI {_sv(rate.lower)}–{_sv(rate.upper)}); "
                f"{'fler' if flag > 0 else 'färre'} än förväntat givet ålder, kön och socioekonomi "
                f"(observerat/förväntat {_sv(rr.value, 2)}, {_q(q[i])}).",
                f"{districts.set_index('code').loc[c, 'name']}: {observed[c]} placements in protected housing, "
                f"{rate.value:.1f} per 10,000 inhabitants (95% CI {rate.lower:.1f}–{rate.upper:.1f}); "
                f"{'more' if flag > 0 else 'fewer'} than expected given age, sex and socio-economics "
                f"(observed/expected {rr.value:.2f}, {_q(q[i], 'en')}).",
            ))
    pub.derive("sb_flag", "sb_flag", "1 = fler, −1 = färre än förväntat, 0 = inte säkert skild",
               "Placeringar i skyddat boende jämfört med förväntat (Benjamini–Hochberg, q < 0,05)", ("district",),
               flag_rows, method="z med överspridning (τ²), Benjamini–Hochberg")

    eb = S.eb_smooth(o_arr, expected=np.maximum(e_adj, 1e-9), method="clayton-kaldor")
    for i, c in enumerate(codes):
        eb_rows.append((_dkey("sb_eb_rr", c), sb_count(c), float(eb["eb_rr"].iloc[i]), None, None, None))
    pub.derive("sb_eb_rr", "sb_eb_rr", "relativ risk (EB)",
               "Utjämnad relativ nivå (empirisk Bayes, Clayton–Kaldor)", ("district",), eb_rows,
               method="Clayton–Kaldor gamma–Poisson EB")
    pub.derive("sb_eb_p_above", "sb_eb_p_above", "sannolikhet",
               "Sannolikhet att stadsdelens nivå är högre än förväntat (EB)", ("district",),
               [(_dkey("sb_eb_p_above", c), sb_count(c), float(eb["p_above"].iloc[i]), None, None, None)
                for i, c in enumerate(codes)], method="Clayton–Kaldor gamma–Poisson EB")
    stats_out["eb"] = {"mu": eb.attrs["mu"], "alpha": eb.attrs["alpha"]}

    granted = lambda a: _key(reg, "applications_sb", district=a, decision="beviljad")  # noqa: E731
    applied = lambda a: _key(reg, "applications_sb", district=a, decision=TOTAL)  # noqa: E731
    grant_rows, k_list, n_list = [], [], []
    for a in areas:
        k, n = v[granted(a)], v[applied(a)]
        if n == 0:
            grant_rows.append((_dkey("sb_grant_rate", a), (granted(a), applied(a)), None, None, None, None))
            continue
        e = S.proportion(k, n, conf=conf)
        grant_rows.append((_dkey("sb_grant_rate", a), (granted(a), applied(a)), e.value, e.lower, e.upper, None))
        if a != TOTAL:
            k_list.append(k)
            n_list.append(n)
    pub.derive("sb_grant_rate", "sb_grant_rate", "%", "Andel beviljade ansökningar om skyddat boende",
               ("district",), grant_rows, method="Wilson")
    if n_list:
        sig = S.funnel_significance("proportion", k_list, n_list)
        stats_out["grant_rate_funnel"] = dict(zip([a for a in codes if v[applied(a)] > 0], sig))

    # ---- 3. Lengths of stay ---------------------------------------------------------------------
    los: dict[str, list] = {m: [] for m in ("los_median", "los_rmst", "los_share_over_60", "los_mean_closed",
                                            "los_mean_without_longest", "los_mean_without_two_longest")}
    for a in areas:
        part = dur if a == TOTAL else dur[dur["district"] == a]
        # Durations do not reveal how many placements there were, so they are not hidden with a
        # hidden count; they are hidden when they rest on fewer than T placements.
        base = None
        n = int(part["n"].sum())
        if n == 0:
            for m in los:
                los[m].append((_dkey(m, a), base, None, None, None, 0))
            continue
        t = np.repeat(part["days"].to_numpy(float), part["n"].to_numpy())
        ended = np.repeat(part["ended"].to_numpy(bool), part["n"].to_numpy())
        km = S.kaplan_meier(t, ended, conf=conf)
        med = km.median_estimate()
        los["los_median"].append((_dkey("los_median", a), base, med.value, med.lower, med.upper, n))
        rm = km.rmst_estimate(RMST_HORIZON)
        los["los_rmst"].append((_dkey("los_rmst", a), base, rm.value, rm.lower, rm.upper, n))
        sh = km.share_beyond(LONG_STAY)
        los["los_share_over_60"].append((_dkey("los_share_over_60", a), base, sh.value, sh.lower, sh.upper, n))
        closed = t[ended]
        if len(closed):
            mi = S.mean_influence(closed, conf=conf)
            los["los_mean_closed"].append((_dkey("los_mean_closed", a), base, _whole(mi.mean.value), None, None, len(closed)))
            los["los_mean_without_longest"].append((_dkey("los_mean_without_longest", a), base,
                                                    None if math.isnan(mi.without_longest) else _whole(mi.without_longest),
                                                    None, None, len(closed)))
            los["los_mean_without_two_longest"].append((_dkey("los_mean_without_two_longest", a), base,
                                                        None if math.isnan(mi.without_two_longest) else _whole(mi.without_two_longest),
                                                        None, None, len(closed)))
        else:
            for m in ("los_mean_closed", "los_mean_without_longest", "los_mean_without_two_longest"):
                los[m].append((_dkey(m, a), base, None, None, None, 0))
    titles = {
        "los_median": ("dygn", "Median vistelsetid i skyddat boende (Kaplan–Meier)", "Kaplan–Meier, log-KI"),
        "los_rmst": ("dygn", f"Restrikterad medelvistelsetid till {RMST_HORIZON} dygn", "RMST (R rmean)"),
        "los_share_over_60": ("%", f"Andel kvar i skyddat boende efter {LONG_STAY} dygn", "Kaplan–Meier, log-KI"),
        "los_mean_closed": ("dygn", "Medelvistelsetid för avslutade placeringar", "medelvärde, hela dygn"),
        "los_mean_without_longest": ("dygn", "… utan den längsta vistelsen", "medelvärde, hela dygn"),
        "los_mean_without_two_longest": ("dygn", "… utan de två längsta vistelserna", "medelvärde, hela dygn"),
    }
    for m, rows in los.items():
        unit, title, method = titles[m]
        pub.derive(m, m, unit, title, ("district",), rows, method=method)

    flats = districts.set_index("code")["has_emergency_flats"].fillna(False).astype(bool)
    if len(dur):
        t = np.repeat(dur["days"].to_numpy(float), dur["n"].to_numpy())
        ended = np.repeat(dur["ended"].to_numpy(bool), dur["n"].to_numpy())
        has = np.repeat(dur["district"].map(flats).fillna(False).to_numpy(bool), dur["n"].to_numpy())
        tg = np.repeat(dur["target_group"].to_numpy(), dur["n"].to_numpy())
        if has.any() and (~has).any():
            chi2, df_, p_lr = S.logrank(t, ended, np.where(has, "med", "utan"))
            X = pd.DataFrame({"jourlagenheter": has.astype(float)})
            for g in sorted(set(tg) - {"vald_i_nara_relation"}):
                if (tg == g).sum() >= 5:
                    X[f"malgrupp_{g}"] = (tg == g).astype(float)
            cx = S.cox(t, ended, X, conf=conf)
            hr = cx.table.iloc[0]
            stats_out["flats"] = {"logrank_chi2": chi2, "df": df_, "p": p_lr, "hr": float(hr.hazard_ratio),
                                  "hr_lower": float(hr.lower), "hr_upper": float(hr.upper), "hr_p": float(hr.p),
                                  "adjusted_for": [c for c in X.columns[1:]], "n": int(len(t))}
            for label, mask in (("med jourlägenheter", has), ("utan jourlägenheter", ~has)):
                km = S.kaplan_meier(t[mask], ended[mask], conf=conf)
                stats_out["flats"][f"median_{'med' if label.startswith('med') else 'utan'}"] = km.median

    # Curves only for the regions and the city: large groups, so no single stay can be read off.
    curves = {}
    region_of = districts.set_index("code")["region"]
    groups = {r: dur[dur["district"].map(region_of) == r] for r in sorted(region_of.unique())}
    groups[TOTAL] = dur
    for name, part in groups.items():
        n = int(part["n"].sum())
        if n < 4 * settings.policy.T:
            continue
        km = S.kaplan_meier(np.repeat(part["days"].to_numpy(float), part["n"].to_numpy()),
                            np.repeat(part["ended"].to_numpy(bool), part["n"].to_numpy()), conf=conf)
        tab = km.table[km.table["at_risk"] >= settings.policy.T]  # stop where fewer than T remain at risk
        curves[name] = tab[["time", "survival", "lower", "upper"]].reset_index(drop=True)

    # ---- 4. SHIS and referral pathways -----------------------------------------------------------
    shis_count = lambda a: _key(reg, "placements_by_type", district=a, placement_type="shis")  # noqa: E731
    rows = []
    for a in areas:
        s_, b_ = v[shis_count(a)], v[sb_count(a)]
        if b_ == 0:
            rows.append((_dkey("shis_per_100_sb", a), (shis_count(a), sb_count(a)), None, None, None, None))
            continue
        e = S.rate(s_, b_, per=100, conf=conf, unit="per 100 placeringar i skyddat boende")
        rows.append((_dkey("shis_per_100_sb", a), (shis_count(a), sb_count(a)), e.value, e.lower, e.upper, None))
    pub.derive("shis_per_100_sb", "shis_per_100_sb", "per 100 placeringar i skyddat boende",
               "SHIS-placeringar per 100 placeringar i skyddat boende", ("district",), rows, method="exakt Poisson")
    rvt = lambda a: _key(reg, "shis_by_referrer", district=a, referring_unit="rvt")  # noqa: E731
    shis_tot = lambda a: _key(reg, "shis_by_referrer", district=a, referring_unit=TOTAL)  # noqa: E731
    rows = []
    for a in areas:
        n = v[shis_tot(a)]
        if n == 0:
            rows.append((_dkey("shis_share_rvt", a), (rvt(a), shis_tot(a)), None, None, None, None))
            continue
        e = S.proportion(v[rvt(a)], n, conf=conf)
        rows.append((_dkey("shis_share_rvt", a), (rvt(a), shis_tot(a)), e.value, e.lower, e.upper, None))
    pub.derive("shis_share_rvt", "shis_share_rvt", "%", "Andel av SHIS-placeringarna som RVT remitterade",
               ("district",), rows, method="Wilson")
    no_rvt = [c for c in codes if pub.count(shis_tot(c)) and pub.count(rvt(c)) == 0]
    stats_out["rvt_never_refers"] = no_rvt
    stats_out["rvt_reference_flag_no"] = [c for c in codes if districts.set_index("code").loc[c, "rvt_refers_to_shis"] is False
                                          or districts.set_index("code").loc[c, "rvt_refers_to_shis"] == 0]

    # ---- 5. Every target group in every district -------------------------------------------------
    groups_tg = [g for g in ("vald_i_nara_relation", "hedersrelaterat", "sex_mot_ersattning", "manniskohandel",
                             "sexuellt_vald")]
    city_pop = float(totals.sum())
    exp_rows, p_rows, p_all, p_meta = [], [], [], []
    for g in groups_tg:
        city_rate = v[_key(reg, "victims_by_target_group", district=TOTAL, target_group=g)] / city_pop
        for c in codes:
            k = _key(reg, "victims_by_target_group", district=c, target_group=g)
            e = city_rate * float(totals.get(c, 0))
            exp_rows.append((_dkey("target_group_expected", c, target_group=g), k, e, None, None, None))
            if e <= 0:
                p_rows.append((_dkey("target_group_p_so_few", c, target_group=g), k, None, None, None, None))
                continue
            cov = S.coverage(v[k], e)
            p_rows.append((_dkey("target_group_p_so_few", c, target_group=g), k, cov.p_at_most, None, None, None))
            p_all.append(cov.p_at_most)
            p_meta.append((g, c, v[k], e, k))
    pub.derive("target_group_expected", "target_group_expected", "personer (förväntat)",
               "Förväntat antal kända våldsutsatta per målgrupp, givet stadens nivå och stadsdelens folkmängd",
               ("district", "target_group"), exp_rows, method="stadens nivå × folkmängd")
    pub.derive("target_group_p_so_few", "target_group_p_so_few", "sannolikhet",
               "Sannolikheten att se så få (Poisson) om stadsdelen låg på stadens nivå",
               ("district", "target_group"), p_rows, method="Poisson P(X ≤ observerat)")
    if p_all:
        qs = S.adjust_pvalues(p_all)
        absent = []
        for (g, c, obs, e, k), qv in zip(p_meta, qs):
            if obs == 0 and pub.count(k) == 0 and g in ("sex_mot_ersattning", "manniskohandel") and qv < Q_LEVEL:
                absent.append((g, c, e, qv))
                gname = {"sex_mot_ersattning": ("sex mot ersättning", "sex in exchange for payment"),
                         "manniskohandel": ("människohandel", "human trafficking")}[g]
                name = districts.set_index("code").loc[c, "name"]
                findings.append(Finding(c, f"malgrupp_{g}", "lower", 0.0, float("nan"), float("nan"), float(qv),
                                        "personer", f"{name}: inga kända fall av {gname[0]} där {_sv(e)} var "
                                        f"förväntade (sannolikhet {_sv(math.exp(-e) * 100)} %, {_q(qv)}).",
                                        f"{name}: no known cases of {gname[1]} where {e:.1f} were expected "
                                        f"(probability {math.exp(-e) * 100:.1f}%, {_q(qv, 'en')})."))
        stats_out["absent_target_groups"] = absent

    # ---- 6. Especially vulnerable groups -----------------------------------------------------------
    pop65 = pop_y[pop_y["age_band"].isin(["65-79", "80+"])].groupby("district")["count"].sum()
    pop18 = pop_y[pop_y["age_band"] != "0-17"].groupby("district")["count"].sum()
    vuln = {
        "share_65plus": ("Andel 65 år och äldre bland kända våldsutsatta",
                         lambda a: _key(reg, "victims_by_age", district=a, age_band="65+")),
        "share_disability": ("Andel med funktionsnedsättning", lambda a: _key(reg, "victims_with_disability", district=a)),
        "share_interpreter": ("Andel med tolkbehov", lambda a: _key(reg, "victims_with_interpreter_need", district=a)),
        "share_freda_screening": ("Andel där FREDA kortfrågor använts",
                                  lambda a: _key(reg, "victims_freda_screening", district=a)),
        "share_freda_risk": ("Andel där FREDA farlighetsbedömning gjorts",
                             lambda a: _key(reg, "victims_freda_risk_assessment", district=a)),
    }
    stats_out["vulnerable_funnel"] = {}
    for m, (title, num) in vuln.items():
        rows, ks, ns, cs = [], [], [], []
        for a in areas:
            k, n = v[num(a)], v[victims_total(a)]
            if n == 0:
                rows.append((_dkey(m, a), (num(a), victims_total(a)), None, None, None, None))
                continue
            e = S.proportion(k, n, conf=conf)
            rows.append((_dkey(m, a), (num(a), victims_total(a)), e.value, e.lower, e.upper, None))
            if a != TOTAL and pub.is_published(num(a)) and pub.is_published(victims_total(a)):
                ks.append(k); ns.append(n); cs.append(a)
        pub.derive(m, m, "%", title, ("district",), rows, method="Wilson")
        if ns:
            city_k = v[num(TOTAL)]
            city_n = v[victims_total(TOTAL)]
            stats_out["vulnerable_funnel"][m] = dict(zip(cs, S.funnel_significance(
                "proportion", ks, ns, baseline=city_k / city_n if city_n else None)))
    pub.derive("pop_share_65plus", "pop_share_65plus", "%", "Andel 65 år och äldre bland invånare 18+ (befolkningen)",
               ("district",), [(_dkey("pop_share_65plus", a), None, 100 * area_sum(pop65, a) / area_sum(pop18, a)
                                if area_sum(pop18, a) else None, None, None, None) for a in areas],
               method="befolkningsstatistik")

    # ---- 7. Trends ---------------------------------------------------------------------------------
    years = list(range(data.first_year, year + 1))
    tot_by_year = pop.groupby(["district", "year"])["count"].sum()
    trend_rows, tr_rows = [], []
    trend_areas = [*codes, *[f"region:{r}" for r in sorted(region_of.unique())], TOTAL]
    stats_out["trends"] = {}
    for a in trend_areas:
        members = codes if a == TOTAL else ([c for c in codes if f"region:{region_of[c]}" == a] if a.startswith("region:") else [a])
        counts, expo, ok_years = [], [], []
        for y in years:
            k = _key(reg, "sb_trend", district=a, year=str(y))
            d = float(sum(tot_by_year.get((c, y), 0) for c in members))
            if d > 0:
                e = S.rate(v[k], d, per=10_000, conf=conf)
                trend_rows.append((_dkey("sb_trend_rate", a, year=str(y)), k, e.value, e.lower, e.upper, None))
                counts.append(v[k]); expo.append(d); ok_years.append(y)
            else:
                trend_rows.append((_dkey("sb_trend_rate", a, year=str(y)), k, None, None, None, None))
        span_key = _key(reg, "sb_trend", district=a, year=f"years:{data.first_year}-{year}")
        if len(ok_years) >= 2 and sum(counts) > 0:
            tr = S.trend(counts, expo, ok_years, conf=conf)
            value = tr.rate_ratio.value if tr.enough_points else None
            tr_rows.append((_dkey("sb_trend_rr", a), span_key, value, tr.rate_ratio.lower if value else None,
                            tr.rate_ratio.upper if value else None, None))
            stats_out["trends"][a] = {"rr": tr.rate_ratio.value, "p": tr.p, "points": tr.n_points,
                                      "enough": tr.enough_points}
        else:
            tr_rows.append((_dkey("sb_trend_rr", a), span_key, None, None, None, None))
    pub.derive("sb_trend_rate", "sb_trend_rate", "per 10 000 invånare",
               f"Placeringar i skyddat boende per 10 000 invånare {data.first_year}–{year}", ("district", "year"),
               trend_rows, method="exakt Poisson (Garwood)")
    pub.derive("sb_trend_rr", "sb_trend_rr", "kvot per år",
               "Förändring per år (Poisson-GLM; rapporteras bara med minst 5 år)", ("district",), tr_rows,
               method="Poisson-GLM, kvasi-Poisson vid överspridning")
    los_rows = []
    for a in [*[f"region:{r}" for r in sorted(region_of.unique())], TOTAL]:
        members = codes if a == TOTAL else [c for c in codes if f"region:{region_of[c]}" == a]
        for y in years:
            part = dur_all[(dur_all["year"] == y) & dur_all["district"].isin(members)]
            k = _key(reg, "sb_trend", district=a, year=str(y))
            n = int(part["n"].sum())
            if n == 0:
                los_rows.append((_dkey("sb_trend_median_los", a, year=str(y)), k, None, None, None, 0))
                continue
            km = S.kaplan_meier(np.repeat(part["days"].to_numpy(float), part["n"].to_numpy()),
                                np.repeat(part["ended"].to_numpy(bool), part["n"].to_numpy()), conf=conf)
            med = km.median_estimate()
            los_rows.append((_dkey("sb_trend_median_los", a, year=str(y)), k, med.value, med.lower, med.upper, n))
    pub.derive("sb_trend_median_los", "sb_trend_median_los", "dygn",
               "Median vistelsetid i skyddat boende per år och region (Kaplan–Meier)", ("district", "year"), los_rows,
               method="Kaplan–Meier, log-KI")

    # ---- 8. Data quality -------------------------------------------------------------------------
    mf = I.missing_fields(con, year).set_index("district")
    for field_name, title in (("age_band", "Andel utan födelseår"), ("target_group", "Andel utan målgrupp"),
                              ("handling_unit", "Andel utan handläggande enhet"), ("sex", "Andel utan känt kön")):
        rows = []
        for a in areas:
            cases = float(mf["cases"].sum() if a == TOTAL else mf["cases"].get(a, 0))
            miss = float(mf[field_name].sum() if a == TOTAL else mf[field_name].get(a, 0))
            value = 100 * miss / cases if cases else None
            rows.append((_dkey(f"missing_{field_name}", a), None, value, None, None, miss if miss else None))
        pub.derive(f"missing_{field_name}", f"missing_{field_name}", "%", title, ("district",), rows,
                   method="andel av ärenden aktualiserade under året")
    lr = I.late_registrations(con, year).set_index("district")
    pub.derive("late_registrations", "late_registrations", "%", "Andel ärenden som registrerades sent",
               ("district",), [(_dkey("late_registrations", a), None,
                                (100 * float(lr["late"].sum() if a == TOTAL else lr["late"].get(a, 0))
                                 / max(float(lr["cases"].sum() if a == TOTAL else lr["cases"].get(a, 0)), 1)),
                                None, None, (float(lr["late"].sum() if a == TOTAL else lr["late"].get(a, 0)) or None))
                               for a in areas], method="första inläsning senare än första uttag som täckte datumet")
    quarantine = I.quarantine_by_rule(con)
    stats_out["n_findings"] = len(findings)
    return FollowUp(year, pub, districts, findings, stats_out, curves, funnel, quarantine, settings)


def _whole(x: float) -> int:
    """Round half up to whole days (27,5 → 28), as a reader expects; also blurs single stays."""
    return int(math.floor(x + 0.5))


def _q(q: float, lang: str = "sv") -> str:
    if q < 0.001:
        return "q < 0,001" if lang == "sv" else "q < 0.001"
    return f"q = {_sv(q, 3)}" if lang == "sv" else f"q = {q:.3f}"


def _sv(x, decimals: int = 1) -> str:
    from ..render.fmt import num

    return num(x, decimals)
