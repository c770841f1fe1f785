#!/usr/bin/env bash
# The whole test suite. Installs what it needs by itself.
set -euo pipefail
cd "$(dirname "$0")"
scripts/bootstrap.sh
scripts/system-deps.sh
scripts/browser-deps.sh
exec .venv/bin/python -m pytest "$@"
