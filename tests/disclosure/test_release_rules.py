"""Known answers for the publication rules of DISCLOSURE.md §4: aliases, the small-total rule, the
fallback ladder, a small city total, and the history of moving seven-year windows."""

from __future__ import annotations

import math

import numpy as np
from scipy.optimize import linprog

from likstall.disclosure.cells import TOTAL, CellKey, CountTable, Registry
from likstall.disclosure.keys import HIDDEN, OMITTED, PUBLISHED
from likstall.disclosure.ladder import HISTORY_PREFIX, protect_publication
from likstall.disclosure.policy import Policy

from tables import table2d


def _table(rows, cols, data, name="t", row_total=True):
    t = table2d(name, "p", rows, cols, data)
    return CountTable(t.name, t.measure, t.unit, t.dims, t.cells, varying="group", row_total=TOTAL if row_total else None)


def k(d, g, year="2021"):
    return CellKey.of("p", district=d, group=g, year=year)


BIG = [[20, 14, 9, 7], [16, 12, 11, 8], [25, 9, 13, 10], [18, 11, 7, 12]]


def test_a_total_that_is_its_one_part_needs_no_extra_cells():
    # Row a: 3 = 3 + 0 + 0 + 0. With zeros visible the part and the total are the same three persons
    # (an alias): no insider or pair rule may ask for more than the row's own protection.
    reg = Registry()
    reg.add_table(_table(["a", "b", "c", "d", "e"], ["w", "x", "y", "z"], [[3, 0, 0, 0], *BIG]))
    prot = protect_publication(reg, Policy())
    assert prot.passed and not prot.steps
    # The small-total rule hides a's breakdown; only its total is primary, and a single complement
    # protects it in the column of totals — as for any lone small cell.
    assert "a" in prot.displays["t"].small_rows
    assert prot.status[k("a", TOTAL)] == "primary"
    assert all(prot.status[k("a", g)] == OMITTED for g in "wxyz")
    # A second table where the three are spread over two groups needs at least as many cells hidden.
    reg2 = Registry()
    reg2.add_table(_table(["a", "b", "c", "d", "e"], ["w", "x", "y", "z"], [[2, 1, 0, 0], *BIG]))
    prot2 = protect_publication(reg2, Policy())
    assert prot2.passed
    assert len(prot.suppressed) <= len(prot2.suppressed)


def test_two_ones_and_zeros_lose_their_breakdown_with_a_note():
    # Row a: 2 = 1 + 1 + 0 + 0 — naive suppression (hide the two ones and the total) leaves C7/C8/C10.
    reg = Registry()
    reg.add_table(_table(["a", "b", "c", "d", "e"], ["w", "x", "y", "z"], [[1, 1, 0, 0], *BIG]))
    prot = protect_publication(reg, Policy())
    assert prot.passed
    assert prot.displays["t"].small_rows == {"a"}
    assert all(prot.status[k("a", g)] == OMITTED for g in "wxyz")  # not even its zeros are shown
    assert prot.status[k("a", TOTAL)] in HIDDEN


def test_a_city_total_of_one_to_four_gives_a_note_not_a_refusal():
    reg = Registry()
    reg.add_table(_table(["a", "b", "c"], ["x", "y"], [[1, 0], [0, 1], [1, 0]]))
    prot = protect_publication(reg, Policy())
    assert prot.passed  # privacy criteria met
    assert prot.status[k(TOTAL, TOTAL)] == "primary"  # 3 is never published
    assert any("stadstotal" in n for n in prot.audit.notes)


def _union_bounds(cells: dict, published: dict, hidden: list, equations: list, target):
    """An attacker of its own: LP over the cells of both releases (not the gate's code)."""
    keys = sorted(cells)
    idx = {c: i for i, c in enumerate(keys)}
    A, b = [], []
    for total, parts in equations:
        row = np.zeros(len(keys))
        row[idx[total]] = 1
        for p in parts:
            row[idx[p]] -= 1
        A.append(row); b.append(0)
    for c, v in published.items():
        row = np.zeros(len(keys)); row[idx[c]] = 1
        A.append(row); b.append(v)
    bounds = [(1 if c in hidden else 0, None) for c in keys]
    c = np.zeros(len(keys)); c[idx[target]] = 1
    lo = linprog(c, A_eq=np.array(A), b_eq=b, bounds=bounds, method="highs").fun
    hi = -linprog(-c, A_eq=np.array(A), b_eq=b, bounds=bounds, method="highs").fun
    return math.ceil(lo - 1e-7), math.floor(hi + 1e-7)


