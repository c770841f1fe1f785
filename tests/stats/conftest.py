from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

REF = Path(__file__).resolve().parents[1] / "reference"


def ref(name: str) -> pd.DataFrame:
    return pd.read_csv(REF / name)


def close(actual, expected, rel=1e-9, abs_=0.0):
    return actual == pytest.approx(expected, rel=rel, abs=abs_)
