"""The overview ("spine", as in Fingertips): every indicator × every district of one release.

Built from a `Release` only: each cell is a released cell (its value, interval and status), and its
comparison — higher, similar or lower than expected — is what the release itself says:

- a **finding** of the release (a comparison that passed the false discovery rate control, for the
  indicator the catalogue says feeds that kind of finding) gives higher or lower;
- an indicator that feeds findings, with a published value and no finding for the district, is
  "ingen säker skillnad" (no difference the release can vouch for: q ≥ 0,05, or not tested);
- the funnel flag (`sb_funnel`, −1/0/1) is a comparison cell of its own: lower/within/higher;
- any other indicator has no comparison, and a suppressed value has none either (it stays `..`).

Nothing here computes a statistic or reads the store.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..disclosure.keys import TOTAL
from ..indicators import catalogue
from ..indicators.base import QUESTIONS
from ..text import numbers

HIGHER, SIMILAR, LOWER = "higher", "similar", "lower"
COMPARISON_TEXT = {HIGHER: "högre än förväntat", SIMILAR: "ingen säker skillnad", LOWER: "lägre än förväntat"}
COMPARISON_SYMBOL = {HIGHER: "▲", SIMILAR: "●", LOWER: "▼"}
FLAG = {1.0: HIGHER, 0.0: SIMILAR, -1.0: LOWER}
FLAG_TABLES = ("sb_funnel",)  # comparison cells: the value is the flag
SKIP_DIMS = ("day",)  # tables only shown per region (the Kaplan–Meier curve)
SUPPORT_OF_FINDING = "applications"  # the support finding compares applications (findings/kinds.py)
# Where a comparison means something more particular than "expected": a trend rises or falls.
WORDS = {"trends": {HIGHER: "ökar", SIMILAR: "ingen säker trend", LOWER: "minskar"},
         "stays": {HIGHER: "längre än i resten av staden", SIMILAR: "ingen säker skillnad",
                   LOWER: "kortare än i resten av staden"}}
# Titles that need their context in a column of their own (in the report they follow the column before).
TITLES = {"los_mean_without_longest": "Medelvistelsetid för avslutade placeringar, utan den längsta",
          "los_mean_without_two_longest": "Medelvistelsetid för avslutade placeringar, utan de två längsta",
          "cases_missing_age_band": "Ärenden"}
LABELS = {"shis": "SHIS"}


@dataclass(frozen=True)
class Column:
    key: str  # the column's id in links: table, or table.value for a breakdown
    table: str
    coords: tuple[tuple[str, str], ...]  # the cell's coordinates besides the district
    title: str
    unit: str
    decimals: int
    question: str
    finding: str | None  # the finding kind the catalogue says this indicator feeds

    @property
    def indicator(self) -> str:
        return self.table

    def words(self, comparison: str | None) -> str:
        return WORDS.get(self.finding, COMPARISON_TEXT).get(comparison, "") if comparison else ""


@dataclass(frozen=True)
class Cell:
    value: float | None  # the released value; None unless published
    status: str  # "" published, ".." suppressed, "-" not reported, "." not applicable, "" with value None: not shown
    decimals: int = 0
    ci_low: float | None = None
    ci_high: float | None = None
    comparison: str | None = None  # higher / similar / lower, from the release; None: no comparison
    flag: bool = False  # the value is a comparison flag (shown as words, not as a number)

    @property
    def display(self) -> str:
        if self.status:
            return self.status
        if self.value is None:
            return ""
        if self.flag:
            return COMPARISON_TEXT.get(self.comparison, "")
        return numbers.num(self.value, self.decimals) if self.decimals else numbers.integer(self.value)

    @property
    def interval(self) -> str:
        if self.status or self.flag or self.ci_low is None or self.ci_high is None:
            return ""
        return numbers.ci(self.ci_low, self.ci_high, self.decimals)


@dataclass(frozen=True)
class Row:
    code: str  # district code, or TOTAL for the whole city
    name: str
    region: str


@dataclass
class Spine:
    year: int
    release_label: str
    columns: list[Column]
    rows: list[Row]
    cells: dict[tuple[str, str], Cell] = field(default_factory=dict)  # (row code, column key) → cell

    def cell(self, code: str, column: str) -> Cell:
        return self.cells.get((code, column), Cell(None, ""))

    def column(self, key: str) -> Column | None:
        return next((c for c in self.columns if c.key == key), None)

    @property
    def questions(self) -> list[str]:
        present = {c.question for c in self.columns}
        return [q for q in QUESTIONS if q in present]


def _keep(table, rest: dict, year: int) -> bool:
    """Which breakdowns of a table become columns: the release's own year of a trend, one year's
    detectability, the row total of a count table (its categories are on the section pages)."""
    if any(d in rest for d in SKIP_DIMS):
        return False
    if "year" in rest and rest["year"] != str(year):
        return False
    if "years" in rest and rest["years"] != "1":
        return False
    if "support" in rest and rest["support"] != SUPPORT_OF_FINDING:
        return False
    if table.kind == "count" and rest and table.name != "placements_by_type":
        return all(v == TOTAL for v in rest.values())
    return True


def _label(rest: dict, year: int) -> str:
    from ..text import has, t

    parts = [LABELS.get(v) or (t(f"ui.{v}", "sv") if has(f"ui.{v}", "sv") else v) for d, v in rest.items()
             if v != TOTAL and d not in ("year", "years", "support")]
    return ", ".join(p for p in parts if p)


def columns_of(rel) -> list[Column]:
    """The spine's columns, in catalogue order; identical cells (the same count in two tables) once."""
    pub = rel.publication
    order = {ind.id: i for i, ind in enumerate(catalogue())}
    feeds = {ind.id: ind.finding for ind in catalogue()}
    codes = set(rel.codes)
    out, seen = [], set()
    for name in sorted(pub.tables, key=lambda n: order.get(n, len(order))):
        tab = pub.tables[name]
        texts = tab.texts.get("sv", {})
        rests: dict[tuple, None] = {}
        for c in tab.cells:
            if c.key.get("district") not in codes:
                continue
            rest = tuple((d, c.key.get(d)) for d in tab.dims if d != "district")
            rests.setdefault(rest, None)
        for rest in rests:
            if not _keep(tab, dict(rest), rel.year):
                continue
            sample = next((c.key for c in tab.cells if c.key.get("district") in codes
                           and all(c.key.get(d) == v for d, v in rest)), None)
            ident = (tab.measure, sample.replace("district", "*") if sample is not None else rest)
            if tab.kind == "count" and ident in seen:
                continue
            seen.add(ident)
            label = _label(dict(rest), rel.year)
            title = TITLES.get(name) or texts.get("title", tab.title)
            if tab.kind == "count" and rest:  # the count itself (or one category of it), not its split
                title = title.split(", efter ")[0].split(" efter ")[0]
            shown = [v for d, v in rest if v != TOTAL and d not in ("year", "years", "support")]
            key = ".".join([name, *shown]) if shown else name
            out.append(Column(key, name, rest, f"{title}: {label}" if label else title, texts.get("unit", tab.unit),
                              tab.decimals, tab.question, feeds.get(name)))
    return out


