"""The dashboard that compares (issue 15, item 7): the overview of every indicator × district, the
indicator metadata pages, the district profile across releases, and the per-table downloads.

Every number is checked against the stored release it comes from (`likstall.load_release`), never
against the code that put it on the page."""

from __future__ import annotations

import io
from pathlib import Path
from html.parser import HTMLParser
from urllib.parse import quote

import pandas as pd
import pytest

from likstall.disclosure.keys import TOTAL
from likstall.indicators.metadata import catalogue_metadata
from likstall.release import load_release, make_release
from likstall.text import numbers
from likstall.web.app import create_app
from webkit import logged_in, make_template

# Two releases and every comparison page per role: the full run (CI), not the quick run.
pytestmark = pytest.mark.slow

PNR = "19121212-1212"


@pytest.fixture(scope="module")
def db(demo_store, tmp_path_factory):
    """The demo store with two releases (2020, then 2021) and one user per role."""
    path = make_template(demo_store, tmp_path_factory.mktemp("compare"))
    make_release(path, 2020)
    make_release(path, 2021)
    return path


@pytest.fixture(scope="module")
def reader(app):
    return logged_in(app, "lasare")


@pytest.fixture(scope="module")
def releases(db):
    return {y: load_release(db, y) for y in (2020, 2021)}


class Cells(HTMLParser):
    """(data-row, data-col) → the cell's visible text (without the symbol and the screen-reader words),
    and its class; plus the rows' order."""

    def __init__(self):
        super().__init__()
        self.cells, self.classes, self.rows = {}, {}, []
        self._row = self._col = None
        self._skip = 0
        self._text = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "tr" and "data-row" in a:
            self._row = a["data-row"]
            self.rows.append(self._row)
        elif tag == "td" and "data-col" in a and self._row is not None:
            self._col, self._text = a["data-col"], []
            self.classes[(self._row, self._col)] = a.get("class") or ""
        elif tag == "span" and self._col is not None:
            if self._skip or a.get("aria-hidden") == "true" or "vh" in (a.get("class") or "").split():
                self._skip += 1

    def handle_endtag(self, tag):
        if tag == "span" and self._skip:
            self._skip -= 1
        elif tag == "td" and self._col is not None:
            self.cells[(self._row, self._col)] = "".join(self._text).strip()
            self._col = None
        elif tag == "tr":
            self._row = None

    def handle_data(self, data):
        if self._col is not None and not self._skip:
            self._text.append(data)


def cells_of(html: str) -> Cells:
    p = Cells()
    p.feed(html)
    return p


def released_text(rel, key: str) -> dict:
    """What each district's cell of a spine column must say, from the release's own cell."""
    from likstall.web.spine import COMPARISON_TEXT, FLAG, columns_of

    col = next(c for c in columns_of(rel) if c.key == key)
    tab = rel.publication.tables[col.table]
    out = {}
    for code in [*rel.codes, TOTAL]:
        c = tab.cell(district=code, **dict(col.coords))
        if c is None:
            continue
        if not c.published:
            out[code] = c.status
        elif col.table == "sb_funnel":
            out[code] = COMPARISON_TEXT[FLAG[c.value]]
        else:
            out[code] = numbers.num(c.value, tab.decimals) if tab.decimals else numbers.integer(c.value)
    return out


def test_every_number_on_the_overview_is_a_released_cell(reader, releases):
    from likstall.web.spine import columns_of

    rel = releases[2021]
    r = reader.get("/jamfor?year=2021")
    assert r.status_code == 200
    page = cells_of(r.text)
    cols = columns_of(rel)
    assert len(cols) > 40 and {c.question for c in cols} >= {"overview", "placements", "stays", "shis"}
    checked = set()
    for col in cols:
        expected = released_text(rel, col.key)
        for code, text in expected.items():
            assert page.cells[(code, col.key)] == text, (col.key, code)
            checked.add((code, col.key))
    assert len(checked) > 700
    # Nothing else on the page: a cell the release does not have (the city's ratio …) is empty.
    assert all(text == "" for k, text in page.cells.items() if k not in checked)
    assert "DEMODATA" in r.text and rel.label in r.text


