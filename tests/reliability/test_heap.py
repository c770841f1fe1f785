"""Large blocks reach DuckDB fresh from the kernel once likstall is imported (see likstall/heap.py)."""

from __future__ import annotations

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
