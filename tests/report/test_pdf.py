"""The PDF that prints: rows never split, wide tables on landscape pages, captions with their tables, short
headers with units below, and a tagged PDF/UA file with language and title (read back with pypdf)."""

from __future__ import annotations

import dataclasses
import html as htmllib
import re

import pytest
from pypdf import PdfReader
from weasyprint import HTML

from likstall.render.report import sections, write_report
from likstall.render.views import all_views
from likstall.render.workbook import split_header

TITLE = "Uppföljning av likställighet i stödet till våldsutsatta 2021"


@pytest.fixture(scope="module")
def html(demo_out):
    return (demo_out / "uppfoljning-2021.html").read_text(encoding="utf-8")


def walk(box, ancestors=()):
    yield box, ancestors
    for child in getattr(box, "children", None) or ():
        yield from walk(child, (*ancestors, box))


def text_of(box) -> str:
    return "".join(b.text for b, _ in walk(box) if hasattr(b, "text"))


@pytest.fixture(scope="module")
def pages(html):
    """Per page: its orientation and the boxes laid out on it (WeasyPrint's own layout of the report)."""
    doc = HTML(string=html).render()
    out = []
    for p in doc.pages:
        boxes = list(walk(p._page_box))
        out.append({"landscape": p.width > p.height, "width": p.width, "page_box": p._page_box, "boxes": boxes})
    return out


def element_pages(pages, tag: str, *, in_thead: bool = False) -> dict:
    """element → the pages (0-based) on which a box of it is laid out."""
    found: dict = {}
    for i, p in enumerate(pages):
        for box, anc in p["boxes"]:
            if getattr(box, "element_tag", None) == tag and box.element is not None:
                if any(getattr(a, "element_tag", None) == "thead" for a in anc) != in_thead:
                    continue
                found.setdefault(box.element, set()).add(i)
    return found


def test_no_table_row_is_split_across_pages(pages):
    rows = element_pages(pages, "tr")
    assert len(rows) > 150
    split = [htmllib.unescape("".join(e.itertext()))[:40] for e, on in rows.items() if len(on) > 1]
    assert not split


def test_wide_tables_are_on_landscape_pages_and_no_table_runs_off_the_page(pages):
    wide, narrow = 0, 0
    for i, p in enumerate(pages):
        pb = p["page_box"]
        right_edge = p["width"] - pb.margin_right - pb.padding_right
        for box, anc in p["boxes"]:
            if getattr(box, "element_tag", None) == "table" and type(box).__name__ == "TableBox":
                assert box.position_x + box.margin_width() <= right_edge + 0.5, (i + 1, text_of(box)[:40])
                holder = next(a for a in reversed(anc) if getattr(a, "element_tag", None) == "div")
                if "wide" in holder.element.get("class", "").split() or any(
                        getattr(a, "element_tag", None) == "section" and "wide" in a.element.get("class", "")
                        for a in anc):
                    assert p["landscape"], (i + 1, text_of(box)[:40])
                    wide += 1
                else:
                    assert not p["landscape"], (i + 1, text_of(box)[:40])
                    narrow += 1
    assert wide >= 4 and narrow >= 6  # the overview, equality, lengths, target groups … go landscape


def test_captions_and_notes_stay_with_their_tables(pages, demo_fu):
    captions = element_pages(pages, "caption")
    assert len(captions) == len(all_views(demo_fu))
    tables = {}  # table element → the pages of its body rows, in order
    for i, p in enumerate(pages):
        for box, anc in p["boxes"]:
            if getattr(box, "element_tag", None) == "tr" and not any(
                    getattr(a, "element_tag", None) == "thead" for a in anc):
                table = next(a.element for a in reversed(anc) if getattr(a, "element_tag", None) == "table")
                tables.setdefault(table, []).append(i)
    for table, on in tables.items():
        caption = table.find("caption")
        assert captions[caption] == {on[0]}, "".join(caption.itertext())  # caption on the page of the first row
    notes = element_pages(pages, "p")
    for table, on in tables.items():
        div = next(d for d in (b.element for p in pages for b, _ in p["boxes"]
                               if getattr(b, "element_tag", None) == "div") if table in list(d))
        note = div.find("p")
        if note is not None:
            assert notes[note] == {on[-1]}, "".join(note.itertext())[:40]  # the note under the last row


