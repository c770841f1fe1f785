"""The audit: run the attacker under the scenarios and check criteria C1–C10 and U1 (DISCLOSURE.md §2.4–2.5).

Scenarios: S0 everything published (K0+K1); S1 zeros visible, so every suppressed cell is ≥ 1
(identical to S0 when zeros are shown, as they are by default); S2 an insider knows one small
primary cell (v ≤ k) and tries the others; S3 the attacker knows which cells are primary (K2):
a primary then lies in 1..T−1 by definition, so only exact disclosure (C1) can be checked; S4 the
release history: every earlier release's published cells are known too.
"""

from __future__ import annotations

import math
from collections import defaultdict

import numpy as np

from .attacker import (
    PRIMARY, PUBLISHED, AttackResult, CellBounds, Finding, HistoryCell, build_atom_model, build_model,
)
from .cells import TOTAL, CellKey, Registry, Relation
from .policy import Policy


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


def is_city_total(key: CellKey) -> bool:
    """The grand total of a measure (for a year or span of years): never suppressed (U1)."""
    return all(v == TOTAL for d, v in key.coords if d != "year")


def neighbours(relations: list[Relation]) -> dict[CellKey, set[CellKey]]:
    nb: dict[CellKey, set[CellKey]] = defaultdict(set)
    for r in relations:
        cells = (r.total, *r.members)
        for c in cells:
            nb[c].update(cells)
    return nb


def _refine(refine: float, kind: str, policy: Policy) -> float:
    """When the LP interval is narrower than this, integer programming gets the exact integer bounds.

    Integer bounds lie inside the LP bounds, so an LP interval that already fails stays failed; one
    that passes can still fail after refinement when it is narrow. Primary cells face C2–C5 (widths
    up to about 2T matter); secondary cells only C1, which integrality can only reach when the LP
    interval is a couple of units wide.
    """
    if refine == 0:
        return 0
    return refine if kind == PRIMARY else 3


def _check_interval(res: AttackResult, scenario: str, key: CellKey, kind: str, v: int, lo: float, hi: float,
                    certain: bool, policy: Policy, *, full: bool = True, prior_lb: float | None = None) -> None:
    """C1–C5 for one suppressed cell. prior_lb is what the policy alone reveals (K1: with zeros
    visible, a suppressed total whose non-zero members are all suppressed is at least their number)."""
    T = policy.T
    if prior_lb is None:
        prior_lb = 1 if policy.zeros_visible else 0
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


