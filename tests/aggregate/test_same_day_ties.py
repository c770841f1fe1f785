"""The same data give the same counts under any secret key.

A person counted once (a known victim with several cases in the year, a person placed more than once)
is counted with the attributes of the first case or placement. Cases opened the same day used to be
ordered by their pseudonyms, whose order depends on the key: a 13-district city published 230 or 231
women in a district depending on the key it was loaded with. Here thirty persons each have two cases
opened on the same day in two districts (and two placements started on the same day), loaded under
two keys: with the pseudonym deciding, both keys agreeing on all thirty has probability 2⁻³⁰.
"""

from __future__ import annotations

import copy

import pytest

from likstall.aggregate.atoms import persons_placed, victims
from likstall.ingest.load import ingest
from likstall.store.connection import connect

from helpers import EXTRACT, base_tables, write_tables

PERSONS = 30


def tied_export() -> dict[str, list[dict]]:
    tables = base_tables()
    template = tables["cases"][0]
    cases, placements = [], []
    for i in range(PERSONS):
        # Written "soder" first, so that neither the file's order nor the first row decides.
        for district, sex in (("soder", "M"), ("norr", "K")):
            case_id = f"AR-T{i}-{district}"
            cases.append({**copy.deepcopy(template), "case_id": case_id, "person_id": f"P-T{i}",
                          "district": district, "sex": sex, "opened": "2021-04-01"})
            placements.append({**tables["placements"][0], "placement_id": f"IN-T{i}-{district}", "case_id": case_id,
                               "applied": "2021-04-02", "decided": "2021-04-02", "start": "2021-04-03", "end": ""})
    for i in range(PERSONS):
        # Same day, same district and sex: the cases differ only in a flag and the target group, which
        # are counted too (victims with an interpreter need, victims by target group).
        for flag, group in (("nej", "sexuellt_vald"), ("ja", "vald_i_nara_relation")):
            cases.append({**copy.deepcopy(template), "case_id": f"AR-F{i}-{flag}", "person_id": f"P-F{i}",
                          "district": "soder", "opened": "2021-04-01", "interpreter_needed": flag,
                          "target_group": group})
    tables["cases"] += cases
    tables["placements"] += placements
    return tables


@pytest.fixture(scope="module")
def export(tmp_path_factory):
    return write_tables(tmp_path_factory.mktemp("ties") / "data", tied_export())


def _counts(export, root, monkeypatch):
    monkeypatch.setenv("LIKSTALL_KEY_FILE", str(root / "secret.key"))  # a new key for each store
    db = root / "store.duckdb"
    ingest([export], db, extract_date=EXTRACT)
    con = connect(db, read_only=True)
    try:
        return victims(con, 2021, 2021), persons_placed(con, 2021)
    finally:
        con.close()


def test_same_day_ties_do_not_depend_on_the_key(export, tmp_path, monkeypatch):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    victims_a, placed_a = _counts(export, tmp_path / "a", monkeypatch)
    victims_b, placed_b = _counts(export, tmp_path / "b", monkeypatch)
    assert (tmp_path / "a" / "secret.key").read_bytes() != (tmp_path / "b" / "secret.key").read_bytes()
    assert victims_a.equals(victims_b) and placed_a.equals(placed_b)
    # The rule itself: on the same day the lowest district code ("norr" < "soder"), whatever the key.
    tied = victims_a[victims_a.age_band == "25-44"]
    by_district = tied.groupby("district")["n"].sum().to_dict()
    assert by_district.get("norr", 0) >= PERSONS and by_district.get("soder", 0) == PERSONS, by_district
    # Those differing only in the flag: the lowest value first (false before true).
    flagged = tied[(tied.district == "soder") & (tied.target_group != "hedersrelaterat")]
    assert flagged.interpreter_needed.sum() == 0 and flagged.n.sum() == PERSONS, flagged
    assert dict(zip(placed_a.district, placed_a.n)) == {"norr": PERSONS + 1}  # and P-1's own placement
