#!/usr/bin/env bash
# The main job on the embedded default: synthetic demo data → validated ingest → releases → report.
set -euo pipefail
cd "$(dirname "$0")"
scripts/bootstrap.sh
scripts/system-deps.sh
exec .venv/bin/likstall demo "$@"
