"""The audit: run the attacker under the scenarios and check criteria C1–C10 and U1 (DISCLOSURE.md §2.4–2.5).

Scenarios: S0 everything published (K0+K1); S1 zeros visible, so every suppressed cell is ≥ 1
(identical to S0 when zeros are shown, as they are by default); S2 an insider knows one small
primary cell (v ≤ k) and tries the others; S3 the attacker knows which cells are primary (K2):
a primary then lies in 1..T−1 by definition, so only exact disclosure (C1) can be checked; S4 the
release history: every earlier release's published cells are known too.
"""

from __future__ import annotations

import math
from contextlib import contextmanager

import numpy as np
from scipy import sparse

from .attacker import (
    PRIMARY, PUBLISHED, AttackResult, CellBounds, Finding, HistoryCell, build_atom_model, build_model,
)
from .cells import CellKey, Registry, Relation
from .keys import HIDDEN, OMITTED, is_city_total  # noqa: F401 (is_city_total re-exported)
from .policy import Policy
from .slivers import check_slivers


CRITERIA_SV = {
    "C1": "Ingen undertryckt cell kan räknas fram exakt",
    "C2": "Ingen cell eller delmängd med 1–{t1} kan visas ligga mellan 1 och {t1}",
    "C3": "Varje primär cells möjliga intervall är minst {w} brett",
    "C4": "Varje primär cells övre gräns når minst {t}",
    "C5": "Angriparen kan inte visa att en primär cell är minst sitt sanna värde",
    "C6": "Undertryckta celler i en summa summerar inte till 1–{t1}",
    "C7": "Två undertryckta ettor skyddar inte bara varandra",
    "C8": "En insider som känner en cell med 1–{k} kan inte avgränsa en annan liten cell",
    "C9": "Samma cell har samma status och värde i alla releaser",
    "C10": "Ingen rad har hela sin massa i en kategori med högst {g}",
    "U1": "Högst {share} av cellerna undertrycks och stadens totaler publiceras",
}


def criteria_sv(policy: Policy) -> dict[str, str]:
    return {c: t.format(t1=policy.T - 1, t=policy.T, w=policy.W, k=policy.insider_k, g=policy.G,
                        share=f"{policy.max_suppressed_share * 100:.0f} %") for c, t in CRITERIA_SV.items()}


class Aliases:
    """Cells that hold the same persons once the published zeros are taken out: a total whose every
    part but one is a published zero is that part (DISCLOSURE.md C7, C8). An insider who knows one
    learns nothing new from the other, and two such cells are not a pair of hidden ones."""

    def __init__(self, relations: list[Relation], status: dict[CellKey, str], values: dict[CellKey, int]):
        self.parent: dict[CellKey, CellKey] = {}
        for r in relations:
            rest = [m for m in r.members if not (status.get(m) == PUBLISHED and values.get(m) == 0)]
            if len(rest) == 1:
                self._union(r.total, rest[0])

    def _find(self, k: CellKey) -> CellKey:
        root = k
        while self.parent.get(root, root) != root:
            root = self.parent[root]
        while self.parent.get(k, k) != root:
            self.parent[k], k = root, self.parent[k]
        return root

    def _union(self, a: CellKey, b: CellKey) -> None:
        ra, rb = self._find(a), self._find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)

    def same(self, a: CellKey, b: CellKey) -> bool:
        return self._find(a) == self._find(b)

    def root(self, k: CellKey) -> CellKey:
        """The cell that stands for k's class (the same for every alias of k)."""
        return self._find(k)


class Neighbourhoods:
    """Which cells share an equation with which: a sparse incidence matrix (equations × cells), so that
    "the cells within two equations of p" is two sparse products, not a set per cell (a national
    publication has equations of 300 districts, and a set per cell would be quadratic in them)."""

    def __init__(self, relations: list[Relation]):
        keys = sorted({c for r in relations for c in (r.total, *r.members)}, key=CellKey.order)
        self.keys = keys
        self.relations = relations
        self.ids = {k: i for i, k in enumerate(keys)}
        rows, cols = [], []
        for j, r in enumerate(relations):
            for c in (r.total, *r.members):
                rows.append(j)
                cols.append(self.ids[c])
        self.B = sparse.csc_matrix((np.ones(len(rows), dtype=np.int8), (rows, cols)), shape=(len(relations), len(keys)))
        self.Bt = self.B.T.tocsc()

    def near_ids(self, i: int, reach: int) -> np.ndarray:
        """The cells within `reach` equations of the cell at position i of `keys`, as sorted positions
        (i itself excluded)."""
        cells = np.array([i])
        for _ in range(reach):
            rels = np.unique(self.B[:, cells].indices)
            cells = np.unique(self.Bt[:, rels].indices)
        return cells[cells != i]


