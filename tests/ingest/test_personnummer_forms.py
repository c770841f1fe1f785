"""Every way a personnummer is written is recognised, in SQL as in Python, and gives one pseudonym.

Exports are typed, pasted from Word or PDF and passed through East Asian or Arabic input methods: the
separator before the last four digits can be any dash (en dash, minus sign, full-width hyphen), the spaces
no-break or thin, and the digits full-width or Arabic-Indic. The import's rule in SQL
(`ingest/validate.py`) must see all of them, as the Python twin (`contract/personnummer.py`) does for
names and messages, and the person key must normalise them to the same ten digits. All numbers here are
generated and belong to no one.
"""

from __future__ import annotations

import random

import duckdb

from likstall.contract.personnummer import DASHES, PLUSES, contains_personnummer
from likstall.ingest.pseudonym import person_norm_sql
from likstall.ingest.validate import pnr_hit_sql

SEPARATORS = [d for d in DASHES.replace("\\", "")] + list(PLUSES)
SPACES = [" ", "\u00a0", "\u2009", "\u202f", "\u3000", "\x85", "\u2028", "\u2029"]
INVISIBLE = ["\u200b", "\u200d", "\u2060", "\ufeff", "\u00ad"]
FULL_WIDTH = str.maketrans("0123456789", "\uff10\uff11\uff12\uff13\uff14\uff15\uff16\uff17\uff18\uff19")
ARABIC = str.maketrans("0123456789", "\u0660\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668\u0669")
PERSIAN = str.maketrans("0123456789", "\u06f0\u06f1\u06f2\u06f3\u06f4\u06f5\u06f6\u06f7\u06f8\u06f9")


def _spellings(rng: random.Random, n: int) -> list[tuple[str, str]]:
    """(ten-digit form, a spelling of it) pairs: century or not, any separator and spaces, any digits."""
    out = []
    for _ in range(n):
        ten = f"{rng.randint(0, 99):02d}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}{rng.randint(0, 9999):04d}"
        head, tail = (rng.choice(["19", "20"]) if rng.random() < 0.4 else "") + ten[:6], ten[6:]
        sep = rng.choice(["", *SEPARATORS])
        around = rng.choice(["", *SPACES]) if sep else ""
        text = head + around + sep + around + tail
        if rng.random() < 0.3:
            text = text.translate(rng.choice([FULL_WIDTH, ARABIC, PERSIAN]))
        if rng.random() < 0.2:
            at = rng.randint(1, len(text) - 1)
            text = text[:at] + rng.choice(INVISIBLE) + text[at:]
        out.append((ten, text))
    return out


def test_sql_finds_every_spelling_python_finds_and_no_more():
    rng = random.Random(7)
    spelled = [t for _, t in _spellings(rng, 3000)]
    # And text around them, near misses (a digit short, a letter inside) and ordinary ids.
    values = spelled + [f"ring {t} i dag" for t in spelled[:300]] + [t[:-1] for t in spelled[:300]] \
        + [t[:4] + "x" + t[4:] for t in spelled[:300]] + ["AR-B-00000001", "P-2021-000123", "2021-03-04", "1234 567"] \
        + [f"800101{c}1234" for c in "\t\x0b\x1c\x1d\x1e"]  # ASCII spaces Python counts (Word's line break \v)
    con = duckdb.connect()
    con.execute("CREATE TABLE v AS SELECT unnest(?::VARCHAR[]) AS x", [values])
    sql = [r[0] for r in con.execute(f"SELECT {pnr_hit_sql('x')} FROM v ORDER BY rowid").fetchall()]
    python = [contains_personnummer(v) for v in values]
    assert sql == python
    assert all(sql[:len(spelled)]) and sum(sql) >= len(spelled) + 300  # every spelling, also inside text


def test_every_spelling_of_one_personnummer_gives_the_ten_digit_form():
    pairs = _spellings(random.Random(8), 3000)
    con = duckdb.connect()
    con.execute("CREATE TABLE v AS SELECT unnest(?::VARCHAR[]) AS ten, unnest(?::VARCHAR[]) AS x",
                [[t for t, _ in pairs], [x for _, x in pairs]])
    wrong, odd = con.execute(
        f"SELECT count_if(({person_norm_sql('x')}) <> ten), count_if(x <> ten AND NOT regexp_full_match(x, '[0-9+-]+')) "
        "FROM v").fetchone()
    assert wrong == 0 and odd > 1000  # and most spellings were more than ASCII digits and a hyphen


