"""Internal data-quality detail: the quarantine, scoped by district.

Every row that an import refused, with where it is (file, row, column), the rule and the rule's
fixed description — never a value. A district user sees the rows of its own district's cases and
placements, to correct its registrations; analysts and admins see all, also rows whose district is
not known (a missing or unknown district code, a placement of an unknown case, older stores).
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from ...errors import StoreError
from ...ingest.rules import describe
from ..auth import role_user, state_of
from ..errors import STORE_BUSY, Refusal
from ..render import page
from ..roles import INTERNAL_READERS, quarantine_scope
from ..storelock import StoreBusy

router = APIRouter(include_in_schema=False)
SHOWN = 1000


def quarantine_rows(st, district: str | None) -> tuple[list[dict], int]:
    """The newest SHOWN rows this scope sees, and how many it sees in all."""
    try:
        with st.reading(wait=st.settings.store_wait) as con:
            has = con.execute("SELECT count(*) FROM information_schema.columns WHERE table_name = 'quarantine' "
                              "AND column_name = 'district'").fetchone()[0]
            col = "district" if has else "NULL"
            where, params = (f"WHERE {col} = ?", [district]) if district else ("", [])
            total = con.execute(f"SELECT count(*) FROM quarantine {where}", params).fetchone()[0]
            rows = con.execute(
                f"SELECT load_id, file, table_name, row_number, column_name, rule, {col} FROM quarantine {where} "
                f"ORDER BY load_id DESC, file, row_number, rule LIMIT {SHOWN}", params).fetchall()
    except (StoreError, StoreBusy):
        raise Refusal(503, STORE_BUSY) from None
    keys = ("load_id", "file", "table_name", "row_number", "column_name", "rule", "district")
    return [dict(zip(keys, r), description=describe(r[5])) for r in rows], total


@router.get("/karantan")
def quarantine_page(request: Request, user=Depends(role_user(*INTERNAL_READERS))):
    st = state_of(request)
    district = quarantine_scope(user)
    rows, total = quarantine_rows(st, district)
    st.log(user, "view", "/karantan", district, 200)
    return page(request, user, "quarantine.html", title="Karantän", page="karantan", rows=rows, total=total,
                shown=SHOWN, district=district)
