"""Pages and API answers of a release are rendered once and served from memory (web/pagecache.py):
the cache is keyed so that one role or district never sees another's page, no person's name or CSRF
token is shared, drafts are never cached, and every request is still checked and logged."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from likstall.web.users import add_user
from webkit import CSRF, PASSWORD, ROLE_USERS, csrf_of, login, make_store

PUBLISHED = ["/", "/placeringar", "/trender", "/jamfor", "/jamfor?sortera=stadsdel&ordning=fallande",
             "/indikatorer", "/stadsdel/farsta", "/stadsdel/bromma"]


@pytest.fixture(scope="module")
def db(web_template, tmp_path_factory):
    path = make_store(web_template, tmp_path_factory.mktemp("pagecache"))
    add_user(path, "bo", "stadsdel", "bromma", PASSWORD)
    return path


def menu(html: str) -> str:
    return re.search(r'<nav aria-label="Huvudmeny">.*?</nav>', html, re.S).group(0)


def shown_user(html: str) -> str:
    return re.search(r'<form method="post" action="/logout" class="logout">.*?<span>(.*?)</span>', html, re.S).group(1)


def test_each_role_gets_its_own_menu_name_and_token_from_the_cache(app, clients):
    for path in PUBLISHED:
        pages = {role: clients[role].get(path) for role in ROLE_USERS}
        again = {role: clients[role].get(path) for role in ROLE_USERS}  # now from the cache
        for role, (name, district) in ROLE_USERS.items():
            for r in (pages[role], again[role]):
                assert r.status_code == 200, (path, role)
                assert shown_user(r.text) == f"{name} ({role}{', ' + district if district else ''})"
                assert CSRF.search(r.text).group(1) == csrf_of(clients[role])
                assert "\x1e" not in r.text  # no marker left
        assert ">Import<" in menu(pages["admin"].text) and ">Import<" not in menu(pages["lasare"].text)
        assert ">Karantän<" in menu(pages["stadsdel"].text) and ">Karantän<" not in menu(pages["lasare"].text)
        assert 'href="/stadsdel/farsta"' in menu(pages["stadsdel"].text)
        assert "Min stadsdel" not in menu(pages["analytiker"].text)
    assert app.state.likstall.pages.hits > 0


def test_two_district_users_each_see_their_own_district_in_the_menu(app, clients):
    bo = TestClient(app)
    assert login(bo, "bo").status_code == 303
    fia = clients["stadsdel"]
    for path in ("/", "/stadsdel/farsta"):
        a, b = fia.get(path).text, bo.get(path).text
        assert 'href="/stadsdel/farsta"' in menu(a) and 'href="/stadsdel/bromma"' not in menu(a)
        assert 'href="/stadsdel/bromma"' in menu(b) and 'href="/stadsdel/farsta"' not in menu(b)
        assert shown_user(b) == "bo (stadsdel, bromma)"


def test_a_draft_is_never_cached_nor_shown_to_a_reader(app, clients):
    st = app.state.likstall
    for path in ("/?utkast=1", "/jamfor?utkast=1"):
        assert clients["analytiker"].get(path).status_code == 200
        assert "UTKAST" in clients["analytiker"].get(path).text
    assert not any("utkast" in str(k) or "draft" in str(k) for k in st.pages._items)
    for role in ("lasare", "stadsdel"):
        assert clients[role].get("/?utkast=1").status_code == 403
        assert "UTKAST" not in clients[role].get("/").text
        assert "UTKAST" not in clients[role].get("/jamfor").text


def test_every_cached_request_is_still_logged_and_still_needs_a_session(app, clients):
    st = app.state.likstall
    before = st.access.rows("SELECT count(*) FROM access_log WHERE username = 'lo' AND path = '/trender'")[0][0]
    for _ in range(5):
        assert clients["lasare"].get("/trender").status_code == 200
    after = st.access.rows("SELECT count(*) FROM access_log WHERE username = 'lo' AND path = '/trender'")[0][0]
    assert after - before == 5
    anon = TestClient(app)
    assert anon.get("/trender", follow_redirects=False).status_code == 303
    assert anon.get("/api/v1/tables?year=2021").status_code == 401


def test_cached_api_answers_equal_the_uncached_ones_and_filters_stay_apart(app, clients):
    c = clients["lasare"]
    whole = c.get("/api/v1/tables?year=2021").json()
    farsta = c.get("/api/v1/tables?year=2021&district=farsta").json()
    assert farsta["rows"] and {r["district"] for r in farsta["rows"]} == {"farsta"}
    assert [r for r in whole["rows"] if r["district"] == "farsta"] == farsta["rows"]
    assert c.get("/api/v1/tables?year=2021&district=nowhere").json()["rows"] == []
    assert c.get("/api/v1/tables?year=2021&district=farsta").json() == farsta  # cached
    one = c.get("/api/v1/tables?year=2021&table=victims_by_region").json()
    assert {r["table"] for r in one["rows"]} == {"victims_by_region"}
    assert c.get("/api/v1/findings").json() == c.get("/api/v1/findings?year=2021").json()


def test_a_rendered_page_or_answer_is_served_on_the_event_loop_with_the_same_bytes(app, clients, db, monkeypatch):
    """The first request builds on a worker thread; once rendered, the same page (and API answer, with a
    token checked before) is answered on the event loop: no worker thread, the same bytes, still logged."""
    from likstall.web.routes import api as api_routes
    from likstall.web.routes import pages as page_routes
    from likstall.web.users import new_token

    hops = []

    async def counted(fn, *args):
        hops.append(fn.__name__)
        return fn(*args)

    monkeypatch.setattr(page_routes, "run_in_threadpool", counted)
    monkeypatch.setattr(api_routes, "run_in_threadpool", counted)
    app.state.likstall.pages.clear()
    c = clients["lasare"]
    st = app.state.likstall
    logged = lambda: st.access.rows("SELECT count(*) FROM access_log WHERE username = 'lo'")[0][0]  # noqa: E731
    for path in ("/shis", "/stadsdel/farsta"):
        n = logged()
        first, again = c.get(path), c.get(path)
        assert first.status_code == again.status_code == 200 and first.content == again.content
        assert logged() - n == 2
    assert hops == ["section_page", "district_page"]  # built once each, then never a worker thread
    assert c.get("/stadsdel/ingenstans").status_code == 404  # never rendered: the long way, refused there
    token = new_token(db, "lo")
    api = TestClient(app)
    hops.clear()
    answers = [api.get("/api/v1/tables?year=2021&district=farsta", headers={"Authorization": f"Bearer {token}"})
               for _ in range(3)]
    assert {a.status_code for a in answers} == {200} and answers[0].content == answers[1].content == answers[2].content
    # The first: an argon2 check of the token (dependency on a thread) and the answer encoded (route on a
    # thread); then both from memory.
    assert hops == ["tables"]
