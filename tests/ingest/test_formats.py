"""CSV (`,`/`;`, UTF-8 with or without BOM, Windows-1252), XLSX, Parquet, aliases and mapping files."""

from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from likstall.errors import InputError
from likstall.ingest.load import ingest

from helpers import EXTRACT, base_tables, store_rows, write_csv, write_tables

SWEDISH_HEADERS = {
    "case_id": "ärende_id", "person_id": "personnummer", "district": "stadsdel", "opened": "aktualiserad",
    "closed": "avslutad", "sex": "kön", "birth_year": "födelseår", "target_group": "målgrupp",
    "handling_unit": "handläggande_enhet", "disability": "funktionsnedsättning", "interpreter_needed": "tolkbehov",
}


def _count(db, table):
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    finally:
        con.close()


@pytest.mark.parametrize("delimiter,encoding", [(";", "cp1252"), (";", "utf-8-sig"), (",", "utf-8-sig"), ("\t", "utf-8")])
def test_csv_dialects_and_swedish_headers(tmp_path, delimiter, encoding):
    t = base_tables()
    folder = tmp_path / "e"
    for name in ("districts", "population", "socioeconomics", "placements"):
        write_csv(folder / f"{name}.csv", t[name], delimiter=delimiter, encoding=encoding)
    cases = [{SWEDISH_HEADERS[k]: v for k, v in row.items()} for row in t["cases"]]
    write_csv(folder / "ärenden.csv", cases, delimiter=delimiter, encoding=encoding)
    db = tmp_path / "s.duckdb"
    r = ingest([folder], db, extract_date=EXTRACT)
    assert r.quarantined == 0, r.by_rule
    assert _count(db, "cases") == 3
    # Söderby (with ö) resolved as a district in Windows-1252 too.
    assert _count(db, "districts") == 3


def test_xlsx_with_named_sheets(tmp_path):
    t = base_tables()
    path = tmp_path / "export.xlsx"
    with pd.ExcelWriter(path) as xw:
        for name, rows in t.items():
            df = pd.DataFrame(rows)
            for c in ("opened", "closed", "applied", "decided", "start", "end"):
                if c in df:  # real Excel date cells, as a case system writes them
                    df[c] = pd.to_datetime(df[c].replace("", None)).dt.date
            df.to_excel(xw, sheet_name={"cases": "Ärenden", "placements": "insatser"}.get(name, name), index=False)
        pd.DataFrame({"anteckning": ["inget här"]}).to_excel(xw, sheet_name="Info", index=False)
    db = tmp_path / "s.duckdb"
    with pytest.raises(InputError, match="Info"):
        ingest([path], db, extract_date=EXTRACT)  # a sheet that is no table is named, not skipped
    with pd.ExcelWriter(path) as xw:
        for name, rows in t.items():
            pd.DataFrame(rows).to_excel(xw, sheet_name=name, index=False)
    r = ingest([path], db, extract_date=EXTRACT)
    assert r.quarantined == 0, r.by_rule
    assert r.inserted == 15
    assert {f["file"] for f in r.files} == {f"export.xlsx#{n}" for n in t}


def test_xlsx_one_file_per_table_and_parquet(tmp_path):
    t = base_tables()
    folder = tmp_path / "e"
    folder.mkdir()
    for name, rows in t.items():
        df = pd.DataFrame(rows)
        if name in ("cases", "placements"):
            df.to_excel(folder / f"{name}.xlsx", index=False, sheet_name="Blad1")
        else:
            df.astype(str).to_parquet(folder / f"{name}.parquet")
    r = ingest([folder], tmp_path / "s.duckdb", extract_date=EXTRACT)
    assert r.quarantined == 0, r.by_rule
    assert r.inserted == 15


