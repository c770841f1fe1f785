"""The Excel workbook for analysts, and the flat column layout it shares with the per-table CSVs.

A view's column with an interval becomes several columns — value, lower limit, upper limit, n (where
the view has a count) and status — so that every number is a number one can compute with; `..` and the
other symbols appear only in the status column. A column whose report text says more than its number
(observed / expected, a word for a flag) also keeps that text in a column "som i rapporten".

Sheets: Innehåll (contents: the provenance — DEMODATA or UTKAST when so, source, extract date, release,
version, threshold — then every sheet with its full title and a link), Definitioner (titles, units,
notes and methods), Fynd (the findings in words), then one sheet per view under a short, stable name.
Each view sheet has its title in row 1 (with the DEMODATA / UTKAST mark when there is one), one header row with unique names (frozen, with a filter) and
the data below it — nothing under the data, so a filter, a pivot table or `pandas.read_excel(header=1)`
sees only data. Numbers carry number formats ('#,##0', '#,##0.0'): Excel shows them in the reader's
locale, so a Swedish Excel shows 1 052 and 7,0.

It takes only views and findings — values that have passed the disclosure gate — so it can run in the
report's helper process (render/helper.py). openpyxl is imported only when a workbook is written: the
per-table CSV writer uses the layout without it.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from pathlib import Path

from . import fmt
from .atomic import atomic_write
from .safe_csv import neutralise
from .views import View, VCell

# Short, stable sheet names per view (≤ 31 characters, words not cut); full titles are on the contents sheet.
SHEET_NAMES = {
    "oversikt": ("Översikt", "Overview"),
    "victims_by_sex": ("Våldsutsatta kön", "Victims sex"),
    "victims_by_age": ("Våldsutsatta ålder", "Victims age"),
    "victims_by_target_group": ("Våldsutsatta målgrupp", "Victims target group"),
    "placements_by_type": ("Placeringar insatstyp", "Placements type"),
    "applications_sb": ("Ansökningar SB", "Applications PH"),
    "likstallighet": ("Likställighet", "Equality"),
    "vistelsetid": ("Vistelsetid", "Length of stay"),
    "km_data": ("Kvar i SB (KM)", "Still placed (KM)"),
    "shis": ("SHIS", "SHIS"),
    "stod_sex_mot_ersattning": ("Stöd sex mot ersättning", "Support sex for payment"),
    "stod_manniskohandel": ("Stöd människohandel", "Support trafficking"),
    "malgrupper": ("Målgrupper", "Target groups"),
    "sarbara": ("Sårbara grupper", "Vulnerable groups"),
    "trender": ("Trender", "Trends"),
    "trend_data": ("Trend per region", "Trend by region"),
    "datakvalitet": ("Datakvalitet", "Data quality"),
    "karantan": ("Karantän", "Quarantine"),
}
FIXED_SHEETS = {"contents": ("Innehåll", "Contents"), "definitions": ("Definitioner", "Definitions"),
                "findings": ("Fynd", "Findings")}
PARTS = {  # the suffix of each sub-column's header
    "lower": ("nedre gräns", "lower limit"),
    "upper": ("övre gräns", "upper limit"),
    "n": ("antal (n)", "count (n)"),
    "status": ("status", "status"),
    "text": ("som i rapporten", "as in the report"),
}
MAX_SHEET = 31
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")


def _t(pair: tuple[str, str], lang: str) -> str:
    return pair[0] if lang == "sv" else pair[1]


@dataclass(frozen=True)
class Column:
    """One column of the flat layout: `part` of the view's column `index`."""

    header: str  # unique within the view
    index: int
    part: str  # label, value, lower, upper, n, status, text
    decimals: int = 0

    @property
    def numeric(self) -> bool:
        return self.part in ("value", "lower", "upper", "n")


