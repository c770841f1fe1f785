"""Collect the candidates of every finding kind, control the false discovery rate, write sentences."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from .. import stats as S
from ..disclosure.keys import CellKey

Q_LEVEL = 0.05


@dataclass
class Candidate:
    kind: str  # placements, grant_rate, stays, shis, shis_pathway, target_groups, support, vulnerable, trends
    question: str  # the statement's question it answers: 1, 2 or 3 (see texts), or "trends"
    area: str  # district code, region:…, or total
    direction: str  # higher / lower
    p: float
    cells: tuple[CellKey, ...]  # counts it rests on: all must be published
    sentence: callable  # (pub, lang, q) → text, or None when a number it needs is not released
    estimate: float | None = None
    lower: float | None = None
    upper: float | None = None
    unit: str = ""
    extra: dict = field(default_factory=dict)


def candidates(ctx) -> list[Candidate]:
    """Every comparison of every finding kind that has a p-value."""
    from .kinds import KINDS

    cands: list[Candidate] = []
    for kind in KINDS:
        cands.extend(kind(ctx))
    return [c for c in cands if c.p is not None and not math.isnan(c.p)]


def significant(cands: list[Candidate]) -> list[tuple[Candidate, float]]:
    """(candidate, q) with q < Q_LEVEL, Benjamini–Hochberg across all candidates, most significant first."""
    if not cands:
        return []
    qs = S.adjust_pvalues([min(max(c.p, 0.0), 1.0) for c in cands])
    return [(c, float(q)) for c, q in sorted(zip(cands, qs), key=lambda cq: (cq[1], cq[0].kind, cq[0].area))
            if q < Q_LEVEL]


def build_findings(ctx, cands: list[Candidate] | None = None) -> list[dict]:
    """The findings the publication can show: significant among `cands` (default: `candidates(ctx)`),
    resting on published cells only, with their sentences."""
    pub = ctx.publication
    earlier = pub.earlier_findings
    out = []
    for c, q in significant(candidates(ctx) if cands is None else cands):
        if not all(pub.is_published(k) for k in c.cells):
            continue
        numbers = (_r(c.estimate), _r(c.lower), _r(c.upper), _r(c.p, 6), _r(float(q), 6))
        cells = [k.as_json() for k in c.cells]
        before = earlier.get(finding_key(c.kind, c.question, c.area, cells, pub.year))
        if before is not None and (before != numbers or pub.small_revision):
            continue  # an earlier release of the year showed this finding with other numbers: their difference is the revision's
        texts = {lang: c.sentence(pub, lang, float(q)) for lang in ("sv", "en")}
        if any(t is None for t in texts.values()):
            continue
        out.append({"kind": c.kind, "question": c.question, "district": c.area, "direction": c.direction,
                    "estimate": numbers[0], "ci_low": numbers[1], "ci_high": numbers[2], "unit": c.unit,
                    "p_value": numbers[3], "q_value": numbers[4], "text": texts,
                    "cells": cells, **c.extra})
    return out


def finding_key(kind: str, question: str, district: str, cells: list, year: int) -> tuple:
    """A finding's identity across releases of a year: what it is about and the count cells it rests on."""
    return str(kind), str(question), str(district), tuple(sorted(map(str, cells))), int(year)


def earlier_findings(contents) -> dict[tuple, tuple]:
    """(kind, question, district, cells, year) → the numbers an earlier release showed the finding with."""
    return {finding_key(f["kind"], f["question"], f["district"], f["cells"], c["year"]):
            (f["estimate"], f["ci_low"], f["ci_high"], f["p_value"], f["q_value"])
            for c in contents for f in c.get("findings", [])}


def _r(x, d: int = 4):
    return None if x is None or (isinstance(x, float) and (math.isnan(x) or math.isinf(x))) else round(float(x), d)
