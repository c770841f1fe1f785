"""Keyed pseudonyms (HMAC-SHA256) for person, case and placement keys.

The key comes from LIKSTALL_SECRET_KEY (hex or any text of at least 32 characters) or from a key
file (LIKSTALL_KEY_FILE, default ~/.config/likstall/secret.key) that is created with mode 0600 on
first use. The key never enters the store: the store keeps only a fingerprint (an HMAC of a fixed
label), which lets an ingest refuse a store that was made with another key.

HMAC is computed inside DuckDB (RFC 2104 with the padded key blocks passed as parameters) so that
pseudonymising ten million rows is a set operation, not a Python loop.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
import stat
from dataclasses import dataclass
from pathlib import Path

from ..contract.personnummer import (ASCII_DIGITS, FULL_WIDTH, FULL_WIDTH_AS_ASCII, OTHER_DIGITS, SQL_SEPARATORS,
                                     SQL_SPACES, SQL_ZERO_WIDTH, sql_dated_hit)
from ..errors import LikstallError

_BLOCK = 64  # SHA-256 block size in bytes

# Domain labels keep pseudonyms of different kinds apart (a case id equal to a person id
# must not give the same pseudonym).
PERSON = "person:"
CASE = "case:"
PLACEMENT = "placement:"


class KeyProblem(LikstallError):
    """The secret key is missing, unreadable, insecure, or not the store's key."""


def default_key_file() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "likstall" / "secret.key"


@dataclass(frozen=True)
class SecretKey:
    raw: bytes
    source: str  # where the key came from, for messages ("miljövariabeln LIKSTALL_SECRET_KEY" or a path)

    def hmac_hex(self, message: str) -> str:
        return hmac.new(self.raw, message.encode("utf-8"), hashlib.sha256).hexdigest()

    @property
    def fingerprint(self) -> str:
        """Identifies the key without revealing it: HMAC(key, fixed label)."""
        return self.hmac_hex("likstall-key-fingerprint-v1")

    def sql_pads(self) -> dict[str, bytes]:
        """The inner and outer padded key blocks for HMAC in SQL (see `hmac_sql`)."""
        k = self.raw if len(self.raw) <= _BLOCK else hashlib.sha256(self.raw).digest()
        k = k.ljust(_BLOCK, b"\0")
        return {"hmac_ipad": bytes(b ^ 0x36 for b in k), "hmac_opad": bytes(b ^ 0x5C for b in k)}


def hmac_sql(expr: str) -> str:
    """SQL for HMAC-SHA256(key, expr) as lower-case hex; needs the parameters of `SecretKey.sql_pads`."""
    return f"sha256($hmac_opad || unhex(sha256($hmac_ipad || encode({expr}))))"


def load_key(key_file: Path | None = None, *, create: bool = True) -> SecretKey:
    env = os.environ.get("LIKSTALL_SECRET_KEY")
    if env:
        text = env.strip()
        raw = bytes.fromhex(text) if re.fullmatch(r"[0-9a-fA-F]{64,}", text) else text.encode("utf-8")
        if len(raw) < 32:
            raise KeyProblem("LIKSTALL_SECRET_KEY är för kort: nyckeln måste vara minst 32 byte (64 hextecken).")
        return SecretKey(raw, "miljövariabeln LIKSTALL_SECRET_KEY")
    path = Path(key_file or os.environ.get("LIKSTALL_KEY_FILE") or default_key_file())
    if not path.exists():
        if not create:
            raise KeyProblem(f"Nyckelfilen {path} finns inte.")
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        # O_EXCL: two processes creating the key at once must not overwrite each other's key.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return load_key(path, create=False)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32) + "\n")
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise KeyProblem(
            f"Nyckelfilen {path} kan läsas av andra (rättigheter {mode:o}); kör `chmod 600 {path}`."
        )
    text = path.read_text(encoding="ascii").strip()
    if not re.fullmatch(r"[0-9a-f]{64,}", text):
        raise KeyProblem(f"Nyckelfilen {path} har fel format (väntade minst 64 hextecken).")
    return SecretKey(bytes.fromhex(text), str(path))


def trim_sql(x: str) -> str:
    """SQL for trim(x) (which strips the Unicode space separators, Zs) that calls trim only when
    it can change something: an ASCII value can only start or end with a plain space, and LIKE
    answers that without copying the value. trim on every value cost 2,5 s per million rows of
    eleven columns; this 0,2 s."""
    return f"CASE WHEN {x} LIKE ' %' OR {x} LIKE '% ' OR strlen({x}) <> length({x}) THEN trim({x}) ELSE {x} END"


def _braced(sql: str) -> str:
    return sql.replace("{", "{{").replace("}", "}}")


