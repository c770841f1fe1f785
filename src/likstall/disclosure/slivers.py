"""Slivers: intersections of published categories that no table shows (C2 for slivers).

In a measure whose cell model is exact (every table splits a cell along one dimension), the
district's "women aged 65+ in honour-related cases" is never a cell; the attacker only knows the
one-way margins. For one set of margins m_i of a base cell B (k dimensions), such an intersection
ranges exactly between the Fréchet bounds max(0, Σ m_i − (k−1)·m_B) and min m_i; over everything the
attacker can deduce, between the minimum of the first and the maximum of the second over the cell
model — two small LPs, needed only where the true margins already put the intersection above 0 and
below T (the truth is one admissible table, so elsewhere the sliver can be 0 or reach T).
Every intersection of two or more split dimensions is checked: pairs as well as full atoms.
"""

from __future__ import annotations

import functools
import itertools
import math
from collections import defaultdict

import numpy as np

from .attacker import AttackResult, Finding, Model
from .cells import CellKey, Registry, Relation
from .keys import TOTAL
from .policy import Policy


def _bases(registry: Registry, relations: list[Relation], measure: str) -> dict[CellKey, dict[str, tuple[CellKey, ...]]]:
    """Cells split along two or more dimensions into their finest categories: base → dim → parts."""
    splits: dict[CellKey, dict[str, tuple[CellKey, ...]]] = defaultdict(dict)
    for r in relations:
        if r.total.measure != measure or r.dim == "district" or r.total.get(r.dim) != TOTAL:
            continue
        finest = registry.categories.get(r.dim, set())
        if {m.get(r.dim) for m in r.members} == finest:
            splits[r.total][r.dim] = r.members
    return {b: d for b, d in splits.items() if len(d) >= 2}


def check_slivers(res: AttackResult, registry: Registry, relations: list[Relation], measure: str,
                  model: Model, policy: Policy, scenario: str) -> None:
    T = policy.T
    values = registry.values
    for base, dims in sorted(_bases(registry, relations, measure).items()):
        n_base = values[base]
        if n_base == 0:
            continue
        names = sorted(dims)
        margins = {d: np.array([values[c] for c in dims[d]], dtype=float) for d in names}
        if any(m.size == 0 for m in margins.values()):
            continue  # a split without parts has no combinations (and no largest or smallest margin)
        largest = {d: float(m.max()) for d, m in margins.items()}
        smallest = {d: float(m.min()) for d, m in margins.items()}
        for size in range(2, len(names) + 1):
            for subset in itertools.combinations(names, size):
                # A combination needs Σ margins − (k−1)·B ≥ 1 and its smallest margin ≤ T − 1. Where no
                # combination of these dimensions can have either (most of them: B is large or no margin
                # is small), none is computed; a release has tens of thousands of such subsets.
                if (sum(largest[d] for d in subset) - (size - 1) * n_base < 1
                        or min(smallest[d] for d in subset) > T - 1):
                    continue
                # Vectorised over the categories: Σ margins − (k−1)·B and min margins for every combination
                # (one axis per dimension; np.ix_ broadcasts them to the full grid without copies).
                parts = np.ix_(*[margins[d] for d in subset])
                total = sum(parts) - (size - 1) * n_base
                low = functools.reduce(np.minimum, parts)
                for idx in zip(*np.nonzero((total >= 1) & (low <= T - 1))):
                    combo = tuple(dims[d][i] for d, i in zip(subset, idx))
                    res.checked_atoms += 1
                    # The points the attacker's LPs have found so far are admissible tables: one where the
                    # combination is below 1 bounds its minimum below 1 too, and one where every part is at
                    # least T bounds the maximum of the smallest part above T − 1. Either settles the
                    # combination without its own LP (the verdict is the LPs' own).
                    seen = model.values_at_points((*combo, base))
                    if seen is not None and math.ceil((seen[:-1].sum(axis=0) - (size - 1) * seen[-1]).min() - 1e-7) < 1:
                        continue
                    coef = {c: 1.0 for c in combo}
                    coef[base] = coef.get(base, 0.0) - (size - 1)
                    lo = model.min_linear(coef)
                    if not math.isfinite(lo) or math.ceil(lo - 1e-7) < 1:
                        continue
                    seen = model.values_at_points(combo)  # min_linear's solution is one more point
                    if seen is not None and math.floor(seen.min(axis=0).max() + 1e-7) > T - 1:
                        continue
                    hi = model.max_min(list(combo))
                    if math.isfinite(hi) and math.floor(hi + 1e-7) <= T - 1:
                        label = " ∩ ".join(c.label() for c in combo)
                        res.findings.append(Finding(
                            "C2", scenario, combo[0], float(math.ceil(lo - 1e-7)), float(math.floor(hi + 1e-7)),
                            f"en delmängd som inte publiceras ({label}) kan visas ligga mellan 1 och {T - 1}",
                            cells=tuple(combo)))
