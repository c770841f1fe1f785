"""The optimising secondary suppression (MILP): known minima, always safe, never worse than the greedy."""

from __future__ import annotations

import itertools
import time

import pytest

from likstall.disclosure.attacker import PRIMARY, PUBLISHED
from likstall.disclosure.audit import run_attack
from likstall.disclosure.cells import CellKey, Registry
from likstall.disclosure.keys import HIDDEN, SECONDARY, TOTAL
from likstall.disclosure.ladder import protect_publication
from likstall.disclosure.optimal import _Protector, cell_costs, optimal_measure, protect_optimal
from likstall.disclosure.policy import Policy
from likstall.disclosure.secondary import protect

from tables import table2d


def registry(data, rows=None, cols=None) -> Registry:
    rows = rows or [f"d{i}" for i in range(len(data))]
    cols = cols or [f"g{j}" for j in range(len(data[0]))]
    reg = Registry()
    reg.add_table(table2d("t", "p", rows, cols, data))
    return reg


def cell(d, g) -> CellKey:
    return CellKey.of("p", district=d, group=g, year="2021")


def secondaries(status) -> set[CellKey]:
    return {k for k, s in status.items() if s == SECONDARY}


def cheapest_safe(reg: Registry, policy: Policy, max_size: int) -> tuple[int, float, set[CellKey]] | None:
    """Exhaustive search: the smallest (then cheapest) set of complements whose pattern passes the full
    audit, over every set of at most `max_size` cells the MILP may hide. The reference answer. Sets that
    leave a hidden cell alone in an equation are skipped without an audit: that cell is the equation's
    total minus the rest, so the audit fails them (C1) anyway."""
    status0 = {k: (PRIMARY if policy.is_primary(v) else PUBLISHED) for k, v in reg.values.items()}
    pr = _Protector(reg, policy, {}, initial=status0)
    free = sorted(k for k in reg.values if pr.candidate_ok(k))
    equations = [(r.total, *r.members) for r in reg.relations()]
    for size in range(max_size + 1):
        best = None
        for combo in itertools.combinations(free, size):
            st = dict(status0)
            st.update({k: SECONDARY for k in combo})
            if any(sum(st[c] in HIDDEN for c in eq) == 1 for eq in equations):
                continue
            if run_attack(reg, st, policy, certify=True).passed:
                cost = float(cell_costs(reg, pr, list(combo), "log").sum())
                if best is None or cost < best[1] - 1e-9:
                    best = (size, cost, set(combo))
        if best is not None:
            return best
    return None


def test_one_primary_in_a_2x3_table_needs_exactly_three_complements():
    # By hand: every margin is published, so a hidden cell alone in its row or its column is that margin
    # minus the rest (C1). The primary 3 needs a second hidden cell in its row and one in its column, and
    # each of those needs a partner in its own column or row: at least four hidden cells, three of them
    # complements (a hidden row total is a cell of the total column, the same argument). The cheapest
    # such rectangle under the log cost is columns x, y (10, 8, 9: smaller than column z's 12, 11 or
    # the totals 25, 28), and it lets the primary reach 3 + min(10, 9) − 1 ≥ 5, so C3/C4 hold.
    reg = registry([[10, 3, 12], [8, 9, 11]], rows=["a", "b"], cols=["x", "y", "z"])
    o = protect_optimal(reg, time_limit=20)
    assert o.audit.passed and o.proven
    assert secondaries(o.status) == {cell("a", "x"), cell("b", "x"), cell("b", "y")}
    assert o.status[cell("a", "y")] == PRIMARY
    assert cheapest_safe(reg, Policy(), max_size=3)[::2] == (3, secondaries(o.status))  # and by enumeration


def test_the_milp_finds_the_minimum_that_exhaustive_search_finds_and_the_greedy_misses():
    # Three primaries of 3. The greedy (smallest cell first) hides five complements; exhaustive search
    # over every set of up to four complements finds a safe set of four, and the MILP finds one of the
    # same size and cost.
    data = [[8, 30, 0, 12], [3, 9, 9, 12], [3, 6, 3, 20]]
    reg, policy = registry(data), Policy()
    g = protect(reg, policy)
    o = protect_optimal(reg, policy, greedy=g, time_limit=30)
    assert g.audit.passed and o.audit.passed and o.source == "milp"
    assert len(secondaries(g.status)) == 5 and len(secondaries(o.status)) == 4
    size, cost, _ = cheapest_safe(reg, policy, max_size=4)
    assert size == 4
    assert o.cost == pytest.approx(cost)


TABLES = [
    [[10, 3, 12], [8, 9, 11]],
    [[2, 1, 20], [9, 7, 11], [8, 12, 6]],
    [[20, 30, 3, 25], [15, 40, 22, 18], [30, 12, 25, 40], [22, 31, 19, 6]],
    [[12, 3, 0, 3], [12, 12, 3, 8], [12, 6, 15, 6]],
    [[9, 1, 0, 4, 8], [6, 8, 3, 4, 1], [4, 30, 12, 3, 15], [8, 0, 3, 0, 8]],  # needs attacker cuts
    [[3, 12, 20, 0, 8], [20, 15, 6, 20, 20], [8, 0, 30, 4, 2], [3, 0, 4, 1, 1]],
]


