"""Primary and secondary suppression over the union of every table of a publication.

1. Primary: counts 1..T−1 (and 0 when zeros are protected). Cells no table shows (a breakdown left
   out by the small-total rule or the fallback ladder, see `visibility.py` and `ladder.py`) are
   *omitted*: unknowns to the attacker, not known to be non-zero.
2. History (C9): a cell suppressed in an earlier release stays suppressed; one published earlier
   with the same value stays published; cells of earlier releases are fixed (`fixed`).
3. Relations: in every equation total = Σ members, a lone suppressed cell is recomputable, hidden
   cells must not sum to a small number (C6), two small cells must not protect each other (C7),
   each primary must be able to reach T (C3, C4) and an insider must not pin a neighbour (C8).
   Each problem is fixed by suppressing the *smallest* published non-zero cell of that equation
   (never a city total), until no equation has a problem. C10 (a row's whole mass in one small
   category) is met by the small-total rule, not here.
4. Attacker loop: the audit runs (every scenario that can fail: S3 cannot, see `run_attack`); every
   cell it can still pin down gets a complement in one of its equations; repeat until the audit passes.
A complement is the cell that creates the fewest new lone suppressed cells in its other equations
(so suppression does not cascade through linked tables), then the smallest, then by cell key:
the same input always gives the same pattern.
"""

from __future__ import annotations

from dataclasses import dataclass

from .attacker import AttackResult, Finding, HistoryCell
from .audit import Aliases, BaseModels, run_attack
from .cells import CellKey, Registry, Relation
from .keys import HIDDEN, OMITTED, PRIMARY, PUBLISHED, SECONDARY, is_city_total, row_level
from .policy import Policy


class Pattern:
    """What a suppression pattern (`status`: cell → status) hides, and which share of the shown cells."""

    status: dict[CellKey, str]

    @property
    def suppressed(self) -> list[CellKey]:
        return sorted(k for k, s in self.status.items() if s in HIDDEN)

    def share_suppressed(self) -> float:
        shown = sum(1 for s in self.status.values() if s != OMITTED)
        return len(self.suppressed) / shown if shown else 0.0


@dataclass
class Protection(Pattern):
    status: dict[CellKey, str]
    audit: AttackResult
    iterations: int
    relations: list[Relation]
    because: dict[CellKey, CellKey] = None  # complement → the cell it was hidden to protect
    stuck: bool = False  # stopped before any audit: an equation no allowed complement can mend


