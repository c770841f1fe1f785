"""The examples in docs/statistics/ run as written (doctest), so the pages cannot drift from the code."""

from __future__ import annotations

import doctest
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[2] / "docs" / "statistics"
PAGES = sorted(p for p in DOCS.glob("*.md"))


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_examples_run(page):
    result = doctest.testfile(str(page), module_relative=False, optionflags=doctest.NORMALIZE_WHITESPACE,
                              report=True, verbose=False)
    assert result.failed == 0, f"{page.name}: {result.failed} of {result.attempted} examples failed"


def test_every_page_has_an_example():
    assert PAGES
    for page in PAGES:
        if page.name != "README.md":
            assert ">>> " in page.read_text(encoding="utf-8"), page.name
