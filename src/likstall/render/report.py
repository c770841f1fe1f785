"""The yearly report: HTML (self-contained), PDF (A4), Excel and CSV — all from one release.

Every file is written to a temporary name and renamed into place, so a report killed part-way
never leaves a half-written file under its final name.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape

from ..release.content import Release as FollowUp
from . import FORMATS, charts, fmt, helper  # noqa: F401 (FORMATS re-exported)
from .atomic import atomic_write
from .i18n import t
from .safe_csv import neutralise
from .tables_csv import comment_lines, write_tables_csv
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
    subsections: list[tuple[str, str]] = field(default_factory=list)



def _hidden_caption(hidden: list[str], lang: str) -> str:
    return f"{t('not_drawn', lang)}: {', '.join(hidden)}." if hidden else ""


def sections(fu: FollowUp, views: dict[str, View]) -> list[Section]:
    """The report's sections, the statement's questions as headings; every sentence is the release's."""
    lang = fu.settings.lang
    text = fu.text
    out = []
    by_q = lambda *qs: [f.text[lang] for f in fu.findings if f.question in qs]  # noqa: E731
    out.append(Section("svaren", t("answers", lang), [text("lead")],
                       subsections=[(t(f"question_{i}", lang), text(f"answer_{i}")) for i in (1, 2, 3)]))
    out.append(Section("sammanfattning", t("findings", lang), [], findings=[f.text[lang] for f in fu.findings]))

    map_svg, map_hidden = charts.tile_map(fu)
    out.append(Section("oversikt", t("overview", lang), [],
                       views=[views["oversikt"], views["victims_by_sex"], views["victims_by_age"],
                              views["victims_by_target_group"], views["placements_by_type"]],
                       figures=[Figure(map_svg, _hidden_caption(map_hidden, lang))]))

    f_svg, f_hidden = charts.funnel(fu)
    out.append(Section("likstallighet", t("equality", lang), [p for p in (text("model"), text("overdispersion")) if p],
                       views=[views["likstallighet"], views["applications_sb"]],
                       figures=[Figure(f_svg, t("funnel_caption", lang) + " " + _hidden_caption(f_hidden, lang))],
                       findings=by_q("1")))

    km_svg = charts.km_curves(fu)
    out.append(Section("vistelsetid", t("lengths", lang), [p for p in (text("flats"),) if p],
                       views=[views["vistelsetid"], views["km_data"]],
                       figures=[Figure(km_svg, t("km_note", lang))] if km_svg else [], findings=by_q("2")))
    out.append(Section("shis", t("shis", lang), [text("shis")], views=[views["shis"], views["stod_sex_mot_ersattning"], views["stod_manniskohandel"]],
                       findings=by_q("3")))
    out.append(Section("malgrupper", t("target_groups", lang), [], views=[views["malgrupper"]], findings=by_q("4")))
    out.append(Section("sarbara", t("vulnerable", lang), [], views=[views["sarbara"]], findings=by_q("5")))
    tr_svg, tr_hidden = charts.trend_chart(fu)
    out.append(Section("trender", t("trends", lang), [p for p in (text("trend"),) if p],
                       views=[views["trender"], views["trend_data"]],
                       figures=[Figure(tr_svg, _hidden_caption(tr_hidden, lang))], findings=by_q("6")))
    out.append(Section("datakvalitet", t("data_quality", lang), [], views=[views["datakvalitet"], views["karantan"]]))
    out.append(Section("metod", t("methods", lang), methods_text(fu)))
    return out


