"""The certified audit (fewer LPs: cells settled by solutions already seen) gives the exact audit's verdict.

Same findings — criterion, scenario, cell and interval — except that an insider's C8 on a cell that
already fails without an insider is not repeated (same verdict, same failing cells), on patterns that
fail in many ways (primary
suppression only), on half-protected and on fully protected patterns, fast and full, zeros visible and
protected, with and without a release history; and every interval the certified audit records lies
inside the exact one.
"""

from __future__ import annotations

import pytest

from likstall.disclosure.attacker import PRIMARY, PUBLISHED, HistoryCell
from likstall.disclosure.audit import run_attack
from likstall.disclosure.policy import Policy
from likstall.disclosure.secondary import _Protector, protect

from test_random_publications import random_publication


def findings(res):
    return sorted((f.criterion, f.scenario, f.cell.label() if f.cell else "", f.lo, f.hi, f.detail)
                  for f in res.findings)


def assert_same_verdict(quick, exact, where=()):
    """The certified audit's findings are the exact audit's, except an insider's C8 on a cell that already
    fails without an insider (it would only repeat a failing cell): same verdict, same failing cells."""
    q, e = findings(quick), findings(exact)
    assert set(q) <= set(e), where
    failing_without_insider = {f.cell for f in exact.findings if f.scenario != "S2" and f.cell is not None}
    for f in exact.findings:
        if not any(f.cell is not None and x == (f.criterion, f.scenario, f.cell.label(), f.lo, f.hi, f.detail) for x in q):
            assert f.criterion == "C8" and f.cell in failing_without_insider, (where, f)
    assert quick.passed == exact.passed and set(quick.failing_cells()) == set(exact.failing_cells()), where


def patterns(reg, policy):
    primary = {k: (PRIMARY if policy.is_primary(v) else PUBLISHED) for k, v in reg.values.items()}
    half = _Protector(reg, policy, {})
    half.relation_pass()
    return {"primary only": primary, "one relation pass": dict(half.status),
            "protected": protect(reg, policy).status}


@pytest.mark.slow  # the exact audit of 12 patterns each: the full run (CI), not the quick run
@pytest.mark.parametrize("zeros", ["visible", "protected"])
@pytest.mark.parametrize("seed", [3, 11])
def test_certified_audit_has_the_exact_verdict(seed, zeros):
    reg = random_publication(seed, 10)
    policy = Policy(max_suppressed_share=0.9, zeros=zeros)
    compared = 0
    for name, status in patterns(reg, policy).items():
        for fast in (True, False):
            exact = run_attack(reg, status, policy, fast=fast)
            quick = run_attack(reg, status, policy, fast=fast, certify=True)
            assert_same_verdict(quick, exact, (name, fast))
            for scen, cells in quick.bounds.items():
                for k, b in cells.items():
                    e = exact.bounds[scen][k]
                    assert e.lo <= b.lo and b.hi <= e.hi, (name, fast, scen, k.label(), (b.lo, b.hi), (e.lo, e.hi))
                    compared += 1
            if name == "primary only":
                assert exact.findings  # the comparison must include failing audits, not only passes
    assert compared > 100


def test_certified_audit_has_the_exact_verdict_with_a_release_history():
    policy = Policy(max_suppressed_share=0.9, zeros="protected")
    earlier = random_publication(5, 10)
    prot = protect(earlier, policy)
    history = {k: HistoryCell("published" if s == PUBLISHED else "suppressed",
                              earlier.values[k] if s == PUBLISHED else None, 1) for k, s in prot.status.items()}
    reg = random_publication(6, 10)  # the same cells with other counts: a revised release
    status = protect(reg, policy, history=history).status
    exact = run_attack(reg, status, policy, history=history)
    quick = run_attack(reg, status, policy, history=history, certify=True)
    assert "S4" in exact.scenarios_run and exact.findings
    assert findings(quick) == findings(exact)