class BaseModels:
    """The attacker's base model of each measure for one suppression pattern, kept from one audit to the next.

    The suppression loop audits a pattern fast and, once that passes, in full: the same pattern, so the
    same polytope per measure. Kept, the model gives the full audit the fast one's HiGHS basis and the
    points its LPs found (each a point of that polytope), and most cells are certified without being
    solved again. A different pattern (or registry or policy) starts afresh."""

    def __init__(self):
        self._of: tuple | None = None
        self._models: dict[str, object] = {}

    def get(self, registry: Registry, measure: str, status: dict[CellKey, str], policy: Policy):
        if self._of is None or self._of[0] is not registry or self._of[1] != policy or self._of[2] != status:
            self._of = (registry, policy, dict(status))
            self._models = {}
        if measure not in self._models:
            self._models[measure] = build_model(registry, measure, status, policy)
        return self._models[measure]


def _refine(refine: float, kind: str, policy: Policy) -> float:
    """When the LP interval is narrower than this, integer programming gets the exact integer bounds.

    Integer bounds lie inside the LP bounds, so an LP interval that already fails stays failed; one
    that passes can still fail after refinement when it is narrow. Primary cells face C2–C5 (widths
    up to about 2T matter); secondary cells only C1, which integrality can only reach when the LP
    interval is a couple of units wide.
    """
    if refine == 0:
        return 0
    return refine if kind in (PRIMARY, OMITTED) else 3


def _check_interval(res: AttackResult, scenario: str, key: CellKey, kind: str, v: int, lo: float, hi: float,
                    certain: bool, policy: Policy, *, full: bool = True, prior_lb: float | None = None) -> None:
    """C1–C5 for one suppressed cell. prior_lb is what the policy alone reveals (K1: with zeros
    visible, a suppressed total whose non-zero members are all suppressed is at least their number)."""
    T = policy.T
    if prior_lb is None:
        prior_lb = 1 if policy.zeros_visible else 0
    if kind == OMITTED:
        # A cell no table shows: only a small one must not be pinned (a sliver, C2); that an unpublished
        # 0 or a count of at least T can be worked out reveals no small group.
        if 1 <= v <= T - 1 and (not certain or (lo >= 1 and hi <= T - 1)):
            res.findings.append(Finding("C2", scenario, key, lo, hi, "en cell som inte visas kan räknas fram till "
                                        f"mellan 1 och {T - 1}"))
        return
    if not certain:
        res.findings.append(Finding("C1", scenario, key, lo, hi, "heltalsprogrammet blev inte klart; cellen räknas inte som skyddad"))
        return
    if hi == lo:
        res.findings.append(Finding("C1", scenario, key, lo, hi, "kan räknas fram exakt"))
        return
    if not full or kind != PRIMARY or v == 0:
        return  # a protected zero only needs not to be recomputable (C1)
    if lo >= 1 and hi <= T - 1:
        res.findings.append(Finding("C2", scenario, key, lo, hi, f"kan visas ligga mellan 1 och {T - 1}"))
    if hi - lo < policy.W:
        res.findings.append(Finding("C3", scenario, key, lo, hi, f"intervallet är smalare än {policy.W}"))
    if hi < T:
        res.findings.append(Finding("C4", scenario, key, lo, hi, f"övre gränsen når inte {T}"))
    if lo > max(prior_lb, v - 1):
        res.findings.append(Finding("C5", scenario, key, lo, hi, "angriparen kan visa att värdet är minst det sanna"))


def _insider_pins(lo: float, hi: float, certain: bool, policy: Policy) -> bool:
    return not certain or hi == lo or (lo >= 1 and hi <= policy.T - 1)


