"""The workbook for analysts, read back with openpyxl: numbers are numbers, with formats, filters and links."""

from __future__ import annotations

import pytest
from openpyxl import load_workbook

from likstall.disclosure.cells import TOTAL
from likstall.render.views import View, VCell, all_views
from likstall.render.workbook import (FIXED_SHEETS, SHEET_NAMES, flat_columns, full_headers, sheet_name,
                                      split_header, write_workbook)


@pytest.fixture(scope="module")
def book(demo_out):
    return load_workbook(demo_out / "uppfoljning-2021.xlsx")


def header(ws) -> list[str]:
    return [c.value for c in ws[2]]


def column(ws, name: str) -> list:
    j = header(ws).index(name) + 1
    return [ws.cell(row=r, column=j) for r in range(3, ws.max_row + 1)]


def test_sheets_have_short_unique_names_and_the_contents_sheet_links_every_one(book, demo_fu):
    names = book.sheetnames
    assert names[:3] == ["Innehåll", "Definitioner", "Fynd"]
    assert len(names) == len({n.casefold() for n in names}) and all(len(n) <= 31 for n in names)
    views = all_views(demo_fu)
    assert names[3:] == [SHEET_NAMES[v.name][0] for v in views]
    contents = book["Innehåll"]
    head = next(c.row for c in contents["A"] if c.value == "Blad")  # under the title and the provenance
    links = {c.value: (c.hyperlink.location or c.hyperlink.target) for c in contents["A"][head:] if c.value}
    assert set(links) == set(names[1:])
    for sheet, target in links.items():
        assert target.lstrip("#") == f"'{sheet}'!A1"
    titles = [c.value for c in contents["B"][head:] if c.value]
    assert [v.title for v in views] == titles[2:]  # the full titles, uncut


def test_view_sheets_have_a_frozen_filtered_header_and_numbers_with_formats(book, demo_fu):
    symbols = set()
    for v in all_views(demo_fu):
        ws = book[SHEET_NAMES[v.name][0]]
        assert ws["A1"].value == f"{v.title} — DEMODATA — syntetiska uppgifter"  # the demo is marked on every sheet
        names = header(ws)
        cols = flat_columns(v)
        assert names == [c.header for c in cols] and len(names) == len(set(names))
        assert ws.freeze_panes == "B3"
        # (a view without rows keeps one row under its header: the note on why it is empty)
        assert ws.auto_filter.ref == f"A2:{ws.cell(row=2, column=len(names)).column_letter}{max(2 + len(v.rows), 3)}"
        if not v.rows:
            assert v.note and ws["A3"].value == v.note
        for row in ws.iter_rows(min_row=3):
            for cell, col in zip(row, cols):
                if cell.value is None:
                    continue
                if col.numeric:
                    assert isinstance(cell.value, (int, float)) and cell.data_type == "n", (ws.title, col.header)
                    assert cell.number_format in ("#,##0", "#,##0.0", "#,##0.00"), cell.number_format
                elif col.part == "status":
                    assert cell.value in ("..", "-", "."), (ws.title, col.header, cell.value)
                    symbols.add(cell.value)
                else:  # labels and the report's text: never a bare number or symbol
                    assert isinstance(cell.value, str) and cell.value not in ("..", "-", "."), (ws.title, col.header)
    assert ".." in symbols  # the demo has suppressed cells, shown by their status only


def test_the_overview_values_and_intervals_are_the_published_cells(book, demo_fu):
    ws = book["Översikt"]
    rate = "Placeringar i skyddat boende per 10 000 invånare (95 % KI)"
    districts = [c.value for c in column(ws, "Stadsdel")]
    values = [c.value for c in column(ws, rate)]
    lower = [c.value for c in column(ws, rate + ", nedre gräns")]
    upper = [c.value for c in column(ws, rate + ", övre gräns")]
    status = [c.value for c in column(ws, rate + ", status")]
    counts = column(ws, "Placeringar i skyddat boende")
    assert districts[-1] == "Hela staden"
    checked = 0
    for code, v, lo, hi, st in zip([*demo_fu.codes, TOTAL], values, lower, upper, status):
        cell = demo_fu.publication.tables["rate_sb"].cell(district=code)
        if cell.published:
            assert v == pytest.approx(round(cell.value, 1)) and st is None
            assert lo == pytest.approx(round(cell.ci_low, 1)) and hi == pytest.approx(round(cell.ci_high, 1))
            checked += 1
        else:
            assert v is None and lo is None and st == cell.status
    assert checked >= 10
    assert counts[-1].number_format == "#,##0" and isinstance(counts[-1].value, int) and counts[-1].value > 100
    assert column(ws, rate)[0].number_format == "#,##0.0"


