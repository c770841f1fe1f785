"""The disclosure policy: threshold, zeros, and the attacker's parameters (DISCLOSURE.md §2.4, §3)."""

from __future__ import annotations

from dataclasses import dataclass

SUPPRESSED = ".."  # one symbol for every suppressed cell, primary or secondary
NOT_REPORTED = "-"
NOT_APPLICABLE = "."


@dataclass(frozen=True)
class Policy:
    """T: counts 1..T−1 are suppressed (primary). Default 5, as is common in Swedish social statistics;
    refused below 3. zeros: "visible" (0 is published; the attacker then knows every suppressed
    cell is ≥ 1) or "protected" (0 is suppressed like a small count). W: the minimum width of a
    primary cell's feasibility interval (C3). k: insiders know cells up to k (C8). G: a row whose
    whole mass lies in one category of at most G is a group-attribute disclosure (C10).
    max_suppressed_share: the utility guard (U1)."""

    threshold: int = 5
    zeros: str = "visible"
    width: int | None = None
    insider_k: int = 2
    group_attribute_max: int | None = None
    max_suppressed_share: float = 0.5
    milp_time_limit: float = 5.0

    def __post_init__(self):
        if self.threshold < 3:
            raise ValueError("the threshold T must be at least 3 (cells of 1–2 must never be published)")
        if self.zeros not in ("visible", "protected"):
            raise ValueError("zeros must be 'visible' or 'protected'")

    @property
    def T(self) -> int:
        return self.threshold

    @property
    def W(self) -> int:
        return self.width if self.width is not None else self.threshold

    @property
    def G(self) -> int:
        return self.group_attribute_max if self.group_attribute_max is not None else self.threshold - 1

    @property
    def zeros_visible(self) -> bool:
        return self.zeros == "visible"

    def is_primary(self, value: int) -> bool:
        return 1 <= value <= self.T - 1 or (value == 0 and not self.zeros_visible)

    def describe_sv(self) -> str:
        zeros = ("Nollor visas." if self.zeros_visible else "Nollor skyddas som små tal.")
        return (f"Antal 1–{self.T - 1} undertrycks (tröskel {self.T}); allt som räknas fram ur ett undertryckt antal "
                f"(andelar, takter, intervall, kvoter, medelvärden och medianer över färre än {self.T} personer) "
                f"undertrycks med det. {zeros} Sekundär undertryckning över alla tabeller i publiceringen gör att "
                f"inget undertryckt tal kan räknas fram ur de andra. Undertryckta celler visas som {SUPPRESSED}.")
