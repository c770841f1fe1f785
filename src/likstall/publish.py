"""Build, protect and write the yearly publication; audit a publication. Library functions behind
`likstall publish` and `likstall audit`."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from .aggregate.publication import PublicationData, build_registry, load_publication_data
from .disclosure import release_log
from .disclosure.attacker import PUBLISHED, HistoryCell
from .disclosure.audit import run_attack
from .disclosure.cells import CellKey, Registry
from .disclosure.gate import Publication, gate
from .disclosure.policy import Policy
from .disclosure.secondary import Protection, protect
from .errors import LikstallError
from .store.connection import connect


@dataclass
class Prepared:
    data: PublicationData
    registry: Registry
    publication: Publication
    protection: Protection
    history: dict[CellKey, HistoryCell]


def _check_year(con, year: int) -> None:
    n = con.execute("SELECT count(*) FROM cases WHERE year(opened) = ?", [year]).fetchone()[0]
    if n == 0:
        years = [r[0] for r in con.execute("SELECT DISTINCT year(opened) FROM cases ORDER BY 1").fetchall()]
        raise LikstallError(f"Databasen har inga ärenden för {year}. År med data: "
                            f"{', '.join(map(str, years)) or 'inga'}.")


def _cache_key(registry: Registry, hist: dict, policy: Policy) -> str:
    import hashlib
    import json
    from dataclasses import asdict

    payload = json.dumps([sorted((k.as_json(), v) for k, v in registry.values.items()),
                          sorted((k.as_json(), h.status, h.value) for k, h in hist.items()),
                          asdict(policy)], ensure_ascii=False)
    return hashlib.sha256(payload.encode()).hexdigest()


def cached_protect(con, registry: Registry, policy: Policy, hist: dict) -> Protection:
    """protect(), remembered in the store: the same counts, history and policy give the same pattern."""
    import json

    from .disclosure.attacker import AttackResult, Finding

    key = _cache_key(registry, hist, policy)
    row = con.execute("SELECT pattern, audit FROM protection_cache WHERE cache_key = ?", [key]).fetchone()
    if row:
        pattern = {CellKey.from_json(c): s for c, s in json.loads(row[0])}
        a = json.loads(row[1])
        audit = AttackResult(findings=[Finding(f[0], f[1], None, detail=f[2]) for f in a["findings"]],
                             scenarios_run=a["scenarios"], notes=a["notes"], checked_atoms=a["checked_atoms"])
        return Protection(pattern, audit, a["iterations"], registry.relations())
    prot = protect(registry, policy, history=hist)
    a = prot.audit
    audit_json = {"findings": [[f.criterion, f.scenario, f"{f.cell.label() if f.cell else ''} {f.detail}".strip()]
                               for f in a.findings],
                  "scenarios": a.scenarios_run, "notes": a.notes, "checked_atoms": a.checked_atoms,
                  "iterations": prot.iterations}
    try:
        con.execute("INSERT OR REPLACE INTO protection_cache VALUES (?, now(), ?, ?)",
                    [key, json.dumps(sorted((k.as_json(), s) for k, s in prot.status.items()), ensure_ascii=False),
                     json.dumps(audit_json, ensure_ascii=False)])
    except Exception:  # noqa: BLE001 — a read-only store simply does not remember the pattern
        pass
    return prot


def prepare(con, year: int, policy: Policy | None = None) -> Prepared:
    """The count tables of the year's publication, protected against everything released before."""
    policy = policy or Policy()
    _check_year(con, year)
    data = load_publication_data(con, year)
    registry = build_registry(data)
    hist = release_log.history(con)
    prot = cached_protect(con, registry, policy, hist)
    regions = dict(zip(data.districts["code"], data.districts["region"]))
    labels = dict(zip(data.districts["code"], data.districts["name"]))
    pub = gate(registry, year, policy, history=hist, regions=regions, labels=labels, protection=prot)
    return Prepared(data, registry, pub, prot, hist)


def publish(db: str | Path, year: int, out: str | Path, *, policy: Policy | None = None, record: bool = True) -> dict:
    """Write `tables.csv` for the year's publication and log the release. Refuses to write if the audit fails."""
    from .render.tables_csv import write_tables_csv

    con = connect(db)
    try:
        prep = prepare(con, year, policy)
        pub = prep.publication
        if not pub.audit.passed:
            raise LikstallError("Röjandekontrollen godkände inte publiceringen; inget skrivs. Kör `likstall audit "
                                f"--db {db} --year {year}` för detaljer.")
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        n = write_tables_csv(pub, out / "tables.csv")
        release_id, new = release_log.record(con, pub, "publish") if record else (None, False)
    finally:
        con.close()
    return {"rows": n, "path": str(out / "tables.csv"), "release_id": release_id, "new_release": new,
            "share_suppressed": pub.audit.share_suppressed, "n_suppressed": pub.audit.n_suppressed,
            "n_cells": pub.audit.n_cells, "pattern_sha256": pub.pattern_hash()}


@dataclass
class AuditReport:
    year: int
    source: str  # "release N" or "ny publicering"
    registry: Registry
    status: dict[CellKey, str]  # primary / secondary / published
    result: object  # AttackResult
    policy: Policy

    @property
    def passed(self) -> bool:
        return self.result.passed


def audit(db: str | Path, year: int, *, policy: Policy | None = None) -> AuditReport:
    """Run the attacker over the year's publication and the release history.

    If the year has been released, the released pattern is audited against today's data (so a
    revision that makes an old pattern unsafe is found); otherwise the publication `publish`
    would write now.
    """
    policy = policy or Policy()
    con = connect(db)
    try:
        _check_year(con, year)
        data = load_publication_data(con, year)
        registry = build_registry(data)
        hist = release_log.history(con)
        latest = release_log.latest_release(con, year)
        if latest:
            rid = latest[0]
            released = {CellKey.from_json(c): s for c, s in con.execute(
                "SELECT cell, status FROM release_cells WHERE release_id = ?", [rid]).fetchall()}
            status = {}
            for k, v in registry.values.items():
                s = released.get(k)
                if s is None:
                    status[k] = "primary" if policy.is_primary(v) else PUBLISHED
                elif s == "published":
                    status[k] = PUBLISHED
                else:
                    status[k] = "primary" if policy.is_primary(v) else "secondary"
            prior = {k: h for k, h in hist.items() if h.release_id != rid}
            result = run_attack(registry, status, policy, history=prior)
            source = f"release {rid}"
        else:
            prot = protect(registry, policy, history=hist)
            status, result, source = prot.status, prot.audit, "ny publicering (inte släppt än)"
    finally:
        con.close()
    return AuditReport(year, source, registry, status, result, policy)
