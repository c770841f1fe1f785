"""View tables: the FollowUp's published cells arranged as rows and columns for people to read.

Every view cell comes from a PublishedCell of the Publication (or is a label): the renderers
(HTML, Excel, per-table CSV) only format these. A suppressed cell is shown as `..`, a number that
is not reported as `-`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..disclosure.cells import TOTAL
from . import fmt
from .i18n import t

if TYPE_CHECKING:  # annotations only: the report's helper process imports views without the statistics
    from ..followup.build import FollowUp


@dataclass
class VCell:
    display: str
    value: float | None = None  # the published number (None for labels and suppressed cells)
    status: str = ""  # "", "..", "-", "."
    decimals: int = 0
    is_label: bool = False
    ci_low: float | None = None  # the interval, on the same scale as value (None where none is published)
    ci_high: float | None = None
    n: int | None = None  # the count behind the value, where the view has one


@dataclass
class View:
    name: str
    title: str
    headers: list[str]
    rows: list[list[VCell]]
    note: str = ""
    units: list[str] = field(default_factory=list)
    row_keys: list[str] = field(default_factory=list)  # district code, region:… or total per row (for scoping)

    @property
    def has_total(self) -> bool:
        """The last row is the whole city (shown as a total row)."""
        return bool(self.row_keys) and self.row_keys[-1] == TOTAL


def _cell(fu: FollowUp, table: str, district: str, decimals: int = 1, *, with_ci: bool = False, scale: float = 1.0,
          **coords) -> VCell:
    lang = fu.settings.lang
    pt = fu.publication.tables[table]
    c = pt.cell(district=district, **coords)
    if c is None:
        return VCell(".", status=".")
    if not c.published:
        return VCell(c.status, status=c.status)
    v = c.value * scale
    text = fmt.num(v, decimals, lang) if decimals else fmt.integer(v, lang)
    lo = hi = None
    if with_ci and c.ci_low is not None and c.ci_high is not None:
        lo, hi = c.ci_low * scale, c.ci_high * scale
        text += f" ({fmt.ci(lo, hi, decimals, lang)})"
    return VCell(text, v, "", decimals, ci_low=lo, ci_high=hi)


def _label(text: str) -> VCell:
    return VCell(text, is_label=True)


def _areas(fu: FollowUp) -> list[str]:
    return [*fu.codes, TOTAL]


def overview(fu: FollowUp) -> View:
    lang = fu.settings.lang
    rows = []
    for a in _areas(fu):
        rows.append([
            _label(fu.name(a)),
            _cell(fu, "victims_by_sex", a, 0, sex=TOTAL),
            _cell(fu, "rate_victims", a, with_ci=True),
            _cell(fu, "rate_women_victims", a, with_ci=True),
            _cell(fu, "placements_by_type", a, 0, placement_type="skyddat_boende"),
            _cell(fu, "rate_sb", a, with_ci=True),
            _cell(fu, "persons_placed", a, 0),
            _cell(fu, "rate_persons_placed", a, with_ci=True),
            _cell(fu, "sb_days", a, 0),
        ])
    return View("oversikt", t("overview", lang), row_keys=_areas(fu), headers=[
        t("district", lang), t("known_victims", lang), t("per_10000", lang), t("women_per_10000_women", lang),
        t("sb_placements", lang), t("per_10000", lang), t("persons_placed", lang), t("per_10000_women", lang),
        t("days", lang)], rows=rows, note=t("ci_note", lang))


def by_category(fu: FollowUp, table: str, dim: str, categories: list[str], title: str) -> View:
    lang = fu.settings.lang
    rows = []
    for a in _areas(fu):
        rows.append([_label(fu.name(a)), *[_cell(fu, table, a, 0, **{dim: c}) for c in categories]])
    return View(table, title, [t("district", lang), *[t(c, lang) for c in categories]], rows, row_keys=_areas(fu))


def equality(fu: FollowUp) -> View:
    lang = fu.settings.lang
    rows = []
    flags = {-1.0: t("lower", lang), 0.0: t("not_different", lang), 1.0: t("higher", lang)}
    for a in fu.codes:
        f = fu.publication.tables["sb_flag"].cell(district=a)
        flag = VCell(flags.get(f.value, ""), f.value, "") if f and f.published else VCell(f.status if f else ".", status=f.status if f else ".")
        rows.append([
            _label(fu.name(a)),
            _cell(fu, "rate_sb", a, with_ci=True),
            _cell(fu, "sb_ratio_agesex", a, 2, with_ci=True),
            _cell(fu, "sb_ratio_socio", a, 2, with_ci=True),
            _cell(fu, "sb_eb_rr", a, 2),
            _cell(fu, "sb_eb_p_above", a, 0, scale=100),
            flag,
            _cell(fu, "sb_grant_rate", a, 1, with_ci=True),
        ])
    return View("likstallighet", t("equality", lang), [
        t("district", lang), t("sb_per_10000", lang), t("oe_agesex", lang), t("oe_socio", lang), t("eb_rr", lang),
        t("p_above_pct", lang), t("compared", lang), t("grant_rate", lang)], rows, t("equality_note", lang),
        row_keys=list(fu.codes))


def lengths(fu: FollowUp) -> View:
    lang = fu.settings.lang
    rows = []
    for a in _areas(fu):
        rows.append([
            _label(fu.name(a)),
            _cell(fu, "los_median", a, 1, with_ci=True),
            _cell(fu, "los_rmst", a, 1, with_ci=True),
            _cell(fu, "los_share_over_60", a, 1, with_ci=True),
            _cell(fu, "los_mean_closed", a, 0),
            _cell(fu, "los_mean_without_longest", a, 0),
            _cell(fu, "los_mean_without_two_longest", a, 0),
        ])
    return View("vistelsetid", t("lengths", lang), [
        t("district", lang), t("median_days", lang), t("rmst90", lang), t("share_over_60", lang), t("mean_closed", lang),
        t("without_longest", lang), t("without_two", lang)], rows, t("lengths_note", lang), row_keys=_areas(fu))


def shis(fu: FollowUp) -> View:
    lang = fu.settings.lang
    rows = []
    for a in _areas(fu):
        rows.append([
            _label(fu.name(a)),
            _cell(fu, "placements_by_type", a, 0, placement_type="shis"),
            _cell(fu, "shis_per_100_sb", a, 1, with_ci=True),
            _cell(fu, "shis_by_referrer", a, 0, referring_unit="rvt"),
            _cell(fu, "shis_by_referrer", a, 0, referring_unit="ekonomiskt_bistand"),
            _cell(fu, "shis_by_referrer", a, 0, referring_unit="annan"),
            _cell(fu, "shis_share_rvt", a, 1, with_ci=True),
        ])
    return View("shis", t("shis", lang), [
        t("district", lang), t("shis_placements", lang), t("shis_per_100", lang), "RVT", t("ekonomiskt_bistand", lang),
        t("annan", lang), t("share_rvt", lang)], rows, row_keys=_areas(fu))


def target_groups(fu: FollowUp) -> View:
    lang = fu.settings.lang
    groups = ["vald_i_nara_relation", "hedersrelaterat", "sex_mot_ersattning", "manniskohandel", "sexuellt_vald"]
    rows = []
    for a in fu.codes:
        row = [_label(fu.name(a))]
        for g in groups:
            obs = _cell(fu, "victims_by_target_group", a, 0, target_group=g)
            exp = fu.publication.tables["target_group_expected"].cell(district=a, target_group=g)
            p = fu.publication.tables["target_group_p_so_few"].cell(district=a, target_group=g)
            if obs.status:
                row.append(obs)
                continue
            extra = ""
            if exp is not None and exp.published:
                extra = f" / {fmt.num(exp.value, 1, lang)}"
            if p is not None and p.published and p.value < 0.05:
                extra += f" (p {fmt.num(p.value * 100, 1, lang)} %)"
            row.append(VCell(obs.display + extra, obs.value, ""))
        rows.append(row)
    return View("malgrupper", t("target_groups", lang), [t("district", lang), *[t(g, lang) for g in groups]], rows,
                t("target_note", lang), row_keys=list(fu.codes))


def vulnerable(fu: FollowUp) -> View:
    lang = fu.settings.lang
    rows = []
    for a in _areas(fu):
        rows.append([
            _label(fu.name(a)),
            _cell(fu, "share_65plus", a, 1, with_ci=True),
            _cell(fu, "pop_share_65plus", a, 1),
            _cell(fu, "share_disability", a, 1, with_ci=True),
            _cell(fu, "share_interpreter", a, 1, with_ci=True),
            _cell(fu, "share_freda_screening", a, 1, with_ci=True),
            _cell(fu, "share_freda_risk", a, 1, with_ci=True),
        ])
    return View("sarbara", t("vulnerable", lang), [
        t("district", lang), t("share_65", lang), t("pop_65", lang), t("disability", lang), t("interpreter", lang),
        t("freda_screening", lang), t("freda_risk", lang)], rows, t("vulnerable_note", lang), row_keys=_areas(fu))


def trends(fu: FollowUp) -> View:
    lang = fu.settings.lang
    first = fu.year - 6
    years = [str(y) for y in range(first, fu.year + 1)]
    areas = [*[f"region:{r}" for r in sorted(set(fu.districts["region"]))], *fu.codes, TOTAL]
    rows = []
    for a in areas:
        rr = fu.publication.tables["sb_trend_rr"].cell(district=a)
        rr_cell = VCell(rr.status or "", status=rr.status) if rr is None or not rr.published else VCell(
            f"{fmt.num(rr.value, 2, lang)} ({fmt.ci(rr.ci_low, rr.ci_high, 2, lang)})", rr.value, "", 2)
        rows.append([_label(fu.name(a)), *[_cell(fu, "sb_trend", a, 0, year=y) for y in years],
                     _cell(fu, "sb_trend", a, 0, year=f"years:{first}-{fu.year}"), rr_cell])
    return View("trender", t("trends", lang), [t("district", lang), *years, t("all_years", lang), t("rr_per_year", lang)],
                rows, t("trend_note", lang), row_keys=areas)


def km_table(fu: FollowUp) -> View:
    """The data behind the Kaplan–Meier chart: share still placed at fixed days, per region and the city."""
    lang = fu.settings.lang
    days = (14, 30, 60, 90, 120)
    rows, keys = [], []
    for name, tab in fu.curves.items():
        key = TOTAL if name == TOTAL else f"region:{name}"
        row = [_label(fu.name(key))]
        for d in days:
            idx = tab["time"].searchsorted(d, side="right") - 1
            if idx < 0:
                row.append(VCell(fmt.num(100.0, 1, lang), 100.0, "", 1))
            elif d > tab["time"].iloc[-1]:
                row.append(VCell("-", status="-"))  # the curve stops where fewer than T remain
            else:
                v = float(tab["survival"].iloc[idx]) * 100
                row.append(VCell(fmt.num(v, 1, lang), v, "", 1))
        rows.append(row)
        keys.append(key)
    headers = [t("district", lang), *[f"{d} {'dygn' if lang == 'sv' else 'days'}, %" for d in days]]
    return View("km_data", t("km", lang), headers, rows, row_keys=keys)


def trend_rates(fu: FollowUp) -> View:
    """The data behind the trend chart: rates per region and year."""
    lang = fu.settings.lang
    years = [str(y) for y in range(fu.year - 6, fu.year + 1)]
    areas = [*[f"region:{r}" for r in sorted(set(fu.districts["region"]))], TOTAL]
    rows = [[_label(fu.name(a)), *[_cell(fu, "sb_trend_rate", a, 1, year=y) for y in years]] for a in areas]
    return View("trend_data", t("trend_chart", lang), [t("district", lang), *years], rows, row_keys=areas)


def data_quality(fu: FollowUp) -> View:
    lang = fu.settings.lang
    rows = []
    for a in _areas(fu):
        rows.append([_label(fu.name(a)), *[_cell(fu, f"missing_{f}", a, 1) for f in ("age_band", "target_group",
                                                                                       "handling_unit", "sex")],
                     _cell(fu, "late_registrations", a, 1)])
    return View("datakvalitet", t("data_quality", lang), [
        t("district", lang), t("no_birth_year", lang), t("no_target_group", lang), t("no_handling_unit", lang),
        t("no_sex", lang), t("late", lang)], rows, t("dq_note", lang), row_keys=_areas(fu))


def quarantine_view(fu: FollowUp) -> View:
    from ..ingest.rules import describe

    lang = fu.settings.lang
    rows = [[_label(r.rule), _label(describe(r.rule)), VCell(fmt.integer(r.rows, lang), float(r.rows))]
            for r in fu.quarantine.itertuples()]
    return View("karantan", t("quarantine", lang), [t("rule", lang), t("description", lang), t("rows", lang)], rows)


def all_views(fu: FollowUp) -> list[View]:
    from ..aggregate.publication import AGE, SEX, TARGET

    lang = fu.settings.lang
    return [
        overview(fu),
        by_category(fu, "victims_by_sex", "sex", [*SEX, TOTAL], t("victims_by_sex", lang)),
        by_category(fu, "victims_by_age", "age_band", [*AGE, TOTAL], t("victims_by_age", lang)),
        by_category(fu, "victims_by_target_group", "target_group", [*TARGET, TOTAL], t("victims_by_target", lang)),
        by_category(fu, "placements_by_type", "placement_type",
                    ["skyddat_boende", "shis", "jourlagenhet", "fortur"], t("placements_by_type", lang)),
        by_category(fu, "applications_sb", "decision", ["beviljad", "avslag", TOTAL], t("applications_sb", lang)),
        equality(fu), lengths(fu), km_table(fu), shis(fu), target_groups(fu), vulnerable(fu), trends(fu),
        trend_rates(fu), data_quality(fu), quarantine_view(fu),
    ]
