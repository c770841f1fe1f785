"""Fixtures of the web tests: one store with every test user, made once (each argon2 hash costs
~0,5 s), that each module copies."""

from __future__ import annotations

import pytest

from likstall.web.app import create_app
from likstall.web.users import add_user
from webkit import PASSWORD, ROLE_USERS, logged_in, make_template

# Users that single modules change (disable, revoke, end sessions): one each, so modules stay apart.
EXTRA_USERS = {"gone": "analytiker", "extra": "lasare", "lockme": "lasare", "off": "lasare", "kim": "analytiker",
               "dis": "analytiker", "ended": "analytiker", "idle": "analytiker", "tok": "analytiker"}


@pytest.fixture(scope="session")
def web_template(demo_released, tmp_path_factory):
    path = make_template(demo_released, tmp_path_factory.mktemp("web_template"))
    for name, role in EXTRA_USERS.items():
        add_user(path, name, role, None, PASSWORD)
    add_user(path, "nopass", "lasare", None, None)
    assert len(ROLE_USERS) == 4
    return path


# Each module makes its own store (`db`); the app over it and one logged-in client per role are the same
# everywhere, once per module (logins cost an argon2 check each).
@pytest.fixture(scope="module")
def app(db):
    return create_app(db, login_delay=0)


@pytest.fixture(scope="module")
def clients(app):
    """One logged-in client per role, for the whole module."""
    return {role: logged_in(app, role) for role in ROLE_USERS}
