"""Optimising secondary suppression: a HiGHS MILP with the greedy's pattern as the incumbent.

For one measure (what `protect_publication` hands a `protect_measure`), one binary y_c per cell that
may change (1 = hidden). Primaries and cells the history or the fixed statuses decide are constants,
like the cells no table shows (omitted: unknown to the attacker, not hideable). It minimises the
information lost (`cell_costs`) subject to

* **structural cuts** — the greedy's own relation rules written as linear constraints, in the spirit
  of Fischetti & Salazar's protection-level model: no equation has exactly one unknown that is
  hidden or a small omitted cell (C1, slivers); where the total of an equation is published, the
  other hidden members of a primary's equation carry enough mass that it can rise to T and by W
  (C3, C4; this also covers C6 and C7), an insider who knows a small primary cannot pin another
  (C8), and hidden parts next to a small omitted cell do not sum to 1..T−1 (C6);
* **attacker cuts**, added lazily: the pattern the MILP returns is audited by the real attacker
  (`run_attack`, fast first, then the full audit that decides). For every cell the attacker can
  still pin, at least one more cell of its equations must be hidden (its neighbours' equations when
  the greedy's safe pattern hides none of the first ring; the plain no-good cut "differ from this
  pattern" when it hides none of either). Then solve again.

Every cut is kept only if the greedy's pattern satisfies it, so the greedy is always feasible: the
MILP is warm-started from it, can only end at a pattern that costs no more, and when it finds none
that passes the audit within the time limit the greedy's pattern is returned. A pattern is never
returned without a full audit that passed.

Determinism: the model is built in cell-key order, HiGHS runs with a fixed random seed, one thread
and a zero gap, so the same input gives the same pattern — as long as every solve ends before the
time limit (a solve cut off by the clock returns the incumbent found by then, which can depend on
the machine's speed; `OptimalProtection.proven` says whether that happened).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import highspy
import numpy as np

from .attacker import AttackResult, HistoryCell, _new_highs
from .audit import BaseModels, run_attack
from .cells import CellKey, Registry, Relation
from .keys import HIDDEN, OMITTED, PRIMARY, PUBLISHED, SECONDARY, row_level
from .policy import Policy
from .secondary import Protection, _Protector, protect

SEED = 0


@dataclass
class OptimalProtection(Protection):
    """A protection found by the MILP (or the greedy's, when the MILP found nothing cheaper that passed)."""

    greedy: Protection | None = None
    source: str = "greedy"  # "milp" when the returned pattern is the MILP's
    cost: float = 0.0
    greedy_cost: float = 0.0
    rounds: int = 0  # MILP solves
    cuts: int = 0  # attacker cuts added
    proven: bool = False  # the last solve ended optimal (not cut off by the time limit)
    seconds: float = 0.0
    log: list[str] = field(default_factory=list)


def cell_costs(registry: Registry, pr: _Protector, cells: list[CellKey], cost: str) -> np.ndarray:
    """Information lost by hiding each cell.

    "log" (default): 1 + ln(1 + v) — every `..` costs the reader one cell, and a larger cell a little
    more (τ-Argus's logarithmic cost transform: hiding a 400 is worse than hiding a 6, but not 60 times
    worse, so the MILP does not hide many small cells to spare one large one). Doubled for a cell of a
    headline table or a margin several tables show, as the greedy also avoids those first.
    "cells": 1 per cell (the number of suppressed cells); "mass": v (the suppressed mass)."""
    out = np.empty(len(cells))
    for i, k in enumerate(cells):
        v = registry.values[k]
        if cost == "cells":
            w = 1.0
        elif cost == "mass":
            w = float(max(v, 1))
        elif cost == "log":
            w = 1.0 + math.log1p(v)
            if pr.tier(k) == 1 or pr.shared(k) or row_level(k) == "city":
                w *= 2.0
        else:
            raise ValueError(f"unknown cost {cost!r} (log, cells or mass)")
        out[i] = w
    return out


class _Rows:
    """Constraints Σ a_j y_j ≥ b over the free cells, built with constants moved to the right-hand side."""

    def __init__(self, pos: dict[CellKey, int]):
        self.pos = pos
        self.rows: list[tuple[dict[int, float], float]] = []

    def add(self, terms: dict[CellKey, float], rhs: float) -> None:
        coefs: dict[int, float] = {}
        for k, a in terms.items():
            if a:
                coefs[self.pos[k]] = coefs.get(self.pos[k], 0.0) + a
        if rhs > sum(min(a, 0.0) for a in coefs.values()) + 1e-9:  # else every pattern satisfies it
            self.rows.append((coefs, float(rhs)))

    @staticmethod
    def holds(row: tuple[dict[int, float], float], y: np.ndarray) -> bool:
        coefs, rhs = row
        return sum(a * y[j] for j, a in coefs.items()) >= rhs - 1e-9


class _Problem:
    """The MILP of one measure: free cells, constants, structural cuts, the greedy's pattern."""

    def __init__(self, registry: Registry, policy: Policy, pr: _Protector, greedy: dict[CellKey, str], cost: str,
                 safe: bool = True):
        self.r, self.p, self.pr = registry, policy, pr
        self.free = sorted(k for k in registry.values if pr.candidate_ok(k))
        # The greedy only hides cells its candidate rule allows; should it ever hide another, that cell
        # is made free too, so that its pattern stays a point of the model.
        extra = sorted(k for k, s in greedy.items() if s in HIDDEN and pr.status[k] == PUBLISHED and k not in self.free)
        self.free = sorted(self.free + extra)
        self.pos = {k: i for i, k in enumerate(self.free)}
        self.cost = cell_costs(registry, pr, self.free, cost)
        self.y_greedy = np.array([1.0 if greedy[k] in HIDDEN else 0.0 for k in self.free])
        self.rows = _Rows(self.pos)
        self.safe = safe  # the greedy's pattern passed the audit: every cut must keep it feasible
        self.dropped = 0
        self._structural()
        kept = [row for row in self.rows.rows if not safe or _Rows.holds(row, self.y_greedy)]
        self.dropped = len(self.rows.rows) - len(kept)
        self.rows.rows = kept

    # h(c): 1 if c is hidden for sure (primary, history, omitted), y_c if it is free, else 0.
    def _const(self, k: CellKey) -> float:
        if k in self.pos:
            return 0.0
        return 1.0 if self.pr.status[k] != PUBLISHED else 0.0

    def _lb(self) -> int:
        return 1 if self.p.zeros_visible else 0

    def _room(self, k: CellKey) -> float:
        """How far a hidden cell can move down to let another rise: v − lb (suppressed), v (omitted)."""
        v = self.r.values[k]
        return float(v) if self.pr.status[k] == OMITTED else float(v - self._lb())

    def _structural(self) -> None:
        T, lb = self.p.T, self._lb()
        need_up = max(T, lb + self.p.W)
        for rel in self.pr.relations:
            cells = (rel.total, *rel.members)
            for c in cells:
                others = [d for d in cells if d != c]
                # No lone unknown: if c is hidden (or a small omitted cell), another cell must be unknown too.
                small_omitted = self.pr.status[c] == OMITTED and 1 <= self.r.values[c] <= T - 1
                hidden_c = self.pr.status[c] in HIDDEN
                if c in self.pos or hidden_c or small_omitted:
                    terms = {d: 1.0 for d in others if d in self.pos}
                    need = 1.0 - sum(self._const(d) for d in others)
                    if c in self.pos:  # Σ_{d≠c} h_d ≥ y_c
                        terms[c] = -1.0
                        need -= 1.0
                    self.rows.add(terms, need)
            self._protection_levels(rel, need_up, T, lb)

    def _protection_levels(self, rel: Relation, need_up: int, T: int, lb: int) -> None:
        """C3/C4 (and so C6, C7) and C8 for the primaries of an equation whose total is published; the
        total hidden relaxes them (big M), as the greedy skips such equations."""
        if rel.total in self.pos:
            t_free = True
        elif self.pr.status[rel.total] != PUBLISHED:
            return
        else:
            t_free = False
        members = rel.members
        primaries = [m for m in members if self.pr.status[m] == PRIMARY]
        omitted_small = [m for m in members if self.pr.status[m] == OMITTED and 1 <= self.r.values[m] <= T - 1]

        def mass_rows(rhs_total: float, value_of) -> None:
            """Σ_m value_of(m)·h_m + M·y_total ≥ rhs_total."""
            terms: dict[CellKey, float] = {}
            const = 0.0
            for m in members:
                a = value_of(m)
                if m in self.pos:
                    terms[m] = a
                else:
                    const += a * self._const(m)
            rhs = rhs_total - const
            if t_free:
                terms[rel.total] = max(rhs, 0.0)
            self.rows.add(terms, rhs)

        if primaries:
            mass_rows(need_up - lb, self._room)
            small = [p for p in primaries if self.r.values[p] <= self.p.insider_k]
            if len(primaries) > 1:
                for p in small:
                    mass_rows(T - 2 * lb + self.r.values[p], self._room)
        elif omitted_small and self.p.zeros_visible:
            mass_rows(T, lambda m: float(self.r.values[m]))

    def pattern(self, y: np.ndarray) -> dict[CellKey, str]:
        status = dict(self.pr.status)
        for k, v in zip(self.free, y):
            if v > 0.5:
                status[k] = SECONDARY
        return status

    def value(self, y: np.ndarray) -> float:
        return float(self.cost @ y)

    # --- attacker cuts -------------------------------------------------------------------------------
    def cut_for(self, cell: CellKey, hints: tuple[CellKey, ...], y: np.ndarray) -> tuple[dict[int, float], float]:
        """A cut that the pattern y violates and the greedy's pattern satisfies: one more hidden cell among
        the finding's hints and the cell's equations; else its neighbours' equations; else any other
        pattern than y."""
        rels = self.pr.by_cell.get(cell, [])
        if not rels and cell not in self.r.values:
            near0 = set(self.pr._containing(cell))  # an atom: the cells that contain it
        else:
            near0 = {c for rel in rels for c in (rel.total, *rel.members)} | {cell}
        ring1 = near0 | set(hints)
        ring2 = ring1 | {c for rel in self.pr._next_ring(rels) for c in (rel.total, *rel.members)}
        for ring in (ring1, ring2):
            idx = sorted(self.pos[c] for c in ring if c in self.pos and y[self.pos[c]] < 0.5)
            if idx and (not self.safe or any(self.y_greedy[j] > 0.5 for j in idx)):
                return ({j: 1.0 for j in idx}, 1.0)
        # No-good: Σ_{y_j=0} y_j + Σ_{y_j=1} (1 − y_j) ≥ 1.
        coefs = {j: (1.0 if y[j] < 0.5 else -1.0) for j in range(len(y))}
        return (coefs, 1.0 - float(sum(1 for j in range(len(y)) if y[j] > 0.5)))


class _Solver:
    """One HiGHS MILP instance; cuts are added as rows between solves."""

    def __init__(self, prob: _Problem):
        self.prob = prob
        n = len(prob.free)
        h = _new_highs()
        h.setOptionValue("output_flag", False)
        h.setOptionValue("random_seed", SEED)
        h.setOptionValue("mip_rel_gap", 0.0)
        h.setOptionValue("mip_abs_gap", 1e-6)
        lower = np.zeros(n)
        upper = np.ones(n)
        h.addVars(n, lower, upper)
        if n:
            h.changeColsCost(n, np.arange(n, dtype=np.int32), prob.cost.astype(float))
            h.changeColsIntegrality(n, np.arange(n, dtype=np.int32),
                                    np.array([highspy.HighsVarType.kInteger] * n))
        self.h = h
        for row in prob.rows.rows:
            self.add_row(row)

    def add_row(self, row: tuple[dict[int, float], float]) -> None:
        coefs, rhs = row
        idx = np.array(sorted(coefs), dtype=np.int32)
        vals = np.array([coefs[j] for j in idx], dtype=float)
        self.h.addRow(float(rhs), highspy.kHighsInf, len(idx), idx, vals)

    def solve(self, start: np.ndarray | None, time_limit: float) -> tuple[np.ndarray | None, bool]:
        h = self.h
        h.setOptionValue("time_limit", max(time_limit, 0.1))
        n = len(self.prob.free)
        if start is not None and n:
            sol = highspy.HighsSolution()
            sol.col_value = start.astype(float).tolist()
            sol.value_valid = True
            h.setSolution(sol)
        h.run()
        st = h.getModelStatus()
        info = h.getInfo()
        if info.primal_solution_status != 2:  # no feasible solution
            return None, False
        y = np.round(np.asarray(h.getSolution().col_value[:n]))
        return y, st == highspy.HighsModelStatus.kOptimal


def _fixable(audit: AttackResult):
    return [f for f in audit.findings if f.cell is not None and f.criterion not in ("U1", "C9")]


def protect_optimal(registry: Registry, policy: Policy | None = None, *,
                    history: dict[CellKey, HistoryCell] | None = None,
                    initial: dict[CellKey, str] | None = None, fixed: dict[CellKey, str] | None = None,
                    time_limit: float = 60.0, cost: str = "log", max_rounds: int = 40,
                    greedy: Protection | None = None, check_atoms: bool = True,
                    rescue: bool = False) -> OptimalProtection:
    """The least costly pattern found within `time_limit` seconds that passes the full audit.

    Starts from the greedy (`protect`, or `greedy` if given). When the greedy's pattern fails the
    audit, its result is returned as it is and the fallback ladder lifts a table, as without the MILP;
    with `rescue`, the MILP first looks for a pattern that passes, within a third of the time limit
    (the ladder may call it once per step). Off by default: on the generated cities the greedy's
    failures were insiders who know a small city cell of a breakdown (C8), which no suppression of
    district cells can mend, and the rescue only cost time.
    """
    policy = policy or Policy()
    history = history or {}
    t0 = time.perf_counter()
    if greedy is None:
        greedy = protect(registry, policy, history=history, initial=initial, fixed=fixed, check_atoms=check_atoms,
                         stop_when_stuck=not rescue)  # a stuck greedy goes to the ladder unless rescued
    pr = _Protector(registry, policy, history, initial=initial, fixed=fixed)

    def result(prot: Protection, source: str, **kw) -> OptimalProtection:
        return OptimalProtection(prot.status, prot.audit, greedy.iterations + kw.pop("rounds", 0), pr.relations,
                                 getattr(prot, "because", None) or {}, greedy=greedy, source=source,
                                 seconds=time.perf_counter() - t0, **kw)

    # When the greedy fails, the MILP still looks for a pattern that passes (the ladder would otherwise lift a
    # table); its cuts then need not spare the greedy's pattern, and the greedy's result is returned as it
    # is (for the ladder) unless a pattern that passes the full audit is found.
    safe = greedy.audit.passed
    if not safe and not rescue:
        return result(greedy, "greedy", log=["the greedy's pattern fails the audit: the ladder decides"])
    prob = _Problem(registry, policy, pr, greedy.status, cost, safe=safe)
    g_cost = prob.value(prob.y_greedy)
    log = [f"{len(prob.free)} free cells, {len(prob.rows.rows)} structural cuts "
           f"({prob.dropped} the greedy's pattern breaks were left out), greedy cost {g_cost:.3f}"
           + ("" if safe else ", the greedy's pattern fails the audit")]
    if not len(prob.free) or (safe and not prob.y_greedy.any()):
        return result(greedy, "greedy", cost=g_cost, greedy_cost=g_cost, proven=safe, log=log)
    if not safe:
        time_limit = time_limit / 3
    solver = _Solver(prob)
    best_y, best_cost, best_audit = prob.y_greedy, (g_cost if safe else math.inf), greedy.audit
    start = prob.y_greedy if safe else None
    rounds = cuts = 0
    proven = False
    while rounds < max_rounds:
        left = time_limit - (time.perf_counter() - t0)
        if left <= 0:
            log.append("time limit reached")
            break
        rounds += 1
        y, optimal = solver.solve(start, left)
        if y is None:
            log.append(f"round {rounds}: no solution")
            break
        c = prob.value(y)
        log.append(f"round {rounds}: cost {c:.3f} ({int(y.sum())} free cells hidden), "
                   f"{'optimal' if optimal else 'time limit'}")
        if c >= best_cost - 1e-6:
            # Nothing cheaper than the best audited pattern satisfies the cuts (or was found in time).
            proven = optimal
            break
        status = prob.pattern(y)
        audit = None
        models = BaseModels()  # the full audit goes on from the fast one's models (the same pattern)
        for fast in (True, False):
            audit = run_attack(registry, status, policy, history=history, relations=pr.relations,
                               check_atoms=check_atoms, fast=fast, certify=True, models=models)
            if _fixable(audit) or audit.findings:
                break
        fixable = _fixable(audit)
        if audit.passed:
            best_y, best_cost, best_audit = y, c, audit
            proven = optimal
            log.append(f"round {rounds}: passes the full audit")
            if optimal:
                break  # optimal under every cut so far, and safe
            start = y
            continue
        if not fixable:
            log.append(f"round {rounds}: fails with nothing to cut on ({sorted({f.criterion for f in audit.findings})})")
            break
        hints: dict[CellKey, tuple[CellKey, ...]] = {}
        for f in fixable:
            hints[f.cell] = hints.get(f.cell, ()) + tuple(f.cells)
        added = set()
        for cell in sorted(hints):
            row = prob.cut_for(cell, hints[cell], y)
            sig = (tuple(sorted(row[0].items())), row[1])
            if sig not in added:
                added.add(sig)
                solver.add_row(row)
        cuts += len(added)
        log.append(f"round {rounds}: {len(fixable)} findings, {len(added)} cuts")
        start = best_y if math.isfinite(best_cost) else None
    seconds = time.perf_counter() - t0
    if best_cost < (g_cost if safe else math.inf) - 1e-6:
        status = prob.pattern(best_y)
        return OptimalProtection(status, best_audit, greedy.iterations + rounds, pr.relations, {}, greedy=greedy,
                                 source="milp", cost=best_cost, greedy_cost=g_cost, rounds=rounds, cuts=cuts,
                                 proven=proven, seconds=seconds, log=log)
    out = result(greedy, "greedy", cost=g_cost, greedy_cost=g_cost, cuts=cuts, proven=proven, log=log)
    out.rounds = rounds
    return out


def optimal_measure(history: dict[CellKey, HistoryCell] | None = None, *, time_limit: float = 60.0,
                    cost: str = "log", rescue: bool = False):
    """A `protect_measure` for `protect_publication`: the MILP per measure, with `time_limit` seconds each."""
    def run(reg: Registry, pol: Policy, initial, fixed_):
        return protect_optimal(reg, pol, history=history, initial=initial, fixed=fixed_, time_limit=time_limit,
                               cost=cost, rescue=rescue)
    return run
