"""The yearly report: every number traces to a gated cell, the seed's patterns show, formats are safe."""

from __future__ import annotations

import csv
import re
import shutil

import pytest
from openpyxl import load_workbook

from likstall.disclosure.keys import TOTAL
from likstall.rapport import make_report
from likstall.release import make_release
from likstall.render.report import render_html
from likstall.render.views import all_views


@pytest.fixture(scope="module")
def store(demo_store, tmp_path_factory):
    db = tmp_path_factory.mktemp("rep") / "demo.duckdb"
    shutil.copy(demo_store, db)
    return db


@pytest.fixture(scope="module")
def fu(store):
    return make_release(store, 2021)[0]


@pytest.fixture(scope="module")
def report(store, fu, tmp_path_factory):  # fu: the report is made from the year's release
    out = tmp_path_factory.mktemp("out")
    return make_report(store, 2021, out), out


def test_every_view_number_is_a_published_cell(fu):
    pub = fu.publication
    published = {(t.name, c.key): c for t in pub.tables.values() for c in t.cells}
    for view in all_views(fu):
        for row in view.rows:
            for c in row[1:]:
                if c.status:
                    assert c.value is None and c.display == c.status
    # Every suppressed count shows as ".." wherever the overview uses it.
    over = next(v for v in all_views(fu) if v.name == "oversikt")
    for a, row in zip([*fu.codes, TOTAL], over.rows):
        cell = pub.tables["placements_by_type"].cell(district=a, placement_type="skyddat_boende")
        assert (row[4].display == "..") == (not cell.published)
        if cell.published:
            assert row[4].value == cell.value
    assert published  # the publication is not empty


def test_html_numbers_come_from_the_views(fu):
    html = render_html(fu)
    views = all_views(fu)
    allowed = {c.display for v in views for row in v.rows for c in row}
    cells = re.findall(r"<td[^>]*>([^<]*)</td>", html)
    assert cells
    for text in cells:
        assert text in allowed, text
    assert 'lang="sv"' in html and "<script" not in html and "http://" not in html.replace("http://www.w3.org", "")


def test_tables_csv_matches_the_publication_and_findings_use_published_cells(report, fu):
    r, out = report
    rows = list(csv.DictReader(line for line in open(out / "tables.csv", encoding="utf-8") if line[:2] != "# "))
    assert {row["table"] for row in rows} >= {"victims_by_sex", "rate_sb", "los_median", "sb_trend_rate"}
    pub = fu.publication
    for row in rows:
        if row["status"] == "..":
            assert row["value"] == ""
    findings = list(csv.DictReader(line for line in open(out / "findings.csv", encoding="utf-8") if line[:2] != "# "))
    assert tuple(findings[0]) == ("district", "indicator", "direction", "estimate", "ci_low", "ci_high", "q_value",
                                  "text_sv")
    assert [f["text_sv"] for f in findings] == [f.text_sv for f in fu.findings]
    for f, finding in zip(findings, fu.findings):
        # Every count a finding rests on is published.
        from likstall.disclosure.keys import CellKey

        assert all(pub.is_published(CellKey.from_json(k)) for k in finding.extra["cells"])
        assert f["direction"] in ("higher", "lower") and float(f["q_value"]) < 0.05


def test_the_seed_patterns_show(fu):
    pub = fu.publication
    rate = {c.key.get("district"): c.value for c in pub.tables["rate_sb"].cells if c.published}
    low_income = ["rinkeby_kista", "spanga_tensta", "skarholmen", "farsta", "hasselby_vallingby", "enskede_arsta_vantor"]
    inner = ["kungsholmen", "norrmalm", "ostermalm", "sodermalm", "hagersten_alvsjo"]
    assert min(rate[c] for c in low_income if c in rate) > max(rate[c] for c in inner if c in rate)
    # The socio-economic model explains the gradient: income has a clearly negative coefficient.
    assert fu.stats["model"]["ci"]["median_income"]["upper"] < 0
    # Long stays in small districts: the closed mean far above the mean without the two longest.
    means = {c.key.get("district"): c.value for c in pub.tables["los_mean_closed"].cells if c.published}
    wo2 = {c.key.get("district"): c.value for c in pub.tables["los_mean_without_two_longest"].cells if c.published}
    assert max(means.values()) >= 55
    top = max(means, key=means.get)
    assert top in ("ostermalm", "kungsholmen") and wo2[top] < 0.6 * means[top]
    # SHIS used by a few; a district without sex mot ersättning though expected.
    shis = [c for c in pub.tables["placements_by_type"].cells
            if c.key.get("placement_type") == "shis" and c.key.get("district") != TOTAL and (c.value or c.status)]
    assert 3 <= len(shis) <= 6
    # The districts without any known case of sex mot ersättning: each has an expected count beside it.
    obs = pub.tables["victims_by_target_group"]
    none = [c for c in fu.codes if (x := obs.cell(district=c, target_group="sex_mot_ersattning")) is not None
            and x.published and x.value == 0]
    assert len(none) >= 2
    for c in none:
        assert pub.tables["target_group_expected"].cell(district=c, target_group="sex_mot_ersattning").value > 1
    # Emergency flats go with shorter stays.
    assert fu.stats["flats"]["hr"] > 1 and fu.stats["flats"]["p"] < 0.05


def test_report_files_are_written_and_safe(report):
    r, out = report
    assert set(r["written"]) == {"html", "pdf", "xlsx", "csv"}
    assert (out / "uppfoljning-2021.pdf").read_bytes()[:4] == b"%PDF"
    wb = load_workbook(out / "uppfoljning-2021.xlsx")
    assert wb.sheetnames[:3] == ["Innehåll", "Definitioner", "Fynd"] and len(wb.sheetnames) > 10
    found_suppressed = False
    for ws in wb.worksheets:
        for row in ws.iter_rows(values_only=True):
            for v in row:
                if isinstance(v, str):
                    assert not v.startswith(("=", "+", "-", "@")) or v in ("-",), v
                    found_suppressed |= v == ".."
    assert found_suppressed
    per_table = out / "tabeller" / "oversikt.csv"
    raw = per_table.read_bytes()
    lines = raw.decode("utf-8-sig").splitlines()
    head = next(i for i, line in enumerate(lines) if ";" in line)  # under the provenance lines
    assert raw.startswith(b"\xef\xbb\xbf") and lines[0].startswith("DEMODATA") and head >= 2
    assert "," in lines[head + 1]  # decimal comma
    assert not list(out.glob(".*.tmp"))


def test_the_public_api_reads_the_same_release(store, fu):
    import likstall

    again = likstall.load_release(store, 2021)
    assert again.content == fu.content
    assert [f.text_sv for f in again.findings] == [f.text_sv for f in fu.findings]
    # Making the release again with the same data and history gives the same release, not a new one.
    same, new = likstall.make_release(store, 2021)
    assert not new and same.release_id == fu.release_id


def test_english_report(store, fu, tmp_path):
    r = make_report(store, 2021, tmp_path, formats=["html"], lang="en")
    html = (tmp_path / "uppfoljning-2021-en.html").read_text(encoding="utf-8")
    assert 'lang="en"' in html and "Overview by district" in html and "Whole city" in html
