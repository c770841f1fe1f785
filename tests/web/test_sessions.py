"""Server-side sessions (ASVS V3): logout, disabling a user, idle and absolute timeouts end a session at
once; the id is new at every login; one API token can be revoked alone.

Issue 14's row: a cookie captured before POST /logout still worked for 8 h (a client-side signed
cookie holding the user, the CSRF token and the import folder).
"""

from __future__ import annotations

import time

import pytest
from typer.testing import CliRunner

from likstall.cli import app as cli
from likstall.web.app import create_app
from likstall.web.sidedb import side_path
from likstall.web.users import disable_user, new_token, revoke_token
from webkit import client, csrf_of, logged_in, login, make_store


@pytest.fixture(scope="module")
def db(web_template, tmp_path_factory):
    """One store for the module; each test that changes a user has a user of its own."""
    return make_store(web_template, tmp_path_factory.mktemp("sessions"))


def as_user(app, name: str):
    c = client(app)
    assert login(c, name).status_code == 303
    return c


def test_a_cookie_copied_before_logout_is_worth_nothing_after(app):
    c = as_user(app, "kim")
    stolen = c.cookies.get("likstall_session")
    thief = client(app)
    thief.cookies.set("likstall_session", stolen)
    assert thief.get("/karantan", follow_redirects=False).status_code == 200  # a live session
    assert c.post("/logout", data={"csrf": csrf_of(c)}, follow_redirects=False).status_code == 303
    r = thief.get("/karantan", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login"
    assert c.get("/rapporter", follow_redirects=False).status_code == 303


def test_the_cookie_holds_only_a_random_id_and_the_server_only_its_hash(app):
    c = as_user(app, "kim")
    value = c.cookies.get("likstall_session")
    assert len(value) >= 40 and "kim" not in value and "." not in value  # no signed payload
    st = app.state.likstall
    assert st.side.path == side_path(st.db)
    stored = st.side.execute("SELECT * FROM sessions")
    assert stored and all(value not in map(str, row) for row in stored)


def test_disabling_a_user_ends_its_sessions_at_once(app, db):
    c = as_user(app, "dis")
    other = as_user(app, "kim")
    assert c.get("/rapporter", follow_redirects=False).status_code == 200
    disable_user(db, "dis")  # what `likstall user disable` does, from another process or this one
    assert app.state.likstall.side.execute("SELECT count(*) FROM sessions WHERE username = 'dis'")[0][0] == 0
    assert c.get("/rapporter", follow_redirects=False).status_code == 303
    assert other.get("/rapporter", follow_redirects=False).status_code == 200


def test_an_admin_ends_a_users_sessions(app):
    c = as_user(app, "ended")
    admin = logged_in(app, "admin")
    assert "Avsluta sessioner för ended" in admin.get("/anvandare").text
    r = admin.post("/anvandare/ended/logga-ut", data={"csrf": csrf_of(admin)}, follow_redirects=False)
    assert r.status_code == 303
    assert c.get("/rapporter", follow_redirects=False).status_code == 303
    assert admin.get("/anvandare").status_code == 200


def test_idle_and_absolute_timeouts(db):
    app = create_app(db, login_delay=0, session_idle=60, session_max_age=3600)
    sessions = app.state.likstall.sessions
    now = [time.time()]
    sessions.clock = lambda: now[0]
    c = as_user(app, "idle")
    for _ in range(3):  # used every 50 s: stays alive past the idle limit's total
        now[0] += 50
        assert c.get("/rapporter", follow_redirects=False).status_code == 200
    now[0] += 61  # unused for longer than session_idle
    assert c.get("/rapporter", follow_redirects=False).status_code == 303
    c = as_user(app, "idle")
    for _ in range(80):  # used every 50 s, but older than session_max_age in the end
        now[0] += 50
        if c.get("/rapporter", follow_redirects=False).status_code != 200:
            break
    assert now[0] - time.time() >= 3600 - 50 * 3 - 61
    assert c.get("/rapporter", follow_redirects=False).status_code == 303


def test_a_new_session_id_at_every_login(app):
    c = client(app)
    c.get("/login")
    before = dict(c.cookies)
    assert "likstall_session" not in before  # only the login form's own cookie before logging in
    assert login(c, "kim").status_code == 303
    first = c.cookies.get("likstall_session")
    assert login(c, "kim").status_code == 303
    second = c.cookies.get("likstall_session")
    assert first != second
    old = client(app)
    old.cookies.set("likstall_session", first)
    assert old.get("/rapporter", follow_redirects=False).status_code == 303  # the session it replaced is gone
    assert c.get("/rapporter", follow_redirects=False).status_code == 200


def test_one_token_can_be_revoked_alone(app, db):
    c = client(app)
    keep, drop = new_token(db, "tok"), new_token(db, "tok")
    for tok in (keep, drop):
        assert c.get("/api/v1/findings", headers={"Authorization": f"Bearer {tok}"}).status_code == 200
    assert revoke_token(db, drop.split(".")[0]) == "tok"
    assert c.get("/api/v1/findings", headers={"Authorization": f"Bearer {drop}"}).status_code == 401
    assert c.get("/api/v1/findings", headers={"Authorization": f"Bearer {keep}"}).status_code == 200
    assert login(client(app), "tok").status_code == 303  # the user and its other ways in are untouched


def test_cli_lists_and_revokes_a_token(db):
    tok = new_token(db, "kim")
    token_id = tok.split(".")[0]
    listed = CliRunner().invoke(cli, ["user", "tokens", "--db", str(db)])
    assert listed.exit_code == 0 and token_id in listed.output and tok.split(".")[1] not in listed.output
    r = CliRunner().invoke(cli, ["user", "revoke", token_id, "--db", str(db)])
    assert r.exit_code == 0 and token_id in r.output
    listed = CliRunner().invoke(cli, ["user", "tokens", "--db", str(db)])
    assert "spärrad" in listed.output


def test_the_last_use_is_written_once_a_tenth_of_the_idle_limit_has_passed(tmp_path):
    """A request does not write the session's last use when it was written less than a minute ago (a tenth of
    the idle limit, at most 60 s); steady use every 59 s still keeps a session alive for hours."""
    from likstall.web.sessions import Sessions
    from likstall.web.sidedb import SideDB

    now = [1000.0]
    sessions = Sessions(SideDB(tmp_path / "side.sqlite"), idle=1800, max_age=8 * 3600, clock=lambda: now[0])
    assert sessions.touch_every == 60
    cookie, s = sessions.new("anna")
    now[0] += 30
    assert sessions.get(cookie)[0].last_seen == 1000.0  # not written again yet
    now[0] += 31
    sessions.get(cookie)
    now[0] += 1
    assert sessions.get(cookie)[0].last_seen == 1061.0  # written at 61 s
    for _ in range(200):  # 200 × 59 s ≈ 3,3 h of steady use
        now[0] += 59
        assert sessions.get(cookie)[0] is not None
    now[0] += 1801
    assert sessions.get(cookie)[0] is None  # then idle for longer than the limit: gone
    assert Sessions(SideDB(tmp_path / "other.sqlite"), idle=60).touch_every == 6
