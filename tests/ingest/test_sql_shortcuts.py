"""The ingest's cheaper SQL forms give exactly what the plain forms give.

`trim_sql` calls trim only when a value can need it, the personnummer check runs its exact
pattern only where a cheaper necessary condition (`PNR_CANDIDATE`) holds and once per row rather than
once per column, and the person key's
normalisation skips its regular expressions for ids that start with a letter. All are checked here
against the plain SQL on generated values, including every character that trim strips and the
zero-width characters the check must see through.
"""

from __future__ import annotations

import random
from collections import Counter

import duckdb

from likstall.ingest.pseudonym import PNR_SQL_NORMALISE, person_norm_sql, trim_sql, visible_sql
from likstall.ingest.validate import PNR_CANDIDATE, PNR_PATTERN, ZERO_WIDTH, pnr_hit_sql

# What DuckDB's trim strips (the Unicode space separators), and look-alikes it does not.
SPACES = [" ", "\u00a0", "\u1680", *map(chr, range(0x2000, 0x200B)), "\u202f", "\u205f", "\u3000"]
OTHERS = ["\t", "\n", "\u200b", "\u2060", "\ufeff", "\u00ad", "-", "+", "a", "Ö", "１", "٣", "0", "5", "9", "\x1f"]


def _values(n: int, seed: int, alphabet: list[str], max_len: int) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, max_len))) for _ in range(n)]


def test_trim_sql_is_trim():
    con = duckdb.connect()
    values = _values(20_000, 1, SPACES + OTHERS, 6) + [s + "x" for s in SPACES] + ["x" + s for s in SPACES]
    con.execute("CREATE TABLE v AS SELECT unnest(?::VARCHAR[]) AS x", [values])
    differ = con.execute(f"SELECT count(*) FROM v WHERE ({trim_sql('x')}) IS DISTINCT FROM trim(x)").fetchone()[0]
    stripped = con.execute(f"SELECT count(*) FROM v WHERE ({trim_sql('x')}) <> x").fetchone()[0]
    assert differ == 0 and stripped > 1000  # and the values did need trimming


def test_the_personnummer_shortcut_finds_what_the_exact_pattern_finds():
    con = duckdb.connect()
    digits = list("0123456789") + ["１", "٣"]
    alphabet = digits * 4 + ["\u200b", "\u00ad", "\ufeff", " ", "-", "+", "x", "\x1f"]
    values = _values(50_000, 2, alphabet, 18) + ["850101-1234", "19850101\u200b-1234", "１９８５０１０１-1234",
                                                  "ring 8501011234", "85\u200b0101 - 1234", "AR-B-00000001"]
    con.execute("CREATE TABLE v AS SELECT unnest(?::VARCHAR[]) AS x", [values])
    exact = f"regexp_matches(regexp_replace(x, '{ZERO_WIDTH}', '', 'g'), '{PNR_PATTERN}')"
    hits, missed, shortcut_differs = con.execute(
        f"SELECT count_if({exact}), count_if({exact} AND NOT regexp_matches(x, '{PNR_CANDIDATE}')), "
        f"count_if(({pnr_hit_sql('x')}) <> {exact}) FROM v"
    ).fetchone()
    assert hits > 1000 and missed == 0 and shortcut_differs == 0


