"""A second process for the parts of a report that only turn published values into files.

vl-convert starts a JavaScript engine on its first chart (≈ 0,6 s here) and holds Python's GIL while
it converts, so a thread gains nothing; a second process uses the second core. `likstall rapport`
starts the helper before it reads the release, so the engine's start overlaps that; then the charts
are converted there while this process writes the Excel workbook and then the HTML and the CSV
files. (The workbook was written in the helper while this process still imported the statistics; a
report from a release imports none, so this process is now the one with time to spare.) The helper is handed the rows of each chart and the table views — values
that have already passed the disclosure gate — never the store, the FollowUp or the key.

The helper is `python -m likstall.render.helper`, spoken to with pickled jobs over its own pipes
(not multiprocessing, which would import the caller's main script again in the child). Without a
running helper (the web server, the Python API, tests) everything runs in the calling process, and
if the helper fails or is slow the job is done here instead, so a report never depends on it.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator

TIMEOUT_S = 120  # per job; a chart takes well under a second, the national workbook a few seconds
_TINY_SPEC = {"data": {"values": [{"x": 1}]}, "mark": "point", "encoding": {"x": {"field": "x", "type": "quantitative"}}}


def vegalite_to_svg(spec: dict) -> str:
    import vl_convert as vlc

    return vlc.vegalite_to_svg(spec)


def chart_svg(kind: str, data: dict, lang: str) -> str:
    from .chart_specs import spec, with_title

    s = spec(kind, data, lang)
    return with_title(vegalite_to_svg(s), s["description"])


def _write_workbook(*args) -> None:
    from .workbook import write_workbook

    write_workbook(*args)


JOBS: dict[str, Callable] = {"chart": chart_svg, "workbook": _write_workbook}


class _Helper:
    def __init__(self) -> None:
        # It needs no secret: the pseudonymisation key is not passed on.
        env = {k: v for k, v in os.environ.items() if k != "LIKSTALL_SECRET_KEY"}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "likstall.render.helper"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env,
        )
        self.sent = 0
        self.results: dict[int, tuple[bool, object]] = {}
        self.broken = False
        self.cond = threading.Condition()
        # Answers are read as they come: a helper blocked on writing a large SVG must never wait for
        # this process while this process waits to hand it the next job.
        self.reader = threading.Thread(target=self._read, name="likstall-helper-reader", daemon=True)
        self.reader.start()

    def _read(self) -> None:
        while True:
            try:
                got, ok, value = pickle.load(self.proc.stdout)
            except Exception:  # noqa: BLE001 — EOF, a dead helper or a broken pipe: stop trusting it
                with self.cond:
                    self.broken = True
                    self.cond.notify_all()
                return
            with self.cond:
                self.results[got] = (ok, value)
                self.cond.notify_all()

    def send(self, job: str, args: tuple) -> int | None:
        with self.cond:
            if self.broken:
                return None
            job_id = self.sent
            self.sent += 1
        try:
            pickle.dump((job_id, job, args), self.proc.stdin, protocol=pickle.HIGHEST_PROTOCOL)
            self.proc.stdin.flush()
        except (OSError, pickle.PicklingError):
            with self.cond:
                self.broken = True
            return None
        return job_id

    def result(self, job_id: int) -> tuple[bool, object]:
        """(True, value) or (False, None) when the helper failed, died or took too long."""
        with self.cond:
            if not self.cond.wait_for(lambda: job_id in self.results or self.broken, timeout=TIMEOUT_S):
                self.broken = True
            return self.results.pop(job_id, (False, None))

    def close(self) -> None:
        """End of input; the helper exits on its own (≈ 0,3 s of engine teardown nobody needs to wait for)."""
        with contextlib.suppress(OSError):
            self.proc.stdin.close()
        threading.Thread(target=self._reap, name="likstall-helper-reaper", daemon=True).start()

    def _reap(self) -> None:
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


_helper: _Helper | None = None


@contextlib.contextmanager
def running() -> Iterator[None]:
    """Start the helper for the duration of the block (once: nested blocks share it)."""
    global _helper
    if _helper is not None or not sys.executable:
        yield
        return
    try:
        _helper = _Helper()
    except OSError:  # no process to spare: everything is done here
        _helper = None
        yield
        return
    try:
        yield
    finally:
        h, _helper = _helper, None
        h.close()


def active() -> bool:
    return _helper is not None and not _helper.broken


class Pending:
    """A job given to the helper; `get()` waits for its result, or does the job here if the helper failed."""

    def __init__(self, job: str, *args):
        self._job, self._args = job, args
        self._id = _helper.send(job, args) if active() else None
        self._done, self._value = False, None

    @classmethod
    def here(cls, job: str, *args) -> "Pending":
        """The same job, done in this process when asked for (never sent to the helper)."""
        p = cls.__new__(cls)
        p._job, p._args, p._id, p._done, p._value = job, args, None, False, None
        return p

    def get(self):
        if not self._done:
            ok, value = _helper.result(self._id) if (self._id is not None and _helper is not None) else (False, None)
            self._value = value if ok else JOBS[self._job](*self._args)
            self._done = True
        return self._value


class PendingChart(Pending):
    """A chart drawn as SVG from plain rows in the helper (render/chart_specs.py, Altair included);
    Jinja's `safe` filter and `str()` wait for it."""

    def __init__(self, kind: str, data: dict, lang: str):
        super().__init__("chart", kind, data, lang)

    def __html__(self) -> str:
        return self.get()

    def __str__(self) -> str:
        return self.get()


def _serve() -> None:
    """The helper's loop: warm up, then answer jobs in order until the caller closes the pipe."""
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # anything a library prints goes to stderr, never into the answers
    inp = sys.stdin.buffer
    vegalite_to_svg(_TINY_SPEC)  # the engine's start, while the caller computes
    from . import chart_specs  # noqa: F401  (Altair; the workbook is written by the caller, report.py)

    while True:
        try:
            job_id, job, args = pickle.load(inp)
        except EOFError:
            out.close()
            os._exit(0)  # every answer is written; skip the interpreter's and the engine's teardown
        try:
            answer = (job_id, True, JOBS[job](*args))
        except Exception:  # noqa: BLE001 — the caller redoes the job and gets the real error there
            answer = (job_id, False, None)
        try:
            pickle.dump(answer, out, protocol=pickle.HIGHEST_PROTOCOL)
            out.flush()
        except OSError:  # the caller is gone (killed, or done without this answer): nothing to do
            os._exit(0)


if __name__ == "__main__":
    _serve()