def _seen_interval(model, key: CellKey, refine_below: float) -> tuple[float, float] | None:
    """The whole-number range the target has taken in solutions seen so far, when it is wide enough
    that the exact procedure would not refine it by integer programming (so the exact interval,
    LP bounds rounded inwards, contains it)."""
    seen = model.seen(key)
    if seen is None:
        return None
    lo, hi = float(math.ceil(seen[0] - 1e-7)), float(math.floor(seen[1] + 1e-7))
    return (lo, hi) if hi - lo >= max(refine_below, 1) else None


def _certified(model, key: CellKey, kind: str, v: int, policy: Policy, refine_below: float) -> tuple[float, float] | None:
    """A seen range that already passes C1–C5. Every criterion is monotone (a wider interval never
    fails where a narrower one passes), and the seen range lies inside the exact interval, so the
    exact verdict is PASS too; C5 is checked against the policy's lower bound, which is ≤ the prior's.
    The range over whole-number solutions lies inside the integer interval whatever its width; the
    range over all solutions only where the exact procedure would not refine it."""
    for iv in (model.seen_integral(key), _seen_interval(model, key, refine_below)):
        if iv is None:
            continue
        scratch = AttackResult()
        _check_interval(scratch, "", key, kind, v, iv[0], iv[1], True, policy)
        if not scratch.findings:
            return iv
    return None


