"""`tables.csv`: every cell of every table of a publication in long format (machine-readable).

Columns: table, measure, unit, district, region, year, sex, age_band, target_group,
placement_type, referring_unit, value, ci_low, ci_high, status, breakdown. Margins carry `total` in
their dimension; a span of years is written with its years (`2015–2021`); a dimension the table
does not use is empty; `breakdown` holds the table's other dimensions as `dimension=value` pairs
separated by `;` (a flag, an interval of days, the years pooled …); status is "" (published), ".."
(suppressed for confidentiality), "-" (not reported) or "." (not applicable); value is empty
unless published. Written from the Publication only, through `safe_csv` (UTF-8, comma-separated
as machine-readable CSV is; text cells that could start a formula are neutralised — numbers and the
status symbols are written plainly, so that `-1` reads back as a number).

The file says what it is in comment lines above the header, each starting with `# ` (the default
comment prefix of CSV on the Web): DEMODATA when the data are synthetic, UTKAST for a draft, and the
provenance line (source, extract date, release, likstall version, threshold). Read it with
`pandas.read_csv(path, comment="#")`; no cell of the long format contains `#`.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from ..disclosure.keys import TOTAL, CellKey
from ..disclosure.published import Publication, PublishedTable
from .atomic import atomic_write
from .safe_csv import neutralise

COLUMNS = ("table", "measure", "unit", "district", "region", "year", "sex", "age_band", "target_group",
           "placement_type", "referring_unit", "value", "ci_low", "ci_high", "status", "breakdown")
DIMS = ("sex", "age_band", "target_group", "placement_type", "referring_unit")
DECISION_MEASURE = {"beviljad": "granted_", "avslag": "refused_"}
NUMERIC = ("value", "ci_low", "ci_high")  # written by _fmt from floats: digits, '-', '.', 'e' only


def cell_row(pub: Publication, table: PublishedTable, cell) -> dict:
    k: CellKey = cell.key
    coords = dict(k.coords)
    district = coords.get("district", "")
    region = ""
    if district.startswith("region:"):
        region, district = district[len("region:"):], TOTAL
    elif district == TOTAL:
        region = TOTAL
    elif district:
        region = pub.regions.get(district, "")
    year = coords.get("year", "")
    if year.startswith("years:"):
        year = year[len("years:"):].replace("-", "–")
    measure = table.measure
    decision = coords.get("decision")
    if decision and decision != TOTAL:
        measure = DECISION_MEASURE.get(decision, f"{decision}_") + measure
    row = {"table": table.name, "measure": measure, "unit": table.unit, "district": district, "region": region,
           "year": year, **{d: coords.get(d, "") for d in DIMS},
           "value": _fmt(cell.value), "ci_low": _fmt(cell.ci_low), "ci_high": _fmt(cell.ci_high),
           "status": cell.status,
           "breakdown": ";".join(f"{d}={v}" for d, v in k.coords
                                 if d not in ("district", "year", "decision", *DIMS) and v != TOTAL)}
    return row


def _fmt(v) -> str:
    if v is None:
        return ""
    return str(int(v)) if float(v).is_integer() else repr(round(float(v), 6))


def rows(pub: Publication):
    for table in pub.tables.values():
        for cell in table.cells:
            yield cell_row(pub, table, cell)


def comment_lines(preamble: tuple[str, ...] | list[str]) -> str:
    """The provenance as `# ` comment lines, one per line of text (a line that starts with `# ` cannot start a formula)."""
    return "".join(f"# {' '.join(str(line).split())}\n" for line in preamble if line)


def write_tables_csv(pub: Publication, path: str | Path, preamble: tuple[str, ...] = ()) -> int:
    """Write atomically (temporary name, then rename), `preamble` as comment lines above the header.
    Returns the number of rows."""
    path = Path(path)
    buf = io.StringIO()
    buf.write(comment_lines(preamble))
    w = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\n")
    w.writeheader()
    n = 0
    for r in rows(pub):
        w.writerow({k: v if k in NUMERIC else neutralise(v) for k, v in r.items()})
        n += 1
    atomic_write(path, buf.getvalue().encode("utf-8"))
    return n