def methods_text(fu: FollowUp) -> list[str]:
    sv = fu.settings.lang == "sv"
    pol = fu.publication.policy
    a = fu.publication.audit
    lifted = [s for s in a.steps]
    if sv:
        out = [
            "Enheter: takter per 10 000 invånare eller per 10 000 kvinnor 18+ (befolkning samma år), andelar i procent, "
            "vistelsetider i dygn. Tal med mellanslag som tusentalsavgränsare och decimalkomma.",
            "Kända våldsutsatta: personer med ett ärende som aktualiserades under året, räknade en gång i stadsdelen för "
            "sitt första ärende. Placeringar: beviljade placeringar som startade under året. Ansökningar efter "
            "ansökningsdatum.",
            "Intervall: exakta Poissonintervall (Garwood) för antal och takter, Wilson för andelar, Kaplan–Meier med "
            "log-intervall (som R survival) för vistelsetider; pågående placeringar censureras vid uttagsdatumet. "
            "Förväntat antal: indirekt standardisering efter ålder och kön, därefter en negativ binomial-GLM med "
            "medianinkomst och andel med ekonomiskt bistånd, skattad utan stadsdelen själv. Trattdiagram med "
            "överspridning enligt Spiegelhalter (CQC-skalan, gränserna tillbakatransformerade). Utjämnade nivåer: "
            "empirisk Bayes (Clayton–Kaldor). Vistelsetider jämförs med resten av staden (restrikterat medelvärde till "
            "90 dygn). Alla jämförelser i releasen kontrollerar falsk upptäcktsrisk tillsammans (Benjamini–Hochberg, "
            "q < 0,05); jämförelser bara efter ålder och kön visas som sammanhang men blir aldrig fynd.",
            f"Röjandekontroll: antal 1–{pol.threshold - 1} undertrycks (tröskel {pol.threshold}); allt som räknas fram "
            "ur ett antal (andelar, takter, överlevnad, medelvärden) publiceras bara när alla antal det bygger på "
            f"publiceras. Sekundär undertryckning tillsammans med alla tidigare releaser. {a.n_suppressed} av "
            f"{a.n_cells} antal undertrycks ({fmt.pct(a.share_suppressed, 1)}). En rad med färre än "
            f"{pol.threshold} redovisas bara med sin total. Granskningen mot angriparen "
            f"({', '.join(a.scenarios)}): " + ("godkänd." if a.passed else "INTE godkänd."),
            "Teckenförklaring: .. = undertryckt av sekretesskäl; - = redovisas inte (för få placeringar eller inget "
            "värde); tom cell = uppdelningen redovisas inte (se tabellens not). Färger värderar inte: högre eller lägre "
            "än förväntat, inte bra eller dåligt.",
            "Rader i karantän är rader i exportfilerna som inte lästes in (fel format, okända koder, personnummer i fel "
            "kolumn m.m.) — inte personer.",
        ]
        if lifted:
            out.append("Tabeller som redovisas grövre än per stadsdel: " + "; ".join(
                f"{fu.publication.tables[s[0]].texts.get('sv', {}).get('title', s[0])} → {LEVEL_SV[s[1]]}"
                for s in lifted if s[0] in fu.publication.tables) + ".")
        return out
    out = [
        "Units: rates per 10,000 inhabitants or per 10,000 women 18+ (same-year population), shares in per cent, "
        "lengths of stay in days.",
        "Known victims: persons with a case opened during the year, counted once in the district of their first case. "
        "Placements: granted placements that started during the year. Applications by application date.",
        "Intervals: exact Poisson (Garwood) for counts and rates, Wilson for shares, Kaplan–Meier with log intervals "
        "(as R survival) for lengths of stay; ongoing placements are censored at the extract date. Expected counts: "
        "indirect standardisation by age and sex, then a negative binomial GLM with median income and the share "
        "receiving economic assistance, fitted without the district itself. Funnel plots with overdispersion "
        "(Spiegelhalter, CQC scale, limits back-transformed). Smoothed levels: empirical Bayes (Clayton–Kaldor). "
        "Lengths of stay are compared with the rest of the city (restricted mean to 90 days). All comparisons of the "
        "release control the false discovery rate together (Benjamini–Hochberg, q < 0.05).",
        f"Disclosure control: counts 1–{pol.threshold - 1} are suppressed; a derived number is published only when "
        f"every count it rests on is. Secondary suppression jointly with all earlier releases. {a.n_suppressed} of "
        f"{a.n_cells} counts suppressed ({a.share_suppressed:.1%}). Audit against the attacker "
        f"({', '.join(a.scenarios)}): " + ("passed." if a.passed else "NOT passed."),
        "Legend: .. = suppressed for confidentiality; - = not reported; empty = breakdown not shown (see the note). "
        "Colours carry no judgement.",
    ]
    return out


LEVEL_SV = {"region": "per region", "city": "bara hela staden", "omitted": "redovisas inte"}


def _banner(fu: FollowUp) -> list[str]:
    lang = fu.settings.lang
    out = []
    if fu.is_draft:
        out.append(t("draft", lang))
    if fu.provenance.get("synthetic"):
        out.append(t("demodata", lang))
    return out


def provenance_line(fu: FollowUp) -> str:
    from .. import __version__

    lang = fu.settings.lang
    pol = fu.publication.policy
    return t("provenance", lang).format(
        extract=fu.provenance.get("extract_date", ""), release=fu.label, created=str(fu.created)[:10],
        version=fu.content.get("likstall", __version__), t1=pol.threshold - 1, t=pol.threshold)


