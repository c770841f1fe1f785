"""One year's release: from the store (and every earlier release) to the snapshot everything serves.

    inputs (aggregate frames; earlier releases' vintages)   aggregate/frames.py
      → count tables of the catalogue                        indicators/
      → joint protection with the history                    disclosure/ladder.py, release/history.py
      → the gate, derived numbers with declared counts       disclosure/gate.py
      → findings, sentences, chart values                    findings/, text/
      → content (JSON), stored once                          release/store.py
"""

from __future__ import annotations

import datetime as dt
import json
import math
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass

from .. import __version__
from ..aggregate import frames as F
from ..disclosure.gate import derive, earlier_derived, gate
from ..disclosure.keys import TOTAL, CellKey
from ..disclosure.ladder import HISTORY_PREFIX, protect_publication, protection_workers
from ..disclosure.policy import Policy
from ..errors import LikstallError
from ..indicators import Context, catalogue, count_registry
from ..text import both, has
from . import history as H
from . import store as S
from .content import table_json


@dataclass
class Built:
    content: dict
    structure: dict
    frames: dict
    cells: list
    summary: dict
    context: Context


def check_year(con, year: int) -> None:
    n = con.execute("SELECT count(*) FROM cases WHERE year(opened) = ?", [year]).fetchone()[0]
    if n == 0:
        years = [r[0] for r in con.execute("SELECT DISTINCT year(opened) FROM cases ORDER BY 1").fetchall()]
        raise LikstallError(f"Databasen har inga ärenden för {year}. År med data: "
                            f"{', '.join(map(str, years)) or 'inga'}.")


def _texts(ind_id: str, fields=("title", "unit", "method", "note")) -> dict:
    out = {}
    for lang in ("sv", "en"):
        out[lang] = {f: both(f"ind.{ind_id}.{f}")[lang] for f in fields if has(f"ind.{ind_id}.{f}", lang)}
    return out


def provenance(con) -> dict:
    loads = con.execute("SELECT load_id, extract_date, files FROM loads ORDER BY load_id").fetchall()
    synthetic = any(any(f.get("synthetic") for f in json.loads(files)) for _, _, files in loads)
    return {"loads": [int(r[0]) for r in loads], "extract_date": str(max((r[1] for r in loads), default="")),
            "extract_dates": sorted({str(r[1]) for r in loads}), "synthetic": synthetic}


def _secondary(suppression: str, history, time_limit: float):
    """The secondary suppression per measure: None (the greedy, `protect_publication`'s default) or the MILP."""
    if suppression == "greedy":
        return None
    if suppression == "optimal":
        from ..disclosure.optimal import optimal_measure

        return optimal_measure(history, time_limit=time_limit)
    raise LikstallError(f"okänd sekundär undertryckning {suppression!r} (greedy eller optimal)")