def test_ids_that_are_not_personnummer_keep_their_form():
    ids = ["P-B-00000001", "p-12", "Ärende 7", "12345", "AB 800101", "1234567890123"]
    con = duckdb.connect()
    got = [r[0] for r in con.execute(
        f"SELECT {person_norm_sql('x')} FROM (SELECT unnest(?::VARCHAR[]) AS x, generate_subscripts(?::VARCHAR[], 1) AS i) "
        "ORDER BY i", [ids, ids]).fetchall()]
    assert got == [i.upper() for i in ids]


def _with_check_digit(nine: str) -> str:
    """Nine digits and the Luhn check digit that makes them a personnummer."""
    total = sum(d // 10 + d % 10 for d in (int(c) * (2 if i % 2 == 0 else 1) for i, c in enumerate(nine)))
    return nine + str((10 - total % 10) % 10)


def _dated_spellings(rng: random.Random, n: int) -> list[tuple[str, str]]:
    """(ten-digit form, a spelling with _ . or / before the last four): 19800101_1234, 800101.1234, 800101/1234."""
    out = []
    for _ in range(n):
        day = rng.randint(1, 28) + (60 if rng.random() < 0.2 else 0)  # samordningsnummer: day + 60
        ten = _with_check_digit(f"{rng.randint(0, 99):02d}{rng.randint(1, 12):02d}{day:02d}{rng.randint(1, 999):03d}")
        head = (rng.choice(["19", "20"]) if rng.random() < 0.5 else "") + ten[:6]
        text = head + rng.choice("._/") + ten[6:]
        if rng.random() < 0.2:
            at = rng.randint(1, len(text) - 1)
            text = text[:at] + rng.choice(INVISIBLE) + text[at:]
        out.append((ten, text))
    return out


# Values of those shapes that are not personnummer, as exports have them: they must pass.
NEAR_MISSES = ["2021-03-01", "2021-03-01 12:00", "12/03/2021 10:30", "12.03.2021 10:30", "20210312T1030",
               "2021-01-01/2021-12-31", "2021-01-01 – 2021-12-31", "AR-2021-0312-0001", "INS-2021-03-12-0007",
               "312345.6789", "1234.5678", "08-10 20 30 40", "1 234 567,89", "2021-W10-3", "kostnad 150 000 kr"]


def test_dated_spellings_are_found_in_sql_as_in_python_and_give_the_ten_digit_form():
    rng = random.Random(9)
    pairs = _dated_spellings(rng, 2000)
    spelled = [t for _, t in pairs]
    # A wrong check digit, and numbers of the shape that are costs or ids: one in ten passes the check digit by
    # chance, so the test asks that SQL and Python agree on them, and that most are let through.
    wrong = [t[:-1] + str((int(t[-1]) + 1) % 10) for t in spelled[:300]]
    costs = [f"{rng.randint(100000, 999999)}.{rng.randint(0, 9999):04d}" for _ in range(2000)]
    # Whole amounts with four decimals (as SQL Server's money prints them) and ids of a date and a serial under
    # 10: the birth number 000 is never given, so none of them is a personnummer. (A serial from 10 up makes an
    # id like AR_20210312_0042 one in ten times; AR-20210312-0042 always is, by the rule for dashes.)
    whole = [f"{c}.0000" for c in range(100000, 1000000, 397)] + [f"AR_2021{m:02d}{d:02d}_{n:04d}"
                                                                   for m in range(1, 13) for d in (1, 15, 28)
                                                                   for n in (1, 7, 9)]
    values = spelled + [f"fil_{t}.csv" for t in spelled[:200]] + NEAR_MISSES + wrong + whole + costs
    con = duckdb.connect()
    con.execute("CREATE TABLE v AS SELECT unnest(?::VARCHAR[]) AS x", [values])
    sql = [r[0] for r in con.execute(f"SELECT {pnr_hit_sql('x')} FROM v ORDER BY rowid").fetchall()]
    assert sql == [contains_personnummer(v) for v in values]
    n = len(spelled) + 200
    assert all(sql[:n]) and not any(sql[n:n + len(NEAR_MISSES)])
    assert not any(sql[n + len(NEAR_MISSES):n + len(NEAR_MISSES) + len(wrong) + len(whole)])
    assert sum(sql[-len(costs):]) < 0.015 * len(costs)  # a date, a birth number and the check digit: ≈ 1 in 150
    con.execute("CREATE TABLE p AS SELECT unnest(?::VARCHAR[]) AS ten, unnest(?::VARCHAR[]) AS x",
                [[t for t, _ in pairs], spelled])
    assert con.execute(f"SELECT count_if(({person_norm_sql('x')}) <> ten) FROM p").fetchone()[0] == 0


def test_an_id_pasted_with_invisible_characters_or_decomposed_letters_is_the_same_id():
    from likstall.ingest.pseudonym import visible_sql

    same = [("P-ÅSA-1", "P-A\u030aSA-1"), ("P-ÅSA-1", "P-ÅSA\u200b-1"), ("AR-Ö7", "\ufeffAR-Ö7"),
            ("AR-7", "AR-7\u200b"), ("AR-7", "\u00a0AR-7\u2060"), ("P-1", "\uff30\uff0d\uff11"),  # Ｐ－１
            ("O'BRIEN-{1}", "\uff2f\uff07\uff22\uff32\uff29\uff25\uff2e\uff0d{\uff11}")]
    con = duckdb.connect()
    for a, b in same:
        x, y = con.execute(f"SELECT {visible_sql('$a')}, {visible_sql('$b')}", {"a": a, "b": b}).fetchone()
        assert x == y == a
        x, y = con.execute(f"SELECT {person_norm_sql('$a')}, {person_norm_sql('$b')}", {"a": a, "b": b}).fetchone()
        assert x == y == a.upper()
    # A personnummer in Devanagari digits is the person of the ASCII one.
    devanagari = "121212-1212".translate(str.maketrans("0123456789", "\u0966\u0967\u0968\u0969\u096a\u096b\u096c\u096d\u096e\u096f"))
    x, y = con.execute(f"SELECT {person_norm_sql('$a')}, {person_norm_sql('$b')}", {"a": devanagari, "b": "121212-1212"}).fetchone()
    assert x == y == "1212121212"


def test_a_personnummer_in_a_number_cell_gets_its_leading_zero_back(tmp_path):
    # Excel shows 050101-1234 typed into a number cell as 501011234: the same child as in a CSV export.
    import pandas as pd

    from likstall.ingest.load import ingest

    from helpers import EXTRACT, base_tables, store_rows, write_csv

    ten = _with_check_digit("050101123")
    t = base_tables()
    cases = [dict(c) for c in t["cases"]]
    cases[0]["person_id"] = ten[:6] + "-" + ten[6:]
    folder = tmp_path / "e"
    for name in ("districts", "population", "socioeconomics"):
        write_csv(folder / f"{name}.csv", t[name])
    write_csv(folder / "cases.csv", cases[:1])
    later = pd.DataFrame(cases[1:2])
    later["person_id"] = int(ten)  # a number cell: the zero is gone
    later["case_id"] = int(ten)  # and a case id of the same digits, which is no person: left as it is
    later.to_excel(folder / "arenden.xlsx", sheet_name="cases", index=False)
    db = tmp_path / "s.duckdb"
    r = ingest([folder], db, extract_date=EXTRACT)
    assert r.quarantined == 0, r.by_rule
    assert store_rows(db, "SELECT count(*), count(DISTINCT person_key) FROM cases") == [(2, 1)]


def test_a_case_id_spelled_otherwise_in_the_placements_is_the_case_of_the_same_load(tmp_path):
    # The case's id pasted with a zero-width space and å as a + ring; its placement typed plainly: the same case.
    from likstall.ingest.load import ingest

    from helpers import EXTRACT, base_tables, store_rows, write_tables

    t = base_tables()
    t["cases"][0]["case_id"] = "AR-Å1\u200b".replace("Å", "A\u030a")
    for p in t["placements"]:
        if p["case_id"] == "AR-1":
            p["case_id"] = "AR-Å1"
    db = tmp_path / "s.duckdb"
    r = ingest([write_tables(tmp_path / "e", t)], db, extract_date=EXTRACT)
    assert r.quarantined == 0, r.by_rule
    assert store_rows(db, "SELECT count(*) FROM placements p JOIN cases c USING (case_key)") == [(len(t["placements"]),)]
