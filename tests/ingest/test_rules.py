"""Each validation rule quarantines a bad row with the right reason and leaves good rows alone."""

from __future__ import annotations

import copy

import duckdb
import pytest

from likstall.ingest.load import ingest

from helpers import EXTRACT, base_tables, store_rows, write_tables

# (table, row index, changes, expected rule, expected column)
FAULTS = [
    ("cases", 0, {"case_id": ""}, "required", "case_id"),
    ("cases", 0, {"person_id": " "}, "required", "person_id"),
    ("cases", 0, {"person_id": "\u200b"}, "required", "person_id"),  # only invisible characters: no id
    ("cases", 0, {"case_id": "\t"}, "required", "case_id"),
    ("cases", 0, {"opened": ""}, "required", "opened"),
    ("cases", 0, {"sex": "kvinnan"}, "invalid_code", "sex"),
    ("cases", 0, {"target_group": "okänd grupp"}, "invalid_code", "target_group"),
    ("cases", 0, {"disability": "kanske"}, "invalid_code", "disability"),
    ("cases", 0, {"opened": "2021-02-30"}, "invalid_date", "opened"),
    ("cases", 0, {"birth_year": "19x5"}, "invalid_number", "birth_year"),
    ("cases", 0, {"birth_year": "1850"}, "implausible_value", "birth_year"),
    ("cases", 0, {"opened": "1980-01-01"}, "implausible_date", "opened"),
    ("cases", 0, {"opened": "2022-03-01"}, "date_after_extract", "opened"),
    ("cases", 1, {"closed": "2021-01-01"}, "date_order", "closed"),
    ("cases", 0, {"district": "atlantis"}, "unknown_district", "district"),
    ("cases", 0, {"handling_unit": "19850101-1234"}, "personnummer", "handling_unit"),
    ("cases", 0, {"case_id": "AR-198501011234"}, "personnummer", "case_id"),
    ("placements", 0, {"type": "hotell"}, "invalid_code", "type"),
    ("placements", 0, {"decision": ""}, "required", "decision"),
    ("placements", 0, {"end": "2021-03-01"}, "date_order", "end"),
    ("placements", 0, {"decided": "2021-03-01"}, "date_order", "decided"),
    ("placements", 2, {"start": "2021-06-03"}, "start_without_grant", "start"),
    ("placements", 0, {"children": "-1"}, "negative_value", "children"),
    ("placements", 0, {"children": "1.5"}, "invalid_number", "children"),
    ("placements", 0, {"cost_sek": "1_000"}, "invalid_number", "cost_sek"),
    ("placements", 0, {"cost_sek": "-5"}, "negative_value", "cost_sek"),
    ("placements", 0, {"case_id": "AR-404"}, "case_missing", "case_id"),
    ("placements", 0, {"end": "2022-02-15"}, "date_after_extract", "end"),
    ("placements", 0, {"referring_unit": "polisen 800101-1234"}, "personnummer", "referring_unit"),
    ("population", 0, {"count": "-3"}, "negative_value", "count"),
    ("population", 0, {"district": "atlantis"}, "unknown_district", "district"),
    ("population", 0, {"age_band": "30-40"}, "invalid_code", "age_band"),
    ("socioeconomics", 0, {"value": "hög"}, "invalid_number", "value"),
    ("districts", 2, {"name": ""}, "required", "name"),
    ("districts", 2, {"year": "tjugotjugoett"}, "invalid_number", "year"),
    ("districts", 2, {"has_emergency_flats": "kanske"}, "invalid_code", "has_emergency_flats"),
]


def _rows_by_table(db):
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                for t in ("districts", "population", "socioeconomics", "cases", "placements")}
    finally:
        con.close()


def test_clean_export_is_accepted_whole(export, tmp_path):
    r = ingest([export], tmp_path / "s.duckdb", extract_date=EXTRACT)
    assert r.quarantined == 0 and r.by_rule == {}
    assert r.inserted == r.rows_read == 3 + 4 + 2 + 3 + 3
    assert _rows_by_table(tmp_path / "s.duckdb") == {
        "districts": 3, "population": 4, "socioeconomics": 2, "cases": 3, "placements": 3}


@pytest.mark.parametrize("table,index,changes,rule,column", FAULTS,
                         ids=[f"{t}-{r}-{next(iter(c))}" for t, _, c, r, _ in FAULTS])
def test_rule_quarantines_the_bad_row_only(tmp_path, table, index, changes, rule, column):
    tables = copy.deepcopy(base_tables())
    tables[table][index].update(changes)
    folder = write_tables(tmp_path / "export", tables)
    db = tmp_path / "s.duckdb"
    r = ingest([folder], db, extract_date=EXTRACT)

    con = duckdb.connect(str(db), read_only=True)
    q = con.execute("SELECT table_name, file, row_number, column_name, rule, message FROM quarantine").fetchall()
    con.close()
    hits = [x for x in q if x[4] == rule]
    assert hits, f"expected rule {rule}, got {q}"
    assert hits[0][0] == table and hits[0][1] == f"{table}.csv"
    assert hits[0][2] == index + 2  # header is row 1
    assert hits[0][3] == column
    assert r.by_rule[rule] >= 1
    # Nothing else in the file went wrong: the other rows were accepted.
    # Nothing else went wrong, except that case i's placement (row i+2) loses its case.
    bad_rows = {(x[0], x[2]) for x in q}
    if table == "cases":
        assert bad_rows == {(table, index + 2), ("placements", index + 2)}
        assert {x[4] for x in q if x[0] == "placements"} == {"case_missing"}
    else:
        assert bad_rows == {(table, index + 2)}
    assert r.rows_read == r.inserted + r.updated + r.unchanged + r.quarantined
    assert r.quarantined == len(bad_rows)