def test_one_check_of_the_joined_row_finds_what_a_check_per_column_finds():
    # The ingest checks a row's columns joined by chr(31) (validate.py, `_pnr_sql`): a number split over two
    # columns must not match, and a number in any one column must. Values here are short and digit-heavy, so
    # that many rows hit, many are split at a column's edge, and some columns hold chr(31) or are NULL.
    con = duckdb.connect()
    digits = list("0123456789") + ["１", "٣"]
    alphabet = digits * 4 + ["\u200b", " ", "-", "+", "x", "\x1f"]
    cols = [_values(30_000, 10 + i, alphabet, 13) for i in range(3)]
    cols[1][:4] = ["-1234", "1234", "01-1234", None]  # the tail of a number whose head is in the first column
    cols[0][:4] = ["850101", "19850101", "198501", "8501011234"]
    cols[2][:4] = [None, "x", "", "x"]
    con.execute("CREATE TABLE v AS SELECT unnest(?::VARCHAR[]) AS a, unnest(?::VARCHAR[]) AS b, "
                "unnest(?::VARCHAR[]) AS c", cols)
    joined = pnr_hit_sql("concat_ws(chr(31), a, b, c)")
    each = " OR ".join(f"coalesce({pnr_hit_sql(x)}, false)" for x in "abc")
    differ, hits, split = con.execute(
        f"SELECT count_if(({joined}) <> ({each})), count_if({joined}), "
        f"count_if({pnr_hit_sql('a || b')} AND NOT ({each})) FROM v"
    ).fetchone()
    assert differ == 0 and hits > 1000 and split > 100  # and many rows held a number split over a and b
    first = [r[0] for r in con.execute(f"SELECT {joined} FROM v WHERE rowid < 4 ORDER BY rowid").fetchall()]
    assert first == [False, False, False, True]


def test_the_person_key_shortcut_normalises_as_the_plain_form():
    con = duckdb.connect()
    alphabet = list("0123456789") * 3 + [" ", "\t", "\n", "\r", "\f", "\v", "-", "+", "\u00a0", "\u2009", "a", "P", "z",
                                          "Ö", "é", "１", "_", ".", "/"]
    values = _values(50_000, 3, alphabet, 14) + ["19800101-1234", "800101-1234", "8001011234", " 198001011234",
                                                  "+800101-1234", "-8001011234", "\t8001011234", "P-B-00001234",
                                                  "p-19800101-1234", "a8001011234", "Z 800101-1234"]
    con.execute("CREATE TABLE v AS SELECT unnest(?::VARCHAR[]) AS x", [values])
    plain = PNR_SQL_NORMALISE.format(x="x", trimmed=visible_sql("x"), visible=visible_sql("x"))
    differ, numbers, letters = con.execute(
        f"SELECT count_if(({person_norm_sql('x')}) IS DISTINCT FROM ({plain})), "
        f"count_if(length({plain}) = 10 AND ({plain}) <> upper(trim(x))), count_if(regexp_matches(x, '^[A-Za-z]')) FROM v"
    ).fetchone()
    assert differ == 0 and numbers > 50 and letters > 1000  # and both branches were taken


def test_both_forms_of_the_distinct_code_values_give_the_same_pairs():
    # `distinct_values_sql` takes (column, value) pairs for small exports and grouping sets for large ones; both
    # count the rows of each value (a value is quoted in a message only when it is common, validate.py).
    from likstall.ingest.validate import GROUPING_SETS_FROM_ROWS, distinct_values_sql

    con = duckdb.connect()
    alphabet = ["a", "B", "ö", " ", "1", "-", "\u00a0"]
    cols = [_values(5_000, 20 + i, alphabet, 3) for i in range(4)]
    for i, c in enumerate(cols):
        c[i::7] = [None] * len(c[i::7])  # NULLs, and one column with nothing but NULLs
    cols[3] = [None] * len(cols[3])
    con.execute("CREATE TABLE u AS SELECT unnest(?::VARCHAR[]) AS r_a, unnest(?::VARCHAR[]) AS r_b, "
                "unnest(?::VARCHAR[]) AS r_c, unnest(?::VARCHAR[]) AS r_d", cols)
    small, large = (sorted(con.execute(distinct_values_sql("u", list("abcd"), rows)).fetchall())
                    for rows in (0, GROUPING_SETS_FROM_ROWS))
    counted = Counter((name, v) for name, c in zip("abcd", cols) for v in c if v is not None)
    expected = sorted((name, v, n) for (name, v), n in counted.items())
    assert small == large == expected and len(expected) > 300 and max(counted.values()) > 1
