"""An attacker written for the tests, independent of the gate's code.

It reads only what is served — the releases' tables as the API gives them (measure, coordinates,
value, status), their group definitions (regions, spans of years, groups of days) and the finest
categories of each dimension — and asks, by linear programming (scipy's HiGHS) over every release of
the store at once:
- can any suppressed cell be computed exactly?
- can any cell, served or not, be pinned to 1..T−1?
- does any equation with a served total leave its hidden members summing to 1..T−1?
- does any served share times its served denominator give a count of 1..T−1?
Nothing here imports likstall.disclosure; the LPs are HiGHS's own (highspy).
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
import highspy
from scipy import sparse

TOTAL = "total"


def key(measure: str, coords: dict) -> tuple:
    return (measure, tuple(sorted(coords.items())))


@dataclass
class Leak:
    kind: str
    cell: tuple
    lo: float
    hi: float

    def __str__(self):
        return f"{self.kind} {self.cell} [{self.lo}, {self.hi}]"


@dataclass
class Served:
    """Everything served, merged over releases: one value per cell (a revised cell gets one per release)."""

    values: dict = field(default_factory=dict)  # key → value (published)
    hidden: set = field(default_factory=set)  # keys served as ".."
    groups: dict = field(default_factory=lambda: defaultdict(dict))  # dim → group → finest members
    finest: dict = field(default_factory=lambda: defaultdict(set))  # dim → finest categories
    shares: list = field(default_factory=list)  # (value %, denominator key, numerator key or None)


def served_from(contents: list[dict]) -> Served:
    s = Served()
    for c in contents:
        for dim, groups in c["dimensions"]["groups"].items():
            for g, members in groups.items():
                s.groups[dim][g] = set(members)
        for dim, cats in c["dimensions"]["finest"].items():
            s.finest[dim] |= set(cats)
        for t in c["tables"]:
            if t["kind"] != "count":
                continue
            for coords, value, _lo, _hi, status in t["cells"]:
                k = key(t["measure"], coords)
                if status == "":
                    s.values[k] = value
                elif status == "..":
                    s.hidden.add(k)
    s.hidden -= set(s.values)
    return s


def members(s: Served, dim: str, value: str) -> set[str] | None:
    if value == TOTAL:
        return set(s.finest.get(dim, ()))
    if value in s.groups.get(dim, {}):
        return set(s.groups[dim][value])
    return None


def equations(s: Served) -> list[tuple[tuple, list[tuple]]]:
    """total = Σ parts along every dimension of every served cell whose value there is a total or a group,
    where some part is served (a split the releases publish; parts a table leaves out become unknowns)."""
    out = []
    seen = set()
    known = set(s.values) | s.hidden
    for k in sorted(known):
        measure, coords = k
        d = dict(coords)
        for dim, v in coords:
            parts = members(s, dim, v)
            if not parts or len(parts) < 2:
                continue
            children = [key(measure, {**d, dim: p}) for p in sorted(parts)]
            if not any(c in known for c in children):
                continue
            sig = (k, tuple(children))
            if sig not in seen:
                seen.add(sig)
                out.append((k, children))
    return out


def attack(s: Served, T: int = 5, zeros_visible: bool = True, truth: dict | None = None,
           skip_settled: bool = True) -> list[Leak]:
    eqs = equations(s)
    cells = sorted({*s.values, *s.hidden, *(c for t, ps in eqs for c in (t, *ps))})
    idx = {c: i for i, c in enumerate(cells)}
    rows, cols, vals = [], [], []
    for r, (tot, parts) in enumerate(eqs):
        rows.append(r); cols.append(idx[tot]); vals.append(1.0)
        for p in parts:
            rows.append(r); cols.append(idx[p]); vals.append(-1.0)
    A = sparse.csr_matrix((vals, (rows, cols)), shape=(len(eqs), len(cells)))
    lb = np.zeros(len(cells))
    ub = np.full(len(cells), np.inf)
    for c, v in s.values.items():
        lb[idx[c]] = ub[idx[c]] = v
    for c in s.hidden:
        lb[idx[c]] = 1.0 if zeros_visible else 0.0
    free = [c for c in cells if c not in s.values]
    leaks: list[Leak] = []
    h = _highs(A, lb, ub)
    # Every LP solution is a point the served tables allow, so each cell's range over the solutions seen
    # so far lies inside its true range. A cell whose seen range already shows it is neither exact nor
    # pinned to 1..T−1 needs no LPs of its own (same verdicts, far fewer LPs).
    seen_lo = np.full(len(cells), np.inf)
    seen_hi = np.full(len(cells), -np.inf)

    def lp(c, sense):
        i = idx[c]
        h.changeColCost(i, 1.0)
        h.changeObjectiveSense(highspy.ObjSense.kMinimize if sense == "min" else highspy.ObjSense.kMaximize)
        h.run()
        st = h.getModelStatus()
        if st == highspy.HighsModelStatus.kUnknown:
            # HiGHS can stop without a verdict when it goes on from an earlier solve's basis: solve anew.
            h.clearSolver()
            h.run()
            st = h.getModelStatus()
        value = h.getInfo().objective_function_value  # read before the cost is reset (that clears it)
        if st == highspy.HighsModelStatus.kOptimal:
            x = np.asarray(h.getSolution().col_value)
            np.minimum(seen_lo, x, out=seen_lo)
            np.maximum(seen_hi, x, out=seen_hi)
        h.changeColCost(i, 0.0)
        if st in (highspy.HighsModelStatus.kUnbounded, highspy.HighsModelStatus.kUnboundedOrInfeasible):
            return math.inf if sense == "max" else 0.0
        if st != highspy.HighsModelStatus.kOptimal:
            raise AssertionError(f"the served tables are inconsistent ({h.modelStatusToString(st)})")
        return value

    def settled(c) -> bool:
        """The seen range [a, b] proves lo ≤ ⌈a⌉ < ⌊b⌋ ≤ hi: not exact; and not pinned when ⌈a⌉ < 1 or ⌊b⌋ ≥ T."""
        if not np.isfinite(seen_lo[idx[c]]):
            return False  # no solution seen yet
        a, b = math.ceil(seen_lo[idx[c]] - 1e-7), math.floor(seen_hi[idx[c]] + 1e-7)
        return b > a and (a < 1 or b >= T)

    for c in free:
        if skip_settled and settled(c):
            continue
        lo, hi = math.ceil(lp(c, "min") - 1e-7), lp(c, "max")
        hi = math.floor(hi + 1e-7) if math.isfinite(hi) else math.inf
        v = None if truth is None else truth.get(c)
        if c in s.hidden and lo == hi:
            leaks.append(Leak("exact", c, lo, hi))
        elif lo >= 1 and hi <= T - 1:
            leaks.append(Leak("pinned", c, lo, hi))
        elif c not in s.hidden and lo == hi and v is not None and 1 <= v <= T - 1:
            leaks.append(Leak("exact-unserved", c, lo, hi))
    for tot, parts in eqs:
        if tot in s.values and any(p not in s.values for p in parts) and zeros_visible:
            rest = s.values[tot] - sum(s.values.get(p, 0) for p in parts if p in s.values)
            if 1 <= rest <= T - 1:
                leaks.append(Leak("relation-sum", tot, rest, rest))
    return leaks


def _highs(A: sparse.csr_matrix, lb: np.ndarray, ub: np.ndarray) -> highspy.Highs:
    """One HiGHS model (the library, re-solved per target from the last basis): A·x = 0, lb ≤ x ≤ ub."""
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.addVars(len(lb), lb.astype(float), np.where(np.isinf(ub), highspy.kHighsInf, ub).astype(float))
    if A.shape[0]:
        A = A.tocsr()
        zeros = np.zeros(A.shape[0])
        h.addRows(A.shape[0], zeros, zeros, A.nnz, A.indptr[:-1].astype(np.int32), A.indices.astype(np.int32),
                  A.data.astype(float))
    return h


SHARE_DENOMINATORS = {
    # share table → (count measure, coordinates of the denominator besides district and year, numerator coords)
    "share_65plus": ("known_victims", {}, {"age_band": "65+"}),
    "share_disability": ("known_victims", {}, {"disability": "ja"}),
    "share_interpreter": ("known_victims", {}, {"interpreter_needed": "ja"}),
    "share_freda_screening": ("known_victims", {}, {"freda_screening": "ja"}),
    "share_freda_risk": ("known_victims", {}, {"freda_risk_assessment": "ja"}),
    "sb_grant_rate": ("applications", {"placement_type": "skyddat_boende"}, {"decision": "beviljad"}),
    "shis_share_rvt": ("placements", {"placement_type": "shis"}, {"referring_unit": "rvt"}),
    "los_share_over_60": ("placements", {"placement_type": "skyddat_boende"}, {"stay": "over:60"}),
    "missing_sex": ("cases", {}, {"missing_sex": "ja"}),
    "missing_age_band": ("cases", {}, {"missing_age_band": "ja"}),
    "missing_target_group": ("cases", {}, {"missing_target_group": "ja"}),
    "missing_handling_unit": ("cases", {}, {"missing_handling_unit": "ja"}),
    "late_registrations": ("cases", {}, {"late": "ja"}),
}


def share_leaks(content: dict, T: int = 5) -> list[Leak]:
    """A served share (rounded to its decimals) times its served denominator: does it pin the numerator
    or its complement to 1..T−1?"""
    counts = {}
    dims_of = {}
    for t in content["tables"]:
        if t["kind"] == "count":
            for coords, value, _lo, _hi, status in t["cells"]:
                if status == "":
                    counts[key(t["measure"], coords)] = value
                    dims_of.setdefault(t["measure"], set()).update(coords)
    leaks = []
    for t in content["tables"]:
        if t["name"] not in SHARE_DENOMINATORS:
            continue
        measure, fixed, _num = SHARE_DENOMINATORS[t["name"]]
        half = 0.5 * 10 ** -t["decimals"]
        for coords, value, _lo, _hi, status in t["cells"]:
            if status != "" or value is None:
                continue
            d = {dim: TOTAL for dim in dims_of.get(measure, ())}
            d.update({"district": coords["district"], "year": str(content["year"]), **fixed})
            n = counts.get(key(measure, d))
            if not n:
                continue
            for share in (value, 100 - value):
                lo, hi = (share - half) / 100 * n, (share + half) / 100 * n
                ints = [k for k in range(math.ceil(lo - 1e-9), math.floor(hi + 1e-9) + 1)]
                if ints and all(1 <= k <= T - 1 for k in ints):
                    leaks.append(Leak(f"share×count {t['name']}", (t["name"], coords["district"]), min(ints), max(ints)))
    return leaks
