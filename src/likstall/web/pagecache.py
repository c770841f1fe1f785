"""Pages and API answers rendered once per release, kept in memory (least recently used first out).

A release never changes, so a page built from it is the same for every request with the same key.
The key always names everything the bytes depend on:

- the published releases (`State.releases_signature()`: every year's latest release id) — a new
  release of any year gives new keys, since the year menu and a district's history read every year;
- the route and its parameters after validation (the year resolved, never the raw query string);
- for pages, the viewer's role and district (the menu differs per role, "Min stadsdel" per district).

What differs per *person* is never cached: the page is rendered with two markers in place of the
session's CSRF token and the user name, and `personalise` puts this request's values in. Drafts
(`?utkast=1`) are not cached here at all, and the caller checks the role before it looks a page up,
so a reader can never be handed an analyst's draft. Authentication, role checks and the access log
run for every request, cached or not.
"""

from __future__ import annotations

import secrets
import threading
from collections import OrderedDict
from html import escape

MAX_BYTES = 64 * 1024 * 1024  # per process; the /jamfor sort and filter combinations are many but small

# Random per process, so that no published text can contain them.
CSRF_MARK = f"\x1ecsrf-{secrets.token_hex(16)}\x1e"
USER_MARK = f"\x1euser-{secrets.token_hex(16)}\x1e"


class RenderedCache:
    def __init__(self, max_bytes: int = MAX_BYTES):
        self.max_bytes = max_bytes
        self._items: OrderedDict[tuple, bytes | str | tuple] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()
        self._building: dict[tuple, threading.Lock] = {}
        self.hits = self.misses = 0

    def peek(self, key: tuple):
        """The cached value of `key`, or None (nothing is built)."""
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                self.hits += 1
                return self._items[key]
        return None

    def get(self, key: tuple, build):
        """The cached value of `key`, or `build()` (once: concurrent callers of one key wait for it)."""
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                self.hits += 1
                return self._items[key]
            lock = self._building.setdefault(key, threading.Lock())
        with lock:
            with self._lock:
                if key in self._items:
                    self._items.move_to_end(key)
                    self.hits += 1
                    return self._items[key]
            value = build()  # errors propagate and nothing is kept
            with self._lock:
                self.misses += 1
                self._building.pop(key, None)
                size = sum(map(len, value)) if isinstance(value, tuple) else len(value)
                if size <= self.max_bytes // 4:
                    self._items[key] = value
                    self._size += size
                    while self._size > self.max_bytes:
                        _, old = self._items.popitem(last=False)
                        self._size -= sum(map(len, old)) if isinstance(old, tuple) else len(old)
            return value

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._size = 0


class _Anonymous:
    """Stands in for the user while a shared page is rendered: role and district are the viewer's
    (they are in the key), the name is a marker replaced per request."""

    def __init__(self, user):
        self.username = USER_MARK
        self.role = user.role
        self.district = user.district
        self.disabled = False


def anonymous(user) -> _Anonymous:
    return _Anonymous(user)


def personalise(html: str, user, csrf: str) -> str:
    return html.replace(CSRF_MARK, escape(csrf)).replace(USER_MARK, escape(user.username))
