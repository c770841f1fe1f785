"""The gate: the only way a number reaches an output.

`gate()` takes the count tables of a publication (true values) and their protection, and returns a
`Publication` that holds only checked cells: a suppressed cell's value is *removed*, not hidden
(there is no attribute a renderer could read it from), and a cell a table does not show (a
breakdown left out by the small-total rule or the fallback ladder) is not in that table at all.
Derived numbers — rates, shares, intervals, ratios, means, medians, survival — enter through
`derive()`, which publishes a value only when every count it declares is published, and a mean or
median only when it rests on at least T persons. Values are stored as they are shown (rounded to the
indicator's decimals), so the API serves what the report prints.
"""

from __future__ import annotations

import math

from .cells import Registry
from .keys import HIDDEN, PUBLISHED, CellKey
from .ladder import HISTORY_PREFIX, PublicationProtection
from .policy import Policy
from .published import (NOT_APPLICABLE, NOT_REPORTED, SUPPRESSED, TOTAL, AuditSummary, Publication,  # noqa: F401
                        PublishedCell, PublishedTable)
from .visibility import _tail_cut, row_shown


def _summary(prot: PublicationProtection, tables: dict[str, PublishedTable]) -> AuditSummary:
    """The audit of the count cells this release shows (each once, whichever tables show it). Counted from the
    tables as shown, not from the statuses: in a revised year a table the ladder left out still has the cells
    an earlier version published, fixed as published, and how many of them changed would tell what changed."""
    a = prot.audit
    label = lambda f: f"{f.criterion} {f.scenario} {f.cell.label() if f.cell else ''} {f.detail}".strip()  # noqa: E731
    mine = [prot.status[k] for k in {c.key for t in tables.values() for c in t.cells}]
    shown = len(mine)
    hidden = sum(1 for s in mine if s in HIDDEN)
    return AuditSummary(
        passed=a.passed, findings=tuple(label(f) for f in a.findings), share_suppressed=hidden / shown if shown else 0.0,
        n_cells=shown, n_suppressed=hidden,
        n_primary=sum(1 for s in mine if s == "primary"), scenarios=tuple(a.scenarios_run),
        notes=tuple(a.notes), warnings=tuple(label(f) for f in a.warnings),
        steps=tuple((s.table, s.level, s.criteria) for s in prot.steps))


def gate(registry: Registry, year: int, policy: Policy, protection: PublicationProtection, *,
         regions: dict[str, str] | None = None, labels: dict[str, str] | None = None,
         meta: dict[str, dict] | None = None) -> Publication:
    """The checked Publication of the count tables of `registry` under `protection`.

    `meta`: per table name, extra PublishedTable fields (question, decimals, texts)."""
    pattern = {k: ("published" if s == PUBLISHED else "suppressed" if s in HIDDEN else "omitted")
               for k, s in protection.status.items()}
    tables = {}
    for name, t in registry.tables.items():
        if t.internal or name.startswith(HISTORY_PREFIX):
            continue
        disp = protection.displays.get(name)
        level = disp.level if disp else "district"
        small = disp.small_rows if disp else set()
        cut = _tail_cut(t, registry, policy.T) if t.cumulative else set()
        cells = []
        for k, v in t.cells.items():
            if not row_shown(t, level, k) or k in cut:
                continue
            if k.get("district") in small and t.varying and k.get(t.varying) != t.row_total:
                continue
            if pattern[k] == "published":
                cells.append(PublishedCell(k, float(v), ""))
            elif pattern[k] == "suppressed":
                cells.append(PublishedCell(k, None, SUPPRESSED))
        m = (meta or {}).get(name, {})
        tables[name] = PublishedTable(name, t.measure, t.unit, t.title, t.dims, tuple(cells), "count", "", level,
                                      tuple(sorted(small)), **m)
    return Publication(year, policy, tables, _summary(protection, tables), pattern, regions or {}, labels or {})


