"""Everything released before, as the attacker knows it (DISCLOSURE.md K0, scenario S4).

Every earlier release adds its count cells (with their true values, internal) as fixed cells, and
its own equations — under its own groups (year spans, regions), rebuilt from the structure it kept
— to the model the new release is protected in. A cell that two vintages of the data give different
values (a revised year) is two unknowns: the older one is renamed with its release (`vintage=rN`),
so each release's equations hold for its own numbers; their difference is a third (`vintage=dN`, in
an equation with both), a count no table shows, protected like any other; and a cell the older
vintage hid stays hidden (C9).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..disclosure.attacker import HistoryCell
from ..disclosure.cells import CountTable, Registry, Relation
from ..disclosure.keys import OMITTED, PRIMARY, PUBLISHED, SECONDARY, CellKey
from ..disclosure.ladder import HISTORY_PREFIX
from . import store

_RANK = {PUBLISHED: 3, PRIMARY: 2, SECONDARY: 2, OMITTED: 0}


@dataclass
class History:
    releases: list[dict] = field(default_factory=list)
    legacy: dict[CellKey, HistoryCell] = field(default_factory=dict)
    # The differences `merge_into` found between a cell an earlier release published and today's value of it
    # (difference cell → its value): a reader who keeps both could read them (release/build.py).
    shown_differences: dict[CellKey, int] = field(default_factory=dict)

    @property
    def frames(self) -> dict[tuple[str, int], tuple[int, dict]]:
        """(frame name, year) → (release id, frame JSON): the latest release that kept it."""
        out = {}
        for r in self.releases:
            for f in r["frames"]["frames"]:
                out[(f["name"], int(f["year"]))] = (r["release_id"], f["frame"])
        return out

    def frames_for(self, year: int, revise: bool) -> dict[tuple[str, int], tuple[int, dict]]:
        """The kept frames a release of `year` is built from: each (frame, year) from the first release that kept
        it, so that a revision of a year (which may show little: release/build.py) changes no later year's trend;
        and a year that has a release, made again without `revise`, takes every frame from its own latest release,
        so that its numbers stay as they were."""
        out = {}
        for r in reversed(self.releases):  # each earlier year as its first release showed it: a revision of a year
            for f in r["frames"]["frames"]:  # reaches no later year (the later year's trend would show the difference)
                out[(f["name"], int(f["year"]))] = (r["release_id"], f["frame"])
        same = [r for r in self.releases if int(r["year"]) == int(year)]
        if same and not revise:
            out.update({(f["name"], int(f["year"])): (same[-1]["release_id"], f["frame"])
                        for f in same[-1]["frames"]["frames"]})
        return out

    def levels_of(self, year: int) -> dict[str, str]:
        """The ladder level of each table in the latest release of `year` that was not a small revision (empty when
        it has none). A small revision shows no table (release/build.py); starting from it would leave the year blank
        for good, also once its data are back to what the earlier version showed."""
        for r in reversed(self.releases):
            if int(r["year"]) == int(year) and not r["structure"].get("small_revision"):
                return dict(r["structure"].get("levels", {}))
        return {}

    def merge_into(self, registry: Registry) -> dict[CellKey, str]:
        """Add every earlier release's cells and equations to `registry`; return the fixed statuses."""
        latest: dict[CellKey, int] = dict(registry.values)
        own = set(registry.values)  # this release's cells (the history's are added below)
        fixed: dict[CellKey, str] = {}
        hidden_before: set[CellKey] = set()  # cells an older vintage hid (C9: they stay hidden)
        # One older vintage per cell and data: the releases that show an earlier year as its first release
        # showed it (frames_for) hold the same numbers from the same frames, and two unknowns for one number
        # gave the audit a false alarm (an insider of the one "bounding" the other) that depended on where a
        # late person was. Which copies are the same data is read from where each release took its frames
        # (`_Provenance`), not from their contents: copies from different data (a revision) stay apart also where
        # their values or frames are equal, which the attacker does not know of hidden ones.
        tags: dict[tuple[CellKey, int, object], str] = {}
        provenance = _Provenance(self.releases)
        for r in reversed(self.releases):  # newest first: older vintages of a changed cell are renamed
            rid = r["release_id"]
            old = _rebuild(r)
            source = provenance.sources(r)
            rename = {}
            diffs: dict[str, dict[CellKey, int]] = {}
            for k, v in old.values.items():
                if k in latest and latest[k] != v:
                    src = source.get(k.get("year"))
                    tag = tags.setdefault((k, v, ("release", rid) if src is None else src), str(rid))
                    rename[k] = k.in_vintage(f"r{tag}")
                    if old.__dict__["_kinds"].get(k) in (PRIMARY, SECONDARY):
                        hidden_before.add(k)
                    # The difference between the two vintages is a count too (the records a revision added,
                    # moved or corrected): a cell no table shows, in an equation with both vintages, so that
                    # the protection hides what would show it small, as for any other count.
                    d, diff = k.in_vintage(f"d{tag}"), abs(latest[k] - v)
                    if k in own and old.__dict__["_kinds"].get(k) == PUBLISHED:
                        # (this release's own cell against one an earlier release published; between two earlier
                        # releases each was protected when it was made)
                        self.shown_differences[d] = diff
                    if tag != str(rid):
                        continue  # the same older vintage as a newer release's: its difference is already there
                    diffs.setdefault(k.measure, {})[d] = diff
                    registry.extra_relations.append(
                        Relation(k, (rename[k], d), "vintage") if latest[k] > v else Relation(rename[k], (k, d), "vintage"))
                else:
                    latest.setdefault(k, v)
            for measure, cells in diffs.items():
                registry.add_table(CountTable(f"{HISTORY_PREFIX}{rid}:revision:{measure}", measure, "", ("district",),
                                              cells, "skillnaden mot en senare årgång", internal=True))
            ren = lambda k: rename.get(k, k)  # noqa: E731
            for name, t in old.tables.items():
                registry.add_table(CountTable(f"{HISTORY_PREFIX}{rid}:{name}", t.measure, t.unit, t.dims,
                                              {ren(k): v for k, v in t.cells.items()}, t.title, varying=t.varying,
                                              row_total=t.row_total, internal=t.internal))
            registry.extra_relations.extend(Relation(ren(rel.total), tuple(ren(m) for m in rel.members), rel.dim)
                                            for rel in old.relations())
            for k, kind in old.__dict__["_kinds"].items():
                k = ren(k)
                if kind == OMITTED:
                    continue
                if k not in fixed or _RANK[kind] > _RANK[fixed[k]]:
                    fixed[k] = kind
        for k in hidden_before:
            fixed.setdefault(k, SECONDARY)
        registry._relations_cache = {}
        return fixed