def _trend(first, last, data):
    years = [str(y) for y in range(first, last + 1)]
    span = f"years:{first}-{last}"
    cells = {}
    for d, vals in data.items():
        for y in years:
            cells[CellKey.of("p", district=d, year=y)] = vals[int(y)]
        cells[CellKey.of("p", district=d, year=span)] = sum(vals[int(y)] for y in years)
    for y in [*years, span]:
        cells[CellKey.of("p", district=TOTAL, year=y)] = sum(cells[CellKey.of("p", district=d, year=y)] for d in data)
    reg = Registry()
    reg.add_group("year", span, years)
    reg.add_table(CountTable("trend", "p", "placeringar", ("district", "year"), cells, varying="year", row_total=span))
    return reg, span


def test_moving_seven_year_windows_protect_the_first_year_of_the_new_window():
    rng = np.random.default_rng(7)
    data = {d: {y: int(rng.integers(8, 30)) for y in range(2015, 2023)} for d in ("a", "b", "c", "d")}
    data["a"][2016] = 2  # a small count in the year the second window starts with
    reg_a, span_a = _trend(2015, 2021, data)
    first = protect_publication(reg_a, Policy())
    assert first.passed
    # The second release, with the first as history (its cells fixed, its own equations kept).
    reg_b, span_b = _trend(2016, 2022, data)
    naive = protect_publication(reg_b, Policy())
    for name, t in reg_a.tables.items():
        reg_b.add_table(CountTable(f"{HISTORY_PREFIX}1:{name}", t.measure, t.unit, t.dims, dict(t.cells)))
    reg_b.extra_relations.extend(reg_a.relations())
    joint = protect_publication(reg_b, Policy(), fixed={c: s for c, s in first.status.items()})
    assert joint.passed
    # The independent attacker over both releases: with the joint pattern a·2016 is not pinned.
    cells = {**reg_a.values, **reg_b.values}
    eqs = [(r.total, r.members) for r in (*reg_a.relations(), *reg_b.relations())]

    def attack(status_b):
        published = {c: v for c, v in reg_a.values.items() if first.status[c] == PUBLISHED}
        published.update({c: v for c, v in reg_b.values.items() if status_b.get(c) == PUBLISHED})
        hidden = [c for c in cells if c not in published]
        return _union_bounds(cells, published, hidden, eqs, CellKey.of("p", district="a", year="2016"))

    lo, hi = attack(joint.status)
    assert not (lo == hi) and not (lo >= 1 and hi <= 4), (lo, hi)
    # Protected alone, the second release may well let the union pin it: the history is what matters.
    assert naive.passed


def _shis(data):
    t = table2d("shis", "p", list("abcd"), ["rvt", "ekb", "annan"], data)
    reg = Registry()
    reg.add_table(CountTable(t.name, t.measure, t.unit, t.dims, t.cells, varying="group", row_total=TOTAL))
    prot = protect_publication(reg, Policy())
    status = {(r, g): prot.status[k(r, g)] for r in [*"abcd", TOTAL] for g in ["rvt", "ekb", "annan", TOTAL]}
    return prot, status


def test_the_worked_example_of_docs_disclosure_md():
    # The first example of docs/disclosure.md, "Ett genomräknat exempel": the outcome it prints.
    prot, s = _shis([[2, 0, 0], [6, 3, 0], [5, 4, 2], [7, 5, 6]])
    assert prot.passed and not prot.steps and prot.displays["shis"].small_rows == {"a"}
    assert [s["a", g] for g in ("rvt", "ekb", "annan", TOTAL)] == [OMITTED, OMITTED, OMITTED, "primary"]
    assert [s["b", g] for g in ("rvt", "ekb", "annan", TOTAL)] == ["secondary", "primary", PUBLISHED, "secondary"]
    assert [s["c", g] for g in ("rvt", "ekb", "annan", TOTAL)] == ["secondary", "primary", "primary", PUBLISHED]
    assert [s["d", g] for g in ("rvt", "ekb", "annan", TOTAL)] == [PUBLISHED, "secondary", "secondary", PUBLISHED]
    assert all(s[TOTAL, g] == PUBLISHED for g in ("rvt", "ekb", "annan", TOTAL))


