#!/usr/bin/env bash
# System libraries WeasyPrint needs for the PDF report (Pango, HarfBuzz subsetting, a font).
# Installed only when missing; needs root (as on CI and these machines) or sudo.
set -euo pipefail
need=()
ldconfig -p | grep -q "libpango-1.0.so" || need+=(libpango-1.0-0)
ldconfig -p | grep -q "libpangoft2-1.0.so" || need+=(libpangoft2-1.0-0)
ldconfig -p | grep -q "libharfbuzz-subset.so" || need+=(libharfbuzz-subset0)
[ -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || need+=(fonts-dejavu-core)
if [ ${#need[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q >/dev/null
  $SUDO apt-get install -y -q --no-install-recommends "${need[@]}" >/dev/null
fi
