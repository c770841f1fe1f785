"""CSV that Swedish Excel opens correctly and that cannot carry a formula.

`;` as separator, UTF-8 with BOM, and any text cell starting with = + - @ (or a tab or carriage
return, which Excel strips before looking) prefixed with an apostrophe so it stays text.
The guard is for text: numbers are left as numbers (callers pass numbers as numbers, or write their
formatted numbers without the guard), and the status symbols `..`, `-` and `.` are left as they are —
a lone `-` is no formula, and a spreadsheet shows it as the dash it is.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from .atomic import atomic_write

if TYPE_CHECKING:  # pandas is imported where a DataFrame is written, not for `neutralise`
    import pandas as pd

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
STATUS_SYMBOLS = frozenset({"..", "-", "."})


def neutralise(value):
    """Text that could start a formula gets a leading apostrophe; anything else is returned as it is."""
    if isinstance(value, str) and value.startswith(FORMULA_START) and value not in STATUS_SYMBOLS:
        return "'" + value
    return value


def write_csv(df: pd.DataFrame, path: str | Path, *, decimal: str = ",") -> None:
    """Write atomically: to a temporary name, then rename, so a half-written file never has the final name."""
    import pandas as pd

    path = Path(path)
    safe = df.copy()
    for c in safe.columns:
        if safe[c].dtype == object or pd.api.types.is_string_dtype(safe[c]):
            safe[c] = safe[c].map(neutralise)
    safe.columns = [neutralise(str(c)) for c in safe.columns]
    text = safe.to_csv(sep=";", decimal=decimal, index=False, lineterminator="\n")
    atomic_write(path, ("\ufeff" + text).encode("utf-8"))
