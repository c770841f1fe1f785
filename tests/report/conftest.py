"""The demo release and its report files, built once for the output tests (Excel, CSV, PDF, charts)."""

from __future__ import annotations

import shutil

import pytest

from likstall.release import make_release
from likstall.render.report import write_report


@pytest.fixture(scope="session")
def demo_fu(demo_released):
    from likstall.release import load_release

    return load_release(demo_released, 2021)


@pytest.fixture(scope="session")
def demo_out(demo_fu, tmp_path_factory):
    """Every format of the Swedish demo report (no helper process: everything drawn here)."""
    out = tmp_path_factory.mktemp("outputs-sv")
    write_report(demo_fu, out, ["html", "pdf", "xlsx", "csv"])
    return out