def test_the_ladder_example_of_docs_disclosure_md():
    # The second example: the city's two referrals via ekonomiskt bistånd sit in c and d, one each;
    # an insider in c who knows its own 1 would know d's (C8). No pattern of district cells avoids
    # it, so the table is lifted and only the city row is shown, its 2 hidden with a complement.
    prot, s = _shis([[0, 0, 3], [1, 0, 0], [6, 1, 1], [7, 1, 1]])
    assert prot.passed
    assert [st.table for st in prot.steps] == ["shis"] and "C8" in prot.steps[0].criteria
    assert all(s[r, g] == OMITTED for r in "abcd" for g in ("rvt", "ekb", "annan", TOTAL))
    assert [s[TOTAL, g] for g in ("rvt", "ekb", "annan", TOTAL)] == [PUBLISHED, "primary", "secondary", PUBLISHED]


def _headline_and_breakdown(data):
    """A headline table of district totals (tier 1) and a breakdown of them by group (tier 2)."""
    t = table2d("by_group", "p", list("abcde"), ["w", "x", "y", "z"], data)
    heads = {key: v for key, v in t.cells.items() if key.get("group") == TOTAL}
    reg = Registry()
    reg.add_table(CountTable("totals", "p", t.unit, ("district",), heads, varying=None, tier=1))
    reg.add_table(CountTable(t.name, t.measure, t.unit, t.dims, t.cells, varying="group", row_total=TOTAL))
    return reg


def test_a_breakdown_its_own_cells_cannot_protect_is_lifted_without_an_audit(monkeypatch):
    # Row a: 5 = 2 + 1 + 2 + 0. The total is published in the headline table and the zero is
    # published, so each hidden part lies in 1..3 whatever else is hidden (C3/C4): a certain failure,
    # and nothing in the row may be hidden. The ladder lifts the breakdown at once.
    from likstall.disclosure import secondary

    reg = _headline_and_breakdown([[2, 1, 2, 0], *BIG])
    stuck = secondary.protect(reg.subset(["p"]), Policy(), stop_when_stuck=True)
    assert stuck.stuck and not stuck.audit.passed
    assert {f.cell for f in stuck.audit.findings} == {k("a", "w"), k("a", "x"), k("a", "y")}
    assert {f.criterion for f in stuck.audit.findings} <= {"C3", "C4"}
    audits = []
    real = secondary.run_attack
    monkeypatch.setattr(secondary, "run_attack", lambda *a, **kw: audits.append(kw.get("fast")) or real(*a, **kw))
    prot = protect_publication(reg, Policy())
    assert prot.passed
    assert [st.table for st in prot.steps] == ["by_group"]  # one step up (this city has no regions)
    assert all(prot.status[k("a", g)] == OMITTED for g in "wxyz")
    # No audit of the district level that was certain to fail: only the lifted level's (fast, then full).
    assert audits == [True, False]
    # Without the shortcut the greedy reaches the same verdict for the district level, after audits.
    full = secondary.protect(reg.subset(["p"]), Policy(), initial=None)
    assert not full.audit.passed and k("a", "w") in full.audit.failing_cells()


def test_an_insider_who_knows_a_small_total_pins_its_parts():
    # Row a: 2 = 1 + 1 + 0 + 0 would be a small-total row; here the total is 2 and the parts are
    # hidden primaries 1 and 1 with an unpublished part (the relation pass sees the total as known to
    # an insider): each part lies in 1..2. Stuck at once, and the finding is C8 on both parts.
    from likstall.disclosure.secondary import _Protector

    reg = _headline_and_breakdown([[1, 1, 0, 0], *BIG])
    pr = _Protector(reg, Policy(), {})
    pr.status[k("a", "z")] = OMITTED  # a part no table shows: the two ones are not the total's aliases
    while pr.relation_pass():
        pass
    assert ("C8", [k("a", "w"), k("a", "x")]) in pr.stuck
    # With zeros protected a part may be 0: not a certain failure, not stuck for C8.
    pr0 = _Protector(reg, Policy(zeros="protected"), {})
    pr0.status[k("a", "z")] = OMITTED
    while pr0.relation_pass():
        pass
    assert not any(crit == "C8" for crit, _ in pr0.stuck)
