"""Number formatting for Swedish (and English) outputs: 2 779; 7,0; 25,6 %; 5,0–9,5.

One implementation, Babel's, in `likstall.text.numbers` (the message catalogues format with it too);
the renderers use it under this name.
"""

from __future__ import annotations

from ..text.numbers import ci, integer, num, pct

__all__ = ["ci", "integer", "num", "pct"]
