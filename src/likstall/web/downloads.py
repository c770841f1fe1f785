"""Report files built once per release and format, then served as files.

A PDF of the yearly report takes seconds of CPU. Built per request, twenty people downloading it at
once took 105 s and held other requests up. Here the first request for a (release, format) starts
one build on a small pool of its own (`report_builds` at a time); every request for the same file
waits for that build without holding a thread, and later ones get the file from disk. The files
are public (the release passed disclosure control) and live in `<store>.reports/` (0700, emptied
at start-up); those of an older release of a year are deleted when a newer one of that year is built.
Several server processes share the folder: a file one of them built is served by all, and two that
build the same file at once keep the first (the bytes are the same).
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

MEDIA = {"html": "text/html; charset=utf-8", "pdf": "application/pdf", "csv": "text/csv; charset=utf-8",
         "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def reports_root(db: Path) -> Path:
    return db.with_name(db.name + ".reports")


def reset_reports_root(db: Path) -> Path:
    root = reports_root(db)
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(mode=0o700)
    return root


class ReportFiles:
    def __init__(self, db: Path, workers: int, *, reset: bool = True):
        """`reset`: empty the folder (at start-up; with several server processes, their parent does it)."""
        self.root = reset_reports_root(db) if reset else reports_root(db)
        self.root.mkdir(mode=0o700, exist_ok=True)
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="likstall-report")
        self._lock = threading.Lock()
        self._jobs: dict[tuple, Future] = {}

    def _folder(self, key: tuple) -> Path:
        return self.root / "-".join(str(k) for k in key)

    async def get(self, key: tuple, fmt: str, build) -> Path:
        """The file of `fmt` for release `key`; `build(folder)` writes it there and returns its path."""
        with self._lock:
            fut = self._jobs.get((key, fmt))
            if fut is None or (fut.done() and fut.exception() is not None):
                fut = self._pool.submit(self._build, key, fmt, build)
                self._jobs[(key, fmt)] = fut
        return await asyncio.wrap_future(fut)

    def _build(self, key: tuple, fmt: str, build) -> Path:
        final = self._folder(key) / fmt
        if final.is_dir():
            return next(p for p in final.iterdir() if p.is_file())
        final.parent.mkdir(mode=0o700, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=f".{fmt}-", dir=final.parent))
        try:
            path = Path(build(work))
            keep = work / "out"
            keep.mkdir()
            path.rename(keep / path.name)
            try:
                keep.rename(final)  # whole or not at all: a half-written file is never served
            except OSError:
                if not final.is_dir():
                    raise
                # Another server process built the same file first (the same bytes): use its copy.
        finally:
            shutil.rmtree(work, ignore_errors=True)
        self._forget_others(key)
        return next(p for p in final.iterdir() if p.is_file())

    def _forget_others(self, key: tuple) -> None:
        """A newer release of a year makes the older one's files garbage. Keys ("release", id, year) name
        their year: only older releases of the same year are dropped, so that another year's files
        (perhaps being sent right now) stay."""
        def older(k: tuple) -> bool:
            if len(key) >= 3 and len(k) >= 3:
                return k[0] == key[0] and k[2] == key[2] and k[1] < key[1]
            return k[0] == key[0] and k != key

        with self._lock:
            for (k, fmt) in [j for j in self._jobs if older(j[0])]:
                self._jobs.pop((k, fmt), None)
                shutil.rmtree(self._folder(k), ignore_errors=True)