def run_attack(registry: Registry, status: dict[CellKey, str], policy: Policy, *,
               history: dict[CellKey, HistoryCell] | None = None, relations: list[Relation] | None = None,
               check_atoms: bool = True, insider: bool = True, s3: bool = True, fast: bool = False,
               certify: bool = False, models: BaseModels | None = None) -> AttackResult:
    """Every scenario and criterion over the whole publication (and its history). Findings empty = PASS.

    fast=True (used inside the suppression loop) skips the integer refinement, the atom checks and
    S3, and lets the insider try only the primaries that share an equation with the known cell.
    The final audit is never fast.

    certify=True gives the same verdict with far fewer LPs: a cell whose range over the solutions
    already found passes every criterion is not solved for (`_certified`). Its recorded interval is
    then that seen range — a part of the exact interval — so the audit command, which prints
    intervals, does not certify. Nor does it run S3, whose intervals are only for the record (it
    cannot fail: the publication does not show which cells are primary), and certifying keeps none.

    models: base models kept from an earlier audit of the same pattern (`BaseModels`; the verdict is the
    same, with fewer LPs).
    """
    if fast:
        check_atoms, s3 = False, False
    if certify:
        s3 = False
    res = AttackResult()
    relations = relations if relations is not None else registry.relations()
    history = {k: h for k, h in (history or {}).items()}
    refine = 0 if fast else 2 * policy.T
    nb = Neighbourhoods(relations)
    res.scenarios_run = ["S0", "S1", "S2"] + (["S3"] if s3 else []) + (["S4"] if history else [])
    if s3:
        res.notes.append("S3 (vilka celler som är primära är känt) redovisas men underkänner inte: alla undertryckta "
                         "celler har samma symbol, så den kunskapen finns inte i det publicerade.")
    else:
        res.notes.append("S3 (vilka celler som är primära är känt) ingår inte här: alla undertryckta celler har samma "
                         "symbol, så den kunskapen finns inte i det publicerade och kan inte underkänna. "
                         "`likstall audit` kör S3.")
    if not policy.zeros_visible:
        res.notes.append("Nollor skyddas: S1 (alla undertryckta ≥ 1) gäller inte; S0 körs med undre gräns 0.")
    if not history and not any(name.startswith(registry.fixed_prefix) for name in registry.tables):
        # (Earlier releases are in the registry itself, their cells and equations under `fixed_prefix`.)
        res.notes.append("Ingen tidigare publicering i releaseloggen: S4 är densamma som S1.")

    for measure in registry.measures():
        cells = sorted((k for k in registry.values if k.measure == measure), key=CellKey.order)
        suppressed = [k for k in cells if status[k] in HIDDEN]
        # Cells no table shows join the targets only where they are small (slivers, C2).
        slivers = [k for k in cells if status[k] == OMITTED and 1 <= registry.values[k] <= policy.T - 1]
        aliases = Aliases([r for r in relations if r.total.measure == measure], status, registry.values)
        base = models.get(registry, measure, status, policy) if models is not None \
            else build_model(registry, measure, status, policy)
        scenario = "S1" if policy.zeros_visible else "S0"
        res.bounds.setdefault(scenario, {})
        prior = _prior_model(registry, measure, status, policy)
        truth = _truth(base, registry)
        audited = suppressed + slivers
        if certify:
            base.track(audited)
            base.observe_if_feasible(truth)
            base.sweep(audited, lambda k: _certified(base, k, status[k], registry.values[k], policy,
                                                     _refine(refine, status[k], policy)) is not None)
        for k in audited:
            kind, v = status[k], registry.values[k]
            iv = _certified(base, k, kind, v, policy, _refine(refine, kind, policy)) if certify else None
            if iv is not None:
                res.bounds[scenario][k] = CellBounds(k, kind, iv[0], iv[1], True)
                continue
            lo, hi, certain = base.interval(k, refine_below=_refine(refine, kind, policy),
                                            time_limit=policy.milp_time_limit)
            if math.isnan(lo):
                res.findings.append(Finding("C1", scenario, None, detail=f"modellen för {measure} är motsägelsefull"))
                break
            res.bounds[scenario][k] = CellBounds(k, kind, lo, hi, certain)
            # The prior (what zeros alone reveal) only matters for C5 when lo is above both the
            # policy's lower bound and v − 1; otherwise C5 passes whatever the prior says.
            needs_prior = prior is not None and kind == PRIMARY and lo > max(1 if policy.zeros_visible else 0, v - 1)
            plb = math.ceil(prior.bound(k, "min") - 1e-7) if needs_prior else None
            _check_interval(res, scenario, k, kind, v, lo, hi, certain, policy, prior_lb=plb)
        if check_atoms:
            if registry.cell_model_is_exact(measure):
                check_slivers(res, registry, relations, measure, base, policy, scenario)
            else:
                _check_atoms(res, registry, measure, status, policy, scenario)

        if insider:
            # A cell that already fails without an insider fails with one too (the insider's polytope lies
            # inside): its C8 would only repeat it, at two LPs per insider (thousands in a national release).
            # Only where the verdict is all that counts (certify); the audit command lists every criterion.
            failing = {f.cell for f in res.findings if f.cell is not None and f.cell.measure == measure} \
                if certify else set()
            _scenario_insider(res, registry, measure, status, policy, suppressed, nb, aliases, base, refine,
                              fast=fast, certify=certify, failing=failing)
        if suppressed and s3:
            _scenario_known_primaries(res, registry, measure, status, policy, suppressed, certify=certify)
        if any(h.measure == measure for h in history):
            _scenario_history(res, registry, measure, status, policy, audited, history, refine,
                              check_atoms=check_atoms, certify=certify)

    for k, v in registry.values.items():
        if status[k] == PUBLISHED and policy.is_primary(v):
            res.findings.append(Finding("C2", "S0", k, v, v, f"publicerad cell med ett värde mellan 1 och {policy.T - 1}"))
    _check_relations(res, registry, status, policy, relations)
    _check_history(res, registry, status, history)
    _check_utility(res, registry, status, policy)
    return res