def test_mapping_file_maps_headers_and_codes(tmp_path):
    t = copy.deepcopy(base_tables())
    for row in t["placements"]:
        row["Insatsform"] = {"skyddat_boende": "SKB", "SHIS": "MB", "Skyddat boende": "skb"}[row.pop("type")]
        row["Ärendenummer"] = row.pop("case_id")
    folder = write_tables(tmp_path / "e", {k: v for k, v in t.items() if k != "placements"})
    write_csv(folder / "Export_insatser_2021.csv", t["placements"])
    toml = tmp_path / "karta.toml"
    toml.write_text(
        '[tables]\n"Export_insatser_2021" = "placements"\n\n'
        '[columns]\n"Ärendenummer" = "case_id"\n\n[columns.placements]\n"Insatsform" = "type"\n\n'
        '[codes.type]\n"SKB" = "skyddat_boende"\n"MB" = "shis"\n', encoding="utf-8")
    r = ingest([folder], tmp_path / "s.duckdb", extract_date=EXTRACT, mapping=toml)
    assert r.quarantined == 0, r.by_rule
    yaml_file = tmp_path / "karta.yaml"
    yaml_file.write_text(
        'tables: {Export_insatser_2021: placements}\ncolumns:\n  Ärendenummer: case_id\n  placements: {Insatsform: type}\n'
        'codes:\n  type: {SKB: skyddat_boende, MB: shis}\n', encoding="utf-8")
    r2 = ingest([folder], tmp_path / "s2.duckdb", extract_date=EXTRACT, mapping=yaml_file)
    assert r2.quarantined == 0 and r2.inserted == r.inserted


def test_mapping_to_a_code_outside_the_list_is_an_error(tmp_path, export):
    bad = tmp_path / "m.toml"
    bad.write_text('[codes.type]\n"SKB" = "hotell Anna"\n', encoding="utf-8")
    with pytest.raises(InputError, match="kodlistan placement_type") as exc:
        ingest([export], tmp_path / "s.duckdb", extract_date=EXTRACT, mapping=bad)
    assert "Anna" not in str(exc.value)  # a mapping file can hold anything: its values are not repeated


@pytest.mark.parametrize("per_row", [False, True], ids=["few-values", "many-values"])
def test_a_district_mapping_leads_only_to_a_known_district(tmp_path, export, monkeypatch, per_row):
    # A mapping to a district the reference data does not have quarantines the rows (it was stored unchecked: a
    # name or a personnummer as the district code); one that looks like a personnummer refuses the mapping. Both
    # ways of typing a code column: a lookup of its few distinct values, and per row when there are many.
    if per_row:
        from likstall.ingest.validate import Validator

        monkeypatch.setattr(Validator, "MAX_DISTINCT", 0)
    m = tmp_path / "m.toml"
    m.write_text('[codes.district]\n"norr" = "Anna Andersson"\n"soder" = "ost"\n', encoding="utf-8")
    db = tmp_path / "s.duckdb"
    r = ingest([export], db, extract_date=EXTRACT, mapping=m)
    stored = {row[0] for row in store_rows(
        db, "SELECT district FROM cases UNION SELECT district FROM population UNION SELECT district FROM socioeconomics")}
    assert "Anna Andersson" not in stored and "ost" in stored and r.by_rule.get("unknown_district", 0) >= 3
    m.write_text('[codes.district]\n"norr" = "198501011234"\n', encoding="utf-8")
    with pytest.raises(InputError, match="personnummer") as exc:
        ingest([export], tmp_path / "s2.duckdb", extract_date=EXTRACT, mapping=m)
    assert "1234" not in str(exc.value)


def test_a_bare_sex_mapping_serves_each_table_its_own_list(tmp_path, export):
    # The cases' list has X and okänt, the population's only K and M: [codes.sex] "Q" = "X" is valid for cases.
    t = copy.deepcopy(base_tables())
    t["cases"][0]["sex"] = "Q"
    t["population"][0]["sex"] = "Q"
    m = tmp_path / "m.toml"
    m.write_text('[codes.sex]\n"Q" = "X"\n', encoding="utf-8")
    db = tmp_path / "s.duckdb"
    r = ingest([write_tables(tmp_path / "e", t)], db, extract_date=EXTRACT, mapping=m)
    assert store_rows(db, "SELECT count(*) FROM cases WHERE sex = 'X'") == [(1,)]
    assert r.by_rule == {"invalid_code": 1}  # the population's Q: X is not in its list
    # [codes.cases.sex] (TOML nests it as a table in a table) is the cases' column only.
    m.write_text('[codes.cases.sex]\n"Q" = "X"\n', encoding="utf-8")
    r = ingest([write_tables(tmp_path / "e2", t)], tmp_path / "s2.duckdb", extract_date=EXTRACT, mapping=m)
    assert r.by_rule == {"invalid_code": 1}