def test_the_comparisons_are_the_releases_own(reader, releases):
    rel = releases[2021]
    page = cells_of(reader.get("/jamfor?year=2021").text)
    higher_lower = [(c, cls) for c, cls in page.classes.items() if "cmp-higher" in cls or "cmp-lower" in cls]
    assert higher_lower
    # Each finding with an indicator on the overview marks its district's cell, in its direction.
    marked = 0
    for f in rel.findings:
        ind = f.extra.get("indicator") or {"placements": "sb_ratio_socio", "grant_rate": "sb_grant_rate",
                                          "stays": "los_rmst_difference", "shis": "shis_per_100_sb",
                                          "shis_pathway": "shis_share_rvt", "trends": "sb_trend_rr",
                                          "target_groups": "target_group_p_so_few",
                                          "support": "support_p_none"}[f.kind]
        key = f"{ind}.{f.extra['target_group']}" if "target_group" in f.extra else ind
        if (f.district, key) in page.classes:
            assert f"cmp-{f.direction}" in page.classes[(f.district, key)], (f.kind, f.district)
            marked += 1
    assert marked >= len([f for f in rel.findings if f.district in rel.codes]) - 1
    # The funnel flag is a comparison cell of its own.
    for code in rel.codes:
        c = rel.table("sb_funnel").cell(district=code)
        want = {1.0: "cmp-higher", 0.0: "cmp-similar", -1.0: "cmp-lower"}[c.value]
        assert want in page.classes[(code, "sb_funnel")]
    # Every higher/lower on the page is a finding's or a funnel flag's.
    sources = {(f.district, f.direction) for f in rel.findings}
    sources |= {(code, "higher" if rel.table("sb_funnel").cell(district=code).value > 0 else "lower")
                for code in rel.codes if rel.table("sb_funnel").cell(district=code).value != 0}
    for (code, key), cls in higher_lower:
        assert (code, "higher" if "cmp-higher" in cls else "lower") in sources, (code, key)


def suppressed_in_both(releases, table: str):
    a, b = releases[2020].table(table), releases[2021].table(table)
    for code in releases[2021].codes:
        ca, cb = a.cell(district=code), b.cell(district=code)
        if cb is not None and not cb.published and ca is not None and ca.published:
            return code
    return None


def test_a_suppressed_cell_stays_suppressed_and_so_does_its_change(reader, releases):
    rel = releases[2021]
    found = None
    for name, tab in rel.publication.tables.items():
        if tab.dims == ("district",) and name != "sb_funnel":
            code = suppressed_in_both(releases, name)
            if code:
                found = (name, code)
                break
    assert found, "the demo releases have a cell published in 2020 and suppressed in 2021"
    name, code = found
    overview = cells_of(reader.get("/jamfor?year=2021").text)
    assert overview.cells[(code, name)] == ".."
    assert "cmp-" not in overview.classes[(code, name)]  # no comparison for a value not published
    profile = cells_of(reader.get(f"/stadsdel/{code}?year=2021").text)
    assert profile.cells[(name, "2021")] == ".."
    assert profile.cells[(name, "change")] == ".."
    prev = releases[2020].table(name).cell(district=code)
    dec = releases[2020].table(name).decimals
    assert profile.cells[(name, "2020")] == (numbers.num(prev.value, dec) if dec else numbers.integer(prev.value))


def test_the_change_is_the_difference_of_two_published_cells(reader, releases):
    for name in ("rate_sb", "rate_victims", "persons_placed"):
        page = cells_of(reader.get("/stadsdel/farsta?year=2021").text)
        new, old = (releases[y].table(name).cell(district="farsta") for y in (2021, 2020))
        assert new.published and old.published
        dec = releases[2021].table(name).decimals
        diff = new.value - old.value
        text = page.cells[(name, "change")]
        body = text.split(" ")[0]
        magnitude = numbers.num(abs(diff), dec) if dec else numbers.integer(abs(diff))
        assert body.lstrip("+\u2212") == magnitude, (name, text)
        assert body[0] == ("+" if diff > 0 else "\u2212") or round(diff, dec) == 0
        assert page.cells[(name, "2021")] == (numbers.num(new.value, dec) if dec else numbers.integer(new.value))
        assert page.cells[(name, "2020")] == (numbers.num(old.value, dec) if dec else numbers.integer(old.value))


