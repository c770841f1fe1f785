"""The attacker: what can someone who reads everything published work out? (DISCLOSURE.md §2)

Two equivalent formulations, both solved by linear programming with scipy's HiGHS:

- over **cells**: one unknown per cell of a measure; published cells are fixed, suppressed cells
  are ≥ 1 when zeros are visible, and every equation of the tables (a margin is the sum of its
  row, a region the sum of its districts, a span of years the sum of the years) is a constraint.
  Small and fast; exact when every table varies at most one dimension besides the district
  (`Registry.cell_model_is_exact`), which is how the yearly publication is built;
- over **atoms** (DISCLOSURE.md §2.2): one unknown per finest cross-classified cell; every
  published cell is a sum of atoms. Used when the cell model is not exact, and to check that no
  unpublished sliver (an atom) can be pinned to 1..T−1.

An insider (K3) fixes cells to their true values; earlier releases (S4) add their cells; knowing
which cells are primary (K2) adds 1..T−1 and ≥ T bounds. Intervals are rounded to whole numbers
and refined by integer programming (`milp`) when they are narrow enough to matter. The LPs run
in one HiGHS instance per model (highspy), re-solved from the last basis for each target.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import highspy
import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp

from .cells import CellKey, Registry, Universe
from .policy import Policy

PUBLISHED, PRIMARY, SECONDARY = "published", "primary", "secondary"

_banner_silenced = False


def _new_highs() -> highspy.Highs:
    """A HiGHS instance. HiGHS prints a banner to the process's stdout (fd 1, from C++) the first
    time one is made; that would corrupt `--json` output, so the first one is made with fd 1 closed."""
    global _banner_silenced
    if _banner_silenced:
        return highspy.Highs()
    import os
    import sys

    sys.stdout.flush()
    saved = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        h = highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(devnull)
    _banner_silenced = True
    return h


@dataclass
class HistoryCell:
    """A cell of an earlier release, as it was published."""

    status: str  # "published" or "suppressed"
    value: int | None  # the published value; None when suppressed
    release_id: int


@dataclass
class Model:
    """min/max of a sum of variables subject to A_eq·x = b_eq, lb ≤ x ≤ ub."""

    n: int
    A_eq: sparse.csr_matrix
    b_eq: np.ndarray
    lb: np.ndarray
    ub: np.ndarray
    index: dict[CellKey, np.ndarray]  # target cell → the variables it sums
    universe: Universe | None = None  # set for the atom model
    feasible: bool = True

    def target(self, key: CellKey) -> np.ndarray:
        if key in self.index:
            return self.index[key]
        if self.universe is not None:
            return self.universe.indicator(key)
        raise KeyError(key.label())

    def _solver(self) -> highspy.Highs:
        """One HiGHS instance per model, re-solved from the last basis for every target (fast)."""
        h = getattr(self, "_h", None)
        if h is None:
            h = _new_highs()
            h.setOptionValue("output_flag", False)
            h.addVars(self.n, self.lb.astype(float), np.where(np.isinf(self.ub), highspy.kHighsInf, self.ub))
            if self.A_eq.shape[0]:
                A = self.A_eq.tocsr()
                h.addRows(A.shape[0], self.b_eq.astype(float), self.b_eq.astype(float), A.nnz,
                          A.indptr[:-1].astype(np.int32), A.indices.astype(np.int32), A.data.astype(float))
            self._h, self._cost_idx = h, np.array([], dtype=np.int64)
        return h

    def _lp(self, idx: np.ndarray, sense: str, cost: np.ndarray | None = None):
        h = self._solver()
        if len(self._cost_idx):
            h.changeColsCost(len(self._cost_idx), self._cost_idx.astype(np.int32), np.zeros(len(self._cost_idx)))
        values = np.ones(len(idx)) if cost is None else cost
        h.changeColsCost(len(idx), idx.astype(np.int32), values.astype(float))
        self._cost_idx = idx
        h.changeObjectiveSense(highspy.ObjSense.kMinimize if sense == "min" else highspy.ObjSense.kMaximize)
        h.run()
        st = h.getModelStatus()
        if st == highspy.HighsModelStatus.kOptimal:
            return "optimal", h.getInfo().objective_function_value, np.asarray(h.getSolution().col_value)
        if st in (highspy.HighsModelStatus.kUnbounded, highspy.HighsModelStatus.kUnboundedOrInfeasible):
            return "unbounded", math.inf, None
        return "infeasible", math.nan, None

    def _integral_solution(self, sense: str) -> bool:
        sol = getattr(self, "_last", {}).get(sense)
        return sol is not None and bool(np.all(np.abs(sol - np.round(sol)) < 1e-7))

    def bound(self, key: CellKey, sense: str, *, integer: bool = False, time_limit: float = 5.0) -> float:
        """min or max of the target; +inf when unbounded above; NaN when the model is infeasible."""
        idx = np.asarray(self.target(key), dtype=np.int64)
        if integer:
            c = np.zeros(self.n)
            c[idx] = 1.0 if sense == "min" else -1.0
            cons = [LinearConstraint(self.A_eq, self.b_eq, self.b_eq)] if self.A_eq.shape[0] else []
            res = milp(c, constraints=cons, integrality=np.ones(self.n), bounds=Bounds(self.lb, self.ub),
                       options={"time_limit": time_limit, "disp": False})
            if res.status == 0:
                return res.fun if sense == "min" else -res.fun
            return math.nan  # time limit or trouble: not proven safe
        status, value, x = self._lp(idx, sense)
        self._last = {**getattr(self, "_last", {}), sense: x}
        if status == "unbounded":
            return math.inf if sense == "max" else 0.0
        if status != "optimal":
            self.feasible = False
            return math.nan
        return value

    def interval(self, key: CellKey, *, refine_below: float, time_limit: float = 5.0) -> tuple[float, float, bool]:
        """Whole-number bounds (lo, hi, certain): LP, then integer programming when hi − lo < refine_below.

        refine_below = 0 skips the integer step (the in-loop audits; the final audit always refines).
        """
        lo, hi = self.bound(key, "min"), self.bound(key, "max")
        if math.isnan(lo) or math.isnan(hi):
            return lo, hi, False
        lo = float(math.ceil(lo - 1e-7))
        hi = float(math.floor(hi + 1e-7)) if math.isfinite(hi) else math.inf
        # Only the fractional-vertex case needs integer programming: an LP with an integral optimum
        # at both ends already has the integer bounds.
        if hi > lo and hi - lo < refine_below and not (self._integral_solution("min") and self._integral_solution("max")):
            ilo = self.bound(key, "min", integer=True, time_limit=time_limit)
            ihi = self.bound(key, "max", integer=True, time_limit=time_limit)
            if math.isnan(ilo) or math.isnan(ihi):
                return lo, hi, False
            lo, hi = float(round(ilo)), float(round(ihi))
        return lo, hi, True

    def feasible_points(self, k: int, seed: int = 0) -> list[np.ndarray]:
        """A few vertex solutions (random costs): sparse points that show many targets can be 0."""
        rng = np.random.default_rng(seed)
        out = []
        for _ in range(k):
            status, _, x = self._lp(np.arange(self.n, dtype=np.int64), "min", cost=rng.random(self.n))
            if status == "optimal":
                out.append(x)
        return out


def _scenario_bounds(status: str, policy: Policy, known_primary: bool) -> tuple[float, float]:
    lb = 1.0 if policy.zeros_visible else 0.0
    if known_primary:
        return (1.0, policy.T - 1.0) if status == PRIMARY else (float(policy.T), math.inf)
    return lb, math.inf


def build_cell_model(registry: Registry, measure: str, status: dict[CellKey, str], policy: Policy, *,
                     insider: dict[CellKey, int] | None = None, history: dict[CellKey, HistoryCell] | None = None,
                     known_primary: bool = False) -> Model:
    hist = {k: h for k, h in (history or {}).items() if k.measure == measure}
    keys = sorted({k for k in registry.values if k.measure == measure} | set(hist))
    pos = {k: i for i, k in enumerate(keys)}
    n = len(keys)
    lb, ub = np.zeros(n), np.full(n, math.inf)
    for k in keys:
        i = pos[k]
        if k in registry.values:
            if status[k] == PUBLISHED:
                lb[i] = ub[i] = registry.values[k]
            else:
                lb[i], ub[i] = _scenario_bounds(status[k], policy, known_primary)
        if k in hist:
            h = hist[k]
            if h.status == PUBLISHED:
                lb[i] = ub[i] = h.value
            elif k not in registry.values:
                lb[i] = 1.0 if policy.zeros_visible else 0.0
    for k, v in (insider or {}).items():
        lb[pos[k]] = ub[pos[k]] = v
    rows, cols, vals = [], [], []
    relations = registry.relations(extra_keys=hist) if hist else registry.relations()
    r = 0
    for rel in relations:
        if rel.total.measure != measure:
            continue
        rows.append(r); cols.append(pos[rel.total]); vals.append(1.0)
        for m in rel.members:
            rows.append(r); cols.append(pos[m]); vals.append(-1.0)
        r += 1
    A = sparse.csr_matrix((vals, (rows, cols)), shape=(r, n))
    return Model(n, A, np.zeros(r), lb, ub, {k: np.array([pos[k]]) for k in keys})


def build_atom_model(registry: Registry, measure: str, status: dict[CellKey, str], policy: Policy, *,
                     insider: dict[CellKey, int] | None = None, history: dict[CellKey, HistoryCell] | None = None,
                     known_primary: bool = False) -> Model:
    hist = {k: h for k, h in (history or {}).items() if k.measure == measure}
    universe = registry.universe(measure, extra_cells=list(hist))
    cells = sorted(k for k in registry.values if k.measure == measure)
    eq_keys, eq_vals, ge_keys, ge_vals, le_keys, le_vals = [], [], [], [], [], []
    for k in cells:
        if status[k] == PUBLISHED:
            eq_keys.append(k); eq_vals.append(registry.values[k])
        else:
            lo, hi = _scenario_bounds(status[k], policy, known_primary)
            if lo > 0:
                ge_keys.append(k); ge_vals.append(lo)
            if math.isfinite(hi):
                le_keys.append(k); le_vals.append(hi)
    for k, h in hist.items():
        if h.status == PUBLISHED:
            eq_keys.append(k); eq_vals.append(h.value)
        elif policy.zeros_visible:
            ge_keys.append(k); ge_vals.append(1.0)
    for k, v in (insider or {}).items():
        eq_keys.append(k); eq_vals.append(v)
    # Inequalities become equalities with a slack variable each, so one LP form serves both models.
    n_atoms = universe.size
    n_slack = len(ge_keys) + len(le_keys)
    blocks = []
    if eq_keys:
        blocks.append(sparse.hstack([registry.matrix(universe, eq_keys), sparse.csr_matrix((len(eq_keys), n_slack))]))
    if n_slack:
        A_in = registry.matrix(universe, ge_keys + le_keys)
        signs = np.concatenate([-np.ones(len(ge_keys)), np.ones(len(le_keys))])
        blocks.append(sparse.hstack([A_in, sparse.diags(signs)]))
    A = sparse.vstack(blocks).tocsr() if blocks else sparse.csr_matrix((0, n_atoms))
    b = np.asarray(eq_vals + ge_vals + le_vals, dtype=float)
    n = n_atoms + n_slack
    return Model(n, A, b, np.zeros(n), np.full(n, math.inf), {}, universe)


def build_model(registry: Registry, measure: str, status: dict[CellKey, str], policy: Policy, **kw) -> Model:
    """The cell model where it is exact, the atom model otherwise."""
    if registry.cell_model_is_exact(measure):
        return build_cell_model(registry, measure, status, policy, **kw)
    return build_atom_model(registry, measure, status, policy, **kw)


@dataclass
class Finding:
    criterion: str  # C1 … C10, U1
    scenario: str  # S0 … S4
    cell: CellKey | None
    lo: float | None = None
    hi: float | None = None
    detail: str = ""


@dataclass
class CellBounds:
    cell: CellKey
    kind: str  # primary / secondary
    lo: float
    hi: float
    certain: bool = True


@dataclass
class AttackResult:
    bounds: dict[str, dict[CellKey, CellBounds]] = field(default_factory=dict)  # scenario → cell → interval
    findings: list[Finding] = field(default_factory=list)
    checked_atoms: int = 0
    scenarios_run: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.findings

    def failing_cells(self) -> list[CellKey]:
        return sorted({f.cell for f in self.findings if f.cell is not None})
