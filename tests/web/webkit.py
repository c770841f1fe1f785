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


def make_template(demo_store: Path, folder: Path, name: str = "web.duckdb") -> Path:
    """A copy of the demo store with one user per role (the key file stays next to the demo store)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    shutil.copy(demo_store, path)
    for role, (user, district) in ROLE_USERS.items():
        add_user(path, user, role, district, PASSWORD)
    return path


def make_store(template: Path, folder: Path, name: str = "web.duckdb") -> Path:
    """A private copy of the web tests' store (conftest's `web_template`: the demo store and its users)."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(template, folder / name)
    return folder / name


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


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Served:
    """An app served by uvicorn on loopback in a thread (for tests that need real sockets)."""

    def __init__(self, app):
        import threading
        import time

        import uvicorn

        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning",
                                                    access_log=False))
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        for _ in range(200):
            if self.server.started:
                break
            time.sleep(0.05)

    def close(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def raw_request(port: int, head: str, body_parts=(), timeout: float = 5.0) -> tuple[str, float]:
    """Send a request's head and then its body parts one by one on a raw socket, stopping as soon as an
    answer arrives; return the answer's first line and the seconds until it came."""
    import select
    import socket
    import time

    t0 = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(head.encode())
        parts, got = list(body_parts), b""
        while time.monotonic() - t0 < timeout and b"\r\n" not in got:
            readable, _, _ = select.select([s], [], [], 0.01 if parts else 0.2)
            if readable:
                try:
                    chunk = s.recv(65536)
                except ConnectionResetError:
                    break
                if not chunk:
                    break
                got += chunk
            elif parts:
                try:
                    s.sendall(parts.pop(0))
                except (BrokenPipeError, ConnectionResetError):
                    parts = []
        return got.split(b"\r\n")[0].decode(errors="replace"), time.monotonic() - t0
