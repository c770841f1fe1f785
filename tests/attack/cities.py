"""Generated cities for the release property test and benchmark: data → store → two releases."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

from likstall.demo.write import write_demo_data
from likstall.ingest.load import ingest
from likstall.release import load_release, make_release


def city_store(root: Path, districts: int, seed: int, messy: bool) -> Path:
    data = root / f"data-{districts}-{seed}"
    write_demo_data(data, seed=seed, districts=districts, messy=messy)
    db = root / f"city-{districts}-{seed}.duckdb"
    ingest([data], db, extract_date=dt.date(2022, 1, 31))
    return db


def two_releases(db: Path, years=(2020, 2021)) -> tuple[list[dict], list[float]]:
    """Both releases, without their drawn charts: the charts only draw the release's own values, and
    drawing them is a third of a small city's release time (every number is the same either way)."""
    times = []
    for y in years:
        t0 = time.perf_counter()
        make_release(db, y, charts=False)
        times.append(time.perf_counter() - t0)
    return [load_release(db, y).content for y in years], times
