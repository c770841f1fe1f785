"""HTTP tests of the dashboard and API: authentication, CSRF, headers, the route × role table, tokens,
the access log, the quarantine's district scope, import, and errors that never repeat the input."""

from __future__ import annotations

import re

import duckdb
import pytest
from fastapi.testclient import TestClient

from likstall.errors import LikstallError
from likstall.web.app import PAGES
from likstall.web.users import add_user, disable_user, new_token
from webkit import CSRF, PASSWORD, ROLE_USERS, csrf_of, logged_in, login, make_store, upload


@pytest.fixture(scope="module")
def db(web_template, tmp_path_factory):
    return make_store(web_template, tmp_path_factory.mktemp("web"))


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
    assert "strict-transport-security" not in r.headers  # only behind TLS (test_deploy)
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "secure" not in cookie


# Released numbers are public: every role sees every published page, every district and the API.
# Internal data is scoped: the quarantine (district users: their own rows), imports, users, the log.
ROLE_TABLE = {
    # route: expected status per role (admin, analytiker, stadsdel, lasare)
    "/": (200, 200, 200, 200),
    "/oversikt": (200, 200, 200, 200),
    "/placeringar": (200, 200, 200, 200),
    "/vistelsetid": (200, 200, 200, 200),
    "/shis": (200, 200, 200, 200),
    "/malgrupper": (200, 200, 200, 200),
    "/sarbara": (200, 200, 200, 200),
    "/trender": (200, 200, 200, 200),
    "/datakvalitet": (200, 200, 200, 200),
    "/rapporter": (200, 200, 200, 200),
    "/rapporter/2021/csv": (200, 200, 200, 200),
    "/stadsdel/farsta": (200, 200, 200, 200),
    "/stadsdel/bromma": (200, 200, 200, 200),
    "/jamfor": (200, 200, 200, 200),
    "/jamfor?utkast=1": (200, 200, 403, 403),
    "/indikatorer": (200, 200, 200, 200),
    "/indikator/rate_sb": (200, 200, 200, 200),
    "/rapporter/2021/tabell/oversikt.csv": (200, 200, 200, 200),
    "/rapporter/2021/tabell/oversikt.xlsx": (200, 200, 200, 200),
    "/rapporter/2020/tabell/oversikt.csv": (404, 404, 404, 404),  # data, but no release
    "/karantan": (200, 200, 200, 403),
    "/import": (200, 403, 403, 403),
    "/anvandare": (200, 403, 403, 403),
    "/logg": (200, 403, 403, 403),
    "/api/v1/tables?year=2021&district=bromma": (200, 200, 200, 200),
    "/api/v1/findings": (200, 200, 200, 200),
    "/api/v1/openapi.json": (200, 200, 200, 200),
    "/api/v1/releases": (200, 200, 200, 200),
    "/api/v1/structure": (200, 200, 200, 200),
    "/api/v1/indicators": (200, 200, 200, 200),
    # Drafts are internal: analysts and admins only.
    "/?utkast=1": (200, 200, 403, 403),
    "/?year=2020": (404, 404, 404, 404),  # data, but no release: not published
    # Forms, each with the user's own valid CSRF token:
    "POST /import": (400, 403, 403, 403),  # a refused file type for the admin: it got in
    "POST /import/discard": (303, 403, 403, 403),
    "POST /import/commit": (303, 403, 403, 403),  # nothing staged: back to /import
    "POST /anvandare/extra/logga-ut": (303, 403, 403, 403),
}


def app_routes(app) -> set[tuple[str, str]]:
    out = set()
    for r in app.routes:
        for sub in getattr(getattr(r, "original_router", None), "routes", [r]):
            out |= {(m, sub.path) for m in (getattr(sub, "methods", None) or ())}
    return out


