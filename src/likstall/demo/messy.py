"""Realistic faults for `demo-data --messy`: what real case-system exports contain.

Each fault is put on a few rows chosen by the seed, and the list of faults is returned so that
tests can check that every one is caught by the rule it should trigger. The personnummer used is
Skatteverket's well-known example number 19121212-1212, which belongs to no one.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

EXAMPLE_PNR = "19121212-1212"

PLACEMENT_HEADERS_SV = {
    "placement_id": "insats_id", "case_id": "arende_id", "type": "insatstyp", "referring_unit": "remitterande_enhet",
    "applied": "ansokt", "decision": "beslut", "decided": "beslutsdatum", "start": "startdatum", "end": "slutdatum",
    "children": "medfoljande_barn", "cost_sek": "kostnad_kr",
}

# Expected rule for each fault, for the tests and the demo's own summary.
FAULTS = {
    "cases": {
        "mangled_sex": "invalid_code", "mangled_target_group": "invalid_code", "impossible_date": "invalid_date",
        "swapped_dates": "date_order", "exact_duplicate": "duplicate_id", "conflicting_duplicate": "duplicate_id",
        "personnummer_in_note": "personnummer", "unknown_district": "unknown_district",
        "missing_person": "required", "bad_birth_year": "invalid_number",
    },
    "placements": {
        "unknown_type": "invalid_code", "unknown_decision": "invalid_code", "impossible_date": "invalid_date",
        "swapped_dates": "date_order", "exact_duplicate": "duplicate_id", "missing_case": "case_missing",
        "start_on_refusal": "start_without_grant", "negative_children": "negative_value",
        "after_extract": "date_after_extract",
    },
}


def make_messy(tables: dict[str, pd.DataFrame], *, seed: int, extract: dt.date) -> tuple[dict[str, pd.DataFrame], dict]:
    rng = np.random.default_rng(seed + 7919)
    cases = tables["cases"].copy()
    pl = tables["placements"].copy()
    referenced = set(pl["case_id"])
    free = cases.index[~cases["case_id"].isin(referenced)].to_numpy()
    picks = iter(rng.choice(free, size=20, replace=False))

    def take(k: int = 1) -> list[int]:
        return [int(next(picks)) for _ in range(k)]

    cases["anteckning"] = ""
    cases["birth_year"] = cases["birth_year"].astype(str)
    for i in take(2):
        cases.loc[i, "anteckning"] = "uppföljning planerad"  # harmless free text: never stored
    for i in take(2):
        cases.loc[i, "sex"] = "okÃ¤nt"  # "okänt" read as Latin-1 somewhere upstream
    for i in take(2):
        cases.loc[i, "target_group"] = "vÃ¥ld i nÃ¤ra relation"
    for i in take(1):
        cases.loc[i, "opened"] = "2021-02-30"
    for i in take(2):
        opened = cases.loc[i, "opened"]
        cases.loc[i, "closed"] = (dt.date.fromisoformat(opened) - dt.timedelta(days=12)).isoformat()
    for i in take(1):
        cases.loc[i, "anteckning"] = f"Kontakt via {EXAMPLE_PNR}"
    for i in take(1):
        cases.loc[i, "district"] = "Vasastan"
    for i in take(1):
        cases.loc[i, "person_id"] = ""
    for i in take(1):
        cases.loc[i, "birth_year"] = "19x5"
    dup_rows = cases.loc[take(3)]
    conflict = cases.loc[take(1)].copy()
    conflict["district"] = np.where(conflict["district"] == "farsta", "bromma", "farsta") if len(conflict) else []
    cases = pd.concat([cases, dup_rows, conflict], ignore_index=True)
    # The conflicting copy makes both rows with that id fail, the exact copies only the copies.

    granted = pl.index[(pl["decision"] == "beviljad") & (pl["start"] != "") & (pl["end"] != "")].to_numpy()
    refused = pl.index[pl["decision"] == "avslag"].to_numpy()
    gp = iter(rng.choice(granted, size=16, replace=False))
    pl["children"] = pl["children"].astype(object)
    for _ in range(2):
        pl.loc[next(gp), "type"] = "skyddat bonde"
    pl.loc[next(gp), "decision"] = "bevilja"
    pl.loc[next(gp), "start"] = "2021-02-30"
    for _ in range(2):
        i = next(gp)
        pl.loc[i, ["start", "end"]] = [pl.loc[i, "end"], pl.loc[i, "start"]]
    pl.loc[next(gp), "children"] = -1
    pl.loc[next(gp), "applied"] = (extract + dt.timedelta(days=10)).isoformat()
    r = int(rng.choice(refused))
    pl.loc[r, "start"] = pl.loc[r, "decided"] or pl.loc[r, "applied"]
    missing = pl.loc[[next(gp) for _ in range(3)]].copy()
    missing["placement_id"] = [f"IN-X-{k:07d}" for k in range(1, 4)]
    missing["case_id"] = [f"AR-{extract.year - 1}-99{k:05d}" for k in range(1, 4)]
    pl = pd.concat([pl, pl.loc[[next(gp) for _ in range(2)]], missing], ignore_index=True)
    pl = pl.rename(columns=PLACEMENT_HEADERS_SV)

    out = dict(tables)
    out["cases"] = cases
    out["placements"] = pl
    special = {"placements": {"encoding": "cp1252", "file_stem": "insatser"}}
    return out, special
