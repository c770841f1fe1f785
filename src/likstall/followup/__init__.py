"""The yearly follow-up: one result object (FollowUp) that every renderer uses."""

from __future__ import annotations

from pathlib import Path

from .build import Finding, FollowUp, Settings


def follow_up(store, year: int, settings: Settings | None = None) -> FollowUp:
    """`store` is a path to the DuckDB file or an open connection."""
    if isinstance(store, (str, Path)):
        from ..store.connection import connect

        con = connect(store)
        try:
            from .build import follow_up as build

            return build(con, year, settings)
        finally:
            con.close()
    from .build import follow_up as build

    return build(store, year, settings)


__all__ = ["Finding", "FollowUp", "Settings", "follow_up"]
