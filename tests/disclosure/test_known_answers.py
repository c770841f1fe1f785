"""Small hand-made publications whose answer is known, including those where naive suppression fails."""

from __future__ import annotations

import pytest

from likstall.disclosure.attacker import PRIMARY, PUBLISHED, HistoryCell, build_atom_model, build_cell_model
from likstall.disclosure.audit import run_attack
from likstall.disclosure.cells import TOTAL, CellKey, CountTable, Registry
from likstall.disclosure.policy import Policy
from likstall.disclosure.secondary import protect

from tables import table2d


def primary_only(reg: Registry, policy=Policy()):
    return {k: (PRIMARY if policy.is_primary(v) else PUBLISHED) for k, v in reg.values.items()}


def criteria(result):
    return {f.criterion for f in result.findings}


def test_policy_refuses_a_threshold_below_three():
    with pytest.raises(ValueError):
        Policy(threshold=2)
    assert Policy().T == 5 and Policy(threshold=3).is_primary(2) and not Policy(threshold=3).is_primary(3)


def test_single_small_cell_is_recomputable_without_a_complement():
    reg = Registry()
    reg.add_table(table2d("t", "p", ["a", "b"], ["x", "y"], [[10, 3], [8, 9]]))
    naive = run_attack(reg, primary_only(reg), Policy())
    assert "C1" in criteria(naive)  # 3 = row total 13 − 10
    prot = protect(reg)
    assert prot.audit.passed
    assert prot.status[CellKey.of("p", district="a", group="y", year="2021")] == PRIMARY


def test_two_small_cells_in_a_row_must_not_protect_each_other():
    reg = Registry()
    # Row a: 2 and 1 suppressed, 20 published, total 23 → the two sum to 3: known to be in 1..2 each.
    reg.add_table(table2d("t", "p", ["a", "b", "c"], ["x", "y", "z"], [[2, 1, 20], [9, 7, 11], [8, 12, 6]]))
    naive = run_attack(reg, primary_only(reg), Policy())
    assert {"C6", "C1"} <= criteria(naive)  # the row sum is 3; the columns even give each exactly
    prot = protect(reg)
    assert prot.audit.passed
    lo_hi = prot.audit.bounds["S1"]
    for k in (CellKey.of("p", district="a", group="x", year="2021"), CellKey.of("p", district="a", group="y", year="2021")):
        assert lo_hi[k].hi >= 5 and lo_hi[k].hi - lo_hi[k].lo >= 5


def test_a_cell_recoverable_from_the_difference_of_a_yearly_and_a_multi_year_table():
    reg = Registry()
    years = ["2019", "2020", "2021"]
    reg.add_group("year", "years:2019-2021", years)
    data = {"a": [12, 9, 2], "b": [15, 11, 14], "c": [7, 10, 13]}
    cells = {}
    for d, vals in data.items():
        for y, v in zip(years, vals):
            cells[CellKey.of("p", district=d, year=y)] = v
        cells[CellKey.of("p", district=d, year="years:2019-2021")] = sum(vals)
    # A second table publishes only the multi-year totals (and the city), as a separate release would.
    trend = CountTable("trend", "p", "placeringar", ("district", "year"),
                       {k: v for k, v in cells.items()})
    reg.add_table(trend)
    naive = run_attack(reg, primary_only(reg), Policy())
    assert "C1" in criteria(naive)  # 2021 for a = 23 − 12 − 9
    prot = protect(reg)
    assert prot.audit.passed
    suppressed_a = [k for k in prot.suppressed if k.get("district") == "a"]
    assert len(suppressed_a) >= 2


def test_an_insider_who_knows_a_cell_of_one_cannot_recompute_a_neighbour():
    reg = Registry()
    reg.add_table(table2d("t", "p", ["a", "b", "c", "d"], ["x", "y", "z"],
                          [[1, 3, 30], [25, 22, 18], [17, 20, 40], [12, 16, 9]]))
    pol = Policy()
    # Naive: suppress the two small cells and one complement per row and column.
    status = primary_only(reg, pol)
    for k in (CellKey.of("p", district="b", group="x", year="2021"), CellKey.of("p", district="b", group="y", year="2021")):
        status[k] = "secondary"
    naive = run_attack(reg, status, pol)
    assert "C8" in criteria(naive)  # knowing a·x = 1 gives a·y from the row
    prot = protect(reg, pol)
    assert prot.audit.passed
    insider = build_cell_model(reg, "p", prot.status, pol, insider={CellKey.of("p", district="a", group="x", year="2021"): 1})
    lo, hi, _ = insider.interval(CellKey.of("p", district="a", group="y", year="2021"), refine_below=10)
    assert hi - lo >= 1 and not (lo >= 1 and hi <= 4)