class _Protector:
    def __init__(self, registry: Registry, policy: Policy, history: dict[CellKey, HistoryCell],
                 initial: dict[CellKey, str] | None = None, fixed: dict[CellKey, str] | None = None):
        self.r = registry
        self.p = policy
        self.history = history
        if initial is None:
            self.status = {k: (PRIMARY if policy.is_primary(v) else PUBLISHED) for k, v in registry.values.items()}
        else:
            self.status = {k: initial[k] for k in registry.values}
        self.fixed = {k for k in (fixed or {}) if k in self.status}
        for k in self.fixed:
            self.status[k] = fixed[k]
        self.forced_published = set()
        self.because: dict[CellKey, CellKey] = {}
        self.stuck: list[tuple[str, list[CellKey]]] = []  # see `relation_pass`
        self._aliases: Aliases | None = None
        self._for: CellKey | None = None
        for k, h in history.items():
            if k not in self.status or k in self.fixed or h.status == OMITTED or self.status[k] == OMITTED:
                continue
            if h.status == PUBLISHED and h.value == registry.values[k] and self.status[k] == PUBLISHED:
                self.forced_published.add(k)
            elif h.status != PUBLISHED and self.status[k] == PUBLISHED:
                self.status[k] = SECONDARY
        self.relations = registry.relations()
        self.by_cell: dict[CellKey, list[Relation]] = {}
        for rel in self.relations:
            for c in (rel.total, *rel.members):
                self.by_cell.setdefault(c, []).append(rel)

    def candidate_ok(self, k: CellKey) -> bool:
        v = self.r.values[k]
        return (self.status[k] == PUBLISHED and k not in self.forced_published and k not in self.fixed
                and not is_city_total(k) and (v > 0 or not self.p.zeros_visible))

    def cost(self, k: CellKey) -> tuple:
        """Prefer cells that are not the city's (the city row is what every reader looks at), then cells
        that sit in one table only (a margin shared by several tables would be lost in all of them), then
        cells whose other equations already hide something (no new lone cell, so no cascade), then small
        cells, then the cell key (determinism)."""
        new_singletons = sum(
            1 for rel in self.by_cell.get(k, [])
            if all(self.status[c] == PUBLISHED for c in (rel.total, *rel.members))
        )
        return (row_level(k) == "city", self.shared(k), new_singletons, self.r.values[k], k)

    def tier(self, k: CellKey) -> int:
        """The most prominent table that shows the cell (1 headline, 2 breakdown; 3 shown nowhere). The
        difference between two vintages of a cell (`vintage=dN`, release/history.py) has the tier of the
        cell: the difference of a headline count may be protected with headline cells."""
        if k.is_difference() and k.base() in self.status:
            return self.tier(k.base())
        tiers = [self.r.tables[t].tier for t in self.r.cell_tables.get(k, ())
                 if not t.startswith(self.r.fixed_prefix) and not self.r.tables[t].internal]
        return min(tiers) if tiers and self.status[k] != OMITTED else 3

    def shared(self, k: CellKey) -> bool:
        """A margin several tables show (a district's total, the count a rate rests on)."""
        return sum(1 for t in self.r.cell_tables.get(k, ()) if not t.startswith(self.r.fixed_prefix)) > 1

    def _small_sliver(self, k: CellKey) -> bool:
        return self.status[k] == OMITTED and 1 <= self.r.values[k] <= self.p.T - 1

    def complement(self, rel: Relation, prefer_members: bool = True) -> CellKey | None:
        # A breakdown protects itself: a problem in a breakdown (tier 2) is never solved by hiding a cell of a
        # headline table (tier 1: the counts per district every reader looks up); if the breakdown's own
        # cells cannot do it, the fallback ladder lifts it. Headline problems may use any cell.
        hidden = [c for c in (rel.total, *rel.members) if self.status[c] != PUBLISHED]
        problem = min((self.tier(c) for c in hidden), default=3)
        ok = lambda c: self.candidate_ok(c) and self.tier(c) >= min(problem, 2)  # noqa: E731
        members = [m for m in rel.members if ok(m)]
        pool = members if (members and prefer_members) else members + ([rel.total] if ok(rel.total) else [])
        if not pool:
            return None
        return min(pool, key=self.cost)

    def suppress(self, k: CellKey | None) -> bool:
        if k is None or self.status[k] != PUBLISHED:
            return False
        self.status[k] = SECONDARY
        if self._for is not None:
            self.because.setdefault(k, self._for)
        return True

    def _lb(self) -> int:
        return 1 if self.p.zeros_visible else 0

    def _room(self, hidden: list[CellKey]) -> int:
        """Σ (value − lower bound) over the hidden cells of an equation (suppressed: lb, omitted: 0). A
        suppressed cell p can rise by the others' room: its slack is value(p) + room − (value(p) − lb) =
        room + lb, the same for every cell; with one more cell e known exactly (an insider),
        room + 2·lb − value(e)."""
        lb = self._lb()
        return sum(self.r.values[q] - (lb if self.status[q] in HIDDEN else 0) for q in hidden)

    def relation_pass(self) -> bool:
        """One pass over the equations, adding a complement wherever one has a problem. Problems no
        allowed complement can mend are collected in `stuck` (cleared at the start of each pass)."""
        changed = False
        self.stuck = []
        T, lb = self.p.T, self._lb()
        need_up = max(T, lb + self.p.W)
        for rel in self.relations:
            cells = (rel.total, *rel.members)
            unknown = [c for c in cells if self.status[c] != PUBLISHED]
            if not unknown:
                continue
            self._for = unknown[0]

            def add(criterion: str, needy: list[CellKey]) -> bool:
                """Complement the equation; when nothing may be hidden, note the problem as stuck if it is a
                certain failure of the audit (`needy`: the cells that fail; empty when not certain)."""
                if self.suppress(self.complement(rel)) or self.suppress(self.complement(rel, False)):
                    return True
                if needy:
                    self.stuck.append((criterion, needy))
                return False

            if len(unknown) == 1:
                # A lone unknown in an equation is the difference of the others: a problem if it is
                # suppressed, or a small cell that no table shows (a sliver).
                u = unknown[0]
                if self.status[u] in HIDDEN or 1 <= self.r.values[u] <= T - 1:
                    changed |= add("C1" if self.status[u] in HIDDEN else "C2", [u])
                continue
            if self.status[rel.total] != PUBLISHED:
                self._insider_knows_total(rel)
                continue
            hidden = [m for m in rel.members if self.status[m] != PUBLISHED]
            sup_members = [m for m in hidden if self.status[m] in HIDDEN]
            needy = [m for m in hidden if self.status[m] in (PRIMARY, OMITTED)] or hidden
            if hidden and self.p.zeros_visible:
                s = sum(self.r.values[m] for m in hidden)
                pair = len(hidden) == 2 and len(sup_members) == 2 and all(self.r.values[m] == 1 for m in hidden)
                if 1 <= s <= T - 1 or pair:
                    changed |= add("C7" if pair else "C6", needy)  # small cells must not only protect each other
                    continue
            primaries = [m for m in sup_members if self.status[m] == PRIMARY]
            room = self._room(hidden)
            # C3/C4: each primary must be able to rise to T (and by W) within the equation.
            # (A primary 0, with zeros protected, only needs not to be recomputable: not a certain failure.)
            if primaries and room + lb < need_up:
                changed |= add("C4" if room + lb < T else "C3", [m for m in primaries if self.r.values[m] > 0])
                continue
            # C8: an insider who knows one cell of 1..k must not pin another primary of the equation
            # (pinned to 1..T−1 for certain only when zeros are visible: the others are then ≥ 1).
            small = [m for m in primaries if self.r.values[m] <= self.p.insider_k]
            if len(primaries) > 1 and any(room + 2 * lb - self.r.values[p] < T for p in small):
                changed |= add("C8", primaries if self.p.zeros_visible else [])
                continue
        return changed

    def _insider_knows_total(self, rel: Relation) -> None:
        """C8 with the insider's cell as the total: someone who knows a total of 1..k knows that every
        suppressed part of it lies between 1 and that total (zeros visible), unless the part is the
        total itself (every other part a published zero: the same persons). Hiding more cannot change
        that, so it is stuck at once (only the ladder helps)."""
        if not self.p.zeros_visible or self.status[rel.total] != PRIMARY or self.r.values[rel.total] > self.p.insider_k:
            return
        if self._aliases is None:
            # Published zeros are never hidden (not candidates when zeros are visible), so the classes hold.
            self._aliases = Aliases(self.relations, self.status, self.r.values)
        pinned = [m for m in rel.members if self.status[m] == PRIMARY and not self._aliases.same(m, rel.total)]
        if pinned:
            self.stuck.append(("C8", pinned))

    def stuck_result(self) -> AttackResult:
        """The problems the last relation pass could not mend, as findings. Each is certain: the
        equation alone bounds its cells (a lone unknown is their difference; a primary can rise at most
        by the others' room), and no complement is allowed in it (its published cells are zeros, city
        totals, earlier releases' cells, or headline cells a breakdown may not hide), so no audit is
        needed to know that this pattern fails: the fallback ladder decides at once."""
        res = AttackResult()
        res.findings = [Finding(crit, "S1", c, detail="ekvationen kan inte skyddas med tabellens egna celler")
                        for crit, needy in self.stuck for c in needy]
        return res

    def fix(self, cell: CellKey, hints: tuple[CellKey, ...] = ()) -> bool:
        """Add one complement for a cell the attacker could pin down: the smallest allowed cell of its
        equations, else of its neighbours' equations, else (for an atom) a cell that contains it. For a
        sliver, one of the published margins it is the intersection of comes first."""
        self._for = cell
        problem = self.tier(cell) if cell in self.status else 2  # see `complement`
        ok = lambda c: self.candidate_ok(c) and self.tier(c) >= min(problem, 2)  # noqa: E731
        options = [c for c in hints if c in self.status and ok(c)]
        if options:
            return self.suppress(min(options, key=self.cost))
        if cell in self.status and self.status[cell] == PUBLISHED and self.candidate_ok(cell):
            return self.suppress(cell)
        rels = self.by_cell.get(cell, [])
        # The wider ring only when needed, and never the city row: hiding a city cell to protect a district
        # only moves the problem upwards (in a revised year the cell's own equations may hold nothing but
        # the earlier release's fixed cells and the city row). When no district or region cell is left,
        # the audit fails and the fallback ladder lifts the table instead.
        for ring in (lambda: rels, lambda: self._next_ring(rels)):
            options = {c for rel in ring() for c in (*rel.members, rel.total)}
            options = [c for c in options if ok(c) and row_level(c) != "city"]
            if options:
                return self.suppress(min(options, key=self.cost))
        if cell not in self.status:
            options = [k for k in self._containing(cell) if self.candidate_ok(k)]
            if options:
                return self.suppress(min(options, key=self.cost))
        return False

    def _next_ring(self, rels: list[Relation]) -> list[Relation]:
        seen: dict[int, Relation] = {}
        for r in rels:
            for c in (r.total, *r.members):
                for r2 in self.by_cell.get(c, []):
                    seen.setdefault(id(r2), r2)
        return list(seen.values())

    def _containing(self, atom: CellKey) -> list[CellKey]:
        u = self.r.universe(atom.measure)
        idx = set(u.indicator(atom).tolist())
        return [k for k in self.r.values if k.measure == atom.measure and idx <= set(u.indicator(k).tolist())]