def test_findings_sheet_has_the_sentences(book, demo_fu):
    ws = book["Fynd"]
    assert ws.freeze_panes == "B3" and ws.auto_filter.ref.startswith("A2:")
    rows = list(ws.iter_rows(min_row=3, values_only=True))
    assert [r[0] for r in rows] == [f.text_sv for f in demo_fu.findings]
    assert [r[1] for r in rows] == [demo_fu.name(f.district) for f in demo_fu.findings]
    assert all(isinstance(r[4], (int, float)) and isinstance(r[7], (int, float)) for r in rows)  # q = 0 reads as 0
    assert [r[4] for r in rows] == pytest.approx([f.estimate for f in demo_fu.findings])
    assert {r[3] for r in rows} <= {"högre", "lägre"}


def test_definitions_sheet_defines_every_column_table_and_method(book, demo_fu):
    ws = book["Definitioner"]
    texts = [c for row in ws.iter_rows(values_only=True) for c in row if isinstance(c, str)]
    for v in all_views(demo_fu):
        assert v.title in texts
        if v.note:
            assert v.note in texts
    assert "Median, dygn (95 % KI)" in texts and "dygn, 95 % KI" in texts  # each column with its unit
    for tab in demo_fu.publication.tables.values():
        assert tab.name in texts
    assert any(t.startswith("Röjandekontroll:") for t in texts)


def test_n_and_text_columns_appear_where_the_view_has_them(tmp_path):
    v = View("test", "Test", ["Stadsdel", "Andel, % (95 % KI)", "Observerat"], [
        [VCell("A", is_label=True), VCell("25,0 (10,0–40,0)", 25.0, "", 1, ci_low=10.0, ci_high=40.0, n=12),
         VCell("3 / 4,5", 3.0)],
        [VCell("B", is_label=True), VCell("..", status=".."), VCell("..", status="..")],
    ])
    names = [c.header for c in flat_columns(v)]
    assert names == ["Stadsdel", "Andel, % (95 % KI)", "Andel, % (95 % KI), nedre gräns",
                     "Andel, % (95 % KI), övre gräns", "Andel, % (95 % KI), antal (n)", "Andel, % (95 % KI), status",
                     "Observerat", "Observerat, status", "Observerat, som i rapporten"]
    path = tmp_path / "t.xlsx"
    write_workbook(path, "Titel", ["Metod."], [v], "sv")
    ws = load_workbook(path)["Test"]
    assert [c.value for c in ws[3]] == ["A", 25.0, 10.0, 40.0, 12, None, 3, None, "3 / 4,5"]
    assert [c.value for c in ws[4]] == ["B", None, None, None, None, "..", None, "..", None]
    assert ws.cell(row=3, column=5).number_format == "#,##0" and ws.cell(row=3, column=2).number_format == "#,##0.0"


def test_sheet_names_are_cut_at_words_and_made_unique():
    used = {n[0].casefold() for n in FIXED_SHEETS.values()}
    long = View("ny_tabell", "Ansökningar om skyddat boende efter beslut och stadsdel: alla år", [], [])
    a = sheet_name(long, "sv", used)
    b = sheet_name(long, "sv", used)
    assert a == "Ansökningar om skyddat boende" and len(a) <= 31
    assert b == "Ansökningar om skyddat (2)" and len(b) <= 31
    assert sheet_name(View("x", "Fynd", [], []), "sv", used) == "Fynd (2)"  # never the fixed sheets' names


def test_headers_stand_alone_and_split_into_text_and_unit():
    assert full_headers(["Stadsdel", "Placeringar", "per 10 000 invånare", "Medel, avslutade", "… utan längsta",
                         "Personer", "per 10 000 invånare"]) == [
        "Stadsdel", "Placeringar", "Placeringar per 10 000 invånare", "Medel, avslutade",
        "Medel, avslutade, utan längsta", "Personer", "Personer per 10 000 invånare"]
    assert full_headers(["A", "B", "A"]) == ["A", "B", "A (2)"]
    assert split_header("Median, dygn (95 % KI)") == ("Median", "dygn, 95 % KI")
    assert split_header("per 10 000 invånare (95 % KI)") == ("per 10 000 invånare", "95 % KI")
    assert split_header("Obs./förv., ålder och kön (95 % KI)") == ("Obs./förv., ålder och kön", "95 % KI")
    assert split_header("Sannolikhet högre än förväntat, %") == ("Sannolikhet högre än förväntat", "%")
    assert split_header("Dygn") == ("Dygn", "")
    assert split_header("Rate (95 % KI)", "per 10 000") == ("Rate", "per 10 000, 95 % KI")
