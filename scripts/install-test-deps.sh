#!/usr/bin/env bash
# Installs what the optional parts of the test suite need: Debian's chromium and the DejaVu
# fonts the report's page uses, for the tests that render a report in a real headless browser
# and compare a screenshot with tests/snapshots/ (tests/report.rs). The build itself needs no
# system packages. Run as root (or with sudo) on Debian or Ubuntu.
set -euo pipefail
have_chromium() { command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium-browser ]; }
have_fonts() { [ -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ]; }
if have_chromium && have_fonts; then
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq chromium fonts-dejavu-core >/dev/null