def _findings_index(rel) -> dict[tuple, str]:
    """(indicator, district, target group or "") → direction, from the release's findings."""
    by_kind = {}
    for ind in catalogue():
        if ind.finding:
            by_kind.setdefault(ind.finding, []).append(ind.id)
    out = {}
    for f in rel.findings:
        ids = by_kind.get(f.kind, [])
        ind = f.extra.get("indicator") or (ids[0] if len(ids) == 1 else None)
        if ind is None:
            continue
        out[(ind, f.district, f.extra.get("target_group", ""))] = f.direction
    return out


def _comparison(col: Column, code: str, published: bool, value, found: dict) -> str | None:
    if not published:
        return None
    if col.table in FLAG_TABLES:
        return FLAG.get(value)
    if not col.finding:
        return None
    tg = dict(col.coords).get("target_group", "")
    if code == TOTAL:  # only a trend is tested for the whole city
        return found.get((col.table, code, tg), SIMILAR if col.finding == "trends" else None)
    return found.get((col.table, code, tg), SIMILAR)


def build(rel) -> Spine:
    """The spine of one release (or draft): its columns, the districts and the whole city, and every cell."""
    cols = columns_of(rel)
    regions = {d["code"]: d["region"] for d in rel.districts_list}
    rows = [Row(c, rel.name(c), regions.get(c, "")) for c in rel.codes] + [Row(TOTAL, rel.name(TOTAL), "")]
    found = _findings_index(rel)
    cells = {}
    for col in cols:
        tab = rel.publication.tables[col.table]
        for row in rows:
            c = tab.cell(district=row.code, **dict(col.coords))
            if c is None:
                continue
            cells[(row.code, col.key)] = Cell(
                c.value if c.published else None, c.status, col.decimals, c.ci_low if c.published else None,
                c.ci_high if c.published else None, _comparison(col, row.code, c.published, c.value, found),
                col.table in FLAG_TABLES)
    return Spine(rel.year, rel.label, cols, rows, cells)
