"""Number formatting by Babel: Swedish (2 779; 7,0; 25,6 %; 5,0–9,5) and English."""

from __future__ import annotations

import decimal
import math

from babel.numbers import format_decimal, format_percent

LOCALES = {"sv": "sv_SE", "en": "en_GB"}


def _bad(v) -> bool:
    return v is None or (isinstance(v, float) and (math.isnan(v) or math.isinf(v)))


def num(v, decimals: int = 1, lang: str = "sv") -> str:
    if _bad(v):
        return ""
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    # Babel rounds in the current decimal context (28 digits): a number of 10^27 or more (an interval of a
    # model that did not converge) would raise instead of being written.
    with decimal.localcontext() as ctx:
        ctx.prec = 400
        return _unsigned_zero(format_decimal(round(float(v), decimals), format=pattern, locale=LOCALES[lang]))


def integer(v, lang: str = "sv") -> str:
    return "" if _bad(v) else format_decimal(int(round(float(v))), locale=LOCALES[lang])


def pct(share, decimals: int = 1, lang: str = "sv") -> str:
    """A share 0..1 as per cent: 0.256 → '25,6 %'."""
    if _bad(share):
        return ""
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "") + "\u00a0%"
    return _unsigned_zero(format_percent(float(share), format=pattern, locale=LOCALES[lang]))


def _unsigned_zero(text: str) -> str:
    """A number that rounded to zero without its sign: "-0,0" (a difference of -0,04) reads as a real sign.
    Decided on the text Babel wrote, since Babel rounds half-even in decimal and Python's round in binary."""
    if text[:1] in ("-", "\u2212") and not any(c in "123456789" for c in text):
        return text[1:]
    return text


def ci(lo, hi, decimals: int = 1, lang: str = "sv") -> str:
    if _bad(lo) or _bad(hi):
        return ""
    return f"{num(lo, decimals, lang)}–{num(hi, decimals, lang)}"
