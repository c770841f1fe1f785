"""The HTTP protocol `likstall serve` runs uvicorn with: h11, with TCP_NODELAY on every connection.

asyncio turns Nagle's algorithm off only for sockets whose protocol number says TCP. uvicorn's worker
processes get the listening socket re-made from its file descriptor with protocol number 0, so their
connections kept Nagle on: a response written as two segments (headers, then body) waited for the
client's delayed ACK, ≈ 40 ms on every keep-alive request (measured here: 45 ms against 1,4 ms with one
process; docs/performance.md §4). Setting the option per connection fixes it, in one process or many.
"""

from __future__ import annotations

import socket

from uvicorn.protocols.http.h11_impl import H11Protocol


class NoDelayH11Protocol(H11Protocol):
    def connection_made(self, transport) -> None:
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            try:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            except OSError:
                pass
        super().connection_made(transport)
