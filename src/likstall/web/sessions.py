"""Server-side sessions (ASVS V3): the browser holds only a random id; the server holds who it is.

The cookie carries 256 random bits; the side file keeps their SHA-256, the user, the CSRF token and
the session's staged import. So logout, disabling the user (`likstall user disable`, which deletes
the rows) and the idle or absolute timeout end a session at once, and a cookie copied before that
is worth nothing. A new id is made at every login (no fixation).
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass

from .sidedb import SideDB

COLUMNS = "id_hash, username, csrf, created, last_seen, staging, staging_date"


@dataclass(frozen=True)
class Session:
    id_hash: str
    username: str
    csrf: str
    created: float
    last_seen: float
    staging: str | None = None
    staging_date: str | None = None


def _hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


class Sessions:
    def __init__(self, side: SideDB, *, idle: float = 30 * 60, max_age: float = 8 * 3600, clock=time.time):
        self.side, self.idle, self.max_age, self.clock = side, idle, max_age, clock
        # A session's last use is written again once it is this old: a session used steadily ends at most
        # this much before `idle` after its last request (a minute for the default half hour).
        self.touch_every = min(60.0, idle / 10)

    def new(self, username: str) -> tuple[str, Session]:
        """A new session; returns the cookie value (shown to the browser only) and the session."""
        session_id, now = secrets.token_urlsafe(32), self.clock()
        s = Session(_hash(session_id), username, secrets.token_urlsafe(32), now, now)
        self.side.execute(f"INSERT INTO sessions ({COLUMNS}) VALUES (?, ?, ?, ?, ?, NULL, NULL)",
                          [s.id_hash, s.username, s.csrf, s.created, s.last_seen])
        return session_id, s

    def _live(self, s: Session, now: float) -> bool:
        return now - s.last_seen <= self.idle and now - s.created <= self.max_age

    def get(self, session_id: str | None) -> tuple[Session | None, str | None]:
        """The live session of a cookie value (its last use set to now), and the staged import of a
        session that has just expired (for the caller to delete)."""
        if not session_id or len(session_id) > 100:
            return None, None
        rows = self.side.execute(f"SELECT {COLUMNS} FROM sessions WHERE id_hash = ?", [_hash(session_id)])
        if not rows:
            return None, None
        s, now = Session(*rows[0]), self.clock()
        if not self._live(s, now):
            self.side.execute("DELETE FROM sessions WHERE id_hash = ?", [s.id_hash])
            return None, s.staging
        if now - s.last_seen >= self.touch_every:
            # Not at every request: a write per request was a tenth of a cached page's time, and the idle
            # limit only needs the last use to within a tenth of it (at most a minute).
            self.side.execute("UPDATE sessions SET last_seen = ? WHERE id_hash = ?", [now, s.id_hash])
        return s, None

    def end(self, s: Session) -> str | None:
        """End one session; returns its staged import, if any."""
        rows = self.side.execute("DELETE FROM sessions WHERE id_hash = ? RETURNING staging", [s.id_hash])
        return rows[0][0] if rows else None

    def end_user(self, username: str) -> list[str | None]:
        """End every session of a user; returns one entry (its staged import or None) per session."""
        return [r[0] for r in self.side.execute("DELETE FROM sessions WHERE username = ? RETURNING staging",
                                                [username])]

    def set_staging(self, s: Session, name: str | None, date: str | None) -> None:
        self.side.execute("UPDATE sessions SET staging = ?, staging_date = ? WHERE id_hash = ?", [name, date, s.id_hash])

    def sweep(self) -> tuple[list[str], set[str]]:
        """End expired sessions: (their staged imports, the staged imports of the sessions still live)."""
        now = self.clock()
        gone = self.side.execute("DELETE FROM sessions WHERE ? - last_seen > ? OR ? - created > ? RETURNING staging",
                                 [now, self.idle, now, self.max_age])
        live = self.side.execute("SELECT staging FROM sessions WHERE staging IS NOT NULL")
        return [r[0] for r in gone if r[0]], {r[0] for r in live}

    def per_user(self) -> dict[str, int]:
        return dict(self.side.execute("SELECT username, count(*) FROM sessions GROUP BY username"))