def test_a_placement_of_a_quarantined_case_is_quarantined_too(tmp_path):
    tables = copy.deepcopy(base_tables())
    tables["cases"][0]["sex"] = "??"
    r = ingest([write_tables(tmp_path / "e", tables)], tmp_path / "s.duckdb", extract_date=EXTRACT)
    assert r.by_rule == {"invalid_code": 1, "case_missing": 1}


def test_duplicates_keep_first_identical_copy_and_reject_conflicts(tmp_path):
    tables = copy.deepcopy(base_tables())
    tables["cases"].append(dict(tables["cases"][0]))  # identical copy of AR-1
    conflicting = dict(tables["cases"][1], district="norr")  # AR-2 with other content
    tables["cases"].append(conflicting)
    db = tmp_path / "s.duckdb"
    r = ingest([write_tables(tmp_path / "e", tables)], db, extract_date=EXTRACT)
    con = duckdb.connect(str(db), read_only=True)
    rows = con.execute("SELECT row_number, message FROM quarantine WHERE rule = 'duplicate_id' ORDER BY 1").fetchall()
    con.close()
    assert [x[0] for x in rows] == [3, 5, 6]  # AR-2 (row 3) and its conflicting copy (6); AR-1's copy (5)
    assert "Dubblett av rad 2" in rows[1][1]
    # AR-2's placement has no case now, so it is quarantined as well.
    assert r.by_rule["case_missing"] == 1


def test_personnummer_with_zero_width_and_fullwidth_digits_is_caught(tmp_path):
    tables = copy.deepcopy(base_tables())
    tables["cases"][0]["handling_unit"] = "１９８５０１０１\u200b-1234"
    r = ingest([write_tables(tmp_path / "e", tables)], tmp_path / "s.duckdb", extract_date=EXTRACT)
    assert r.by_rule.get("personnummer") == 1


def test_ten_digit_number_in_a_column_outside_the_contract_quarantines(tmp_path):
    tables = copy.deepcopy(base_tables())
    for row in tables["cases"]:
        row["anteckning"] = ""
    tables["cases"][2]["anteckning"] = "ring 8501011234"
    db = tmp_path / "s.duckdb"
    r = ingest([write_tables(tmp_path / "e", tables)], db, extract_date=EXTRACT)
    assert r.by_rule.get("personnummer") == 1
    assert r.files[[f["table"] for f in r.files].index("cases")]["unknown_columns"] == ["anteckning"]
    con = duckdb.connect(str(db), read_only=True)
    msg = con.execute("SELECT message FROM quarantine").fetchone()[0]
    con.close()
    assert "8501011234" not in msg and "anteckning" in msg


def test_a_number_split_over_two_columns_is_no_personnummer_but_one_in_either_is(tmp_path):
    # The check runs once over the row with its columns joined (validate.py, `_pnr_sql`): the join must
    # keep the columns apart, as the check per column did, and still name the column that holds one.
    tables = copy.deepcopy(base_tables())
    for row in tables["cases"]:
        row["anteckning"], row["notering"] = "", ""
    tables["cases"][1]["anteckning"], tables["cases"][1]["notering"] = "850101", "-1234"  # split: no match
    tables["cases"][2]["anteckning"], tables["cases"][2]["notering"] = "ring", "850101-1234"
    db = tmp_path / "s.duckdb"
    r = ingest([write_tables(tmp_path / "e", tables)], db, extract_date=EXTRACT)
    assert r.by_rule.get("personnummer") == 1
    con = duckdb.connect(str(db), read_only=True)
    rows = con.execute("SELECT row_number, message FROM quarantine WHERE rule = 'personnummer'").fetchall()
    con.close()
    assert len(rows) == 1 and rows[0][0] == 4 and "notering" in rows[0][1] and "anteckning" not in rows[0][1]


def test_a_code_column_without_one_valid_value_quarantines_its_rows(tmp_path):
    # Every decision unknown: the typed column is all NULL, and the rules comparing it with a code
    # (start_without_grant) must still run (an untyped NULL column once stopped the whole load).
    tables = copy.deepcopy(base_tables())
    for row in tables["placements"]:
        row["decision"] = "kanske"
    r = ingest([write_tables(tmp_path / "e", tables)], tmp_path / "s.duckdb", extract_date=EXTRACT)
    assert r.by_rule == {"invalid_code": 3} and r.quarantined == 3
    assert r.rows_read == r.inserted + r.quarantined


