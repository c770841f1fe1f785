"""What the dashboard says when something goes wrong: fixed Swedish sentences, never the input.

A query string, a user name, a file's first row or a temporary path may carry a personnummer or
tell an attacker how the server is laid out, so no error shown to a user is built from them. The
library's own messages (they name files, headers and values, for the command line's user) are
mapped here to fixed texts by their kind; only facts the server chose (a contract column name, a
row number, the name the server gave an uploaded file) are added.
"""

from __future__ import annotations

import logging
from contextlib import contextmanager

from fastapi import HTTPException

from ..contract.columns import TABLES
from ..errors import InputError, LikstallError, StoreError
from .storelock import StoreBusy

log = logging.getLogger("likstall.web")

BY_STATUS = {
    400: "Förfrågan kunde inte tolkas.",
    401: "Inloggning krävs.",
    403: "Din roll får inte se den här sidan.",
    404: "Sidan finns inte.",
    405: "Den metoden går inte att använda här.",
    413: "Förfrågan är för stor.",
    422: "Ett värde i förfrågan är ogiltigt.",
    429: "För många försök. Vänta en stund och försök igen.",
    503: "Tjänsten är upptagen just nu; försök igen om en stund.",
}
STORE_BUSY = "Databasen uppdateras just nu; försök igen om en stund."
NOT_COMPUTABLE = ("Uppföljningen för året går inte att beräkna med de uppgifter som finns (till exempel saknas "
                  "befolkningsuppgifter för året). Inget visas hellre än fel tal; en analytiker behöver se över "
                  "underlaget.")


class Refusal(HTTPException):
    """An HTTP error whose text is one of ours (fixed, safe to show)."""


def text_of(exc: HTTPException) -> str:
    if isinstance(exc, Refusal):
        return str(exc.detail)
    return BY_STATUS.get(exc.status_code, "Något gick fel.")


@contextmanager
def computing():
    """Around building a year's follow-up, its pages and its files: a year that cannot be computed is
    a clear page (422), a busy store a 503, never a 500 with the library's words."""
    try:
        yield
    except (StoreError, StoreBusy):
        raise Refusal(503, STORE_BUSY) from None
    except (LikstallError, ValueError, ArithmeticError) as exc:
        # For whoever runs the server: what failed where, without the message (it may quote data).
        tb = exc.__traceback__
        while tb is not None and tb.tb_next is not None:
            tb = tb.tb_next
        where = f"{tb.tb_frame.f_code.co_filename}:{tb.tb_lineno}" if tb is not None else "?"
        log.warning("year not computable: %s at %s", type(exc).__name__, where)
        raise Refusal(422, NOT_COMPUTABLE) from None


# The import's errors by kind: the start of the library's message → what the page says.
IMPORT_MESSAGES = (
    ("Kunde inte avgöra vilken tabell", "Kunde inte avgöra vilken tabell filen innehåller. Döp filen eller bladet "
     "efter tabellen (cases/arenden, placements/insatser, districts/stadsdelar, population/befolkning, "
     "socioeconomics/socioekonomi)."),
    ("Obligatoriska kolumner saknas", "Obligatoriska kolumner saknas."),
    ("Kolumnen ", "En kolumn förekommer två gånger."),
    ("Filen är tom", "Filen är tom eller saknar rubrikrad."),
    ("Filen har ", "Filen har för många kolumner (högst 2000)."),
    ("Filen kunde inte läsas som CSV", "Filen kunde inte läsas som CSV."),
    ("Filen kunde inte läsas som Parquet", "Filen kunde inte läsas som Parquet."),
    ("Arbetsboken kunde inte läsas", "Arbetsboken kunde inte läsas (skadad eller inte XLSX)."),
    ("Bladet kunde inte läsas", "Ett blad i arbetsboken kunde inte läsas."),
    ("Arbetsboken innehåller inga blad", "Arbetsboken innehåller inga blad med data."),
    ("Filen är ingen textfil", "Filen är ingen textfil."),
    ("Okänd teckenkodning", "Okänd teckenkodning: filen är varken UTF-8 eller Windows-1252."),
    ("Filen kunde inte läsas", "Filen kunde inte läsas."),
    ("Uttagsdatumet", "Uttagsdatumet ligger i framtiden."),
    ("Inläsningen avbröts av databasmotorn", "Inläsningen avbröts av databasmotorn; databasen är oförändrad."),
    ("Internt räknefel", "Internt räknefel; inget har skrivits."),
)
WRONG_KEY = ("Databasen är skapad med en annan pseudonymiseringsnyckel än den servern har. Samma person skulle få "
             "olika pseudonymer; inläsningen avbröts.")
NO_KEY = "Servern saknar en användbar pseudonymiseringsnyckel (se docs/import.md); inläsningen avbröts."
IMPORT_FALLBACK = "Filerna kunde inte läsas in."
CONTRACT_COLUMNS = {c.name for t in TABLES.values() for c in t.columns}


def import_message(exc: Exception, uploaded: set[str] = frozenset()) -> str:
    """A fixed sentence for an import that failed, with where it failed when the server knows it."""
    if isinstance(exc, StoreError | StoreBusy):
        return STORE_BUSY
    if type(exc).__name__ == "KeyProblem":
        return NO_KEY
    if not isinstance(exc, LikstallError):
        return IMPORT_FALLBACK
    rule = getattr(exc, "rule", None)
    if rule == "wrong_key":
        return WRONG_KEY
    text = str(exc.args[0]) if exc.args else ""
    said = next((fixed for start, fixed in IMPORT_MESSAGES if text.startswith(start)), IMPORT_FALLBACK)
    where = []
    file = (getattr(exc, "file", None) or "").split("#")[0]
    if file in uploaded:
        where.append(f"fil {file}")
    if isinstance(exc, InputError) and exc.row is not None:
        where.append(f"rad {int(exc.row)}")
    if getattr(exc, "column", None) in CONTRACT_COLUMNS:
        where.append(f"kolumn {exc.column}")
    return f"{said} ({', '.join(where)})" if where else said
