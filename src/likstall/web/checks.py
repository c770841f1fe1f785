"""Password and token checks (argon2) on a small pool of their own threads, never on the event loop
and never under a lock another request needs.

argon2id is slow and memory-hard by design (≈ 0,1–0,7 s and 64 MiB per check). A flood of logins
must not take the CPU, the memory or the server's shared thread pool from everyone else: at most
`workers` checks run at once, a bounded number wait (in the pool's queue, holding no request
thread), and a check that waited longer than `queue_wait` is not run at all. The caller then answers
"busy" (503) at once.
"""

from __future__ import annotations

import asyncio
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor

BUSY = object()  # the check was not run: too many waiting


class Checks:
    def __init__(self, workers: int, queue_wait: float, max_waiting: int | None = None):
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="likstall-argon2")
        self._queue_wait = queue_wait
        self._limit = workers + (max_waiting if max_waiting is not None else 8 * workers)
        self._pending = 0
        self._lock = threading.Lock()

    def submit(self, fn, *args) -> Future | None:
        with self._lock:
            if self._pending >= self._limit:
                return None
            self._pending += 1
        queued = time.monotonic()

        def job():
            try:
                if time.monotonic() - queued > self._queue_wait:
                    return BUSY
                return fn(*args)
            finally:
                with self._lock:
                    self._pending -= 1

        return self._pool.submit(job)

    async def run(self, fn, *args):
        """From async code: the result of fn(*args), or BUSY."""
        fut = self.submit(fn, *args)
        return BUSY if fut is None else await asyncio.wrap_future(fut)

    def run_sync(self, fn, *args):
        """From a worker thread (a sync dependency): the same, waiting for the result."""
        fut = self.submit(fn, *args)
        return BUSY if fut is None else fut.result()
