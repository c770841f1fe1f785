"""The dashboard keeps serving while an import commits and a new release is made: every reader sees the old
or the new release, never a mix, never an error; an import alone changes nothing published."""

from __future__ import annotations

import re
import shutil
import threading
import time

import pytest
from fastapi.testclient import TestClient

from likstall.web.app import create_app
from likstall.web.users import add_user, new_token

# Servers and ingests in other processes, for seconds each: the full run (CI), not the quick run.
pytestmark = pytest.mark.slow


@pytest.fixture
def setup(demo_store, demo_released, tmp_path, monkeypatch):
    monkeypatch.setenv("LIKSTALL_KEY_FILE", str(demo_store.parent / "secret.key"))
    db = tmp_path / "c.duckdb"
    shutil.copy(demo_released, db)
    add_user(db, "anna", "admin", None, "ett-langt-losenord")
    add_user(db, "ali", "analytiker", None, "ett-langt-losenord")
    token = new_token(db, "ali")
    return create_app(db, login_delay=0), token


# Between two reads a reader waits a moment: still dozens of reads per second each while the release is
# replaced, but the readers no longer take a whole core from the publishing process they are waiting for.
PAUSE = 0.02


def city_total(client, token) -> tuple[int, tuple]:
    """The city's number of known victims and the regions' (None where a revision hides a region: twelve late
    cases in three districts would otherwise show how many came in one region)."""
    r = client.get("/api/v1/tables?year=2021&table=victims_by_region", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200, r.status_code
    rows = r.json()["rows"]
    city = next(x["value"] for x in rows if x["region"] == "total")
    regions = tuple(sorted((x["region"], x["value"]) for x in rows if x["region"] not in ("total", None)))
    return int(city), regions


def consistent(snapshot) -> bool:
    """One publication: where every region is shown, the regions sum to the city. (A revision may hide regions,
    or show the table for the city only: the late cases' difference per region is small.)"""
    city, regions = snapshot
    values = [v for _, v in regions]
    return not values or None in values or sum(values) == city


def test_readers_see_old_or_new_never_a_mix(setup):
    app, token = setup
    reader = TestClient(app)
    before = city_total(reader, token)
    old = before[0]
    assert None not in [v for _, v in before[1]] and consistent(before)
    # New cases for 2021 in a few districts, five in each (every count they change changes by five or more: a
    # revision with a difference of 1–4 shows no table of the measure, docs/disclosure.md): the city grows by 15.
    rows = "\n".join(f"AR-NEW-{i},P-NEW-{i},{d},2021-06-0{1 + i % 9},K" for i, d in
                     enumerate(["farsta", "bromma", "skarpnack"] * 5))
    admin = TestClient(app)
    page = admin.get("/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    admin.post("/login", data={"username": "anna", "password": "ett-langt-losenord", "csrf": csrf})
    csrf = re.search(r'name="csrf" value="([^"]+)"', admin.get("/import").text).group(1)
    r = admin.post("/import", data={"csrf": csrf, "extract_date": "2022-01-31"},
                   files=[("files", ("cases.csv", f"case_id,person_id,district,opened,sex\n{rows}\n".encode(), "text/csv"))])
    assert r.status_code == 200 and "15 nya" in r.text

    seen, errors, stop = [], [], threading.Event()

    def read():
        client = TestClient(app)
        while not stop.is_set():
            try:
                city, regions = city_total(client, token)
                seen.append((city, regions))
                page = client.get("/", headers={"Authorization": f"Bearer {token}"})
                if page.status_code != 200:
                    errors.append(page.status_code)
            except Exception as exc:  # noqa: BLE001 — any failure of a reader is the finding
                errors.append(repr(exc))
            stop.wait(PAUSE)

    threads = [threading.Thread(target=read) for _ in range(3)]
    for t in threads:
        t.start()
    commit = admin.post("/import/commit", data={"csrf": csrf}, follow_redirects=False)
    assert city_total(reader, token)[0] == old  # imported, not published: the release is unchanged
    # A revised release of 2021, made by the CLI in another process while the readers read.
    import os
    import subprocess
    import sys

    db = app.state.likstall.db
    reads_before = len(seen)
    p = subprocess.run([sys.executable, "-m", "likstall", "publish", "--db", str(db), "--year", "2021", "--revidera"],
                       capture_output=True, text=True, timeout=900, env=os.environ)
    assert p.returncode == 0, p.stderr
    assert len(seen) - reads_before >= 20  # the readers read all through the publish (and its commit)
    after = None
    deadline = time.monotonic() + 60  # the server notices the store changed at a read (on a loaded machine: later)
    while True:
        after = city_total(reader, token)
        if after[0] != old or time.monotonic() > deadline:
            break
        time.sleep(PAUSE)
    stop.set()
    for t in threads:
        t.join(timeout=120)
    assert commit.status_code == 303
    assert errors == []
    assert after[0] == old + 15 and consistent(after)
    assert seen and set(seen) <= {before, after}  # each response is the old release or the new, never a mix


def test_a_cli_ingest_in_another_process_while_the_server_serves(setup, tmp_path):
    """`likstall serve` does not keep the store locked: `likstall ingest` from another process commits
    while the server answers, and every answer is the old publication or the new one."""
    import os
    import socket
    import subprocess
    import sys
    import time

    import httpx

    app, token = setup
    db = app.state.likstall.db
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = dict(os.environ)
    server = subprocess.Popen([sys.executable, "-m", "likstall", "serve", "--db", str(db), "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                httpx.get(base + "/login", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        client = httpx.Client(base_url=base, timeout=60)
        before = city_total(client, token)
        old = before[0]
        folder = tmp_path / "new"
        folder.mkdir()
        rows = "\n".join(f"AR-CLI-{i},P-CLI-{i},{d},2021-07-0{1 + i % 9},K" for i, d in
                         enumerate(["farsta", "bromma", "skarpnack"] * 5))
        (folder / "cases.csv").write_text(f"case_id,person_id,district,opened,sex\n{rows}\n", encoding="utf-8")

        seen, errors, stop = [], [], threading.Event()

        def read():
            with httpx.Client(base_url=base, timeout=60) as c:
                while not stop.is_set():
                    try:
                        seen.append(city_total(c, token))
                    except Exception as exc:  # noqa: BLE001 — any failure of a reader is the finding
                        errors.append(repr(exc))
                    stop.wait(PAUSE)

        threads = [threading.Thread(target=read) for _ in range(2)]
        for t in threads:
            t.start()
        time.sleep(0.5)
        ingest = subprocess.run([sys.executable, "-m", "likstall", "ingest", str(folder), "--db", str(db),
                                 "--extract-date", "2022-01-31", "--json"], capture_output=True, text=True, env=env,
                                timeout=300)
        assert city_total(client, token)[0] == old  # loaded, not published
        reads_before = len(seen)
        publish = subprocess.run([sys.executable, "-m", "likstall", "publish", "--db", str(db), "--year", "2021",
                                  "--revidera"], capture_output=True, text=True, env=env, timeout=900)
        assert publish.returncode == 0, publish.stderr
        assert len(seen) - reads_before >= 20  # the readers read all through the publish (and its commit)
        deadline = time.monotonic() + 60
        while city_total(client, token)[0] != old + 15 and time.monotonic() < deadline:
            time.sleep(0.2)
        after = city_total(client, token)
        stop.set()
        for t in threads:
            t.join(timeout=120)
        assert ingest.returncode == 0, ingest.stderr
        assert errors == []
        assert after[0] == old + 15 and consistent(after)
        assert seen and set(seen) <= {before, after}
    finally:
        server.terminate()
        server.wait(timeout=20)


def test_a_long_write_by_another_process_gives_503_not_an_error_page(setup, tmp_path):
    """While another process holds the store for writing, what was read before is served; what was never
    read (a year's follow-up not built yet) is a 503 with a message, not a 500."""
    import subprocess
    import sys

    _, token = setup
    db = setup[0].state.likstall.db
    app = create_app(db, login_delay=0, store_wait=0.5)
    client = TestClient(app)
    auth = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/findings?year=2021", headers=auth).status_code == 200  # 2021 read and cached
    from likstall.release import make_release

    make_release(db, 2020)  # released, but the server has not read it yet
    assert client.get("/api/v1/findings?year=2021", headers=auth).status_code == 200  # sees that 2020 exists
    holder = subprocess.Popen([sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); "
                               "print('held', flush=True); time.sleep(30)", str(db)],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        assert client.get("/api/v1/findings?year=2021", headers=auth).status_code == 200  # from what was read
        r = client.get("/api/v1/findings?year=2020", headers=auth)  # never built: needs the store
        assert r.status_code == 503 and "uppdateras" in r.json()["detail"]
    finally:
        holder.kill()
        holder.wait()
