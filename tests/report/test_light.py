"""The report from a stored release needs no statistics: `likstall rapport` (from a release) never imports
pandas, scipy, statsmodels, HiGHS or esda in its own process, nor Altair (the helper process draws the
charts). numpy is allowed: openpyxl, which writes the workbook here, imports it to know its number types."""

from __future__ import annotations

import json
import os
import subprocess
import sys

HEAVY = ("pandas", "scipy", "statsmodels", "highspy", "esda", "altair")

PROGRAM = """
import json, sys
from likstall.cli import app
sys.argv = ["likstall", "rapport", "--db", sys.argv[1], "--year", "2021", "--out", sys.argv[2],
            "--format", "html,xlsx,csv"]
try:
    app()
except SystemExit as exc:
    assert not exc.code, exc.code
print(json.dumps(sorted({m.split(".")[0] for m in sys.modules})))
"""


def test_the_report_from_a_release_imports_no_statistics(demo_released, tmp_path):
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    r = subprocess.run([sys.executable, "-c", PROGRAM, str(demo_released), str(tmp_path / "out")],
                       capture_output=True, text=True, env=env, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    loaded = set(json.loads(r.stdout.strip().splitlines()[-1]))
    assert not loaded & set(HEAVY), sorted(loaded & set(HEAVY))
    assert (tmp_path / "out" / "uppfoljning-2021.html").stat().st_size > 0
    assert (tmp_path / "out" / "uppfoljning-2021.xlsx").stat().st_size > 0
