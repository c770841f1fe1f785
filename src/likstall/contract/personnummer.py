"""What a personnummer looks like in free text, for keeping it out of names, messages and logs.

Ten or twelve digits, optionally with a separator before the last four (Unicode digits count too:
full-width digits are digits). The separator may be any dash a keyboard, a word processor or a
copy from a PDF produces: hyphen-minus, hyphen, non-breaking hyphen, figure dash, en dash, em dash,
horizontal bar, minus sign, small and full-width hyphen-minus; or a plus (100 years or older), also
small or full-width;
with or without spaces around it. Invisible characters (zero-width space and joiners, soft
hyphen, BOM) are removed before matching, so that they cannot split a number. The import's own
rule (`ingest/validate.py`) does the same in SQL.
"""

from __future__ import annotations

import re

DASHES = "\\-\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d"
INVISIBLE = re.compile("[\u200b-\u200f\u2060\ufeff\u00ad]")
PLUSES = "+\ufe62\uff0b"
PNR_IN_TEXT = re.compile(rf"(?<!\d)(\d{{2}})?\d{{6}}\s*[{DASHES}{PLUSES}]?\s*\d{{4}}(?!\d)")
# Also a personnummer with an underscore, a full stop or a slash before the last four (19121212_1212,
# 121212.1212, 121212/1212: file names, and exports that wrote it as a number). Those separators also stand in
# ordinary values (a cost with four decimals, a date and a serial), so these forms count only when the date is a
# date (month 01–12, day 01–31 or, for a samordningsnummer, 61–91), the birth number is not 000 (never given:
# 125000.0000 and AR_20210312_0001 stay) and the check digit is right (Luhn).
_DATE = r"(?:[0-9]{2})?[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01]|6[1-9]|[78][0-9]|9[01])"
DATED = re.compile(_DATE + r"[._/](?!000)[0-9]{4}")
DATED_RUN = re.compile(r"[0-9._/]+")


def luhn_ok(ten: str) -> bool:
    """The personnummer check digit: the Luhn sum of the ten digits (every other from the first doubled) ends in 0."""
    total = 0
    for i, ch in enumerate(ten):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d // 10 + d % 10
    return total % 10 == 0


_TEN = re.compile(_DATE.removeprefix("(?:[0-9]{2})?") + r"(?!000)[0-9]{4}")


def is_ten_digit_personnummer(ten: str) -> bool:
    """Ten ASCII digits that are a personnummer (or samordningsnummer): a date and the right check digit."""
    return bool(_TEN.fullmatch(ten)) and luhn_ok(ten)


def _dated_hit(run: str) -> bool:
    run = run.strip("._/")
    return bool(DATED.fullmatch(run)) and luhn_ok(re.sub(r"[^0-9]", "", run)[-10:])


def _mask_dated(m: re.Match) -> str:
    """A DATED_RUN with its personnummer masked and the separators around it kept (arenden_[dolt].csv)."""
    run = m.group(0)
    if not _dated_hit(run):
        return run
    core = run.strip("._/")
    start = run.index(core)
    return run[:start] + "[dolt]" + run[start + len(core):]


def contains_personnummer(text: str) -> bool:
    visible = INVISIBLE.sub("", text or "")
    return bool(PNR_IN_TEXT.search(visible)) or any(_dated_hit(m.group(0)) for m in DATED_RUN.finditer(visible))


def safe_name(text: str) -> str:
    """A file, sheet, header or mapping name fit for the log and messages: no personnummer-shaped digits, no
    control characters, at most 200 characters."""
    return re.sub(r"[\x00-\x1f\x7f]", "?", mask_personnummer(text))[:200]


def mask_personnummer(text: str) -> str:
    """The text with every personnummer-shaped run replaced by [dolt] (invisible characters dropped)."""
    masked = PNR_IN_TEXT.sub("[dolt]", INVISIBLE.sub("", text or ""))
    return DATED_RUN.sub(_mask_dated, masked)


# The same characters for DuckDB's regular expressions (RE2), used by the import's rule and by the person key's
# normalisation. RE2's \s is ASCII only, hence the Unicode space separators (\p{Zs}: no-break space, thin space...).
SQL_ZERO_WIDTH = r"\x{200B}-\x{200F}\x{2060}\x{FEFF}\x{00AD}"
SQL_DASHES = r"\-\x{2010}-\x{2015}\x{2212}\x{FE58}\x{FE63}\x{FF0D}"
SQL_SEPARATORS = SQL_DASHES + r"+\x{FE62}\x{FF0B}"
# (\s and \p{Zs}, plus what Python's \s also counts: Word's manual line break \v, the separators \x1c-\x1e, NEL and
# the Unicode line and paragraph separators; not \x1f, which joins a row's columns for the import's check.)
SQL_SPACES = r"\s\p{Zs}\x0B\x1C-\x1E\x{85}\x{2028}\x{2029}"
# Digits of other scripts a personnummer arrives in (full-width from East Asian input methods, Arabic-Indic and
# Extended Arabic-Indic), and the ASCII digits they stand for: the person key maps them before hashing.
OTHER_DIGITS = "\uff10\uff11\uff12\uff13\uff14\uff15\uff16\uff17\uff18\uff19" \
    "\u0660\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668\u0669" \
    "\u06f0\u06f1\u06f2\u06f3\u06f4\u06f5\u06f6\u06f7\u06f8\u06f9" \
    "\u0966\u0967\u0968\u0969\u096a\u096b\u096c\u096d\u096e\u096f"  # and Devanagari
ASCII_DIGITS = "0123456789" * 4
# The full-width forms of the ASCII characters (East Asian input methods: Ｐ－１), and the characters they are:
# an id typed with them is the same id (`ingest.pseudonym.visible_sql`).
FULL_WIDTH = "".join(chr(c) for c in range(0xFF01, 0xFF5F))
FULL_WIDTH_AS_ASCII = "".join(chr(c) for c in range(0x21, 0x7F))

# DATED and DATED_RUN for DuckDB (RE2, which has no look-ahead: the birth number 000 is tested apart).
SQL_DATED = _DATE + r"[._/][0-9]{4}"
SQL_DATED_RUN = DATED_RUN.pattern


def sql_dated_hit(run: str) -> str:
    """SQL twin of `_dated_hit` for a text expression `run` (a DATED_RUN)."""
    r = f"trim({run}, '._/')"
    return (f"CASE WHEN regexp_full_match({r}, '{SQL_DATED}') AND substr({r}, length({r}) - 3, 3) <> '000' "
            f"THEN {sql_luhn_ok(f'right(regexp_replace({r}, {chr(39)}[^0-9]{chr(39)}, {chr(39)}{chr(39)}, {chr(39)}g{chr(39)}), 10)')} "
            f"ELSE false END")


def sql_luhn_ok(ten: str) -> str:
    """SQL twin of `luhn_ok` for a ten-digit text expression."""
    digit = f"TRY_CAST(({ten})[i + 1] AS INTEGER)"
    return (f"(list_sum(list_transform(range(10), i -> CASE WHEN i % 2 = 0 THEN (2 * {digit}) // 10 + (2 * {digit}) % 10 "
            f"ELSE {digit} END)) % 10 = 0)")
