"""The 13 Stockholm districts as the demo models them.

SYNTHETIC AND APPROXIMATE. Populations are rounded approximations of the stadsdelsområden around
2020–2021; incomes and shares of economic assistance are invented to give the ordering the seed
describes (six districts with the lowest median income); the regions approximate the four
relationsvåldscentrum catchments. The placement rates are calibrated to the seed statement
(Stockholm social services, Dnr 1.3.1-297/2022): 7–83 placements in skyddat boende per district in
2021, 0,1–0,2 per 1 000 inhabitants in the inner city and Hägersten-Älvsjö and 0,6–0,9 in the six
lowest-income districts, mean days per closed placement 11–65 with the two highest near 65 and 62
and the third near 37, emergency flats in about half of the districts, SHIS used by a few.
None of these numbers is an official statistic.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DemoDistrict:
    code: str
    name: str
    region: str
    population: int  # approximate, final demo year
    median_income_tkr: float  # invented
    economic_assistance_pct: float  # invented
    sb_per_1000: float  # skyddat boende placements (granted, started) per 1 000 inhabitants, final year
    mean_days: float  # mean days per closed skyddat-boende placement, final year
    long_stays: int  # how many very long stays drive the mean up (the seed's small-district effect)
    has_emergency_flats: bool
    shis_per_100_sb: float  # SHIS placements per 100 skyddat-boende placements
    shis_referrer: str | None  # who refers to SHIS in practice (None = SHIS not used)
    sex_mot_ersattning: bool  # False = the district records no sex-mot-ersättning cases


REGIONS = {
    "nordvast": "RVC Nordväst",
    "city": "RVC City",
    "sydost": "RVC Sydost",
    "sydvast": "RVC Sydväst",
}

DISTRICTS: tuple[DemoDistrict, ...] = (
    DemoDistrict("rinkeby_kista", "Rinkeby-Kista", "RVC Nordväst", 48_000, 228, 9.1, 0.86, 24, 0, True, 22, "ekonomiskt_bistand", True),
    DemoDistrict("spanga_tensta", "Spånga-Tensta", "RVC Nordväst", 39_500, 241, 8.2, 0.83, 28, 0, False, 18, "rvt", True),
    DemoDistrict("hasselby_vallingby", "Hässelby-Vällingby", "RVC Nordväst", 76_000, 305, 4.1, 0.63, 16, 0, True, 0, None, True),
    DemoDistrict("bromma", "Bromma", "RVC Nordväst", 79_000, 402, 1.2, 0.30, 21, 0, True, 0, None, False),
    DemoDistrict("kungsholmen", "Kungsholmen", "RVC City", 71_000, 421, 1.0, 0.14, 62, 2, False, 0, None, True),
    DemoDistrict("norrmalm", "Norrmalm", "RVC City", 73_000, 433, 1.1, 0.16, 37, 1, False, 0, None, True),
    DemoDistrict("ostermalm", "Östermalm", "RVC City", 72_000, 478, 0.8, 0.10, 65, 2, False, 0, None, True),
    DemoDistrict("sodermalm", "Södermalm", "RVC City", 131_000, 389, 1.8, 0.18, 23, 0, True, 9, "rvt", True),
    DemoDistrict("enskede_arsta_vantor", "Enskede-Årsta-Vantör", "RVC Sydost", 107_000, 310, 4.0, 0.78, 19, 0, False, 14, "ekonomiskt_bistand", True),
    DemoDistrict("skarpnack", "Skarpnäck", "RVC Sydost", 48_500, 331, 3.0, 0.42, 27, 0, True, 0, None, False),
    DemoDistrict("farsta", "Farsta", "RVC Sydost", 58_600, 298, 4.6, 0.70, 11, 0, True, 16, "rvt", True),
    DemoDistrict("hagersten_alvsjo", "Hägersten-Älvsjö", "RVC Sydväst", 112_000, 372, 2.0, 0.15, 30, 0, True, 0, None, True),
    DemoDistrict("skarholmen", "Skärholmen", "RVC Sydväst", 37_500, 262, 7.0, 0.82, 33, 0, False, 0, None, False),
)

INNER_CITY_AND_HAGERSTEN = ("kungsholmen", "norrmalm", "ostermalm", "sodermalm", "hagersten_alvsjo")
LOWEST_INCOME_SIX = ("rinkeby_kista", "spanga_tensta", "skarholmen", "farsta", "hasselby_vallingby", "enskede_arsta_vantor")

# Known victims in the final demo year (the seed: 2 779 in 2021, about 90 % women).
KNOWN_VICTIMS_FINAL_YEAR = 2_779
SHARE_WOMEN = 0.90