def test_headers_are_short_with_the_unit_on_a_line_below(pages, html, demo_fu):
    lines = []
    for p in pages:
        for box, anc in p["boxes"]:
            if getattr(box, "element_tag", None) == "th" and type(box).__name__ == "TableCellBox" and any(
                    getattr(a, "element_tag", None) == "thead" for a in anc):
                lines.append(sum(1 for b, _ in walk(box) if type(b).__name__ == "LineBox"))
    assert lines and max(lines) <= 4  # was 5–7 lines
    # The template splits headers exactly as workbook.split_header does (the Excel definitions use that).
    cells = re.findall(r'<th scope="col">(.*?)</th>', html)
    headers = [h for v in all_views(demo_fu) for h in v.headers]
    assert len(cells) == len(headers)
    for h, cell in zip(headers, cells):
        short, unit = split_header(h)
        m = re.fullmatch(r'(.*?)(?:<span class="unit">(.*)</span>)?', cell)
        assert (htmllib.unescape(m.group(1)), htmllib.unescape(m.group(2) or "")) == (short, unit), h
    assert '<th scope="col">Median<span class="unit">dygn, 95 % KI</span></th>' in html


def structure(reader: PdfReader):
    """Every structure element of the PDF as (type, element)."""
    out = []

    def visit(node):
        node = node.get_object()
        if isinstance(node, dict) or hasattr(node, "keys"):
            if "/S" in node:
                out.append((str(node["/S"]), node))
            kids = node.get("/K")
            if kids is not None:
                for k in (kids if isinstance(kids, list) else [kids]):
                    if hasattr(k, "get_object") and not isinstance(k.get_object(), int):
                        visit(k)

    visit(reader.trailer["/Root"]["/StructTreeRoot"])
    return out


def test_the_pdf_is_tagged_pdf_ua_with_language_and_title(demo_out, demo_fu):
    reader = PdfReader(demo_out / "uppfoljning-2021.pdf")
    root = reader.trailer["/Root"]
    assert root["/MarkInfo"]["/Marked"] == True  # noqa: E712 (a pypdf BooleanObject)
    assert root["/Lang"] == "sv"
    assert root["/ViewerPreferences"]["/DisplayDocTitle"] == True  # noqa: E712
    assert reader.metadata.title == TITLE
    xmp = root["/Metadata"].get_object().get_data().decode("utf-8")
    assert "pdfuaid" in xmp and re.search(r"pdfuaid:part[^0-9]*1", xmp)
    elements = structure(reader)
    kinds = [k for k, _ in elements]
    assert kinds.count("/H1") == 1 and kinds.count("/H2") == len(sections(demo_fu, {v.name: v for v in all_views(demo_fu)}))
    assert kinds.count("/Caption") >= 16  # table captions (and figure captions)
    assert kinds.count("/Table") >= 16 and kinds.count("/TH") > 150 and kinds.count("/TD") > 1000
    figures = [e for k, e in elements if k == "/Figure"]
    assert len(figures) == 4
    alts = [str(f["/Alt"]) for f in figures]
    assert alts[0].startswith("Placeringar i skyddat boende per 10 000 invånare: Bromma 3,0")
    assert all(len(a) > 40 for a in alts)
    cells = [e for k, e in elements if k == "/TD"]
    assert all("/Headers" in c["/A"] and len(c["/A"]["/Headers"]) >= 1 for c in cells)  # each value knows its headers


def test_the_english_pdf_says_it_is_english(demo_fu, tmp_path):
    fu = demo_fu.in_language("en")
    write_report(fu, tmp_path, ["pdf"])
    reader = PdfReader(tmp_path / "uppfoljning-2021-en.pdf")
    assert reader.trailer["/Root"]["/Lang"] == "en"
    assert reader.metadata.title == "Follow-up of equal support for victims of violence 2021"