def test_sorting_and_filtering(reader, releases):
    rel = releases[2021]
    page = cells_of(reader.get("/jamfor?year=2021&sortera=rate_sb&ordning=fallande").text)
    rows = list(dict.fromkeys(page.rows))
    assert rows[-1] == TOTAL
    values = [rel.table("rate_sb").cell(district=c).value for c in rows[:-1]]
    assert values == sorted(values, reverse=True)
    up = list(dict.fromkeys(cells_of(reader.get("/jamfor?year=2021&sortera=rate_sb").text).rows))
    up_values = [rel.table("rate_sb").cell(district=c).value for c in up[:-1]]
    assert up_values == sorted(values) and set(up) == set(rows)
    # Suppressed cells last, in both directions.
    tab = rel.table("sb_grant_rate")
    hidden = {c for c in rel.codes if not tab.cell(district=c).published}
    assert hidden
    for order in ("stigande", "fallande"):
        got = list(dict.fromkeys(cells_of(reader.get(f"/jamfor?sortera=sb_grant_rate&ordning={order}").text).rows))
        assert set(got[-1 - len(hidden):-1]) == hidden
    # By name, and one region only.
    names = list(dict.fromkeys(cells_of(reader.get("/jamfor?sortera=stadsdel").text).rows))[:-1]
    assert [rel.name(c) for c in names] == sorted((rel.name(c) for c in rel.codes), key=str.casefold)
    region = rel.regions[0]
    only = set(cells_of(reader.get(f"/jamfor?region={quote(region)}").text).rows) - {TOTAL}
    assert only == {d["code"] for d in rel.districts_list if d["region"] == region}
    # One question: only its indicators.
    cols = {k for _, k in cells_of(reader.get("/jamfor?fraga=stays").text).cells}
    assert cols and all(k.startswith("los_") for k in cols)
    # Plain links: the page links every sort, every question and every region (no script needed).
    html = reader.get("/jamfor").text
    assert "sortera=rate_sb&amp;ordning=fallande" in html and "fraga=stays" in html and "<script" not in html


@pytest.mark.parametrize("query", [f"fraga={PNR}", f"region={PNR}", f"sortera={PNR}", f"ordning={PNR}",
                                   "fraga=%3Cscript%3Ealert(1)%3C%2Fscript%3E", "year=abc", f"year={PNR}"])
def test_bad_parameters_give_a_clean_4xx_without_the_input(reader, query):
    r = reader.get(f"/jamfor?{query}")
    assert 400 <= r.status_code < 500
    assert PNR not in r.text and "19121212" not in r.text and "<script>alert" not in r.text
    assert "Traceback" not in r.text


def test_unknown_indicator_and_table_are_404_without_the_input(reader):
    for path in (f"/indikator/{PNR}", f"/rapporter/2021/tabell/{PNR}.csv", "/rapporter/2021/tabell/oversikt.pdf",
                 f"/rapporter/2021/tabell/x{PNR.replace('-', '')}.xlsx"):
        r = reader.get(path)
        assert r.status_code == 404, path
        assert "19121212" not in r.text


def test_roles_and_unpublished_years(app, releases):
    for role in ("lasare", "stadsdel", "analytiker", "admin"):
        c = logged_in(app, role)
        for path in ("/jamfor?year=2021", "/jamfor?year=2020", "/indikator/rate_sb", "/indikatorer",
                     "/rapporter/2021/tabell/oversikt.csv"):
            assert c.get(path).status_code == 200, (role, path)
        r = c.get("/jamfor?year=2019")  # data, no release
        assert r.status_code == 404 and "inte publicerat" in r.text
        assert c.get("/rapporter/2019/tabell/oversikt.csv").status_code == 404
        assert c.get("/jamfor?utkast=1").status_code == (200 if role in ("analytiker", "admin") else 403)
    c = logged_in(app, "lasare")
    assert "UTKAST" not in c.get("/jamfor").text


