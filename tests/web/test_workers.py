"""`likstall serve --workers 2`: several server processes over one store. Logging in on one process and
continuing on another works (sessions and the login form's key are shared), every request is in the
one access log, the login throttle counts over all processes, a downloaded file is the same bytes from
every process, and keep-alive answers are not held up by Nagle's algorithm."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import httpx
import pytest

from likstall.web.settings import LoginPolicy
from likstall.web.sidedb import SideDB, side_path
from likstall.web.throttle import Reservation, SharedLoginThrottle
from webkit import CSRF, PASSWORD, make_store

# Real server processes (uvicorn --workers 2): the full run (CI), not the quick run.
pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def served(web_template, tmp_path_factory):
    db = make_store(web_template, tmp_path_factory.mktemp("workers"))
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "likstall", "serve", "--db", str(db), "--port", str(port),
                             "--workers", "2"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=dict(os.environ))
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            httpx.get(base + "/login", timeout=1)
            break
        except httpx.HTTPError:
            assert proc.poll() is None, proc.stderr.read().decode(errors="replace")[-2000:]
            time.sleep(0.1)
    yield base, db
    proc.terminate()
    proc.wait(timeout=30)


def logged_in(base: str, name: str) -> httpx.Client:
    c = httpx.Client(base_url=base, timeout=60)
    csrf = CSRF.search(c.get("/login").text).group(1)
    # A new connection for the post: it may well land on the other process.
    c2 = httpx.Client(base_url=base, timeout=60, cookies=c.cookies)
    c.close()
    r = c2.post("/login", data={"username": name, "password": PASSWORD, "csrf": csrf})
    assert r.status_code == 303, r.status_code
    return c2


def test_sessions_span_the_processes_and_every_request_is_logged(served):
    base, db = served
    c = logged_in(base, "lo")
    cookie = c.cookies
    pids, n = set(), 30
    for _ in range(n):  # a fresh connection each time: both processes answer
        with httpx.Client(base_url=base, cookies=cookie, timeout=60) as one:
            r = one.get("/trender")
            assert r.status_code == 200 and "lo (lasare)" in r.text
    side = SideDB(side_path(db))
    try:
        logged = side.execute("SELECT count(*) FROM access_log WHERE username = 'lo' AND path = '/trender'")[0][0]
    finally:
        side.close()
    assert logged == n
    with httpx.Client(base_url=base, timeout=60) as anon:
        assert anon.get("/trender").status_code == 303
        assert anon.get("/api/v1/findings").status_code == 401
    assert c.get("/?utkast=1").status_code == 403  # a reader never gets a draft, on any process


def test_downloads_are_the_same_bytes_from_every_process(served):
    base, _ = served
    c = logged_in(base, "ali")
    bodies = set()
    for _ in range(8):
        with httpx.Client(base_url=base, cookies=c.cookies, timeout=120) as one:
            for path in ("/rapporter/2021/csv", "/rapporter/2021/tabell/oversikt.xlsx"):
                r = one.get(path)
                assert r.status_code == 200
                bodies.add((path, r.content))
    assert len(bodies) == 2


def test_keep_alive_answers_are_not_held_back(served):
    base, _ = served
    c = logged_in(base, "ali")
    c.get("/trender")
    times = []
    for _ in range(10):
        t0 = time.perf_counter()
        c.get("/static/style.css")
        times.append(time.perf_counter() - t0)
    # Nagle with delayed ACKs made *every* keep-alive answer of a worker process wait ≈ 40 ms, so even the
    # fastest of ten was that slow; without it the fastest takes a few ms. (The median was tried first and
    # exceeded 35 ms when the whole suite ran on both cores.)
    assert min(times) < 0.02, times


def test_the_shared_throttle_counts_over_processes(tmp_path):
    now = [1000.0]
    policy = LoginPolicy(delay=1.0, free_per_client=2, max_per_client=60, free_per_account=100,
                         free_per_address=100)
    sides = [SideDB(tmp_path / "side.sqlite"), SideDB(tmp_path / "side.sqlite")]  # two processes' connections
    a, b = (SharedLoginThrottle(policy, s, clock=lambda: now[0]) for s in sides)
    assert isinstance(a.reserve("anna", "10.0.0.1"), Reservation)
    assert isinstance(b.reserve("anna", "10.0.0.1"), Reservation)  # the second free attempt, on the other
    assert a.reserve("anna", "10.0.0.1") > 0  # both counted: a wait, whichever process asks
    assert b.reserve("anna", "10.0.0.1") > 0
    now[0] += 10
    r = b.reserve("anna", "10.0.0.1")
    assert isinstance(r, Reservation)
    b.succeeded(r)  # the right password: the pair starts afresh everywhere
    assert isinstance(a.reserve("anna", "10.0.0.1"), Reservation)
    for s in sides:
        s.close()