def test_a_row_whose_only_nonzero_cell_reveals_everyones_group():
    reg = Registry()
    # District a: all 3 known victims in group x; zeros are visible, so the total gives them away.
    reg.add_table(table2d("t", "p", ["a", "b", "c"], ["x", "y"], [[3, 0], [14, 9], [11, 16]]))
    naive_status = primary_only(reg)
    naive = run_attack(reg, naive_status, Policy())
    assert "C1" in criteria(naive)
    prot = protect(reg, Policy(group_attribute_max=4))
    assert prot.audit.passed
    # The lone non-zero cell and its row total are both hidden; the zero stays visible.
    assert prot.status[CellKey.of("p", district="a", group=TOTAL, year="2021")] != PUBLISHED
    assert prot.status[CellKey.of("p", district="a", group="y", year="2021")] == PUBLISHED


def test_city_total_is_never_suppressed_and_pattern_is_deterministic():
    reg = Registry()
    reg.add_table(table2d("t", "p", ["a", "b", "c"], ["x", "y", "z"], [[2, 1, 3], [4, 2, 1], [1, 3, 2]]))
    a, b = protect(reg), protect(reg)
    assert a.status == b.status
    assert a.status[CellKey.of("p", district=TOTAL, group=TOTAL, year="2021")] == PUBLISHED


def test_history_cells_published_before_stay_published_and_suppressed_stay_suppressed():
    reg = Registry()
    reg.add_table(table2d("t", "p", ["a", "b", "c"], ["x", "y"], [[3, 12], [10, 9], [11, 16]]))
    free = protect(reg)
    assert free.audit.passed
    # The earlier release published b·x (10) and suppressed c·y: both choices bind this release (C9).
    bx = CellKey.of("p", district="b", group="x", year="2021")
    cy = CellKey.of("p", district="c", group="y", year="2021")
    hist = {bx: HistoryCell(PUBLISHED, 10, 1), cy: HistoryCell("suppressed", None, 1)}
    bound = protect(reg, history=hist)
    assert bound.audit.passed and "S4" in bound.audit.scenarios_run
    assert bound.status[bx] == PUBLISHED and bound.status[cy] != PUBLISHED


def test_a_history_that_already_disclosed_a_cell_fails_the_audit():
    reg = Registry()
    reg.add_table(table2d("t", "p", ["a", "b", "c"], ["x", "y"], [[3, 12], [10, 9], [11, 16]]))
    # An earlier release published row a's total (15) and a·y (12): a·x = 3 is already public.
    hist = {CellKey.of("p", district="a", group=TOTAL, year="2021"): HistoryCell(PUBLISHED, 15, 1),
            CellKey.of("p", district="a", group="y", year="2021"): HistoryCell(PUBLISHED, 12, 1)}
    prot = protect(reg, history=hist)
    assert not prot.audit.passed
    assert any(f.criterion == "C1" and f.scenario == "S4" for f in prot.audit.findings)


def test_inconsistent_release_history_is_reported():
    reg = Registry()
    reg.add_table(table2d("t", "p", ["a", "b"], ["x", "y"], [[10, 12], [10, 9]]))
    k = CellKey.of("p", district="a", group="x", year="2021")
    res = run_attack(reg, primary_only(reg), Policy(), history={k: HistoryCell(PUBLISHED, 11, 1)})
    assert "C9" in criteria(res)


def test_cell_model_and_atom_model_agree():
    reg = Registry()
    reg.add_table(table2d("s", "p", ["a", "b", "c"], ["K", "M"], [[7, 2], [12, 5], [3, 9]], cdim="sex",
                          fixed={"year": "2021", "age": TOTAL}))
    reg.add_table(table2d("g", "p", ["a", "b", "c"], ["young", "old"], [[6, 3], [10, 7], [4, 8]], cdim="age",
                          fixed={"year": "2021", "sex": TOTAL}))
    prot = protect(reg)
    assert prot.audit.passed
    cells = build_cell_model(reg, "p", prot.status, Policy())
    atoms = build_atom_model(reg, "p", prot.status, Policy())
    for k in prot.suppressed:
        assert cells.interval(k, refine_below=0)[:2] == atoms.interval(k, refine_below=0)[:2], k.label()


def test_rows_whose_few_persons_are_in_one_group_are_aliases_not_pairs():
    # Districts a and b: their one or two persons all in group x, zeros visible. The row total and its one
    # non-zero cell are the same persons (an alias, DISCLOSURE.md C7/C8): an insider who knows one learns
    # nothing new from the other, so the pattern can pass — and quickly, without the whole iteration budget.
    reg = Registry()
    rows = [[2, 0, 0], [1, 0, 0]] + [[10 + (7 * i) % 13, 12 + (5 * i) % 11, 9 + (3 * i) % 7] for i in range(30)]
    reg.add_table(table2d("t", "p", [f"d{i:02d}" for i in range(len(rows))], ["x", "y", "z"], rows))
    prot = protect(reg, Policy(group_attribute_max=0), max_iterations=40)
    assert prot.audit.passed
    assert prot.iterations <= 6
    assert prot.status[CellKey.of("p", district="d00", group="x", year="2021")] != PUBLISHED