TEMPLATES = {"/stadsdel/farsta": "/stadsdel/{code}", "/stadsdel/bromma": "/stadsdel/{code}",
             "/indikator/rate_sb": "/indikator/{indicator}",
             "/rapporter/2021/tabell/oversikt.csv": "/rapporter/{year}/tabell/{file}",
             "/rapporter/2021/tabell/oversikt.xlsx": "/rapporter/{year}/tabell/{file}",
             "/rapporter/2020/tabell/oversikt.csv": "/rapporter/{year}/tabell/{file}",
             "/rapporter/2021/csv": "/rapporter/{year}/{fmt}", "/anvandare/extra/logga-ut": "/anvandare/{username}/logga-ut"}
PUBLIC = {("GET", "/login"), ("POST", "/login"), ("POST", "/logout")}  # tested in test_login and test_sessions


def test_the_table_names_every_route(app):
    """Every route the app has is in the role table, and the table names no route the app lacks."""
    listed = set()
    for key in ROLE_TABLE:
        method, path = key.split() if key.startswith("POST ") else ("GET", key)
        path = path.split("?")[0]
        listed.add((method, TEMPLATES.get(path, path)))
    routes = app_routes(app)
    assert len(routes) > 20
    assert routes - PUBLIC == listed


@pytest.mark.parametrize("route", list(ROLE_TABLE))
def test_route_by_role(clients, route):
    for role, expected in zip(ROLE_USERS, ROLE_TABLE[route]):
        c = clients[role]
        if route.startswith("POST "):
            path = route.split()[1]
            files = [("files", ("notes.exe", b"MZ", "application/octet-stream"))] if path == "/import" else None
            r = c.post(path, data={"csrf": csrf_of(c)}, files=files, follow_redirects=False)
        else:
            r = c.get(route, follow_redirects=False)
        assert r.status_code == expected, (route, role, r.status_code)


def test_every_role_sees_every_district_in_pages_and_api(clients):
    """A district user is not limited to its own district: released numbers are public."""
    c = clients["stadsdel"]
    page = c.get("/").text
    assert "Farsta" in page and "Bromma" in page and "Hela staden" in page
    assert "Bromma" in c.get("/stadsdel/bromma").text
    rows = c.get("/api/v1/tables?year=2021").json()["rows"]
    analyst = clients["analytiker"].get("/api/v1/tables?year=2021").json()["rows"]
    assert rows == analyst and {"farsta", "bromma", "total"} <= {r["district"] for r in rows}
    assert c.get("/api/v1/findings").json() == clients["lasare"].get("/api/v1/findings").json()


def quarantine_counts(page: str) -> tuple[int, set[str]]:
    body = page.split("<tbody>")[1].split("</tbody>")[0] if "<tbody>" in page else ""
    rows = re.findall(r"<tr>.*?</tr>", body)
    return len(rows), {re.findall(r"<td>(.*?)</td>", r)[-1] for r in rows}


def test_the_quarantine_is_scoped_to_the_district_of_a_district_user(clients, db):
    con = duckdb.connect(str(db), read_only=True)
    try:
        per = dict(con.execute("SELECT coalesce(district, '?'), count(*) FROM quarantine GROUP BY 1").fetchall())
    finally:
        con.close()
    assert per.get("farsta", 0) > 0 and per.get("?", 0) > 0 and len(per) > 2  # the demo store has all three kinds
    n, districts = quarantine_counts(clients["stadsdel"].get("/karantan").text)
    assert n == per["farsta"] and districts == {"farsta"}
    for role in ("analytiker", "admin"):
        n, districts = quarantine_counts(clients[role].get("/karantan").text)
        assert n == sum(per.values()) and "okänd" in districts and "bromma" in districts
    # Rule, place and the rule's own description; never a value from the row.
    page = clients["analytiker"].get("/karantan").text
    assert "invalid_code" in page and "Okänd kod (inte i kodlistan)" in page


def test_api_never_returns_a_suppressed_value(clients):
    body = clients["analytiker"].get("/api/v1/tables?year=2021").json()
    rows = body["rows"]
    prov = body["provenance"]  # the API says what the numbers are, as every file does
    assert prov["synthetic"] is True and prov["release_id"] == body["release_id"] and prov["threshold"] == 5
    assert prov["text"][0] == "DEMODATA — syntetiska uppgifter" and prov["text"][1].startswith("Källa:")
    assert clients["lasare"].get("/api/v1/findings").json()["provenance"] == prov
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


