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
    out = []
    for c, q in significant(candidates(ctx) if cands is None else cands):
        if not all(pub.is_published(k) for k in c.cells):
            continue
        texts = {lang: c.sentence(pub, lang, float(q)) for lang in ("sv", "en")}
        if any(t is None for t in texts.values()):
            continue
        out.append({"kind": c.kind, "question": c.question, "district": c.area, "direction": c.direction,
                    "estimate": _r(c.estimate), "ci_low": _r(c.lower), "ci_high": _r(c.upper), "unit": c.unit,
                    "p_value": _r(c.p, 6), "q_value": _r(float(q), 6), "text": texts,
                    "cells": [k.as_json() for k in c.cells], **c.extra})
    return out


def _r(x, d: int = 4):
    return None if x is None or (isinstance(x, float) and (math.isnan(x) or math.isinf(x))) else round(float(x), d)
