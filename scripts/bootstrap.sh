#!/usr/bin/env bash
# Installs likstall and its pinned dependencies into .venv (idempotent; fast when already done).
# Uses the machine's Python 3.11+ and uv; no toolchain or browser is downloaded here.
set -euo pipefail
cd "$(dirname "$0")/.."
export UV_PYTHON_DOWNLOADS=never
PY=${PYTHON:-python3}
if ! command -v uv >/dev/null 2>&1; then
  "$PY" -m pip install --quiet --disable-pip-version-check uv
fi
UV="$(command -v uv || echo "$PY -m uv")"
stamp=.venv/.likstall-installed
if [ ! -x .venv/bin/python ]; then
  $UV venv --quiet --python "$PY" .venv
fi
if [ ! -f "$stamp" ] || [ requirements.lock -nt "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  $UV pip install --quiet --python .venv/bin/python -r requirements.lock
  $UV pip install --quiet --python .venv/bin/python --no-deps -e .
  touch "$stamp"
fi
