"""Sentences of findings and of the report (sv, en). Placeholders: {x:n1} one decimal, {x:i} whole
number, {x:p1} a share 0..1 as per cent, {name} text."""

ENTRIES = {
    "ui.city": ("Hela staden", "Whole city"),
    "ui.q_below": ("q < 0,001", "q < 0.001"),
    "ui.q_equals": ("q = {q:n3}", "q = {q:n3}"),
    "ui.reference_population": ("förväntat givet stadsdelens befolkning", "expected given the district's population"),
    "ui.reference_rest": ("resten av staden", "the rest of the city"),
    "finding.placements.higher": (
        "{name}: {n:i} placeringar i skyddat boende, {rate:n1} per 10 000 invånare (95 % KI {rate_lo:n1}–{rate_hi:n1}); fler än förväntat givet ålder, kön och socioekonomi (observerat/förväntat {ratio:n2}, 95 % KI {lo:n2}–{hi:n2}; {q}).",
        "{name}: {n:i} placements in protected housing, {rate:n1} per 10,000 inhabitants (95% CI {rate_lo:n1}–{rate_hi:n1}); more than expected given age, sex and socio-economics (observed/expected {ratio:n2}, 95% CI {lo:n2}–{hi:n2}; {q})."),
    "finding.placements.lower": (
        "{name}: {n:i} placeringar i skyddat boende, {rate:n1} per 10 000 invånare (95 % KI {rate_lo:n1}–{rate_hi:n1}); färre än förväntat givet ålder, kön och socioekonomi (observerat/förväntat {ratio:n2}, 95 % KI {lo:n2}–{hi:n2}; {q}).",
        "{name}: {n:i} placements in protected housing, {rate:n1} per 10,000 inhabitants (95% CI {rate_lo:n1}–{rate_hi:n1}); fewer than expected given age, sex and socio-economics (observed/expected {ratio:n2}, 95% CI {lo:n2}–{hi:n2}; {q})."),
    "finding.grant_rate.higher": (
        "{name}: {share:n1} % av {n:i} ansökningar om skyddat boende beviljades (95 % KI {lo:n1}–{hi:n1}), fler än i resten av staden ({rest:n1} %; {q}).",
        "{name}: {share:n1}% of {n:i} applications for protected housing were granted (95% CI {lo:n1}–{hi:n1}), more than in the rest of the city ({rest:n1}%; {q})."),
    "finding.grant_rate.lower": (
        "{name}: {share:n1} % av {n:i} ansökningar om skyddat boende beviljades (95 % KI {lo:n1}–{hi:n1}), färre än i resten av staden ({rest:n1} %; {q}).",
        "{name}: {share:n1}% of {n:i} applications for protected housing were granted (95% CI {lo:n1}–{hi:n1}), fewer than in the rest of the city ({rest:n1}%; {q})."),
    "finding.stays.longer": (
        "{name}: vistelserna i skyddat boende är i genomsnitt {diff:n1} dygn längre än i resten av staden (restrikterat medelvärde till 90 dygn {rmst:n1} dygn; skillnad 95 % KI {lo:n1}–{hi:n1}; pågående vistelser censurerade; {q}).",
        "{name}: stays in protected housing are on average {diff:n1} days longer than in the rest of the city (restricted mean to 90 days {rmst:n1} days; difference 95% CI {lo:n1}–{hi:n1}; ongoing stays censored; {q})."),
    "finding.stays.shorter": (
        "{name}: vistelserna i skyddat boende är i genomsnitt {diff:n1} dygn kortare än i resten av staden (restrikterat medelvärde till 90 dygn {rmst:n1} dygn; skillnad 95 % KI {lo:n1}–{hi:n1}; pågående vistelser censurerade; {q}).",
        "{name}: stays in protected housing are on average {diff:n1} days shorter than in the rest of the city (restricted mean to 90 days {rmst:n1} days; difference 95% CI {lo:n1}–{hi:n1}; ongoing stays censored; {q})."),
    "finding.shis.higher": (
        "{name}: {n:i} SHIS-placeringar, {per:n1} per 100 placeringar i skyddat boende (95 % KI {lo:n1}–{hi:n1}), fler än i resten av staden ({rest:n1}; {q}).",
        "{name}: {n:i} SHIS placements, {per:n1} per 100 placements in protected housing (95% CI {lo:n1}–{hi:n1}), more than in the rest of the city ({rest:n1}; {q})."),
    "finding.shis.lower": (
        "{name}: {n:i} SHIS-placeringar, {per:n1} per 100 placeringar i skyddat boende (95 % KI {lo:n1}–{hi:n1}), färre än i resten av staden ({rest:n1}; {q}).",
        "{name}: {n:i} SHIS placements, {per:n1} per 100 placements in protected housing (95% CI {lo:n1}–{hi:n1}), fewer than in the rest of the city ({rest:n1}; {q})."),
    "finding.shis_pathway.higher": (
        "{name}: {share:n1} % av SHIS-placeringarna remitterades av RVT (95 % KI {lo:n1}–{hi:n1}), mer än i resten av staden (hela staden {city:n1} %; {q}).",
        "{name}: {share:n1}% of SHIS placements were referred by the RVT (95% CI {lo:n1}–{hi:n1}), more than in the rest of the city (whole city {city:n1}%; {q})."),
    "finding.shis_pathway.lower": (
        "{name}: {share:n1} % av SHIS-placeringarna remitterades av RVT (95 % KI {lo:n1}–{hi:n1}), mindre än i resten av staden (hela staden {city:n1} %; {q}).",
        "{name}: {share:n1}% of SHIS placements were referred by the RVT (95% CI {lo:n1}–{hi:n1}), less than in the rest of the city (whole city {city:n1}%; {q})."),
    "finding.support.none": (
        "{name}: inga ansökningar om stöd för personer i målgruppen {group} där {expected:n1} var förväntade givet stadsdelens våldsutsatta och socioekonomi ({q}).",
        "{name}: no applications for support for people in the target group {group} where {expected:n1} were expected given the district's victims and socio-economics ({q})."),
    "finding.support.higher": (
        "{name}: {n:i} ansökningar om stöd i målgruppen {group}, fler än de {expected:n1} som var förväntade ({q}).",
        "{name}: {n:i} applications for support in the target group {group}, more than the {expected:n1} expected ({q})."),
    "finding.support.lower": (
        "{name}: {n:i} ansökningar om stöd i målgruppen {group}, färre än de {expected:n1} som var förväntade ({q}).",
        "{name}: {n:i} applications for support in the target group {group}, fewer than the {expected:n1} expected ({q})."),
    "finding.target_groups.none": (
        "{name}: inga kända fall i målgruppen {group} där {expected:n1} var förväntade givet folkmängd och socioekonomi ({q}).",
        "{name}: no known cases in the target group {group} where {expected:n1} were expected given population and socio-economics ({q})."),
    "finding.target_groups.higher": (
        "{name}: {n:i} kända fall i målgruppen {group}, fler än de {expected:n1} som var förväntade givet folkmängd och socioekonomi ({q}).",
        "{name}: {n:i} known cases in the target group {group}, more than the {expected:n1} expected given population and socio-economics ({q})."),
    "finding.target_groups.lower": (
        "{name}: {n:i} kända fall i målgruppen {group}, färre än de {expected:n1} som var förväntade givet folkmängd och socioekonomi ({q}).",
        "{name}: {n:i} known cases in the target group {group}, fewer than the {expected:n1} expected given population and socio-economics ({q})."),
    "finding.vulnerable.higher": (
        "{name}: {what} {share:n1} % (95 % KI {lo:n1}–{hi:n1}), högre än {reference} ({ref:n1} %; {q}).",
        "{name}: {what} {share:n1}% (95% CI {lo:n1}–{hi:n1}), higher than {reference} ({ref:n1}%; {q})."),
    "finding.vulnerable.lower": (
        "{name}: {what} {share:n1} % (95 % KI {lo:n1}–{hi:n1}), lägre än {reference} ({ref:n1} %; {q}).",
        "{name}: {what} {share:n1}% (95% CI {lo:n1}–{hi:n1}), lower than {reference} ({ref:n1}%; {q})."),
    "finding.trends.up": (
        "{name}: placeringarna i skyddat boende per invånare ökade med {pct:n1} % per år ({years:i} år; 95 % KI {lo:n1}–{hi:n1} %; {q}).",
        "{name}: placements in protected housing per inhabitant rose by {pct:n1}% per year ({years:i} years; 95% CI {lo:n1} to {hi:n1}%; {q})."),
    "finding.trends.down": (
        "{name}: placeringarna i skyddat boende per invånare minskade med {pct:n1} % per år ({years:i} år; 95 % KI {lo:n1}–{hi:n1} %; {q}).",
        "{name}: placements in protected housing per inhabitant fell by {pct:n1}% per year ({years:i} years; 95% CI {lo:n1} to {hi:n1}%; {q})."),
    "text.lead": (
        "Under {year} var {n:i} våldsutsatta personer kända av socialtjänsten. Placeringarna i skyddat boende var {rate:n1} per 10 000 invånare (95 % KI {lo:n1}–{hi:n1}).",
        "In {year}, {n:i} victims of violence were known to social services. Placements in protected housing were {rate:n1} per 10,000 inhabitants (95% CI {lo:n1}–{hi:n1})."),
    "text.lead_women": ("Av de kända var {share:p0} kvinnor.", "Of those known, {share:p0} were women."),
    "text.model": (
        "Skillnaderna mellan stadsdelarna följer socioekonomin: en standardavvikelse högre medianinkomst hänger ihop med {pct:n0} % färre placeringar (95 % KI {lo:n0}–{hi:n0} %). Därför jämförs varje stadsdel med det antal som förväntas givet ålder, kön och socioekonomi.",
        "Differences between districts follow socio-economics: one standard deviation higher median income goes with {pct:n0}% fewer placements (95% CI {lo:n0}–{hi:n0}%). Each district is therefore compared with the number expected given age, sex and socio-economics."),
    "text.od_adjusted": (
        "Stadsdelarna skiljer sig mer än slumpen ensam ger (φ = {phi:n2}, τ² = {tau2:n3}); gränserna i trattdiagrammet och jämförelserna är vidgade för det.",
        "Districts differ more than chance alone gives (φ = {phi:n2}, τ² = {tau2:n3}); the funnel limits and the comparisons are widened for it."),
    "text.od_none": (
        "Stadsdelarna skiljer sig inte mer än slumpen ger (φ = {phi:n2}); gränserna är de vanliga.",
        "Districts differ no more than chance gives (φ = {phi:n2}); the limits are the ordinary ones."),
    "text.flats": (
        "Stadsdelar med jourlägenheter: median {with_:n1} dygn i skyddat boende, utan: {without:n1} dygn (log-rank χ² = {chi2:n1}, p = {p:n3}). Justerat för målgrupp lämnar man skyddat boende {hr:n2} gånger så snabbt där det finns jourlägenheter (Cox, 95 % KI {lo:n2}–{hi:n2}).",
        "Districts with emergency flats: median {with_:n1} days in protected housing, without: {without:n1} days (log-rank χ² = {chi2:n1}, p = {p:n3}). Adjusted for target group, people leave {hr:n2} times as fast where there are emergency flats (Cox, 95% CI {lo:n2}–{hi:n2})."),
    "text.rvt_never": ("Stadsdelar där SHIS används men RVT aldrig remitterade under året: {names}.",
                       "Districts where SHIS is used but the RVT never referred during the year: {names}."),
    "text.rvt_never_none": ("I alla stadsdelar med publicerade SHIS-placeringar remitterade RVT minst en.",
                            "In every district with published SHIS placements the RVT referred at least one."),
    "text.trend": ("Hela staden: {pct:n1} % per år (p = {p:n2}, {years:i} år).",
                   "Whole city: {pct:n1}% per year (p = {p:n2}, {years:i} years)."),
    "text.q1_differ": (
        "Efter ålder, kön och socioekonomi skiljer sig {n:i} stadsdelar säkert från det förväntade antalet placeringar i skyddat boende — fler: {higher}; färre: {lower}.",
        "After age, sex and socio-economics, {n:i} districts differ clearly from the expected number of placements in protected housing — more: {higher}; fewer: {lower}."),
    "text.q1_none": (
        "Efter ålder, kön och socioekonomi skiljer sig ingen stadsdel säkert från det förväntade antalet placeringar i skyddat boende.",
        "After age, sex and socio-economics, no district differs clearly from the expected number of placements in protected housing."),
    "text.q1_grants": ("Andelen beviljade ansökningar skiljer sig från resten av staden i {names}.",
                       "The share of applications granted differs from the rest of the city in {names}."),
    "text.q1_grants_none": ("Andelen beviljade ansökningar skiljer sig inte säkert mellan stadsdelarna.",
                            "The share of applications granted does not differ clearly between districts."),
    "text.q1_detect": (
        "Vad siffrorna kan visa: för {name} kan bara en skillnad på mer än {worst:n1} gånger det förväntade upptäckas med ett års data (i den största stadsdelen {best:n1} gånger); med fem års data {worst5:n1} gånger.",
        "What the numbers can show: for {name} only a difference of more than {worst:n1} times the expected can be detected with one year of data (in the largest district {best:n1} times); with five years {worst5:n1} times."),
    "text.q2_differ": ("Vistelsetiderna skiljer sig säkert från resten av staden — längre: {longer}; kortare: {shorter}.",
                       "Lengths of stay differ clearly from the rest of the city — longer: {longer}; shorter: {shorter}."),
    "text.q2_none": ("Ingen stadsdels vistelsetider skiljer sig säkert från resten av staden (pågående vistelser censurerade).",
                     "No district's lengths of stay differ clearly from the rest of the city (ongoing stays censored)."),
    "text.q2_detect": (
        "Med ett års data kan för {name} bara en skillnad i medelvistelsetid (till 90 dygn) på mer än {worst:n1} dygn upptäckas (i bästa fall {best:n1} dygn).",
        "With one year of data, for {name} only a difference in mean stay (to 90 days) of more than {worst:n1} days can be detected (at best {best:n1} days)."),
    "text.q3_none": ("Ingen stadsdel skiljer sig säkert i SHIS-användning, remittering eller stöd till personer med erfarenhet av sex mot ersättning och människohandel.",
                     "No district differs clearly in SHIS use, referral or support for people with experience of sex for compensation and human trafficking."),
}
