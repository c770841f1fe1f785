"""The report's sentences, from released cells, findings and rounded model figures (both languages)."""

from __future__ import annotations

import math

from ..disclosure.keys import TOTAL
from ..text import t


def _cell(pub, table, **coords):
    tab = pub.tables.get(table)
    c = tab.cell(**coords) if tab else None
    return c if c is not None and c.published else None


def _name(ctx, code, lang):
    if code == TOTAL:
        return t("ui.city", lang)
    if code.startswith("region:"):
        return code[len("region:"):]
    return dict(zip(ctx.districts["code"], ctx.districts["name"])).get(code, code)


def _list(names: list[str], lang: str) -> str:
    if not names:
        return ""
    if len(names) == 1:
        return names[0]
    return ", ".join(names[:-1]) + (" och " if lang == "sv" else " and ") + names[-1]


def _detect(ctx, lang: str, table: str, years: str) -> tuple[str, float, float] | None:
    pub = ctx.publication
    vals = [(c, cell.value) for c in ctx.codes if (cell := _cell(pub, table, district=c, years=years))]
    if not vals:
        return None
    worst = max(vals, key=lambda cv: cv[1])
    return _name(ctx, worst[0], lang), min(v for _, v in vals), worst[1]


def sentences(ctx, findings: list[dict], stats: dict, lang: str) -> dict[str, str]:
    pub = ctx.publication
    out: dict[str, str] = {}
    victims = _cell(pub, "victims_by_sex", district=TOTAL, sex=TOTAL)
    women = _cell(pub, "victims_by_sex", district=TOTAL, sex="K")
    city = _cell(pub, "rate_sb", district=TOTAL)
    if victims and city:
        out["lead"] = t("text.lead", lang, year=ctx.year, n=victims.value, rate=city.value, lo=city.ci_low,
                        hi=city.ci_high)
        if women and victims.value:
            out["lead"] += " " + t("text.lead_women", lang, share=women.value / victims.value)
    m = stats.get("model")
    inc = m["coef"].get("median_income") if m else None
    ci = m["ci"].get("median_income") if inc is not None else None
    # A log coefficient or limit that is not finite or beyond ±50 is a model that did not converge (few
    # districts, seen with 8): its interval says nothing, so no sentence is written from it.
    if ci and all(math.isfinite(x) and abs(x) < 50 for x in (inc, ci["lower"], ci["upper"])):
        out["model"] = t("text.model", lang, pct=(1 - math.exp(inc)) * 100, lo=(1 - math.exp(ci["upper"])) * 100,
                         hi=(1 - math.exp(ci["lower"])) * 100)
    od = stats.get("overdispersion")
    if od:
        out["overdispersion"] = t("text.od_adjusted" if od["adjusted"] else "text.od_none", lang, phi=od["phi"],
                                  tau2=od["tau2"])
    fl = stats.get("flats")
    if fl and fl.get("median_med") is not None and fl.get("median_utan") is not None:
        out["flats"] = t("text.flats", lang, with_=fl["median_med"], without=fl["median_utan"], chi2=fl["logrank_chi2"],
                         p=fl["p"], hr=fl["hr"], lo=fl["hr_lower"], hi=fl["hr_upper"])
    names = [_name(ctx, c, lang) for c in stats.get("rvt_never_refers", [])]
    out["shis"] = t("text.rvt_never" if names else "text.rvt_never_none", lang, names=_list(names, lang))
    tr = stats.get("trends", {}).get(TOTAL)
    if tr:
        out["trend"] = t("text.trend", lang, pct=(tr["rr"] - 1) * 100, p=tr["p"], years=tr["points"])

    # Answers in brief: the statement's three questions, from the findings and the detectability.
    def found(*kinds):
        return [f for f in findings if f["kind"] in kinds]

    q1 = found("placements", "grant_rate")
    parts = []
    higher = [_name(ctx, f["district"], lang) for f in q1 if f["kind"] == "placements" and f["direction"] == "higher"]
    lower = [_name(ctx, f["district"], lang) for f in q1 if f["kind"] == "placements" and f["direction"] == "lower"]
    if higher or lower:
        parts.append(t("text.q1_differ", lang, n=len(higher) + len(lower),
                       higher=_list(higher, lang) or "–", lower=_list(lower, lang) or "–"))
    else:
        parts.append(t("text.q1_none", lang))
    grants = [_name(ctx, f["district"], lang) for f in q1 if f["kind"] == "grant_rate"]
    parts.append(t("text.q1_grants", lang, names=_list(grants, lang)) if grants else t("text.q1_grants_none", lang))
    d1, d5 = _detect(ctx, lang, "sb_detectable", "1"), _detect(ctx, lang, "sb_detectable", "5")
    if d1:
        parts.append(t("text.q1_detect", lang, name=d1[0], worst=d1[2], best=d1[1],
                       worst5=d5[2] if d5 else d1[2]))
    out["answer_1"] = " ".join(parts)

    q2 = found("stays")
    longer = [_name(ctx, f["district"], lang) for f in q2 if f["direction"] == "higher"]
    shorter = [_name(ctx, f["district"], lang) for f in q2 if f["direction"] == "lower"]
    parts = [t("text.q2_differ", lang, longer=_list(longer, lang) or "–", shorter=_list(shorter, lang) or "–")
             if q2 else t("text.q2_none", lang)]
    if "flats" in out:
        parts.append(out["flats"])
    dl = _detect(ctx, lang, "los_detectable", "1")
    if dl:
        parts.append(t("text.q2_detect", lang, name=dl[0], worst=dl[2], best=dl[1]))
    out["answer_2"] = " ".join(parts)

    q3 = found("shis", "shis_pathway", "support")
    parts = [out["shis"]]
    parts.extend(f["text"][lang] for f in q3)
    if not q3:
        parts.append(t("text.q3_none", lang))
    out["answer_3"] = " ".join(parts)
    return out
