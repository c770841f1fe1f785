"""Slivers (C2 for intersections no table shows): the vectorised check with its shortcuts finds what the
plain definition finds — every combination of categories of two or more split dimensions whose Fréchet
bounds admit 1..T−1, and among those the ones the cell model pins to 1..T−1."""

from __future__ import annotations

import itertools
import math
from collections import Counter

import numpy as np
import pytest

from likstall.disclosure.attacker import PRIMARY, PUBLISHED, AttackResult, build_model
from likstall.disclosure.audit import BaseModels, run_attack
from likstall.disclosure.cells import TOTAL, CellKey, CountTable, Registry
from likstall.disclosure.policy import Policy
from likstall.disclosure.slivers import _bases, check_slivers
from likstall.disclosure.secondary import protect

DIMS = {"sex": ["K", "M"], "age": ["a1", "a2", "a3"], "group": ["g1", "g2"]}


def key(**coords: str) -> CellKey:
    """A cell of measure "v" with every dimension (those not given at their total), as the indicators make them."""
    return CellKey.of("v", **({d: TOTAL for d in ("district", *DIMS)} | coords))


def split_registry(seed: int, n_districts: int = 6) -> Registry:
    """One measure in three tables, each district split by one dimension (the yearly publication's shape):
    the district totals are bases split along sex, age and group. Most persons share one category of
    each, as victims of violence mostly are women: intersections then have Fréchet bounds above 0."""
    rng = np.random.default_rng(seed)
    probs = {"sex": [0.9, 0.1], "age": [0.75, 0.2, 0.05], "group": [0.85, 0.15]}
    counts = np.zeros((n_districts, *[len(c) for c in DIMS.values()]), dtype=int)
    for i in range(n_districts):
        for _ in range(rng.poisson(rng.uniform(2, 14))):
            counts[(i, *[rng.choice(len(p), p=p) for p in probs.values()])] += 1
    districts = [f"d{i}" for i in range(n_districts)]
    reg = Registry()
    for axis, (dim, cats) in enumerate(DIMS.items(), start=1):
        cells = {}
        for i, d in enumerate([*districts, TOTAL]):
            block = counts if d == TOTAL else counts[i:i + 1]
            for j, c in enumerate([*cats, TOTAL]):
                part = block if c == TOTAL else np.take(block, [j], axis=axis)
                cells[key(district=d, **{dim: c})] = int(part.sum())
        reg.add_table(CountTable(f"by_{dim}", "v", "personer", ("district", dim), cells))
    return reg


def plain_slivers(registry, relations, measure, model, policy):
    """The definition, one combination at a time: (cells, lo, hi) of every pinned sliver, and how many
    combinations needed the LPs."""
    T, values, found, checked = policy.T, registry.values, [], 0
    for base, dims in sorted(_bases(registry, relations, measure).items()):
        if values[base] == 0:
            continue
        names = sorted(dims)
        for size in range(2, len(names) + 1):
            for subset in itertools.combinations(names, size):
                for combo in itertools.product(*[dims[d] for d in subset]):
                    margins = [values[c] for c in combo]
                    if sum(margins) - (size - 1) * values[base] < 1 or min(margins) > T - 1:
                        continue
                    checked += 1
                    coef = {c: 1.0 for c in combo}
                    coef[base] = coef.get(base, 0.0) - (size - 1)
                    lo = model.min_linear(coef)
                    if not math.isfinite(lo) or math.ceil(lo - 1e-7) < 1:
                        continue
                    hi = model.max_min(list(combo))
                    if math.isfinite(hi) and math.floor(hi + 1e-7) <= T - 1:
                        found.append((combo, float(math.ceil(lo - 1e-7)), float(math.floor(hi + 1e-7))))
    return found, checked


