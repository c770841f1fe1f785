"""Within this process: many readers of the store at once, or one writer.

DuckDB refuses a read-write connection to a file while a read-only one to it is open in the same
process (and the reverse), so the server's own import commit must wait for its readers, and new
readers for it. Readers do not wait for each other: a long report build never holds up a page.
"""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager


class StoreBusy(Exception):
    """The store was not free within the time given."""


class StoreLock:
    def __init__(self):
        self._cond = threading.Condition()
        self._readers = 0
        self._writer = False
        self._writers_waiting = 0

    def _wait(self, ready, deadline: float) -> None:
        while not ready():
            left = deadline - time.monotonic()
            if left <= 0 or not self._cond.wait(left):
                if not ready():
                    raise StoreBusy

    @contextmanager
    def shared(self, wait: float):
        deadline = time.monotonic() + wait
        with self._cond:
            # A waiting writer goes first, so that a stream of readers cannot starve a commit.
            self._wait(lambda: not self._writer and not self._writers_waiting, deadline)
            self._readers += 1
        try:
            yield
        finally:
            with self._cond:
                self._readers -= 1
                self._cond.notify_all()

    @contextmanager
    def exclusive(self, wait: float):
        deadline = time.monotonic() + wait
        with self._cond:
            self._writers_waiting += 1
            try:
                self._wait(lambda: not self._writer and not self._readers, deadline)
            finally:
                self._writers_waiting -= 1
                self._cond.notify_all()
            self._writer = True
        try:
            yield
        finally:
            with self._cond:
                self._writer = False
                self._cond.notify_all()