def test_missing_required_column_rejects_the_file_and_leaves_store_unchanged(tmp_path, export):
    db = tmp_path / "s.duckdb"
    ingest([export], db, extract_date=EXTRACT)
    before = _count(db, "cases"), _count(db, "loads")
    t = copy.deepcopy(base_tables())
    for row in t["placements"]:
        del row["decision"]
    with pytest.raises(InputError) as exc:
        ingest([write_tables(tmp_path / "bad", t)], db, extract_date=EXTRACT)
    msg = str(exc.value)
    assert "decision" in msg and "placements.csv" in msg and "rad 1" in msg
    assert (_count(db, "cases"), _count(db, "loads")) == before


def test_a_file_without_its_header_row_is_refused_without_printing_its_first_row(tmp_path):
    # The first row of a file without a header is a record: its id and any name must not reach the message.
    folder = tmp_path / "e"
    folder.mkdir()
    (folder / "cases.csv").write_text("AR-77,Anna Andersson,norr,2021-03-01,,K,1985\n"
                                      "AR-78,P-78,norr,2021-03-02,,K,1986\n", encoding="utf-8")
    with pytest.raises(InputError) as exc:
        ingest([folder / "cases.csv"], tmp_path / "s.duckdb", extract_date=EXTRACT)
    msg = str(exc.value)
    assert "cases.csv" in msg and "rubrikrad" in msg
    assert "Anna" not in msg and "AR-77" not in msg


def test_a_header_row_with_some_unknown_names_is_listed(tmp_path, export):
    t = copy.deepcopy(base_tables())
    for row in t["placements"]:
        row["beslut_typ"] = row.pop("decision")
    with pytest.raises(InputError, match="Rubriker i filen: .*beslut_typ"):
        ingest([write_tables(tmp_path / "bad", t)], tmp_path / "s.duckdb", extract_date=EXTRACT)


@pytest.mark.parametrize("content,match", [
    (b"\x00\x01\x02binary\xff\xfe", "ingen textfil"),
    (b"", "tom"),
    (b"\x81\x8d\x8f;a\n", "teckenkodning"),
    ("case_id;person_id\n".encode("utf-16"), "UTF-16"),
], ids=["binary", "empty", "unknown-encoding", "utf-16"])
def test_unreadable_files_are_rejected_with_a_message(tmp_path, content, match):
    f = tmp_path / "cases.csv"
    f.write_bytes(content)
    with pytest.raises(InputError, match=match):
        ingest([f], tmp_path / "s.duckdb", extract_date=EXTRACT)


def test_corrupt_xlsx_is_rejected(tmp_path):
    f = tmp_path / "cases.xlsx"
    f.write_bytes(b"PK\x03\x04 truncated workbook")
    with pytest.raises(InputError, match="Arbetsboken"):
        ingest([f], tmp_path / "s.duckdb", extract_date=EXTRACT)


def test_csv_row_with_wrong_number_of_fields_is_quarantined_with_its_row(tmp_path, export):
    text = (export / "cases.csv").read_text(encoding="utf-8").splitlines()
    text.insert(2, "AR-X,P-X,norr")  # becomes row 3
    text[4] = text[4].replace(",M,", ",??,")  # AR-3, now on row 5
    (export / "cases.csv").write_text("\n".join(text) + "\n", encoding="utf-8")
    db = tmp_path / "s.duckdb"
    r = ingest([export], db, extract_date=EXTRACT)
    assert r.by_rule == {"csv_format": 1, "invalid_code": 1, "case_missing": 1}
    con = duckdb.connect(str(db), read_only=True)
    rows = con.execute("SELECT row_number, rule FROM quarantine WHERE table_name = 'cases' ORDER BY 1").fetchall()
    con.close()
    # The rows after the bad one keep their own numbers.
    assert rows == [(3, "csv_format"), (5, "invalid_code")]
    assert r.rows_read == r.inserted + r.quarantined


def test_unknown_file_type_is_an_error(tmp_path):
    f = tmp_path / "cases.json"
    f.write_text("{}")
    with pytest.raises(InputError, match="Okänt filformat"):
        ingest([f], tmp_path / "s.duckdb", extract_date=EXTRACT)