def protect(registry: Registry, policy: Policy | None = None, *, history: dict[CellKey, HistoryCell] | None = None,
            max_iterations: int = 60, check_atoms: bool = True, initial: dict[CellKey, str] | None = None,
            fixed: dict[CellKey, str] | None = None, stop_when_stuck: bool = False) -> Protection:
    """Suppress so that the audit passes; returns the pattern and the final audit.

    `initial`: the starting statuses (primary, published, omitted — see `visibility.initial_status`);
    by default every cell is shown. `fixed`: cells whose status cannot change (earlier releases).
    `stop_when_stuck`: return at once, with the stuck equations as findings (`stuck=True`) instead of a
    real audit, when an equation has a problem no allowed complement can mend (`_Protector.stuck_result`);
    the fallback ladder asks for this, since it only needs to know which table to lift.
    """
    policy = policy or Policy()
    pr = _Protector(registry, policy, history or {}, initial=initial, fixed=fixed)
    iterations = 0
    audit = None
    final = False
    previous, unchanged = None, 0
    models = BaseModels()  # the full audit of a pattern goes on from its fast audit's models
    while iterations < max_iterations:
        iterations += 1
        while pr.relation_pass():
            pass
        if pr.stuck and stop_when_stuck:
            # A breakdown whose own cells cannot protect an equation fails whatever the audit finds; the
            # futile audits (a national release spent minutes on them) are skipped and the ladder lifts it.
            return Protection(pr.status, pr.stuck_result(), iterations, pr.relations, pr.because, stuck=True)
        # Fast audits steer the loop; once one passes, the full audit (integer refinement, slivers,
        # wider insider reach) decides, and its findings are fixed the same way. It goes on from the fast
        # audit's models (`models`: the same pattern).
        audit = run_attack(registry, pr.status, policy, history=history, relations=pr.relations,
                           check_atoms=check_atoms, fast=not final, certify=True, models=models)
        fixable = [f for f in audit.findings if f.cell is not None and f.criterion not in ("U1", "C9")]
        if not fixable:
            if final:
                break
            final = True
            continue
        # The same findings three audits running: the complements are not reaching them (with zeros
        # visible, a row of one or two persons in one category is shown by its zeros whatever else is
        # hidden). Stop there: more suppression would only cost utility, and the audit says FAIL.
        found = {(f.criterion, f.cell) for f in fixable}
        unchanged = unchanged + 1 if found == previous else 0
        previous = found
        if unchanged >= 2:
            break
        progressed = False
        hints: dict[CellKey, tuple[CellKey, ...]] = {}
        for f in fixable:
            hints[f.cell] = hints.get(f.cell, ()) + tuple(f.cells)
        for cell in sorted(hints):
            progressed |= pr.fix(cell, hints[cell])
        if not progressed:
            break
    return Protection(pr.status, audit, iterations, pr.relations, pr.because)
