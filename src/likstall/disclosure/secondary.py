"""Primary and secondary suppression over the union of every table of a publication.

1. Primary: counts 1..T−1 (and 0 when zeros are protected).
2. History (C9): a cell suppressed in an earlier release stays suppressed; one published earlier
   with the same value stays published.
3. Relations: in every equation total = Σ members, a lone suppressed cell is recomputable, two
   small cells must not protect each other (C6, C7), and a row must not put all its mass in one
   small category (C10). Each problem is fixed by suppressing the *smallest* published non-zero
   cell of that equation (never a city total), until no equation has a problem.
4. Attacker loop: the full audit (all scenarios) runs; every cell it can still pin down gets a
   complement in one of its equations; repeat until the audit passes.
A complement is the cell that creates the fewest new lone suppressed cells in its other equations
(so suppression does not cascade through linked tables), then the smallest, then by cell key:
the same input always gives the same pattern.
"""

from __future__ import annotations

from dataclasses import dataclass

from .attacker import PRIMARY, PUBLISHED, SECONDARY, AttackResult, HistoryCell
from .audit import is_city_total, run_attack
from .cells import CellKey, Registry, Relation
from .policy import Policy


@dataclass
class Protection:
    status: dict[CellKey, str]
    audit: AttackResult
    iterations: int
    relations: list[Relation]

    @property
    def suppressed(self) -> list[CellKey]:
        return sorted(k for k, s in self.status.items() if s != PUBLISHED)

    def share_suppressed(self) -> float:
        return len(self.suppressed) / len(self.status) if self.status else 0.0


class _Protector:
    def __init__(self, registry: Registry, policy: Policy, history: dict[CellKey, HistoryCell]):
        self.r = registry
        self.p = policy
        self.history = history
        self.status = {k: (PRIMARY if policy.is_primary(v) else PUBLISHED) for k, v in registry.values.items()}
        self.forced_published = set()
        for k, h in history.items():
            if k not in self.status:
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
        return (self.status[k] == PUBLISHED and k not in self.forced_published and not is_city_total(k)
                and (v > 0 or not self.p.zeros_visible))

    def cost(self, k: CellKey) -> tuple:
        """Prefer cells whose other equations already hide something (no new lone cell, so no cascade),
        then small cells, then the cell key (determinism)."""
        new_singletons = sum(
            1 for rel in self.by_cell.get(k, [])
            if all(self.status[c] == PUBLISHED for c in (rel.total, *rel.members))
        )
        return (new_singletons, self.r.values[k], k)

    def complement(self, rel: Relation, prefer_members: bool = True) -> CellKey | None:
        members = [m for m in rel.members if self.candidate_ok(m)]
        pool = members if (members and prefer_members) else members + ([rel.total] if self.candidate_ok(rel.total) else [])
        if not pool:
            return None
        return min(pool, key=self.cost)

    def suppress(self, k: CellKey | None) -> bool:
        if k is None or self.status[k] != PUBLISHED:
            return False
        self.status[k] = SECONDARY
        return True

    def _lb(self) -> int:
        return 1 if self.p.zeros_visible else 0

    def _room(self, sup: list[CellKey]) -> int:
        """Σ (value − lower bound) over the suppressed cells of an equation. A suppressed cell p can rise
        by the others' room: its slack is value(p) + room − (value(p) − lb) = room + lb, the same for every
        cell; with one more cell e known exactly (an insider), room + 2·lb − value(e)."""
        lb = self._lb()
        return sum(self.r.values[q] - lb for q in sup)

    def relation_pass(self) -> bool:
        changed = False
        T, lb = self.p.T, self._lb()
        need_up = max(T, lb + self.p.W)
        for rel in self.relations:
            cells = (rel.total, *rel.members)
            sup = [c for c in cells if self.status[c] != PUBLISHED]
            sup_members = [m for m in rel.members if self.status[m] != PUBLISHED]
            add = lambda: self.suppress(self.complement(rel)) or self.suppress(self.complement(rel, False))  # noqa: E731
            if len(sup) == 1:
                # A lone suppressed cell in an equation is the difference of the others.
                changed |= add()
                continue
            if self.status[rel.total] != PUBLISHED:
                continue
            if sup_members and self.p.zeros_visible:
                s = sum(self.r.values[m] for m in sup_members)
                if 1 <= s <= T - 1 or (len(sup_members) == 2 and all(self.r.values[m] == 1 for m in sup_members)):
                    changed |= add()  # C6, C7: small cells must not only protect each other
                    continue
            primaries = [m for m in sup_members if self.status[m] == PRIMARY]
            room = self._room(sup_members)
            # C3/C4: each primary must be able to rise to T (and by W) within the equation.
            if primaries and room + lb < need_up:
                changed |= add()
                continue
            # C8: an insider who knows one cell of 1..k must not pin another primary of the equation.
            small = [m for m in primaries if self.r.values[m] <= self.p.insider_k]
            if len(primaries) > 1 and any(room + 2 * lb - self.r.values[p] < T for p in small):
                changed |= add()
                continue
            if self.r.values[rel.total] > 0:
                nonzero = [m for m in rel.members if self.r.values[m] > 0]
                if len(nonzero) == 1 and self.r.values[nonzero[0]] <= self.p.G:
                    # Group attribute: the whole row in one small category. Hide it and the total.
                    changed |= self.suppress(nonzero[0])
                    if not is_city_total(rel.total):
                        changed |= self.suppress(rel.total)
        return changed

    def fix(self, cell: CellKey) -> bool:
        """Add one complement for a cell the attacker could pin down: the smallest allowed cell of its
        equations, else of its neighbours' equations, else (for an atom) a cell that contains it."""
        if cell in self.status and self.status[cell] == PUBLISHED and self.candidate_ok(cell):
            return self.suppress(cell)
        rels = self.by_cell.get(cell, [])
        for ring in (lambda: rels, lambda: self._next_ring(rels)):  # the wider ring only when needed
            options = {c for rel in ring() for c in (*rel.members, rel.total)}
            options = [c for c in options if self.candidate_ok(c)]
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
            max_iterations: int = 60, check_atoms: bool = True) -> Protection:
    """Suppress so that the audit passes; returns the pattern and the final audit."""
    policy = policy or Policy()
    pr = _Protector(registry, policy, history or {})
    iterations = 0
    audit = None
    final = False
    previous, unchanged = None, 0
    while iterations < max_iterations:
        iterations += 1
        while pr.relation_pass():
            pass
        # Fast audits steer the loop; once one passes, the full audit (integer refinement, slivers,
        # wider insider reach, S3) decides, and its findings are fixed the same way.
        audit = run_attack(registry, pr.status, policy, history=history, relations=pr.relations,
                           check_atoms=check_atoms, fast=not final, certify=True)
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
        for cell in sorted({f.cell for f in fixable}):
            progressed |= pr.fix(cell)
        if not progressed:
            break
    return Protection(pr.status, audit, iterations, pr.relations)