def test_posts_need_a_csrf_token(app):
    c = logged_in(app, "admin")
    assert c.post("/logout", data={}).status_code == 403
    assert c.post("/import/discard", data={"csrf": "wrong"}).status_code == 403
    assert c.post("/anvandare/extra/logga-ut", data={"csrf": "wrong"}).status_code == 403
    assert c.post("/logout", data={"csrf": csrf_of(c)}, follow_redirects=False).status_code == 303
    fresh = TestClient(app)
    assert fresh.post("/login", data={"username": "ali", "password": PASSWORD}).status_code == 403  # no token
    fresh.get("/login")
    assert fresh.post("/login", data={"username": "ali", "password": PASSWORD, "csrf": "x" * 64}).status_code == 403


def query(app, sql):
    """Read the access log (the server's side file next to the store) or, for anything else, the store."""
    st = app.state.likstall
    if "access_log" in sql:
        return st.access.rows(sql)
    with st.reading() as con:
        return con.execute(sql).fetchall()


def test_access_log_records_who_saw_what_without_clients(clients, app):
    c = clients["analytiker"]
    c.get("/placeringar")
    c.get("/rapporter/2021/csv")
    log = clients["admin"].get("/logg").text
    assert "ali" in log and "/placeringar" in log and "export" in log
    cols = [r[1] for r in query(app, "PRAGMA table_info(access_log)")]
    assert not any(k in " ".join(cols) for k in ("ip", "client", "host", "agent"))
    # Which year, draft and question was seen is in the log (with the publication log it names the release), and
    # a refused draft is logged as refused; a parameter that says nothing about what was shown is not kept.
    assert c.get("/jamfor?year=2021&fraga=placements&x=anything").status_code == 200
    assert clients["lasare"].get("/?year=2021&utkast=1").status_code == 403
    rows = query(app, "SELECT username, action, path, detail, status FROM access_log ORDER BY rowid DESC LIMIT 2")
    assert rows[0][1:] == ("denied", "/?year=2021&utkast=1", "utkast", 403) and rows[0][0] != "ali"
    assert rows[1][1:3] == ("view", "/jamfor?year=2021&fraga=placements")
    # A name or an id in a parameter is not logged, whatever the parameter: only a value of its shape is.
    assert c.get("/?year=2021&district=Anna Andersson&region=AR-2021-000123&fraga=Kalle Karlsson").status_code == 200
    c.get("/api/v1/tables?year=2021&district=kalle")  # a word, but no district: the API leaves it out
    c.get("/api/v1/tables?year=2021&district=farsta")  # a district of the release: logged
    paths = [r[0] for r in query(app, "SELECT path FROM access_log ORDER BY rowid DESC LIMIT 3")]
    assert paths == ["/api/v1/tables?year=2021&district=farsta", "/api/v1/tables?year=2021", "/?year=2021"]


def test_report_download_is_gated_output(clients):
    r = clients["analytiker"].get("/rapporter/2021/csv")
    lines = r.text.splitlines()
    assert r.status_code == 200 and lines[0] == "# DEMODATA — syntetiska uppgifter" and lines[1].startswith("# Källa:")
    assert lines[2].startswith("table,measure,unit")
    assert 'filename="tables-2021.csv"' in r.headers["content-disposition"]
    html = clients["lasare"].get("/rapporter/2021/html")
    assert html.status_code == 200 and "<html" in html.text