def _scenario_insider(res, registry, measure, status, policy, suppressed, nb, aliases, base, refine, *, fast, certify,
                      failing=frozenset()):
    """S2: an insider who knows one small primary cell (v ≤ k) tries the primaries near it (except those in
    `failing`, which already fail the audit)."""
    small = {p: registry.values[p] for p in suppressed
             if status[p] == PRIMARY and registry.values[p] <= policy.insider_k}
    pairs = _insider_targets(small, nb, status, reach=1 if fast else 2, aliases=aliases)
    if failing:
        pairs = {p: [q for q in targets if q not in failing] for p, targets in pairs.items()}
    if certify:
        _joint_pushes(base, pairs, small, registry, nb.relations, status, policy, refine)
    for p, targets in pairs.items():
        if not targets:
            continue
        certifiable = certify and p in base.index
        if certifiable:
            # The targets as arrays once per insider (a national release has thousands of pairs):
            # their places among the seen points, their columns in the model and their true values.
            pos = np.array([base.tracked_position(q) for q in targets])
            cols = np.array([base.index[q][0] for q in targets], dtype=np.int64)
            caps = np.array([max(policy.T, registry.values[q] + max(refine, 1)) for q in targets], dtype=float)
            open_ = _open_for_insider(base, p, small[p], pos, refine, policy)
            pos, cols, caps = pos[open_], cols[open_], caps[open_]
            targets = [q for q, o in zip(targets, open_) if o]
        if not targets:
            continue
        with _insider_model(base, registry, measure, status, policy, p, small[p]) as m:
            if certifiable:
                # One LP pushes every open target towards what would settle it; its solution
                # has x_p = value, so it joins the points `_open_for_insider` reads.
                # Repeated for those still open while it settles some (the shared slack of an
                # equation lets only so many reach their cap at once).
                while targets:
                    if not m.push_up_columns(cols, caps):
                        break
                    open_ = _open_for_insider(base, p, small[p], pos, refine, policy)
                    if open_.all():
                        break
                    pos, cols, caps = pos[open_], cols[open_], caps[open_]
                    targets = [q for q, o in zip(targets, open_) if o]
            for q in targets:
                lo, hi, certain = m.interval(q, refine_below=refine, time_limit=policy.milp_time_limit)
                if _insider_pins(lo, hi, certain, policy):
                    res.findings.append(Finding("C8", "S2", q, lo, hi,
                                                f"en insider som känner {p.label()} kan avgränsa cellen"))


def _joint_pushes(base, pairs, small, registry, relations, status, policy: Policy, refine: float,
                  max_rounds: int = 40) -> None:
    """Points for every insider at once. Fixing *all* insiders' cells at their true values gives a polytope
    inside each one's own, so a point of it serves every insider; one LP pushes many open targets up to
    the caps that settle them (`push_up_columns`), and a target that reaches its cap is settled for
    every insider fixed in that LP (the truth, already seen, holds its lower end at or below its value).
    Targets pushed together must not compete for the same slack: in an equation whose total is known,
    the pushes may add up to at most what its hidden cells that are not insiders can give. A pushed
    target that is itself an insider is left free in that LP, and only when none of the insiders it is
    open for moves in the same LP. Each target is pushed once. Nothing is decided here: the per-insider
    procedure runs after, with fewer targets open (a national release's final audits: a third fewer LPs,
    the same findings)."""
    lb = 1.0 if policy.zeros_visible else 0.0
    values = registry.values
    open_for: dict[CellKey, set] = {}
    for p, targets in pairs.items():
        if p not in base.index or not targets:
            continue
        pos = np.array([base.tracked_position(q) for q in targets])
        for q, o in zip(targets, _open_for_insider(base, p, small[p], pos, refine, policy)):
            if o:
                open_for.setdefault(q, set()).add(p)
    if not open_for:
        return
    insiders = [p for p in pairs if p in base.index]
    fixed_cells = set(insiders)
    measure = next(iter(open_for)).measure
    rels_of: dict[CellKey, list[int]] = {}
    room: list[float] = []
    for rel in relations:
        if rel.total.measure != measure or status.get(rel.total) != PUBLISHED:
            continue  # another measure; or a hidden total, which moves with its members: no budget
        j = len(room)
        # What the hidden cells that are not insiders (fixed in these LPs) can give up.
        room.append(sum(values[m] - lb for m in rel.members if status.get(m) != PUBLISHED and m not in fixed_cells))
        for m in rel.members:
            if m in open_for:
                rels_of.setdefault(m, []).append(j)
    cap = {q: max(policy.T, values[q] + max(refine, 1)) for q in open_for}
    for _ in range(max_rounds):
        used = [0.0] * len(room)
        chosen: list[CellKey] = []
        moving: set[CellKey] = set()
        held: set[CellKey] = set()  # insiders a chosen target is still open for: they must stay fixed
        # Targets that are not insiders first: they are never fixed, so nothing holds them back.
        for q in sorted(open_for, key=lambda q: (q in fixed_cells, q)):
            need = cap[q] - values[q]
            own = 0.0 if q in fixed_cells else values[q] - lb
            if q in held or not moving.isdisjoint(open_for[q]) or \
                    not all(used[j] + need <= room[j] - own for j in rels_of.get(q, ())):
                continue
            chosen.append(q)
            moving.add(q)
            held |= open_for[q]
            for j in rels_of.get(q, ()):
                used[j] += need
        if not chosen:
            return
        cols = np.array([base.index[q][0] for q in chosen], dtype=np.int64)
        caps = np.array([cap[q] for q in chosen], dtype=float)
        with base.fixed({p: small[p] for p in insiders if p not in moving}) as m:
            if not m.push_up_columns(cols, caps):
                return
        # Reached its cap: settled for every insider it was open for (all fixed here). Not reached with all
        # insiders fixed: left to the per-insider procedure, where the other insiders are free. Either way
        # this phase is done with it.
        for q in chosen:
            del open_for[q]
        if not open_for:
            return


