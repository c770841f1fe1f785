"""The report's helper process (render/helper.py): same files with and without it, and a dead helper costs nothing."""

from __future__ import annotations

import re

import pytest
from openpyxl import load_workbook

from likstall.render import helper
from likstall.render.report import write_report


@pytest.fixture(scope="module")
def fu(demo_fu):
    return demo_fu  # the session's demo release (tests/report/conftest.py): only read here


def sheets(path):
    wb = load_workbook(path)
    return {ws.title: [[c.value for c in row] for row in ws.iter_rows()] for ws in wb.worksheets}


def files(out):
    # vl-convert numbers gradients and clip paths per process (gradient_0, gradient_1, ...): the same chart drawn
    # second in a process differs only in that id.
    html = re.sub(r"gradient_\d+", "gradient_N", (out / "uppfoljning-2021.html").read_text(encoding="utf-8"))
    html = re.sub(r"clip\d+", "clipN", html)  # clip paths are numbered per process too
    return html, sheets(out / "uppfoljning-2021.xlsx")


@pytest.fixture(scope="module")
def alone(fu, tmp_path_factory):
    out = tmp_path_factory.mktemp("alone")
    assert not helper.active()
    write_report(fu, out, ["html", "xlsx"])
    return files(out)


def test_the_helper_draws_and_writes_the_same_files(fu, alone, tmp_path):
    with helper.running():
        assert helper.active()
        pid = helper._helper.proc.pid
        write_report(fu, tmp_path, ["html", "xlsx"])
        assert helper._helper.results == {}  # every answer was used
    html, book = files(tmp_path)
    assert html.count("<svg") == alone[0].count("<svg") == 4
    assert html == alone[0]
    assert book == alone[1]
    assert pid and not helper.active()


def test_a_helper_that_dies_is_replaced_by_this_process(fu, alone, tmp_path):
    with helper.running():
        helper._helper.proc.kill()
        helper._helper.proc.wait()
        write_report(fu, tmp_path, ["html", "xlsx"])
    assert files(tmp_path) == alone


def test_a_job_that_fails_in_the_helper_fails_here_with_the_real_error(tmp_path):
    with helper.running():
        job = helper.PendingChart("no-such-chart", {"rows": []}, "sv")
        with pytest.raises(KeyError):
            job.get()
        assert helper.active()  # one failed job does not stop the helper
        rows = [{"year": "2021", "rate": 1.5, "group": "Staden"}]
        assert "<svg" in str(helper.PendingChart("trend_chart", {"rows": rows}, "sv"))


def test_the_helper_is_not_given_the_key(monkeypatch):
    monkeypatch.setenv("LIKSTALL_SECRET_KEY", "ab" * 32)
    with helper.running():
        # Popen returns once the child's close-on-exec pipe closes, which is inside execve and before the
        # kernel has set up the new environment (/proc/PID/environ then reads empty). An answered job means
        # the helper is running its own code, with its environment in place.
        rows = [{"year": "2021", "rate": 1.5, "group": "Staden"}]
        assert "<svg" in str(helper.PendingChart("trend_chart", {"rows": rows}, "sv"))
        assert helper.active()
        environ = open(f"/proc/{helper._helper.proc.pid}/environ", "rb").read().split(b"\0")
    assert not [e for e in environ if e.startswith(b"LIKSTALL_SECRET_KEY=")]
    assert any(e.startswith(b"PATH=") for e in environ)  # it does get an environment