# The separators, spaces and invisible characters a personnummer can be written with (contract/personnummer.py)
# go, and digits of other scripts become ASCII digits, before the form is recognised.
# An ASCII value (strlen = length: one byte per character) keeps the old, cheaper form, so that every ASCII id
# keeps the pseudonym it had (the wider classes and the digit translation cost 5× as much per id). The one
# difference: ASCII control characters between the digits (\v, \x1c-\x1e), which the import's rule finds in
# other columns, are not removed here, so such a person id keeps its own pseudonym, as before.
_PNR_DIGITS = _braced(
    "CASE WHEN strlen(PLACEHOLDER) = length(PLACEHOLDER) THEN regexp_replace(PLACEHOLDER, '[\\s+-]', '', 'g') "
    f"ELSE translate(regexp_replace(PLACEHOLDER, '[{SQL_SPACES}{SQL_SEPARATORS}{SQL_ZERO_WIDTH}]', '', 'g'), "
    f"'{OTHER_DIGITS}', '{ASCII_DIGITS}') END").replace("PLACEHOLDER", "{x}")
PNR_SQL_NORMALISE = (
    # A personnummer written with or without century or separator gives the same pseudonym:
    # 19800101-1234, 198001011234, 800101-1234, 800101–1234 (en dash), 800101 1234 (no-break space),
    # ８００１０１－１２３４ (full-width) and 8001011234 all become 8001011234; so do the forms the import's rule
    # finds with _ . or / before the last four (800101_1234, 19800101.1234: contract/personnummer.py DATED).
    f"CASE WHEN regexp_full_match({_PNR_DIGITS}, '(19|20)?[0-9]{{{{10}}}}') "
    f"THEN right({_PNR_DIGITS}, 10) "
    f"WHEN {_braced(sql_dated_hit('{visible}')).replace('{{visible}}', '{visible}')} "
    f"THEN right(regexp_replace({{visible}}, '[^0-9]', '', 'g'), 10) ELSE upper({{trimmed}}) END"
)

# A necessary condition for the regular expressions above: a value that starts with an ASCII letter
# keeps that letter first when the separators are removed, so it is not ten or twelve digits. Checked
# first, it spares the two regular expressions for person ids that are not personnummer (0,5 µs of
# 2,3 µs per row for the whole pseudonym); the result is the same (tests/ingest/test_sql_shortcuts.py).
PNR_SQL_CANNOT = "(ascii({x}) BETWEEN 65 AND 90 OR ascii({x}) BETWEEN 97 AND 122)"


def visible_sql(col: str) -> str:
    """SQL for the trimmed id as it is seen: an ASCII id as it is (the same bytes, so the same pseudonym as
    always); any other without invisible characters, in Unicode's composed form (NFC) and with full-width
    letters and signs as their ASCII selves, so that an id pasted with a zero-width space, with å typed as
    a + ring, or typed with an East Asian input method (Ｐ－１), is the same id."""
    t = trim_sql(col)
    return (f"CASE WHEN strlen({col}) = length({col}) THEN {t} "
            f"ELSE translate(nfc_normalize(regexp_replace({t}, '[{_ZERO_WIDTH_LITERAL}]', '', 'g')), "
            f"'{_FULL_WIDTH_LITERAL}', '{_ASCII_LITERAL}') END")


# SQL_ZERO_WIDTH as the characters themselves: the expression above goes into SQL that is .format()ed later
# (`Validator._typed`), where the braces of \x{200B} would be read as fields.
# FULL_WIDTH → FULL_WIDTH_AS_ASCII as SQL literals, without the braces (the expression also goes into SQL that is
# .format()ed, see below) and with SQL's quote doubled.
_PAIRS = [(f, a) for f, a in zip(FULL_WIDTH, FULL_WIDTH_AS_ASCII) if a not in "{}"]
_FULL_WIDTH_LITERAL = "".join(f for f, _ in _PAIRS)
_ASCII_LITERAL = "".join(a for _, a in _PAIRS).replace("'", "''")
_ZERO_WIDTH_LITERAL = re.sub(r"\\x\{([0-9A-F]+)\}", lambda m: chr(int(m.group(1), 16)), SQL_ZERO_WIDTH)


def person_norm_sql(col: str) -> str:
    """SQL for the person part of the HMAC message: a personnummer in its ten-digit form, else the
    visible id in upper case."""
    visible = visible_sql(col)
    exact = PNR_SQL_NORMALISE.format(x=col, trimmed=visible, visible=visible)
    return f"CASE WHEN {PNR_SQL_CANNOT.format(x=col)} THEN upper({visible}) ELSE {exact} END"


def person_key_sql(col: str) -> str:
    return hmac_sql(f"'{PERSON}' || ({person_norm_sql(col)})")


def id_key_sql(prefix: str, col: str) -> str:
    return hmac_sql(f"'{prefix}' || ({visible_sql(col)})")
