"""The test attacker itself: it must find the leaks it is written to find (else a passing city proves nothing)."""

from __future__ import annotations

import random

import pytest

from attacker import Served, attack, key


def _served(values, hidden, finest, groups=None):
    s = Served()
    for k, v in values:
        s.values[key("p", k)] = v
    for k in hidden:
        s.hidden.add(key("p", k))
    for d, cats in finest.items():
        s.finest[d] |= set(cats)
    for d, gs in (groups or {}).items():
        for g, m in gs.items():
            s.groups[d][g] = set(m)
    return s


def cell(d, g):
    return {"district": d, "group": g}


def test_a_lone_suppressed_cell_is_found_exact():
    values = [(cell(d, g), v) for (d, g), v in {("a", "x"): 10, ("a", "total"): 13, ("b", "x"): 8, ("b", "y"): 9,
                                                 ("b", "total"): 17}.items()]
    s = _served(values, [cell("a", "y")], {"group": ["x", "y"], "district": ["a", "b"]})
    leaks = attack(s)
    assert any(l.kind == "exact" and dict(l.cell[1])["district"] == "a" for l in leaks)


def test_two_small_cells_summing_to_three_are_a_relation_sum():
    values = [(cell("a", "z"), 20), (cell("a", "total"), 23)]
    s = _served(values, [cell("a", "x"), cell("a", "y")], {"group": ["x", "y", "z"], "district": ["a"]})
    assert any(l.kind == "relation-sum" for l in attack(s))


def test_an_unserved_breakdown_pinned_through_a_column_is_found():
    # Row a's breakdown is not served (small total); its column gives a·x = 7 − 5 = 2 exactly.
    values = [(cell("a", "total"), 2), (cell("b", "x"), 5), (cell("b", "y"), 9), (cell("b", "total"), 14),
              (cell("total", "x"), 7), (cell("total", "y"), 9), (cell("total", "total"), 16)]
    s = _served(values, [], {"group": ["x", "y"], "district": ["a", "b"]})
    assert any(l.kind == "pinned" and dict(l.cell[1]) == cell("a", "x") for l in attack(s))


def test_a_protected_table_has_no_leak():
    values = [(cell("a", "z"), 20), (cell("a", "total"), 30), (cell("b", "z"), 15), (cell("b", "total"), 31),
              (cell("total", "x"), 18), (cell("total", "y"), 8), (cell("total", "z"), 35), (cell("total", "total"), 61)]
    # a: x 3, y 7 (both hidden); b: x 15, y 1 (both hidden): every hidden cell ranges widely.
    s = _served(values, [cell("a", "x"), cell("a", "y"), cell("b", "x"), cell("b", "y")],
                {"group": ["x", "y", "z"], "district": ["a", "b"]})
    assert attack(s) == []


@pytest.mark.parametrize("seed", range(30))
def test_skipping_cells_the_seen_solutions_settle_changes_no_verdict(seed):
    """The attacker skips the LPs of a cell whose range over the solutions seen so far already shows it is
    neither exact nor pinned; on random tables with random hidden cells (leaky ones among them) it finds
    exactly what solving every cell finds."""
    rng = random.Random(seed)
    districts, groups = ["a", "b", "c", "d"][: rng.randint(2, 4)], ["x", "y", "z"][: rng.randint(2, 3)]
    v = {(d, g): rng.choice([0, 1, 2, 3, 4, 6, 9, 15]) for d in districts for g in groups}
    for d in districts:
        v[(d, "total")] = sum(v[(d, g)] for g in groups)
    for g in [*groups, "total"]:
        v[("total", g)] = sum(v[(d, g)] for d in districts)
    hidden = {k for k in v if v[k] > 0 and (v[k] < 5 or rng.random() < 0.2)}
    s = _served([(cell(*k), x) for k, x in v.items() if k not in hidden], [cell(*k) for k in hidden],
                {"group": groups, "district": districts})
    full = attack(s, skip_settled=False)
    assert sorted(map(str, attack(s))) == sorted(map(str, full))