def render_html(fu: FollowUp, views: list[View] | None = None, secs: list[Section] | None = None) -> str:
    env = Environment(loader=PackageLoader("likstall.render", "templates"), autoescape=select_autoescape(["html", "j2"]))
    views = {v.name: v for v in (views or all_views(fu))}
    lang = fu.settings.lang
    return env.get_template("report.html.j2").render(
        lang=lang, title=t("title", lang), year=fu.year, meta=provenance_line(fu), banner=_banner(fu),
        sections=secs if secs is not None else sections(fu, views), no_findings=t("no_findings", lang))


def write_excel(fu: FollowUp, path: Path, views: list[View] | None = None) -> None:
    _excel_job(fu, path, views or all_views(fu)).get()


def _excel_job(fu: FollowUp, path: Path, views: list[View], here: bool = False) -> helper.Pending:
    """The workbook, written by the helper process when one runs (render/helper.py), or with `here`
    in this process."""
    lang = fu.settings.lang
    tables = [{"name": tab.name, "title": tab.title, "unit": tab.unit, "method": tab.method}
              for tab in fu.publication.tables.values()]
    args = (path, f"{t('title', lang)} {fu.year}", methods_text(fu), views, lang, _findings_rows(fu), tables,
            provenance_lines(fu))
    return helper.Pending.here("workbook", *args) if here else helper.Pending("workbook", *args)


def _findings_rows(fu: FollowUp) -> list[dict]:
    """The findings as plain rows (for the workbook's findings sheet, in the helper process too)."""
    sv = fu.settings.lang == "sv"
    return [{"text": f.text_sv if sv else f.text_en, "district": fu.name(f.district), "indicator": f.indicator,
             "direction": f.direction, "estimate": f.estimate, "ci_low": f.ci_low, "ci_high": f.ci_high,
             "q_value": f.q_value, "unit": f.unit} for f in fu.findings]


def view_csv(v: View, lang: str = "sv", preamble: tuple[str, ...] = ()) -> bytes:
    """One view as CSV for Swedish Excel: `;`, decimal comma, UTF-8 with BOM, the flat columns of the
    workbook (value, lower, upper, n, status). Numbers are written plainly, so they read back as numbers
    (`pandas.read_csv(sep=";", decimal=",", skiprows=len(preamble))`); only text goes through the formula
    guard. `preamble`: lines above the header (the provenance of a downloaded table), one cell each."""
    cols = flat_columns(v, lang)
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=";", lineterminator="\r\n")
    for line in preamble:
        w.writerow([neutralise(line)])
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
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def write_view_csvs(fu: FollowUp, folder: Path, views: list[View] | None = None) -> list[str]:
    """Per-table CSVs (`view_csv`) of every view, one file each, with the provenance above the header:
    the same bytes as the dashboard's download of the table (`/rapporter/ÅR/tabell/NAMN.csv`)."""
    lang = fu.settings.lang
    folder.mkdir(parents=True, exist_ok=True)
    preamble = provenance_lines(fu)
    names = []
    for v in views or all_views(fu):
        atomic_write(folder / f"{v.name}.csv", view_csv(v, lang, preamble))
        names.append(f"{v.name}.csv")
    return names


def provenance_lines(fu: FollowUp) -> tuple[str, ...]:
    """What a downloaded table says about itself: the provenance line, and DEMODATA when it is synthetic."""
    return (*_banner(fu), provenance_line(fu))


def write_findings_csv(fu: FollowUp, path: Path) -> None:
    """The findings with their sentence: `text_sv` (or `text_en` with --lang en) as the last column; the
    provenance as `# ` comment lines above the header, as in tables.csv (`pandas.read_csv(path, comment="#")`)."""
    sv = fu.settings.lang == "sv"
    buf = io.StringIO()
    buf.write(comment_lines(provenance_lines(fu)))
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
    # From a release, the workbook is written here while the helper draws the charts sent above: this
    # process imported no statistics and would wait for the charts, the helper (a JavaScript engine,
    # Altair) is the longer path (docs/performance.md §2). A draft computed its statistics here, so the
    # helper writes the workbook while the HTML is put together.
    excel = _excel_job(fu, out / f"{stem}.xlsx", views, here=not fu.is_draft) if "xlsx" in formats else None
    if excel is not None and not fu.is_draft:
        say("Excel")
        excel.get()
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
    if excel is not None:
        say("Excel")
        excel.get()
        written["xlsx"] = str(out / f"{stem}.xlsx")
    if "csv" in formats:
        say("CSV")
        write_tables_csv(fu.publication, out / "tables.csv", provenance_lines(fu))
        write_findings_csv(fu, out / "findings.csv")
        write_view_csvs(fu, out / f"tabeller{suffix}", views)
        written["csv"] = str(out / "tables.csv")
    return written
