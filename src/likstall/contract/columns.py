"""The import contract (DESIGN.md, "The import contract"): tables, columns, aliases, types.

Everything that reads a file goes through these definitions, so the JSON Schema, the
validation rules and the store's DDL cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Column kinds. Every file is read as text; the kind decides how a value is parsed and checked.
TEXT = "text"
CODE = "code"
DATE = "date"
INT = "int"
NUMBER = "number"
BOOL = "bool"


@dataclass(frozen=True)
class Column:
    name: str
    kind: str
    required: bool = False
    aliases: tuple[str, ...] = ()
    codes: str | None = None  # name of a code list in codes.CODE_LISTS
    description_sv: str = ""
    minimum: float | None = None
    unique: bool = False
    key: bool = False  # part of the table's natural key


@dataclass(frozen=True)
class Table:
    name: str
    swedish: str
    description_sv: str
    columns: tuple[Column, ...]
    aliases: tuple[str, ...] = ()  # file and sheet names that mean this table
    reference: bool = False  # reference data (districts, population, socio-economics)

    @property
    def key(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.key)

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)


FLAG_COLUMNS = (
    ("disability", "funktionsnedsattning", "funktionsnedsättning"),
    ("addiction", "beroende", "beroende/missbruk"),
    ("economic_vulnerability", "ekonomisk_utsatthet", "ekonomisk utsatthet"),
    ("honour_context", "hederskontext", "lever i hederskontext"),
    ("interpreter_needed", "tolkbehov", "behov av tolk"),
    ("freda_screening", "freda_kortfragor", "FREDA kortfrågor genomförda"),
    ("freda_risk_assessment", "freda_farlighetsbedomning", "FREDA farlighetsbedömning genomförd"),
)

CASES = Table(
    name="cases",
    swedish="arenden",
    description_sv="Ett ärende per person och ärende som är känt av socialtjänsten inom våldsområdet.",
    aliases=("cases", "arenden", "ärenden", "arende", "ärende"),
    columns=(
        Column("case_id", TEXT, required=True, unique=True, key=True,
               aliases=("arende_id", "ärende_id", "arendeid", "ärendeid"),
               description_sv="Ärendets nyckel i verksamhetssystemet (lagras nyckelhashad)."),
        Column("person_id", TEXT, required=True, aliases=("personnummer", "person"),
               description_sv="Personnyckel, får vara personnummer. Ersätts vid inläsning med en nyckelhashad pseudonym; råvärdet lagras aldrig."),
        Column("district", CODE, required=True, codes="district", aliases=("stadsdel", "stadsdelsomrade", "stadsdelsområde"),
               description_sv="Stadsdelskod enligt referenstabellen districts."),
        Column("opened", DATE, required=True, aliases=("aktualiserad", "oppnad", "öppnad"),
               description_sv="Datum då ärendet aktualiserades."),
        Column("closed", DATE, aliases=("avslutad",), description_sv="Datum då ärendet avslutades; tomt = pågående."),
        Column("sex", CODE, codes="sex", aliases=("kon", "kön"), description_sv="K, M, X eller okänt."),
        Column("birth_year", INT, aliases=("fodelsear", "födelseår"), minimum=1900,
               description_sv="Födelseår; lagras endast som åldersgrupp vid aktualisering."),
        Column("target_group", CODE, codes="target_group", aliases=("malgrupp", "målgrupp"),
               description_sv="Målgrupp enligt stadens program mot våld."),
        Column("handling_unit", CODE, codes="handling_unit", aliases=("handlaggande_enhet", "handläggande_enhet"),
               description_sv="Handläggande enhet."),
        *(Column(en, BOOL, aliases=(sv,), description_sv=label) for en, sv, label in FLAG_COLUMNS),
    ),
)

PLACEMENTS = Table(
    name="placements",
    swedish="insatser",
    description_sv="En rad per ansökan och beslut om boendeinsats.",
    aliases=("placements", "insatser", "insats", "placeringar"),
    columns=(
        Column("placement_id", TEXT, required=True, unique=True, key=True,
               aliases=("insats_id", "insatsid"), description_sv="Insatsens nyckel (lagras nyckelhashad)."),
        Column("case_id", TEXT, required=True, aliases=("arende_id", "ärende_id", "arendeid", "ärendeid"),
               description_sv="Ärendet insatsen hör till; måste finnas i cases."),
        Column("type", CODE, required=True, codes="placement_type", aliases=("insatstyp", "typ"),
               description_sv="skyddat_boende, shis, jourlagenhet eller fortur."),
        Column("referring_unit", CODE, codes="referring_unit", aliases=("remitterande_enhet",),
               description_sv="Enhet som remitterade: rvt, ekonomiskt_bistand eller annan."),
        Column("applied", DATE, required=True, aliases=("ansokt", "ansökt", "ansokningsdatum", "ansökningsdatum"),
               description_sv="Datum för ansökan."),
        Column("decision", CODE, required=True, codes="decision", aliases=("beslut",),
               description_sv="beviljad eller avslag."),
        Column("decided", DATE, aliases=("beslutsdatum",), description_sv="Datum för beslut."),
        Column("start", DATE, aliases=("startdatum", "start_datum"),
               description_sv="Placeringens första dag; krävs för beviljad och påbörjad insats."),
        Column("end", DATE, aliases=("slutdatum", "slut_datum"),
               description_sv="Placeringens sista dag; tomt = pågående (censureras vid uttagsdatum)."),
        Column("children", INT, minimum=0, aliases=("medfoljande_barn", "medföljande_barn"),
               description_sv="Antal medföljande barn."),
        Column("cost_sek", NUMBER, minimum=0, aliases=("kostnad_kr", "kostnad"), description_sv="Kostnad i kronor."),
    ),
)

DISTRICTS = Table(
    name="districts",
    swedish="stadsdelar",
    description_sv="Referensdata: en rad per stadsdel och år.",
    aliases=("districts", "stadsdelar", "stadsdelsomraden", "stadsdelsområden"),
    reference=True,
    columns=(
        Column("code", TEXT, required=True, key=True, aliases=("kod", "stadsdelskod"), description_sv="Stadsdelskod."),
        Column("name", TEXT, required=True, aliases=("namn",), description_sv="Stadsdelens namn."),
        Column("region", TEXT, required=True, aliases=("relationsvaldscentrum", "rvc"),
               description_sv="Relationsvåldscentrums upptagningsområde."),
        Column("year", INT, required=True, key=True, minimum=1990, aliases=("ar", "år")),
        Column("has_emergency_flats", BOOL, aliases=("har_jourlagenheter", "jourlagenheter"),
               description_sv="Stadsdelen har jourlägenheter för målgruppen."),
        Column("rvt_refers_to_shis", BOOL, aliases=("rvt_remitterar_till_shis",),
               description_sv="RVT remitterar i praktiken till SHIS."),
    ),
)

POPULATION = Table(
    name="population",
    swedish="befolkning",
    description_sv="Referensdata: folkmängd per stadsdel, år, kön och åldersgrupp.",
    aliases=("population", "befolkning", "folkmangd", "folkmängd"),
    reference=True,
    columns=(
        Column("district", CODE, required=True, key=True, codes="district", aliases=("stadsdel",)),
        Column("year", INT, required=True, key=True, minimum=1990, aliases=("ar", "år")),
        Column("sex", CODE, required=True, key=True, codes="population_sex", aliases=("kon", "kön")),
        Column("age_band", CODE, required=True, key=True, codes="age_band", aliases=("aldersgrupp", "åldersgrupp")),
        Column("count", INT, required=True, minimum=0, aliases=("antal",)),
    ),
)

SOCIOECONOMICS = Table(
    name="socioeconomics",
    swedish="socioekonomi",
    description_sv="Referensdata: socioekonomiska indikatorer per stadsdel och år.",
    aliases=("socioeconomics", "socioekonomi"),
    reference=True,
    columns=(
        Column("district", CODE, required=True, key=True, codes="district", aliases=("stadsdel",)),
        Column("year", INT, required=True, key=True, minimum=1990, aliases=("ar", "år")),
        Column("indicator", TEXT, required=True, key=True, aliases=("indikator",)),
        Column("value", NUMBER, required=True, aliases=("varde", "värde")),
    ),
)

# Order matters: reference data first, then cases, then placements (a placement needs its case).
TABLES: dict[str, Table] = {t.name: t for t in (DISTRICTS, POPULATION, SOCIOECONOMICS, CASES, PLACEMENTS)}
LOAD_ORDER = tuple(TABLES)

AGE_BANDS = ("0-17", "18-24", "25-44", "45-64", "65-79", "80+")