def full_headers(headers: list[str]) -> list[str]:
    """Headers that stand on their own: a column whose header continues the one before it in the
    report ("per 10 000 invånare" after "Placeringar i skyddat boende", "… utan längsta" after
    "Medel, avslutade") is named with it, and any name still repeated gets (2), (3)."""
    out, base, seen = [], "", {}
    for h in headers:
        name = h
        if h.startswith("…"):
            name = f"{base}, {h.lstrip('… ').strip()}" if base else h
        elif h[:1].islower() and base:
            name = f"{base} {h}"
        else:
            base = h
        k = name.casefold()
        seen[k] = seen.get(k, 0) + 1
        out.append(name if seen[k] == 1 else f"{name} ({seen[k]})")
    return out


def _plain(c: VCell, lang: str) -> str:
    """What the report would show for this value and interval alone."""
    text = fmt.num(c.value, c.decimals, lang) if c.decimals else fmt.integer(c.value, lang)
    if c.ci_low is not None and c.ci_high is not None:
        text += f" ({fmt.ci(c.ci_low, c.ci_high, c.decimals, lang)})"
    return text


def flat_columns(v: View, lang: str = "sv") -> list[Column]:
    cols: list[Column] = []
    names = full_headers(v.headers)
    for i, name in enumerate(names):
        cells = [row[i] for row in v.rows if i < len(row)]
        if not cells or all(c.is_label for c in cells):
            cols.append(Column(name, i, "label"))
            continue
        dec = max((c.decimals for c in cells if c.value is not None), default=0)
        cols.append(Column(name, i, "value", dec))
        if any(c.ci_low is not None for c in cells):
            cols += [Column(f"{name}, {_t(PARTS['lower'], lang)}", i, "lower", dec),
                     Column(f"{name}, {_t(PARTS['upper'], lang)}", i, "upper", dec)]
        if any(c.n is not None for c in cells):
            cols.append(Column(f"{name}, {_t(PARTS['n'], lang)}", i, "n"))
        cols.append(Column(f"{name}, {_t(PARTS['status'], lang)}", i, "status"))
        if any(not c.status and c.value is not None and not c.is_label and c.display != _plain(c, lang) for c in cells):
            cols.append(Column(f"{name}, {_t(PARTS['text'], lang)}", i, "text"))
    return cols


def flat_value(c: VCell, col: Column):
    """The value of `col` for cell `c`: a number, a status symbol, text or None (empty)."""
    if col.part == "label" or col.part == "text":
        return c.display if (col.part == "label" or (not c.status and c.value is not None)) else None
    if col.part == "status":
        return c.status or None
    x = {"value": c.value, "lower": c.ci_low, "upper": c.ci_high, "n": c.n}[col.part]
    if x is None or c.status:
        return None
    x = round(float(x), col.decimals)
    return int(x) if col.decimals == 0 or col.part == "n" else x


def number_format(col: Column) -> str:
    # ',' and '.' are Excel's placeholders for the reader's own separators, not literal characters.
    return "#,##0" if col.decimals == 0 or col.part == "n" else "#,##0." + "0" * col.decimals


def sheet_name(v: View, lang: str, used: set[str]) -> str:
    """A short, stable, unique sheet name (Excel: ≤ 31 characters, none of []:*?/\\, unique ignoring case)."""
    name = _t(SHEET_NAMES[v.name], lang) if v.name in SHEET_NAMES else _shorten(v.title)
    name = _BAD_SHEET_CHARS.sub("-", name).strip("' ") or v.name[:MAX_SHEET]
    base, k = name, 2
    while name.casefold() in used:
        suffix = f" ({k})"
        name = _shorten(base, MAX_SHEET - len(suffix)) + suffix
        k += 1
    used.add(name.casefold())
    return name


def _shorten(text: str, limit: int = MAX_SHEET) -> str:
    """Whole words up to `limit` characters (a single over-long word is cut)."""
    text = _BAD_SHEET_CHARS.sub("-", text).strip()
    if len(text) <= limit:
        return text
    words, out = text.split(), ""
    for w in words:
        if len(out) + len(w) + (1 if out else 0) > limit:
            break
        out = f"{out} {w}".strip()
    return out.rstrip(",;–-") or text[:limit]


