"""The yearly report: HTML (self-contained), PDF (A4), Excel and CSV — all from one FollowUp.

Every file is written to a temporary name and renamed into place, so a report killed part-way
never leaves a half-written file under its final name.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field
from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape

from ..disclosure.cells import TOTAL
from ..followup.build import FollowUp
from . import FORMATS, charts, fmt, helper  # noqa: F401 (FORMATS re-exported)
from .atomic import atomic_write
from .i18n import t
from .safe_csv import neutralise
from .tables_csv import write_tables_csv
from .views import View, all_views
from .workbook import flat_columns, flat_value



@dataclass
class Figure:
    svg: str
    caption: str


@dataclass
class Section:
    id: str
    title: str
    paragraphs: list[str] = field(default_factory=list)
    views: list[View] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)
    findings: list[str] | None = None
    after: list[str] = field(default_factory=list)



def _hidden_caption(hidden: list[str], lang: str) -> str:
    return f"{t('not_drawn', lang)}: {', '.join(hidden)}." if hidden else ""


def sections(fu: FollowUp, views: dict[str, View]) -> list[Section]:
    lang = fu.settings.lang
    sv = lang == "sv"
    pub = fu.publication
    s = fu.stats
    out = []
    # Summary
    findings = [f.text_sv if sv else f.text_en for f in fu.findings]
    city = pub.tables["rate_sb"].cell(district=TOTAL)
    victims = pub.tables["victims_by_sex"].cell(district=TOTAL, sex=TOTAL)
    women = pub.tables["victims_by_sex"].cell(district=TOTAL, sex="K")
    intro = []
    if victims and victims.published and city and city.published:
        share_w = women.value / victims.value if women and women.published and victims.value else None
        intro.append(
            f"Under {fu.year} var {fmt.integer(victims.value, lang)} våldsutsatta personer kända av socialtjänsten"
            + (f", varav {fmt.pct(share_w, 0, lang)} kvinnor" if share_w else "")
            + f". Placeringarna i skyddat boende var {fmt.num(city.value, 1, lang)} per 10 000 invånare "
              f"(95 % KI {fmt.ci(city.ci_low, city.ci_high, 1, lang)})."
            if sv else
            f"In {fu.year}, {fmt.integer(victims.value, lang)} victims of violence were known to social services"
            + (f", {fmt.pct(share_w, 0, lang)} of them women" if share_w else "")
            + f". Placements in protected housing were {fmt.num(city.value, 1, lang)} per 10,000 inhabitants "
              f"(95% CI {fmt.ci(city.ci_low, city.ci_high, 1, lang)}).")
    model = s.get("model")
    if model:
        inc = model["coef"].get("median_income")
        lo, hi = model["ci"]["median_income"]["lower"], model["ci"]["median_income"]["upper"]
        import math

        intro.append(
            (f"Skillnaderna mellan stadsdelarna följer socioekonomin: en standardavvikelse högre medianinkomst hänger ihop "
             f"med {fmt.num((1 - math.exp(inc)) * 100, 0, lang)} % färre placeringar (95 % KI "
             f"{fmt.num((1 - math.exp(hi)) * 100, 0, lang)}–{fmt.num((1 - math.exp(lo)) * 100, 0, lang)} %). "
             "När ålder, kön och socioekonomi är med i det förväntade skiljer sig "
             + ("ingen stadsdel säkert." if not any(f.indicator == "placeringar_skyddat_boende" for f in fu.findings)
                else "de stadsdelar som nämns nedan."))
            if sv else
            (f"Differences between districts follow socio-economics: one standard deviation higher median income goes "
             f"with {(1 - math.exp(inc)) * 100:.0f}% fewer placements (95% CI {(1 - math.exp(hi)) * 100:.0f}–"
             f"{(1 - math.exp(lo)) * 100:.0f}%). With age, sex and socio-economics in the expectation, "
             + ("no district differs clearly." if not any(f.indicator == "placeringar_skyddat_boende" for f in fu.findings)
                else "the districts named below differ.")))
    out.append(Section("sammanfattning", t("findings", lang), intro, findings=findings))

    map_svg, map_hidden = charts.tile_map(fu)
    out.append(Section("oversikt", t("overview", lang), [],
                       views=[views["oversikt"], views["victims_by_sex"], views["victims_by_age"],
                              views["victims_by_target_group"], views["placements_by_type"], views["applications_sb"]],
                       figures=[Figure(map_svg, _hidden_caption(map_hidden, lang))]))

    f_svg, f_hidden = charts.funnel(fu)
    od = s.get("overdispersion") or {}
    eq_par = []
    if od:
        eq_par.append(
            (f"Spridningen mellan stadsdelarna jämfört med slumpen: φ = {fmt.num(od['phi'], 2, lang)}, "
             f"τ² = {fmt.num(od['tau2'], 3, lang)} ({'gränserna har vidgats för överspridning' if od['adjusted'] else 'ingen överspridning utöver slumpen; gränserna är de vanliga'}).")
            if sv else
            (f"Spread between districts compared with chance: φ = {od['phi']:.2f}, τ² = {od['tau2']:.3f} "
             f"({'limits widened for overdispersion' if od['adjusted'] else 'no overdispersion beyond chance; ordinary limits'})."))
    out.append(Section("likstallighet", t("equality", lang), eq_par, views=[views["likstallighet"]],
                       figures=[Figure(f_svg, (("Heldragna linjer: 99,8 %-gränser, streckade: 95 %. " if sv else
                                                 "Solid lines: 99.8% limits, dashed: 95%. ") + _hidden_caption(f_hidden, lang)))]))

    km_svg = charts.km_curves(fu)
    fl = s.get("flats")
    los_par = []
    if fl:
        los_par.append(
            (f"Stadsdelar med jourlägenheter: median {fmt.num(fl.get('median_med'), 1, lang)} dygn i skyddat boende, "
             f"utan: {fmt.num(fl.get('median_utan'), 1, lang)} dygn (log-rank χ² = {fmt.num(fl['logrank_chi2'], 1, lang)}, "
             f"p = {fmt.num(fl['p'], 3, lang)}). Justerat för målgrupp lämnar man skyddat boende "
             f"{fmt.num(fl['hr'], 2, lang)} gånger så snabbt där det finns jourlägenheter (Cox, 95 % KI "
             f"{fmt.ci(fl['hr_lower'], fl['hr_upper'], 2, lang)}).")
            if sv else
            (f"Districts with emergency flats: median {fl.get('median_med'):.1f} days in protected housing, without: "
             f"{fl.get('median_utan'):.1f} days (log-rank χ² = {fl['logrank_chi2']:.1f}, p = {fl['p']:.3f}). Adjusted for "
             f"target group, people leave {fl['hr']:.2f} times as fast where there are emergency flats (Cox, 95% CI "
             f"{fl['hr_lower']:.2f}–{fl['hr_upper']:.2f})."))
    out.append(Section("vistelsetid", t("lengths", lang), los_par, views=[views["vistelsetid"], views["km_data"]],
                       figures=[Figure(km_svg, ("Kurvor bara för regioner och staden; de slutar där färre än fem är "
                                                "kvar, så att ingen enskild vistelse kan läsas ut." if sv else
                                                "Curves only for regions and the city; they stop where fewer than five "
                                                "remain, so no single stay can be read off."))] if km_svg else []))

    names = [fu.name(c) for c in s.get("rvt_never_refers", [])]
    shis_par = [("Stadsdelar där SHIS används men RVT aldrig remitterade under året: "
                 + (", ".join(names) if names else "inga (bland publicerade tal)") + ".") if sv else
                ("Districts where SHIS is used but the RVT never referred during the year: "
                 + (", ".join(names) if names else "none (among published numbers)") + ".")]
    out.append(Section("shis", t("shis", lang), shis_par, views=[views["shis"]]))
    absent = [f.text_sv if sv else f.text_en for f in fu.findings if f.indicator.startswith("malgrupp_")]
    out.append(Section("malgrupper", t("target_groups", lang), absent or [
        "Ingen målgrupp saknas säkert i någon stadsdel." if sv else "No target group is clearly missing in any district."],
        views=[views["malgrupper"]]))
    out.append(Section("sarbara", t("vulnerable", lang), [], views=[views["sarbara"]]))
    tr_svg, tr_hidden = charts.trend_chart(fu)
    city_tr = s.get("trends", {}).get(TOTAL)
    tr_par = []
    if city_tr:
        tr_par.append((f"Hela staden: {fmt.num((city_tr['rr'] - 1) * 100, 1, lang)} % per år "
                       f"(p = {fmt.num(city_tr['p'], 2, lang)}, {city_tr['points']} år).") if sv else
                      f"Whole city: {(city_tr['rr'] - 1) * 100:.1f}% per year (p = {city_tr['p']:.2f}, {city_tr['points']} years).")
    out.append(Section("trender", t("trends", lang), tr_par, views=[views["trender"], views["trend_data"]],
                       figures=[Figure(tr_svg, _hidden_caption(tr_hidden, lang))]))
    out.append(Section("datakvalitet", t("data_quality", lang), [], views=[views["datakvalitet"], views["karantan"]]))
    out.append(Section("metod", t("methods", lang), methods_text(fu)))
    return out


def methods_text(fu: FollowUp) -> list[str]:
    sv = fu.settings.lang == "sv"
    pol = fu.publication.policy
    a = fu.publication.audit
    if sv:
        return [
            "Enheter: takter per 10 000 invånare eller per 10 000 kvinnor 18+ (befolkning samma år), andelar i procent, "
            "vistelsetider i dygn. Tal med mellanslag som tusentalsavgränsare och decimalkomma.",
            "Kända våldsutsatta: personer med ett ärende som aktualiserades under året, räknade en gång i stadsdelen för "
            "sitt första ärende. Placeringar: beviljade placeringar som startade under året. Ansökningar efter "
            "ansökningsdatum.",
            "Intervall: exakta Poissonintervall (Garwood) för antal och takter, Wilson för andelar, Kaplan–Meier med "
            "log-intervall (som R survival) för vistelsetider; pågående placeringar censureras vid uttagsdatumet. "
            "Förväntat antal: indirekt standardisering efter ålder och kön, därefter en negativ binomial-GLM med "
            "medianinkomst och andel med ekonomiskt bistånd. Trattdiagram med överspridning enligt Spiegelhalter "
            "(FunnelPlotR, CQC). Utjämnade nivåer: empirisk Bayes (Clayton–Kaldor). Jämförelser kontrollerar falsk "
            "upptäcktsrisk med Benjamini–Hochberg (q < 0,05).",
            "Röjandekontroll: " + pol.describe_sv() + f" I denna rapport undertrycks {a.n_suppressed} av {a.n_cells} "
            f"antal ({fmt.pct(a.share_suppressed, 1)}). Granskningen mot angriparen ({', '.join(a.scenarios)}): "
            + ("godkänd." if a.passed else "INTE godkänd."),
            "Teckenförklaring: .. = undertryckt av sekretesskäl; - = redovisas inte (för få placeringar eller inget "
            "värde); . = inte tillämpligt. Färger värderar inte: högre eller lägre än förväntat, inte bra eller dåligt.",
            "Rader i karantän är rader i exportfilerna som inte lästes in (fel format, okända koder, personnummer i fel "
            "kolumn m.m.) — inte personer.",
        ]
    return [
        "Units: rates per 10,000 inhabitants or per 10,000 women 18+ (same-year population), shares in per cent, "
        "lengths of stay in days.",
        "Known victims: persons with a case opened during the year, counted once in the district of their first case. "
        "Placements: granted placements that started during the year. Applications by application date.",
        "Intervals: exact Poisson (Garwood) for counts and rates, Wilson for shares, Kaplan–Meier with log intervals "
        "(as R survival) for lengths of stay; ongoing placements are censored at the extract date. Expected counts: "
        "indirect standardisation by age and sex, then a negative binomial GLM with median income and the share "
        "receiving economic assistance. Funnel plots with overdispersion (Spiegelhalter; FunnelPlotR, CQC). Smoothed "
        "levels: empirical Bayes (Clayton–Kaldor). Comparisons control the false discovery rate (Benjamini–Hochberg, "
        "q < 0.05).",
        f"Disclosure control: counts 1–{pol.T - 1} are suppressed, with everything derived from them; secondary "
        f"suppression across all tables prevents recomputation. {a.n_suppressed} of {a.n_cells} counts suppressed "
        f"({a.share_suppressed:.1%}). Audit against the attacker ({', '.join(a.scenarios)}): "
        + ("passed." if a.passed else "NOT passed."),
        "Legend: .. = suppressed for confidentiality; - = not reported; . = not applicable. Colours carry no judgement.",
    ]


def render_html(fu: FollowUp, views: list[View] | None = None, secs: list[Section] | None = None) -> str:
    env = Environment(loader=PackageLoader("likstall.render", "templates"), autoescape=select_autoescape(["html", "j2"]))
    views = {v.name: v for v in (views or all_views(fu))}
    lang = fu.settings.lang
    meta = (f"Rapportår {fu.year}. Framtagen {dt.date.today().isoformat()} med likstall. Alla tal har passerat "
            "röjandekontrollen." if lang == "sv" else
            f"Report year {fu.year}. Produced {dt.date.today().isoformat()} with likstall. Every number passed "
            "disclosure control.")
    return env.get_template("report.html.j2").render(
        lang=lang, title=t("title", lang), year=fu.year, meta=meta, sections=secs if secs is not None else sections(fu, views),
        no_findings=t("no_findings", lang))


def write_excel(fu: FollowUp, path: Path, views: list[View] | None = None) -> None:
    _excel_job(fu, path, views or all_views(fu)).get()


def _excel_job(fu: FollowUp, path: Path, views: list[View]) -> helper.Pending:
    """The workbook is written by the helper process when one runs (render/helper.py)."""
    lang = fu.settings.lang
    tables = [{"name": tab.name, "title": tab.title, "unit": tab.unit, "method": tab.method}
              for tab in fu.publication.tables.values()]
    return helper.Pending("workbook", path, f"{t('title', lang)} {fu.year}", methods_text(fu), views, lang,
                          _findings_rows(fu), tables)


def _findings_rows(fu: FollowUp) -> list[dict]:
    """The findings as plain rows (for the workbook's findings sheet, in the helper process too)."""
    sv = fu.settings.lang == "sv"
    return [{"text": f.text_sv if sv else f.text_en, "district": fu.name(f.district), "indicator": f.indicator,
             "direction": f.direction, "estimate": f.estimate, "ci_low": f.ci_low, "ci_high": f.ci_high,
             "q_value": f.q_value, "unit": f.unit} for f in fu.findings]


def write_view_csvs(fu: FollowUp, folder: Path, views: list[View] | None = None) -> list[str]:
    """Per-table CSVs for Swedish Excel: `;`, decimal comma, UTF-8 with BOM. The same flat columns as the
    workbook (value, lower, upper, n, status): numbers are written plainly, so they read back as numbers
    (`pandas.read_csv(sep=";", decimal=",")`); only text goes through the formula guard."""
    lang = fu.settings.lang
    folder.mkdir(parents=True, exist_ok=True)
    names = []
    for v in views or all_views(fu):
        cols = flat_columns(v, lang)
        buf = io.StringIO()
        w = csv.writer(buf, delimiter=";", lineterminator="\r\n")
        w.writerow([neutralise(c.header) for c in cols])
        for row in v.rows:
            out = []
            for c in cols:
                val = flat_value(row[c.index], c) if c.index < len(row) else None
                if val is None:
                    out.append("")
                elif c.numeric:
                    out.append(f"{val:.{0 if isinstance(val, int) else c.decimals}f}".replace(".", ","))
                else:
                    out.append(val if c.part == "status" else neutralise(val))
            w.writerow(out)
        atomic_write(folder / f"{v.name}.csv", ("\ufeff" + buf.getvalue()).encode("utf-8"))
        names.append(f"{v.name}.csv")
    return names


def write_findings_csv(fu: FollowUp, path: Path) -> None:
    """The findings with their sentence: `text_sv` (or `text_en` with --lang en) as the last column."""
    sv = fu.settings.lang == "sv"
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["district", "indicator", "direction", "estimate", "ci_low", "ci_high", "q_value",
                "text_sv" if sv else "text_en"])
    for f in fu.findings:
        w.writerow([neutralise(f.district), f.indicator, f.direction, _num(f.estimate), _num(f.ci_low),
                    _num(f.ci_high), _num(f.q_value), neutralise(f.text_sv if sv else f.text_en)])
    atomic_write(path, buf.getvalue().encode("utf-8"))


