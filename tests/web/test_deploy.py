"""Deployment: Secure cookies and HSTS behind TLS, only known host names, no host in redirects, report
files built once per release and format (20 concurrent PDF downloads took 105 s and held others up)."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi.testclient import TestClient

from likstall.render import report as report_module
from likstall.web.app import create_app
from webkit import PASSWORD, client, csrf_of, logged_in, login, make_store


@pytest.fixture(scope="module")
def db(web_template, tmp_path_factory):
    return make_store(web_template, tmp_path_factory.mktemp("deploy"))


def test_behind_tls_cookies_are_secure_and_hsts_is_sent(db):
    app = create_app(db, login_delay=0, https_only=True)
    c = TestClient(app, base_url="https://testserver")
    r = c.get("/login")
    assert r.headers["strict-transport-security"].startswith("max-age=31536000")
    cookie = r.headers["set-cookie"]
    assert cookie.startswith("__Host-likstall_login=") and "Secure" in cookie and "Path=/" in cookie
    csrf = r.text.split('name="csrf" value="')[1].split('"')[0]
    r = c.post("/login", data={"username": "ali", "password": PASSWORD, "csrf": csrf}, follow_redirects=False)
    assert r.status_code == 303
    session = [h for h in r.headers.get_list("set-cookie") if h.startswith("__Host-likstall_session=")]
    assert session and "Secure" in session[0] and "HttpOnly" in session[0] and "SameSite=strict" in session[0]
    assert c.get("/rapporter").status_code == 200


def test_only_known_host_names_are_answered(db):
    app = create_app(db, login_delay=0, allowed_hosts=["likstall.example.se"])
    assert TestClient(app, base_url="http://evil.example").get("/login").status_code == 400
    assert TestClient(app, base_url="http://likstall.example.se").get("/login").status_code == 200
    default = create_app(db, login_delay=0)
    assert TestClient(default, base_url="http://evil.example").get("/login").status_code == 400
    assert TestClient(default, base_url="http://127.0.0.1:8000").get("/login").status_code == 200


def test_redirects_never_name_a_host(db):
    app = create_app(db, login_delay=0, allowed_hosts=["*"])  # even when every Host is let through
    c = TestClient(app, base_url="http://evil.example")
    locations = []
    for path in ("/", "/rapporter", "/rapporter/", "/import/", "/static"):
        r = c.get(path, follow_redirects=False)
        if "location" in r.headers:
            locations.append(r.headers["location"])
    r = login(c, "ali")
    locations.append(r.headers["location"])
    locations.append(c.post("/logout", data={"csrf": csrf_of(c)}, follow_redirects=False).headers["location"])
    assert locations and all(loc.startswith("/") and not loc.startswith("//") for loc in locations), locations
    assert all("evil" not in loc for loc in locations)


def test_concurrent_downloads_build_the_file_once(db, monkeypatch):
    app = create_app(db, login_delay=0)
    builds = []
    real = report_module.write_report

    def counted(fu, out, formats, *args, **kwargs):
        builds.append(tuple(formats))
        time.sleep(0.5)  # a slow build: the others arrive while it runs
        return real(fu, out, formats, *args, **kwargs)

    monkeypatch.setattr(report_module, "write_report", counted)
    c = logged_in(app, "analytiker")
    assert c.get("/?year=2021").status_code == 200  # the year is built; the downloads only write files
    clients = [logged_in(app, "lasare", f"10.3.0.{i}") for i in range(2)] + [c]
    with ThreadPoolExecutor(12) as pool:
        bodies = list(pool.map(lambda i: clients[i % 3].get("/rapporter/2021/html"), range(12)))
    assert all(r.status_code == 200 for r in bodies)
    assert len({r.content for r in bodies}) == 1 and builds == [("html",)]
    # Other requests are not held up while a build runs.
    result = {}
    t = threading.Thread(target=lambda: result.setdefault("r", c.get("/rapporter/2021/xlsx")))
    t.start()
    time.sleep(0.1)
    t0 = time.monotonic()
    assert c.get("/rapporter").status_code == 200
    assert time.monotonic() - t0 < 1.0
    t.join()
    assert result["r"].status_code == 200 and result["r"].content.startswith(b"PK")
    assert c.get("/rapporter/2021/html").content == bodies[0].content and builds == [("html",), ("xlsx",)]
    assert client(app).get("/rapporter/2021/html", follow_redirects=False).status_code == 303