def write_workbook(path: Path, title: str, methods: list[str], views: list[View], lang: str,
                   findings: list[dict] | None = None, tables: list[dict] | None = None,
                   preamble: tuple[str, ...] = ()) -> None:
    """`findings`: dicts with text, district (a name), indicator, direction, estimate, ci_low, ci_high,
    q_value and unit, in the report's language. `tables`: the publication's tables (name, title, unit,
    method), defined on the definitions sheet under the names `tables.csv` uses. `preamble`: what the
    workbook says about itself (`report.provenance_lines`), under the title of the contents sheet; its
    marks (DEMODATA, UTKAST) also stand in the title row of every other sheet."""
    from openpyxl import Workbook

    wb = Workbook()
    used = {n.casefold() for n in (_t(p, lang) for p in FIXED_SHEETS.values())}
    names = [sheet_name(v, lang, used) for v in views]
    contents = wb.active
    contents.title = _t(FIXED_SHEETS["contents"], lang)
    defs = wb.create_sheet(_t(FIXED_SHEETS["definitions"], lang))
    fnd = wb.create_sheet(_t(FIXED_SHEETS["findings"], lang))
    marks = _marks(preamble)
    _definitions_sheet(defs, " — ".join([title, *marks]), methods, views, lang, tables or [])
    _findings_sheet(fnd, findings or [], lang, marks)
    for v, name in zip(views, names):
        _view_sheet(wb.create_sheet(name), v, lang, marks)
    _contents_sheet(contents, title, [(defs.title, defs.title), (fnd.title, fnd.title),
                                      *[(n, v.title) for n, v in zip(names, views)]], lang, preamble)
    wb.properties.creator = "likstall"
    buf = io.BytesIO()
    wb.save(buf)
    atomic_write(path, buf.getvalue())


def _bold(cell, size: int | None = None) -> None:
    from openpyxl.styles import Font

    cell.font = Font(bold=True, size=size) if size else Font(bold=True)


def _header_row(ws, row: int, headers: list[str]) -> None:
    from openpyxl.styles import Alignment, PatternFill

    for col, h in enumerate(headers, start=1):
        cell = ws.cell(row=row, column=col, value=neutralise(h))
        _bold(cell)
        cell.fill = PatternFill("solid", fgColor="F1F5F9")
        cell.alignment = Alignment(wrap_text=True, vertical="top")


def _marks(preamble: tuple[str, ...]) -> list[str]:
    """The lines of a preamble that mark what the data are (synthetic, a draft), for every sheet's title."""
    return [p for p in preamble if p.startswith(("DEMODATA", "DEMO DATA", "UTKAST", "DRAFT"))]


def _contents_sheet(ws, title: str, entries: list[tuple[str, str]], lang: str, preamble: tuple[str, ...] = ()) -> None:
    from openpyxl.styles import Alignment, Font

    ws["A1"] = neutralise(title)
    _bold(ws["A1"], 14)
    marks = _marks(preamble)
    for r, line in enumerate(preamble, start=2):
        cell = ws.cell(row=r, column=1, value=neutralise(line))
        cell.alignment = Alignment(wrap_text=False, vertical="top")
        if line in marks:
            _bold(cell)
    head = 3 + len(preamble)
    _header_row(ws, head, ["Blad" if lang == "sv" else "Sheet", "Innehåll" if lang == "sv" else "Contents"])
    for r, (sheet, full) in enumerate(entries, start=head + 1):
        link = ws.cell(row=r, column=1, value=neutralise(sheet))
        link.hyperlink = "#'{}'!A1".format(sheet.replace("'", "''"))
        link.font = Font(color="1D4ED8", underline="single")
        ws.cell(row=r, column=2, value=neutralise(full))
    ws.column_dimensions["A"].width = 28
    ws.column_dimensions["B"].width = 90
    ws.freeze_panes = f"A{head + 1}"


