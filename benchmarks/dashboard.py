"""Dashboard latency: p50 and p99 of the main pages and the API at 1, 10 and 50 concurrent clients.

    python benchmarks/dashboard.py --db STORE [--requests 300] [--seconds 60] [--workers 1,2] [--repeat 1]

Runs `likstall serve` as users run it (a separate process, uvicorn, loopback), makes an analyst
user with a password and an API token for this run, and lets each client log in through the form
(not timed) and then fetch pages and API routes in turn. Each level is bounded both by a number of
requests and by a time limit; the first request (which builds the year's follow-up) is timed apart.

In the same run, under the same load, the floor: `bare_asgi.py` (an ASGI app with no framework,
session, log or template, bodies of the same size) under uvicorn with the same number of processes.
`--workers 1,2` measures `likstall serve --workers 1` and `--workers 2` (and the floor for each);
`--repeat N` goes through them N times in turn, since the machine's other load changes.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import numpy as np

PY = sys.executable
HERE = Path(__file__).resolve().parent
# The floor runs under uvicorn exactly as `likstall serve` does (same protocol class, same processes).
BARE = """
import sys, uvicorn
sys.path.insert(0, sys.argv[1])
from likstall.web.serving import NoDelayH11Protocol
uvicorn.run("bare_asgi:app", port=int(sys.argv[2]), workers=int(sys.argv[3]), http=NoDelayH11Protocol,
            log_level="warning", access_log=False)
"""
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
    """`clients` clients, each sending its next request when the last one is answered (a closed loop)."""
    times: dict[str, list[float]] = {"sidor": [], "api": []}
    errors = 0
    issued = 0
    routes = routes_of(code)

    # Every client logs in first (argon2 on the server, not timed), then all start together.
    sessions = [httpx.AsyncClient(base_url=base, timeout=60) for _ in range(clients)]
    try:
        for c in sessions:
            await login(c, user, password)
        started = time.perf_counter()
        deadline = started + seconds

        async def client_loop(i: int, c: httpx.AsyncClient) -> None:
            nonlocal issued, errors
            j = i
            while issued < max_requests and time.perf_counter() < deadline:
                issued += 1
                kind, path = routes[j % len(routes)]
                j += 1
                headers = {"Authorization": f"Bearer {token}"} if kind == "api" else {}
                t0 = time.perf_counter()
                try:
                    r = await c.get(path, headers=headers)
                except httpx.RemoteProtocolError:
                    # The server closed an idle keep-alive connection (uvicorn: after 5 s) just as it was
                    # reused; a browser retries the same way. The time includes the retry.
                    r = await c.get(path, headers=headers)
                dt = time.perf_counter() - t0
                if r.status_code != 200:
                    errors += 1
                times[kind].append(dt)

        await asyncio.gather(*(client_loop(i, c) for i, c in enumerate(sessions)))
        times["wall"] = [time.perf_counter() - started]
    finally:
        for c in sessions:
            await c.aclose()
    times["errors"] = [errors]
    return times


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) * 1000 if values else float("nan")


def wait_for(base: str, proc: subprocess.Popen) -> None:
    for _ in range(300):
        if proc.poll() is not None:
            raise SystemExit(f"the server exited ({proc.returncode})")
        try:
            httpx.get(base + "/login", timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise SystemExit("the server did not start")


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def routes_of(code: str) -> list[tuple[str, str]]:
    return [("sidor", p.format(code=code)) for p in PAGES] + [("api", p) for p in API]


async def sizes_of(base: str, user: str, password: str, token: str, code: str) -> tuple[dict, list]:
    """The size of each answer (uncompressed) and the paths answered with gzip."""
    sizes, gzipped = {}, []
    async with httpx.AsyncClient(base_url=base, timeout=120) as c:
        await login(c, user, password)
        for kind, path in routes_of(code):
            r = await c.get(path, headers={"Authorization": f"Bearer {token}"} if kind == "api" else {})
            sizes[path] = len(r.content)
            if r.headers.get("content-encoding") == "gzip":
                gzipped.append(path)
    return sizes, gzipped


async def warm_up(base: str, user: str, password: str, token: str, code: str, clients: int) -> float:
    """Untimed: `clients` connections fetch every route once, so that every server process has built its
    pages before the levels are timed (the first visit is timed apart)."""
    t0 = time.perf_counter()
    sessions = [httpx.AsyncClient(base_url=base, timeout=120) for _ in range(clients)]
    try:
        for c in sessions:
            await login(c, user, password)

        async def one(c):
            for kind, path in routes_of(code):
                await c.get(path, headers={"Authorization": f"Bearer {token}"} if kind == "api" else {})
        await asyncio.gather(*(one(c) for c in sessions))
    finally:
        for c in sessions:
            await c.aclose()
    return time.perf_counter() - t0


def lua_list(items: list[str]) -> str:
    return "{" + ", ".join(json.dumps(i) for i in items) + "}"


async def sessions_for(base: str, user: str, password: str, n: int) -> list[str]:
    """`n` logged-in sessions (the form, not timed): their Cookie headers."""
    out = []
    for _ in range(n):
        async with httpx.AsyncClient(base_url=base, timeout=120) as c:
            await login(c, user, password)
            out.append("; ".join(f"{k}={v}" for k, v in c.cookies.items()))
    return out


def run_level_wrk(base: str, user: str, password: str, token: str, code: str, clients: int,
                  seconds: float) -> dict[str, dict]:
    """`clients` connections under wrk (C, a thread and a session each), pages and API apart: a closed loop
    like `run_level`, but the load generator itself costs the machine almost nothing, so the server gets the
    cores. Latency percentiles are wrk's (every request)."""
    import tempfile

    cookies = asyncio.run(sessions_for(base, user, password, clients))
    out = {}
    for kind in ("sidor", "api"):
        paths = [p for k, p in routes_of(code) if k == kind]
        script = (HERE / "dashboard_wrk.lua").read_text().replace("__PATHS__", lua_list(paths)).replace(
            "__COOKIES__", lua_list(cookies if kind == "sidor" else [""])).replace(
            "__AUTH__", json.dumps(f"Bearer {token}" if kind == "api" else ""))
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
            f.write(script)
        try:
            run = subprocess.run(["wrk", "-t", str(clients), "-c", str(clients), "-d", f"{seconds:g}s", "--latency",
                                  "--timeout", "10s", "-s", f.name, base], capture_output=True, text=True, check=True)
        finally:
            os.unlink(f.name)
        line = next(ln for ln in run.stdout.splitlines() if ln.startswith("RESULT "))
        out[kind] = {k: float(v) for k, v in (kv.split("=") for kv in line.split()[1:])}
    return out