def _scenario_known_primaries(res, registry, measure, status, policy, suppressed, *, certify):
    """S3: which cells are primary is known (K2). We publish one symbol for every suppressed cell, so this
    knowledge is not available; the intervals are reported for the record, not as FAIL."""
    m3 = build_model(registry, measure, status, policy, known_primary=True)
    res.bounds.setdefault("S3", {})
    if certify:
        m3.track(suppressed)
        m3.observe_if_feasible(_truth(m3, registry))
        m3.sweep(suppressed, lambda k: _seen_interval(m3, k, 1.5) is not None)
    for k in suppressed:
        iv = _seen_interval(m3, k, 1.5) if certify else None
        if iv is not None:
            res.bounds["S3"][k] = CellBounds(k, status[k], iv[0], iv[1], True)
            continue
        lo, hi, certain = m3.interval(k, refine_below=1.5, time_limit=policy.milp_time_limit)
        if not math.isnan(lo):
            res.bounds["S3"][k] = CellBounds(k, status[k], lo, hi, certain)


def _scenario_history(res, registry, measure, status, policy, audited, history, refine, *, check_atoms, certify):
    """S4: the release history (the legacy releases' published cells as known)."""
    m4 = build_model(registry, measure, status, policy, history=history)
    res.bounds.setdefault("S4", {})
    if certify:
        m4.track(audited)
        m4.sweep(audited, lambda k: _certified(m4, k, status[k], registry.values[k], policy,
                                               _refine(refine, status[k], policy)) is not None)
    for k in audited:
        iv = _certified(m4, k, status[k], registry.values[k], policy, _refine(refine, status[k], policy)) \
            if certify else None
        if iv is not None:
            res.bounds["S4"][k] = CellBounds(k, status[k], iv[0], iv[1], True)
            continue
        lo, hi, certain = m4.interval(k, refine_below=_refine(refine, status[k], policy),
                                      time_limit=policy.milp_time_limit)
        if math.isnan(lo):
            res.findings.append(Finding("C9", "S4", k, detail="den här publiceringen motsäger en tidigare"))
            break
        res.bounds["S4"][k] = CellBounds(k, status[k], lo, hi, certain)
        _check_interval(res, "S4", k, status[k], registry.values[k], lo, hi, certain, policy)
    if check_atoms:
        _check_atoms(res, registry, measure, status, policy, "S4", history=history)


def _insider_targets(small, nb: Neighbourhoods, status: dict[CellKey, str], reach: int,
                     aliases: Aliases | None = None) -> dict[CellKey, list[CellKey]]:
    """For each small primary p an insider may know: the primaries within `reach` equations of p
    (1: sharing an equation; 2: also those sharing one with a neighbour), aliases of p excepted."""
    keys = nb.keys
    primary = np.fromiter((status.get(k) == PRIMARY for k in keys), dtype=bool, count=len(keys))
    root = None
    if aliases is not None:  # each cell's alias class as a number, found once rather than per pair
        classes: dict[CellKey, int] = {}
        root = np.fromiter((classes.setdefault(aliases.root(k), len(classes)) for k in keys), dtype=np.int64,
                           count=len(keys))
    out = {}
    for p in sorted(small):
        i = nb.ids.get(p)
        if i is None:
            continue
        ids = nb.near_ids(i, reach)
        ids = ids[primary[ids]]
        if root is not None:
            ids = ids[root[ids] != root[i]]
        if len(ids):
            out[p] = [keys[j] for j in ids]
    return out


