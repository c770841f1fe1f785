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
from contextlib import contextmanager
from dataclasses import dataclass, field

import highspy
import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp

from .cells import CellKey, Registry, Universe
from .keys import OMITTED, PRIMARY, PUBLISHED, SECONDARY  # noqa: F401 (re-exported)
from .policy import Policy

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

    status: str  # "published", "suppressed" or "omitted"
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
    constants: dict[CellKey, float] = field(default_factory=dict)  # cells known exactly (not variables)

    def target(self, key: CellKey) -> np.ndarray:
        if key in self.constants:
            raise KeyError(f"{key.label()} is known exactly")
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
            # Every solve after the first changes only the objective (or a few bounds) and starts from the
            # last basis, which a new objective leaves primal feasible: the primal simplex goes on from
            # there in a few iterations, while the default (dual simplex after presolve) redoes the
            # presolve and a phase 1 each time. Same optima; 3–5× less time per solve measured on a
            # release's models (docs/performance.md).
            h.setOptionValue("presolve", "off")
            h.setOptionValue("simplex_strategy", 4)
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
            x = np.asarray(h.getSolution().col_value)
            self._observe(x)
            return "optimal", h.getInfo().objective_function_value, x
        if st in (highspy.HighsModelStatus.kUnbounded, highspy.HighsModelStatus.kUnboundedOrInfeasible):
            return "unbounded", math.inf, None
        return "infeasible", math.nan, None

    # Every LP solution is a feasible point of the attacker's polytope, so the range each tracked
    # target has taken over the solutions seen so far lies inside its true interval. When that seen
    # range already satisfies every criterion, the target's own LPs cannot change the verdict.
    def track(self, keys: list[CellKey]) -> None:
        """Record the values of these targets in every solution from now on (see `seen`)."""
        keys = [k for k in keys if k not in self.constants]
        if getattr(self, "_track_M", None) is not None and list(self._track_pos) == keys:
            # Already tracked: a base model kept from an earlier audit of the same pattern (`audit.BaseModels`).
            # Its points are points of this model and stay. (`track` is called on the outer model only, never
            # inside `rebounded`, where the points of the looser outer polytope would not belong.)
            return
        rows, cols = [], []
        for i, k in enumerate(keys):
            idx = np.asarray(self.target(k), dtype=np.int64)
            rows.extend([i] * len(idx))
            cols.extend(idx.tolist())
        self._track_pos = {k: i for i, k in enumerate(keys)}
        self._track_M = sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(keys), self.n))
        self._seen_lo = np.full(len(keys), math.inf)
        self._seen_hi = np.full(len(keys), -math.inf)
        # The same over whole-number solutions only: their range lies inside the *integer* interval,
        # so a range that passes needs no integer programming (the truth is one such point).
        self._iseen_lo = np.full(len(keys), math.inf)
        self._iseen_hi = np.full(len(keys), -math.inf)
        # Stored by cell (one row per tracked cell, one column per point): the insider check reads one
        # cell's values over all points, then a few cells' values over some points.
        self._points = np.empty((len(keys), 64))
        self._points_integral = np.zeros(64, dtype=bool)
        self._n_points = 0

    _MAX_POINTS = 20_000

    def _observe(self, x: np.ndarray) -> None:
        if getattr(self, "_track_M", None) is not None:
            v = self._track_M @ x
            np.minimum(self._seen_lo, v, out=self._seen_lo)
            np.maximum(self._seen_hi, v, out=self._seen_hi)
            integral = bool(np.all(np.abs(x - np.round(x)) < 1e-7))
            if integral:
                np.minimum(self._iseen_lo, v, out=self._iseen_lo)
                np.maximum(self._iseen_hi, v, out=self._iseen_hi)
            if self._n_points < self._MAX_POINTS:
                if self._n_points == self._points.shape[1]:
                    self._points = np.hstack([self._points, np.empty_like(self._points)])
                    self._points_integral = np.concatenate([self._points_integral, np.zeros_like(self._points_integral)])
                self._points[:, self._n_points] = v
                self._points_integral[self._n_points] = integral
                self._n_points += 1

    def points(self) -> np.ndarray:
        """Every solution seen since `track` (only in models at least as tight as the tracked one —
        `rebounded` only ever tightens), as columns: row i holds the i-th tracked target's values
        (`tracked_position`), column j the j-th point."""
        if getattr(self, "_track_M", None) is None:
            return np.empty((0, 0))
        return self._points[:, : self._n_points]

    def values_at_points(self, keys) -> np.ndarray | None:
        """Each key's value (a row) at every point seen since `track` (a column); None when there are no
        points or a key is neither known exactly nor tracked."""
        pts = self.points()
        pos = getattr(self, "_track_pos", {})
        if not pts.shape[1] or any(k not in self.constants and k not in pos for k in keys):
            return None
        return np.array([np.full(pts.shape[1], self.constants[k]) if k in self.constants else pts[pos[k]]
                         for k in keys])

    def points_integral(self) -> np.ndarray:
        """Which of `points()` came from whole-number solutions."""
        if getattr(self, "_track_M", None) is None:
            return np.zeros(0, dtype=bool)
        return self._points_integral[: self._n_points]

    def _add_below_target_rows(self, h, keys: list[CellKey], cols: list[int]) -> None:
        """One row per key: column cols[j] − target(keys[j]) ≤ 0 (an added variable held below a target)."""
        starts, idx, vals = [], [], []
        for key, col in zip(keys, cols):
            starts.append(len(idx))
            idx.append(col); vals.append(1.0)
            for t in np.asarray(self.target(key), dtype=np.int64):
                idx.append(int(t)); vals.append(-1.0)
        k = len(keys)
        h.addRows(k, np.full(k, -highspy.kHighsInf), np.zeros(k), len(idx), np.asarray(starts, dtype=np.int32),
                  np.asarray(idx, dtype=np.int32), np.asarray(vals, dtype=float))

    def push_up_columns(self, cols: np.ndarray, caps: np.ndarray) -> bool:
        """One LP that pushes many targets (single variables, by column) up at once, towards their caps:
        the targets' upper bounds are lowered to their caps for one solve of max Σ target, then restored.
        Capping spreads the mass (the plain sum would pile everything into one cell), so that as many
        targets as possible reach their cap; the solution is observed like any other. The capped polytope
        lies inside the model's, so its solution is a point of the model; the truth (every target at or
        below its cap) keeps it feasible. No rows or columns are added, so the solve starts from the last
        basis (adding and removing a column and a row per target, as before, cost a cold start)."""
        h = self._solver()
        old_ub = self.ub[cols].copy()
        new_ub = np.minimum(old_ub, np.maximum(caps, self.lb[cols]))
        c32 = cols.astype(np.int32)
        h.changeColsBounds(len(cols), c32, self.lb[cols].astype(float), new_ub)
        try:
            status, _, _ = self._lp(cols, "max")
        finally:
            h.changeColsBounds(len(cols), c32, self.lb[cols].astype(float),
                               np.where(np.isinf(old_ub), highspy.kHighsInf, old_ub))
        return status == "optimal"

    def max_min(self, keys: list[CellKey]) -> float:
        """max t subject to t ≤ each target (the largest value all of them can take at once): the upper
        Fréchet bound of their intersection. An extra column and one row per key, removed after."""
        consts = [self.constants[k] for k in keys if k in self.constants]
        var_keys = [k for k in keys if k not in self.constants]
        cap = min(consts) if consts else highspy.kHighsInf
        if not var_keys:
            return float(cap)
        h = self._solver()
        n0, m0, k = self.n, h.getNumRow(), len(var_keys)
        if len(self._cost_idx):
            h.changeColsCost(len(self._cost_idx), self._cost_idx.astype(np.int32), np.zeros(len(self._cost_idx)))
            self._cost_idx = np.array([], dtype=np.int64)
        h.addCols(1, np.ones(1), np.zeros(1), np.array([float(cap)]), 0, np.zeros(1, dtype=np.int32),
                  np.array([], dtype=np.int32), np.array([], dtype=float))
        self._add_below_target_rows(h, var_keys, [n0] * k)
        h.changeObjectiveSense(highspy.ObjSense.kMaximize)
        try:
            h.run()
            st = h.getModelStatus()
            if st == highspy.HighsModelStatus.kOptimal:
                value = float(h.getInfo().objective_function_value)
            elif st in (highspy.HighsModelStatus.kUnbounded, highspy.HighsModelStatus.kUnboundedOrInfeasible):
                value = math.inf
            else:
                value = math.nan
        finally:
            h.deleteRows(k, np.arange(m0, m0 + k, dtype=np.int32))
            h.deleteCols(1, np.array([n0], dtype=np.int32))
        return value

    def min_linear(self, coef: dict[CellKey, float]) -> float:
        """min Σ coef·cell over the model (constants included): a lower Fréchet bound."""
        offset = sum(c * self.constants[k] for k, c in coef.items() if k in self.constants)
        idx, cost = [], []
        for k, c in coef.items():
            if k in self.constants:
                continue
            for t in np.asarray(self.target(k), dtype=np.int64):
                idx.append(int(t)); cost.append(c)
        if not idx:
            return float(offset)
        order = np.argsort(idx)
        uidx, start = np.unique(np.asarray(idx)[order], return_index=True)
        summed = np.add.reduceat(np.asarray(cost, dtype=float)[order], start)
        status, value, _ = self._lp(uidx.astype(np.int64), "min", cost=summed)
        if status == "unbounded":
            return -math.inf
        if status != "optimal":
            return math.nan
        return float(value) + offset

    def tracked_position(self, key: CellKey) -> int:
        return self._track_pos[key]

    def seen(self, key: CellKey) -> tuple[float, float] | None:
        """The smallest and largest value the target has taken in a solution so far (None if untracked or unseen)."""
        i = getattr(self, "_track_pos", {}).get(key)
        if i is None or not math.isfinite(self._seen_lo[i]):
            return None
        return float(self._seen_lo[i]), float(self._seen_hi[i])

    def seen_integral(self, key: CellKey) -> tuple[float, float] | None:
        """The range over whole-number solutions only (None if untracked or none seen)."""
        i = getattr(self, "_track_pos", {}).get(key)
        if i is None or not math.isfinite(self._iseen_lo[i]):
            return None
        return float(round(self._iseen_lo[i])), float(round(self._iseen_hi[i]))

    def observe_if_feasible(self, x: np.ndarray) -> None:
        """Add a known point (the true table) to the seen ranges if it satisfies the model."""
        if getattr(self, "_track_M", None) is None or len(x) != self.n or np.isnan(x).any():
            return
        if np.all(x >= self.lb - 1e-9) and np.all(x <= self.ub + 1e-9) and \
                (not self.A_eq.shape[0] or np.allclose(self.A_eq @ x, self.b_eq, atol=1e-7)):
            self._observe(x)

    def sweep(self, keys: list[CellKey], done, max_rounds: int = 200) -> list[CellKey]:
        """Push the targets not yet `done` up together (max of their sum), then down (min), and again,
        while that settles any of them; returns those still not done. One LP often settles dozens of
        targets that would otherwise need two LPs each."""
        todo = [k for k in keys if k in self._track_pos and not done(k)]  # constants are not variables
        idle = 0
        for r in range(max_rounds):
            if not todo or idle >= 2:
                break
            cost = np.asarray(self._track_M[[self._track_pos[k] for k in todo]].sum(axis=0)).ravel()
            status, _, _ = self._lp(np.arange(self.n, dtype=np.int64), "max" if r % 2 == 0 else "min", cost=cost)
            left = [k for k in todo if not done(k)]
            idle = idle + 1 if (len(left) == len(todo) or status != "optimal") else 0
            todo = left
        return todo

    @contextmanager
    def rebounded(self, bounds: dict[CellKey, tuple[float, float]]):
        """The same model with tighter bounds on some cells (an insider's known cells), changed in place
        in the solver and restored afterwards. Seen ranges belong to a polytope, so the outer model's
        are set aside inside and restored after; the points found inside lie in the outer polytope too
        and are kept (`points`)."""
        h = self._solver()
        old = {}
        for key, (lo, hi) in bounds.items():
            (i,) = self.index[key]
            if lo < self.lb[i] - 1e-9 or hi > self.ub[i] + 1e-9:
                raise ValueError("rebounded only tightens bounds")
            old[int(i)] = (self.lb[i], self.ub[i])
            self.lb[i], self.ub[i] = lo, hi
            h.changeColBounds(int(i), float(lo), highspy.kHighsInf if math.isinf(hi) else float(hi))
        saved = (getattr(self, "_seen_lo", None), getattr(self, "_seen_hi", None), self.feasible,
                 getattr(self, "_iseen_lo", None), getattr(self, "_iseen_hi", None))
        if saved[0] is not None:
            self._seen_lo, self._seen_hi = np.full_like(saved[0], math.inf), np.full_like(saved[1], -math.inf)
            self._iseen_lo, self._iseen_hi = np.full_like(saved[3], math.inf), np.full_like(saved[4], -math.inf)
        try:
            yield self
        finally:
            for i, (lo, hi) in old.items():
                self.lb[i], self.ub[i] = lo, hi
                h.changeColBounds(i, float(lo), highspy.kHighsInf if math.isinf(hi) else float(hi))
            if saved[0] is not None:
                self._seen_lo, self._seen_hi = saved[0], saved[1]
                self._iseen_lo, self._iseen_hi = saved[3], saved[4]
            self.feasible = saved[2]

    def fixed(self, known: dict[CellKey, float]):
        """The model with these cells known exactly (an insider; several at once for a coalition)."""
        return self.rebounded({k: (v, v) for k, v in known.items()})

    def _integral_solution(self, sense: str) -> bool:
        sol = getattr(self, "_last", {}).get(sense)
        return sol is not None and bool(np.all(np.abs(sol - np.round(sol)) < 1e-7))

    def bound(self, key: CellKey, sense: str, *, integer: bool = False, time_limit: float = 5.0) -> float:
        """min or max of the target; +inf when unbounded above; NaN when the model is infeasible."""
        if key in self.constants:
            return self.constants[key] if self.feasible else math.nan
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
    if status == OMITTED:
        return 0.0, math.inf  # not shown anywhere: the attacker does not know it is non-zero
    lb = 1.0 if policy.zeros_visible else 0.0
    if known_primary:
        return (1.0, policy.T - 1.0) if status == PRIMARY else (float(policy.T), math.inf)
    return lb, math.inf


