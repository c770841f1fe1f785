"""User-facing words, Swedish first, English where a user asks for it (`--lang en`)."""

from __future__ import annotations

_T: dict[str, tuple[str, str]] = {
    "title": ("Uppföljning av likställighet i stödet till våldsutsatta", "Follow-up of equal support for victims of violence"),
    "overview": ("Översikt per stadsdel", "Overview by district"),
    "district": ("Stadsdel", "District"),
    "known_victims": ("Kända våldsutsatta", "Known victims"),
    "per_10000": ("per 10 000 invånare (95 % KI)", "per 10,000 inhabitants (95% CI)"),
    "women_per_10000_women": ("kvinnor per 10 000 kvinnor 18+ (95 % KI)", "women per 10,000 women 18+ (95% CI)"),
    "sb_placements": ("Placeringar i skyddat boende", "Placements in protected housing"),
    "persons_placed": ("Personer placerade", "Persons placed"),
    "per_10000_women": ("per 10 000 kvinnor 18+ (95 % KI)", "per 10,000 women 18+ (95% CI)"),
    "days": ("Dygn", "Days"),
    "ci_note": ("KI = konfidensintervall (exakt Poisson). .. = undertryckt av sekretesskäl; - = redovisas inte.",
                "CI = confidence interval (exact Poisson). .. = suppressed for confidentiality; - = not reported."),
    "equality": ("Beviljas placeringar likställt?", "Are placements granted equally?"),
    "sb_per_10000": ("Skyddat boende per 10 000 (95 % KI)", "Protected housing per 10,000 (95% CI)"),
    "oe_agesex": ("Obs./förv., ålder och kön (95 % KI)", "Obs./exp., age and sex (95% CI)"),
    "oe_socio": ("Obs./förv., även socioekonomi (95 % KI)", "Obs./exp., also socio-economics (95% CI)"),
    "eb_rr": ("Utjämnad nivå (EB)", "Smoothed level (EB)"),
    "p_above_pct": ("Sannolikhet högre än förväntat, %", "Probability above expected, %"),
    "compared": ("Jämfört med förväntat", "Compared with expected"),
    "grant_rate": ("Andel beviljade ansökningar, % (95 % KI)", "Share of applications granted, % (95% CI)"),
    "higher": ("högre", "higher"),
    "lower": ("lägre", "lower"),
    "not_different": ("inte säkert skild", "not clearly different"),
    "equality_note": (
        "Förväntat = om stadsdelen hade stadens nivå givet befolkningens ålder och kön, och därefter även "
        "medianinkomst och andel med ekonomiskt bistånd (negativ binomial-GLM). Jämförelsen tar hänsyn till "
        "överspridning mellan stadsdelar (τ²) och falsk upptäcktsrisk (Benjamini–Hochberg, q < 0,05).",
        "Expected = if the district had the city's level given its population's age and sex, then also median "
        "income and the share receiving economic assistance (negative binomial GLM). The comparison allows for "
        "overdispersion between districts (τ²) and controls the false discovery rate (Benjamini–Hochberg, q < 0.05)."),
    "lengths": ("Hur länge bor man i skyddat boende?", "How long do people stay in protected housing?"),
    "median_days": ("Median, dygn (95 % KI)", "Median, days (95% CI)"),
    "rmst90": ("Medel till 90 dygn (95 % KI)", "Mean up to 90 days (95% CI)"),
    "share_over_60": ("Kvar efter 60 dygn, % (95 % KI)", "Still placed after 60 days, % (95% CI)"),
    "mean_closed": ("Medel, avslutade", "Mean, closed"),
    "without_longest": ("… utan längsta", "… without longest"),
    "without_two": ("… utan två längsta", "… without two longest"),
    "lengths_note": (
        "Pågående placeringar räknas till uttagsdatumet (censurerade, Kaplan–Meier). Medelvärdet för avslutade "
        "placeringar visas bredvid vad det blir utan den längsta eller de två längsta vistelserna: i en stadsdel med "
        "få placeringar kan en eller två långa vistelser dra upp snittet kraftigt.",
        "Ongoing placements count up to the extract date (censored, Kaplan–Meier). The mean of closed placements "
        "is shown beside the mean without the longest one or two stays: in a district with few placements one or two "
        "long stays can pull the mean far up."),
    "shis": ("SHIS och remitteringsvägar", "SHIS and referral pathways"),
    "shis_placements": ("SHIS-placeringar", "SHIS placements"),
    "shis_per_100": ("SHIS per 100 i skyddat boende (95 % KI)", "SHIS per 100 in protected housing (95% CI)"),
    "ekonomiskt_bistand": ("Ekonomiskt bistånd", "Economic assistance"),
    "annan": ("Annan enhet", "Other unit"),
    "share_rvt": ("Andel via RVT, % (95 % KI)", "Share via RVT, % (95% CI)"),
    "target_groups": ("Varje målgrupp i varje stadsdel", "Every target group in every district"),
    "target_note": (
        "Observerat / förväntat antal kända våldsutsatta; inom parentes sannolikheten att se så få om stadsdelen låg "
        "på stadens nivå, när den är under 5 %.",
        "Observed / expected known victims; in brackets the probability of seeing so few if the district were at the "
        "city's level, when below 5%."),
    "vulnerable": ("Särskilt sårbara grupper", "Especially vulnerable groups"),
    "share_65": ("65+ bland kända, % (95 % KI)", "65+ among known, % (95% CI)"),
    "pop_65": ("65+ bland invånare 18+, %", "65+ among inhabitants 18+, %"),
    "disability": ("Funktionsnedsättning, % (95 % KI)", "Disability, % (95% CI)"),
    "interpreter": ("Tolkbehov, % (95 % KI)", "Interpreter needed, % (95% CI)"),
    "freda_screening": ("FREDA kortfrågor, % (95 % KI)", "FREDA screening, % (95% CI)"),
    "freda_risk": ("FREDA farlighetsbedömning, % (95 % KI)", "FREDA risk assessment, % (95% CI)"),
    "vulnerable_note": ("Andelar av kända våldsutsatta (Wilson-intervall).", "Shares of known victims (Wilson intervals)."),
    "trends": ("Trender", "Trends"),
    "all_years": ("Alla år", "All years"),
    "rr_per_year": ("Förändring per år (95 % KI)", "Change per year (95% CI)"),
    "trend_note": ("Placeringar i skyddat boende per år. Förändring per år (kvot) från en Poisson-GLM; redovisas bara "
                   "med minst fem år.", "Placements in protected housing per year. Change per year (ratio) from a "
                   "Poisson GLM; reported only with at least five years."),
    "data_quality": ("Datakvalitet", "Data quality"),
    "no_birth_year": ("Utan födelseår, %", "No birth year, %"),
    "no_target_group": ("Utan målgrupp, %", "No target group, %"),
    "no_handling_unit": ("Utan handläggande enhet, %", "No handling unit, %"),
    "no_sex": ("Utan känt kön, %", "Sex unknown, %"),
    "late": ("Registrerade sent, %", "Registered late, %"),
    "dq_note": ("Andelar av ärenden som aktualiserades under året. En andel som bygger på 1–4 ärenden undertrycks.",
                "Shares of cases opened during the year. A share resting on 1–4 cases is suppressed."),
    "quarantine": ("Rader i karantän vid inläsning", "Rows quarantined at ingest"),
    "rule": ("Regel", "Rule"),
    "description": ("Beskrivning", "Description"),
    "rows": ("Rader", "Rows"),
    "victims_by_sex": ("Kända våldsutsatta efter kön", "Known victims by sex"),
    "victims_by_age": ("Kända våldsutsatta efter åldersgrupp", "Known victims by age group"),
    "victims_by_target": ("Kända våldsutsatta efter målgrupp", "Known victims by target group"),
    "placements_by_type": ("Beviljade placeringar efter insatstyp", "Granted placements by type"),
    "applications_sb": ("Ansökningar om skyddat boende efter beslut", "Applications for protected housing by decision"),
    "K": ("Kvinnor", "Women"),
    "M": ("Män", "Men"),
    "annat_okant": ("Annat/okänt", "Other/unknown"),
    "total": ("Totalt", "Total"),
    "okänd": ("Okänd", "Unknown"),
    "0-17": ("0–17", "0–17"), "18-24": ("18–24", "18–24"), "25-44": ("25–44", "25–44"), "45-64": ("45–64", "45–64"),
    "65+": ("65+", "65+"),
    "vald_i_nara_relation": ("Våld i nära relation", "Intimate partner violence"),
    "hedersrelaterat": ("Hedersrelaterat", "Honour-related"),
    "sex_mot_ersattning": ("Sex mot ersättning", "Sex in exchange for payment"),
    "manniskohandel": ("Människohandel", "Human trafficking"),
    "sexuellt_vald": ("Sexuellt våld", "Sexual violence"),
    "skyddat_boende": ("Skyddat boende", "Protected housing"),
    "shis_type": ("SHIS", "SHIS"),
    "jourlagenhet": ("Jourlägenhet", "Emergency flat"),
    "fortur": ("Förtur", "Priority housing"),
    "beviljad": ("Beviljade", "Granted"),
    "avslag": ("Avslag", "Refused"),
    "findings": ("Det viktigaste", "Key findings"),
    "no_findings": ("Inga stadsdelar skiljer sig säkert från det förväntade.", "No district differs clearly from expected."),
    "methods": ("Metod och definitioner", "Methods and definitions"),
    "synthetic": ("Rapporten bygger på de data som lästs in i databasen.", "The report is built from the data in the store."),
    "map": ("Placeringar i skyddat boende per 10 000 invånare", "Placements in protected housing per 10,000 inhabitants"),
    "funnel": ("Trattdiagram: observerat/förväntat efter ålder, kön och socioekonomi",
               "Funnel plot: observed/expected given age, sex and socio-economics"),
    "km": ("Andel kvar i skyddat boende efter antal dygn (Kaplan–Meier), per region",
           "Share still in protected housing by days (Kaplan–Meier), by region"),
    "trend_chart": ("Placeringar i skyddat boende per 10 000 invånare, per region",
                    "Placements in protected housing per 10,000 inhabitants, by region"),
    "not_drawn": ("Visas inte (undertryckt, ..)", "Not drawn (suppressed, ..)"),
    "data_table": ("Data till diagrammet", "Data for the chart"),
}


def t(key: str, lang: str = "sv") -> str:
    pair = _T.get(key)
    if pair is None:
        return key
    return pair[0] if lang == "sv" else pair[1]
