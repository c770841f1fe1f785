"""Large blocks reach DuckDB fresh from the kernel once likstall is imported (see likstall/heap.py)."""

from __future__ import annotations

import os
import platform
import subprocess
import sys

import pytest

pytestmark = pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="the guard is glibc's mallopt")

# Allocate, fill with 'A', free, allocate the same size again: how many 'A's are still there?
# The first round raises glibc's dynamic mmap threshold, as any earlier large free in a process does.
PROBE = """
import ctypes, sys
if sys.argv[1] == "likstall":
    import likstall
libc = ctypes.CDLL("libc.so.6")
libc.malloc.restype = ctypes.c_void_p
libc.malloc.argtypes = [ctypes.c_size_t]
libc.free.argtypes = [ctypes.c_void_p]
n = 256 * 1024
for _ in range(2):
    p = libc.malloc(n)
    ctypes.memset(p, 0x41, n)
    libc.free(p)
q = libc.malloc(n)
print(ctypes.string_at(q, n).count(b"A"))
"""


def leftover(mode: str) -> int:
    out = subprocess.run([sys.executable, "-c", PROBE, mode], capture_output=True, text=True, check=True)
    return int(out.stdout)


def test_a_freed_block_is_handed_out_again_with_its_contents_without_the_guard():
    # The control: without the guard glibc reuses the freed block as it is. If this ever fails, the
    # probe no longer shows the danger and the next test proves nothing.
    assert leftover("plain") > 0


def test_with_likstall_imported_a_large_block_starts_empty():
    assert leftover("likstall") == 0


# The same probe for DuckDB's own allocator (jemalloc, bundled in DuckDB's Linux wheels), at sizes from a
# string to a storage block: how many 'A's does a new allocation find where a freed one was?
JE_PROBE = """
import ctypes, sys
if sys.argv[1] == "likstall":
    import likstall
import time
import _duckdb
lib = ctypes.CDLL(_duckdb.__file__)
background = sys.argv[2:] == ["background"]
if background:
    # A large export's ingest has jemalloc's background threads purge freed pages (ingest/load.py). The
    # connection is kept: closing an instance turns the (process-wide) threads off again.
    import duckdb
    keep = duckdb.connect()
    keep.execute("SET allocator_background_threads = true")
    def mallctl(name, value):  # read one of jemalloc's values into `value`
        size = ctypes.c_size_t(ctypes.sizeof(value))
        assert lib.duckdb_je_mallctl(name, ctypes.byref(value), ctypes.byref(size), None, ctypes.c_size_t(0)) == 0, name
        return value.value
    assert mallctl(b"background_thread", ctypes.c_bool(False)), "jemalloc's background threads are not on"
    decay_ms = mallctl(b"opt.dirty_decay_ms", ctypes.c_ssize_t(0))
lib.duckdb_je_malloc.restype = ctypes.c_void_p
lib.duckdb_je_malloc.argtypes = [ctypes.c_size_t]
lib.duckdb_je_free.argtypes = [ctypes.c_void_p]
found = 0
for n in (100, 4096, 40_000, 256 * 1024, 1 << 20, 6 << 20, 16 << 20):  # up to past the thread cache (heap.py)
    for _ in range(3):
        p = lib.duckdb_je_malloc(n)
        ctypes.memset(p, 0x41, n)
        lib.duckdb_je_free(p)
    if background and n == 16 << 20:
        # Past the thread cache the freed pages wait for a purge; after the dirty decay time the background
        # thread has purged them lazily (MADV_FREE): they are not yet the kernel's and still hold their bytes
        # (without zero:true all of them come back), the case the threads add.
        time.sleep(max(decay_ms, 0) / 1000 + 0.5)
    q = lib.duckdb_je_malloc(n)
    found += ctypes.string_at(q, n).count(b"A")
print(found)
"""


def _has_jemalloc() -> bool:
    from likstall.heap import duckdb_allocations_zeroed

    return duckdb_allocations_zeroed() is not None


def je_leftover(*mode: str) -> int:
    out = subprocess.run([sys.executable, "-c", JE_PROBE, *mode], capture_output=True, text=True, check=False,
                         env={k: v for k, v in os.environ.items() if k != "DUCKDB_JE_MALLOC_CONF"})
    assert out.returncode == 0, out.stderr  # e.g. the probe's own "background threads are not on"
    return int(out.stdout)


@pytest.mark.skipif(not _has_jemalloc(), reason="this DuckDB allocates with the C library")
def test_duckdbs_allocator_hands_freed_memory_out_again_without_the_guard():
    assert je_leftover("plain") > 0  # the control: the danger is real, else the next test proves nothing


@pytest.mark.skipif(not _has_jemalloc(), reason="this DuckDB allocates with the C library")
def test_with_likstall_imported_duckdbs_allocations_start_empty():
    assert je_leftover("likstall") == 0


@pytest.mark.skipif(not _has_jemalloc(), reason="this DuckDB allocates with the C library")
def test_with_the_allocators_background_threads_allocations_start_empty_too():
    assert je_leftover("plain", "background") > 0  # the control: with the threads on, old bytes still come back
    assert je_leftover("likstall", "background") == 0


@pytest.mark.skipif(not _has_jemalloc(), reason="this DuckDB allocates with the C library")
def test_an_ingest_refuses_when_duckdb_allocated_before_likstall(tmp_path, export):
    script = """
import sys, datetime as dt
import duckdb
duckdb.connect().execute("SELECT 1")  # DuckDB's allocator starts before likstall is imported
from likstall.errors import LikstallError
from likstall.ingest.load import ingest
try:
    ingest([sys.argv[1]], sys.argv[2], extract_date=dt.date(2022, 1, 31))
except LikstallError as exc:
    print("REFUSED", exc)
"""
    db = tmp_path / "s.duckdb"
    env = {k: v for k, v in os.environ.items() if k != "DUCKDB_JE_MALLOC_CONF"}
    out = subprocess.run([sys.executable, "-c", script, str(export), str(db)], capture_output=True, text=True,
                         env=env, check=True).stdout
    assert out.startswith("REFUSED") and "DUCKDB_JE_MALLOC_CONF" in out and "Traceback" not in out
    assert not db.exists()  # refused before the store was opened
