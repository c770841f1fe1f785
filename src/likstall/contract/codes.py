"""Code lists of the import contract, with the Swedish labels and spellings accepted for each code.

Matching is case-insensitive and ignores accents and punctuation: a value is normalised by
`normalise_code` (lower case, å/ä → a, ö → o, anything else than a–z and 0–9 → "_") and then
looked up among the aliases below. The SQL in ingest/validate.py applies the same normalisation.
"""

from __future__ import annotations

import re
import unicodedata

SWEDISH_LABELS: dict[str, dict[str, str]] = {
    "sex": {"K": "Kvinna", "M": "Man", "X": "Annat/ickebinär", "okänt": "Okänt"},
    "population_sex": {"K": "Kvinnor", "M": "Män"},
    "target_group": {
        "vald_i_nara_relation": "Våld i nära relation",
        "hedersrelaterat": "Hedersrelaterat våld och förtryck",
        "sex_mot_ersattning": "Sex mot ersättning",
        "manniskohandel": "Människohandel för sexuella ändamål",
        "sexuellt_vald": "Sexuellt våld oberoende relation",
    },
    "handling_unit": {
        "rvt": "Relationsvåldsteam (RVT)",
        "ekonomiskt_bistand": "Ekonomiskt bistånd",
        "barn_och_unga": "Barn och unga",
        "annan": "Annan enhet",
    },
    "referring_unit": {
        "rvt": "Relationsvåldsteam (RVT)",
        "ekonomiskt_bistand": "Ekonomiskt bistånd",
        "annan": "Annan enhet",
    },
    "placement_type": {
        "skyddat_boende": "Skyddat boende",
        "shis": "SHIS mellanboende",
        "jourlagenhet": "Jourlägenhet",
        "fortur": "Förtur till bostad",
    },
    "decision": {"beviljad": "Beviljad", "avslag": "Avslag"},
    "age_band": {b: b for b in ("0-17", "18-24", "25-44", "45-64", "65-79", "80+")},
}

# Extra spellings seen in exports, beyond the code itself and its Swedish label.
_EXTRA_ALIASES: dict[str, dict[str, tuple[str, ...]]] = {
    "sex": {
        "K": ("kvinna", "kvinnor", "f", "female", "woman", "w"),
        "M": ("man", "män", "male", "pojke"),
        "X": ("annat", "ickebinar", "ickebinär", "other", "non_binary"),
        "okänt": ("okant", "okand", "okänd", "unknown", "u", "ej_angivet"),
    },
    "population_sex": {"K": ("kvinna", "kvinnor", "f", "female"), "M": ("man", "män", "male")},
    "target_group": {
        "vald_i_nara_relation": ("vald_i_nara_relationer", "nara_relation", "vinr", "ipv", "domestic_violence"),
        "hedersrelaterat": ("hedersrelaterat_vald", "hedersrelaterat_vald_och_fortryck", "heder", "hrv", "honour"),
        "sex_mot_ersattning": ("prostitution", "sex_for_ersattning", "sme"),
        "manniskohandel": ("manniskohandel_for_sexuella_andamal", "trafficking", "human_trafficking"),
        "sexuellt_vald": ("sexuellt_vald_oberoende_relation", "sexual_violence"),
    },
    "handling_unit": {
        "rvt": ("relationsvaldsteam", "relationsvaldsteamet"),
        "ekonomiskt_bistand": ("eb", "ekb", "forsorjningsstod", "economic_assistance"),
        "barn_och_unga": ("bou", "barn_och_ungdom", "children_and_youth"),
        "annan": ("annan_enhet", "ovrigt", "other"),
    },
    "referring_unit": {
        "rvt": ("relationsvaldsteam", "relationsvaldsteamet"),
        "ekonomiskt_bistand": ("eb", "ekb", "forsorjningsstod", "economic_assistance"),
        "annan": ("annan_enhet", "ovrigt", "other"),
    },
    "placement_type": {
        "skyddat_boende": ("skyddat", "skb", "protected_housing", "shelter"),
        "shis": ("shis_mellanboende", "mellanboende", "shis_boende", "transitional_housing"),
        "jourlagenhet": ("jourlagenheter", "emergency_flat"),
        "fortur": ("fortur_till_bostad", "bostadsfortur", "priority_housing"),
    },
    "decision": {
        "beviljad": ("beviljat", "bifall", "bifallen", "granted", "ja"),
        "avslag": ("avslagen", "avslaget", "refused", "rejected", "nej"),
    },
    "age_band": {"80+": ("80_", "80_och_aldre", "80_w")},
}

BOOL_TRUE = ("1", "true", "t", "ja", "j", "yes", "y", "x", "sant")
BOOL_FALSE = ("0", "false", "f", "nej", "n", "no", "falskt")

CODE_LISTS = tuple(SWEDISH_LABELS) + ("district",)


def normalise_code(value: str) -> str:
    """Lower-case, strip accents (å/ä → a, ö → o), and turn runs of other characters into "_"."""
    # Same steps as the SQL in ingest/validate.py: strip accents, lower case, punctuation to "_".
    v = "".join(c for c in unicodedata.normalize("NFD", value) if not unicodedata.combining(c))
    v = re.sub(r"[^a-z0-9+]+", "_", v.strip().lower())
    return v.strip("_")


def codes(list_name: str) -> tuple[str, ...]:
    return tuple(SWEDISH_LABELS[list_name])


def alias_rows() -> list[tuple[str, str, str]]:
    """(code list, normalised alias, canonical code) for every accepted spelling."""
    rows: set[tuple[str, str, str]] = set()
    for list_name, labels in SWEDISH_LABELS.items():
        for code, label in labels.items():
            for spelling in (code, label, *_EXTRA_ALIASES.get(list_name, {}).get(code, ())):
                rows.add((list_name, normalise_code(spelling), code))
    # An alias must not point at two codes within one list.
    seen: dict[tuple[str, str], str] = {}
    for list_name, alias, code in sorted(rows):
        other = seen.setdefault((list_name, alias), code)
        if other != code:
            raise AssertionError(f"alias {alias!r} of {list_name} means both {other} and {code}")
    return sorted(rows)


def unicode_fold(value: str) -> str:
    """NFKC-fold text (full-width and other look-alike digits become ASCII digits)."""
    return unicodedata.normalize("NFKC", value)
