"""Cell keys: a cell is its measure and its coordinates. Light (no numpy), so that renderers and a
release read back from the store can use keys without the solver stack."""

from __future__ import annotations

import json
from dataclasses import dataclass

TOTAL = "total"

# Statuses of a count cell in a protection pattern. OMITTED: the cell exists in the data and in the
# tables' equations but no table shows it (a breakdown left out by the small-total rule or the
# fallback ladder, or a cell that only carries equations): the attacker does not know it is non-zero.
PUBLISHED, PRIMARY, SECONDARY, OMITTED = "published", "primary", "secondary", "omitted"
HIDDEN = (PRIMARY, SECONDARY)  # shown as ".." (suppressed)


@dataclass(frozen=True, order=True)
class CellKey:
    """A cell: its measure and its coordinates, as sorted (dimension, value) pairs."""

    measure: str
    coords: tuple[tuple[str, str], ...]

    def __post_init__(self) -> None:
        # The hash once, not at every lookup: a release hashes its keys a million times and more (sets
        # and dicts of cells in the protection and its audit), and the generated __hash__ built and
        # hashed a new tuple each time. Not a field, so asdict() and the JSON of a release never see it.
        object.__setattr__(self, "_hash", hash((self.measure, self.coords)))

    def __hash__(self) -> int:
        return self._hash

    def __reduce__(self):
        # Pickled without the hash: string hashes differ between processes (the protection's workers).
        return (CellKey, (self.measure, self.coords))

    @staticmethod
    def order(key: "CellKey") -> tuple:
        """The sort key of a cell, the order `<` gives (measure, then coordinates): `sorted(cells,
        key=CellKey.order)` compares these tuples in C instead of calling `__lt__` once per comparison
        (a release sorts its cells hundreds of times, a million comparisons in a 30-district city)."""
        return (key.measure, key.coords)

    @staticmethod
    def of(measure: str, **coords: str) -> "CellKey":
        return CellKey(measure, tuple(sorted((k, str(v)) for k, v in coords.items())))

    def get(self, dim: str, default: str = TOTAL) -> str:
        for d, v in self.coords:
            if d == dim:
                return v
        return default

    def replace(self, dim: str, value: str) -> "CellKey":
        coords = self.coords
        for i, (d, _) in enumerate(coords):
            if d == dim:  # the usual case: the order of the dimensions stays (a million calls per national release)
                return CellKey(self.measure, (*coords[:i], (dim, str(value)), *coords[i + 1:]))
        return CellKey.of(self.measure, **dict(coords), **{dim: value})

    def as_dict(self) -> dict:
        return {"measure": self.measure, **dict(self.coords)}

    # Vintages (release/history.py): an earlier release's value of a cell that a revision changed is the cell
    # with `vintage=rN`, the difference between the two `vintage=dN`.
    def in_vintage(self, tag: str) -> "CellKey":
        return CellKey(self.measure, tuple(sorted((*self.coords, ("vintage", tag)))))

    def is_difference(self) -> bool:
        return self.get("vintage").startswith("d")

    def base(self) -> "CellKey":
        """The cell itself, without a vintage."""
        return CellKey(self.measure, tuple(c for c in self.coords if c[0] != "vintage"))

    def as_json(self) -> str:
        return json.dumps([self.measure, dict(self.coords)], ensure_ascii=False, sort_keys=True)

    @staticmethod
    def from_json(text: str) -> "CellKey":
        measure, coords = json.loads(text)
        return CellKey.of(measure, **coords)

    def label(self) -> str:
        parts = [f"{d}={v}" for d, v in self.coords if v != TOTAL]
        return f"{self.measure}[{', '.join(parts) or 'total'}]"


def is_city_total(key: CellKey) -> bool:
    """The grand total of a measure (for a year or span of years): never suppressed."""
    return all(v == TOTAL for d, v in key.coords if d != "year")


def row_level(key: CellKey) -> str:
    """The geographic level of a cell: district, region or city."""
    d = key.get("district")
    if d == TOTAL:
        return "city"
    return "region" if d.startswith("region:") else "district"