def build_cell_model(registry: Registry, measure: str, status: dict[CellKey, str], policy: Policy, *,
                     insider: dict[CellKey, int] | None = None, history: dict[CellKey, HistoryCell] | None = None,
                     known_primary: bool = False) -> Model:
    hist = {k: h for k, h in (history or {}).items() if k.measure == measure}
    keys = sorted({k for k in registry.values if k.measure == measure} | set(hist), key=CellKey.order)
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
            elif k not in registry.values and h.status != OMITTED:
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
    # Cells known exactly (published, insiders', history) are constants, not variables: the LP keeps
    # only the unknown cells and the equations that contain one, which makes every solve several times
    # smaller. An equation of constants alone stays (as 0 = residual) only if it does not hold, so an
    # inconsistent history still makes the model infeasible.
    fixed = lb == ub
    free = np.flatnonzero(~fixed)
    b = -(A[:, np.flatnonzero(fixed)] @ lb[fixed]) if fixed.any() else np.zeros(r)
    A_free = A[:, free].tocsr()
    has_free = np.diff(A_free.indptr) > 0
    keep = has_free | (np.abs(b) > 1e-9)
    new_pos = {keys[j]: np.array([i]) for i, j in enumerate(free)}
    constants = {keys[j]: float(lb[j]) for j in np.flatnonzero(fixed)}
    model = Model(len(free), A_free[keep], b[keep], lb[free], ub[free], new_pos, constants=constants)
    if (~has_free & keep).any():
        model.feasible = False
    return model


def build_atom_model(registry: Registry, measure: str, status: dict[CellKey, str], policy: Policy, *,
                     insider: dict[CellKey, int] | None = None, history: dict[CellKey, HistoryCell] | None = None,
                     known_primary: bool = False) -> Model:
    hist = {k: h for k, h in (history or {}).items() if k.measure == measure}
    universe = registry.universe(measure, extra_cells=list(hist))
    cells = sorted((k for k in registry.values if k.measure == measure), key=CellKey.order)
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
        elif policy.zeros_visible and h.status != OMITTED:
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
    cells: tuple[CellKey, ...] = ()  # for a sliver: the published cells it is the intersection of


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
    findings: list[Finding] = field(default_factory=list)  # privacy: any one is a FAIL
    warnings: list[Finding] = field(default_factory=list)  # utility (U1): reported, never a refusal
    checked_atoms: int = 0
    scenarios_run: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.findings

    def failing_cells(self) -> list[CellKey]:
        return sorted({f.cell for f in self.findings if f.cell is not None})