def test_import_checks_against_a_copy_then_discards(app, demo_store, monkeypatch):
    # The server process must hold the store's pseudonymisation key.
    monkeypatch.setenv("LIKSTALL_KEY_FILE", str(demo_store.parent / "secret.key"))
    c = logged_in(app, "admin")
    bad = b"case_id,person_id,district,opened,sex\nAR-NY-1,P-NY-1,farsta,2021-05-01,??\nAR-NY-2,P-NY-2,farsta,2021-05-02,K\n"
    n_before = query(app, "SELECT count(*) FROM cases")[0][0]
    csrf, r = upload(c, [("cases.csv", bad)], extract_date="2022-01-31")
    assert r.status_code == 200 and "invalid_code" in r.text and "Inget är skrivet än" in r.text
    assert "??" not in r.text.split("<main")[1]  # the rule's description, not the value
    assert query(app, "SELECT count(*) FROM cases")[0][0] == n_before
    assert c.post("/import/discard", data={"csrf": csrf}, follow_redirects=False).status_code == 303
    r = c.post("/import", data={"csrf": csrf}, files=[("files", ("notes.exe", b"MZ", "application/octet-stream"))])
    assert r.status_code == 400 and "Bara CSV" in r.text
    monkeypatch.setenv("LIKSTALL_KEY_FILE", str(demo_store.parent / "another.key"))
    _, r = upload(c, [("cases.csv", bad)])
    assert r.status_code == 400 and "annan pseudonymiseringsnyckel" in r.text


def test_import_commit_writes_the_load(app, demo_store, monkeypatch):
    monkeypatch.setenv("LIKSTALL_KEY_FILE", str(demo_store.parent / "secret.key"))
    c = logged_in(app, "admin")
    good = b"case_id,person_id,district,opened,sex\nAR-COMMIT-1,P-COMMIT-1,farsta,2021-06-01,K\n"
    n_before = query(app, "SELECT count(*) FROM cases")[0][0]
    csrf, r = upload(c, [("cases.csv", good)], extract_date="2022-01-31")
    assert r.status_code == 200 and "1 nya" in r.text
    r = c.post("/import/commit", data={"csrf": csrf}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/datakvalitet"
    assert query(app, "SELECT count(*) FROM cases")[0][0] == n_before + 1
    assert query(app, "SELECT count(*) FROM access_log WHERE action = 'import' AND detail = 'committed'")[0][0] == 1


# Ten and twelve digits, with and without a hyphen, and the dashes a word processor or a PDF gives.
PNR_FORMS = ["198001011234", "19800101-1234", "800101-1234", "8001011234", "800101–1234", "19800101—1234",
             "800101−1234", "800101 ‐ 1234"]


def test_error_pages_and_the_access_log_never_keep_a_personnummer(app, db):
    """A personnummer typed as a user name, or put in a URL or query, is in no response body and not
    in the access log."""
    anon = TestClient(app)
    bodies = []
    for pnr in PNR_FORMS:
        bodies.append(login(anon, pnr, "fel-lösenord-123").text)  # failed login page
        bodies.append(anon.get(f"/stadsdel/{pnr}", follow_redirects=False).text)  # redirect to login
        bodies.append(anon.get(f"/api/v1/tables?year={pnr}").text)  # 401
        bodies.append(anon.get(f"/login?fel={pnr}").text)  # the login page never shows a query's text
    c = logged_in(app, "analytiker")
    for pnr in PNR_FORMS:
        for path in (f"/stadsdel/{pnr}", f"/rapporter/2021/{pnr}", f"/rapporter/{pnr}/html", f"/placeringar?year={pnr}",
                     f"/api/v1/tables?year={pnr}", f"/api/v1/tables?table={pnr}", f"/{pnr}", f"/karantan?x={pnr}"):
            r = c.get(path)
            assert r.status_code in (200, 404, 422, 400), (path, r.status_code)
            bodies.append(r.text)
    for body in bodies:
        for pnr in PNR_FORMS:
            assert pnr not in body
    with pytest.raises(LikstallError):
        add_user(db, "198001011234", "lasare", None, PASSWORD)
    log = "\n".join(" ".join(map(str, row)) for row in query(app, "SELECT * FROM access_log"))
    assert "(ogiltigt namn)" in log
    for pnr in PNR_FORMS:
        assert pnr not in log and pnr.replace("-", "") not in log


def test_the_login_page_shows_only_its_own_messages(app):
    r = TestClient(app).get("/login?fel=<b>Ditt konto är spärrat, ring 08-123 456</b>")
    assert r.status_code == 200 and "spärrat" not in r.text and "08-123" not in r.text
    assert CSRF.search(r.text)