@pytest.mark.parametrize("multiline", [False, True], ids=["plain", "with-a-value-over-two-lines"])
def test_rows_after_blank_lines_keep_their_spreadsheet_numbers(tmp_path, export, multiline):
    # DuckDB skips blank lines; a bad row after one must still be named by the row a spreadsheet shows (blank
    # lines count, a quoted value over two lines is one row), for rule failures and unreadable records alike.
    lines = (export / "cases.csv").read_text(encoding="utf-8").splitlines()  # header and three cases
    header, rows = lines[0], lines[1:]
    bad_sex = rows[2].replace(",M,", ",??,")
    assert bad_sex != rows[2]
    first = rows[0]
    if multiline:
        first = first.replace(",rvt,", ',"r\nvt",', 1)  # not a valid unit any more, but still one row (row 2)
    body = [header, first, "", rows[1], "", "", "AR-X,P-X,norr", bad_sex, "", ""]
    (export / "cases.csv").write_text("\n".join(body) + "\n", encoding="utf-8")
    db = tmp_path / "s.duckdb"
    r = ingest([export], db, extract_date=EXTRACT)
    quarantined = store_rows(db, "SELECT row_number, rule FROM quarantine WHERE table_name = 'cases' ORDER BY 1, 2")
    assert quarantined == ([(2, "invalid_code")] if multiline else []) + [(7, "csv_format"), (8, "invalid_code")]
    assert r.rows_read == r.inserted + r.quarantined + r.updated + r.unchanged


