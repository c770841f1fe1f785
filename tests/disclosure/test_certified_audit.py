"""The certified audit (fewer LPs: cells settled by solutions already seen) gives the exact audit's verdict.

Same findings — criterion, scenario, cell and interval — except that an insider's C8 on a cell that
already fails without an insider is not repeated (same verdict, same failing cells), on patterns that
fail in many ways (primary
suppression only), on half-protected and on fully protected patterns, fast and full, zeros visible and
protected, with and without a release history; and every interval the certified audit records lies
inside the exact one. The same holds for a full audit that goes on from the fast audit's models (as the
suppression loop runs them), which needs fewer LPs than one from scratch.
"""

from __future__ import annotations

import pytest

from likstall.disclosure import attacker
from likstall.disclosure.attacker import PRIMARY, PUBLISHED, HistoryCell
from likstall.disclosure.audit import BaseModels, run_attack
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
def test_certified_audit_has_the_exact_verdict(seed, zeros, monkeypatch):
    reg = random_publication(seed, 10)
    policy = Policy(max_suppressed_share=0.9, zeros=zeros)
    lps = [0]
    solve = attacker.Model._lp

    def counted(self, *args, **kw):
        lps[0] += 1
        return solve(self, *args, **kw)

    monkeypatch.setattr(attacker.Model, "_lp", counted)

    def lps_of(audit):
        before = lps[0]
        return audit(), lps[0] - before

    compared, fresh_lps, kept_lps = 0, 0, 0
    for name, status in patterns(reg, policy).items():
        for fast in (True, False):
            exact = run_attack(reg, status, policy, fast=fast)
            quick, n = lps_of(lambda: run_attack(reg, status, policy, fast=fast, certify=True))
            audits = [("fresh", quick)]
            if not fast:
                # As the suppression loop runs them: the fast audit, then the full one on its models.
                models = BaseModels()
                run_attack(reg, status, policy, fast=True, certify=True, models=models)
                kept, m = lps_of(lambda: run_attack(reg, status, policy, certify=True, models=models))
                audits.append(("kept models", kept))
                fresh_lps, kept_lps = fresh_lps + n, kept_lps + m
            for how, audit in audits:
                assert_same_verdict(audit, exact, (name, fast, how))
                for scen, cells in audit.bounds.items():
                    for k, b in cells.items():
                        e = exact.bounds[scen][k]
                        assert e.lo <= b.lo and b.hi <= e.hi, (name, fast, how, scen, k.label(), (b.lo, b.hi), (e.lo, e.hi))
                        compared += 1
            if name == "primary only":
                assert exact.findings  # the comparison must include failing audits, not only passes
    assert compared > 100
    assert kept_lps < fresh_lps, (kept_lps, fresh_lps)  # the kept models are used, not rebuilt


def test_kept_models_belong_to_one_pattern():
    reg = random_publication(3, 10)
    policy = Policy(max_suppressed_share=0.9)
    status = protect(reg, policy).status
    measure = next(iter(reg.measures()))
    models = BaseModels()
    model = models.get(reg, measure, status, policy)
    assert models.get(reg, measure, dict(status), policy) is model  # an equal pattern: the same model
    shown = next(k for k, s in status.items() if s == PUBLISHED and k.measure == measure)
    assert models.get(reg, measure, {**status, shown: "secondary"}, policy) is not model
    assert models.get(reg, measure, status, Policy(max_suppressed_share=0.9, zeros="protected")) is not model


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