_UNKNOWN = "unknown"


class _Provenance:
    """Where the releases' frames came from: the release that read each from the store, indexed once per history."""

    def __init__(self, releases: list[dict]):
        self.year_of = {r["release_id"]: str(r["year"]) for r in releases}
        self.frame: dict[tuple[int, str, str], dict] = {}
        self.holders: dict[tuple[str, str], list[int]] = {}  # (name, year) → the releases holding it, oldest first
        for r in sorted(releases, key=lambda r: r["release_id"]):
            for f in r["frames"]["frames"]:
                self.frame[(r["release_id"], f["name"], str(f["year"]))] = f
                self.holders.setdefault((f["name"], str(f["year"])), []).append(r["release_id"])
        self._memo: dict[tuple[int, str, str], object] = {}

    def sources(self, r: dict) -> dict[str, object]:
        """Per year, the release whose data a release's cells of that year rest on: the release its frames of the
        year were taken from (itself where it read them from the store). By provenance, never by comparing contents:
        whether two vintages' hidden numbers or frames happen to be equal is not something the attacker knows. A year
        whose frames came from several releases, or whose origin cannot be told (`origin`), has no source (its cells
        are never merged)."""
        from ..aggregate.frames import FRESH

        by_year: dict[str, set] = {}
        for f in r["frames"]["frames"]:
            if f["name"] in FRESH:
                continue  # read from the store for every release (the district list)
            by_year.setdefault(str(f["year"]), set()).add(self.origin(r["release_id"], f["name"], str(f["year"])))
        return {y: next(iter(srcs)) for y, srcs in by_year.items() if len(srcs) == 1 and _UNKNOWN not in srcs}

    def origin(self, rid: int, name: str, year: str):
        """The release that read frame (name, year) from the store, following "from" back through the releases
        that kept it (always older ones); _UNKNOWN where that cannot be told.

        A release stored before frames recorded "from" kept every frame an earlier release held and read the rest
        (every version has done so; which holder it took when several held one has changed, so their origins must
        agree). Its own year is the exception: a revision reads it again, and a release of a year that already had
        one cannot tell whether it was a revision, so there it is unknown."""
        key = (rid, name, year)
        if key not in self._memo:
            self._memo[key] = self._origin(*key)
        return self._memo[key]

    def _origin(self, rid: int, name: str, year: str):
        f = self.frame.get((rid, name, year))
        if f is None:
            return _UNKNOWN
        if "from" in f:
            src = f["from"]
            if src is None:
                return rid
            return self.origin(src, name, year) if src in self.year_of else _UNKNOWN
        holders = [h for h in self.holders[(name, year)] if h < rid]
        if not holders:
            return rid
        if year == self.year_of[rid] and any(self.year_of[h] == year for h in holders):
            return _UNKNOWN
        origins = {self.origin(h, name, year) for h in holders}
        return origins.pop() if len(origins) == 1 else _UNKNOWN