def measure(name: str, cmd: list[str], port: int, env, user: str, password: str, token: str, code: str,
            args) -> tuple[dict, list]:
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    try:
        wait_for(base, server)

        async def first() -> float:
            async with httpx.AsyncClient(base_url=base, timeout=120) as c:
                await login(c, user, password)
                t0 = time.perf_counter()
                await c.get("/")
                return time.perf_counter() - t0

        cold = asyncio.run(first())
        answers = asyncio.run(sizes_of(base, user, password, token, code))  # (sizes, gzipped)
        warm = asyncio.run(warm_up(base, user, password, token, code, max(int(x) for x in args.levels.split(","))))
        for level in (int(x) for x in args.levels.split(",")):
            if args.load == "wrk":
                r = run_level_wrk(base, user, password, token, code, level, args.seconds)
                n = r["sidor"]["requests"] + r["api"]["requests"]
                wall = r["sidor"]["seconds"] + r["api"]["seconds"]
                bad = r["sidor"]["not_ok"] + r["api"]["not_ok"] + r["sidor"]["errors"] + r["api"]["errors"]
                print(f"| {name} (wrk) | {level} | {r['sidor']['p50']:.0f} | {r['sidor']['p99']:.0f} | "
                      f"{r['api']['p50']:.0f} | {r['api']['p99']:.0f} | {n:.0f} | {n / wall:.0f} | {bad:.0f} | "
                      f"{cold * 1000:.0f} | {warm:.1f} |", flush=True)
                continue
            t = asyncio.run(run_level(base, user, password, token, code, level, args.requests, args.seconds))
            n = len(t["sidor"]) + len(t["api"])
            wall = t["wall"][0]
            print(f"| {name} | {level} | {pct(t['sidor'], 50):.0f} | {pct(t['sidor'], 99):.0f} | "
                  f"{pct(t['api'], 50):.0f} | {pct(t['api'], 99):.0f} | {n} | {n / wall:.0f} | {t['errors'][0]} | "
                  f"{cold * 1000:.0f} | {warm:.1f} |", flush=True)
        return answers
    finally:
        stop(server)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", required=True, type=Path)
    ap.add_argument("--requests", type=int, default=300, help="requests per concurrency level")
    ap.add_argument("--seconds", type=float, default=60, help="time limit per concurrency level")
    ap.add_argument("--levels", default="1,10,50")
    ap.add_argument("--workers", default="1", help="comma-separated: server processes to measure, e.g. 1,2")
    ap.add_argument("--repeat", type=int, default=1, help="go through the servers this many times, in turn")
    ap.add_argument("--no-floor", action="store_true", help="skip the bare ASGI app")
    ap.add_argument("--compare-python", type=Path,
                    help="also measure `likstall serve` run by this interpreter (e.g. an older checkout's "
                         ".venv/bin/python, one process, no --workers flag) in the same run")
    ap.add_argument("--load", choices=("wrk", "httpx"), default="wrk" if shutil.which("wrk") else "httpx",
                    help="the load generator: wrk (Debian's package; C, so the server gets the cores; default "
                         "when installed) or httpx (Python, in this process)")
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

    print(f"Machine: {os.cpu_count()} cores, load average {' '.join(f'{x:.1f}' for x in os.getloadavg())} at start\n")
    print("| server | samtidiga klienter | sidor p50 ms | sidor p99 ms | API p50 ms | API p99 ms | förfrågningar | "
          "per s | fel | första sidan ms | uppvärmning s |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for _ in range(args.repeat):
        if args.compare_python:
            port = free_port()
            measure(f"jämförelse ({args.compare_python.parent.parent.parent.name}), 1 process",
                    [str(args.compare_python), "-m", "likstall", "serve", "--db", str(args.db), "--port", str(port)],
                    port, env, user, password, token, code, args)
        for w in (int(x) for x in args.workers.split(",")):
            port = free_port()
            sizes, gzipped = measure(f"likstall serve --workers {w}", [PY, "-m", "likstall", "serve", "--db",
                                                                      str(args.db), "--port", str(port), "--workers",
                                                                      str(w)],
                                     port, env, user, password, token, code, args)
            if not args.no_floor:
                port = free_port()
                bare_env = {**env, "BARE_SIZES": json.dumps(sizes), "BARE_GZIP": json.dumps(gzipped)}
                measure(f"bart ASGI (golv), {w} {'process' if w == 1 else 'processer'}",
                        [PY, "-c", BARE, str(HERE), str(port), str(w)],
                        port, bare_env, user, password, token, code, args)
    print(f"\nLoad average at the end: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
