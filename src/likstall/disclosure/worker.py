"""A worker process for the protection of one measure (`ladder._in_processes`).

Reads a pickled job from standard input — (registry of one measure, policy, fixed cells, history,
levels, max_steps) — runs the ladder for it and writes the pickled result to standard output. It
opens no store and writes no file. Not a command for people: `likstall publish` starts it.
"""

from __future__ import annotations

import pickle
import sys


def main() -> None:
    from .ladder import _greedy_measure

    sub, policy, fixed, history, levels, max_steps = pickle.load(sys.stdin.buffer)
    result = _greedy_measure(sub, policy, fixed, history, levels, max_steps)
    sys.stdout.buffer.write(pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL))
    sys.stdout.buffer.flush()


if __name__ == "__main__":
    main()
