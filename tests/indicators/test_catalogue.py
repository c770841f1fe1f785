"""The indicator catalogue (issue 16): every entry is documented in both languages and points to a test
that checks its method; and the one indicator that is a plain sum is checked against the store."""

from __future__ import annotations

import ast
from pathlib import Path

import duckdb
import pytest

from likstall.indicators import catalogue
from likstall.text import has

ROOT = Path(__file__).resolve().parents[2]


def _test_functions(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name.startswith("test")}


@pytest.mark.parametrize("ind", catalogue(), ids=lambda i: i.id)
def test_every_indicator_has_a_title_unit_and_method_in_both_languages(ind):
    fields = ("title", "unit") if ind.kind == "count" else ("title", "unit", "method")
    missing = [f"{lang}:{f}" for lang in ("sv", "en") for f in fields if not has(f"ind.{ind.id}.{f}", lang)]
    assert not missing, f"{ind.id} lacks texts {missing}"


@pytest.mark.parametrize("ind", [i for i in catalogue() if i.kind == "derived"], ids=lambda i: i.id)
def test_every_derived_indicator_names_a_reference_test_that_exists(ind):
    assert ind.tests, f"{ind.id} names no test of its method"
    for ref in ind.tests:
        file, _, func = ref.partition("::")
        path = ROOT / file
        assert path.is_file(), f"{ind.id}: {file} does not exist"
        if func:
            assert func in _test_functions(path), f"{ind.id}: {file} has no {func}"


def test_catalogue_ids_are_unique_and_every_question_has_indicators():
    ids = [i.id for i in catalogue()]
    assert len(ids) == len(set(ids))
    from likstall.indicators.base import QUESTIONS

    assert {i.question for i in catalogue()} == set(QUESTIONS)


def test_sb_days_sums_the_risk_sets(demo_released):
    # Days in skyddat boende of the stays granted and started in the year, per district: computed here
    # straight from the store's placements, compared with every published value of the release.
    from likstall.release import load_release

    release = load_release(demo_released, 2021)
    con = duckdb.connect(str(demo_released), read_only=True)
    try:
        want = dict(con.execute(
            """SELECT c.district, sum(coalesce(p."end", p.extract_date) - p.start)
               FROM placements p JOIN cases c USING (case_key)
               WHERE p.decision = 'beviljad' AND p.type = 'skyddat_boende' AND year(p.start) = 2021
               GROUP BY ALL""").fetchall())
    finally:
        con.close()
    table = release.table("sb_days")
    published = [(c.key.get("district"), c.value) for c in table.cells if not c.status]
    by_district = {d: v for d, v in published if d in want}
    assert len(by_district) >= 5  # most districts have enough stays to publish
    for d, v in by_district.items():
        assert v == pytest.approx(float(want[d])), d
    city = next(v for d, v in published if d == "total")
    assert city == pytest.approx(float(sum(want.values())))