def _open_for_insider(base, p: CellKey, value: int, pos: np.ndarray, refine: float, policy: Policy) -> np.ndarray:
    """Which targets (by their places `pos` among the tracked cells) the points seen so far cannot
    settle for an insider who knows p = value: a boolean per target, True where still open.

    Every solution seen in the base model (and in earlier insiders' models, which are tighter) with
    x_p = value is a point of this insider's polytope, and so is the truth; the range of a target over
    those points lies inside the insider's interval. A target is settled when that range is wide enough
    that the exact procedure would not refine it and does not pin the target (C8), or when its range
    over the whole-number points (inside the insider's integer interval) does not pin it."""
    pts = base.points()  # tracked cells × points
    if not pts.shape[1] or not len(pos):
        return np.ones(len(pos), dtype=bool)
    on_face = np.abs(pts[base.tracked_position(p)] - value) < 1e-9
    if not on_face.any():
        return np.ones(len(pos), dtype=bool)
    # Only the targets' rows at the face's points are copied (the points hold every tracked cell).
    face = pts[np.ix_(pos, np.flatnonzero(on_face))]
    lo = np.ceil(face.min(axis=1) - 1e-7)
    hi = np.floor(face.max(axis=1) + 1e-7)
    settled = (hi - lo >= max(refine, 1)) & ~_pins(lo, hi, policy)
    integral = on_face & base.points_integral()
    if integral.any():
        iface = pts[np.ix_(pos, np.flatnonzero(integral))]
        ilo, ihi = np.round(iface.min(axis=1)), np.round(iface.max(axis=1))
        settled |= (ihi > ilo) & ~_pins(ilo, ihi, policy)
    return ~settled


def _pins(lo: np.ndarray, hi: np.ndarray, policy: Policy) -> np.ndarray:
    """`_insider_pins` for certain intervals, elementwise."""
    return (hi == lo) | ((lo >= 1) & (hi <= policy.T - 1))


def _truth(model, registry: Registry) -> np.ndarray:
    """The true table as a point of a cell model (NaN where unknown, e.g. atom models): the truth is
    feasible in every scenario without history, so it is a free seen point (lower end ≤ the value)."""
    x = np.full(model.n, np.nan)
    for k, idx in model.index.items():
        if k in registry.values and len(idx) == 1:
            x[idx[0]] = registry.values[k]
    return x


@contextmanager
def _insider_model(base, registry: Registry, measure: str, status, policy: Policy, cell: CellKey, value: int):
    """The attacker's model with one cell known to an insider: the base model with that variable fixed
    (cell model), or a model of its own (atom model, where a cell is a sum of atoms)."""
    if cell in base.index:
        with base.fixed({cell: value}) as m:
            yield m
    else:
        yield build_model(registry, measure, status, policy, insider={cell: value})


def _prior_model(registry: Registry, measure: str, status, policy: Policy):
    """What the zero pattern alone reveals: published zeros fixed at 0, every other published cell only
    known to be ≥ 1, suppressed cells ≥ 1 (zeros visible). Used as C5's prior lower bound."""
    if not policy.zeros_visible:
        return None
    pseudo = {k: (s if s != PUBLISHED or registry.values[k] == 0 else "secondary")
              for k, s in status.items() if k.measure == measure}
    return build_model(registry, measure, {**status, **pseudo}, policy)