SPELLINGS = ["811231\u20139876", "811231\u22129876", "811231\u00a09876",
             "\uff18\uff11\uff11\uff12\uff13\uff11\uff0d\uff19\uff18\uff17\uff16", "811231 \u2014 9876", "19811231\uff0b9876"]


def test_personnummer_with_any_dash_or_space_is_caught_and_never_stored(tmp_path):
    # En dash, minus sign, no-break space, full-width digits and hyphen, a spaced em dash, a full-width plus: one
    # load with each in a case's code column, and one in a district's name.
    tables = copy.deepcopy(base_tables())
    template = tables["cases"][0]
    tables["cases"] = [dict(template, case_id=f"AR-S{i}", person_id=f"P-S{i}", handling_unit=spelling)
                       for i, spelling in enumerate(SPELLINGS)]
    tables["districts"][2]["name"] = f"Östby {SPELLINGS[0]}"
    del tables["placements"]
    db = tmp_path / "s.duckdb"
    r = ingest([write_tables(tmp_path / "e", tables)], db, extract_date=EXTRACT)
    assert r.by_rule.get("personnummer") == len(SPELLINGS) + 1
    wal = db.with_suffix(".duckdb.wal")
    blob = db.read_bytes() + (wal.read_bytes() if wal.exists() else b"")
    assert not any(spelling.encode() in blob for spelling in SPELLINGS)


def test_a_bad_value_is_quoted_only_when_many_persons_share_it(tmp_path):
    # A code the export spells its own way for many persons is quoted (it helps to map it); a name or a note that
    # an export error put in a code column is not, however many of one person's rows it is in (her cases; the
    # placements of one case; the placements of her several cases); nor is anything with digits or invisible
    # characters.
    tables = copy.deepcopy(base_tables())
    template = tables["cases"][0]
    tables["cases"] = [dict(template, case_id=f"AR-{i}", person_id=f"P-{i}", sex="kvinnna") for i in range(6)]
    tables["cases"] += [dict(template, case_id=f"AR-N{i}", person_id=" p-n" if i % 2 else "P-N", sex="Anna Andersson")
                        for i in range(6)]  # one person, two spellings of her id, six cases
    tables["cases"] += [dict(template, case_id="AR-Z", person_id="P-Z", target_group="slagen av maken")]
    tables["cases"] += [dict(template, case_id=f"AR-D{i}", person_id=f"P-D{i}", handling_unit="8\u200b0\u200b0\u200b3")
                        for i in range(6)]
    tables["cases"] += [dict(template, case_id=f"AR-M{i}", person_id="P-M") for i in range(6)]  # one person, six cases
    tables["cases"] += [dict(template, case_id=f"AR-V{i}", person_id=f"P-V{i}") for i in range(6)]  # six persons
    tables["cases"] += [dict(template, case_id=f"AR-H{i}", person_id=f"P-H{i}", handling_unit="Zlatan Testsson")
                        for i in range(6)]  # a name (a case officer's?) for six persons: still a name
    ptemplate = tables["placements"][0]
    tables["placements"] = (
        [dict(ptemplate, placement_id=f"IN-{i}", case_id=f"AR-{i}", type="skydat_boende") for i in range(6)]
        + [dict(ptemplate, placement_id=f"IN-O{i}", case_id="AR-Z", referring_unit="Bo Bosson") for i in range(6)]
        + [dict(ptemplate, placement_id=f"IN-M{i}", case_id=f"AR-M{i}", referring_unit="Cilla Cillasson")
           for i in range(6)])
    db = tmp_path / "s.duckdb"
    ingest([write_tables(tmp_path / "e", tables)], db, extract_date=EXTRACT)
    messages = store_rows(db, "SELECT table_name, column_name, message FROM quarantine WHERE rule = 'invalid_code' "
                              "ORDER BY table_name, row_number")
    assert len(messages) == 43
    quoted = [(t, c) for t, c, m in messages if '("' in m]
    assert quoted == [("cases", "sex")] * 6 + [("placements", "type")] * 6
    assert all('("kvinnna")' in m or '("skydat_boende")' in m for _, _, m in messages if '("' in m)
    assert not any(name in m for _, _, m in messages
                   for name in ("Anna", "Zlatan", "maken", "\u200b", "Bo Bosson", "Cilla") + tuple("0123456789"))
    # A later export of placements only: their cases' persons are the store's.
    later = {"placements": [dict(ptemplate, placement_id=f"IN-L{i}", case_id=f"AR-V{i}", type="skydat_boende")
                            for i in range(6)]  # six persons
             + [dict(ptemplate, placement_id=f"IN-LM{i}", case_id=f"AR-M{i}", type="annat_boende")
                for i in range(6)]}  # one person's six cases
    ingest([write_tables(tmp_path / "later", later)], db, extract_date=EXTRACT)
    messages = store_rows(db, "SELECT message FROM quarantine WHERE load_id = (SELECT max(load_id) FROM quarantine) ORDER BY row_number")
    assert len(messages) == 12 and sum('("skydat_boende")' in m for m, in messages) == 6
    assert sum('("' in m for m, in messages) == 6  # not the code of one person's six cases
