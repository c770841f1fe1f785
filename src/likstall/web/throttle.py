"""Login throttling (ASVS V2.2.1): increasing delays per name and client, reserved before the password
is checked.

The failure is counted when an attempt is *let through*, before argon2 runs, and taken back when the
password was right. So forty parallel attempts see each other: the first `free` go on to the
password check and the rest are told to wait, whatever order the checks finish in. Nothing locks:
an attempt is only ever asked to wait, and the wait that anonymous traffic can impose on an account
from other clients is capped low (`max_per_account`), so the owner is slowed, never shut out.

The counters live in this process's memory, keyed by name and client address (never logged);
a restart forgets them. Entries idle longer than `forget_after` are dropped. With several server
processes (`likstall serve --workers N`) they live in the server's side file instead
(`SharedLoginThrottle`), so that an attacker whose attempts land on different processes meets one
counter, not N; each reservation is one write transaction there, so parallel attempts still see
each other.
"""

from __future__ import annotations

import json
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass

from .settings import LoginPolicy

MAX_ENTRIES = 100_000  # beyond this, idle entries go first, then the oldest half


@dataclass
class _Count:
    failures: int = 0
    last: float = 0.0
    not_before: float = 0.0


@dataclass(frozen=True)
class Reservation:
    name: str
    client: str


class LoginThrottle:
    def __init__(self, policy: LoginPolicy, clock=time.monotonic):
        self.policy = policy
        self.clock = clock
        self._lock = threading.Lock()
        self._counts: dict[tuple, _Count] = {}

    def _scopes(self, name: str, client: str) -> list[tuple[tuple, int, float]]:
        p = self.policy
        return [(("pair", name, client), p.free_per_client, p.max_per_client),
                (("account", name), p.free_per_account, p.max_per_account),
                (("address", client), p.free_per_address, p.max_per_address)]

    def _delay(self, failures: int, free: int, cap: float) -> float:
        if failures < free:
            return 0.0
        return min(cap, self.policy.delay * 2 ** min(failures - free, 40))

    @contextmanager
    def _scope_counts(self, keys: list[tuple]):
        """The counts of `keys` (missing ones absent), to read and change under one lock; a key set to
        None is deleted."""
        with self._lock:
            self._prune(self.clock())
            counts = {k: self._counts[k] for k in keys if k in self._counts}
            yield counts
            for k, c in counts.items():
                if c is None:
                    self._counts.pop(k, None)
                else:
                    self._counts[k] = c

    def reserve(self, name: str, client: str) -> Reservation | float:
        """A reservation to check one password, or the seconds the caller must wait first."""
        now = self.clock()
        scopes = self._scopes(name, client)
        with self._scope_counts([k for k, _, _ in scopes]) as counts:
            wait = 0.0
            for key, _, _ in scopes:
                c = counts.get(key)
                if c is not None and now - c.last > self.policy.forget_after:
                    counts[key] = None
                elif c is not None:
                    wait = max(wait, c.not_before - now)
            if wait > 0:
                return wait
            for key, free, cap in scopes:
                c = counts.get(key) or _Count()
                c.failures += 1
                c.last = now
                c.not_before = now + self._delay(c.failures, free, cap)
                counts[key] = c
            return Reservation(name, client)

    def _give_back(self, res: Reservation, *, forget_pair: bool) -> None:
        scopes = self._scopes(res.name, res.client)
        with self._scope_counts([k for k, _, _ in scopes]) as counts:
            for key, free, cap in scopes:
                c = counts.get(key)
                if c is None:
                    continue
                if forget_pair and key[0] == "pair":
                    counts[key] = None
                    continue
                c.failures = max(0, c.failures - 1)
                c.not_before = min(c.not_before, c.last + self._delay(c.failures, free, cap))

    def succeeded(self, res: Reservation) -> None:
        """The password was right: this name and client start afresh; the failure reserved against the
        account and the address is taken back (earlier failures from others still count)."""
        self._give_back(res, forget_pair=True)

    def not_checked(self, res: Reservation) -> None:
        """The check never ran (the server was busy): take the reservation back entirely."""
        self._give_back(res, forget_pair=False)

    def _prune(self, now: float) -> None:
        if len(self._counts) < MAX_ENTRIES:
            return
        for key in [k for k, c in self._counts.items() if now - c.last > self.policy.forget_after]:
            del self._counts[key]
        if len(self._counts) >= MAX_ENTRIES:
            for key, _ in sorted(self._counts.items(), key=lambda kv: kv[1].last)[: len(self._counts) // 2]:
                del self._counts[key]


class SharedLoginThrottle(LoginThrottle):
    """The same throttle with its counters in the side file (`<store>.access.sqlite`), shared by every
    server process; wall-clock time, since the processes' monotonic clocks are not comparable."""

    def __init__(self, policy: LoginPolicy, side, clock=time.time):
        super().__init__(policy, clock)
        self.side = side
        side.execute("CREATE TABLE IF NOT EXISTS login_counts (scope TEXT PRIMARY KEY, failures INTEGER NOT NULL, "
                     "last REAL NOT NULL, not_before REAL NOT NULL)")

    @contextmanager
    def _scope_counts(self, keys: list[tuple]):
        names = {json.dumps(k): k for k in keys}
        with self.side.transaction() as con:  # BEGIN IMMEDIATE: one reservation at a time over all processes
            con.execute("DELETE FROM login_counts WHERE ? - last > ?", [self.clock(), self.policy.forget_after])
            marks = ",".join("?" * len(names))
            counts = {names[r[0]]: _Count(r[1], r[2], r[3]) for r in con.execute(
                f"SELECT scope, failures, last, not_before FROM login_counts WHERE scope IN ({marks})", list(names))}
            yield counts
            for k, c in counts.items():
                if c is None:
                    con.execute("DELETE FROM login_counts WHERE scope = ?", [json.dumps(k)])
                else:
                    con.execute("INSERT OR REPLACE INTO login_counts VALUES (?, ?, ?, ?)",
                                [json.dumps(k), c.failures, c.last, c.not_before])
