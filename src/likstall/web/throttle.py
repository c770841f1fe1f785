"""Login throttling (ASVS V2.2.1): increasing delays per name and client, reserved before the password
is checked.

The failure is counted when an attempt is *let through*, before argon2 runs, and taken back when the
password was right. So forty parallel attempts see each other: the first `free` go on to the
password check and the rest are told to wait, whatever order the checks finish in. Nothing locks:
an attempt is only ever asked to wait, and the wait that anonymous traffic can impose on an account
from other clients is capped low (`max_per_account`), so the owner is slowed, never shut out.

The counters live in this process's memory, keyed by name and client address (never logged);
a restart forgets them. Entries idle longer than `forget_after` are dropped.
"""

from __future__ import annotations

import threading
import time
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

    def reserve(self, name: str, client: str) -> Reservation | float:
        """A reservation to check one password, or the seconds the caller must wait first."""
        now = self.clock()
        with self._lock:
            self._prune(now)
            scopes = self._scopes(name, client)
            wait = 0.0
            for key, _, _ in scopes:
                c = self._counts.get(key)
                if c is not None and now - c.last > self.policy.forget_after:
                    del self._counts[key]
                elif c is not None:
                    wait = max(wait, c.not_before - now)
            if wait > 0:
                return wait
            for key, free, cap in scopes:
                c = self._counts.setdefault(key, _Count())
                c.failures += 1
                c.last = now
                c.not_before = now + self._delay(c.failures, free, cap)
            return Reservation(name, client)

    def _give_back(self, res: Reservation, *, forget_pair: bool) -> None:
        with self._lock:
            for key, free, cap in self._scopes(res.name, res.client):
                c = self._counts.get(key)
                if c is None:
                    continue
                if forget_pair and key[0] == "pair":
                    del self._counts[key]
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
