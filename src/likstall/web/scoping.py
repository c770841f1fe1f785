"""What a role may see: the district scoping of rows, shared by pages and the API."""

from __future__ import annotations

from ..disclosure.cells import TOTAL


def row_visible(user, row_key: str) -> bool:
    """stadsdel users see their own district in detail and other districts only at region and city level."""
    if user.role != "stadsdel":
        return True
    return row_key == user.district or row_key == TOTAL or row_key.startswith("region:")


def api_row_visible(user, row: dict) -> bool:
    if user.role != "stadsdel":
        return True
    return row["district"] in (user.district, TOTAL, "")


def scope_view(user, view):
    """A copy of a view with the rows this user may see."""
    if user.role != "stadsdel" or not view.row_keys:
        return view
    from copy import copy

    keep = [i for i, k in enumerate(view.row_keys) if row_visible(user, k)]
    v = copy(view)
    v.rows = [view.rows[i] for i in keep]
    v.row_keys = [view.row_keys[i] for i in keep]
    return v