def _definitions_sheet(ws, title: str, methods: list[str], views: list[View], lang: str, tables: list[dict]) -> None:
    from openpyxl.styles import Alignment

    sv = lang == "sv"
    ws["A1"] = neutralise(title)
    _bold(ws["A1"], 14)
    _header_row(ws, 3, ["Tabell" if sv else "Table", "Kolumn" if sv else "Column",
                        "Enhet" if sv else "Unit", "Förklaring" if sv else "Explanation"])
    r = 4
    wrap = Alignment(wrap_text=True, vertical="top")
    for v in views:
        units = v.units if len(v.units) == len(v.headers) else [""] * len(v.headers)
        full = full_headers(v.headers)
        for i, (h, name) in enumerate(zip(v.headers, full)):
            short, unit = split_header(h, units[i])
            note = v.note if i == 0 else ""
            for col, val in enumerate((v.title, name, unit, note), start=1):
                ws.cell(row=r, column=col, value=neutralise(val) if val else None).alignment = wrap
            r += 1
    if tables:
        r += 1
        ws.cell(row=r, column=1, value="Tabellerna i tables.csv" if sv else "The tables of tables.csv")
        _bold(ws.cell(row=r, column=1))
        r += 1
        _header_row(ws, r, ["table", "Titel" if sv else "Title", "Enhet" if sv else "Unit",
                            "Metod" if sv else "Method"])
        for tab in tables:
            r += 1
            for col, key in enumerate(("name", "title", "unit", "method"), start=1):
                val = tab.get(key)
                ws.cell(row=r, column=col, value=neutralise(val) if val else None).alignment = wrap
    r += 2
    ws.cell(row=r, column=1, value="Metod" if sv else "Method")
    _bold(ws.cell(row=r, column=1))
    for p in methods:
        r += 1
        ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=4)
        ws.cell(row=r, column=1, value=neutralise(p)).alignment = wrap
        ws.row_dimensions[r].height = 15 * (1 + len(p) // 150)
    for col, width in zip("ABCD", (34, 42, 22, 70)):
        ws.column_dimensions[col].width = width
    ws.freeze_panes = "A4"


def split_header(h: str, unit: str = "") -> tuple[str, str]:
    """A header as (short text, unit line): from View.units where given, else from a trailing
    '(…)' and a trailing ', %' / ', dygn'. 'Median, dygn (95 % KI)' → ('Median', 'dygn, 95 % KI')."""
    short, parts = h.strip(), []
    m = re.match(r"^(.*\S)\s*\(([^()]*)\)$", short)
    if m:
        short, paren = m.groups()
        parts.append(paren)
    m = re.match(r"^(.*\S),\s*(%|dygn|days|antal|kr|SEK)$", short)
    if m:
        short = m.group(1)
        parts.insert(0, m.group(2))
    if unit:
        parts = [unit, *[p for p in parts if p not in unit]]
    return short, ", ".join(parts)


def _findings_sheet(ws, findings: list[dict], lang: str, marks: list[str] = ()) -> None:
    from openpyxl.styles import Alignment

    sv = lang == "sv"
    headers = (["Fynd", "Stadsdel", "Indikator", "Riktning", "Skattning", "Nedre gräns", "Övre gräns", "q-värde",
                "Enhet"] if sv else
               ["Finding", "District", "Indicator", "Direction", "Estimate", "Lower limit", "Upper limit", "q value",
                "Unit"])
    ws["A1"] = " — ".join(["Fynd: stadsdelar som skiljer sig från det förväntade" if sv else
                           "Findings: districts that differ from expected", *marks])
    _bold(ws["A1"], 12)
    _header_row(ws, 2, headers)
    words = {"higher": "högre", "lower": "lägre"} if sv else {}
    for r, f in enumerate(findings, start=3):
        vals = [f.get("text"), f.get("district"), f.get("indicator"), words.get(f.get("direction"), f.get("direction")),
                f.get("estimate"), f.get("ci_low"), f.get("ci_high"), f.get("q_value"), f.get("unit")]
        for col, val in enumerate(vals, start=1):
            if isinstance(val, float) and val != val:  # NaN: nothing to compute with
                val = None
            cell = ws.cell(row=r, column=col, value=val if isinstance(val, (int, float)) else neutralise(val))
            if isinstance(val, float):
                cell.number_format = "0.000" if col == 8 else "#,##0.00"
            if col == 1:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
    if not findings:
        ws.cell(row=3, column=1, value="Inga stadsdelar skiljer sig säkert från det förväntade." if sv else
                "No district differs clearly from expected.")
    last = max(3, len(findings) + 2)
    ws.auto_filter.ref = f"A2:I{last}"
    ws.freeze_panes = "B3"
    for col, width in zip("ABCDEFGHI", (90, 22, 30, 10, 12, 12, 12, 10, 22)):
        ws.column_dimensions[col].width = width


def _view_sheet(ws, v: View, lang: str, marks: list[str] = ()) -> None:
    from openpyxl.styles import Alignment
    from openpyxl.utils import get_column_letter

    cols = flat_columns(v, lang)
    ws["A1"] = neutralise(" — ".join([v.title, *marks]))
    _bold(ws["A1"], 12)
    _header_row(ws, 2, [c.header for c in cols])
    right = Alignment(horizontal="right")
    for r, row in enumerate(v.rows, start=3):
        for j, col in enumerate(cols, start=1):
            val = flat_value(row[col.index], col) if col.index < len(row) else None
            if val is None:
                continue
            if col.numeric:
                cell = ws.cell(row=r, column=j, value=val)
                cell.number_format = number_format(col)
            else:
                # A status symbol ('-') is not a formula; everything else from the data is neutralised.
                cell = ws.cell(row=r, column=j, value=val if col.part == "status" else neutralise(val))
                if col.part == "status":
                    cell.alignment = right
            if col.part == "label" and v.row_keys and r - 3 == len(v.rows) - 1 and v.has_total:
                _bold(cell)
    if not v.rows and v.note:
        ws["A3"] = neutralise(v.note)  # an empty view says why (the quarantine: where it is shown instead)
    last_row = max(2 + len(v.rows), 3)
    last_col = get_column_letter(len(cols))
    ws.auto_filter.ref = f"A2:{last_col}{last_row}"
    ws.freeze_panes = "B3"  # the header row and the district column stay in view
    for j, col in enumerate(cols, start=1):
        ws.column_dimensions[get_column_letter(j)].width = 26 if col.part in ("label", "text") else 14


def table_workbook(v: View, lang: str, preamble: tuple[str, ...], when) -> bytes:
    """One view as a workbook of its own: the view's sheet as in the whole workbook (title in row 1 with
    the DEMODATA mark when there is one, headers in row 2, frozen, with a filter; numbers as numbers)
    and a sheet "Om tabellen" with the provenance and the note. `when` (the release's time) is written as
    the file's time, so the same release gives the same bytes."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment

    wb = Workbook()
    ws = wb.active
    ws.title = sheet_name(v, lang, set())
    _view_sheet(ws, v, lang, _marks(preamble))
    about = wb.create_sheet("Om tabellen" if lang == "sv" else "About the table")
    about["A1"] = neutralise(v.title)
    _bold(about["A1"], 12)
    wrap = Alignment(wrap_text=True, vertical="top")
    for r, line in enumerate([*preamble, v.note], start=3):
        if line:
            about.cell(row=r, column=1, value=neutralise(line)).alignment = wrap
    about.column_dimensions["A"].width = 120
    wb.properties.creator = "likstall"
    buf = io.BytesIO()
    wb.save(buf)
    return fixed_time(buf.getvalue(), when)


def fixed_time(xlsx: bytes, when) -> bytes:
    """The workbook with every part dated `when` (openpyxl dates the file and its parts with the time of
    saving): a release's files are the same bytes however often they are made."""
    import zipfile

    stamp = when.strftime("%Y-%m-%dT%H:%M:%SZ")
    src = zipfile.ZipFile(io.BytesIO(xlsx))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)",
                              rb"\g<1>" + stamp.encode() + rb"\g<2>", data)
            fixed = zipfile.ZipInfo(info.filename, date_time=when.timetuple()[:6])
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = info.external_attr
            dst.writestr(fixed, data)
    return out.getvalue()