def build(con, year: int, *, policy: Policy | None = None, revise: bool = False, conf: float = 0.95,
          draft: bool = False, suppression: str = "greedy", suppression_time_limit: float = 60.0) -> Built:
    """Build the release of `year` from an open store connection (nothing is written).

    `suppression`: "greedy" (the default) or "optimal" (the MILP of `disclosure.optimal`, at most
    `suppression_time_limit` seconds per measure, starting from the greedy's pattern)."""
    policy = policy or Policy()
    check_year(con, year)
    hist = H.load(con)
    inputs = F.load(con, year, hist.frames_for(year, revise), revise=revise)
    ctx = Context(inputs, policy, conf)
    registry = count_registry(ctx)
    own_tables = [n for n in registry.tables]
    # The structure the release's own tables follow, taken before the history is merged in: the history's cells
    # carry their vintages, and which vintages there are told which earlier releases a revision changed (whether
    # a late person's placement reached a later year's trend).
    ctx.memo["dimensions"] = {
        "groups": {d: {g: sorted(m) for g, m in gs.items()} for d, gs in registry.groups.items()},
        "finest": {d: sorted(c) for d, c in registry.categories.items()}}
    fixed = hist.merge_into(registry)
    # A year made again starts where its latest release ended on the ladder: the same input then gives
    # the same pattern (and the same tables at the same level), instead of a search from the district
    # level that the earlier release's fixed cells may steer elsewhere.
    start = {n: lvl for n, lvl in hist.levels_of(year).items() if n in registry.tables}
    # Where a count differs by 1–4 from what an earlier release published (a revised year), no count table is
    # shown. Hiding only the changed cells, or only the tables that hold them, would
    # show which changed, and so who the revision changed: the late victim's district, sex (the women's table
    # changes only for a woman) and target group; a refused placement's stay and target group. (The
    # differences themselves are protected as counts: History.merge_into.)
    small_revision = any(1 <= v <= policy.T - 1 for v in hist.shown_differences.values())
    if small_revision:
        # (every measure, not only those that changed: which measures changed tells too, e.g. whether a refused
        # placement was the person's only one, which changes the persons placed)
        start.update(dict.fromkeys(own_tables, "omitted"))
    from ..findings import build_findings, candidates
    from ..findings.build import earlier_findings

    derived = [ind for ind in catalogue() if ind.kind == "derived"]
    workers = protection_workers(registry) if suppression == "greedy" else 1

    def protect_it():
        return protect_publication(registry, policy, fixed=fixed, history=hist.legacy, levels=start,
                                   protect_measure=_secondary(suppression, hist.legacy, suppression_time_limit),
                                   workers=workers)

    if workers > 1:
        # The protection runs in worker processes; meanwhile this process computes the derived numbers
        # and the findings' tests, which need the year's inputs but not the publication (they are gated below).
        with ThreadPoolExecutor(max_workers=1) as pool:
            protecting = pool.submit(protect_it)
            rows = {ind.id: ind.compute(ctx) for ind in derived}
            cands = candidates(ctx)
            protection = protecting.result()
    else:
        protection = protect_it()
        rows, cands = None, None
    if suppression == "optimal":  # the release says how it was protected (the default adds nothing: unchanged output)
        protection.audit.notes.append(
            "Sekundär undertryckning: optimerande (heltalsprogram i HiGHS med den giriga metodens mönster som "
            f"start, högst {suppression_time_limit:g} s per mått); varje mönster har klarat hela granskningen.")
    districts = ctx.districts
    meta = {}
    for ind in catalogue():
        if ind.kind == "count":
            meta[ind.id] = {"decimals": 0, "question": ind.question, "texts": _texts(ind.id)}
    pub = gate(registry, year, policy, protection, regions=dict(zip(districts["code"], districts["region"])),
               labels=dict(zip(districts["code"], districts["name"])), meta=meta)
    ctx.publication = pub
    # Every derived number an earlier release showed, so that one of the same year is not shown changed (only
    # releases whose years can overlap this one's: the same year, or a trend window's).
    contents = [S.load_content(con, r["release_id"]) for r in hist.releases if abs(int(r["year"]) - year) < F.TREND_YEARS]
    pub.earlier_derived = earlier_derived(contents)
    pub.small_revision = small_revision
    # And the findings an earlier release of the year showed: one shown again keeps its numbers, or goes.
    pub.earlier_findings = earlier_findings(c for c in contents if int(c["year"]) == year)
    ctx.memo["earlier_same_year"] = [c for c in contents if int(c["year"]) == year]
    for ind in derived:
        t = _texts(ind.id)
        derive(pub, ind.id, ind.measure, rows[ind.id] if rows else ind.compute(ctx), unit=t["sv"].get("unit", ""),
               title=t["sv"].get("title", ""), dims=ind.dims, decimals=ind.decimals, method=t["sv"].get("method", ""),
               question=ind.question, texts=t)
    findings = build_findings(ctx, cands)
    from .assemble import assemble

    content = assemble(ctx, findings, provenance(con), draft=draft)
    structure = H.structure_of(registry)
    structure["tables"] = [t for t in structure["tables"] if t["name"] in own_tables]
    structure["levels"] = {n: protection.levels[n] for n in own_tables if n in protection.levels}
    structure["small_revision"] = small_revision  # (History.levels_of: a later version does not start from it)
    cells = []
    for name in own_tables:
        t = registry.tables[name]
        for k, v in t.cells.items():
            kind = protection.status[k]
            cells.append((name, k.as_json(), kind, int(v) if kind == "published" else None, int(v)))
    summary = {"n_cells": pub.audit.n_cells, "n_suppressed": pub.audit.n_suppressed, "passed": pub.audit.passed}
    return Built(content, structure, inputs.to_json(), cells, summary, ctx)
