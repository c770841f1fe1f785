#!/usr/bin/env bash
# What the browser tests need: Debian's Chromium (Playwright drives it; no browser is downloaded)
# and axe-core from the npm registry (injected by the accessibility tests). Installed only when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x /usr/bin/chromium ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q >/dev/null
  $SUDO apt-get install -y -q --no-install-recommends chromium >/dev/null
fi
if [ ! -f .cache/node/node_modules/axe-core/axe.min.js ]; then
  mkdir -p .cache/node
  (cd .cache/node && npm install --silent --no-audit --no-fund --no-save axe-core@4.11 >/dev/null)
fi
