"""A release as renderers read it: the stored JSON turned back into published tables, findings,
sentences and chart values. Light: no numpy, pandas or statistics (the report from a release needs
none of them)."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace

from ..disclosure.keys import TOTAL, CellKey
from ..disclosure.published import AuditSummary, Publication, PublishedCell, PublishedTable


def table_json(t: PublishedTable) -> dict:
    return {"name": t.name, "measure": t.measure, "kind": t.kind, "dims": list(t.dims), "level": t.level,
            "small_rows": list(t.small_rows), "decimals": t.decimals, "question": t.question, "unit": t.unit,
            "title": t.title, "method": t.method, "texts": t.texts,
            "cells": [[dict(c.key.coords), c.value, c.ci_low, c.ci_high, c.status] for c in t.cells]}


def table_from_json(d: dict) -> PublishedTable:
    cells = tuple(PublishedCell(CellKey.of(d["measure"], **coords), value, status, lo, hi)
                  for coords, value, lo, hi, status in d["cells"])
    return PublishedTable(d["name"], d["measure"], d["unit"], d["title"], tuple(d["dims"]), cells, d["kind"],
                          d.get("method", ""), d.get("level", "district"), tuple(d.get("small_rows", ())),
                          d.get("decimals", 0), d.get("question", ""), d.get("texts", {}))


@dataclass
class Finding:
    """A finding as served: structured, with its sentence in both languages."""

    kind: str
    question: str
    district: str
    direction: str
    estimate: float | None
    ci_low: float | None
    ci_high: float | None
    q_value: float | None
    unit: str
    text: dict
    extra: dict = field(default_factory=dict)

    @property
    def indicator(self) -> str:
        return self.kind

    @property
    def text_sv(self) -> str:
        return self.text["sv"]

    @property
    def text_en(self) -> str:
        return self.text["en"]


class Release:
    """One release (or draft), as read back: what every renderer and the API take."""

    def __init__(self, content: dict, lang: str = "sv"):
        self.content = content
        self.lang = lang
        self.year: int = content["year"]
        self.first_year: int = content["first_year"]
        self.release_id = content.get("release_id")
        self.version = content.get("version")
        self.kind = content.get("kind", "release")
        self.created = content["created"]
        self.districts_list: list[dict] = content["districts"]
        tables = {t["name"]: table_from_json(t) for t in content["tables"]}
        a = content["audit"]
        audit = AuditSummary(**{**a, "findings": tuple(a["findings"]), "scenarios": tuple(a["scenarios"]),
                                "notes": tuple(a["notes"]), "warnings": tuple(a.get("warnings", ())),
                                "steps": tuple((s[0], s[1], tuple(s[2])) for s in a.get("steps", ()))})
        pattern = {c.key: ("published" if c.published else "suppressed") for t in tables.values() if t.kind == "count"
                   for c in t.cells}
        policy = SimpleNamespace(**content["policy"])
        policy.T = policy.threshold
        self.publication = Publication(self.year, policy, tables, audit, pattern,
                                       {d["code"]: d["region"] for d in self.districts_list},
                                       {d["code"]: d["name"] for d in self.districts_list})
        self.findings = [Finding(f["kind"], f["question"], f["district"], f["direction"], f.get("estimate"),
                                 f.get("ci_low"), f.get("ci_high"), f.get("q_value"), f.get("unit", ""), f["text"],
                                 {k: v for k, v in f.items() if k not in Finding.__dataclass_fields__})
                         for f in content["findings"]]
        self.stats = content.get("stats", {})
        self.charts = content.get("charts", {})
        self.texts = content.get("texts", {})
        self.quarantine = content.get("quarantine", [])
        self.provenance = content.get("provenance", {})
        self.settings = SimpleNamespace(lang=lang, policy=policy)

    def in_language(self, lang: str) -> "Release":
        return Release(self.content, lang)

    @property
    def is_draft(self) -> bool:
        return self.kind == "draft"

    @property
    def codes(self) -> list[str]:
        return [d["code"] for d in self.districts_list]

    @property
    def regions(self) -> list[str]:
        return sorted({d["region"] for d in self.districts_list})

    def table(self, name: str) -> PublishedTable:
        return self.publication.tables[name]

    def text(self, key: str) -> str:
        return self.texts.get(self.lang, {}).get(key, "")

    def name(self, code: str) -> str:
        if code == TOTAL:
            return "Hela staden" if self.lang == "sv" else "Whole city"
        if code.startswith("region:"):
            return code[len("region:"):]
        return self.publication.labels.get(code, code)

    @property
    def label(self) -> str:
        """How the release names itself: "release 3 (2021, version 1)" or "UTKAST"."""
        if self.is_draft:
            return "UTKAST" if self.lang == "sv" else "DRAFT"
        return (f"release {self.release_id} ({self.year}, version {self.version})" if self.lang == "sv" else
                f"release {self.release_id} ({self.year}, version {self.version})")