def _num(x) -> str:
    import math

    return "" if x is None or (isinstance(x, float) and math.isnan(x)) else repr(round(float(x), 6))


def write_report(fu: FollowUp, out: str | Path, formats=FORMATS, progress=None) -> dict[str, str]:
    """Write the chosen formats to `out`; returns {format: path}."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    say = progress or (lambda *_: None)
    written: dict[str, str] = {}
    suffix = "" if fu.settings.lang == "sv" else "-en"
    stem = f"uppfoljning-{fu.year}{suffix}"
    views = all_views(fu)  # once, for every format
    pages = "html" in formats or "pdf" in formats
    if pages:
        say("HTML")
    secs = sections(fu, {v.name: v for v in views}) if pages else None  # with a helper, the charts are drawn there
    # The workbook after the charts: the helper writes it while the HTML is put together here.
    excel = _excel_job(fu, out / f"{stem}.xlsx", views) if "xlsx" in formats else None
    html = render_html(fu, views, secs) if pages else None
    if "html" in formats:
        atomic_write(out / f"{stem}.html", html.encode("utf-8"))
        written["html"] = str(out / f"{stem}.html")
    if "pdf" in formats:
        say("PDF")
        from weasyprint import HTML

        # Tagged PDF/UA-1: a structure tree (headings, tables with TH/TD, figures with their text), the
        # document's language from <html lang> and its title from <title>, shown as the window title.
        atomic_write(out / f"{stem}.pdf", HTML(string=html).write_pdf(pdf_variant="pdf/ua-1"))
        written["pdf"] = str(out / f"{stem}.pdf")
    if "xlsx" in formats:
        say("Excel")
        excel.get()
        written["xlsx"] = str(out / f"{stem}.xlsx")
    if "csv" in formats:
        say("CSV")
        write_tables_csv(fu.publication, out / "tables.csv")
        write_findings_csv(fu, out / "findings.csv")
        write_view_csvs(fu, out / f"tabeller{suffix}", views)
        written["csv"] = str(out / "tables.csv")
    return written