def run_attack(registry: Registry, status: dict[CellKey, str], policy: Policy, *,
               history: dict[CellKey, HistoryCell] | None = None, relations: list[Relation] | None = None,
               check_atoms: bool = True, insider: bool = True, s3: bool = True, fast: bool = False) -> AttackResult:
    """Every scenario and criterion over the whole publication (and its history). Findings empty = PASS.

    fast=True (used inside the suppression loop) skips the integer refinement, the atom checks and
    S3, and lets the insider try only the primaries that share an equation with the known cell.
    The final audit is never fast.
    """
    if fast:
        check_atoms, s3 = False, False
    res = AttackResult()
    relations = relations if relations is not None else registry.relations()
    history = {k: h for k, h in (history or {}).items()}
    refine = 0 if fast else 2 * policy.T
    nb = neighbours(relations)
    res.scenarios_run = ["S0", "S1", "S2"] + (["S3"] if s3 else []) + (["S4"] if history else [])
    res.notes.append("S3 (vilka celler som är primära är känt) redovisas men underkänner inte: alla undertryckta "
                     "celler har samma symbol, så den kunskapen finns inte i det publicerade.")
    if not policy.zeros_visible:
        res.notes.append("Nollor skyddas: S1 (alla undertryckta ≥ 1) gäller inte; S0 körs med undre gräns 0.")
    if not history:
        res.notes.append("Ingen tidigare publicering i releaseloggen: S4 är densamma som S1.")

    for measure in registry.measures():
        cells = sorted(k for k in registry.values if k.measure == measure)
        suppressed = [k for k in cells if status[k] != PUBLISHED]
        base = build_model(registry, measure, status, policy)
        scenario = "S1" if policy.zeros_visible else "S0"
        res.bounds.setdefault(scenario, {})
        prior = _prior_model(registry, measure, status, policy)
        for k in suppressed:
            lo, hi, certain = base.interval(k, refine_below=_refine(refine, status[k], policy),
                                            time_limit=policy.milp_time_limit)
            if math.isnan(lo):
                res.findings.append(Finding("C1", scenario, None, detail=f"modellen för {measure} är motsägelsefull"))
                break
            res.bounds[scenario][k] = CellBounds(k, status[k], lo, hi, certain)
            plb = math.ceil(prior.bound(k, "min") - 1e-7) if prior is not None and status[k] == PRIMARY else None
            _check_interval(res, scenario, k, status[k], registry.values[k], lo, hi, certain, policy, prior_lb=plb)
        if check_atoms:
            _check_atoms(res, registry, measure, status, policy, scenario)

        if insider:
            # S2: an insider who knows one small primary cell (v ≤ k) tries the primaries near it.
            for p in suppressed:
                v = registry.values[p]
                if status[p] != PRIMARY or v > policy.insider_k:
                    continue
                near = nb.get(p, set()) if fast else {q for n in nb.get(p, ()) for q in nb.get(n, ())} | nb.get(p, set())
                targets = sorted(q for q in near if q != p and q in status and status[q] == PRIMARY)
                if not targets:
                    continue
                m = build_model(registry, measure, status, policy, insider={p: v})
                for q in targets:
                    lo, hi, certain = m.interval(q, refine_below=refine, time_limit=policy.milp_time_limit)
                    if not certain or hi == lo or (lo >= 1 and hi <= policy.T - 1):
                        res.findings.append(Finding("C8", "S2", q, lo, hi,
                                                    f"en insider som känner {p.label()} kan avgränsa cellen"))

        # S3: which cells are primary is known (K2). We publish one symbol for every suppressed cell, so
        # this knowledge is not available; the intervals are reported for the record, not as FAIL.
        if suppressed and s3:
            m3 = build_model(registry, measure, status, policy, known_primary=True)
            res.bounds.setdefault("S3", {})
            for k in suppressed:
                lo, hi, certain = m3.interval(k, refine_below=1.5, time_limit=policy.milp_time_limit)
                if not math.isnan(lo):
                    res.bounds["S3"][k] = CellBounds(k, status[k], lo, hi, certain)

        # S4: the release history.
        if any(h.measure == measure for h in history):
            m4 = build_model(registry, measure, status, policy, history=history)
            res.bounds.setdefault("S4", {})
            for k in suppressed:
                lo, hi, certain = m4.interval(k, refine_below=_refine(refine, status[k], policy),
                                              time_limit=policy.milp_time_limit)
                if math.isnan(lo):
                    res.findings.append(Finding("C9", "S4", k, detail="den här publiceringen motsäger en tidigare"))
                    break
                res.bounds["S4"][k] = CellBounds(k, status[k], lo, hi, certain)
                _check_interval(res, "S4", k, status[k], registry.values[k], lo, hi, certain, policy)
            if check_atoms:
                _check_atoms(res, registry, measure, status, policy, "S4", history=history)

    for k, v in registry.values.items():
        if status[k] == PUBLISHED and policy.is_primary(v):
            res.findings.append(Finding("C2", "S0", k, v, v, f"publicerad cell med ett värde mellan 1 och {policy.T - 1}"))
    _check_relations(res, registry, status, policy, relations)
    _check_history(res, registry, status, history)
    _check_utility(res, registry, status, policy)
    return res


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
        sup = [m for m in members if status[m] != PUBLISHED]
        if status[r.total] == PUBLISHED and sup and policy.zeros_visible:
            s = registry.values[r.total] - sum(registry.values[m] for m in members if status[m] == PUBLISHED)
            if 1 <= s <= T - 1:
                res.findings.append(Finding("C6", "S0", r.total, s, s,
                                            f"de undertryckta cellerna i {r.dim} summerar till ett litet tal"))
        sup_all = [c for c in (r.total, *members) if status[c] != PUBLISHED]
        if len(sup_all) == 2 and all(registry.values[m] == 1 for m in sup_all):
            res.findings.append(Finding("C7", "S0", sup_all[0], detail="två undertryckta ettor skyddar bara varandra"))
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
        if h.status == PUBLISHED and not now_published:
            res.findings.append(Finding("C9", "S4", k, detail=f"publicerades i release {h.release_id} men undertrycks nu"))
        elif h.status != PUBLISHED and now_published:
            res.findings.append(Finding("C9", "S4", k, detail=f"undertrycktes i release {h.release_id} men publiceras nu"))
        elif h.status == PUBLISHED and h.value != registry.values[k]:
            res.findings.append(Finding("C9", "S4", k, detail=f"har ett annat värde än i release {h.release_id}"))


def _check_utility(res, registry, status, policy) -> None:
    n = len(status)
    sup = sum(1 for s in status.values() if s != PUBLISHED)
    if n and sup / n > policy.max_suppressed_share:
        res.findings.append(Finding("U1", "S0", None, detail=f"{sup} av {n} celler undertrycks (över "
                                                           f"{policy.max_suppressed_share:.0%})"))
    for k, s in status.items():
        if s != PUBLISHED and is_city_total(k):
            res.findings.append(Finding("U1", "S0", k, detail="stadens totalsumma får inte undertryckas"))
