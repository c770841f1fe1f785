"""The floor of the dashboard benchmark: a bare ASGI app with no framework, no session, no log and no
template, under the same load (`dashboard.py` runs it with uvicorn beside `likstall serve`).

It answers the benchmark's login form (a page with a CSRF field, then a 303) and every other path
with a fixed body of the same size as likstall's answer to it (`BARE_SIZES`, JSON {path: bytes},
measured by dashboard.py just before), compressed the same way when likstall compressed it
(`BARE_GZIP`: the paths). What it costs is uvicorn, the loopback socket and the client itself.
"""

from __future__ import annotations

import gzip
import json
import os

SIZES = json.loads(os.environ.get("BARE_SIZES", "{}"))
GZIPPED = set(json.loads(os.environ.get("BARE_GZIP", "[]")))
LOGIN = b'<form><input type="hidden" name="csrf" value="floor"></form>'
BODIES = {p: (b'{"x":"' + b"x" * max(0, n - 8) + b'"}') if p.startswith("/api/") else b"x" * n for p, n in SIZES.items()}
ZIPPED = {p: gzip.compress(b, 5, mtime=0) for p, b in BODIES.items() if p in GZIPPED}


async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    while True:  # read the body (the login form)
        message = await receive()
        if not message.get("more_body"):
            break
    path, method = scope["path"], scope["method"]
    if path == "/login" and method == "POST":
        await send({"type": "http.response.start", "status": 303,
                    "headers": [(b"location", b"/"), (b"set-cookie", b"s=1; Path=/; HttpOnly")]})
        await send({"type": "http.response.body", "body": b""})
        return
    headers = [(b"content-type", b"application/json" if path.startswith("/api/") else b"text/html; charset=utf-8")]
    if path == "/login":
        body = LOGIN
    elif path in ZIPPED and b"gzip" in dict(scope["headers"]).get(b"accept-encoding", b""):
        body = ZIPPED[path]
        headers.append((b"content-encoding", b"gzip"))
    else:
        body = BODIES.get(path, b"x" * 30_000)
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})