def test_the_indicator_page_says_what_the_catalogue_and_the_release_say(reader, releases):
    rel = releases[2021]
    for entry in catalogue_metadata("sv"):
        if entry["id"] not in ("rate_sb", "sb_grant_rate", "victims_by_sex", "los_median"):
            continue
        r = reader.get(f"/indikator/{entry['id']}?year=2021")
        assert r.status_code == 200
        for field in ("title", "numerator", "denominator", "unit", "method"):
            if entry[field]:
                assert entry[field].replace("&", "&amp;") in r.text, (entry["id"], field)
        assert "uttag 2022-01-31" in r.text and rel.label in r.text and str(rel.created)[:10] in r.text
        assert f"tröskel {rel.publication.policy.threshold}" in r.text
        assert "Röjandekontroll" in r.text
    listing = reader.get("/indikatorer").text
    assert all(f"/indikator/{e['id']}?" in listing for e in catalogue_metadata("sv"))


def test_per_table_csv_reads_back_as_numbers_with_its_provenance(reader, releases):
    from likstall.render.views import all_views

    rel = releases[2021]
    view = next(v for v in all_views(rel) if v.name == "oversikt")
    r = reader.get("/rapporter/2021/tabell/oversikt.csv")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert "oversikt-2021.csv" in r.headers["content-disposition"]
    lines = r.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("DEMODATA")
    assert lines[1].startswith("Källa:") and "uttag 2022-01-31" in lines[1] and rel.label in lines[1]
    assert "likstall" in lines[1] and f"tröskel {rel.publication.policy.threshold}" in lines[1]
    df = pd.read_csv(io.BytesIO(r.content), sep=";", decimal=",", skiprows=2, encoding="utf-8-sig")
    assert list(df.iloc[:, 0]) == [row[0].display for row in view.rows]
    rates = df["Kända våldsutsatta per 10 000 invånare (95 % KI)"]
    assert pd.api.types.is_float_dtype(rates)
    for got, code in zip(rates, view.row_keys):
        c = rel.table("rate_victims").cell(district=code)
        assert (pd.isna(got) and not c.published) or got == pytest.approx(round(c.value, 1))
    assert pd.api.types.is_integer_dtype(df["Kända våldsutsatta"]) or pd.api.types.is_float_dtype(df["Kända våldsutsatta"])
    # A release never changes: the same bytes every time (and from a freshly started server).
    assert reader.get("/rapporter/2021/tabell/oversikt.csv").content == r.content


def test_a_suppressed_cell_in_a_table_file_is_only_a_status(reader, releases):
    rel = releases[2021]
    r = reader.get("/rapporter/2021/tabell/likstallighet.csv")
    df = pd.read_csv(io.BytesIO(r.content), sep=";", decimal=",", skiprows=2, encoding="utf-8-sig")
    col = next(c for c in df.columns if c.startswith("Andel beviljade") and "," not in c.split(")")[-1])
    status = df[f"{col}, status"]
    for got, st, code in zip(df[col], status, rel.codes):
        c = rel.table("sb_grant_rate").cell(district=code)
        if c.published:
            assert got == pytest.approx(round(c.value, 1)) and pd.isna(st)
        else:
            assert pd.isna(got) and st == ".."