def _check_atoms(res: AttackResult, registry: Registry, measure: str, status, policy: Policy, scenario: str,
                 history=None) -> None:
    """C2 for slivers: no atom (finest cross-classified cell) may be proven to lie in 1..T−1.

    An atom that is 0 in some feasible solution has lower bound 0 and cannot be pinned; a few
    sparse vertex solutions clear almost all atoms, and only the rest get their own LPs.
    """
    model = build_atom_model(registry, measure, status, policy, history=history)
    u = model.universe
    atoms = u.atoms()
    if all(a in registry.values for a in atoms):
        return  # every atom is itself a published or suppressed cell, checked above
    points = model.feasible_points(6)
    if not points:
        return  # infeasible: reported by the cell checks
    n_atoms = u.size
    can_be_zero = np.zeros(n_atoms, dtype=bool)
    for x in points:
        can_be_zero |= x[:n_atoms] < 0.5
    for i in np.flatnonzero(~can_be_zero):
        atom = atoms[i]
        res.checked_atoms += 1
        lo = model.bound(atom, "min")
        if math.isnan(lo) or math.ceil(lo - 1e-7) < 1:
            continue
        hi = model.bound(atom, "max")
        if math.isfinite(hi) and math.floor(hi + 1e-7) <= policy.T - 1:
            res.findings.append(Finding("C2", scenario, atom, float(math.ceil(lo - 1e-7)), float(math.floor(hi + 1e-7)),
                                        "en delmängd som inte publiceras kan visas ligga mellan 1 och "
                                        f"{policy.T - 1}"))
    res.checked_atoms += int(can_be_zero.sum())


def _check_relations(res, registry, status, policy, relations) -> None:
    T = policy.T
    for r in relations:
        members = r.members
        hidden = [m for m in members if status[m] != PUBLISHED]  # suppressed or not shown
        if status[r.total] == PUBLISHED and hidden and policy.zeros_visible:
            s = registry.values[r.total] - sum(registry.values[m] for m in members if status[m] == PUBLISHED)
            if 1 <= s <= T - 1:
                res.findings.append(Finding("C6", "S0", r.total, s, s,
                                            f"de dolda cellerna i {r.dim} summerar till ett litet tal"))
        # C7: two hidden parts of a published total, both 1 (a hidden total and its part are one group).
        if status[r.total] == PUBLISHED and len(hidden) == 2 and all(status[m] in HIDDEN for m in hidden) \
                and all(registry.values[m] == 1 for m in hidden):
            res.findings.append(Finding("C7", "S0", hidden[0], detail="två undertryckta ettor skyddar bara varandra"))
        if status[r.total] == PUBLISHED and registry.values[r.total] > 0:
            nonzero = [m for m in members if registry.values[m] > 0]
            if len(nonzero) == 1 and registry.values[nonzero[0]] <= policy.G and status[nonzero[0]] == PUBLISHED:
                res.findings.append(Finding("C10", "S0", nonzero[0],
                                            detail="hela raden ligger i en kategori (gruppattribut)"))


def _check_history(res, registry, status, history) -> None:
    for k, h in history.items():
        if k not in registry.values:
            continue
        now_published = status[k] == PUBLISHED
        if h.status == OMITTED or status[k] == OMITTED:
            continue  # not shown then, or not now: nothing to keep consistent
        if h.status == PUBLISHED and not now_published:
            res.findings.append(Finding("C9", "S4", k, detail=f"publicerades i release {h.release_id} men undertrycks nu"))
        elif h.status != PUBLISHED and now_published:
            res.findings.append(Finding("C9", "S4", k, detail=f"undertrycktes i release {h.release_id} men publiceras nu"))
        elif h.status == PUBLISHED and h.value != registry.values[k]:
            res.findings.append(Finding("C9", "S4", k, detail=f"har ett annat värde än i release {h.release_id}"))


def _check_utility(res, registry, status, policy) -> None:
    """U1 guards utility, not privacy: it is reported (warnings), never a refusal — every city gets its
    publication, and a city total of 1..T−1 is suppressed with a note rather than published."""
    shown = [s for s in status.values() if s != OMITTED]
    n = len(shown)
    sup = sum(1 for s in shown if s in HIDDEN)
    if n and sup / n > policy.max_suppressed_share:
        res.warnings.append(Finding("U1", "S0", None, detail=f"{sup} av {n} celler undertrycks (över "
                                                           f"{policy.max_suppressed_share:.0%})"))
    for k, s in status.items():
        if s in HIDDEN and is_city_total(k) and not policy.is_primary(registry.values[k]):
            res.warnings.append(Finding("U1", "S0", k, detail="stadens totalsumma undertrycks"))
