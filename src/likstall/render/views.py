"""View tables: a release's published cells arranged as rows and columns for people to read.

Every view cell comes from a PublishedCell of the release (or is a label): the renderers (HTML,
Excel, per-table CSV, dashboard) only format these. A suppressed cell is shown as `..`, a number
that is not reported as `-`; a breakdown the release does not show (the small-total rule, a table
lifted to regions) is left empty and the view's note says why.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..disclosure.keys import TOTAL
from . import fmt
from .i18n import t

if TYPE_CHECKING:  # annotations only: the report's helper process imports views without the statistics
    from ..release.content import Release as FollowUp


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
    pt = fu.publication.tables.get(table)
    c = pt.cell(district=district, **coords) if pt is not None else None
    if c is None:
        return VCell("", status="")  # not shown by this release (see the view's note)
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


def table_note(fu: FollowUp, *tables: str) -> str:
    """What the release left out of these tables, and why, for the reader."""
    lang = fu.settings.lang
    notes = []
    for name in tables:
        tab = fu.publication.tables.get(name)
        if tab is None:
            continue
        if tab.level != "district":
            notes.append(t(f"level_{tab.level}", lang).format(title=tab.texts.get(lang, {}).get("title", tab.title)))
        small = [fu.name(r) for r in tab.small_rows]
        if small:
            notes.append(t("small_rows", lang).format(n=fu.publication.policy.T, rows=", ".join(small)))
    return " ".join(dict.fromkeys(notes))


def _join(*parts: str) -> str:
    return " ".join(p for p in parts if p)


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
        t("days", lang)], rows=rows,
        note=_join(t("ci_note", lang), table_note(fu, "victims_by_sex", "placements_by_type", "persons_placed")))


def by_category(fu: FollowUp, table: str, dim: str, categories: list[str], title: str, *, rows_of=None) -> View:
    lang = fu.settings.lang
    areas = rows_of or _areas(fu)
    tab = fu.publication.tables.get(table)
    if tab is not None and tab.level == "region":
        areas = [*[f"region:{r}" for r in fu.regions], TOTAL]
    elif tab is not None and tab.level in ("city", "omitted"):
        areas = [TOTAL]
    rows = [[_label(fu.name(a)), *[_cell(fu, table, a, 0, **{dim: c}) for c in categories]] for a in areas]
    return View(table, title, [t("district", lang), *[t(c, lang) for c in categories]], rows, row_keys=list(areas),
                note=table_note(fu, table))


def equality(fu: FollowUp) -> View:
    lang = fu.settings.lang
    rows = []
    flags = {-1.0: t("lower", lang), 0.0: t("not_different", lang), 1.0: t("higher", lang)}
    for a in fu.codes:
        f = fu.publication.tables["sb_funnel"].cell(district=a)
        flag = (VCell(flags.get(f.value, ""), f.value, "") if f and f.published
                else VCell(f.status if f else "", status=f.status if f else ""))
        rows.append([
            _label(fu.name(a)),
            _cell(fu, "rate_sb", a, with_ci=True),
            _cell(fu, "sb_ratio_agesex", a, 2, with_ci=True),
            _cell(fu, "sb_ratio_socio", a, 2, with_ci=True),
            _cell(fu, "sb_eb_rr", a, 2),
            _cell(fu, "sb_eb_p_above", a, 0, scale=100),
            flag,
            _cell(fu, "sb_detectable", a, 1, years="1"),
            _cell(fu, "sb_detectable", a, 1, years="5"),
            _cell(fu, "sb_grant_rate", a, 1, with_ci=True),
        ])
    return View("likstallighet", t("equality", lang), [
        t("district", lang), t("sb_per_10000", lang), t("oe_agesex", lang), t("oe_socio", lang), t("eb_rr", lang),
        t("p_above_pct", lang), t("compared", lang), t("detect_1", lang), t("detect_5", lang), t("grant_rate", lang)],
        rows, _join(t("equality_note", lang), t("detect_note", lang), table_note(fu, "applications_sb")),
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
            _cell(fu, "los_rmst_difference", a, 1, with_ci=True),
            _cell(fu, "los_detectable", a, 1, years="1"),
        ])
    return View("vistelsetid", t("lengths", lang), [
        t("district", lang), t("median_days", lang), t("rmst90", lang), t("share_over_60", lang), t("mean_closed", lang),
        t("without_longest", lang), t("without_two", lang), t("rmst_diff", lang), t("detect_days", lang)], rows,
        _join(t("lengths_note", lang), table_note(fu, "stays_60", "stays_closed")), row_keys=_areas(fu))


def km_table(fu: FollowUp) -> View:
    """The data behind the Kaplan–Meier chart: share still placed at fixed days, per region and the city."""
    lang = fu.settings.lang
    from ..categories import STAY_EDGES

    keys = [*[f"region:{r}" for r in fu.regions], TOTAL]
    rows = [[_label(fu.name(k)), *[_cell(fu, "km_survival", k, 1, with_ci=True, day=str(d)) for d in STAY_EDGES]]
            for k in keys]
    headers = [t("district", lang), *[f"{d} {'dygn' if lang == 'sv' else 'days'}, % (95 % KI)" for d in STAY_EDGES]]
    return View("km_data", t("km", lang), headers, rows, row_keys=keys,
                note=_join(t("km_note", lang), table_note(fu, "stays_km")))


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
        t("annan", lang), t("share_rvt", lang)], rows, table_note(fu, "shis_by_referrer"), row_keys=_areas(fu))


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
            if obs.status or obs.value is None:
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
                _join(t("target_note", lang), table_note(fu, "victims_by_target_group")), row_keys=list(fu.codes))


def support(fu: FollowUp, group: str) -> View:
    """Question 3: support for people with experience of sex for compensation or of human trafficking."""
    lang = fu.settings.lang
    rows = []
    for a in _areas(fu):
        row = [_label(fu.name(a)), _cell(fu, "victims_by_target_group", a, 0, target_group=group)]
        for table, kind in (("applications_by_target", "applications"), ("sb_by_target", "sb"),
                            ("shis_by_target", "shis")):
            row.append(_cell(fu, table, a, 0, target_group=group))
            row.append(_cell(fu, "support_p_none", a, 0, scale=100, target_group=group, support=kind)
                       if a != TOTAL else VCell("", status=""))
        rows.append(row)
    headers = [t("district", lang), t("known_victims", lang), t("applications_all", lang), t("p_none", lang),
               t("sb_placements", lang), t("p_none", lang), t("shis_placements", lang), t("p_none", lang)]
    return View(f"stod_{group}", f"{t('support_groups', lang)}: {t(group, lang).lower()}", headers, rows,
                _join(t("support_note", lang), table_note(fu, "applications_by_target", "sb_by_target", "shis_by_target")),
                row_keys=_areas(fu))


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
        t("freda_screening", lang), t("freda_risk", lang)], rows,
        _join(t("vulnerable_note", lang), table_note(fu, "victims_disability", "victims_interpreter_needed",
                                                       "victims_freda_screening", "victims_freda_risk_assessment")),
        row_keys=_areas(fu))


def _span(fu: FollowUp) -> str:
    return f"years:{fu.first_year}-{fu.year}"


def trends(fu: FollowUp) -> View:
    lang = fu.settings.lang
    years = [str(y) for y in range(fu.first_year, fu.year + 1)]
    areas = [*[f"region:{r}" for r in fu.regions], *fu.codes, TOTAL]
    rows = []
    for a in areas:
        rr = fu.publication.tables["sb_trend_rr"].cell(district=a)
        rr_cell = VCell(rr.status if rr else "", status=rr.status if rr else "") if rr is None or not rr.published else VCell(
            f"{fmt.num(rr.value, 2, lang)} ({fmt.ci(rr.ci_low, rr.ci_high, 2, lang)})", rr.value, "", 2,
            ci_low=rr.ci_low, ci_high=rr.ci_high)
        rows.append([_label(fu.name(a)), *[_cell(fu, "sb_trend", a, 0, year=y) for y in years],
                     _cell(fu, "sb_trend", a, 0, year=_span(fu)), rr_cell])
    return View("trender", t("trends", lang),
                [t("district", lang), *years, f"{fu.first_year}–{fu.year}", t("rr_per_year", lang)],
                rows, _join(t("trend_note", lang), table_note(fu, "sb_trend")), row_keys=areas)


def trend_rates(fu: FollowUp) -> View:
    """The data behind the trend chart: rates per region and year."""
    lang = fu.settings.lang
    years = [str(y) for y in range(fu.first_year, fu.year + 1)]
    areas = [*[f"region:{r}" for r in fu.regions], TOTAL]
    rows = [[_label(fu.name(a)), *[_cell(fu, "sb_trend_rate", a, 1, with_ci=True, year=y) for y in years]]
            for a in areas]
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
    # Releases list no quarantine (internal detail: release/assemble.py); those made before that did, with a rule of
    # 1–4 rows shown as "..", and a revision of such a year lists them as it did.
    rows = [[_label(r["rule"]), _label(describe(r["rule"])),
             VCell(fmt.integer(r["rows"], lang), float(r["rows"])) if r["rows"] is not None else VCell("..", None, "..")]
            for r in fu.quarantine]
    return View("karantan", t("quarantine", lang), [t("rule", lang), t("description", lang), t("rows", lang)], rows,
                "" if rows else t("quarantine_internal", lang))


def all_views(fu: FollowUp) -> list[View]:
    from ..categories import AGE, SEX, TARGET

    lang = fu.settings.lang
    return [
        overview(fu),
        by_category(fu, "victims_by_sex", "sex", [*SEX, TOTAL], t("victims_by_sex", lang)),
        by_category(fu, "victims_by_age", "age_band", [*AGE, TOTAL], t("victims_by_age", lang)),
        by_category(fu, "victims_by_target_group", "target_group", [*TARGET, TOTAL], t("victims_by_target", lang)),
        by_category(fu, "placements_by_type", "placement_type",
                    ["skyddat_boende", "shis", "jourlagenhet", "fortur"], t("placements_by_type", lang)),
        equality(fu),
        by_category(fu, "applications_sb", "decision", ["beviljad", "avslag", TOTAL], t("applications_sb", lang)),
        lengths(fu), km_table(fu), shis(fu), support(fu, "sex_mot_ersattning"),
        support(fu, "manniskohandel"), target_groups(fu), vulnerable(fu), trends(fu),
        trend_rates(fu), data_quality(fu), quarantine_view(fu),
    ]