def test_per_table_excel_has_numbers_and_provenance_and_is_the_same_bytes(db, reader, releases, tmp_path):
    import shutil

    from openpyxl import load_workbook

    rel = releases[2021]
    r = reader.get("/rapporter/2021/tabell/oversikt.xlsx")
    assert r.status_code == 200 and r.content.startswith(b"PK")
    wb = load_workbook(io.BytesIO(r.content))
    ws = wb.worksheets[0]
    assert "DEMODATA" in ws["A1"].value and ws.freeze_panes == "B3" and ws.auto_filter.ref
    headers = [c.value for c in ws[2]]
    col = headers.index("Kända våldsutsatta") + 1
    values = [ws.cell(row=r_, column=col).value for r_ in range(3, 3 + len(rel.codes) + 1)]
    assert all(isinstance(v, (int, float)) or v is None for v in values) and any(isinstance(v, int) for v in values)
    for v, code in zip(values, [*rel.codes, TOTAL]):
        c = rel.table("victims_by_sex").cell(district=code, sex=TOTAL)
        assert (v is None and not c.published) or v == c.value
    about = wb["Om tabellen"]
    texts = [c.value for c in about["A"] if c.value]
    assert any(t.startswith("Källa:") and rel.label in t for t in texts) and any("DEMODATA" in t for t in texts)
    assert reader.get("/rapporter/2021/tabell/oversikt.xlsx").content == r.content
    # Another server (over a copy of the store: a server empties its store's report folder at start)
    # writes the same bytes.
    shutil.copy(db, tmp_path / "copy.duckdb")
    other = logged_in(create_app(tmp_path / "copy.duckdb", login_delay=0), "lasare")
    assert other.get("/rapporter/2021/tabell/oversikt.xlsx").content == r.content
    assert other.get("/rapporter/2021/tabell/oversikt.csv").content == reader.get("/rapporter/2021/tabell/oversikt.csv").content


def test_every_page_table_links_its_download(reader, releases):
    from likstall.render.views import all_views

    html = reader.get("/rapporter").text
    for v in all_views(releases[2021]):
        assert f"/rapporter/2021/tabell/{v.name}.csv" in html and f"/rapporter/2021/tabell/{v.name}.xlsx" in html
        assert reader.get(f"/rapporter/2021/tabell/{v.name}.csv").status_code == 200
    assert "/rapporter/2021/tabell/likstallighet.xlsx" in reader.get("/placeringar").text


def test_one_years_files_do_not_remove_another_years(app, reader):
    """Report files are kept per (release, year): building 2021's table leaves 2020's on disk (it may be
    being sent right now); only a newer release of the same year makes older files garbage."""
    st = app.state.likstall
    a = reader.get("/rapporter/2020/tabell/oversikt.csv")
    b = reader.get("/rapporter/2021/tabell/oversikt.csv")
    assert a.status_code == b.status_code == 200 and a.content != b.content
    folders = {p.name for p in st.reports.root.iterdir()}
    rid20, rid21 = st.release_key(2020)[1], st.release_key(2021)[1]
    assert {f"release-{rid20}-2020", f"release-{rid21}-2021"} <= folders
    assert reader.get("/rapporter/2020/tabell/oversikt.csv").content == a.content


def test_a_suppressed_comparison_flag_shows_its_status_not_an_empty_cell():
    # The funnel flag is shown as words; a suppressed one must still read "..", as every suppressed cell does
    # (an empty cell means the release does not have it).
    from types import SimpleNamespace

    from likstall.web.render import templates
    from likstall.web.spine import Cell

    column = SimpleNamespace(key="sb_funnel", table="sb_funnel", title="Tratt", unit="", words=lambda c: "högre" if c else "")
    cells = [Cell(value=None, status="..", flag=True), Cell(value=1.0, status="", flag=True, comparison="higher")]
    change = SimpleNamespace(status="..", display="..", unit="")
    history = SimpleNamespace(labels=["a", "b"], previous=2020, years=[2020, 2021], symbols={"higher": "▲"},
                              groups=[("q", "Fråga", [SimpleNamespace(column=column, cells=cells, change=change)])])
    html = templates.get_template("_history.html").render(history=history, year=2021, title="T")
    page = cells_of(f"<table>{html}</table>")
    assert page.cells[("sb_funnel", "2020")] == ".."
    assert "högre" in page.cells[("sb_funnel", "2021")]
    source = (Path(templates.env.loader.searchpath[0]) / "compare.html").read_text(encoding="utf-8")
    assert "{% if cell.flag and not cell.status %}" in source  # the overview renders the same cell the same way