@pytest.mark.parametrize("data", TABLES)
def test_pattern_passes_the_audit_and_never_costs_more_than_the_greedy(data):
    reg, policy = registry(data), Policy()
    g = protect(reg, policy)
    o = protect_optimal(reg, policy, greedy=g, time_limit=30)
    assert g.audit.passed
    # Audited again here, from the statuses alone: the pattern itself is safe, not just the MILP's record.
    again = run_attack(reg, o.status, policy)
    assert again.passed, [(f.criterion, f.cell) for f in again.findings]
    assert o.cost <= o.greedy_cost + 1e-9
    pr = _Protector(reg, policy, {})
    for status in (g.status, o.status):  # every primary stays hidden, nothing else changes kind
        assert all(status[k] == PRIMARY for k, v in reg.values.items() if policy.is_primary(v))
    assert float(cell_costs(reg, pr, sorted(secondaries(o.status)), "log").sum()) == pytest.approx(o.cost)


def test_attacker_cuts_are_needed_and_used():
    # The structural cuts alone admit a pattern the attacker breaks: the first solve's pattern fails the
    # audit, cuts are added, and the pattern returned (cheaper than the greedy's) passes.
    reg, policy = registry(TABLES[4]), Policy()
    o = protect_optimal(reg, policy, time_limit=30)
    assert o.cuts > 0 and o.rounds >= 2
    assert o.source == "milp" and o.audit.passed and o.cost < o.greedy_cost
    assert run_attack(reg, o.status, policy).passed


@pytest.mark.parametrize("cost", ["cells", "mass"])
def test_other_costs_never_hide_more_than_the_greedy(cost):
    for data in TABLES:
        reg, policy = registry(data), Policy()
        g = protect(reg, policy)
        o = protect_optimal(reg, policy, greedy=g, time_limit=30, cost=cost)
        assert o.audit.passed
        if cost == "cells":
            assert len(o.suppressed) <= len(g.suppressed)
        else:
            assert sum(reg.values[k] for k in secondaries(o.status)) <= sum(reg.values[k] for k in secondaries(g.status))


def test_same_input_same_pattern():
    reg = registry(TABLES[4])
    first = protect_optimal(reg, time_limit=30)
    for _ in range(2):
        again = protect_optimal(registry(TABLES[4]), time_limit=30)
        assert again.status == first.status and again.proven


def test_time_limit_is_honoured_and_zero_time_gives_the_greedy():
    # A 14 × 9 table with many primaries: the loop stops at the limit (plus at most one audit round,
    # which is not interruptible) and returns a pattern that passed the full audit.
    import random

    rng = random.Random(7)
    data = [[rng.choice([0, 1, 2, 3, 4, 6, 9, 14, 20, 35]) for _ in range(9)] for _ in range(14)]
    reg, policy = registry(data), Policy()
    g = protect(reg, policy)
    assert g.audit.passed
    t0 = time.perf_counter()
    o = protect_optimal(reg, policy, greedy=g, time_limit=1.0)
    elapsed = time.perf_counter() - t0
    assert elapsed < 1.0 + 10.0
    assert o.audit.passed and o.cost <= o.greedy_cost
    z = protect_optimal(reg, policy, greedy=g, time_limit=0.0)
    assert z.source == "greedy" and z.status == g.status and z.rounds == 0


def test_a_failing_greedy_is_handed_back_for_the_ladder():
    # A row 2 = 1 + 1 + 0: the two 1s can only protect each other (C7), whatever else is hidden; the
    # MILP does not pretend otherwise and returns the greedy's failing pattern with its audit.
    reg = registry([[1, 1, 0], [9, 12, 8], [7, 11, 10]])
    g = protect(reg)
    o = protect_optimal(reg, greedy=g, time_limit=10)
    assert not g.audit.passed
    assert o.source == "greedy" and o.status == g.status and not o.audit.passed


def test_fixed_and_history_cells_are_respected():
    # A complement the greedy would choose is fixed as published by an earlier release: the MILP must
    # not hide it, and must keep a fixed suppressed cell hidden.
    reg = registry([[10, 3, 12], [8, 9, 11]], rows=["a", "b"], cols=["x", "y", "z"])
    fixed = {cell("a", "x"): PUBLISHED, cell("b", "z"): SECONDARY}
    initial = {k: (PRIMARY if Policy().is_primary(v) else PUBLISHED) for k, v in reg.values.items()}
    o = protect_optimal(reg, initial=initial, fixed=fixed, time_limit=20)
    assert o.audit.passed
    assert o.status[cell("a", "x")] == PUBLISHED and o.status[cell("b", "z")] in HIDDEN


def test_protect_publication_with_the_milp():
    # Two measures in one publication, each protected on its own; the MILP's publication passes and
    # hides no more than the greedy's, and its ladder steps are the greedy's.
    reg = registry(TABLES[3])
    other = table2d("u", "q", ["d0", "d1", "d2"], ["h0", "h1", "h2"], [[2, 1, 20], [9, 7, 11], [8, 12, 6]])
    reg.add_table(other)
    g = protect_publication(reg, Policy())
    o = protect_publication(reg, Policy(), protect_measure=optimal_measure(time_limit=20))
    assert g.passed and o.passed
    assert len(o.suppressed) <= len(g.suppressed)
    assert o.steps == g.steps
    assert all(k.get("district") != TOTAL or k.get("group", TOTAL) != TOTAL or o.status[k] == PUBLISHED
               for k in o.status if k.measure == "p")  # the city total is never hidden


def test_publish_refuses_an_unknown_suppression(tmp_path):
    from typer.testing import CliRunner

    from likstall.cli import app

    r = CliRunner().invoke(app, ["publish", "--db", str(tmp_path / "x.duckdb"), "--year", "2021",
                                 "--suppression", "snabb"])
    assert r.exit_code != 0 and "greedy eller optimal" in r.output
    assert not (tmp_path / "x.duckdb").exists()
