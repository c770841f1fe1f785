"""Every generated city publishes, and nothing served across its releases pins a small count.

Twenty cities (8, 13, 30 and 50 districts; the clean and the messy generator mode; seeds other than
the demo's), each with two consecutive releases (2020, then 2021 protected jointly with it) in one
store. The attacker of `attacker.py` — written for the tests, independent of the gate — reads what
the releases serve and solves the LP over both years at once. Slow (a few minutes): marked `slow`;
`./test.sh` (CI) runs it, the quick run (`-m "not slow"`) skips it.
"""

from __future__ import annotations

import pytest

from attacker import served_from, attack, share_leaks
from cities import city_store, two_releases

# The largest first: they take longest, and the suite's workers then end together.
CITIES = [(50, 51, True), (50, 52, False), (30, 31, False), (30, 32, True), (30, 33, False),
          (13, 21, False), (13, 22, True), (13, 23, False), (13, 24, True), (13, 25, False), (13, 26, True),
          (13, 27, False), (13, 28, True), (13, 29, True),
          (8, 11, False), (8, 12, True), (8, 13, False), (8, 14, True), (8, 15, False), (8, 16, True)]


@pytest.mark.slow
@pytest.mark.parametrize("districts,seed,messy", CITIES, ids=[f"{d}d-s{s}{'-messy' if m else ''}" for d, s, m in CITIES])
def test_the_city_publishes_and_its_releases_pin_no_small_count(tmp_path, districts, seed, messy, monkeypatch):
    # The measures are protected in this process: the suite's xdist workers already use every core, and a
    # worker process would add an interpreter start (≈ 0,8 s) per measure for no parallel gain (the five
    # largest cities: 96 → 84 CPU-s). That the workers give the same release is tests/disclosure/test_parallel.py.
    monkeypatch.setenv("LIKSTALL_WORKERS", "1")
    db = city_store(tmp_path, districts, seed, messy)
    contents, _ = two_releases(db)
    for c in contents:
        assert c["audit"]["passed"], c["audit"]["findings"][:5]
        assert c["audit"]["share_suppressed"] < 0.5
        # The city's headline counts are published.
        city = {t["name"]: t for t in contents[-1]["tables"]}
        total = next(cell for cell in city["victims_by_sex"]["cells"]
                     if cell[0]["district"] == "total" and cell[0]["sex"] == "total")
        assert total[4] == "" and total[1] > 0
    leaks = attack(served_from(contents)) + [leak for c in contents for leak in share_leaks(c)]
    assert not leaks, [str(leak) for leak in leaks[:10]]
