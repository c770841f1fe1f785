"""The catalogue of indicators: one module per question of the statement, indicators as data.

    from likstall.indicators import catalogue
    for ind in catalogue():            # every view iterates this
        print(ind.id, ind.question, ind.kind, ind.measure)

Adding an indicator is one declaration (`@indicator(...)` on its compute function) in its
question's module, plus its texts in the message catalogues (docs/indicators.md).
"""

from __future__ import annotations

from ..disclosure.cells import Registry
from . import data_quality, overview, placements, shis, stays, target_groups, trends, vulnerable  # noqa: F401
from .base import QUESTIONS, Context, Indicator, Row, declared
from .dims import register_groups


def catalogue() -> list[Indicator]:
    """Every indicator, by question then declaration order."""
    return sorted(declared().values(), key=lambda i: (QUESTIONS.index(i.question), i.order))


def get(indicator_id: str) -> Indicator:
    return declared()[indicator_id]


def count_registry(ctx: Context) -> Registry:
    """The count tables of the year's publication, in one registry (the disclosure gate's input)."""
    from ..text import t

    ctx.registry = Registry()
    register_groups(ctx)
    for ind in catalogue():
        if ind.kind != "count":
            continue
        cells = ind.compute(ctx)
        from .base import as_table

        ctx.registry.add_table(as_table(ind, cells, t(f"ind.{ind.id}.unit"), t(f"ind.{ind.id}.title")))
    add_rests(ctx.registry)
    return ctx.registry


def add_rests(reg: Registry) -> None:
    """A total whose split is published only in part (all applications, and those for skyddat boende):
    the other parts together are total − the published ones, a count of its own. It enters the registry
    as one unknown per total (never shown, `internal`), so that it is protected like any hidden cell."""
    from ..disclosure.cells import CountTable
    from ..disclosure.keys import TOTAL

    keys = set(reg.values)
    rests: dict[tuple[str, str], dict] = {}
    for k in sorted(keys):
        for dim, val in k.coords:
            if val != TOTAL or dim in ("district", "year"):
                continue
            parts = sorted(reg.categories.get(dim, ()))
            present = [p for p in parts if k.replace(dim, p) in keys]
            if not present or len(present) == len(parts):
                continue
            missing = [p for p in parts if p not in present]
            name = "rest:" + "+".join(missing)
            reg.add_group(dim, name, missing)
            reg.add_partition(dim, TOTAL, [*present, name])
            value = reg.values[k] - sum(reg.values[k.replace(dim, p)] for p in present)
            rests.setdefault((k.measure, dim), {})[k.replace(dim, name)] = value
    for (measure, dim), cells in sorted(rests.items()):
        reg.add_table(CountTable(f"rest_{measure}_{dim}", measure, "", ("district", dim), cells, internal=True,
                                 varying=dim))


def derived_rows(ctx: Context):
    """(indicator, rows) for every derived indicator, in catalogue order."""
    for ind in catalogue():
        if ind.kind == "derived":
            yield ind, ind.compute(ctx)


__all__ = ["Context", "Indicator", "Row", "catalogue", "count_registry", "derived_rows", "get"]
