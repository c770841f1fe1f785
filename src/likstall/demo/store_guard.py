"""What `likstall demo` would lose by starting its store from scratch.

The demo rebuilds `likstall-demo.duckdb` every run. What it made itself (its releases, the `demo`
login of `--serve`) it makes again; what someone added since — users, API keys, other releases — would
be gone. The demo records what it made in the store's meta table; `foreign` lists the rest.
"""

from __future__ import annotations

import json
from pathlib import Path

MADE = "demo_made"  # meta key: {"releases": [...], "users": [...]}


def record(con, *, releases=(), users=()) -> None:
    """Add to what the demo made (called by the demo on its own store)."""
    from ..store.connection import get_meta

    made = json.loads(get_meta(con, MADE) or '{"releases": [], "users": []}')
    made["releases"] = sorted({*made["releases"], *map(int, releases)})
    made["users"] = sorted({*made["users"], *users})
    con.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", [MADE, json.dumps(made)])


def foreign(db: Path) -> list[str]:
    """What the store holds that the demo did not make, in words ("2 användare (anna, fia)", …); empty
    when the demo may start again without asking."""
    from ..store.connection import connect, get_meta

    con = connect(db, read_only=True)
    try:
        made = json.loads(get_meta(con, MADE) or '{"releases": [], "users": []}')
        users = [u for (u,) in con.execute("SELECT username FROM users ORDER BY 1").fetchall()
                 if u not in made["users"]]
        tokens = con.execute("SELECT count(*) FROM api_tokens").fetchone()[0]
        releases = [r for (r,) in con.execute("SELECT release_id FROM releases ORDER BY 1").fetchall()
                    if r not in made["releases"]]
    finally:
        con.close()
    out = []
    if users:
        out.append(f"{len(users)} användare ({', '.join(users[:5])}{' …' if len(users) > 5 else ''})")
    if tokens:
        out.append(f"{tokens} API-nycklar")
    if releases:
        out.append(f"{len(releases)} releaser som demon inte gjorde (id {', '.join(map(str, releases[:5]))})")
    return out