@pytest.mark.parametrize("seed", range(6))
def test_the_sliver_check_finds_what_the_definition_finds(seed):
    reg = split_registry(seed)
    relations = reg.relations()
    assert reg.cell_model_is_exact("v") and _bases(reg, relations, "v")  # the check applies, with bases to check
    totals = {"primary only": 0, "protected": 0}
    lps = {False: Counter(), True: Counter()}
    for zeros in ("visible", "protected"):
        policy = Policy(zeros=zeros, max_suppressed_share=0.9)
        primary = {k: (PRIMARY if policy.is_primary(v) else PUBLISHED) for k, v in reg.values.items()}
        for name, status in (("primary only", primary), ("protected", protect(reg, policy).status)):
            expected, checked = plain_slivers(reg, relations, "v", build_model(reg, "v", status, policy), policy)
            for seen in (False, True):
                model = build_model(reg, "v", status, policy)
                if seen:  # as in the audit: points found by earlier LPs, which let the check skip some LPs
                    model.track([k for k in reg.values if status[k] != PUBLISHED])
                    model.feasible_points(8)
                calls = count_lps(model)
                res = AttackResult()
                check_slivers(res, reg, relations, "v", model, policy, "S1")
                assert res.checked_atoms == checked, (seed, zeros, name, seen)
                assert [(f.cells, f.lo, f.hi) for f in res.findings] == expected, (seed, zeros, name, seen)
                lps[seen].update(calls)
            totals[name] += checked
    # The comparison covers combinations that needed the LPs, not only ones the shortcuts skip.
    assert totals["primary only"] > 0 and totals["protected"] > 0, totals
    # Each of the two shortcuts settled some combinations: fewer of both LPs with the seen points.
    assert all(lps[True][n] < lps[False][n] for n in ("min_linear", "max_min")), lps


def count_lps(model) -> Counter:
    """Count the model's sliver LPs, min_linear and max_min, from now on."""
    calls = Counter()
    for name in ("min_linear", "max_min"):
        def counted(*args, _solve=getattr(model, name), _name=name, **kw):
            calls[_name] += 1
            return _solve(*args, **kw)
        setattr(model, name, counted)
    return calls


@pytest.mark.parametrize("seed", range(3))
def test_the_audit_on_kept_models_finds_the_exact_audits_slivers(seed):
    """The shortcuts with the points an audit really has (its sweeps, intervals and insiders' pushes), as the
    suppression loop runs it: the fast audit, then the full one on the same models. Its slivers are the exact
    audit's, on patterns with pinned slivers and on protected ones."""
    reg = split_registry(seed)
    found = 0
    for zeros in ("visible", "protected"):
        policy = Policy(zeros=zeros, max_suppressed_share=0.9)
        primary = {k: (PRIMARY if policy.is_primary(v) else PUBLISHED) for k, v in reg.values.items()}
        for name, status in (("primary only", primary), ("protected", protect(reg, policy).status)):
            exact = run_attack(reg, status, policy)
            models = BaseModels()
            run_attack(reg, status, policy, fast=True, certify=True, models=models)
            kept = run_attack(reg, status, policy, certify=True, models=models)
            slivers = [sorted((f.cells, f.lo, f.hi) for f in res.findings if f.cells) for res in (kept, exact)]
            assert slivers[0] == slivers[1], (zeros, name)
            assert kept.checked_atoms == exact.checked_atoms and kept.passed == exact.passed, (zeros, name)
            found += len(slivers[1])
    assert found  # the comparison includes pinned slivers, not only their absence


def test_a_sliver_pinned_by_its_margins_is_found():
    """Two split dimensions whose published margins force their intersection to 1..T−1: a district of 9
    with 8 women and 2 in age band a1 has exactly 1 woman in a1 (Fréchet: 8 + 2 − 9 = 1 ≤ x ≤ 2)."""
    reg = Registry()
    for dim, parts in (("sex", {"K": 8, "M": 1}), ("age", {"a1": 2, "a2": 7})):
        cells = {key(district=d, **{dim: c}): n for d in ("d0", TOTAL) for c, n in parts.items()}
        cells.update({key(district=d): 9 for d in ("d0", TOTAL)})
        reg.add_table(CountTable(f"by_{dim}", "v", "personer", ("district", dim), cells))
    policy = Policy(threshold=3)
    status = dict.fromkeys(reg.values, PUBLISHED)
    res = AttackResult()
    relations = reg.relations()
    check_slivers(res, reg, relations, "v", build_model(reg, "v", status, policy), policy, "S1")
    found = sorted((f.criterion, f.lo, f.hi, tuple(sorted(c.label() for c in f.cells))) for f in res.findings)
    woman_a1 = [tuple(sorted(key(district=d, **kv).label() for kv in ({"sex": "K"}, {"age": "a1"})))
                for d in ("d0", TOTAL)]
    assert found == sorted(("C2", 1.0, 2.0, cells) for cells in woman_a1), found
