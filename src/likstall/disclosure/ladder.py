"""The publication's protection: secondary suppression per measure, and the fallback ladder.

Measures are independent problems (no equation joins two measures), so each is protected on its
own. When secondary suppression cannot meet the criteria for a measure, the table the failing
cells sit in is *lifted* one step — district → region → city only → left out (DISCLOSURE.md §4) —
and the measure is protected again. Showing only the city row of a breakdown whose city cells are
at least T always passes, and leaving a table out always does, so the ladder always ends in a
publication. Every step is recorded, with the criteria that forced it, for the release and the reader.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from ..errors import LikstallError
from .attacker import AttackResult, HistoryCell
from .cells import CellKey, Registry
from .keys import HIDDEN, OMITTED, PRIMARY, is_city_total
from .policy import Policy
from .secondary import Pattern, Protection, protect
from .visibility import LEVELS, Display, initial_status, next_level, row_shown

HISTORY_PREFIX = "history:"


@dataclass(frozen=True)
class LadderStep:
    table: str
    level: str  # the level the table was lifted to
    criteria: tuple[str, ...]  # the criteria the finer level could not meet


@dataclass
class PublicationProtection(Pattern):
    status: dict[CellKey, str]
    audit: AttackResult
    levels: dict[str, str]
    displays: dict[str, Display]
    steps: list[LadderStep] = field(default_factory=list)
    iterations: int = 0

    @property
    def passed(self) -> bool:
        return self.audit.passed

    def as_protection(self) -> Protection:
        return Protection(self.status, self.audit, self.iterations, [])


def _liftable(registry: Registry, name: str, levels: dict[str, str]) -> bool:
    t = registry.tables[name]
    return not t.internal and not name.startswith(HISTORY_PREFIX) and levels.get(name, "district") != "omitted"


def _offending_tables(registry: Registry, audit: AttackResult, levels: dict[str, str],
                      status: dict[CellKey, str] | None = None, because: dict | None = None) -> list[str]:
    """The tables to lift: every table that shows a failing cell (lifting them together saves a round
    of protection per table); for failing cells no table of this release shows, the one table showing
    most of the cells sharing an equation with them (ties to the finer level, then name). Failures of
    cells that were only hidden as complements are the failed attempt's own doing: the cells that needed
    protection (primary, or small and not shown) decide, when there are any."""
    direct: set[str] = set()
    score: Counter[str] = Counter()
    by_cell = None
    cells = []
    for f in audit.findings:
        if f.cell is None:
            continue
        c, seen = f.cell, set()
        # A complement that fails was hidden for another cell: the table of that cell is the one to lift.
        while because and c in because and c not in seen and (status or {}).get(c) not in (PRIMARY, OMITTED):
            seen.add(c)
            c = because[c]
        cells.append(c)
    for cell in dict.fromkeys(cells):
        if cell.is_difference():
            # The difference between two vintages of a cell (release/history.py): the tables showing the cell
            # in this release are what show the difference.
            cell = cell.base()
        tables = [t for t in registry.cell_tables.get(cell, []) if _liftable(registry, t, levels)]
        if tables:
            direct.update(tables)
            continue
        # A cell no table shows (an interval of days behind a curve): the tables that show the same row
        # along the dimension it splits are what pin it; the one showing most of that row is lifted.
        dims = {registry.tables[t].varying for t in registry.cell_tables.get(cell, []) if registry.tables[t].varying}
        row_tables: Counter[str] = Counter()
        for name, t in registry.tables.items():
            if t.varying in dims and _liftable(registry, name, levels):
                for k in t.cells:
                    if all(k.get(d) == cell.get(d) for d, _ in (*cell.coords, *k.coords) if d != t.varying):
                        row_tables[name] += 1
        if row_tables:
            best = max(row_tables.values())
            direct.update(sorted(n for n, c in row_tables.items() if c == best)[:1])
            continue
        if by_cell is None:
            by_cell = {}
            for rel in registry.relations():
                for c in (rel.total, *rel.members):
                    by_cell.setdefault(c, []).append(rel)
        near = {c for rel in by_cell.get(cell, []) for c in (rel.total, *rel.members)}
        for t in sorted({t for c in near for t in registry.cell_tables.get(c, []) if _liftable(registry, t, levels)}):
            score[t] += 1
    if direct:
        return sorted(direct)
    if not score:
        return []
    return [min(score, key=lambda t: (-score[t], LEVELS.index(levels.get(t, "district")), t))]


def _merge(into: AttackResult, part: AttackResult) -> None:
    for scen, cells in part.bounds.items():
        into.bounds.setdefault(scen, {}).update(cells)
    into.findings.extend(part.findings)
    into.warnings.extend(part.warnings)
    into.checked_atoms += part.checked_atoms
    for s in part.scenarios_run:
        if s not in into.scenarios_run:
            into.scenarios_run.append(s)
    for n in part.notes:
        if n not in into.notes:
            into.notes.append(n)


@dataclass
class _MeasureResult:
    """One measure's protection, as the ladder left it (what a worker process sends back)."""

    status: dict[CellKey, str]
    audit: AttackResult
    levels: dict[str, str]
    displays: dict[str, Display]
    steps: list[LadderStep]
    iterations: int