def test_a_quote_that_never_closes_refuses_the_file_instead_of_dropping_the_rest(tmp_path, export):
    lines = (export / "cases.csv").read_text(encoding="utf-8").splitlines()
    lines[2] = lines[2].replace("AR-2", '"AR-2', 1)  # opens on row 3 and never closes
    (export / "cases.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    db = tmp_path / "s.duckdb"
    with pytest.raises(InputError, match="rad 3 stängs aldrig") as exc:
        ingest([export], db, extract_date=EXTRACT)
    assert "cases.csv" in str(exc.value)


def test_a_misplaced_quote_that_closes_costs_only_its_own_row(tmp_path, export):
    lines = (export / "cases.csv").read_text(encoding="utf-8").splitlines()
    lines[2] = lines[2].replace("AR-2", '"AR-2"x', 1)  # closes, then more text: DuckDB rejects this record only
    (export / "cases.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    r = ingest([export], tmp_path / "s.duckdb", extract_date=EXTRACT)
    assert r.by_rule == {"csv_format": 1, "case_missing": 1} and r.rows_read == r.inserted + r.quarantined


def _typed_parquet_export(tmp_path):
    """The base export with cases and placements as Parquet files typed the way pandas writes them: yes/no and
    year columns with a missing value as float, dates as timestamps in Swedish time."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    t = base_tables()
    folder = write_tables(tmp_path / "e", {k: v for k, v in t.items() if k not in ("cases", "placements")})
    cases = pd.DataFrame(t["cases"])
    for col in ("disability", "interpreter_needed"):
        cases[col] = cases[col].map({"ja": 1.0, "nej": 0.0, "1": 1.0, "0": 0.0, "": float("nan")})
    cases["birth_year"] = cases["birth_year"].astype(float)
    cases["opened"] = pd.to_datetime(cases["opened"]).dt.tz_localize("Europe/Stockholm")  # local midnight
    cases.to_parquet(folder / "cases.parquet")
    placements = pd.DataFrame(t["placements"]).astype(str)
    pq.write_table(pa.Table.from_pandas(placements, preserve_index=False), folder / "placements.parquet")
    return folder


def test_parquet_as_pandas_writes_it_reads_like_the_csv(tmp_path):
    db = tmp_path / "s.duckdb"
    r = ingest([_typed_parquet_export(tmp_path)], db, extract_date=EXTRACT)
    assert r.quarantined == 0, r.by_rule
    opened = [r[0].isoformat() for r in store_rows(db, "SELECT opened FROM cases ORDER BY opened")]
    flags = store_rows(db, "SELECT count_if(disability), count_if(NOT disability) FROM cases")[0]
    assert opened == ["2021-03-01", "2021-05-10", "2021-06-01"]  # the day in Sweden, not the day before in UTC
    assert flags == (1, 1)


def test_a_parquet_file_with_a_column_twice_is_refused(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    t = base_tables()["cases"]
    names = list(t[0]) + ["case_id"]
    columns = [pa.array([str(r[n]) for r in t]) for n in list(t[0])] + [pa.array(["X", "Y", "Z"])]
    pq.write_table(pa.Table.from_arrays(columns, names=names), tmp_path / "cases.parquet")
    with pytest.raises(InputError, match="case_id förekommer två gånger"):
        ingest([tmp_path / "cases.parquet"], tmp_path / "s.duckdb", extract_date=EXTRACT)


def _cases_opened(tmp_path, values: list[str]):
    """A load whose cases (copies of the first) were opened on each of `values`; its result and the store."""
    t = copy.deepcopy(base_tables())
    template = t["cases"][0]
    t["cases"] = [dict(template, case_id=f"AR-D{i}", person_id=f"P-D{i}", opened=v) for i, v in enumerate(values)]
    del t["placements"]
    db = tmp_path / "s.duckdb"
    return ingest([write_tables(tmp_path / "e", t)], db, extract_date=EXTRACT), db


def test_a_date_with_text_after_it_is_not_read_as_the_date(tmp_path):
    # DuckDB's cast reads "2021-03-01 (ungefär)" and "2021-03-01 BC" as 2021-03-01, and "2021-03-1Z" too.
    # And a time zone: the cast would keep the date as written, the day before in Sweden for a late UTC time.
    bad = ["2021-03-01 (ungefär)", "2021-03-01 BC", "2021-03-01 x", "2021-03-1Z", "2021-3-1BC", "2021-03-01T23:30:00Z",
           "2021-03-01T10:00:00+01:00"]
    r, _ = _cases_opened(tmp_path, bad)
    assert r.by_rule == {"invalid_date": len(bad)}


def test_dates_with_a_time_or_slashes_are_read(tmp_path):
    good = ["2021-03-01", "2021-3-1", "2021/03/01", "2021/03/01 10:00", "2021-03-01T00:00:00", "2021-03-01 10:30:00.123"]
    r, db = _cases_opened(tmp_path, good)
    assert r.quarantined == 0, r.by_rule
    assert store_rows(db, "SELECT DISTINCT opened FROM cases") == [(dt.date(2021, 3, 1),)]


def test_a_file_mixing_utf8_and_windows_1252_is_refused_naming_the_line(tmp_path, export):
    text = (export / "districts.csv").read_text(encoding="utf-8").splitlines()
    raw = [line.encode("utf-8") for line in text]
    raw[2] = text[2].encode("cp1252")  # "Söderby" pasted from an older file
    assert b"\xf6" in raw[2] and any(b"\xc3\x96" in r for r in raw)  # Östby in UTF-8 elsewhere
    (export / "districts.csv").write_bytes(b"\n".join(raw) + b"\n")
    with pytest.raises(InputError, match="rad 3") as exc:
        ingest([export], tmp_path / "s.duckdb", extract_date=EXTRACT)
    assert "blandar" in str(exc.value) and "districts.csv" in str(exc.value)


def _moved_sheet(src: Path, dst: Path, prefix: bytes = b"") -> Path:
    """The workbook with its sheet at xl/ws/Sheet1.XML (the workbook's own links point there), optionally with
    its cells written with a namespace prefix and single quotes: valid OOXML that a check of
    xl/worksheets/*.xml alone, or of one spelling of a cell, does not see."""
    import re
    import zipfile

    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item)
            name = item.filename
            if name == "xl/worksheets/sheet1.xml":
                name = "xl/ws/Sheet1.XML"
                if prefix:
                    data = re.sub(rb'<c r="([A-Z]+[0-9]+)"', lambda m: b"<" + prefix + b":c r='" + m.group(1) + b"'", data)
                    data = data.replace(b"</c>", b"</" + prefix + b":c>")
            data = data.replace(b"worksheets/sheet1.xml", b"ws/Sheet1.XML")
            zout.writestr(name, data)
    return dst


@pytest.mark.parametrize("prefix", [None, b"", b"x"], ids=["plain", "moved", "moved-prefixed-single-quoted"])
def test_a_workbook_with_one_cell_far_out_is_refused_not_a_crash(tmp_path, prefix):
    # One cell in the sheet's last row and column made the workbook reader ask for the whole rectangle
    # (512 GB) and abort the process; also with the sheet stored elsewhere in the workbook.
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "cases"
    ws.append(list(base_tables()["cases"][0]))
    ws["XFD1048576"] = "x"
    book = tmp_path / "cases.xlsx"
    if prefix is None:
        wb.save(book)
    else:
        wb.save(tmp_path / "plain.xlsx")
        _moved_sheet(tmp_path / "plain.xlsx", book, prefix)
    with pytest.raises(InputError, match="för många celler"):
        ingest([book], tmp_path / "s.duckdb", extract_date=EXTRACT)


def test_a_formula_without_a_saved_value_is_refused_naming_the_cell(tmp_path):
    # openpyxl (like any script) writes formulas without calculating them: the cell would be read as empty.
    import openpyxl

    t = base_tables()["cases"]
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "cases"
    ws.append(list(t[0]))
    for row in t:
        ws.append(list(row.values()))
    ws["G3"] = "=1900+50"
    wb.save(tmp_path / "cases.xlsx")
    with pytest.raises(InputError, match="Cellen G3 har en formel"):
        ingest([tmp_path / "cases.xlsx"], tmp_path / "s.duckdb", extract_date=EXTRACT)
    # The same workbook with the value saved (as Excel does) reads: the formula's cached value is used.
    xlsx = tmp_path / "saved.xlsx"
    import zipfile

    with zipfile.ZipFile(tmp_path / "cases.xlsx") as src, zipfile.ZipFile(xlsx, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename.startswith("xl/worksheets/"):
                data = data.replace(b"<f>1900+50</f><v />", b"<f>1900+50</f><v>1950</v>")
            dst.writestr(item, data)
    folder = write_tables(tmp_path / "ref", {k: v for k, v in base_tables().items() if k not in ("cases", "placements")})
    r = ingest([folder, xlsx], tmp_path / "s2.duckdb", extract_date=EXTRACT)
    assert r.quarantined == 0 and r.inserted == 3 + 4 + 2 + 3


@pytest.mark.parametrize("name,content", [
    ("a.toml", 'tables = "cases"\n'),
    ("b.toml", "columns = [1, 2]\n"),
    ("c.yaml", "tables: {x: [a]}\n"),
    ("d.yaml", "columns: {x: [a]}\n"),
    ("e.yaml", "columns: {placements: {x: [a]}}\n"),
    ("f.yaml", "1: a\nfoo: b\n"),
    ("g.yaml", "codes:\n  type: &a {SKB: skyddat_boende}\n  decision: *a\n"),
], ids=["tables-text", "columns-list", "yaml-list-as-table", "yaml-list-as-column", "yaml-nested-list",
        "mixed-unknown-keys", "yaml-alias"])
def test_a_wrongly_shaped_mapping_gets_a_message_not_an_internal_error(tmp_path, export, name, content):
    m = tmp_path / name
    m.write_text(content, encoding="utf-8")
    with pytest.raises(InputError, match="Mappningsfil|mappningsfil|columns|codes") as exc:
        ingest([export], tmp_path / "s.duckdb", extract_date=EXTRACT, mapping=m)
    assert name in str(exc.value)


def test_a_mapping_in_windows_1252_reads_and_a_missing_one_says_so_in_swedish(tmp_path, export):
    t = copy.deepcopy(base_tables())
    for row in t["cases"]:
        row["Ärendenummer"] = row.pop("case_id")
    folder = write_tables(tmp_path / "e", t)
    m = tmp_path / "m.toml"
    m.write_bytes('[columns]\n"Ärendenummer" = "case_id"\n'.encode("cp1252"))
    r = ingest([folder], tmp_path / "s.duckdb", extract_date=EXTRACT, mapping=m)
    assert r.quarantined == 0, r.by_rule
    with pytest.raises(InputError, match="filen finns inte"):
        ingest([folder], tmp_path / "s.duckdb", extract_date=EXTRACT, mapping=tmp_path / "saknas.toml")


def test_blank_lines_at_the_end_cost_no_second_pass(tmp_path, export, monkeypatch):
    # Only a file with fewer records than lines (a blank line before data, a value over two lines) is read a
    # second time to number its rows; an export's habit of ending with blank lines is not.
    from likstall.ingest import reader

    def second_pass(*args):
        raise AssertionError("read a second time")

    monkeypatch.setattr(reader, "_blank_records", second_pass)
    path = export / "cases.csv"
    path.write_text(path.read_text(encoding="utf-8").rstrip("\n") + "\n\n\n\n", encoding="utf-8")
    r = ingest([export], tmp_path / "s.duckdb", extract_date=EXTRACT)
    assert r.quarantined == 0 and r.inserted == 15


def test_a_file_mixing_line_endings_is_refused_in_swedish(tmp_path, export):
    # DuckDB's reader refuses a file whose last lines end in both CRLF and LF (two files put together), with an
    # English reason; the message says what it means.
    path = export / "cases.csv"
    path.write_bytes(path.read_bytes().rstrip(b"\n") + b"\n\n\r\n  \n")
    with pytest.raises(InputError, match="radslut") as exc:
        ingest([export], tmp_path / "s.duckdb", extract_date=EXTRACT)
    assert "cases.csv" in str(exc.value) and "state machine" not in str(exc.value)


def test_a_workbook_cell_beyond_its_header_is_read_and_checked_not_cut(tmp_path):
    # A cell to the right of the named columns is in a column without a header: read like any column outside
    # the contract (not stored), so a personnummer there sends its row to the quarantine.
    t = base_tables()
    path = tmp_path / "export.xlsx"
    with pd.ExcelWriter(path) as xw:
        for name, rows in t.items():
            df = pd.DataFrame(rows)
            if name == "cases":
                df["extra"] = ["en anteckning", "19121212-1212", None]
            df.to_excel(xw, sheet_name=name, index=False)
            if name == "cases":
                xw.sheets[name].cell(row=1, column=len(df.columns), value=None)  # the header without a name there
    db = tmp_path / "s.duckdb"
    r = ingest([path], db, extract_date=EXTRACT)
    assert r.rows_read == r.inserted + r.quarantined
    rows = store_rows(db, "SELECT file, row_number, rule, message FROM quarantine WHERE table_name = 'cases'")
    assert [(f, n, rule) for f, n, rule, _ in rows] == [("export.xlsx#cases", 3, "personnummer")]
    assert "1912" not in rows[0][3]
    assert b"19121212" not in db.read_bytes() and b"anteckning" not in db.read_bytes()


def test_files_whose_names_read_the_same_once_masked_are_kept_apart(tmp_path, export):
    # Two exports named with (generated) personnummer: both names are masked, and they must still name two
    # files, or a bad row of one would take the same row of the other with it.
    folder = tmp_path / "two"
    folder.mkdir()
    rows = (export / "cases.csv").read_text(encoding="utf-8").splitlines()
    (folder / "arenden_19121212-1212.csv").write_text("\n".join(rows[:2]) + "\n", encoding="utf-8")
    bad = rows[2].replace(",kvinna,", ",kvinnna,")
    (folder / "arenden_19121213-1213.csv").write_text("\n".join([rows[0], bad, rows[3]]) + "\n", encoding="utf-8")
    for other in ("districts", "population", "socioeconomics"):
        (folder / f"{other}.csv").write_text((export / f"{other}.csv").read_text(encoding="utf-8"), encoding="utf-8")
    db = tmp_path / "s.duckdb"
    r = ingest([folder], db, extract_date=EXTRACT)
    assert r.by_rule == {"invalid_code": 1} and r.rows_read == r.inserted + r.quarantined
    names = [f["file"] for f in r.files if f["file"].startswith("arenden")]
    assert len(set(names)) == 2 and not any("1912" in n for n in names)
    assert store_rows(db, "SELECT count(*) FROM cases") == [(2,)]


def test_sheets_whose_names_read_the_same_once_masked_are_kept_apart(tmp_path):
    # Two sheets named with (generated) personnummer, both holding cases: two names, one bad row each kept apart.
    t = base_tables()
    path = tmp_path / "export.xlsx"
    bad = [dict(c) for c in t["cases"]]
    bad[1]["sex"] = "kvinnna"
    with pd.ExcelWriter(path) as xw:
        for name in ("districts", "population", "socioeconomics"):
            pd.DataFrame(t[name]).to_excel(xw, sheet_name=name, index=False)
        pd.DataFrame(t["cases"][:1]).to_excel(xw, sheet_name="cases 19121212-1212", index=False)
        pd.DataFrame(bad[1:]).to_excel(xw, sheet_name="cases 19121213-1213", index=False)
    db = tmp_path / "s.duckdb"
    r = ingest([path], db, extract_date=EXTRACT)
    assert r.by_rule == {"invalid_code": 1} and r.rows_read == r.inserted + r.quarantined
    names = [f["file"] for f in r.files if "cases" in f["file"]]
    assert len(set(names)) == 2 and not any("1912" in n for n in names)
