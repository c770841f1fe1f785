"""Hand-made count tables for the disclosure tests."""

from __future__ import annotations

from likstall.disclosure.cells import TOTAL, CellKey, CountTable


def table2d(name, measure, rows, cols, data, *, rdim="district", cdim="group", fixed=None, row_total=True,
            col_total=True):
    fixed = fixed or {"year": "2021"}
    cells = {}
    for i, r in enumerate(rows):
        for j, c in enumerate(cols):
            cells[CellKey.of(measure, **{rdim: r, cdim: c}, **fixed)] = data[i][j]
        if row_total:
            cells[CellKey.of(measure, **{rdim: r, cdim: TOTAL}, **fixed)] = sum(data[i])
    if col_total:
        for j, c in enumerate(cols):
            cells[CellKey.of(measure, **{rdim: TOTAL, cdim: c}, **fixed)] = sum(row[j] for row in data)
        if row_total:
            cells[CellKey.of(measure, **{rdim: TOTAL, cdim: TOTAL}, **fixed)] = sum(map(sum, data))
    return CountTable(name, measure, "personer", (rdim, cdim), cells)
