"""Large memory blocks come fresh from the kernel, so no earlier input can reach the store by accident.

DuckDB writes whole 256 KB storage blocks, and the unused tail of a block is not always initialised
(duckdb/duckdb#23382: FSST string segments, 1.5.x). Whatever an earlier allocation of the same
process left in that memory — a CSV buffer, a generated demo file, an upload — can then be written
into the database file. A demo person id was found in a store that way once (in CI; it could not be
reproduced on demand, as with any use of uninitialised memory).

glibc reuses freed heap memory for a new block unless the block is larger than its mmap threshold,
which by default rises to the largest block ever freed (up to 32 MB) — so 256 KB blocks soon come
from reused heap. Fixing the threshold at 128 KiB makes every block from 128 KiB up a fresh mapping
(zero-filled by the kernel) that is returned to the kernel when freed: storage blocks always start
empty, and large input buffers do not outlive their use. Measured cost: about 10 % on an ingest
(docs/performance.md); glibc's M_PERTURB, which also zeroes small blocks, cost 50 %.

The guard does not cover DuckDB re-using an evicted buffer under memory pressure; the ingest drops
its raw staging tables before it writes anything to the store for that reason (ingest/load.py).
On other C libraries this is a no-op; `fresh_large_blocks()` returns False there.

**DuckDB's own allocator.** The DuckDB wheels for Linux bundle jemalloc, and DuckDB allocates its
buffers, vectors and string heaps there, not through glibc: the glibc guard does not reach them, and
jemalloc hands a freed block of any size out again as it was (measured: every byte, from 100 B to
256 KiB). That is how a case id still got into a demo store after the glibc guard (docs/security.md).
jemalloc zeroes every new allocation with its option `zero:true`, read once from the environment
variable `DUCKDB_JE_MALLOC_CONF` when DuckDB first allocates: `zero_duckdb_allocations()` sets it on
`import likstall`, and `duckdb_allocations_zeroed()` asks jemalloc whether it is in force (the ingest
refuses to read files when it is not: DuckDB allocated before likstall was imported).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import platform

_M_MMAP_THRESHOLD = -3  # <malloc.h>
THRESHOLD = 128 * 1024
_active = False


def fresh_large_blocks() -> bool:
    """Fix glibc's mmap threshold for this process; True when it is in force."""
    global _active
    if _active:
        return True
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        _active = bool(libc.mallopt(_M_MMAP_THRESHOLD, THRESHOLD))
    except (OSError, AttributeError):
        _active = False
    return _active


JEMALLOC_CONF = "DUCKDB_JE_MALLOC_CONF"


# How jemalloc zeroes decides what the zeroing costs. A block it takes back from its own free extents
# it zeroes by returning the pages to the kernel (madvise) and faulting them in again, ≈ 1 µs per 4 KiB;
# a block it hands out from a thread's cache it zeroes with memset, which is far cheaper on memory
# already mapped. By default only blocks up to 32 KiB are cached per thread; DuckDB's storage blocks
# (256 KiB) and most of its vectors and hash tables are larger, so almost every reuse went through
# madvise (29 688 calls in a 2 M-row ingest, 6,5 s of system time). Caching blocks up to 8 MiB (the
# most jemalloc allows) makes those reuses memsets: 12,5–13,2 → 9,8–10,9 s for that ingest, with the
# allocator thresholds the ingest sets by the export's size (ingest/load.py). The zeroing is the same
# either way (test_heap.py).
ZERO_CONF = ("zero:true", "tcache_max:8388608")


def zero_duckdb_allocations() -> None:
    """Ask DuckDB's jemalloc to zero every allocation (in effect if DuckDB has not allocated yet)."""
    conf = os.environ.get(JEMALLOC_CONF, "")
    parts = [p for p in conf.split(",") if p]
    for option in ZERO_CONF:
        if not any(p.startswith(option.split(":")[0] + ":") for p in parts):
            parts.append(option)
    os.environ[JEMALLOC_CONF] = ",".join(parts)


def duckdb_allocations_zeroed() -> bool | None:
    """Whether DuckDB's jemalloc zeroes new allocations: True or False, or None when this DuckDB has no
    jemalloc of its own (then it allocates with the C library, where `fresh_large_blocks` applies)."""
    try:
        import _duckdb

        lib = ctypes.CDLL(_duckdb.__file__)
        mallctl = lib.duckdb_je_mallctl
    except (ImportError, OSError, AttributeError):
        return None
    value, size = ctypes.c_bool(False), ctypes.c_size_t(ctypes.sizeof(ctypes.c_bool))
    if mallctl(b"opt.zero", ctypes.byref(value), ctypes.byref(size), None, ctypes.c_size_t(0)) != 0:
        return None
    return bool(value.value)
