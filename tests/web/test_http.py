"""HTTP tests of the dashboard and API: authentication, CSRF, lockout, roles, scoping, headers, the access log."""

from __future__ import annotations

import re
import shutil

import pytest
from fastapi.testclient import TestClient

from likstall.errors import LikstallError
from likstall.web.app import PAGES, create_app
from likstall.web.users import add_user, disable_user, new_token

PASSWORD = "ett-langt-losenord"
ROLE_USERS = {"admin": ("anna", None), "analytiker": ("ali", None), "stadsdel": ("fia", "farsta"), "lasare": ("lo", None)}


@pytest.fixture(scope="module")
def db(demo_store, tmp_path_factory):
    path = tmp_path_factory.mktemp("web") / "web.duckdb"
    shutil.copy(demo_store, path)
    for role, (name, district) in ROLE_USERS.items():
        add_user(path, name, role, district, PASSWORD)
    add_user(path, "gone", "analytiker", None, PASSWORD)
    add_user(path, "lockme", "lasare", None, PASSWORD)
    return path


@pytest.fixture(scope="module")
def app(db):
    return create_app(db, login_delay=0)


def login(client: TestClient, name: str, password: str = PASSWORD):
    page = client.get("/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    return client.post("/login", data={"username": name, "password": password, "csrf": csrf}, follow_redirects=False)


def csrf_of(client: TestClient) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', client.get("/rapporter").text).group(1)


@pytest.fixture
def as_role(app):
    def make(role):
        c = TestClient(app)
        r = login(c, ROLE_USERS[role][0])
        assert r.status_code == 303, r.text
        return c
    return make


ROUTES = ["/", *[f"/{p}" for p in PAGES if p != "oversikt"], "/stadsdel/farsta", "/stadsdel/bromma",
          "/rapporter/2021/html", "/api/v1/tables?year=2021", "/api/v1/findings", "/api/v1/openapi.json"]


def test_nothing_but_login_and_static_without_a_session(app):
    c = TestClient(app)
    for route in ROUTES:
        r = c.get(route, follow_redirects=False)
        if route.startswith("/api/"):
            assert r.status_code == 401, route
        else:
            assert r.status_code == 303 and r.headers["location"] == "/login", route
    assert c.get("/login").status_code == 200
    assert c.get("/static/style.css").status_code == 200
    assert c.post("/logout", follow_redirects=False).status_code in (303, 403)


def test_security_headers_and_cookie_flags(app):
    c = TestClient(app)
    r = c.get("/login")
    csp = r.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert r.headers["referrer-policy"] == "no-referrer" and r.headers["x-frame-options"] == "DENY"
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie


def test_login_needs_csrf_and_locks_after_repeated_failures(app):
    c = TestClient(app)
    c.get("/login")
    assert c.post("/login", data={"username": "ali", "password": PASSWORD}).status_code == 403
    for _ in range(5):
        assert login(c, "lockme", "fel-losenord-123").status_code == 401
    locked = login(c, "lockme", PASSWORD)
    assert locked.status_code == 429 and "låst" in locked.text


ROLE_TABLE = {
    # route: expected status per role (admin, analytiker, stadsdel, lasare)
    "/": (200, 200, 200, 200),
    "/placeringar": (200, 200, 200, 200),
    "/vistelsetid": (200, 200, 200, 200),
    "/shis": (200, 200, 200, 200),
    "/malgrupper": (200, 200, 200, 200),
    "/sarbara": (200, 200, 200, 200),
    "/trender": (200, 200, 200, 200),
    "/datakvalitet": (200, 200, 200, 403),
    "/rapporter": (200, 200, 200, 200),
    "/import": (200, 403, 403, 403),
    "/logg": (200, 403, 403, 403),
    "/stadsdel/farsta": (200, 200, 200, 200),
    "/stadsdel/bromma": (200, 200, 403, 200),
    "/api/v1/tables?year=2021&district=bromma": (200, 200, 403, 200),
    "/api/v1/findings": (200, 200, 200, 200),
}


@pytest.mark.parametrize("route", list(ROLE_TABLE))
def test_route_by_role(as_role, route):
    for role, expected in zip(ROLE_USERS, ROLE_TABLE[route]):
        c = as_role(role)
        assert c.get(route, follow_redirects=False).status_code == expected, (route, role)


def test_stadsdel_sees_own_district_and_only_region_and_city_elsewhere(as_role):
    c = as_role("stadsdel")
    page = c.get("/").text
    assert "Farsta" in page and "Hela staden" in page and "Bromma" not in page
    rows = c.get("/api/v1/tables?year=2021").json()["rows"]
    assert rows and {r["district"] for r in rows} <= {"farsta", "total", None}
    assert all(f["district"] == "farsta" for f in c.get("/api/v1/findings").json()["findings"])


def test_api_never_returns_a_suppressed_value(as_role):
    rows = as_role("analytiker").get("/api/v1/tables?year=2021").json()["rows"]
    suppressed = [r for r in rows if r["status"] == ".."]
    assert suppressed
    assert all(r["value"] is None and r["ci_low"] is None and r["ci_high"] is None for r in suppressed)
    assert all(r["value"] is not None for r in rows if r["status"] is None)


def test_bearer_tokens_and_disabled_users(app, db):
    c = TestClient(app)
    tok = new_token(db, "ali")
    r = c.get("/api/v1/findings", headers={"Authorization": f"Bearer {tok}"})
    assert r.status_code == 200 and "findings" in r.json()
    assert c.get("/api/v1/findings", headers={"Authorization": "Bearer lst_0000000000000000.nope-nope-nope-nope-nope"}).status_code == 401
    gone = new_token(db, "gone")
    disable_user(db, "gone")
    assert c.get("/api/v1/findings", headers={"Authorization": f"Bearer {gone}"}).status_code == 401
    assert login(TestClient(app), "gone").status_code == 401
    spec = c.get("/api/v1/openapi.json", headers={"Authorization": f"Bearer {tok}"}).json()
    assert "/api/v1/tables" in spec["paths"] and "/api/v1/findings" in spec["paths"]
    # A verified token is remembered (no argon2 per call), but never for another secret with the
    # same id, and disabling the user stops it at once.
    add_user(db, "tova", "analytiker", None, PASSWORD)
    tova = new_token(db, "tova")
    assert c.get("/api/v1/findings", headers={"Authorization": f"Bearer {tova}"}).status_code == 200
    forged = f"{tova.split('.')[0]}.{'x' * 43}"
    assert c.get("/api/v1/findings", headers={"Authorization": f"Bearer {forged}"}).status_code == 401
    assert c.get("/api/v1/findings", headers={"Authorization": f"Bearer {tova}"}).status_code == 200
    disable_user(db, "tova")
    assert c.get("/api/v1/findings", headers={"Authorization": f"Bearer {tova}"}).status_code == 401


def test_posts_need_a_csrf_token(as_role):
    c = as_role("admin")
    assert c.post("/logout", data={}).status_code == 403
    assert c.post("/import/discard", data={"csrf": "wrong"}).status_code == 403
    assert c.post("/logout", data={"csrf": csrf_of(c)}, follow_redirects=False).status_code == 303


def query(app, sql):
    """Read the access log (a SQLite file of its own next to the store) or, for anything else, the store."""
    st = app.state.likstall
    if "access_log" in sql:
        return st.access.rows(sql)
    with st.reading() as con:
        return con.execute(sql).fetchall()


def test_access_log_records_who_saw_what_without_clients(as_role, app):
    c = as_role("analytiker")
    c.get("/placeringar")
    c.get("/rapporter/2021/csv")
    log = as_role("admin").get("/logg").text
    assert "ali" in log and "/placeringar" in log and "export" in log
    cols = [r[1] for r in query(app, "PRAGMA table_info(access_log)")]
    assert not any(k in " ".join(cols) for k in ("ip", "client", "host", "agent"))


def test_report_download_is_gated_output(as_role):
    r = as_role("analytiker").get("/rapporter/2021/csv")
    assert r.status_code == 200 and r.text.startswith("table,measure,unit")
    html = as_role("lasare").get("/rapporter/2021/html")
    assert html.status_code == 200 and "<html" in html.text


def upload_cases(c: TestClient, text: str, **form):
    """Post one cases.csv to the import page with the page's CSRF token; returns (csrf, response)."""
    csrf = re.search(r'name="csrf" value="([^"]+)"', c.get("/import").text).group(1)
    r = c.post("/import", data={"csrf": csrf, **form}, files=[("files", ("cases.csv", text.encode(), "text/csv"))])
    return csrf, r


def test_import_checks_against_a_copy_then_discards(as_role, app, demo_store, monkeypatch):
    # The server process must hold the store's pseudonymisation key.
    monkeypatch.setenv("LIKSTALL_KEY_FILE", str(demo_store.parent / "secret.key"))
    c = as_role("admin")
    bad = "case_id,person_id,district,opened,sex\nAR-NY-1,P-NY-1,farsta,2021-05-01,??\nAR-NY-2,P-NY-2,farsta,2021-05-02,K\n"
    n_before = query(app, "SELECT count(*) FROM cases")[0][0]
    csrf, r = upload_cases(c, bad, extract_date="2022-01-31")
    assert r.status_code == 200 and "invalid_code" in r.text and "Inget är skrivet än" in r.text
    assert query(app, "SELECT count(*) FROM cases")[0][0] == n_before
    assert c.post("/import/discard", data={"csrf": csrf}, follow_redirects=False).status_code == 303
    r = c.post("/import", data={"csrf": csrf}, files=[("files", ("notes.exe", b"MZ", "application/octet-stream"))])
    assert r.status_code == 400 and "bara CSV" in r.text
    monkeypatch.setenv("LIKSTALL_KEY_FILE", str(demo_store.parent / "another.key"))
    _, r = upload_cases(c, bad)
    assert r.status_code == 400 and "annan pseudonymiseringsnyckel" in r.text


def test_import_commit_writes_the_load(as_role, app, demo_store, monkeypatch):
    monkeypatch.setenv("LIKSTALL_KEY_FILE", str(demo_store.parent / "secret.key"))
    c = as_role("admin")
    good = "case_id,person_id,district,opened,sex\nAR-COMMIT-1,P-COMMIT-1,farsta,2021-06-01,K\n"
    n_before = query(app, "SELECT count(*) FROM cases")[0][0]
    csrf, r = upload_cases(c, good, extract_date="2022-01-31")
    assert r.status_code == 200 and "1 nya" in r.text
    r = c.post("/import/commit", data={"csrf": csrf}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/datakvalitet"
    assert query(app, "SELECT count(*) FROM cases")[0][0] == n_before + 1
    assert query(app, "SELECT count(*) FROM access_log WHERE action = 'import' AND detail = 'committed'")[0][0] == 1


def test_uploads_over_the_size_limit_are_refused(as_role, monkeypatch):
    import likstall.web.pages as pages

    monkeypatch.setattr(pages, "MAX_UPLOAD", 1024)
    c = as_role("admin")
    csrf = re.search(r'name="csrf" value="([^"]+)"', c.get("/import").text).group(1)
    big = b"case_id,person_id,district,opened\n" + b"AR-1,P-1,farsta,2021-01-01\n" * 100
    r = c.post("/import", data={"csrf": csrf}, files=[("files", ("cases.csv", big, "text/csv"))])
    assert r.status_code == 400 and "större än" in r.text


PNR_FORMS = ["198001011234", "19800101-1234", "800101-1234", "8001011234"]


def test_error_pages_and_the_access_log_never_keep_a_personnummer(as_role, app, db):
    """A personnummer typed as a user name, or put in a URL or query, is in no response body and not
    in the access log (the store file is scanned for every form of it afterwards)."""
    anon = TestClient(app)
    bodies = []
    for pnr in PNR_FORMS:
        bodies.append(login(anon, pnr, "fel-lösenord-123").text)  # failed login page
        bodies.append(anon.get(f"/stadsdel/{pnr}", follow_redirects=False).text)  # redirect to login
        bodies.append(anon.get(f"/api/v1/tables?year={pnr}").text)  # 401
    c = as_role("analytiker")
    for pnr in PNR_FORMS:
        for path in (f"/stadsdel/{pnr}", f"/rapporter/2021/{pnr}", f"/rapporter/{pnr}/html", f"/placeringar?year={pnr}",
                     f"/api/v1/tables?year={pnr}", f"/api/v1/tables?table={pnr}", f"/{pnr}"):
            r = c.get(path)
            assert r.status_code in (404, 422, 400), (path, r.status_code)
            bodies.append(r.text)
    for body in bodies:
        for pnr in PNR_FORMS:
            assert pnr not in body
    with pytest.raises(LikstallError):
        add_user(db, "198001011234", "lasare", None, PASSWORD)
    log = "\n".join(" ".join(map(str, row)) for row in query(app, "SELECT * FROM access_log"))
    assert "(ogiltigt namn)" in log
    for pnr in PNR_FORMS:
        assert pnr not in log
