"""Dashboard latency: p50 and p99 of the main pages and the API at 1, 10 and 50 concurrent clients.

    python benchmarks/dashboard.py --db STORE [--requests 300] [--seconds 60]

Runs `likstall serve` as users run it (a separate process, uvicorn, loopback), makes an analyst
user with a password and an API token for this run, and lets each client log in through the form
(not timed) and then fetch pages and API routes in turn. Each level is bounded both by a number of
requests and by a time limit; the first request (which builds the year's follow-up) is timed apart.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import numpy as np

PY = sys.executable
PAGES = ["/", "/placeringar", "/vistelsetid", "/shis", "/malgrupper", "/trender", "/stadsdel/{code}"]
API = ["/api/v1/tables", "/api/v1/findings"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def likstall(*args: str, stdin: str | None = None, env=None) -> str:
    return subprocess.run([PY, "-m", "likstall", *args], input=stdin, capture_output=True, text=True, check=True,
                          env=env).stdout


async def login(client: httpx.AsyncClient, user: str, password: str) -> None:
    page = await client.get("/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    r = await client.post("/login", data={"username": user, "password": password, "csrf": csrf})
    if r.status_code != 303:
        raise SystemExit(f"login failed: {r.status_code}")


async def run_level(base: str, user: str, password: str, token: str, code: str, clients: int, max_requests: int,
                    seconds: float) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {"sidor": [], "api": []}
    errors = 0
    issued = 0
    routes = [("sidor", p.format(code=code)) for p in PAGES] + [("api", p) for p in API]

    # Every client logs in first (argon2 on the server, not timed), then all start together.
    sessions = [httpx.AsyncClient(base_url=base, timeout=60) for _ in range(clients)]
    try:
        for c in sessions:
            await login(c, user, password)
        deadline = time.perf_counter() + seconds

        async def client_loop(i: int, c: httpx.AsyncClient) -> None:
            nonlocal issued, errors
            j = i
            while issued < max_requests and time.perf_counter() < deadline:
                issued += 1
                kind, path = routes[j % len(routes)]
                j += 1
                headers = {"Authorization": f"Bearer {token}"} if kind == "api" else {}
                t0 = time.perf_counter()
                r = await c.get(path, headers=headers)
                dt = time.perf_counter() - t0
                if r.status_code != 200:
                    errors += 1
                times[kind].append(dt)

        await asyncio.gather(*(client_loop(i, c) for i, c in enumerate(sessions)))
    finally:
        for c in sessions:
            await c.aclose()
    times["errors"] = [errors]
    return times


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) * 1000 if values else float("nan")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", required=True, type=Path)
    ap.add_argument("--requests", type=int, default=300, help="requests per concurrency level")
    ap.add_argument("--seconds", type=float, default=60, help="time limit per concurrency level")
    ap.add_argument("--levels", default="1,10,50")
    args = ap.parse_args()

    env = dict(os.environ)
    user, password = f"bench{secrets.token_hex(3)}", secrets.token_urlsafe(16)
    likstall("user", "add", user, "--role", "analytiker", "--db", str(args.db), "--password-stdin", stdin=password + "\n",
             env=env)
    token = likstall("user", "token", user, "--db", str(args.db), env=env).strip().splitlines()[-1]
    import duckdb

    con = duckdb.connect(str(args.db), read_only=True)
    code = con.execute("SELECT min(code) FROM districts").fetchone()[0]
    con.close()

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([PY, "-m", "likstall", "serve", "--db", str(args.db), "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    try:
        for _ in range(200):
            try:
                httpx.get(base + "/login", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.1)

        async def first() -> float:
            async with httpx.AsyncClient(base_url=base, timeout=120) as c:
                await login(c, user, password)
                t0 = time.perf_counter()
                await c.get("/")
                return time.perf_counter() - t0

        cold = asyncio.run(first())
        print(f"Första sidvisningen (bygger årets uppföljning): {cold * 1000:.0f} ms\n")
        print("| samtidiga klienter | sidor p50 ms | sidor p99 ms | API p50 ms | API p99 ms | förfrågningar | fel |")
        print("|---|---|---|---|---|---|---|")
        for level in (int(x) for x in args.levels.split(",")):
            t = asyncio.run(run_level(base, user, password, token, code, level, args.requests, args.seconds))
            n = len(t["sidor"]) + len(t["api"])
            print(f"| {level} | {pct(t['sidor'], 50):.0f} | {pct(t['sidor'], 99):.0f} | {pct(t['api'], 50):.0f} | "
                  f"{pct(t['api'], 99):.0f} | {n} | {t['errors'][0]} |", flush=True)
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
