"""What a deployment decides: TLS, host names, session lifetimes, login throttling, upload limits.

One frozen object, built by `create_app` from its keyword arguments; every module reads its limits
here, so that a test can make them small (short delays, tiny uploads) without patching code.
"""

from __future__ import annotations

from dataclasses import dataclass, field

MB = 1024 * 1024
# The names a browser on the same machine uses, and Starlette's test client ("testserver", a name
# no resolver answers). Behind a reverse proxy, pass the public name (`serve --allowed-host`).
LOCAL_HOSTS = ("127.0.0.1", "localhost", "[::1]", "::1", "testserver")


@dataclass(frozen=True)
class LoginPolicy:
    """Increasing delays, never a lock: after `free_*` failures each further attempt must wait
    delay · 2^(failures − free) seconds, at most `max_*`. Three scopes, so that an attacker's
    failures slow the attacker (one name from one client; one client over all names) far more
    than the account's owner (one name from every client: more free attempts, a short cap)."""

    delay: float = 1.0
    free_per_client: int = 3  # one name from one client address
    max_per_client: float = 15 * 60
    free_per_account: int = 10  # one name from all clients together
    max_per_account: float = 60
    free_per_address: int = 20  # one client address over all names
    max_per_address: float = 15 * 60
    forget_after: float = 30 * 60  # failures older than this no longer count


@dataclass(frozen=True)
class Settings:
    https_only: bool = False  # behind TLS: Secure and __Host- cookies, HSTS
    allowed_hosts: tuple[str, ...] = LOCAL_HOSTS
    session_max_age: int = 8 * 3600  # absolute lifetime of a session
    session_idle: int = 30 * 60  # a session unused this long is ended
    login: LoginPolicy = field(default_factory=LoginPolicy)
    password_checks: int = 2  # argon2 checks running at once (each uses 64 MiB and 4 lanes)
    password_queue: float = 3.0  # seconds a check may wait for its turn before "busy"
    max_file: int = 50 * MB  # one uploaded file
    max_request: int = 200 * MB  # one upload request (all its files)
    max_files: int = 10
    max_xlsx_cells: int = 2_000_000  # cells (and the sheet's area) in all sheets of one workbook
    max_xlsx_bytes: int = 256 * MB  # a workbook's parts, uncompressed
    store_wait: float = 10.0  # how long a request waits for another process's write before 503
    report_builds: int = 2  # report files built at once
