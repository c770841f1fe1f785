"""`likstall publish` and `likstall audit`: make a year's release, and audit everything released.

A release is made once per year and data (and made again, as a new version, when the data or the
history changed); it is protected jointly with every earlier release. The audit runs the attacker
over all releases together — everything ever served — with each release's own equations.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .disclosure.policy import Policy
from .errors import LikstallError


def publish(db: str | Path, year: int, out: str | Path | None = None, *, policy: Policy | None = None,
            revise: bool = False, suppression: str = "greedy") -> dict:
    """Make (or find) the year's release; with `out`, also write its tables.csv there. `suppression`:
    "greedy" (default) or "optimal" (the MILP, see `disclosure.optimal`)."""
    from .release import make_release
    from .render.report import provenance_lines
    from .render.tables_csv import write_tables_csv

    rel, new = make_release(db, year, policy=policy, revise=revise, suppression=suppression)  # refuses a failing one
    a = rel.publication.audit
    path, n = None, 0
    if out is not None:
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        path = out / "tables.csv"
        n = write_tables_csv(rel.publication, path, provenance_lines(rel))
    return {"release": rel, "release_id": rel.release_id, "version": rel.version, "new_release": new,
            "rows": n, "path": None if path is None else str(path), "share_suppressed": a.share_suppressed,
            "n_suppressed": a.n_suppressed, "n_cells": a.n_cells, "steps": list(a.steps),
            "findings": [f.text_sv for f in rel.findings]}


@dataclass
class AuditReport:
    source: str
    registry: object
    status: dict
    result: object  # AttackResult
    policy: Policy
    releases: list[dict]

    @property
    def passed(self) -> bool:
        return self.result.passed


def audit(db: str | Path, year: int | None = None, *, policy: Policy | None = None) -> AuditReport:
    """The attacker over every stored release together (their cells, statuses and own equations), with
    every scenario and criterion, computing each interval exactly (no certification)."""
    from .disclosure.attacker import AttackResult
    from .disclosure.audit import run_attack
    from .disclosure.cells import Registry
    from .disclosure.ladder import _merge
    from .release import history as H
    from .release import store
    from .store.connection import connect

    con = connect(db, read_only=Path(db).exists())
    try:
        releases = store.list_releases(con)
        if year is not None and not any(r["year"] == year for r in releases):
            years = sorted({r["year"] for r in releases})
            raise LikstallError(f"Inget år {year} är publicerat. Publicerade år: {', '.join(map(str, years)) or 'inga'}. "
                                f"Skapa releasen med `likstall publish --db {db} --year {year}`.")
        hist = H.load(con)
    finally:
        con.close()
    if not hist.releases:
        raise LikstallError("Databasen har inga releaser att granska. Skapa en med `likstall publish`.")
    policy = policy or Policy(**{k: v for k, v in hist.releases[-1]["policy"].items()}) \
        if "policy" in hist.releases[-1] else (policy or Policy())
    reg = Registry()
    fixed = hist.merge_into(reg)
    status = {k: fixed.get(k, "omitted") for k in reg.values}
    result = AttackResult()
    for measure in reg.measures():
        sub = reg.subset([measure])
        _merge(result, run_attack(sub, {k: status[k] for k in sub.values}, policy, history=hist.legacy))
    return AuditReport(f"{len(releases)} release(r): " + ", ".join(f"{r['year']} v{r['version']}" for r in releases),
                       reg, status, result, policy, releases)
