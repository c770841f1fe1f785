"""Every output says what it is: the provenance line (source, extract date, release, version, threshold)
and, for the demo's synthetic data, DEMODATA — on every page, sheet and file (issue 15, item 4)."""

from __future__ import annotations

import pandas as pd
from openpyxl import load_workbook
from pypdf import PdfReader

from likstall.render.report import provenance_line, provenance_lines
from likstall.render.tables_csv import write_tables_csv

DEMO = "DEMODATA — syntetiska uppgifter"


def test_the_provenance_line_names_the_release_the_extract_and_the_threshold(demo_fu):
    line = provenance_line(demo_fu)
    assert line.startswith("Källa: socialtjänstens verksamhetssystem, uttag ")
    assert demo_fu.provenance["extract_date"] in line and demo_fu.label in line
    assert "likstall " in line and "antal 1–4 undertrycks (tröskel 5)" in line
    assert provenance_lines(demo_fu) == (DEMO, line)  # the demo generator's export is marked synthetic


def test_every_csv_starts_with_the_provenance(demo_fu, demo_out):
    lines = provenance_lines(demo_fu)
    for name in ("tables.csv", "findings.csv"):
        text = (demo_out / name).read_text(encoding="utf-8").splitlines()
        assert text[:2] == [f"# {line}" for line in lines], name
        df = pd.read_csv(demo_out / name, comment="#")  # the machine-readable file reads as before
        assert len(df) > 0 and not df.columns[0].startswith("#"), name
    per_table = sorted((demo_out / "tabeller").glob("*.csv"))
    assert len(per_table) > 10
    for path in per_table:
        text = path.read_text(encoding="utf-8-sig").splitlines()
        assert text[:2] == list(lines), path.name


def test_a_store_of_real_data_gets_the_provenance_but_no_demo_mark(demo_fu, tmp_path):
    real = ("Källa: socialtjänstens verksamhetssystem, uttag 2022-01-31. Release 2021-1.",)
    write_tables_csv(demo_fu.publication, tmp_path / "t.csv", real)
    text = (tmp_path / "t.csv").read_text(encoding="utf-8")
    assert text.startswith("# Källa:") and "DEMODATA" not in text
    write_tables_csv(demo_fu.publication, tmp_path / "bare.csv")
    assert (tmp_path / "bare.csv").read_text(encoding="utf-8").startswith("table,measure,")


def test_every_sheet_of_the_workbook_is_marked_and_the_contents_sheet_has_the_provenance(demo_fu, demo_out):
    book = load_workbook(demo_out / "uppfoljning-2021.xlsx")
    contents = book.worksheets[0]
    assert [contents["A2"].value, contents["A3"].value] == list(provenance_lines(demo_fu))
    for ws in book.worksheets[1:]:
        assert ws["A1"].value.endswith(f" — {DEMO}"), ws.title


def test_the_html_and_every_pdf_page_carry_the_mark_and_the_provenance(demo_fu, demo_out):
    html = (demo_out / "uppfoljning-2021.html").read_text(encoding="utf-8")
    assert DEMO in html and provenance_line(demo_fu).split(".")[0] in html
    pages = PdfReader(demo_out / "uppfoljning-2021.pdf").pages
    assert len(pages) > 3
    for i, page in enumerate(pages, start=1):
        assert "DEMODATA" in page.extract_text(), f"page {i} has no DEMODATA mark"
