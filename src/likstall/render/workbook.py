"""The Excel workbook: a definitions sheet, then one sheet per table view.

Numbers are written as numbers with Swedish number formats; suppressed cells carry their symbol
(..); text is neutralised so that no cell can start a formula. It takes only views — values that
have passed the disclosure gate — so it can run in the report's helper process (render/helper.py).
"""

from __future__ import annotations

import io
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from .atomic import atomic_write
from .safe_csv import neutralise
from .views import View


def write_workbook(path: Path, title: str, methods: list[str], views: list[View], lang: str) -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = "Definitioner" if lang == "sv" else "Definitions"
    ws["A1"] = neutralise(title)
    ws["A1"].font = Font(bold=True, size=14)
    for i, p in enumerate(methods, start=3):
        ws.cell(row=i, column=1, value=neutralise(p)).alignment = Alignment(wrap_text=True, vertical="top")
    ws.column_dimensions["A"].width = 120
    used = set()
    for v in views:
        _view_sheet(wb, v, used)
    buf = io.BytesIO()
    wb.save(buf)
    atomic_write(path, buf.getvalue())


def _view_sheet(wb: Workbook, v: View, used: set[str]) -> None:
    name = v.title[:31].replace("/", "-").replace("?", "").replace(":", "")
    while name in used:
        name = name[:29] + "_2"
    used.add(name)
    sh = wb.create_sheet(name)
    sh.append([neutralise(v.title)])
    sh["A1"].font = Font(bold=True)
    sh.append([neutralise(h) for h in v.headers])
    for c in sh[2]:
        c.font = Font(bold=True)
        c.fill = PatternFill("solid", fgColor="F1F5F9")
        c.alignment = Alignment(wrap_text=True)
    for row in v.rows:
        out = []
        for c in row:
            if c.is_label:
                out.append(neutralise(c.display))
            elif c.status:
                out.append(c.status)
            elif c.value is not None and "(" not in c.display and "/" not in c.display:
                out.append(c.value)
            else:
                out.append(neutralise(c.display))
        sh.append(out)
        for col, c in enumerate(row, start=1):
            cell = sh.cell(row=sh.max_row, column=col)
            if isinstance(cell.value, (int, float)):
                cell.number_format = "# ##0" if c.decimals == 0 else "# ##0." + "0" * c.decimals
                cell.alignment = Alignment(horizontal="right")
            elif c.status:
                cell.alignment = Alignment(horizontal="right")
    if v.note:
        sh.append([])
        sh.append([neutralise(v.note)])
    for i in range(1, len(v.headers) + 1):
        sh.column_dimensions[get_column_letter(i)].width = 28 if i == 1 else 18
