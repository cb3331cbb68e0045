#!/usr/bin/env bash
# Installs what the optional parts of the test suite need: Debian's chromium, for the test that
# renders a report in a real headless browser (tests/report.rs). The build itself needs no
# system packages. Run as root (or with sudo) on Debian or Ubuntu.
set -euo pipefail
if command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium-browser ]; then
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq chromium >/dev/null
