"""The validation rules: one code per rule, with the Swedish text shown in summaries and the quarantine."""

from __future__ import annotations

RULES: dict[str, str] = {
    "csv_format": "Raden kunde inte läsas som CSV (fel antal fält, citattecken eller teckenkodning)",
    "required": "Obligatoriskt fält saknas",
    "invalid_code": "Okänd kod (inte i kodlistan)",
    "invalid_date": "Ogiltigt datum (ska vara ÅÅÅÅ-MM-DD och finnas i kalendern)",
    "invalid_number": "Ogiltigt tal",
    "negative_value": "Negativt värde där bara 0 eller mer är tillåtet",
    "implausible_value": "Orimligt värde",
    "implausible_date": "Orimligt datum (före 1990)",
    "date_after_extract": "Datum efter uttagsdatumet",
    "date_order": "Datum i fel ordning",
    "start_without_grant": "Startdatum utan beviljat beslut",
    "unknown_district": "Stadsdelen finns inte i referensdata (districts)",
    "case_missing": "Insatsens ärende finns inte (eller ligger i karantän)",
    "duplicate_id": "Samma nyckel förekommer flera gånger i inläsningen",
    "personnummer": "Något som liknar ett person- eller samordningsnummer i en annan kolumn än person_id",
    "older_extract": "Raden finns redan från ett senare uttag och skrivs inte över",
}


def describe(rule: str) -> str:
    return RULES.get(rule, rule)
