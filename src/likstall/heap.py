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
"""

from __future__ import annotations

import ctypes
import ctypes.util
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