def _rounded(v, decimals: int):
    if v is None:
        return None
    v = float(v)
    if math.isnan(v) or math.isinf(v):
        return None
    return round(v, decimals)


def derive(pub: Publication, name: str, measure: str, rows, *, unit: str = "", title: str = "",
           dims: tuple[str, ...] = ("district",), decimals: int = 1, method: str = "", question: str = "",
           texts: dict | None = None) -> PublishedTable:
    """Add a table of derived numbers. Each row: (coords, counts, value, lo, hi, n).

    A row is published only when every count cell it declares is published, and, for means and
    medians (n given), when it rests on at least T persons. When an earlier release hid a number of the
    table for the same year (a revised year, or a year in a trend) or published it with another value, the
    table shows nothing: the difference would show what the revision added or changed (the days of one stay,
    the number of ongoing stays from the days they grew by), and no count cell carries it. A value that
    cannot be computed is "not reported" (-)."""
    T = pub.policy.T
    cells = []
    rows = list(rows)
    # Hidden before: hidden still (C9). Shown before otherwise, with another value or interval bound: the change
    # would show the revision's counts (an unchanged ratio with a moved bound gives the expected count, and so a
    # city total the tables hide). Then the whole table is hidden, not the changed numbers alone: which numbers
    # changed would tell who the revision changed (the late victim's district, sex and target group).
    before = [pub.earlier_derived.get(derived_key(name, coords, pub.year), set()) for coords, *_ in rows]
    shown = [(_rounded(value, decimals), _rounded(lo, decimals), _rounded(hi, decimals))
             for _coords, _counts, value, lo, hi, *_ in rows]
    # (a number shown before with the same value may be shown again: it is public; one shown before only
    # otherwise has changed)
    changed = any(s not in b and any(isinstance(x, tuple) for x in b) for b, s in zip(before, shown)) \
        or (pub.small_revision and any(before))
    for (coords, counts, value, lo, hi, n, *rest), b, s in zip(rows, before, shown):
        key = CellKey.of(measure, **coords)
        if changed or (rest and rest[0]) or any(not pub.is_published(c) for c in counts) \
                or (b and (NOT_REPORTED if s[0] is None else s) not in b):
            cells.append(PublishedCell(key, None, SUPPRESSED))
        elif n is not None and 0 < n < T:
            cells.append(PublishedCell(key, None, SUPPRESSED))
        elif _rounded(value, decimals) is None:
            cells.append(PublishedCell(key, None, NOT_REPORTED))
        else:
            cells.append(PublishedCell(key, _rounded(value, decimals), "", _rounded(lo, decimals),
                                       _rounded(hi, decimals)))
    table = PublishedTable(name, measure, unit, title, tuple(dims), tuple(cells), "derived", method,
                           decimals=decimals, question=question, texts=texts or {})
    pub.add(table)
    return table


def derived_key(table: str, coords: dict, year: int) -> tuple[str, tuple]:
    """A derived number's identity across releases: its table and coordinates, with the release's year
    where the coordinates have none."""
    c = {str(d): str(v) for d, v in coords.items()}
    c.setdefault("year", str(year))
    return table, tuple(sorted(c.items()))


def earlier_derived(contents) -> dict[tuple[str, tuple], set]:
    """(table, coordinates) → what earlier releases' derived tables served it as: (value, lower, upper),
    SUPPRESSED or NOT_REPORTED, one entry per way it was served (`derive` shows a number again only as it was)."""
    out = {}
    for content in contents:
        year = int(content["year"])
        for t in content["tables"]:
            if t["kind"] != "derived":
                continue
            for coords, value, lo, hi, status in t["cells"]:
                out.setdefault(derived_key(t["name"], coords, year), set()).add(
                    (value, lo, hi) if not status else NOT_REPORTED if status == NOT_REPORTED else SUPPRESSED)
    return out


__all__ = ["NOT_APPLICABLE", "NOT_REPORTED", "SUPPRESSED", "TOTAL", "Publication", "PublishedCell",
           "PublishedTable", "derive", "gate"]