def _protect_measure(sub: Registry, policy: Policy, sub_fixed: dict[CellKey, str],
                     history: dict[CellKey, HistoryCell] | None, levels: dict[str, str], run,
                     max_steps: int) -> _MeasureResult:
    """The ladder for one measure: protect, lift the offending tables, protect again, until it passes."""
    levels = dict(levels)
    steps: list[LadderStep] = []
    iterations = 0
    for _ in range(max_steps):
        initial, disp = initial_status(sub, policy, levels)
        prot = run(sub, policy, initial, sub_fixed)
        iterations += prot.iterations
        if prot.audit.passed:
            break
        tables = _offending_tables(sub, prot.audit, levels, prot.status, getattr(prot, "because", None))
        if not tables:
            if getattr(prot, "stuck", False):  # the verdict then comes from a real audit, not the equations
                prot = protect(sub, policy, initial=initial, fixed=sub_fixed, history=history,
                               stop_when_stuck=False)
            break  # nothing of this release can be lifted: the audit says FAIL (an inconsistent history)
        crit = tuple(sorted({f.criterion for f in prot.audit.findings}))
        for table in tables:
            t = sub.tables[table]
            shown_now = {k for k in t.cells if row_shown(t, levels[table], k)}
            levels[table] = next_level(levels[table])
            # A level that shows the same rows (a table without district rows) is skipped.
            while levels[table] != "omitted" and {k for k in t.cells if row_shown(t, levels[table], k)} == shown_now:
                levels[table] = next_level(levels[table])
            steps.append(LadderStep(table, levels[table], crit))
    return _MeasureResult(prot.status, prot.audit, {n: levels[n] for n in sub.tables}, disp, steps, iterations)


def _greedy_measure(sub: Registry, policy: Policy, sub_fixed, history, levels, max_steps) -> _MeasureResult:
    """`_protect_measure` with the default secondary suppression (a module-level function, so that a
    worker process can run it)."""
    run = lambda reg, pol, initial, fixed_: protect(reg, pol, initial=initial, fixed=fixed_,  # noqa: E731
                                                    history=history, stop_when_stuck=True)
    return _protect_measure(sub, policy, sub_fixed, history, levels, run, max_steps)


# Below this many cells a publication is protected in this process: starting a worker (≈ 0,5 s for
# Python, numpy, scipy.sparse and HiGHS) costs more than the second core saves.
PARALLEL_MIN_CELLS = 8000


def protection_workers(registry: Registry) -> int:
    """How many processes protect `registry`'s measures: `LIKSTALL_WORKERS` if set (1 = this process
    only), else one per core (at most 4) for a publication of at least PARALLEL_MIN_CELLS cells."""
    env = os.environ.get("LIKSTALL_WORKERS", "").strip()
    if env:
        if not env.isdigit() or int(env) < 1:
            raise LikstallError(f"Miljövariabeln LIKSTALL_WORKERS ska vara ett heltal ≥ 1 (antal processer), inte {env!r}.")
        return int(env)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return min(cores, 4) if len(registry.values) >= PARALLEL_MIN_CELLS else 1


