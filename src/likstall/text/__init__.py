"""Reader-facing texts from gettext message catalogues (Babel), Swedish and English.

Keys are message ids (`ui.title`, `ind.rate_sb.title`, `finding.placements.higher` …); the
catalogues `locale/<lang>/LC_MESSAGES/likstall.po` hold the texts. Placeholders are named and may
carry a number format applied by Babel in the reader's language:
`{rate:n1}` one decimal, `{n:i}` whole number, `{share:p1}` a share 0..1 as per cent with one
decimal, plain `{name}` text. A key missing from a catalogue is an error in the tests (every key
used must exist in both languages), and falls back to the key itself at run time.
"""

from __future__ import annotations

import string
from functools import lru_cache
from pathlib import Path

from . import numbers

LANGS = ("sv", "en")
HERE = Path(__file__).parent


@lru_cache(maxsize=None)
def catalogue(lang: str) -> dict[str, str]:
    from babel.messages.pofile import read_po

    with open(HERE / "locale" / lang / "LC_MESSAGES" / "likstall.po", "rb") as f:
        cat = read_po(f, locale=lang)
    return {m.id: m.string for m in cat if m.id and m.string}


class _Formatter(string.Formatter):
    def __init__(self, lang: str):
        self.lang = lang

    def format_field(self, value, spec):
        if not spec:
            return "" if value is None else str(value)
        kind, digits = spec[0], spec[1:]
        d = int(digits) if digits else (0 if kind == "i" else 1)
        if kind == "n":
            return numbers.num(value, d, self.lang)
        if kind == "i":
            return numbers.integer(value, self.lang)
        if kind == "p":
            return numbers.pct(value, d, self.lang)
        return super().format_field(value, spec)


def has(key: str, lang: str = "sv") -> bool:
    return key in catalogue(lang)


def t(key: str, lang: str = "sv", **values) -> str:
    """The text of `key` in `lang`, placeholders filled (numbers formatted by Babel)."""
    text = catalogue(lang).get(key, key)
    return _Formatter(lang).format(text, **values) if values else text


def both(key: str, **values) -> dict[str, str]:
    """The text in every language: what a release stores."""
    return {lang: t(key, lang, **values) for lang in LANGS}
