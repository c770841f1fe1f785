"""The published categories that renderers need in catalogue order, without the catalogue.

`indicators.dims` defines the publication from these; the report and the pages read them here, so
that rendering a stored release does not import the indicator modules (and with them pandas, scipy
and statsmodels). Light: only the contract's code lists.
"""

from __future__ import annotations

from .contract.codes import SWEDISH_LABELS

UNKNOWN = "okänd"  # a missing code, counted so that nothing falls out of a total
SEX = ("K", "M", "annat_okant")
AGE = ("0-17", "18-24", "25-44", "45-64", "65+", UNKNOWN)
TARGET = (*SWEDISH_LABELS["target_group"], UNKNOWN)
STAY_EDGES = (7, 14, 30, 60, 90, 180)  # days: the points of the published Kaplan–Meier curves