def protect_publication(registry: Registry, policy: Policy | None = None, *,
                        fixed: dict[CellKey, str] | None = None,
                        history: dict[CellKey, HistoryCell] | None = None,
                        levels: dict[str, str] | None = None,
                        protect_measure=None, max_steps: int = 200,
                        workers: int | None = None) -> PublicationProtection:
    """Protect every measure of `registry`; lift tables that cannot be protected. Deterministic.

    `fixed`: statuses of cells from earlier releases (they bind this one). `protect_measure`: the
    secondary suppression to use for one measure (default `protect`); it gets the measure's registry,
    the policy, the initial statuses and the fixed cells.

    Measures share no equation, so they are independent problems: with `workers` > 1 (default
    `protection_workers`) and the default secondary suppression, they are protected in that many
    worker processes at once, the largest first. Each measure's result is the same as in one process,
    and they are put together in the same order, so the pattern does not depend on `workers`.
    """
    policy = policy or Policy()
    fixed = fixed or {}
    levels = dict(levels or {})
    for name in registry.tables:
        levels.setdefault(name, "district")
    jobs = []
    for measure in registry.measures():
        sub = registry.subset([measure])
        sub_fixed = {k: s for k, s in fixed.items() if k.measure == measure}
        # The whole history, not the measure's part: the audit lists S4 (and its note) by whether there is any.
        jobs.append((sub, sub_fixed, history, {n: levels[n] for n in sub.tables}))
    workers = protection_workers(registry) if workers is None else workers
    if protect_measure is None and workers > 1 and len(jobs) > 1:
        results = _in_processes(jobs, policy, max_steps, workers)
    elif protect_measure is None:
        results = [_greedy_measure(sub, policy, f, h, lv, max_steps) for sub, f, h, lv in jobs]
    else:
        results = [_protect_measure(sub, policy, f, h, lv, protect_measure, max_steps) for sub, f, h, lv in jobs]
    status: dict[CellKey, str] = {}
    audit = AttackResult()
    steps: list[LadderStep] = []
    displays: dict[str, Display] = {}
    iterations = 0
    for res in results:
        status.update(res.status)
        displays.update(res.displays)
        levels.update(res.levels)
        steps.extend(res.steps)
        iterations += res.iterations
        _merge(audit, res.audit)
    for k, s in status.items():
        if s in HIDDEN and is_city_total(k) and policy.is_primary(registry.values[k]):
            note = ("En stadstotal med 1–%d redovisas inte (undertryckt); tabellen visar då inga delar." % (policy.T - 1))
            if note not in audit.notes:
                audit.notes.append(note)
    return PublicationProtection(status, audit, levels, displays, steps, iterations)


def _in_processes(jobs, policy: Policy, max_steps: int, workers: int) -> list[_MeasureResult]:
    """The measures' ladders in worker processes, at most `workers` at a time, the largest measures first;
    the results in `jobs` order.

    Each worker is a fresh `python -m likstall.disclosure.worker` that reads one measure's job from its
    standard input and writes the result to its standard output (pickled; counts and cell keys only,
    nothing about a person beyond what the registry already holds). A fresh interpreter rather than
    `multiprocessing`: fork would copy a process that may hold a DuckDB connection and busy threads,
    and spawn would re-run the caller's main script. A worker that fails is re-run in this process,
    which gives the same result or raises the real error."""
    order = sorted(range(len(jobs)), key=lambda i: -len(jobs[i][0].values))
    results: dict[int, _MeasureResult] = {}
    with ThreadPoolExecutor(max_workers=min(workers, len(jobs))) as pool:
        futures = {i: pool.submit(_run_worker, (jobs[i][0], policy, jobs[i][1], jobs[i][2], jobs[i][3], max_steps))
                   for i in order}
        for i in order:
            results[i] = futures[i].result()
    for i, res in results.items():
        if res is None:
            sub, fixed_, history, levels = jobs[i]
            results[i] = _greedy_measure(sub, policy, fixed_, history, levels, max_steps)
    return [results[i] for i in range(len(jobs))]


def _run_worker(job) -> _MeasureResult | None:
    """One job in a worker process; None when the worker did not deliver (the caller runs it itself)."""
    import likstall

    src = os.path.dirname(os.path.dirname(os.path.abspath(likstall.__file__)))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (src, os.environ.get("PYTHONPATH", "")) if p)}
    try:
        proc = subprocess.run([sys.executable, "-m", "likstall.disclosure.worker"], input=pickle.dumps(job),
                              capture_output=True, env=env, check=False)
    except OSError:
        return None
    if proc.returncode != 0:
        return None
    try:
        return pickle.loads(proc.stdout)
    except (pickle.UnpicklingError, EOFError, AttributeError, ImportError):
        return None
