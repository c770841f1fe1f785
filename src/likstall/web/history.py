"""A district across releases: its value of every overview indicator in each year's release, and the
change since the release before.

Only released cells: each year's value is that year's latest release's own cell (not a later
release's look back), and the change is the difference of two published values. Where either is
suppressed the change is `..`; where either release does not have the cell it is `–`; a comparison
flag has no change (`.`). Nothing is estimated or filled in.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..text import numbers

MINUS = "\u2212"


@dataclass(frozen=True)
class Change:
    value: float | None  # latest − previous, both published; None otherwise
    status: str  # "" (a value), ".." suppressed, "–" not in both releases, "." not applicable
    decimals: int = 0
    unit: str = ""

    @property
    def display(self) -> str:
        if self.status:
            return self.status
        text = numbers.num(abs(self.value), self.decimals) if self.decimals else numbers.integer(abs(self.value))
        if round(self.value, self.decimals) == 0:
            return numbers.num(0, self.decimals) if self.decimals else "0"
        return ("+" if self.value > 0 else MINUS) + text


@dataclass(frozen=True)
class Line:
    column: object  # spine.Column of the latest release
    cells: list  # spine.Cell per year (oldest first)
    change: Change


def change_unit(unit: str) -> str:
    return "procentenheter" if unit.strip() == "%" else unit


def change(latest, previous, col) -> Change:
    if col.table in ("sb_funnel",):
        return Change(None, ".")
    if latest.status == ".." or previous.status == "..":
        return Change(None, "..")
    if latest.value is None or previous.value is None or latest.status or previous.status:
        return Change(None, "–")
    return Change(latest.value - previous.value, "", col.decimals, change_unit(col.unit))


def district_lines(spines: list, code: str) -> list[Line]:
    """`spines`: the spine of each published year up to the one shown, oldest first (one per release)."""
    latest = spines[-1]
    out = []
    for col in latest.columns:
        cells = [s.cell(code, col.key) for s in spines]
        ch = change(cells[-1], cells[-2], col) if len(spines) > 1 else Change(None, "–")
        out.append(Line(col, cells, ch))
    return out
