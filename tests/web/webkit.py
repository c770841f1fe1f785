"""Shared helpers for the web tests: a store with one user per role, logging in, CSRF tokens."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from fastapi.testclient import TestClient

from likstall.web.users import add_user

PASSWORD = "ett-langt-losenord"
ROLE_USERS = {"admin": ("anna", None), "analytiker": ("ali", None), "stadsdel": ("fia", "farsta"), "lasare": ("lo", None)}
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def make_store(demo_store: Path, folder: Path, name: str = "web.duckdb") -> Path:
    """A copy of the demo store with one user per role (and their key file next to the demo store)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    shutil.copy(demo_store, path)
    for role, (user, district) in ROLE_USERS.items():
        add_user(path, user, role, district, PASSWORD)
    return path


def client(app, address: str = "testclient") -> TestClient:
    """A test client that the server sees as coming from `address` (for per-client throttling)."""
    return TestClient(app, client=(address, 50000))


def login(c: TestClient, name: str, password: str = PASSWORD):
    page = c.get("/login")
    csrf = CSRF.search(page.text).group(1)
    return c.post("/login", data={"username": name, "password": password, "csrf": csrf}, follow_redirects=False)


def logged_in(app, role: str, address: str = "testclient") -> TestClient:
    c = client(app, address)
    r = login(c, ROLE_USERS[role][0])
    assert r.status_code == 303, (r.status_code, r.text[:300])
    return c


def csrf_of(c: TestClient, path: str = "/rapporter") -> str:
    return CSRF.search(c.get(path).text).group(1)


def upload(c: TestClient, files: list[tuple[str, bytes]], **form):
    """Post files to the import page with the page's CSRF token; returns (csrf, response)."""
    csrf = csrf_of(c, "/import")
    r = c.post("/import", data={"csrf": csrf, **form},
               files=[("files", (name, data, "application/octet-stream")) for name, data in files])
    return csrf, r