def _rebuild(r: dict) -> Registry:
    s = r["structure"]
    reg = Registry()
    for dim, groups in s["groups"].items():
        for name, members in groups.items():
            reg.add_group(dim, name, members)
    for dim, parts in s["partitions"].items():
        for whole, p in parts:
            reg.add_partition(dim, whole, p)
    for dim, cats in s["categories"].items():
        reg.add_categories(dim, cats)
    by_table: dict[str, dict[CellKey, int]] = {}
    kinds: dict[CellKey, str] = {}
    for table, cell, kind, _value, true in r["cells"]:
        k = CellKey.from_json(cell)
        by_table.setdefault(table, {})[k] = int(true)
        kinds[k] = kind
    for t in s["tables"]:
        reg.add_table(CountTable(t["name"], t["measure"], t.get("unit", ""), tuple(t["dims"]),
                                 by_table.get(t["name"], {}), t.get("title", ""), varying=t["varying"],
                                 row_total=t["row_total"], internal=t["internal"]))
    reg.__dict__["_kinds"] = kinds
    return reg


def structure_of(registry: Registry) -> dict:
    """What a release keeps of its registry to rebuild its equations later (no values)."""
    own = [t for n, t in registry.tables.items() if not n.startswith(HISTORY_PREFIX)]
    return {"tables": [{"name": t.name, "measure": t.measure, "unit": t.unit, "title": t.title, "dims": list(t.dims),
                        "varying": t.varying, "row_total": t.row_total, "internal": t.internal,
                        "show_regions": t.show_regions, "cumulative": list(t.cumulative), "tier": t.tier} for t in own],
            "groups": {d: {g: sorted(m) for g, m in gs.items()} for d, gs in registry.groups.items()},
            "partitions": {d: [[w, list(p)] for w, p in ps] for d, ps in registry.partitions.items()},
            "categories": {d: sorted(c) for d, c in registry.categories.items()}}


def load(con) -> History:
    h = History(releases=store.stored_releases(con))
    for rid, cell, status, value in store.legacy_cells(con):
        h.legacy[CellKey.from_json(cell)] = HistoryCell(PUBLISHED if status == "published" else "suppressed",
                                                        None if value is None else int(value), rid)
    return h
