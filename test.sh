#!/usr/bin/env bash
# The whole test suite. Installs what it needs by itself.
set -euo pipefail
cd "$(dirname "$0")"
scripts/bootstrap.sh
scripts/system-deps.sh
scripts/browser-deps.sh
# On every core (pytest-xdist; each worker builds its own session fixtures). `-n 0` runs in one process.
exec .venv/bin/python -m pytest -n "${LIKSTALL_TEST_WORKERS:-auto}" --dist loadgroup "$@"
